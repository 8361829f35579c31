#!/usr/bin/python3
"""Write small hand-crafted capture files for ctana's tests.

Usage:
    /usr/bin/python3 tools/craft/make-crafted.py [-o OUTDIR] [--check]

Writes every file into OUTDIR (default: <repo>/testdata/crafted) and prints a
manifest (size, record offsets of the damaged files).  With --check it also
runs `tshark -r FILE` and `tcpdump -nr FILE` (TZ=UTC) on every file and prints
what they report.

Packets are built with scapy; the capture containers (pcap, pcapng) and all
deliberately broken bytes are written with `struct`, so the output is
byte-for-byte deterministic: fixed timestamps, fixed addresses/ids/sequence
numbers, and the only random bytes (garbage.bin) come from a fixed seed.

Needs Debian's python3-scapy (2.5).  Note: a pyenv `python3` earlier on PATH
does not see Debian's dist-packages, hence the /usr/bin/python3 shebang and
the fallback below.
"""

import argparse
import logging
import os
import random
import struct
import subprocess
import sys

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
try:
    import scapy  # noqa: F401
except ImportError:  # pyenv python: fall back to Debian's python3-scapy
    sys.path.append("/usr/lib/python3/dist-packages")
from scapy.layers.l2 import Ether, ARP, Dot1Q, Dot1AD  # noqa: E402
from scapy.layers.inet import (IP, TCP, UDP, ICMP,  # noqa: E402
                               IPOption_Router_Alert, IPOption_RR)
from scapy.layers.inet6 import (IPv6, IPv6ExtHdrHopByHop,  # noqa: E402
                                IPv6ExtHdrRouting, IPv6ExtHdrDestOpt,
                                IPv6ExtHdrFragment, ICMPv6EchoRequest,
                                ICMPv6ND_NS, ICMPv6NDOptSrcLLAddr,
                                ICMPv6DestUnreach, PadN, RouterAlert)
from scapy.layers.dns import DNS, DNSQR, DNSRR  # noqa: E402
from scapy.packet import Raw  # noqa: E402

# --------------------------------------------------------------------------
# constants

# 2024-01-02T03:04:05Z
T0_SEC = 1704164645
T0 = T0_SEC * 10**9          # all timestamps are kept in integer nanoseconds
MS = 10**6                   # one millisecond in ns

MAC_A = "02:00:00:00:00:0a"  # "our" host
MAC_B = "02:00:00:00:00:0b"  # gateway / peer
V4_A, V4_B = "192.0.2.10", "198.51.100.20"
V4_RTR = "203.0.113.1"
V6_A, V6_B = "2001:db8::a", "2001:db8:1::b"

LINKTYPE_NULL = 0
LINKTYPE_ETHERNET = 1
LINKTYPE_RAW = 101
LINKTYPE_LOOP = 108
LINKTYPE_USER0 = 147
LINKTYPE_IPV4 = 228
LINKTYPE_IPV6 = 229
LINKTYPE_LINUX_SLL2 = 276


# --------------------------------------------------------------------------
# container writers

class Rec:
    """One capture record: timestamp in ns, captured bytes, original length."""

    def __init__(self, ts_ns, data, origlen=None, ifid=0):
        self.ts = ts_ns
        self.data = bytes(data)
        self.origlen = len(self.data) if origlen is None else origlen
        self.ifid = ifid


def timed(frames, start=T0, step=MS):
    """Records at start, start+step, ... from frames (bytes or (bytes, origlen))."""
    out = []
    for i, f in enumerate(frames):
        if isinstance(f, tuple):
            out.append(Rec(start + i * step, f[0], f[1]))
        else:
            out.append(Rec(start + i * step, f))
    return out


def pcap_bytes(recs, linktype, snaplen=65535, endian="<", nano=False):
    """Classic pcap.  Returns (bytes, [offset of each record header])."""
    magic = 0xA1B23C4D if nano else 0xA1B2C3D4
    out = bytearray(struct.pack(endian + "IHHiIII", magic, 2, 4, 0, 0,
                                snaplen, linktype))
    offsets = []
    for r in recs:
        sec, frac = divmod(r.ts, 10**9)
        if not nano:
            frac //= 1000
        offsets.append(len(out))
        out += struct.pack(endian + "IIII", sec, frac, len(r.data), r.origlen)
        out += r.data
    return bytes(out), offsets


def pad4(b):
    return b + b"\0" * (-len(b) % 4)


def pcapng_option(code, value):
    return struct.pack("<HH", code, len(value)) + pad4(value)


