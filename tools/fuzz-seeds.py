#!/usr/bin/env python3
"""Seed corpora for the libFuzzer targets in fuzz/, made from the traces in testdata/.

    tools/fuzz-seeds.py OUTDIR      writes OUTDIR/<target>/<n> for every target

The trace targets (trace, pcap, pcapng, ctrace) get the files themselves, the terse target
the TERSE files of testdata/terse (whole, and as code streams behind a made header); the decoder targets
get the layer they fuzz, cut out of the real packets and framed as fuzz_util.hpp's chunks
(flags byte, 16-bit big-endian length, bytes): IP packets, TCP segments, UDP datagrams, ICMP
messages, tunnel payloads (fuzz_tunnel: what GRE, IP-in-IP, VXLAN, Geneve, Teredo carry), DNS / DHCP messages, FTP and TLS stream data by direction, CTRACE entry bodies.
"""
import pathlib
import struct
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
TESTDATA = ROOT / "testdata"
MAX_SEED = 64 * 1024   # the trace targets' -max_len (tools/fuzz.sh)
GROUP = 8              # chunks (packets, messages, stream pieces) per decoder seed


def chunk(flags, data):
    data = data[:0xFFFF]
    return bytes([flags & 0xFF]) + struct.pack(">H", len(data)) + data


