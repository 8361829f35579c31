#!/usr/bin/env python3
"""Bad input and bad usage: every case gives the documented exit code and a one-line message on
stderr that names the file (and offset) or option at fault; never a crash. Also standard input.
Files cut at every byte offset, ASCII-mode damage and 4 GB headers: tests/cli/hostile.py."""
import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile

EXIT_OK, EXIT_USAGE, EXIT_UNREADABLE, EXIT_PARTIAL = 0, 1, 2, 3


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ctana", required=True)
    args = ap.parse_args()
    ctana = args.ctana
    results = []

    def check(name, argv, code, stderr_has=(), stdin=None, json_out=False):
        res = subprocess.run([ctana, *argv], capture_output=True, input=stdin)
        err = res.stderr.decode(errors="replace")
        problems = []
        if res.returncode != code:
            problems.append(f"exit {res.returncode}, expected {code}")
        if res.returncode < 0 or res.returncode >= 70:
            problems.append("crashed or internal error")
        for s in stderr_has:
            if s not in err:
                problems.append(f"stderr lacks {s!r}")
        if code in (EXIT_UNREADABLE, EXIT_USAGE) and err.count("\n") > 3:
            problems.append("error message is not short")
        if json_out:
            try:
                json.loads(res.stdout)
            except ValueError as e:
                problems.append(f"stdout is not JSON: {e}")
        results.append((name, problems, err))

    td = "testdata/crafted"
    check("missing file", ["summary", "no/such/trace.pcap"], EXIT_UNREADABLE, ["no/such/trace.pcap", "cannot open"])
    check("directory", ["summary", "testdata"], EXIT_UNREADABLE, ["testdata", "directory"])
    check("empty file", ["summary", f"{td}/empty.pcap"], EXIT_UNREADABLE, ["empty.pcap", "empty"])
    check("text file", ["summary", f"{td}/not-a-trace.txt"], EXIT_UNREADABLE, ["not-a-trace.txt", "not a pcap"])
    check("random bytes", ["summary", f"{td}/garbage.bin"], EXIT_UNREADABLE, ["garbage.bin", "offset 0"])
    check("cut mid record", ["summary", f"{td}/cut-mid-record.pcap"], EXIT_PARTIAL,
          ["cut-mid-record.pcap", "offset 517", "partial"])
    check("cut mid record json", ["summary", "--json", f"{td}/cut-mid-record.pcap"], EXIT_PARTIAL, json_out=True)
    check("damaged pcapng block", ["summary", f"{td}/pcapng-bad-block.pcapng"], EXIT_PARTIAL,
          ["pcapng-bad-block.pcapng", "offset 364"])
    check("absurd caplen", ["summary", f"{td}/absurd-caplen.pcap"], EXIT_PARTIAL, ["offset 329"])
    check("bad filter", ["summary", "-f", "tcp and and", f"{td}/linktype-raw.pcap"], EXIT_USAGE, ["--filter", "tcp and and"])
    check("unknown option", ["summary", "--frobnicate", f"{td}/linktype-raw.pcap"], EXIT_USAGE,
          ["ctana: error: unknown option --frobnicate"])
    check("no subcommand", [], EXIT_USAGE)
    check("unknown subcommand", ["sumary", "x"], EXIT_USAGE, ["ctana: error: unknown command 'sumary'", "summary"])
    check("bad --top", ["summary", "--top", "-4", f"{td}/linktype-raw.pcap"], EXIT_USAGE, ["--top"])
    check("help", ["summary", "--help"], EXIT_OK)
    data = pathlib.Path(f"{td}/ns-resolution.pcapng").read_bytes()
    check("stdin", ["summary", "--json", "-"], EXIT_OK, stdin=data, json_out=True)
    check("stdin garbage", ["summary", "-"], EXIT_UNREADABLE, ["<stdin>"], stdin=b"hello world\n")
    with tempfile.TemporaryDirectory() as tmp:
        gz = pathlib.Path(tmp, "t.pcap.gz")
        gz.write_bytes(b"\x1f\x8b\x08\x00" + b"\x00" * 20)
        check("gzip", ["summary", str(gz)], EXIT_UNREADABLE, ["gzip", "decompress"])
        check("unwritable output", ["summary", "-o", f"{tmp}/no/dir/out.txt", f"{td}/linktype-raw.pcap"], 2,
              [f"{tmp}/no/dir/out.txt: cannot write: No such file or directory"])
        if os.geteuid() != 0:
            locked = pathlib.Path(tmp, "locked.pcap")
            locked.write_bytes(data)
            locked.chmod(0)
            check("unreadable", ["summary", str(locked)], EXIT_UNREADABLE, ["locked.pcap", "Permission denied"])

    failed = 0
    for name, problems, err in results:
        if problems:
            failed += 1
            print(f"FAIL {name}: {'; '.join(problems)}\n  stderr: {err.strip()[:500]}")
    print(f"{len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
