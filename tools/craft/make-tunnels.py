#!/usr/bin/python3
"""Write testdata/crafted/tunnels.pcap and testdata/crafted/teredo.pcap: tunnel cases for the
tunnel decoders (docs/decoding.md "Tunnels") that the kernel of the capture machine could not make
(tools/capture/make-tunnels.sh makes the real ones it can), built with scapy, deterministic.

Usage:  /usr/bin/python3 tools/craft/make-tunnels.py [-o DIR]

tunnels.pcap (Ethernet; outer 192.0.2.10 <-> 198.51.100.20 or 2001:db8::a <-> 2001:db8:1::b;
inner 10.1.0.1 <-> 10.1.0.2 and fd00:1::1 <-> fd00:1::2; frame n at T0 + n ms):
  1-2    GRE, key 1001 and sequence numbers 1, 2: ICMP echo request and reply
  3-5    GRE, key 1001, sequence 3-5: TCP SYN, SYN-ACK, ACK (10.1.0.1:40000 -> 10.1.0.2:80)
  6-7    GRE with the checksum present, no key: DNS query and response (UDP 53)
  8-9    IP-in-IP 4in4 (protocol 4): ICMP echo request and reply
  10-11  6in4 (protocol 41 in IPv4): ICMPv6 echo request and reply
  12-13  4in6 (next header 4 in IPv6): DNS query and response
  14-15  6in6 (next header 41 in IPv6): TCP SYN and RST
  16     GRE over IPv6, key 7: ICMPv6 echo request
  17-18  Geneve VNI 43 with an 8-byte option, Ethernet inside: ICMP echo request and reply
  19     Geneve VNI 44, protocol type IPv4 (no Ethernet): DNS query
  20     GRE ERSPAN type II (0x88BE, sequence 1): opaque
  21     GRE ERSPAN type III (0x22EB): opaque
  22     five IP-in-IP headers around an ICMP echo request: deeper than ctana follows (4)
  23     GRE header cut after 2 bytes (the IPv4 length says so): malformed
  24     GRE version 1 (PPTP, RFC 2637), call id 5: PPP inside, opaque
teredo.pcap (Teredo, UDP 3544; client 192.0.2.10:40001, server 198.51.100.20:3544):
  1      Router Solicitation fe80::8000:ffff:ffff:fffe -> ff02::2, with an authentication indicator
  2      Router Advertisement back (prefix 2001::/32), with an origin indication
  3      a bubble (IPv6, no next header) with an origin indication
  4-5    ICMPv6 echo request and reply 2001:0:c633:6414::1 <-> 2001:db8:1::b (no indicators)
  6      a UDP datagram to port 3544 that holds no IPv6 packet (not Teredo: stays UDP)
"""
import argparse
import pathlib
import struct
import sys

sys.path.append("/usr/lib/python3/dist-packages")
from scapy.all import (ARP, DNS, DNSQR, DNSRR, GRE, ICMP, IP, UDP, TCP, Ether, IPv6, ICMPv6EchoRequest,  # noqa: E402
                       ICMPv6EchoReply, ICMPv6ND_RS, ICMPv6ND_RA, ICMPv6NDOptPrefixInfo, Raw, PcapWriter, conf)
from scapy.contrib.geneve import GENEVE  # noqa: E402

T0 = 1704164645  # 2024-01-02T03:04:05Z
MA, MB = "02:00:00:00:00:0a", "02:00:00:00:00:0b"
A4, B4 = "192.0.2.10", "198.51.100.20"
A6, B6 = "2001:db8::a", "2001:db8:1::b"
I1, I2 = "10.1.0.1", "10.1.0.2"
J1, J2 = "fd00:1::1", "fd00:1::2"


def eth(p, rev=False):
    return Ether(src=MB if rev else MA, dst=MA if rev else MB) / p


