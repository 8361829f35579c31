#!/usr/bin/env python3
"""Hostile and damaged input (docs/security.md): text taken from packets that is not UTF-8;
traces damaged by a text-mode (ASCII) file transfer, named as such and never taken for good
files."""
import argparse
import json
import pathlib
import struct
import subprocess
import sys
import tempfile

TESTDATA = pathlib.Path("testdata")


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack(f">{len(b) // 2}H", b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def tcp4(src, dst, sport, dport, seq, ack, flags, payload=b""):
    """A raw IPv4 packet (LINKTYPE_RAW) carrying one TCP segment with correct checksums."""
    tcp = struct.pack(">HHIIBBHHH", sport, dport, seq, ack, 0x50, flags, 65535, 0, 0) + payload
    tcp = tcp[:16] + struct.pack(">H", csum(src + dst + struct.pack(">BBH", 0, 6, len(tcp)) + tcp)) + tcp[18:]
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000, 64, 6, 0, src, dst)
    return ip[:10] + struct.pack(">H", csum(ip)) + ip[12:] + tcp


def pcap(packets, link=101):
    out = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, link)
    for i, p in enumerate(packets):
        out += struct.pack("<IIII", 1_700_000_000 + i, 0, len(p), len(p)) + p
    return out


def ftp_session(lines):
    """A whole FTP control connection: handshake, the (from, bytes) lines in order, close."""
    c, s, cp = bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]), 40001
    cs, ss = 1000, 5000
    pk = [tcp4(c, s, cp, 21, cs, 0, 0x02), tcp4(s, c, 21, cp, ss, cs + 1, 0x12), tcp4(c, s, cp, 21, cs + 1, ss + 1, 0x10)]
    cs, ss = cs + 1, ss + 1
    for frm, data in lines:
        if frm == "c":
            pk.append(tcp4(c, s, cp, 21, cs, ss, 0x18, data))
            cs += len(data)
        else:
            pk.append(tcp4(s, c, 21, cp, ss, cs, 0x18, data))
            ss += len(data)
    pk += [tcp4(c, s, cp, 21, cs, ss, 0x11), tcp4(s, c, 21, cp, ss, cs + 1, 0x11), tcp4(c, s, cp, 21, cs + 1, ss + 1, 0x10)]
    return pk


class Checks:
    def __init__(self, ctana):
        self.ctana = ctana
        self.results = []

    def run(self, *argv, stdin=None):
        return subprocess.run([self.ctana, *argv], capture_output=True, input=stdin)

    def check(self, name, ok, detail=""):
        self.results.append((name, ok, detail))

    def report(self):
        failed = [r for r in self.results if not r[1]]
        for name, _, detail in failed:
            print(f"FAIL {name}: {detail}")
        print(f"{len(self.results) - len(failed)} passed, {len(failed)} failed")
        return 1 if failed else 0


def non_utf8_text(ck, tmp):
    """Latin-1 user names, file names and replies (a z/OS FTP server's, say) reach the JSON
    output as U+FFFD, not as an exception (exit 70). Found by fuzz_ipv4 and fuzz_tcp."""
    path = f"{tmp}/latin1-ftp.pcap"
    with open(path, "wb") as f:
        f.write(pcap(ftp_session([("s", b"220 Bienvenue\r\n"), ("c", b"USER m\xfcller\r\n"),
                                  ("s", b"331 Mot de passe pour m\xfcller\r\n"), ("c", b"PASS x\r\n"),
                                  ("s", b"230 Connect\xe9\r\n"), ("c", b"RETR r\xe9sum\xe9.txt\r\n"),
                                  ("s", b"550 r\xe9sum\xe9.txt: fichier inconnu\r\n")])))
    for argv in (["summary", "--json"], ["sessions", "--json"], ["exceptions", "--json"]):
        res = ck.run(*argv, path)
        try:
            doc = json.loads(res.stdout.decode("utf-8"))
            ok = res.returncode == 0 and (argv[0] != "summary" or "\ufffd" in json.dumps(doc, ensure_ascii=False))
        except ValueError as e:
            ok, doc = False, e
        ck.check(f"non-UTF-8 FTP text: {' '.join(argv)}", ok, f"exit {res.returncode}: {res.stderr.decode()[:300]}")
    doc = json.loads(ck.run("summary", "--json", path).stdout)
    users = [s["user"] for s in doc["ftp"]["sessions"]]
    ck.check("non-UTF-8 FTP text: the user is there", users == ["m\ufffdller"], f"users {users}")