def pcapng_block(btype, body):
    total = 12 + len(body)
    assert total % 4 == 0
    return struct.pack("<II", btype, total) + body + struct.pack("<I", total)


def pcapng_shb():
    body = struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)
    body += pcapng_option(4, b"ctana make-crafted.py")   # shb_userappl
    body += struct.pack("<HH", 0, 0)                       # opt_endofopt
    return pcapng_block(0x0A0D0D0A, body)


def pcapng_idb(linktype, snaplen=65535, tsresol=None, name=None):
    body = struct.pack("<HHI", linktype, 0, snaplen)
    opts = b""
    if name is not None:
        opts += pcapng_option(2, name.encode())            # if_name
    if tsresol is not None:
        opts += pcapng_option(9, bytes([tsresol]))         # if_tsresol
    if opts:
        opts += struct.pack("<HH", 0, 0)
    return pcapng_block(1, body + opts)


def pcapng_epb(rec, units_per_sec=10**6):
    ts = rec.ts * units_per_sec // 10**9
    body = struct.pack("<IIIII", rec.ifid, ts >> 32, ts & 0xFFFFFFFF,
                       len(rec.data), rec.origlen) + pad4(rec.data)
    return pcapng_block(6, body)


# --------------------------------------------------------------------------
# packet helpers

def inet_csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def patch(frame, off, new):
    frame = bytes(frame)
    return frame[:off] + new + frame[off + len(new):]


def ip4_fix_csum(frame, l3=14, hlen=None):
    """Recompute the IPv4 header checksum of the header at frame[l3:]."""
    frame = bytes(frame)
    if hlen is None:
        hlen = (frame[l3] & 0x0F) * 4
    hdr = bytearray(frame[l3:l3 + hlen])
    hdr[10:12] = b"\0\0"
    return patch(frame, l3 + 10, struct.pack("!H", inet_csum(bytes(hdr))))


def ip4_csum_ok(frame, l3=14):
    hlen = (frame[l3] & 0x0F) * 4
    return inet_csum(frame[l3:l3 + hlen]) == 0


def tcp4_raw(src, dst, sport, dport, seq, ack, flags, doff, opts=b"",
             payload=b"", window=64240, ip_id=0x0200):
    """IPv4+TCP built by hand (for illegal data offsets / option bytes).
    The TCP checksum is computed over the bytes actually present."""
    fl = {"S": 0x02, "A": 0x10, "P": 0x08, "F": 0x01, "R": 0x04}
    fbits = sum(fl[c] for c in flags)
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, doff << 4, fbits,
                      window, 0, 0) + opts + payload
    pseudo = (bytes(map(int, src.split("."))) + bytes(map(int, dst.split("."))) +
              struct.pack("!BBH", 0, 6, len(tcp)))
    tcp = patch(tcp, 16, struct.pack("!H", inet_csum(pseudo + tcp)))
    ip = IP(src=src, dst=dst, id=ip_id, ttl=64, proto=6) / Raw(tcp)
    return bytes(Ether(src=MAC_A, dst=MAC_B) / ip)


def eth(pkt, src=MAC_A, dst=MAC_B):
    return bytes(Ether(src=src, dst=dst) / pkt)


def ip4(ip_id, src=V4_A, dst=V4_B, **kw):
    return IP(src=src, dst=dst, id=ip_id, ttl=64, **kw)


def ip6(src=V6_A, dst=V6_B, **kw):
    return IPv6(src=src, dst=dst, hlim=64, **kw)


def dns_query(qid=0x1234, name="example.com"):
    return DNS(id=qid, rd=1, qd=DNSQR(qname=name, qtype="A"))


def syn4(ip_id=0x0101):
    return ip4(ip_id) / TCP(sport=40000, dport=80, flags="S", seq=0x10000000,
                            window=64240, options=[("MSS", 1460)])


def dns4(ip_id=0x0102):
    return ip4(ip_id) / UDP(sport=53000, dport=53) / dns_query()


def echo4(ip_id=0x0103):
    return ip4(ip_id) / ICMP(type=8, code=0, id=0x0001, seq=1) / \
        Raw(b"ctana-ping-0001!")


def syn6():
    return ip6() / TCP(sport=40001, dport=443, flags="S", seq=0x20000000,
                       window=64800, options=[("MSS", 1440)])


def dns6():
    return ip6() / UDP(sport=53001, dport=53) / dns_query(0x5678)


def echo6():
    return ip6() / ICMPv6EchoRequest(id=0x0002, seq=1, data=b"ctana-ping6-0001")


# --------------------------------------------------------------------------
# the files.  Each builder returns (bytes, notes-dict)

