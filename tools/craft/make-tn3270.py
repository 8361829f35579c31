#!/usr/bin/python3
"""Write testdata/crafted/tn3270e.pcap: TN3270E and TN3270 cases the real capture cannot show
(tools/capture/make-tn3270.sh: Hercules offers no TN3270E and, with no system IPLed, answers no
key), built with scapy, deterministic (docs/tn3270.md). Crafted, not real: the bytes follow RFC
1576, RFC 2355 and the 3270 data stream as a z/OS TN3270E server and an emulator send them.

Usage:  /usr/bin/python3 tools/craft/make-tn3270.py [-o DIR]

Terminals 192.0.2.31-34, host 198.51.100.23 (Ethernet; times from 2024-01-02T03:04:05Z):
  conn 1 (port 23)  TN3270E: DEVICE-TYPE REQUEST IBM-3278-2-E CONNECT TCP00001, IS with the LU,
                    FUNCTIONS REQUEST BIND-IMAGE RESPONSES SYSREQ, IS RESPONSES; the host writes the
                    logon screen (EW); Enter answered by a W after 250 ms, PF3 by an EW after 2.5 s
                    (slow), Clear by an EW after 50 ms (with an escaped 0xFF in its data); a
                    RESPONSE record from the terminal; the terminal closes (FIN)
  conn 2 (port 23)  TN3270E: DEVICE-TYPE REQUEST IBM-3278-2-E CONNECT BADLU01, REJECT REASON
                    INV-NAME; the host closes (FIN)
  conn 3 (port 3270, found by content) TN3270E refused (WONT): TN3270 with TERMINAL-TYPE
                    IBM-3279-2, BINARY and EOR both ways; the host writes with the local (CCW)
                    codes (EW 0x05, W 0x01); PA1 answered after 120 ms, an Enter record split over
                    two segments answered after 80 ms; the host resets the connection
  conn 4 (port 23)  TN3270E with broken parts: a record shorter than its TN3270E header, a
                    subnegotiation longer than ctana keeps, IAC followed by a byte that is no
                    Telnet command, a host segment never captured (a gap cuts a record), then an
                    Enter never answered; the terminal resets the connection
"""
import argparse
import pathlib
import sys

sys.path.append("/usr/lib/python3/dist-packages")
from scapy.all import IP, TCP, Ether, Raw, PcapWriter  # noqa: E402

T0 = 1704164645  # 2024-01-02T03:04:05Z
HOST = "198.51.100.23"
IAC, SB, SE, WILL, WONT, DO, DONT, EOR = 255, 250, 240, 251, 252, 253, 254, 239
BIN, TTYPE, OEOR, TN3270E = 0, 24, 25, 40
ASSOCIATE, CONNECT, DEVICE_TYPE, FUNCTIONS, IS, REASON, REJECT, REQUEST, SEND = range(9)


def neg(verb, opt):
    return bytes([IAC, verb, opt])


def sb(*parts):
    body = b"".join(p if isinstance(p, bytes) else bytes([p]) for p in parts)
    return bytes([IAC, SB]) + body.replace(b"\xff", b"\xff\xff") + bytes([IAC, SE])


def rec(data, header=None):
    """A 3270 record: the TN3270E header (data type, request, response, seq), the data, IAC EOR."""
    if header is not None:
        t, req, rsp, seq = header
        data = bytes([t, req, rsp, seq >> 8, seq & 0xFF]) + data
    return data.replace(b"\xff", b"\xff\xff") + bytes([IAC, EOR])


class Conn:
    def __init__(self, w, client, cport, sport):
        self.w, self.c, self.cp, self.sp = w, client, cport, sport
        self.seq = {0: 1000, 1: 5000}

    def pkt(self, t, frm, flags, data=b"", skip=False):
        src, dst = (self.c, HOST) if frm == 0 else (HOST, self.c)
        sp, dp = (self.cp, self.sp) if frm == 0 else (self.sp, self.cp)
        p = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / IP(src=src, dst=dst, id=1, ttl=64) / TCP(
            sport=sp, dport=dp, seq=self.seq[frm], ack=self.seq[1 - frm], flags=flags, window=8192)
        if data:
            p = p / Raw(data)
        self.seq[frm] += len(data) + (1 if ("S" in flags or "F" in flags) else 0)
        if not skip:
            p.time = T0 + t
            self.w.write(p)

    def open(self, t):
        self.seq[0] -= 1
        self.pkt(t, 0, "S")
        self.seq[1] -= 1
        self.pkt(t + 0.0005, 1, "SA")
        self.pkt(t + 0.001, 0, "A")

    def send(self, t, frm, data, skip=False):
        self.pkt(t, frm, "PA", data, skip)

    def fin(self, t, frm):
        self.pkt(t, frm, "FA")
        self.pkt(t + 0.0005, 1 - frm, "FA")
        self.pkt(t + 0.001, frm, "A")