ASCII_DAMAGE = [
    ("LF -> CR LF", lambda b: b.replace(b"\n", b"\r\n")),
    ("CR LF -> LF", lambda b: b.replace(b"\r\n", b"\n")),
    ("EBCDIC -> ASCII", lambda b: b.decode("cp037").encode("latin-1")),   # downloaded from z/OS as text
    ("ASCII -> EBCDIC", lambda b: b.decode("latin-1").encode("cp037")),   # uploaded to z/OS as text
]


def ascii_mode(ck, tmp):
    """Each kind of damage on a real pcap, a pcapng and a CTRACE: one line naming the file and the
    damage, exit 2 (nothing readable) or 3 (partial, with the damage in the report)."""
    for src in ("real/ftp-login.pcap", "real/dns-icmp.pcapng", "ctrace/ftp-login-raw.ctrace"):
        good = (TESTDATA / src).read_bytes()
        for what, damage in ASCII_DAMAGE:
            bad = damage(good)
            name = f"{what} on {src}"
            if bad == good:
                ck.check(name, False, "the damage changed nothing: pick another trace")
                continue
            path = pathlib.Path(tmp, pathlib.Path(src).name)
            path.write_bytes(bad)
            res = ck.run("summary", "--json", str(path))
            want = f"{path}: looks like it was transferred in ASCII mode ({what}): transfer it again in binary"
            lines = [l for l in res.stderr.decode().splitlines() if "ASCII mode" in l]
            ok = res.returncode in (2, 3) and len(lines) == 1 and lines[0].endswith(want)
            if ok and res.returncode == 3:
                rp = json.loads(res.stdout)["read_problems"]
                ok = rp["ascii_transfer"] == what and rp["damaged"]
            ck.check(f"ASCII mode: {name}", ok, f"exit {res.returncode}, stderr {res.stderr.decode()[:400]!r}")
    # The same line from the other commands that read traces.
    path = pathlib.Path(tmp, "lf.pcap")
    path.write_bytes(ASCII_DAMAGE[0][1]((TESTDATA / "real/ftp-login.pcap").read_bytes()))
    ct = pathlib.Path(tmp, "crlf.ctrace")
    ct.write_bytes(ASCII_DAMAGE[1][1]((TESTDATA / "ctrace/ftp-login-raw.ctrace").read_bytes()))
    for argv, f, what in ((["records"], path, "LF -> CR LF"), (["records", "--format"], path, "LF -> CR LF"),
                          (["sessions"], path, "LF -> CR LF"), (["convert", "-o", f"{tmp}/out.pcapng"], path, "LF -> CR LF"),
                          (["ctrace", "probe"], ct, "CR LF -> LF")):
        res = ck.run(*argv, str(f))
        ok = res.returncode == 3 and res.stderr.decode().count(f"ASCII mode ({what})") == 1
        ck.check(f"ASCII mode: {' '.join(argv)} says so", ok, f"exit {res.returncode} {res.stderr.decode()[:300]!r}")


def no_false_alarm(ck):
    """No test trace, however damaged or cut, is taken for ASCII-mode damage."""
    files = sorted(p for d in ("real", "crafted", "ctrace", "diff") for p in (TESTDATA / d).iterdir()
                   if p.suffix not in (".md",))
    alarms = [str(f) for f in files if b"ASCII mode" in ck.run("summary", str(f)).stderr]
    ck.check(f"no ASCII-mode alarm on {len(files)} test files", not alarms, ", ".join(alarms))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ctana", required=True)
    args = ap.parse_args()
    ck = Checks(args.ctana)
    with tempfile.TemporaryDirectory() as tmp:
        non_utf8_text(ck, tmp)
        ascii_mode(ck, tmp)
        no_false_alarm(ck)
    return ck.report()


if __name__ == "__main__":
    sys.exit(main())