def f_linktype_null():
    # DLT_NULL: 4-byte AF in the *capturing host's* byte order.  The file is
    # little-endian, so the AF is little-endian too.  AF_INET6 differs
    # between BSDs: 24 (NetBSD/OpenBSD), 28 (FreeBSD), 30 (Darwin).
    pkts = [(2, syn4()), (2, dns4()), (2, echo4()),
            (24, syn6()), (28, dns6()), (30, echo6())]
    frames = [struct.pack("<I", af) + bytes(p) for af, p in pkts]
    return pcap_bytes(timed(frames), LINKTYPE_NULL)[0]


def f_linktype_loop():
    # DLT_LOOP (OpenBSD loopback): AF in network byte order.
    pkts = [(2, syn4()), (2, dns4()), (2, echo4()), (24, echo6())]
    frames = [struct.pack(">I", af) + bytes(p) for af, p in pkts]
    return pcap_bytes(timed(frames), LINKTYPE_LOOP)[0]


def f_linktype_raw():
    frames = [bytes(p) for p in (syn4(), syn6(), dns4(), dns6(), echo4(),
                                 echo6())]
    return pcap_bytes(timed(frames), LINKTYPE_RAW)[0]


def f_linktype_ipv4():
    frames = [bytes(p) for p in (syn4(), dns4(), echo4())]
    return pcap_bytes(timed(frames), LINKTYPE_IPV4)[0]


def f_linktype_ipv6():
    frames = [bytes(p) for p in (syn6(), dns6(), echo6())]
    return pcap_bytes(timed(frames), LINKTYPE_IPV6)[0]


def sll2(pkt, proto, pkttype, mac, ifindex=2, arphrd=1):
    addr = bytes(int(x, 16) for x in mac.split(":"))
    hdr = struct.pack(">HHIHBB8s", proto, 0, ifindex, arphrd, pkttype,
                      len(addr), addr)
    assert len(hdr) == 20
    return hdr + bytes(pkt)


def f_linktype_sll2():
    # packet type: 0 = PACKET_HOST (incoming, to us), 4 = PACKET_OUTGOING.
    # For outgoing packets the address is our own MAC, for incoming the
    # sender's MAC.
    resp = ip4(0x0901, src=V4_B, dst=V4_A) / UDP(sport=53, dport=53000) / \
        DNS(id=0x1234, qr=1, rd=1, ra=1, qd=DNSQR(qname="example.com"),
            an=DNSRR(rrname="example.com", type="A", ttl=300,
                     rdata="203.0.113.5"))
    frames = [sll2(syn4(), 0x0800, 4, MAC_A),     # outgoing
              sll2(dns4(), 0x0800, 4, MAC_A),     # outgoing
              sll2(resp, 0x0800, 0, MAC_B),       # incoming
              sll2(echo4(), 0x0800, 4, MAC_A)]    # outgoing
    return pcap_bytes(timed(frames), LINKTYPE_LINUX_SLL2)[0]


def f_linktype_unsupported():
    e = [eth(syn4()), eth(dns4()), eth(echo4())]
    user = [b"\xca\xfe\x00\x01" + b"USER0 opaque frame #1",
            b"\xca\xfe\x00\x02" + b"USER0 opaque frame #2 (longer)"]
    # interleaved: frame 1,3,5 on if 0 (Ethernet), frame 2,4 on if 1 (USER0)
    order = [(0, e[0]), (1, user[0]), (0, e[1]), (1, user[1]), (0, e[2])]
    out = pcapng_shb() + pcapng_idb(LINKTYPE_ETHERNET, name="eth0") + \
        pcapng_idb(LINKTYPE_USER0, name="user0")
    for i, (ifid, data) in enumerate(order):
        out += pcapng_epb(Rec(T0 + i * MS, data, ifid=ifid))
    return out


NS_TIMES = [T0 + 123456789, T0 + 123456789 + 1000000001,
            T0 + 123456789 + 1000000002]


def f_ns_resolution():
    frames = [eth(syn4()), eth(dns4()), eth(echo4())]
    out = pcapng_shb() + pcapng_idb(LINKTYPE_ETHERNET, name="eth0", tsresol=9)
    for t, f in zip(NS_TIMES, frames):
        out += pcapng_epb(Rec(t, f), units_per_sec=10**9)
    return out


def f_ns_magic():
    frames = [eth(syn4()), eth(dns4()), eth(echo4())]
    recs = [Rec(t, f) for t, f in zip(NS_TIMES, frames)]
    return pcap_bytes(recs, LINKTYPE_ETHERNET, nano=True)[0]


