#!/usr/bin/env python3
"""The FTP password of the real vsftpd login in testdata/real/ftp-login.pcap (and of its CTRACE
forms: packet trace, data trace) must appear in no output of any command and format: text, JSON, JUnit, record listings
and hex dumps, CTRACE probe dumps, diff reports, converted pcapng / pcap / CTRACE files (packet
data and comments), -v and -vv logs. It is looked for as text, as hex, in EBCDIC, and in hex
dumps where it may be split over lines. With --show-secrets it must appear where the data is
shown (so this test can tell masking from missing data)."""
import argparse
import json
import pathlib
import re
import subprocess
import sys
import tempfile

PASSWORD = b"Secr3tPass!"
# The same login as a CTRACE data trace (socket data only: the PASS command is in a record's data).
DATA_TRACE = "testdata/ctrace/ftp-login-datatrace.ctrace"
TRACES = ["testdata/real/ftp-login.pcap", "testdata/ctrace/ftp-login-raw.ctrace", DATA_TRACE]
# A hex dump line: offset, hex groups, |text|. Records --format and ctrace probe both write them.
DUMP = re.compile(rb"^\s*[0-9A-F]{6}\s+((?:[0-9A-F]{2,8}\s+)+)\s*\|(.*)\|\s*$")


def leaks(data):
    """How `data` (an output: text or a file) shows the password; [] when it does not."""
    found = []
    if PASSWORD in data:
        found.append("as text")
    if PASSWORD.decode().encode("cp037") in data:
        found.append("in EBCDIC")
    flat = re.sub(rb"\s", b"", data).upper()
    if PASSWORD.hex().upper().encode() in flat:
        found.append("as hex")
    # Hex dumps: the bytes and the text column of consecutive lines put back together.
    hexes, texts = [], []
    for line in data.splitlines() + [b""]:
        m = DUMP.match(line)
        if m:
            hexes.append(re.sub(rb"\s", b"", m.group(1)))
            texts.append(m.group(2))
            continue
        if hexes and (PASSWORD in bytes.fromhex(b"".join(hexes).decode()) or PASSWORD in b"".join(texts)):
            found.append("in a hex dump")
        hexes, texts = [], []
    return found


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ctana", required=True)
    args = ap.parse_args()
    failed, checks = 0, 0

    def run(argv, files=(), expect=0, must_show=False):
        """Runs ctana; checks its stdout, stderr and the files it wrote."""
        nonlocal failed, checks
        checks += 1
        res = subprocess.run([args.ctana, *argv], capture_output=True)
        outputs = {"stdout": res.stdout, "stderr": res.stderr}
        for f in files:
            p = pathlib.Path(f)
            outputs[p.name] = p.read_bytes() if p.exists() else b""
        shown = {name: leaks(data) for name, data in outputs.items() if leaks(data)}
        problems = []
        if res.returncode != expect:
            problems.append(f"exit {res.returncode} (expected {expect}): {res.stderr.decode()[:200]}")
        if must_show and not shown:
            problems.append("--show-secrets does not show the password: the trace or the decoding changed")
        if not must_show and shown:
            problems.append(f"shows the password: {shown}")
        for f in files:
            if not outputs[pathlib.Path(f).name]:
                problems.append(f"{f} was not written")
        if problems:
            failed += 1
            print(f"FAIL: ctana {' '.join(argv)}: {'; '.join(problems)}")
        return res

    with tempfile.TemporaryDirectory() as tmp:
        for t in TRACES:
            ct = t.endswith(".ctrace")
            conns = [c["id"] for c in json.loads(run(["sessions", "--json", t]).stdout)["connections"]]
            if not conns and t != DATA_TRACE:  # a data trace holds no packets
                failed += 1
                print(f"FAIL: {t}: no TCP connections")
            for fmt in ([], ["--json"]):
                run(["summary", *fmt, t])
                run(["sessions", *fmt, t])
                run(["exceptions", *fmt, t])
                run(["exceptions", "--by", "severity", *fmt, t])
                for c in conns:
                    run(["flow", *fmt, t, str(c)])
                    run(["sessions", "--conn", str(c), *fmt, t])
            if conns:
                run(["flow", "--relative", t, str(conns[0])])
            run(["sessions", "--table", t])
            run(["-v", "summary", t])
            run(["-vv", "summary", "--json", t])
            junit = f"{tmp}/gate.xml"
            run(["summary", "--fail-on", "dns.servfail>0", "--junit", junit, t], files=[junit])
            run(["summary", "--json", "--fail-on", "dns.servfail>0", t])
            run(["records", t])
            run(["records", "--format", "--dump", "65536", t])
            run(["-vv", "records", "--format", "--dump", "65536", "--first", "10", t])
            run(["ctrace", "probe", "--records", "1000", "--bytes", "65536", t], expect=0 if ct else 2)
            base = f"{tmp}/base.json"
            pathlib.Path(base).write_bytes(run(["summary", "--json", t]).stdout)
            for argv in (["diff", t, t], ["diff", "--json", t, t], ["diff", "--format", "junit", t, t],
                         ["diff", "--all", base, t]):
                run(argv)
            run(["diff", "--junit", junit, "--fail-on", "new:error", base, t], files=[junit])
            for ext, to in ((".pcapng", "pcapng"), (".pcap", "pcap"), (".ctrace", "ctrace")):
                out = f"{tmp}/out{ext}"
                run(["-vv", "convert", "--to", to, t, "-o", out], files=[out])
                run(["records", "--format", "--dump", "65536", "--show-secrets", out])  # what was written
                # (a pcap holds one link type: from the packet trace CTRACE, the OSAENTA frames', not the packet)
                run(["convert", "--show-secrets", "--to", to, t, "-o", out], files=[out],
                    must_show=not (ct and t != DATA_TRACE and to == "pcap"))
            # The password is there to be shown: masking is not missing data.
            run(["summary", "--json", "--show-secrets", t], must_show=True)
            run(["records", "--format", "--dump", "65536", "--show-secrets", t], must_show=True)
            if ct:
                run(["ctrace", "probe", "--records", "1000", "--bytes", "65536", "--show-secrets", t], must_show=True)
    print(f"{checks - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
