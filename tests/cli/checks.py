"""Shared by the tests/cli scripts: a check that prints its outcome and keeps the failures, and
`ctana summary --json` run with one and with two threads, which must give the same document."""
import json
import subprocess

failures = []


def check(cond, msg):
    print(("ok   " if cond else "FAIL ") + msg)
    if not cond:
        failures.append(msg)


def summary_json(exe, path, *extra, ok=(0,)):
    """The summary of `path` (extra options before it) as a dict; checks that one and two threads
    agree byte for byte. An exit status outside `ok` (0; 3 means findings at the --fail-on level)
    stops the test."""
    outs = []
    for threads in ("1", "2"):
        r = subprocess.run([exe, "summary", "--json", "--threads", threads, *extra, path], capture_output=True,
                           text=True)
        if r.returncode not in ok:
            raise SystemExit(f"ctana failed on {path} (exit {r.returncode}): {r.stderr}")
        outs.append(r.stdout)
    check(outs[0] == outs[1], f"{path} {' '.join(extra)}: the same JSON with 1 and 2 threads")
    return json.loads(outs[0])