def tn3270e_start(k, t, lu):
    k.send(t, 1, neg(DO, TN3270E))
    k.send(t + 0.01, 0, neg(WILL, TN3270E))
    k.send(t + 0.02, 1, sb(TN3270E, SEND, DEVICE_TYPE))
    k.send(t + 0.03, 0, sb(TN3270E, DEVICE_TYPE, REQUEST, b"IBM-3278-2-E", CONNECT, lu))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-o", default=str(pathlib.Path(__file__).resolve().parents[2] / "testdata" / "crafted"))
    out = pathlib.Path(ap.parse_args().o) / "tn3270e.pcap"
    w = PcapWriter(str(out), linktype=1, sync=True)
    logon = bytes([0xF5, 0xC3, 0x11, 0x40, 0x40]) + "LOGON APPLID(CICS)".encode("cp037")

    # conn 1: TN3270E, three keys answered (one slowly), the terminal closes
    k = Conn(w, "192.0.2.31", 40001, 23)
    k.open(0)
    tn3270e_start(k, 0.01, b"TCP00001")
    k.send(0.05, 1, sb(TN3270E, DEVICE_TYPE, IS, b"IBM-3278-2-E", CONNECT, b"TCP00001"))
    k.send(0.06, 0, sb(TN3270E, FUNCTIONS, REQUEST, 0, 2, 4))
    k.send(0.07, 1, sb(TN3270E, FUNCTIONS, IS, 2))
    k.send(0.10, 1, rec(logon, (0, 0, 0, 1)))
    k.send(1.00, 0, rec(bytes([0x7D, 0x40, 0x5A, 0x11, 0x40, 0x5A]) + "CICS".encode("cp037"), (0, 0, 0, 1)))
    k.send(1.25, 1, rec(bytes([0xF1, 0xC2]) + "DFHCE3549 Sign-on is complete".encode("cp037"), (0, 0, 2, 2)))
    k.send(1.26, 0, rec(bytes([0x00]), (2, 0, 0, 2)))  # a positive RESPONSE to the host's record 2
    k.send(3.00, 0, rec(bytes([0xF3, 0x40, 0x40]), (0, 0, 0, 2)))
    k.send(5.50, 1, rec(logon, (0, 0, 0, 3)))
    k.send(7.00, 0, rec(bytes([0x6D]), (0, 0, 0, 3)))
    k.send(7.05, 1, rec(bytes([0xF5, 0xC3, 0x11, 0x40, 0x40, 0xFF, 0x40]), (0, 0, 0, 4)))  # 0xFF escaped
    k.fin(9.00, 0)

    # conn 2: DEVICE-TYPE REJECT with REASON INV-NAME; the host closes
    k = Conn(w, "192.0.2.32", 40002, 23)
    k.open(10)
    tn3270e_start(k, 10.01, b"BADLU01")
    k.send(10.05, 1, sb(TN3270E, DEVICE_TYPE, REJECT, REASON, 3))
    k.fin(10.10, 1)

    # conn 3: TN3270E refused, TN3270 on port 3270 (found by content), local command codes, host resets
    k = Conn(w, "192.0.2.33", 40003, 3270)
    k.open(20)
    k.send(20.01, 1, neg(DO, TN3270E))
    k.send(20.02, 0, neg(WONT, TN3270E))
    k.send(20.03, 1, neg(DO, TTYPE))
    k.send(20.04, 0, neg(WILL, TTYPE))
    k.send(20.05, 1, sb(TTYPE, 1))
    k.send(20.06, 0, sb(TTYPE, 0, b"IBM-3279-2"))
    k.send(20.07, 1, neg(DO, OEOR) + neg(WILL, OEOR) + neg(DO, BIN) + neg(WILL, BIN))
    k.send(20.08, 0, neg(WILL, OEOR) + neg(DO, OEOR) + neg(WILL, BIN) + neg(DO, BIN))
    k.send(20.10, 1, rec(bytes([0x05, 0xC3]) + "READY".encode("cp037")))
    k.send(21.00, 0, rec(bytes([0x6C])))
    k.send(21.12, 1, rec(bytes([0x01, 0xC2]) + "PA1 pressed".encode("cp037")))
    enter = rec(bytes([0x7D, 0x40, 0x5A, 0x11, 0x40, 0x5A]) + "LISTCAT".encode("cp037"))
    k.send(22.00, 0, enter[:4])
    k.send(22.01, 0, enter[4:])
    k.send(22.09, 1, rec(bytes([0x01, 0xC2]) + "IDCAMS".encode("cp037")))
    k.pkt(23.00, 1, "RA")

    # conn 4: broken TN3270E records, a gap, an unanswered Enter, the terminal resets
    k = Conn(w, "192.0.2.34", 40004, 23)
    k.open(30)
    tn3270e_start(k, 30.01, b"TCP00004")
    k.send(30.05, 1, sb(TN3270E, DEVICE_TYPE, IS, b"IBM-3278-2-E", CONNECT, b"TCP00004"))
    k.send(30.06, 1, bytes([0, 0]) + bytes([IAC, EOR]))          # shorter than the TN3270E header
    k.send(30.07, 0, sb(TN3270E, FUNCTIONS, REQUEST, bytes(300)))  # longer than ctana keeps
    k.send(30.08, 1, bytes([IAC, 0x10]))                          # IAC and no Telnet command
    k.send(30.10, 1, rec(logon, (0, 0, 0, 1))[:10])
    k.send(30.11, 1, rec(logon, (0, 0, 0, 1))[10:20], skip=True)  # never captured: a gap
    k.send(30.12, 1, rec(logon, (0, 0, 0, 1))[20:])
    k.send(30.13, 1, rec(logon, (0, 0, 0, 2)))
    k.send(31.00, 0, rec(bytes([0x7D, 0x40, 0x5A]), (0, 0, 0, 1)))
    k.pkt(34.00, 0, "RA")
    w.close()
    print(out)


if __name__ == "__main__":
    main()