def pcap_records(b):
    """(link type, bytes) of each record of a pcap or pcapng file; [] if it is neither."""
    out = []
    if len(b) >= 24 and b[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1", b"\x34\xcd\xb2\xa1",
                                  b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d", b"\xa1\xb2\xcd\x34"):
        e = "<" if b[0] in (0xD4, 0x4D, 0x34) else ">"
        hl = 24 if b[:4] in (b"\x34\xcd\xb2\xa1", b"\xa1\xb2\xcd\x34") else 16
        link = struct.unpack(e + "I", b[20:24])[0] & 0xFFFF
        p = 24
        while p + hl <= len(b):
            incl = struct.unpack(e + "I", b[p + 8:p + 12])[0]
            if incl > 262144 or p + hl + incl > len(b):
                break
            out.append((link, b[p + hl:p + hl + incl]))
            p += hl + incl
    elif len(b) >= 12 and b[:4] == b"\x0a\x0d\x0d\x0a":
        e, p, links = "<", 0, []
        while p + 12 <= len(b):
            if b[p:p + 4] == b"\x0a\x0d\x0d\x0a":
                e = "<" if b[p + 8:p + 12] == b"\x4d\x3c\x2b\x1a" else ">"
                links = []
            t, n = struct.unpack(e + "II", b[p:p + 8])
            if n < 12 or p + n > len(b):
                break
            body = b[p + 8:p + n - 4]
            if t == 1 and len(body) >= 2:
                links.append(struct.unpack(e + "H", body[:2])[0])
            elif t == 6 and len(body) >= 20:
                ifid, _, _, cap = struct.unpack(e + "IIII", body[:16])
                if ifid < len(links):
                    out.append((links[ifid], body[20:20 + cap]))
            p += n
    return out


def ip_of(link, f):
    """The IP packet inside a frame of this link type, or None."""
    if link == 1:
        o, et = 12, None
        while o + 2 <= len(f):
            et = struct.unpack(">H", f[o:o + 2])[0]
            if et in (0x8100, 0x88A8, 0x9100):
                o += 4
                continue
            o += 2
            break
        return f[o:] if et in (0x0800, 0x86DD) else None
    if link == 113:
        return f[16:] if f[14:16] in (b"\x08\x00", b"\x86\xdd") else None
    if link == 276:
        return f[20:] if f[0:2] in (b"\x08\x00", b"\x86\xdd") else None
    if link in (0, 108):
        return f[4:]
    if link in (101, 228, 229):
        return f
    return None


def transport_of(ip):
    """(version, protocol, source, destination, transport bytes) or None."""
    if len(ip) >= 20 and ip[0] >> 4 == 4:
        hl = (ip[0] & 15) * 4
        if hl < 20 or struct.unpack(">H", ip[6:8])[0] & 0x1FFF:
            return None
        total = struct.unpack(">H", ip[2:4])[0] or len(ip)
        return 4, ip[9], ip[12:16], ip[16:20], ip[hl:total]
    if len(ip) >= 40 and ip[0] >> 4 == 6:
        nh, o = ip[6], 40
        while nh in (0, 43, 60) and o + 8 <= len(ip):
            nh, o = ip[o], o + (ip[o + 1] + 1) * 8
        return 6, nh, ip[8:24], ip[24:40], ip[o:40 + struct.unpack(">H", ip[4:6])[0]]
    return None


class Corpus:
    def __init__(self, out):
        self.out = pathlib.Path(out)
        self.n = {}

    def add_groups(self, target, prefix, chunks, limit=8):
        """Seeds of GROUP consecutive chunks each, behind `prefix`: small inputs run fast."""
        for i in range(0, min(len(chunks), GROUP * limit), GROUP):
            self.add(target, prefix + b"".join(chunks[i:i + GROUP]))

    def add(self, target, data):
        if not data:
            return
        d = self.out / target
        d.mkdir(parents=True, exist_ok=True)
        i = self.n.get(target, 0)
        self.n[target] = i + 1
        (d / f"seed-{i:04d}").write_bytes(data[:MAX_SEED])


def ctrace_bodies(b):
    """(format id, body) of the entries of a raw-form CTRACE file written by ctana."""
    p = 0
    while p + 18 <= len(b):
        n = struct.unpack(">H", b[p:p + 2])[0]
        if n == 0:
            p += 2
            continue
        if n < 18 or p + n > len(b) or b[p + 2:p + 4] != b"\x00\x10":
            p += 1
            continue
        yield struct.unpack(">I", b[p + 4:p + 8])[0], b[p + 16:p + n - 2]
        p += n


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    c = Corpus(sys.argv[1])
    traces = sorted(p for p in TESTDATA.rglob("*") if p.is_file() and p.suffix in (".pcap", ".pcapng", ".ctrace"))
    link_index = {1: 0, 101: 1, 228: 2, 229: 3, 113: 4, 276: 5, 0: 6, 108: 7}  # fuzz_packet's kLinks
    ctrace_formats = [4, 5, 6, 7, 8, 1, 3, 0x01000001, 0x02000003, 0x03030000, 0x0300FFF1, 0x04010006,
                      0x04130002, 0xFF000001]  # fuzz_ctrace.cpp's kFormats
    for path in traces:
        b = path.read_bytes()
        if len(b) <= MAX_SEED:
            c.add("trace", b)
        if path.suffix == ".ctrace":
            c.add("ctrace", b"\x00" + b)
            if "raw" in path.name or "tv1" in path.name:
                s = b"\x01\x00" + b"".join(chunk(ctrace_formats.index(f) if f in ctrace_formats else 0, body)
                                           for f, body in ctrace_bodies(b))
                c.add("ctrace", s)
            continue
        c.add("pcapng" if b[:4] == b"\x0a\x0d\x0d\x0a" else "pcap", b)
        recs = pcap_records(b)
        ips = {4: [], 6: []}
        l4 = {(v, p): [] for v in (4, 6) for p in (1, 6, 17, 58)}
        dns, dhcp, ftp, tls, http, tn3270, tunnel = [], [], [], [], [], [], {4: [], 6: []}
        for n, (link, frame) in enumerate(recs):
            if n < 8 and link in link_index:
                c.add("packet", bytes([link_index[link], 0]) + frame)
            ip = ip_of(link, frame)
            t = transport_of(ip) if ip else None
            if not t:
                continue
            v, proto, src, dst, seg = t
            back = src > dst
            ips[v].append(chunk(0, ip))
            if (v, proto) in l4:
                l4[(v, proto)].append(chunk(1 if back else 0, seg))
            if proto in (47, 4, 41):  # fuzz_layer.cpp's tunnel kinds 0-2
                tunnel[v].append(chunk((1 if back else 0) | ((47, 4, 41).index(proto) << 2), seg))
            if proto == 17 and len(seg) >= 8 and struct.unpack(">H", seg[2:4])[0] in (4789, 6081, 3544):
                kind = 3 + (4789, 6081, 3544).index(struct.unpack(">H", seg[2:4])[0])
                tunnel[v].append(chunk((1 if back else 0) | (kind << 2), seg[8:]))
            elif proto == 17 and len(seg) >= 8 and struct.unpack(">H", seg[:2])[0] == 3544:
                tunnel[v].append(chunk((1 if back else 0) | (5 << 2), seg[8:]))
            if proto == 17 and len(seg) >= 8:
                sp, dp = struct.unpack(">HH", seg[:4])
                if 53 in (sp, dp):
                    dns.append(chunk(1 if sp == 53 else 0, seg[8:]))
                if {sp, dp} & {67, 68}:
                    dhcp.append(chunk(1 if sp == 67 else 0, seg[8:]))
            if proto == 6 and len(seg) >= 20:
                sp, dp = struct.unpack(">HH", seg[:4])
                data = seg[(seg[12] >> 4) * 4:]
                if not data:
                    continue
                if 53 in (sp, dp):
                    dns.append(chunk(2 | (1 if sp == 53 else 0), data))
                if 21 in (sp, dp):
                    ftp.append(chunk(1 if sp == 21 else 0, data))
                if {sp, dp} & {80, 8080} or data[:5] in (b"GET /", b"POST ", b"HEAD ", b"HTTP/"):
                    http.append(chunk(1 if sp in (80, 8080) else 0, data))
                if {sp, dp} & {23, 3270} or data[:1] == b"\xff":
                    tn3270.append(chunk(1 if sp in (23, 3270) else 0, data))
                if data[:1] in (b"\x14", b"\x15", b"\x16", b"\x17") and data[1:2] == b"\x03":
                    tls.append(chunk(1 if sp < dp else 0, data))
        for v in (4, 6):
            c.add_groups(f"ipv{v}", b"", ips[v])
            for proto, name in ((6, "tcp"), (17, "udp"), (1 if v == 4 else 58, "icmp")):
                c.add_groups(name, bytes([v == 6]), l4[(v, proto)])
            c.add_groups("tunnel", bytes([v == 6]), tunnel[v])
        for name, chunks in (("dns", dns), ("dhcp", dhcp), ("ftp", ftp), ("tls", tls), ("http", http),
                               ("tn3270", tn3270)):
            c.add_groups(name, b"" if name == "dhcp" else b"\x00", chunks, limit=16)
        if path.parent.name == "real":
            c.add_groups("ctrace", b"\x02\x00\x00\x00", ips[4], limit=2)
            c.add_groups("ctrace", b"\x02\x05\x01\x00", ips[4], limit=2)  # RDW, 1 KB buffers, segmented
    for path in sorted((TESTDATA / "terse").rglob("*")):
        b = path.read_bytes() if path.is_file() else b""
        if len(b) < 12 or b[0] not in (2, 5) or len(b) > MAX_SEED:
            continue
        c.add("trace", b)
        c.add("terse", b"\x00" + b)  # fuzz_terse.cpp: the file as it is
        # a made header of the same kind (PACK/SPACK, F/V), LRECL byte, then the codes; text output
        mode = 1 | (4 if b[0] == 5 else 0) | (8 if b[1] == 1 else 0)
        c.add("terse", bytes([mode, 80]) + b[12:])
        c.add("terse", bytes([mode | 0x20 | 0x80, 80]) + b[12:])
    for t, n in sorted(c.n.items()):
        print(f"{t}: {n} seeds")


if __name__ == "__main__":
    main()
