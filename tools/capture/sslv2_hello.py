#!/usr/bin/env python3
"""Send one SSLv2-format ClientHello (RFC 5246 appendix E.2) to 127.0.0.1:PORT and read what the
server answers until it closes or goes quiet, then close. Old TLS clients and scanners still send
this form; no current client library can, so the client side is written here byte by byte and the
server is a real one (openssl s_server in tools/capture/make-tls-hello.sh).
  sslv2_hello.py PORT VERSION   (VERSION in hex: 0002 for SSL 2.0, 0301-0303 for the compatible form)
"""
import os
import socket
import sys


def hello(version):
    # cipher specs: three TLS suites as 3-byte specs (0x00 + the 2-byte suite); an SSL 2.0 hello
    # adds two SSLv2 kinds (RC4_128_WITH_MD5, DES_192_EDE3_CBC_WITH_MD5)
    specs = bytes.fromhex("00009c00002f000035") + (bytes.fromhex("0100800700c0") if version == 2 else b"")
    challenge = os.urandom(16)
    body = (bytes([1]) + version.to_bytes(2, "big") + len(specs).to_bytes(2, "big") + (0).to_bytes(2, "big")
            + len(challenge).to_bytes(2, "big") + specs + challenge)
    return bytes([0x80 | (len(body) >> 8), len(body) & 0xFF]) + body


def main():
    port, version = int(sys.argv[1]), int(sys.argv[2], 16)
    with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
        s.sendall(hello(version))
        try:
            while s.recv(65536):
                pass
        except OSError:
            pass


if __name__ == "__main__":
    main()