def f_big_endian():
    frames = [eth(syn4()), eth(dns4()), eth(echo4())]
    recs = [Rec(T0 + 123456000 + i * 1000001000, f)
            for i, f in enumerate(frames)]
    return pcap_bytes(recs, LINKTYPE_ETHERNET, endian=">")[0]


# ---- malformed content ----------------------------------------------------

def ip4_udp_base(ip_id):
    return eth(ip4(ip_id) / UDP(sport=50000, dport=9999) / Raw(b"ABCD"))


def f_ipv4_malformed():
    frames = []
    # 1: IHL = 4 (< 5).  checksum computed over the 16 bytes the IHL claims.
    f = patch(ip4_udp_base(0x0401), 14, b"\x44")
    frames.append(ip4_fix_csum(f, hlen=16))
    # 2: IHL = 15 (60-byte header) but only 32 IP bytes exist (total length
    #    32, which also makes total length < IHL*4).
    f = patch(ip4_udp_base(0x0402), 14, b"\x4f")
    frames.append(ip4_fix_csum(f, hlen=20))
    # 3: total length 16 < IHL*4 = 20 (frame still carries all 32 bytes)
    f = patch(ip4_udp_base(0x0403), 16, struct.pack("!H", 16))
    frames.append(ip4_fix_csum(f))
    # 4: total length 200 > 32 IP bytes in the frame; caplen == origlen
    f = patch(ip4_udp_base(0x0404), 16, struct.pack("!H", 200))
    frames.append(ip4_fix_csum(f))
    # 5: bad header checksum, everything else fine
    f = ip4_udp_base(0x0405)
    bad = patch(f, 24, b"\xba\xd0")
    assert bad != f and not ip4_csum_ok(bad)
    frames.append(bad)
    # 6: valid options: Router Alert (4) + Record Route (11, 2 empty slots)
    #    + 1 byte EOL padding -> IHL 9.  Fine packet.
    f = eth(ip4(0x0406, options=[IPOption_Router_Alert(),
                                 IPOption_RR(pointer=4,
                                             routers=["0.0.0.0", "0.0.0.0"])])
            / UDP(sport=50000, dport=9999) / Raw(b"ABCD"))
    assert f[14] == 0x49 and ip4_csum_ok(f)
    frames.append(f)
    # 7: version nibble 6 in an Ethertype 0x0800 frame (checksum fixed)
    f = patch(ip4_udp_base(0x0407), 14, b"\x65")
    frames.append(ip4_fix_csum(f, hlen=20))
    return pcap_bytes(timed(frames), LINKTYPE_ETHERNET)[0]


def f_ipv4_fragments():
    payload = b"ctana fragment test: forty bytes long!!!"
    assert len(payload) == 40
    full = bytes(IP(src=V4_A, dst=V4_B, proto=17) /
                 UDP(sport=5000, dport=6000) / Raw(payload))
    udp = full[20:]                  # 48 bytes, checksum over the whole thing
    assert len(udp) == 48
    frames = [
        eth(ip4(0x2222, proto=17, flags="MF", frag=0) / Raw(udp[0:16])),
        eth(ip4(0x2222, proto=17, flags="MF", frag=2) / Raw(udp[16:32])),
        eth(ip4(0x2222, proto=17, flags=0, frag=4) / Raw(udp[32:48])),
        # lone middle fragment: id 0x3333, offset 24 bytes, MF, no first frag
        eth(ip4(0x3333, proto=17, flags="MF", frag=3) /
            Raw(b"orphan middle frag")),
    ]
    return pcap_bytes(timed(frames), LINKTYPE_ETHERNET)[0]


