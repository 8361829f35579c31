#!/usr/bin/env python3
"""An XMPP client that authenticates with SASL PLAIN in clear (no STARTTLS), for make-starttls.sh.

usage: xmpp_plain.py HOST PORT DOMAIN USER PASSWORD
Opens a client stream, reads the features (where the server offers STARTTLS), sends
<auth mechanism='PLAIN'> with the credentials, reads <success/> or <failure/>, and closes the stream.
"""
import base64
import socket
import sys


def read_until(sock, marker, limit=65536):
    data = b""
    while marker not in data and len(data) < limit:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def main():
    host, port, domain, user, password = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
    with socket.create_connection((host, port), timeout=10) as s:
        s.sendall(f"<?xml version='1.0'?><stream:stream to='{domain}' version='1.0' xmlns='jabber:client' "
                  "xmlns:stream='http://etherx.jabber.org/streams'>".encode())
        read_until(s, b"</stream:features>")
        token = base64.b64encode(f"\0{user}\0{password}".encode()).decode()
        s.sendall(f"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>{token}</auth>".encode())
        answer = read_until(s, b"/>")
        s.sendall(b"</stream:stream>")
        read_until(s, b"</stream:stream>")
    print("xmpp_plain:", "success" if b"<success" in answer else "failure")


if __name__ == "__main__":
    main()
