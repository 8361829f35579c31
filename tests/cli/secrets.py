#!/usr/bin/env python3
"""The FTP password of the real vsftpd login in testdata/real/ftp-login.pcap, and of its CTRACE
forms (packet trace, data trace), must appear in no output of any command and format (hex dumps
included), and must appear when --show-secrets asks for it (so this test can tell masking from
missing data). `convert` is not run: it copies the trace, packet bytes and all."""
import argparse
import subprocess
import sys

PASSWORD = "Secr3tPass!"
TRACE = "testdata/real/ftp-login.pcap"
# The same login as a CTRACE data trace (socket data only: the PASS command is in a record's data).
DATA_TRACE = "testdata/ctrace/ftp-login-datatrace.ctrace"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ctana", required=True)
    args = ap.parse_args()
    runs = [["summary", TRACE], ["summary", "--json", TRACE], ["sessions", TRACE], ["sessions", "--json", TRACE],
            ["sessions", "--table", TRACE], ["exceptions", TRACE], ["exceptions", "--json", TRACE],
            ["flow", TRACE, "2"], ["flow", "--json", TRACE, "2"], ["-v", "summary", TRACE],
            ["records", TRACE], ["records", "--format", "--dump", "1500", TRACE]]
    for t in (DATA_TRACE, "testdata/ctrace/ftp-login-raw.ctrace"):
        runs += [["summary", t], ["summary", "--json", t], ["sessions", "--json", t], ["exceptions", "--json", t],
                 ["records", t], ["records", "--format", "--dump", "1500", t],
                 ["ctrace", "probe", "--records", "1000", "--bytes", "4096", t]]
    failed = 0
    for argv in runs:
        res = subprocess.run([args.ctana, *argv], capture_output=True, text=True)
        if PASSWORD in res.stdout or PASSWORD in res.stderr:
            failed += 1
            print(f"FAIL: ctana {' '.join(argv)} shows the password")
        if res.returncode != 0:
            failed += 1
            print(f"FAIL: ctana {' '.join(argv)} exit {res.returncode}: {res.stderr.strip()[:200]}")
    shows = [["summary", "--json", "--show-secrets", TRACE], ["summary", "--json", "--show-secrets", DATA_TRACE],
             ["records", "--format", "--show-secrets", DATA_TRACE], ["records", "--format", "--show-secrets", TRACE],
             ["ctrace", "probe", "--records", "1000", "--show-secrets", DATA_TRACE]]
    for argv in shows:
        shown = subprocess.run([args.ctana, *argv], capture_output=True, text=True)
        if PASSWORD not in shown.stdout:
            failed += 1
            print(f"FAIL: ctana {' '.join(argv)} does not show the password: the trace or the FTP decoding changed")
    print(f"{len(runs) + len(shows) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
