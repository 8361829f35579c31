#!/usr/bin/env python3
"""Write testdata/crafted/ip-fragments-evasion.pcap: IP fragment cases for the reassembler
(docs/decoding.md "IP reassembly"), built byte by byte with struct (no scapy), deterministic.

Usage:  python3 tools/craft/make-fragments.py [-o FILE]

Frames (Ethernet, fixed times from 2026-01-01 00:00:00 UTC):
  1      DNS query 10.0.0.1:40000 -> 10.0.0.53:53, TXT big.example (id 0x0101)
  2-3    its answer (1,300-byte TXT) in two IPv4 fragments (id 0x1001), last one first
  4      DNS query (id 0x0202) for the same name
  5-7    its answer in fragments 0-800, 400-1200 (rewrites 400-800 with 'X': a conflicting
         overlap, the first bytes are kept), 1200-end (id 0x1002)
  8-10   a UDP datagram 10.0.0.1 -> 10.0.0.9:9 in fragments of 16, 16 and 40 bytes (tiny, id 0x1003)
  11     the first fragment of a datagram whose rest never comes (id 0x1004, t = 1 s): times out
  12-13  a "ping of death": ICMP echo first fragment (id 0x1005) and a fragment at offset 65,528
  14     IPv6 DNS query 2001:db8::1 -> 2001:db8::53 (id 0x0303)
  15-16  its answer in two IPv6 fragments (identification 0xC7A00001)
  17     the first fragment of an IPv6 datagram never completed (identification 0xC7A00002)
  18     an unrelated UDP packet at t = 40 s, so that frame 11's chain is 39 s old at the end
"""
import argparse
import pathlib
import struct

T0 = 1767225600  # 2026-01-01T00:00:00Z


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def v4addr(s):
    return bytes(int(x) for x in s.split("."))


def v6addr(last):
    return bytes.fromhex("20010db8" + "00" * 10) + struct.pack("!H", last)


def udp(src, dst, sport, dport, payload, v6=False):
    length = 8 + len(payload)
    hdr = struct.pack("!HHHH", sport, dport, length, 0)
    if v6:
        ph = src + dst + struct.pack("!IxxxB", length, 17)
    else:
        ph = src + dst + struct.pack("!xBH", 17, length)
    c = csum(ph + hdr + payload) or 0xFFFF
    return struct.pack("!HHHH", sport, dport, length, c) + payload


def ipv4(src, dst, proto, ident, off, mf, payload):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, (0x2000 if mf else 0) | (off // 8),
                      64, proto, 0, src, dst)
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr + payload


def ipv6_frag(src, dst, ident, off, mf, nh, payload):
    fh = struct.pack("!BBHI", nh, 0, off | (1 if mf else 0), ident)
    return struct.pack("!IHBB16s16s", 0x60000000, len(fh) + len(payload), 44, 64, src, dst) + fh + payload


def ipv6(src, dst, nh, payload):
    return struct.pack("!IHBB16s16s", 0x60000000, len(payload), nh, 64, src, dst) + payload


def eth(ip, v6=False):
    return b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01" + struct.pack("!H", 0x86DD if v6 else 0x0800) + ip


def dns_name(name):
    return b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"


def dns_query(qid):
    return struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + dns_name("big.example") + struct.pack("!HH", 16, 1)


