#!/usr/bin/env python3
"""Run `ctana summary --json` over the tcpdump project's test captures (fetched by
tools/fetch-tcpdump-tests.sh: real traffic of many protocols and link types, and crash
reproducers with malformed headers). Every file must give exit 0, 2 or 3, never a crash, valid
JSON, and a complete account of its records."""
import argparse
import json
import pathlib
import subprocess
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ctana", required=True)
    ap.add_argument("--dir", default=".cache/tcpdump-tests")
    args = ap.parse_args()
    files = sorted(pathlib.Path(args.dir).glob("*.pcap*"))
    if len(files) < 500:
        print(f"{args.dir}: {len(files)} captures; run tools/fetch-tcpdump-tests.sh first")
        return 1
    failed = 0
    totals = {"records": 0, "malformed": 0, "unsupported": 0, "partial_files": 0}
    for f in files:
        res = subprocess.run([args.ctana, "summary", "--json", str(f)], capture_output=True, text=True, timeout=60)
        problem = None
        if res.returncode not in (0, 2, 3):
            problem = f"exit {res.returncode}: {res.stderr.strip()[:300]}"
        elif res.returncode in (0, 3):
            try:
                d = json.loads(res.stdout)
                r = d["records"]
                if r["read"] != r["filtered_out"] + r["decoded"] + r["malformed"] + r["truncated"] + r["unsupported"]:
                    problem = f"records do not add up: {r}"
                if res.returncode == 0 and d["input"]["bytes_read"] != f.stat().st_size:
                    problem = f"read {d['input']['bytes_read']} of {f.stat().st_size} bytes but exit 0"
                totals["records"] += r["read"]
                totals["malformed"] += r["malformed"]
                totals["unsupported"] += r["unsupported"]
                totals["partial_files"] += res.returncode == 3
            except (ValueError, KeyError) as e:
                problem = f"bad JSON: {e}"
        if problem:
            failed += 1
            print(f"FAIL {f.name}: {problem}")
    print(f"{len(files)} files, {totals['records']} records ({totals['malformed']} malformed, "
          f"{totals['unsupported']} on unsupported link types), {totals['partial_files']} files partial")
    print(f"{len(files) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