def f_ipv6_ext():
    frames = []
    # 1: HBH (Router Alert + pad) / Routing type 0, segleft 0 / DestOpt / TCP
    p = (ip6() / IPv6ExtHdrHopByHop(options=[RouterAlert(value=0), PadN()]) /
         IPv6ExtHdrRouting(type=0, segleft=0, addresses=["2001:db8:ffff::1"]) /
         IPv6ExtHdrDestOpt(options=[PadN(optdata=b"\0\0\0\0")]) /
         TCP(sport=40002, dport=22, flags="S", seq=0x30000000,
             window=64800, options=[("MSS", 1440)]))
    frames.append(eth(p))
    # 2,3: UDP datagram (64 bytes) split in two IPv6 fragments of 32 bytes
    full = bytes(ip6() / UDP(sport=5001, dport=6001) /
                 Raw(b"ipv6 fragment test payload: 56 bytes long".ljust(56, b".")))
    udp = full[40:]
    assert len(udp) == 64, len(udp)
    frames.append(eth(ip6() / IPv6ExtHdrFragment(nh=17, offset=0, m=1,
                                                 id=0xC7A0A001) /
                      Raw(udp[:32])))
    frames.append(eth(ip6() / IPv6ExtHdrFragment(nh=17, offset=4, m=0,
                                                 id=0xC7A0A001) /
                      Raw(udp[32:])))
    # 4: chain truncated mid-header: HBH (8 bytes, next=60) then a DestOpt
    #    header claiming hdr-ext-len 2 (24 bytes) of which only 6 bytes
    #    exist.  Payload length = 14 = what is in the frame; caplen==origlen.
    hbh = bytes([60, 0, 1, 4, 0, 0, 0, 0])           # next=DestOpt, PadN(4)
    dst_part = bytes([6, 2, 1, 4, 0, 0])             # next=TCP, len 2 ... cut
    p = ip6(nh=0, plen=14) / Raw(hbh + dst_part)
    frames.append(eth(p))
    # 5: payload length 1000, but only 20 bytes (UDP hdr + 12) follow
    f = eth(ip6() / UDP(sport=5002, dport=6002) / Raw(b"short body!!"))
    frames.append(patch(f, 14 + 4, struct.pack("!H", 1000)))
    return pcap_bytes(timed(frames), LINKTYPE_ETHERNET)[0]


def f_tcp_options():
    frames = []
    # 1: SYN  MSS 1460, SACK-permitted, Timestamps, NOP, WScale 7 (Linux order)
    frames.append(eth(ip4(0x0501) / TCP(
        sport=40000, dport=80, flags="S", seq=0x10000000, window=64240,
        options=[("MSS", 1460), ("SAckOK", b""), ("Timestamp", (1000, 0)),
                 ("NOP", None), ("WScale", 7)])))
    # 2: ACK with NOP NOP TS + NOP NOP SACK(3 blocks) = 40 bytes of options
    frames.append(eth(ip4(0x0502) / TCP(
        sport=40000, dport=80, flags="A", seq=0x10000001, ack=0x50000001,
        window=502,
        options=[("NOP", None), ("NOP", None), ("Timestamp", (1010, 2000)),
                 ("NOP", None), ("NOP", None),
                 ("SAck", (0x50001001, 0x50001101, 0x50002001, 0x50002101,
                           0x50003001, 0x50003101))])))
    # 3: data offset 4 (< 5); the 20 header bytes are present
    frames.append(tcp4_raw(V4_A, V4_B, 40003, 80, 0x13000001, 0x53000001,
                           "A", 4, ip_id=0x0503))
    # 4: data offset 15 (60 bytes) but only a 20-byte TCP header exists
    frames.append(tcp4_raw(V4_A, V4_B, 40004, 80, 0x14000001, 0x54000001,
                           "A", 15, ip_id=0x0504))
    # 5: option with length byte 0 (MSS kind 2, len 0) -> infinite-loop trap
    frames.append(tcp4_raw(V4_A, V4_B, 40005, 80, 0x15000000, 0, "S", 6,
                           opts=b"\x02\x00\x05\xb4", ip_id=0x0505))
    # 6: option with length byte 1 (WScale kind 3, len 1)
    frames.append(tcp4_raw(V4_A, V4_B, 40006, 80, 0x16000000, 0, "S", 6,
                           opts=b"\x03\x01\x07\x00", ip_id=0x0506))
    # 7: Timestamp option (len 10) starting at option byte 2 of an 8-byte
    #    option area -> runs 4 bytes past the header (into the payload)
    frames.append(tcp4_raw(V4_A, V4_B, 40007, 80, 0x17000001, 0x57000001,
                           "PA", 7, opts=b"\x01\x01\x08\x0a\x00\x00\x03\xf2",
                           payload=b"hello, world", ip_id=0x0507))
    # 8: snaplen truncation: TCP header cut after 12 bytes, caplen < origlen
    full = eth(ip4(0x0508) / TCP(
        sport=40008, dport=80, flags="PA", seq=0x18000001, ack=0x58000001,
        window=502, options=[("NOP", None), ("NOP", None),
                             ("Timestamp", (1020, 2010))]) /
        Raw(b"x" * 100))
    cut = 14 + 20 + 12
    frames.append((full[:cut], len(full)))
    return pcap_bytes(timed(frames), LINKTYPE_ETHERNET)[0]


