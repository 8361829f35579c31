#!/usr/bin/env python3
"""Make a large pcap from a small real one by time-shifted concatenation.

  tools/bench/scale-pcap.py IN.pcap OUT.pcap SIZE_MB [--vary-ports]

Copy k of the input's records is shifted by k * (span + 1 ms). With --vary-ports the TCP/UDP
source port of IPv4-over-Ethernet packets is rewritten per copy (and the checksum adjusted), so
the output holds many distinct conversations, as a busy trace does.
"""
import argparse
import struct
import sys


def read_pcap(path):
    data = open(path, "rb").read()
    magic = data[:4]
    if magic not in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        sys.exit(f"{path}: only little-endian classic pcap is supported here")
    nsec = magic == b"\x4d\x3c\xb2\xa1"
    recs, off = [], 24
    while off + 16 <= len(data):
        sec, frac, incl, orig = struct.unpack_from("<IIII", data, off)
        recs.append((sec * 10**9 + (frac if nsec else frac * 1000), orig, data[off + 16:off + 16 + incl]))
        off += 16 + incl
    return data[:24], nsec, recs


def csum_adjust(csum, old, new):
    # RFC 1624 incremental update: HC' = ~(~HC + ~m + m')
    s = (~csum & 0xFFFF) + (~old & 0xFFFF) + new
    s = (s & 0xFFFF) + (s >> 16)
    s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def vary_ports(pkt, k):
    """Move the ephemeral (>= 32768) TCP/UDP port of copy k, fixing the checksum."""
    if len(pkt) < 34:
        return pkt
    et = pkt[12:14]
    if et == b"\x08\x00":
        proto, l4 = pkt[23], 14 + (pkt[14] & 15) * 4
    elif et == b"\x86\xdd" and len(pkt) >= 54:
        proto, l4 = pkt[20], 54
    else:
        return pkt
    if proto not in (6, 17) or len(pkt) < l4 + 18:
        return pkt
    p = bytearray(pkt)
    cpos = l4 + (16 if proto == 6 else 6)
    for pos in (l4, l4 + 2):
        port = struct.unpack_from(">H", p, pos)[0]
        if port >= 32768:
            new = 32768 + (port + k * 7) % 28000
            struct.pack_into(">H", p, pos, new)
            c = struct.unpack_from(">H", p, cpos)[0]
            if c:
                struct.pack_into(">H", p, cpos, csum_adjust(c, port, new))
    return bytes(p)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("inp")
    ap.add_argument("out")
    ap.add_argument("size_mb", type=int)
    ap.add_argument("--vary-ports", action="store_true")
    a = ap.parse_args()
    hdr, nsec, recs = read_pcap(a.inp)
    span = recs[-1][0] - recs[0][0] + 1_000_000
    target = a.size_mb * 1_000_000
    written, k = 24, 0
    with open(a.out, "wb") as f:
        f.write(hdr)
        while written < target:
            for ts, orig, pkt in recs:
                t = ts + k * span
                frac = t % 10**9 if nsec else (t % 10**9) // 1000
                if a.vary_ports:
                    pkt = vary_ports(pkt, k)
                f.write(struct.pack("<IIII", t // 10**9, frac, len(pkt), orig))
                f.write(pkt)
                written += 16 + len(pkt)
                if written >= target:
                    break
            k += 1
    print(f"{a.out}: {written} bytes, {k} copies of {len(recs)} records")


if __name__ == "__main__":
    main()
