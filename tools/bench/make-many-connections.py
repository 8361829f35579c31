#!/usr/bin/env python3
"""Write a pcap with N short TCP connections (handshake, one request and response, close),
started 1 ms apart from ever-changing client addresses and ports: a busy server's trace, for
measuring memory per connection and idle eviction. With --syn-only each connection is one SYN
that nobody answers (a SYN flood or a scan): all of them stay open until the idle timeout, which
is what the connection cap is for (tests/cli/hostile.py).

  tools/bench/make-many-connections.py N OUT.pcap [--syn-only]
"""
import struct
import sys


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack(f">{len(b) // 2}H", b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def frame(src, dst, sport, dport, seq, ack, flags, payload=b""):
    tcp = struct.pack(">HHIIBBHHH", sport, dport, seq, ack, 0x50, flags, 64240, 0, 0) + payload
    pseudo = src + dst + struct.pack(">BBH", 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack(">H", csum(pseudo + tcp)) + tcp[18:]
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000, 64, 6, 0, src, dst)
    ip = ip[:10] + struct.pack(">H", csum(ip)) + ip[12:]
    return b"\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x08\x00" + ip + tcp


def main():
    n, out = int(sys.argv[1]), sys.argv[2]
    syn_only = "--syn-only" in sys.argv[3:]
    server = bytes([10, 200, 0, 1])
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        t0 = 1_700_000_000 * 1_000_000
        for i in range(n):
            client = bytes([10, 100 + (i >> 16) % 100, (i >> 8) & 255, i & 255])
            port = 1024 + i % 60000
            t = t0 + i * 1000  # microseconds
            c, s = 1000 + i, 500000 + i
            pkts = [
                (0, frame(client, server, port, 443, c, 0, 0x02)),
                (50, frame(server, client, 443, port, s, c + 1, 0x12)),
                (100, frame(client, server, port, 443, c + 1, s + 1, 0x10)),
                (150, frame(client, server, port, 443, c + 1, s + 1, 0x18, b"GET / HTTP/1.0\r\n\r\n")),
                (300, frame(server, client, 443, port, s + 1, c + 19, 0x18, b"HTTP/1.0 200 OK\r\n\r\n")),
                (350, frame(client, server, port, 443, c + 19, s + 20, 0x11)),
                (400, frame(server, client, 443, port, s + 20, c + 20, 0x11)),
                (450, frame(client, server, port, 443, c + 20, s + 21, 0x10)),
            ]
            for dt, p in pkts[:1] if syn_only else pkts:
                ts = t + dt
                f.write(struct.pack("<IIII", ts // 1_000_000, ts % 1_000_000, len(p), len(p)) + p)


if __name__ == "__main__":
    main()