def f_udp_icmp():
    frames = []
    q = ip4(0x0601) / UDP(sport=53000, dport=53) / dns_query()
    good = eth(q)
    frames.append(good)                                          # 1
    csum = struct.unpack("!H", good[40:42])[0]
    wrong = (csum + 0x0101) & 0xFFFF
    frames.append(patch(eth(ip4(0x0602) / UDP(sport=53000, dport=53) /
                            dns_query()), 40, struct.pack("!H", wrong)))  # 2
    frames.append(eth(ip4(0x0603) / UDP(sport=53000, dport=53, chksum=0) /
                      dns_query()))                              # 3
    frames.append(eth(ip4(0x0604) / UDP(sport=50000, dport=9999, len=4) /
                      Raw(b"twelve bytes")))                     # 4
    frames.append(eth(ip4(0x0605) / UDP(sport=50000, dport=9999, len=200) /
                      Raw(b"twelve bytes")))                     # 5
    frames.append(eth(echo4(0x0606)))                            # 6
    frames.append(eth(ip4(0x0607, src=V4_B, dst=V4_A) /
                      ICMP(type=0, code=0, id=0x0001, seq=1) /
                      Raw(b"ctana-ping-0001!"), src=MAC_B, dst=MAC_A))  # 7
    # 8: port unreachable from B quoting A's DNS query: IP hdr + 8 bytes UDP
    quoted = bytes(q)[:28]
    frames.append(eth(ip4(0x0608, src=V4_B, dst=V4_A) /
                      ICMP(type=3, code=3) / Raw(quoted),
                      src=MAC_B, dst=MAC_A))
    # 9: time exceeded from a router quoting IP hdr + first 8 bytes of TCP
    quoted = bytes(syn4(0x0609))[:28]
    frames.append(eth(ip4(0x060A, src=V4_RTR, dst=V4_A) /
                      ICMP(type=11, code=0) / Raw(quoted),
                      src=MAC_B, dst=MAC_A))
    # 10: ICMPv6 echo request
    frames.append(eth(echo6()))
    # 11: neighbour solicitation for V6_B's gateway fe80::b
    frames.append(eth(IPv6(src="fe80::a", dst="ff02::1:ff00:b", hlim=255) /
                      ICMPv6ND_NS(tgt="fe80::b") /
                      ICMPv6NDOptSrcLLAddr(lladdr=MAC_A),
                      dst="33:33:ff:00:00:0b"))
    # 12: ICMPv6 dest unreachable / port unreachable (code 4) quoting the
    #     whole original IPv6+UDP(DNS) packet
    orig = bytes(dns6())
    frames.append(eth(IPv6(src=V6_B, dst=V6_A, hlim=64) /
                      ICMPv6DestUnreach(code=4) / Raw(orig),
                      src=MAC_B, dst=MAC_A))
    # 13: ICMP of 2 bytes (type 8, code 0, no checksum); IP total length 22;
    #     caplen == origlen -> malformed, not snaplen-truncated
    frames.append(eth(ip4(0x060D, proto=1) / Raw(b"\x08\x00")))
    return pcap_bytes(timed(frames), LINKTYPE_ETHERNET)[0]


def f_snaplen_64():
    frames = []
    for i in range(5):
        full = eth(ip4(0x0700 + i) / TCP(
            sport=40000, dport=80, flags="PA", seq=0x10000001 + 100 * i,
            ack=0x50000001, window=502) /
            Raw(bytes([0x41 + i]) * 100))
        assert len(full) == 154
        frames.append((full[:64], len(full)))
    return pcap_bytes(timed(frames), LINKTYPE_ETHERNET, snaplen=64)[0]


def lldp_frame():
    def tlv(t, v):
        return struct.pack("!H", (t << 9) | len(v)) + v
    mac = bytes(int(x, 16) for x in MAC_A.split(":"))
    body = (tlv(1, b"\x04" + mac) + tlv(2, b"\x05eth0") +
            tlv(3, struct.pack("!H", 120)) + tlv(5, b"ctana-sw1") + tlv(0, b""))
    return bytes(Ether(src=MAC_A, dst="01:80:c2:00:00:0e", type=0x88CC) /
                 Raw(body))