def o4(p, rev=False, proto=None):
    ip = IP(src=B4 if rev else A4, dst=A4 if rev else B4, id=0x100, flags="DF", ttl=64)
    if proto is not None:
        ip.proto = proto
    return eth(ip / p, rev)


def o6(p, rev=False, nh=None):
    ip = IPv6(src=B6 if rev else A6, dst=A6 if rev else B6, hlim=64)
    if nh is not None:
        ip.nh = nh
    return eth(ip / p, rev)


def i4(p, rev=False):
    return IP(src=I2 if rev else I1, dst=I1 if rev else I2, id=7, ttl=64) / p


def i6(p, rev=False):
    return IPv6(src=J2 if rev else J1, dst=J1 if rev else J2, hlim=64) / p


def dnsq(qid):
    return UDP(sport=53001, dport=53) / DNS(id=qid, rd=1, qd=DNSQR(qname="tunnel.test"))


def dnsr(qid):
    return UDP(sport=53, dport=53001) / DNS(id=qid, qr=1, aa=1, rd=1, ra=1, qd=DNSQR(qname="tunnel.test"),
                                           an=DNSRR(rrname="tunnel.test", rdata="192.0.2.7", ttl=60))


def tunnels():
    syn = TCP(sport=40000, dport=80, flags="S", seq=1000, window=65535, options=[("MSS", 1400)])
    synack = TCP(sport=80, dport=40000, flags="SA", seq=5000, ack=1001, window=65535, options=[("MSS", 1400)])
    ack = TCP(sport=40000, dport=80, flags="A", seq=1001, ack=5001, window=65535)
    gk = dict(key_present=1, key=1001, seqnum_present=1)
    erspan2 = struct.pack("!HHI", 0x1000 | 10, 0x0001, 0) + bytes(eth(IP(src=I1, dst=I2) / ICMP()))
    erspan3 = struct.pack("!HHII", 0x2000 | 11, 0x0001, 0, 0) + bytes(eth(IP(src=I1, dst=I2) / ICMP()))
    deep = ICMP(type=8, id=9, seq=1)
    deep = IP(src=I1, dst=I2) / deep
    for k in range(4):
        deep = IP(src=f"10.9.{k}.1", dst=f"10.9.{k}.2", proto=4) / deep
    ppp = b"\xff\x03\x00\x21" + bytes(IP(src=I1, dst=I2) / ICMP())
    pptp = struct.pack("!HHHHI", 0x3001, 0x880B, len(ppp), 5, 1) + ppp
    geneve_opt = struct.pack("!HBB", 0x0102, 0x80, 1) + b"\x00\x00\x00\x2a"  # class, type, length 1 (4 bytes)
    return [
        o4(GRE(sequence_number=1, **gk) / i4(ICMP(type=8, id=1, seq=1) / b"ping")),
        o4(GRE(sequence_number=2, **gk) / i4(ICMP(type=0, id=1, seq=1) / b"ping", True), True),
        o4(GRE(sequence_number=3, **gk) / i4(syn)),
        o4(GRE(sequence_number=4, **gk) / i4(synack, True), True),
        o4(GRE(sequence_number=5, **gk) / i4(ack)),
        o4(GRE(chksum_present=1) / i4(dnsq(0x1111))),
        o4(GRE(chksum_present=1) / i4(dnsr(0x1111), True), True),
        o4(i4(ICMP(type=8, id=2, seq=1)), proto=4),
        o4(i4(ICMP(type=0, id=2, seq=1), True), True, proto=4),
        o4(i6(ICMPv6EchoRequest(id=3, seq=1)), proto=41),
        o4(i6(ICMPv6EchoReply(id=3, seq=1), True), True, proto=41),
        o6(i4(dnsq(0x2222)), nh=4),
        o6(i4(dnsr(0x2222), True), True, nh=4),
        o6(i6(TCP(sport=40001, dport=443, flags="S", seq=2000, window=65535)), nh=41),
        o6(i6(TCP(sport=443, dport=40001, flags="RA", seq=0, ack=2001, window=0), True), True, nh=41),
        o6(GRE(key_present=1, key=7) / i6(ICMPv6EchoRequest(id=4, seq=1))),
        o4(UDP(sport=50001, dport=6081) / GENEVE(vni=43, proto=0x6558, optionlen=2, options=geneve_opt)
           / Ether(src="02:00:00:00:01:01", dst="02:00:00:00:01:02") / i4(ICMP(type=8, id=5, seq=1))),
        o4(UDP(sport=50002, dport=6081) / GENEVE(vni=43, proto=0x6558, optionlen=2, options=geneve_opt)
           / Ether(src="02:00:00:00:01:02", dst="02:00:00:00:01:01") / i4(ICMP(type=0, id=5, seq=1), True), True),
        o4(UDP(sport=50003, dport=6081) / GENEVE(vni=44, proto=0x0800) / i4(dnsq(0x3333))),
        o4(GRE(proto=0x88BE, seqnum_present=1, sequence_number=1) / Raw(erspan2)),
        o4(GRE(proto=0x22EB, seqnum_present=1, sequence_number=1) / Raw(erspan3)),
        o4(deep, proto=4),
        o4(Raw(b"\x00\x00"), proto=47),
        o4(Raw(pptp), proto=47),
    ]


