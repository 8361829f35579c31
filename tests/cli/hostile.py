#!/usr/bin/env python3
"""Hostile and damaged input (docs/security.md): text taken from packets that is not UTF-8;
traces damaged by a text-mode (ASCII) file transfer, named as such and never taken for good
files; headers claiming 4 GB records; millions of connections against the caps; a pcap, a
pcapng and a CTRACE trace cut at every byte offset."""
import argparse
import concurrent.futures
import importlib.util
import json
import os
import pathlib
import struct
import subprocess
import sys
import tempfile

TESTDATA = pathlib.Path("testdata")


def _packet_builder():
    """tools/bench/make-many-connections.py's frame(): an Ethernet frame with one TCP segment."""
    path = pathlib.Path(__file__).resolve().parent.parent.parent / "tools/bench/make-many-connections.py"
    spec = importlib.util.spec_from_file_location("make_many_connections", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.frame


tcp4 = _packet_builder()


def pcap(packets, link=1):
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


def control_characters(ck, tmp):
    """Terminal escape sequences in an FTP user name, command and reply never reach a terminal
    from the text reports: control characters are shown as '?' (JSON escapes them itself)."""
    esc = b"\x1b]0;owned\x07\x1b[2J"
    path = f"{tmp}/escape-ftp.pcap"
    with open(path, "wb") as f:
        f.write(pcap(ftp_session([("s", b"220 hi" + esc + b"\r\n"), ("c", b"USER bob" + esc + b"\r\n"),
                                  ("s", b"530 no" + esc + b"\r\n"), ("c", b"RETR a" + esc + b"\r\n"),
                                  ("s", b"550 no" + esc + b"\r\n")])))
    for argv in (["summary"], ["sessions"], ["exceptions"], ["flow"], ["records"], ["records", "--format", "--dump", "256"]):
        res = ck.run(*argv, path, *(["1"] if argv == ["flow"] else []))
        out = res.stdout
        bad = sorted({c for c in out if c < 0x20 and c != 0x0A} | ({0x7F} & set(out)))
        ck.check(f"control characters: {' '.join(argv)}", res.returncode == 0 and not bad,
                 f"exit {res.returncode}, control bytes {bad}")
    doc = json.loads(ck.run("summary", "--json", path).stdout)
    ck.check("control characters: JSON keeps them (escaped)", doc["ftp"]["sessions"][0]["log"][0]["argument"].endswith("\x1b[2J"),
             f"{doc['ftp']['sessions'][0]['log'][0]}")


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


def peak_rss_kb(ctana, argv, out_path):
    """Runs ctana with stdout to out_path; returns (exit code, peak resident set in KB)."""
    with open(out_path, "wb") as out:
        p = subprocess.Popen([ctana, *argv], stdout=out, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(p.pid, 0)
    return os.waitstatus_to_exitcode(status), usage.ru_maxrss


def pcap_offsets(b):
    """File offsets of the records of a little-endian microsecond pcap, and its end."""
    offs, p = [], 24
    while p < len(b):
        offs.append(p)
        p += 16 + struct.unpack("<I", b[p + 8:p + 12])[0]
    return offs


def record_ends(fmt, b):
    """(header size, end offsets of the records in order) of a pcap, pcapng or raw CTRACE file:
    a cut at an end leaves whole records only. For CTRACE also the zero fill spans."""
    if fmt == "pcap":
        offs = pcap_offsets(b)
        return 24, [o + 16 + struct.unpack("<I", b[o + 8:o + 12])[0] for o in offs], []
    if fmt == "pcapng":
        p, ends, packets = 0, [], []
        while p < len(b):
            t, n = struct.unpack("<II", b[p:p + 8])
            p += n
            ends.append(p)
            if t == 6:
                packets.append(p)
        return ends[0], packets, ends
    p, ends, fill = 0, [], []
    while p + 2 <= len(b):
        n = struct.unpack(">H", b[p:p + 2])[0]
        if n == 0:  # zero fill up to the next entry or the end
            q = p
            while q < len(b) and b[q] == 0 and not (q + 4 <= len(b) and b[q + 2:q + 4] == b"\x00\x10"):
                q += 1
            fill.append((p, q))
            p = q
            continue
        p += n
        ends.append(p)
    return 18, ends, fill


def cut_offsets(size, header, boundaries, sampled):
    """Every offset from 0 to size; sampled (a sanitizer build, where each run costs a tenth of a
    second to start): every offset of the header, every offset within 2 bytes of a record
    boundary, and every 13th offset in between."""
    if not sampled:
        return list(range(size + 1))
    near = {b + d for b in boundaries for d in range(-2, 3)}
    return [n for n in range(size + 1) if n <= header + 4 or n in near or n % 13 == 0 or n == size]


def cut_everywhere(ck, tmp, sampled):
    """A small trace of each format cut at every byte offset: never a crash; exit 2 while the
    file header (CTRACE: the first entry's header) is incomplete, else 0 at a record boundary
    and 3 (partial) inside a record; every record before the cut is reported. Under the
    sanitizers (sampled) at the offsets cut_offsets() picks."""
    ct = pathlib.Path(tmp, "small.ctrace")
    res = ck.run("convert", "--to", "ctrace", "--buffer-size", "512", str(TESTDATA / "crafted/udp-icmp.pcap"), "-o", str(ct))
    ck.check("cut: CTRACE fixture written", res.returncode == 0, res.stderr.decode())
    for fmt, src in (("pcap", TESTDATA / "real/sll-any.pcap"), ("pcapng", TESTDATA / "crafted/ns-resolution.pcapng"),
                     ("ctrace", ct)):
        whole = src.read_bytes()
        header, ends, extra = record_ends(fmt, whole)
        boundaries = set(ends) | (set() if fmt == "ctrace" else {header}) | (set(extra) if fmt == "pcapng" else set())
        in_fill = set()
        for a, b in (extra if fmt == "ctrace" else []):
            in_fill.update(range(a, b + 1))

        def one(n):
            cut = pathlib.Path(tmp, f"cut-{fmt}-{n}")
            cut.write_bytes(whole[:n])
            r = ck.run("summary", "--json", str(cut))
            cut.unlink()
            prev = max([0, *(e for e in ends if e <= n)])
            if n < header:
                want = {2}
            elif n in boundaries or n in in_fill or (fmt == "ctrace" and not any(whole[prev:n])):
                want = {0}  # CTRACE: what follows the last whole entry is zero fill (or looks like it)
            else:
                want = {3}
            if r.returncode not in want:
                return f"cut at {n}: exit {r.returncode}, expected {sorted(want)}: {r.stderr.decode()[:200]!r}"
            if r.returncode == 2:
                return None
            doc = json.loads(r.stdout)
            got, expect = doc["records"]["read"], sum(1 for e in ends if e <= n)
            if got != expect:
                return f"cut at {n}: {got} records reported, {expect} lie before the cut"
            if fmt != "ctrace" and doc["input"]["bytes_read"] != n:
                return f"cut at {n}: bytes_read {doc['input']['bytes_read']}"
            if r.returncode == 3 and b"partial" not in r.stderr:
                return f"cut at {n}: exit 3 without the partial warning"
            return None

        with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
            offsets = cut_offsets(len(whole), header, boundaries, sampled)
            bad = [m for m in pool.map(one, offsets) if m]
        ck.check(f"cut at {len(offsets)} of the {len(whole) + 1} offsets of {src.name}", not bad, "; ".join(bad[:5]))


def huge_records(ck, tmp):
    """A record or block header claiming about 4 GB is refused as damage, with its offset; the
    reader resynchronises after it, and memory does not grow with the claim."""
    big = 0xFFFFFFF0
    good = (TESTDATA / "real/sll-any.pcap").read_bytes()
    at = pcap_offsets(good)[3]
    cases = [("pcap record of 4 GB", "sll-any.pcap", good,
              good[:at] + struct.pack("<IIII", 1_700_000_000, 0, big, big) + good[at:], at, 22,
              f"claims {big} captured bytes")]
    ng = (TESTDATA / "crafted/ns-resolution.pcapng").read_bytes()
    p, blocks = 0, []
    while p < len(ng):
        blocks.append(p)
        p += struct.unpack("<I", ng[p + 4:p + 8])[0]
    epb = [o for o in blocks if struct.unpack("<I", ng[o:o + 4])[0] == 6]
    at = epb[1]
    cases.append(("pcapng block of 4 GB", "ns-resolution.pcapng", ng,
                  ng[:at] + struct.pack("<II", 6, big) + ng[at:], at, 3, f"impossible length {big}"))
    n = struct.unpack("<I", ng[at + 4:at + 8])[0]
    bad = bytearray(ng)
    bad[at + 20:at + 24] = struct.pack("<I", big)  # the captured length of the second packet
    cases.append(("pcapng packet of 4 GB", "ns-resolution.pcapng", ng, bytes(bad), at, 2,
                  f"captured length {big} exceeds the block"))
    ct = bytearray((TESTDATA / "ctrace/ftp-login-raw.ctrace").read_bytes())
    at = 0
    while struct.unpack(">I", ct[at + 4:at + 8])[0] != 4:  # the first packet trace entry
        at += struct.unpack(">H", ct[at:at + 2])[0]
    good_ct = bytes(ct)
    ct[at + 16 + 80:at + 16 + 84] = struct.pack(">I", big)  # its PTH traced length (H1 layout)
    cases.append(("CTRACE segmented record of 4 GB", "ftp-login-raw.ctrace", good_ct, bytes(ct), at, 113,
                  f"claims {big} bytes"))
    for name, fname, before, after, offset, records, says in cases:
        p_good, p_bad = pathlib.Path(tmp, "good-" + fname), pathlib.Path(tmp, "huge-" + fname)
        p_good.write_bytes(before)
        p_bad.write_bytes(after)
        _, rss_good = peak_rss_kb(ck.ctana, ["summary", "--json", str(p_good)], f"{tmp}/out.json")
        code, rss_bad = peak_rss_kb(ck.ctana, ["summary", "--json", str(p_bad)], f"{tmp}/out.json")
        doc = json.loads(pathlib.Path(tmp, "out.json").read_bytes())
        err = ck.run("summary", str(p_bad)).stderr.decode()
        msg = [l for l in err.splitlines() if says in l]
        ck.check(f"{name}: exit 3 and the message names the offset", code == 3 and msg and f"offset {offset}:" in msg[0],
                 f"exit {code}, stderr {err[:400]!r}")
        ck.check(f"{name}: the records around it are read", doc["records"]["read"] == records,
                 f"{doc['records']['read']} records, expected {records}")
        ck.check(f"{name}: memory does not follow the claim", rss_bad < rss_good + 16 * 1024,
                 f"peak RSS {rss_bad} KB against {rss_good} KB for the good file")


def many_connections(ck, tmp):
    """20,000 SYNs nobody answers (a SYN flood, a scan): every connection stays open. With
    --max-connections 1000 the table holds 1000 and counts the rest; memory is then the same as
    for 2,000 SYNs, while without the cap it grows with the connections."""
    gen = pathlib.Path(__file__).resolve().parent.parent.parent / "tools/bench/make-many-connections.py"
    files = {}
    for n in (2000, 20000):
        files[n] = f"{tmp}/syn-{n}.pcap"
        subprocess.run([sys.executable, str(gen), str(n), files[n], "--syn-only"], check=True)
    caps = ["--max-connections", "1000", "--max-conversations", "1000"]
    _, rss_small = peak_rss_kb(ck.ctana, ["summary", "--json", *caps, files[2000]], f"{tmp}/out.json")
    code, rss_big = peak_rss_kb(ck.ctana, ["summary", "--json", *caps, files[20000]], f"{tmp}/out.json")
    doc = json.loads(pathlib.Path(tmp, "out.json").read_bytes())
    t = doc["tcp"]
    ck.check("many connections: capped table, overflow counted",
             code == 0 and t["peak_open_connections"] == 1000 and t["untracked_packets"] == 19000
             and t["connections"] == 1000 and doc["conversation_stats"]["untracked_packets"] == 19000,
             f"exit {code}, peak {t['peak_open_connections']}, untracked {t['untracked_packets']}, "
             f"connections {t['connections']}, conversations {doc['conversation_stats']}")
    ck.check("many connections: memory bounded by the cap", rss_big < rss_small + 16 * 1024,
             f"peak RSS {rss_big} KB for 20,000 SYNs against {rss_small} KB for 2,000")
    _, rss_free = peak_rss_kb(ck.ctana, ["summary", "--json", files[20000]], f"{tmp}/out.json")
    ck.check("many connections: without the cap memory grows (the measurement sees it)",
             rss_free > rss_big + 16 * 1024, f"peak RSS {rss_free} KB uncapped against {rss_big} KB capped")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ctana", required=True)
    ap.add_argument("--sanitized", action="store_true",
                    help="ctana is a sanitizer build: cut the traces at a sample of their offsets")
    args = ap.parse_args()
    ck = Checks(args.ctana)
    with tempfile.TemporaryDirectory() as tmp:
        non_utf8_text(ck, tmp)
        control_characters(ck, tmp)
        ascii_mode(ck, tmp)
        no_false_alarm(ck)
        huge_records(ck, tmp)
        cut_everywhere(ck, tmp, args.sanitized)
        many_connections(ck, tmp)
    return ck.report()


if __name__ == "__main__":
    sys.exit(main())