def dns_answer(qid, n=1300):
    txt = b"".join(bytes([250]) + bytes([0x61 + i % 26]) * 250 for i in range((n + 249) // 250))
    return (struct.pack("!HHHHHH", qid, 0x8180, 1, 1, 0, 0) + dns_name("big.example") + struct.pack("!HH", 16, 1)
            + b"\xc0\x0c" + struct.pack("!HHIH", 16, 1, 300, len(txt)) + txt)


def frames():
    c4, s4, o4 = v4addr("10.0.0.1"), v4addr("10.0.0.53"), v4addr("10.0.0.9")
    c6, s6 = v6addr(1), v6addr(0x53)
    out = []
    t = lambda ms: T0 * 10**9 + ms * 10**6
    # 1-3: query, answer in two fragments, the last first
    out.append((t(0), eth(ipv4(c4, s4, 17, 0x0001, 0, False, udp(c4, s4, 40000, 53, dns_query(0x0101))))))
    a = udp(s4, c4, 53, 40000, dns_answer(0x0101))
    out.append((t(10), eth(ipv4(s4, c4, 17, 0x1001, 800, False, a[800:]))))
    out.append((t(11), eth(ipv4(s4, c4, 17, 0x1001, 0, True, a[:800]))))
    # 4-7: query, answer with a conflicting overlap
    out.append((t(20), eth(ipv4(c4, s4, 17, 0x0002, 0, False, udp(c4, s4, 40001, 53, dns_query(0x0202))))))
    a = udp(s4, c4, 53, 40001, dns_answer(0x0202))
    evil = a[:400] + b"X" * 400 + a[800:]
    out.append((t(30), eth(ipv4(s4, c4, 17, 0x1002, 0, True, a[:800]))))
    out.append((t(31), eth(ipv4(s4, c4, 17, 0x1002, 400, True, evil[400:1200]))))
    out.append((t(32), eth(ipv4(s4, c4, 17, 0x1002, 1200, False, a[1200:]))))
    # 8-10: tiny fragments
    d = udp(c4, o4, 40002, 9, b"tiny fragments carry this datagram, 64 bytes of it......")
    out.append((t(40), eth(ipv4(c4, o4, 17, 0x1003, 0, True, d[:16]))))
    out.append((t(41), eth(ipv4(c4, o4, 17, 0x1003, 16, True, d[16:32]))))
    out.append((t(42), eth(ipv4(c4, o4, 17, 0x1003, 32, False, d[32:]))))
    # 11: never completes (times out by the end, 39 s later)
    d = udp(c4, o4, 40003, 9, bytes(range(256)) * 3)
    out.append((t(1000), eth(ipv4(c4, o4, 17, 0x1004, 0, True, d[:512]))))
    # 12-13: ping of death
    echo = struct.pack("!BBHHH", 8, 0, 0, 0x77, 1) + b"P" * 1472
    echo = echo[:2] + struct.pack("!H", csum(echo)) + echo[4:]
    out.append((t(2000), eth(ipv4(c4, o4, 1, 0x1005, 0, True, echo[:1480]))))
    out.append((t(2001), eth(ipv4(c4, o4, 1, 0x1005, 65528, False, b"D" * 400))))
    # 14-16: IPv6 query and its answer in two fragments
    out.append((t(3000), eth(ipv6(c6, s6, 17, udp(c6, s6, 40004, 53, dns_query(0x0303), v6=True)), v6=True)))
    a = udp(s6, c6, 53, 40004, dns_answer(0x0303), v6=True)
    out.append((t(3010), eth(ipv6_frag(s6, c6, 0xC7A00001, 0, True, 17, a[:1232]), v6=True)))
    out.append((t(3011), eth(ipv6_frag(s6, c6, 0xC7A00001, 1232, False, 17, a[1232:]), v6=True)))
    # 17: an IPv6 chain never completed
    out.append((t(4000), eth(ipv6_frag(c6, s6, 0xC7A00002, 0, True, 17,
                                       udp(c6, s6, 40005, 9, bytes(2000), v6=True)[:1232]), v6=True)))
    # 18: the end of the trace
    out.append((t(40000), eth(ipv4(c4, o4, 17, 0x0003, 0, False, udp(c4, o4, 40006, 9, b"end")))))
    return out


def pcap(recs):
    b = bytearray(struct.pack("<IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, 65535, 1))
    for ts, data in recs:
        sec, ns = divmod(ts, 10**9)
        b += struct.pack("<IIII", sec, ns, len(data), len(data)) + data
    return bytes(b)


def main():
    root = pathlib.Path(__file__).resolve().parents[2]
    ap = argparse.ArgumentParser()
    ap.add_argument("-o", default=str(root / "testdata/crafted/ip-fragments-evasion.pcap"))
    args = ap.parse_args()
    pathlib.Path(args.o).write_bytes(pcap(frames()))
    print(args.o)


if __name__ == "__main__":
    main()
