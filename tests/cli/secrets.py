#!/usr/bin/env python3
"""The FTP password of the real vsftpd login in testdata/real/ftp-login.pcap must appear in no
output of any command and format, and must appear when --show-secrets asks for it (so this test
can tell masking from missing data)."""
import argparse
import subprocess
import sys

PASSWORD = "Secr3tPass!"
TRACE = "testdata/real/ftp-login.pcap"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ctana", required=True)
    args = ap.parse_args()
    runs = [["summary", TRACE], ["summary", "--json", TRACE], ["sessions", TRACE], ["sessions", "--json", TRACE],
            ["sessions", "--table", TRACE], ["exceptions", TRACE], ["exceptions", "--json", TRACE],
            ["flow", TRACE, "2"], ["flow", "--json", TRACE, "2"], ["-v", "summary", TRACE]]
    failed = 0
    for argv in runs:
        res = subprocess.run([args.ctana, *argv], capture_output=True, text=True)
        if PASSWORD in res.stdout or PASSWORD in res.stderr:
            failed += 1
            print(f"FAIL: ctana {' '.join(argv)} shows the password")
        if res.returncode != 0:
            failed += 1
            print(f"FAIL: ctana {' '.join(argv)} exit {res.returncode}: {res.stderr.strip()[:200]}")
    shown = subprocess.run([args.ctana, "summary", "--json", "--show-secrets", TRACE], capture_output=True, text=True)
    if PASSWORD not in shown.stdout:
        failed += 1
        print("FAIL: --show-secrets does not show the password: the trace or the FTP decoding changed")
    print(f"{len(runs) + 1 - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
