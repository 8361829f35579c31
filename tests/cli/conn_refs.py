#!/usr/bin/env python3
"""Connections named by their endpoints and by a moment (docs/cli.md, --conn and --at).

On every pcap trace in testdata/real with TCP connections:
  sessions --conn ADDR:PORT-ADDR:PORT  lists exactly the connections between these endpoints (in
                                       either order of the endpoints), with their numbers;
  flow ENDPOINTS                       is, row for row, flow N of the first of them;
  sessions --at TIME                   (ISO, from a connection's first and last packet) lists the
                                       connections whose span holds TIME, or that were still
                                       open at the end, and nothing else;
and malformed specs are refused with exit code 1 and a message naming the option.
"""
import argparse
import json
import pathlib
import subprocess
import sys
from datetime import datetime, timezone

failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL", msg)


def run(ctana, *args, code=0):
    r = subprocess.run([ctana, *args], capture_output=True, text=True)
    if r.returncode != code:
        fail(f"{' '.join(args)}: exit {r.returncode}, expected {code}: {r.stderr.strip()[:300]}")
    return r


def ends(addr, port):
    return f"[{addr}]:{port}" if ":" in addr else f"{addr}:{port}"


def iso(ns):
    s, frac = divmod(ns, 1_000_000_000)
    return datetime.fromtimestamp(s, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S") + f".{frac:09d}Z"


def ns_of(text):
    head, frac = text.rstrip("Z").split(".")
    s = int(datetime.strptime(head, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc).timestamp())
    return s * 1_000_000_000 + int(frac.ljust(9, "0")[:9])


def check(ctana, path):
    conns = json.loads(run(ctana, "sessions", "--json", path).stdout)["connections"]
    if not conns:
        return 0
    for c in conns[:6]:
        a, b = ends(c["client"], c["client_port"]), ends(c["server"], c["server_port"])
        same = [x["id"] for x in conns if {(x["client"], x["client_port"]), (x["server"], x["server_port"])} ==
                {(c["client"], c["client_port"]), (c["server"], c["server_port"])}]
        for spec in (f"{a}-{b}", f"{b}-{a}"):
            got = [x["id"] for x in json.loads(run(ctana, "sessions", "--json", "--conn", spec, path).stdout)["connections"]]
            if got != same:
                fail(f"{path}: sessions --conn {spec}: {got}, expected {same}")
        rows_n = run(ctana, "flow", "--json", path, str(same[0])).stdout
        rows_e = run(ctana, "flow", "--json", path, f"{a}-{b}").stdout
        if rows_n != rows_e or not rows_n:
            fail(f"{path}: flow {a}-{b} differs from flow {same[0]}")
    for c in conns[:6]:
        for t in (ns_of(c["first"]), ns_of(c["last"])):
            got = {x["id"] for x in json.loads(run(ctana, "sessions", "--json", "--at", iso(t), path).stdout)["connections"]}
            want = {x["id"] for x in conns
                    if ns_of(x["first"]) <= t and (ns_of(x["last"]) >= t or
                                                   (x["state"] in ("open", "half-closed") and not x["idle_evicted"]))}
            if got != want:
                fail(f"{path}: sessions --at {iso(t)}: {sorted(got)}, expected {sorted(want)}")
            if c["id"] not in got:
                fail(f"{path}: sessions --at {iso(t)} misses connection {c['id']}, open then")
    return len(conns)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ctana", required=True)
    a = ap.parse_args()
    n = 0
    for p in sorted(pathlib.Path("testdata/real").glob("*.pcap")):
        n += check(a.ctana, str(p))
    trace = "testdata/real/ftp-login.pcap"
    for bad in ("0", "x", "10.99.0.1:48002", "10.99.0.1:48002-10.99.0.2", "fd00::1:4000-fd00::2:21",
                "10.99.0.1:70000-10.99.0.2:21", "10.99.0.1/24:1-10.99.0.2:21"):
        r = run(a.ctana, "sessions", "--conn", bad, trace, code=1)
        if "--conn " + bad not in r.stderr:
            fail(f"sessions --conn {bad}: the message does not name the option: {r.stderr.strip()}")
    r = run(a.ctana, "sessions", "--conn", "10.1.1.1:1-10.1.1.2:2", trace, code=1)
    r = run(a.ctana, "flow", trace, "10.1.1.1:1-10.1.1.2:2", code=1)
    r = run(a.ctana, "sessions", "--at", "25:99", trace, code=1)
    if "--at" not in r.stderr:
        fail(f"sessions --at 25:99: the message does not name the option: {r.stderr.strip()}")
    print(f"{n} connections checked, {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