def f_vlan_qinq():
    frames = [
        # 1: 802.1Q VID 100 / IPv4 UDP DNS
        bytes(Ether(src=MAC_A, dst=MAC_B, type=0x8100) /
              Dot1Q(vlan=100, type=0x0800) / dns4()),
        # 2: 802.1ad S-tag VID 200 / 802.1Q C-tag VID 100 / IPv4 TCP SYN
        bytes(Ether(src=MAC_A, dst=MAC_B, type=0x88A8) /
              Dot1AD(vlan=200, type=0x8100) / Dot1Q(vlan=100, type=0x0800) /
              syn4()),
        # 3: 0x9100 VID 300 / 0x8100 VID 200 / 0x8100 VID 100 / IPv4 ICMP echo
        bytes(Ether(src=MAC_A, dst=MAC_B, type=0x9100) /
              Dot1Q(vlan=300, type=0x8100) / Dot1Q(vlan=200, type=0x8100) /
              Dot1Q(vlan=100, type=0x0800) / echo4()),
        # 4: ARP who-has 192.0.2.1 tell 192.0.2.10 (untagged, broadcast)
        bytes(Ether(src=MAC_A, dst="ff:ff:ff:ff:ff:ff") /
              ARP(op=1, hwsrc=MAC_A, psrc=V4_A, hwdst="00:00:00:00:00:00",
                  pdst="192.0.2.1")),
        # 5: LLDP
        lldp_frame(),
    ]
    return pcap_bytes(timed(frames), LINKTYPE_ETHERNET)[0]


# ---- damaged files --------------------------------------------------------

def ten_packets():
    resp = ip4(0x0802, src=V4_B, dst=V4_A) / TCP(
        sport=80, dport=40000, flags="SA", seq=0x50000000, ack=0x10000001,
        window=65160, options=[("MSS", 1460)])
    ack = ip4(0x0803) / TCP(sport=40000, dport=80, flags="A", seq=0x10000001,
                            ack=0x50000001, window=502)
    dnsr = ip4(0x0805, src=V4_B, dst=V4_A) / UDP(sport=53, dport=53000) / \
        DNS(id=0x1234, qr=1, rd=1, ra=1, qd=DNSQR(qname="example.com"),
            an=DNSRR(rrname="example.com", type="A", ttl=300,
                     rdata="203.0.113.5"))
    data = ip4(0x0807) / TCP(sport=40000, dport=80, flags="PA",
                             seq=0x10000001, ack=0x50000001, window=502) / \
        Raw(b"GET / HTTP/1.1\r\nHost: example.com\r\n" + b"X" * 165 +
            b"\r\n\r\n")
    ack2 = ip4(0x0808, src=V4_B, dst=V4_A) / TCP(
        sport=80, dport=40000, flags="A", seq=0x50000001,
        ack=0x10000001 + 204, window=509)
    reply = ip4(0x0809, src=V4_B, dst=V4_A) / ICMP(type=0, id=1, seq=1) / \
        Raw(b"ctana-ping-0001!")
    fin = ip4(0x080A) / TCP(sport=40000, dport=80, flags="FA",
                            seq=0x10000001 + 204, ack=0x50000001, window=502)
    pk = [syn4(0x0801), resp, ack, dns4(0x0804), dnsr, echo4(0x0806), data,
          ack2, reply, fin]
    frames = []
    for p in pk:
        inbound = p[IP].src == V4_B
        frames.append(eth(p, src=MAC_B if inbound else MAC_A,
                          dst=MAC_A if inbound else MAC_B))
    assert len(frames[6]) == 14 + 20 + 20 + 204
    return pcap_bytes(timed(frames), LINKTYPE_ETHERNET)


def f_cut_mid_record(info):
    full, offs = ten_packets()
    r7 = offs[6]
    caplen7 = struct.unpack("<I", full[r7 + 8:r7 + 12])[0]
    cut = r7 + 16 + caplen7 // 2
    info.update(record7_offset=r7, record7_data_offset=r7 + 16,
                record7_caplen=caplen7, cut_at=cut, untruncated_len=len(full),
                record_offsets=offs)
    return full[:cut]


def f_cut_mid_header(info):
    full, offs = ten_packets()
    r7 = offs[6]
    cut = r7 + 8
    info.update(record7_offset=r7, cut_at=cut, untruncated_len=len(full))
    return full[:cut]


def f_absurd_caplen(info):
    full, offs = ten_packets()
    good = full[:offs[4]]                         # header + records 1..4
    bad_hdr = struct.pack("<IIII", T0_SEC + 1, 0, 0x7FFFFFFF, 0x7FFFFFFF)
    rest = full[offs[4] + 16:offs[6]]             # data of rec 5, hdr+data 6
    info.update(bad_record_offset=len(good),
                bad_caplen_field_offset=len(good) + 8,
                bytes_after_bad_header=len(rest))
    return good + bad_hdr + rest