def teredo():
    client, server = "192.0.2.10", "198.51.100.20"

    def tu(payload, rev=False, sport=40001):
        ip = IP(src=server if rev else client, dst=client if rev else server, id=0x200, ttl=64)
        u = UDP(sport=3544 if rev else sport, dport=sport if rev else 3544)
        return eth(ip / u / Raw(bytes(payload)), rev)

    auth = struct.pack("!HBB", 1, 0, 0) + b"\x11" * 8 + b"\x00"  # no client id, no auth value, nonce, confirmation
    port, addr = 40001, bytes([192, 0, 2, 10])
    origin = struct.pack("!HH", 0, port ^ 0xFFFF) + bytes(b ^ 0xFF for b in addr)
    ll = "fe80::8000:ffff:ffff:fffe"
    rs = IPv6(src=ll, dst="ff02::2", hlim=255) / ICMPv6ND_RS()
    ra = IPv6(src="fe80::8000:f227:bec4:feff", dst=ll, hlim=255) / ICMPv6ND_RA(routerlifetime=1800) \
        / ICMPv6NDOptPrefixInfo(prefix="2001::", prefixlen=32, L=0, A=0, validlifetime=4294967295,
                                preferredlifetime=4294967295)
    bubble = IPv6(src="2001:0:c633:6414::1", dst="2001:db8:1::b", nh=59, plen=0, hlim=21)
    me = "2001:0:c633:6414:0:63bf:3fff:fdf5"
    return [
        tu(auth + bytes(rs)),
        tu(origin + bytes(ra), True),
        tu(origin + bytes(bubble), True),
        tu(IPv6(src=me, dst=B6, hlim=64) / ICMPv6EchoRequest(id=6, seq=1, data=b"teredo")),
        tu(IPv6(src=B6, dst=me, hlim=64) / ICMPv6EchoReply(id=6, seq=1, data=b"teredo"), True),
        tu(b"\x01\x02 no IPv6 packet here, 36 bytes long.", sport=40002),
    ]


def write(path, pkts):
    w = PcapWriter(str(path), linktype=1, sync=True)
    for n, p in enumerate(pkts, 1):
        p = p.__class__(bytes(p))
        p.time = T0 + n / 1000
        w.write(p)
    w.close()
    print(f"{path}: {len(pkts)} packets")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-o", default=str(pathlib.Path(__file__).resolve().parent.parent.parent / "testdata/crafted"))
    a = ap.parse_args()
    conf.verb = 0
    write(pathlib.Path(a.o) / "tunnels.pcap", tunnels())
    write(pathlib.Path(a.o) / "teredo.pcap", teredo())


if __name__ == "__main__":
    main()
