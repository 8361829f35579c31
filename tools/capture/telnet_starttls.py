#!/usr/bin/env python3
"""Telnet START_TLS (option 46, draft-altman-telnet-starttls) between two python peers, for
make-starttls.sh: no Debian telnet server implements the option.

  telnet_starttls.py server HOST PORT CERT KEY   serve connections until killed
  telnet_starttls.py client HOST PORT            DO/WILL, SB FOLLOWS both ways, TLS, one line each way
  telnet_starttls.py refused HOST PORT           WILL START_TLS unasked: the server answers DONT

The server sends IAC DO START_TLS. A client that answers IAC WILL START_TLS gets IAC SB START_TLS
FOLLOWS IAC SE, sends the same, and both start TLS (the python ssl module, i.e. OpenSSL). A client
that sends WILL within half a second, before the server's DO, is told DONT (the server refuses) and
gets a line in clear.
"""
import socket
import ssl
import sys
import threading

IAC, DONT, DO, WONT, WILL, SB, SE = 255, 254, 253, 252, 251, 250, 240
START_TLS, FOLLOWS = 46, 1


def recv_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("peer closed")
        data += chunk
    return data


def serve_one(conn, ctx):
    with conn:
        conn.settimeout(0.5)  # a client that offers START_TLS itself speaks first
        try:
            first = recv_exact(conn, 3)
        except socket.timeout:
            first = b""
        conn.settimeout(10)
        if first == bytes([IAC, WILL, START_TLS]):  # unasked: refuse
            conn.sendall(bytes([IAC, DONT, START_TLS]) + b"login in clear: START_TLS refused\r\n")
            conn.recv(100)
            return
        conn.sendall(bytes([IAC, DO, START_TLS]))
        if recv_exact(conn, 3) != bytes([IAC, WILL, START_TLS]):
            return
        conn.sendall(bytes([IAC, SB, START_TLS, FOLLOWS, IAC, SE]))
        if recv_exact(conn, 6) != bytes([IAC, SB, START_TLS, FOLLOWS, IAC, SE]):
            return
        with ctx.wrap_socket(conn, server_side=True) as tls:
            tls.sendall(b"welcome over TLS\r\n")
            tls.recv(100)
            tls.unwrap()


def server(host, port, cert, key):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    with socket.create_server((host, port)) as srv:
        while True:
            conn, _ = srv.accept()
            threading.Thread(target=serve_one, args=(conn, ctx), daemon=True).start()


def client(host, port):
    with socket.create_connection((host, port), timeout=10) as s:
        if recv_exact(s, 3) != bytes([IAC, DO, START_TLS]):
            raise SystemExit("no DO START_TLS")
        s.sendall(bytes([IAC, WILL, START_TLS]))
        if recv_exact(s, 6) != bytes([IAC, SB, START_TLS, FOLLOWS, IAC, SE]):
            raise SystemExit("no SB START_TLS FOLLOWS")
        s.sendall(bytes([IAC, SB, START_TLS, FOLLOWS, IAC, SE]))
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        with ctx.wrap_socket(s, server_hostname="telnet.ctana.test") as tls:
            tls.recv(100)
            tls.sendall(b"hello over TLS\r\n")
            try:
                tls.unwrap()
            except (ssl.SSLError, OSError):
                pass


def refused(host, port):
    with socket.create_connection((host, port), timeout=10) as s:
        s.sendall(bytes([IAC, WILL, START_TLS]))
        recv_exact(s, 3)
        s.recv(100)
        s.sendall(b"bye\r\n")


def main():
    mode = sys.argv[1]
    if mode == "server":
        server(sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5])
    elif mode == "client":
        client(sys.argv[2], int(sys.argv[3]))
    else:
        refused(sys.argv[2], int(sys.argv[3]))


if __name__ == "__main__":
    main()
