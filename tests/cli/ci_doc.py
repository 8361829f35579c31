#!/usr/bin/env python3
"""docs/ci.md shows real runs: every `$ command` line of its ```console blocks is run (bash, in a
scratch directory where testdata/ and docs/ are the repository's and `ctana` is the binary under
test) and its output (stdout and stderr) must be exactly the lines shown after it, the version
number aside. Also: every metric ctana diff knows is in the doc's metric table."""
import argparse
import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile

DOC = pathlib.Path("docs/ci.md")
VERSION = re.compile(r"ctana \d+\.\d+\.\d+")


def blocks(text):
    """(line number, [lines]) of each ```console block."""
    out, cur, start = [], None, 0
    for i, line in enumerate(text.splitlines(), 1):
        if cur is None and line.strip() == "```console":
            cur, start = [], i
        elif cur is not None and line.strip() == "```":
            out.append((start, cur))
            cur = None
        elif cur is not None:
            cur.append(line)
    return out


def commands(block):
    """(command, expected output lines) pairs of one block."""
    out = []
    for line in block:
        if line.startswith("$ "):
            out.append((line[2:], []))
        elif out:
            out[-1][1].append(line)
        else:
            raise ValueError(f"output before the first command: {line!r}")
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ctana", required=True)
    args = ap.parse_args()
    repo = pathlib.Path.cwd()
    text = DOC.read_text()
    failures = []
    ran = 0
    with tempfile.TemporaryDirectory() as t:
        work = pathlib.Path(t)
        (work / "bin").mkdir()
        (work / "bin" / "ctana").symlink_to(pathlib.Path(args.ctana).resolve())
        for d in ("testdata", "docs"):
            (work / d).symlink_to(repo / d)
        env = dict(os.environ, PATH=f"{work / 'bin'}:{os.environ['PATH']}")
        for start, block in blocks(text):
            for cmd, expected in commands(block):
                ran += 1
                res = subprocess.run(["bash", "-c", "exec 2>&1\n" + cmd], cwd=work, env=env, capture_output=True, text=True,
                                     timeout=120)
                got = VERSION.sub("ctana VERSION", res.stdout).rstrip("\n").split("\n") if res.stdout else []
                want = [VERSION.sub("ctana VERSION", x) for x in expected]
                if got != want:
                    diff = [f"    line {i + 1}: doc {w!r}\n    line {i + 1}: got {g!r}"
                            for i, (w, g) in enumerate(zip(want + [None] * len(got), got + [None] * len(want)))
                            if w != g][:5]
                    failures.append(f"{DOC}:{start}: `{cmd}` prints something else:\n" + "\n".join(diff))
        # the metric table is complete
        b = "testdata/diff/dns-ok.pcap"
        doc = json.loads(subprocess.run([args.ctana, "diff", "--json", b, b], capture_output=True, text=True).stdout)
        for m in doc["metrics"]:
            if f"| `{m['name']}` |" not in text:
                failures.append(f"{DOC}: metric {m['name']} is not in the metric table")
    for f in failures:
        print(f"FAIL {f}")
    print(f"{ran} commands from {DOC} run, {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