def f_pcapng_bad_block(info):
    frames = ten_packets_frames()[:6]
    out = bytearray(pcapng_shb() + pcapng_idb(LINKTYPE_ETHERNET, name="eth0"))
    offs = []
    for i, f in enumerate(frames):
        offs.append(len(out))
        out += pcapng_epb(Rec(T0 + i * MS, f))
    b4 = offs[3]
    real = struct.unpack("<I", out[b4 + 4:b4 + 8])[0]
    # leading Block Total Length of the 4th EPB -> 7: smaller than the 12-byte
    # minimum of any block (32 for an EPB) and not a multiple of 4.  The
    # trailing copy keeps the real value, so they also disagree.
    out[b4 + 4:b4 + 8] = struct.pack("<I", 7)
    info.update(epb_offsets=offs, bad_block_offset=b4,
                bad_length_field_offset=b4 + 4, real_length=real,
                trailing_length_offset=b4 + real - 4, file_len=len(out))
    return bytes(out)


_TEN = None


def ten_packets_frames():
    global _TEN
    if _TEN is None:
        full, offs = ten_packets()
        ends = offs[1:] + [len(full)]
        _TEN = [full[o + 16:e] for o, e in zip(offs, ends)]
    return _TEN


def f_header_only():
    return pcap_bytes([], LINKTYPE_ETHERNET)[0]


NOT_A_TRACE = """\
This is not a packet capture.
It is a plain text file that ctana must reject with a clear error
("unknown file format" or similar), without crashing.

GET / HTTP/1.1
Host: example.com
"""


def f_garbage():
    data = random.Random(0x63746E61).randbytes(4096)   # seed "ctna"
    return data


# --------------------------------------------------------------------------

FILES = [
    ("linktype-null.pcap", f_linktype_null),
    ("linktype-loop.pcap", f_linktype_loop),
    ("linktype-raw.pcap", f_linktype_raw),
    ("linktype-ipv4.pcap", f_linktype_ipv4),
    ("linktype-ipv6.pcap", f_linktype_ipv6),
    ("linktype-sll2.pcap", f_linktype_sll2),
    ("linktype-unsupported.pcapng", f_linktype_unsupported),
    ("ns-resolution.pcapng", f_ns_resolution),
    ("ns-magic.pcap", f_ns_magic),
    ("big-endian.pcap", f_big_endian),
    ("ipv4-malformed.pcap", f_ipv4_malformed),
    ("ipv4-fragments.pcap", f_ipv4_fragments),
    ("ipv6-ext.pcap", f_ipv6_ext),
    ("tcp-options.pcap", f_tcp_options),
    ("udp-icmp.pcap", f_udp_icmp),
    ("snaplen-64.pcap", f_snaplen_64),
    ("vlan-qinq-crafted.pcap", f_vlan_qinq),
    ("cut-mid-record.pcap", f_cut_mid_record),
    ("cut-mid-header.pcap", f_cut_mid_header),
    ("absurd-caplen.pcap", f_absurd_caplen),
    ("pcapng-bad-block.pcapng", f_pcapng_bad_block),
    ("empty.pcap", lambda: b""),
    ("header-only.pcap", f_header_only),
    ("not-a-trace.txt", lambda: NOT_A_TRACE.encode()),
    ("garbage.bin", f_garbage),
]


def run(cmd):
    env = dict(os.environ, TZ="UTC", LC_ALL="C")
    p = subprocess.run(cmd, capture_output=True, env=env)
    return p.returncode, p.stdout.decode(errors="replace"), \
        p.stderr.decode(errors="replace")


def check(outdir):
    for name, _ in FILES:
        path = os.path.join(outdir, name)
        print("=" * 72)
        print(name)
        rc, out, err = run(["tshark", "-r", path])
        err = "\n".join(l for l in err.splitlines()
                        if "Running as user" not in l)
        print("--- tshark -r: %d lines, exit %d" % (len(out.splitlines()), rc))
        print(out + ("stderr: " + err if err.strip() else ""))
        rc, out, err = run(["tcpdump", "-nr", path])
        print("--- tcpdump -nr: %d lines, exit %d" % (len(out.splitlines()),
                                                     rc))
        print(out + ("stderr: " + err if err.strip() else ""))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-o", "--outdir",
                    default=os.path.join(here, "..", "..", "testdata",
                                         "crafted"))
    ap.add_argument("--check", action="store_true",
                    help="run tshark and tcpdump over the written files")
    args = ap.parse_args()
    outdir = os.path.normpath(args.outdir)
    os.makedirs(outdir, exist_ok=True)
    for name, fn in FILES:
        info = {}
        data = fn(info) if fn.__code__.co_argcount == 1 else fn()
        with open(os.path.join(outdir, name), "wb") as fh:
            fh.write(data)
        extra = "  " + " ".join("%s=%s" % kv for kv in info.items()) \
            if info else ""
        print("%-30s %6d bytes%s" % (name, len(data), extra))
    if args.check:
        check(outdir)


if __name__ == "__main__":
    main()
