#!/usr/bin/env python3
"""Where the time went (docs/tcp.md): each connection's elapsed time in five parts.

On every trace in testdata/real, testdata/scenarios and testdata/crafted that ctana reads, for
every TCP connection of `sessions --format json`: the five parts (server_time_s, client_time_s,
stall_time_s, network_time_s, idle_time_s) are present, not negative, and sum to elapsed_s (to
the microsecond per pause; a trace whose time goes back within a connection may sum to less).
The CSV table has the same figures. And on the real scenario captures the part that must
dominate does: the zero-window stall is a receiver stall, the keepalive-only connection is idle,
the lossy bulk transfer is network, the slow FTP login (vsftpd's delayed 530) is host time.
"""
import argparse
import csv
import io
import json
import pathlib
import subprocess
import sys

PARTS = ["server_time_s", "client_time_s", "stall_time_s", "network_time_s", "idle_time_s"]
failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL", msg)


def sessions(ctana, path, fmt):
    r = subprocess.run([ctana, "sessions", "--max-listed", "1000000", "--format", fmt, str(path)],
                       capture_output=True, text=True)
    if r.returncode not in (0, 2):  # 2: read problems in a crafted trace
        return None
    return r.stdout


def time_goes_back(conn):
    return any(d.get("first") and d.get("last") and d["first"] > d["last"] for d in conn["directions"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ctana", required=True)
    a = ap.parse_args()
    root = pathlib.Path(__file__).resolve().parents[2] / "testdata"
    traces = sorted(p for d in ("real", "scenarios", "crafted") for p in (root / d).iterdir()
                    if p.suffix in (".pcap", ".pcapng"))
    conns_seen = 0
    by_name = {}
    for path in traces:
        out = sessions(a.ctana, path, "json")
        if not out:
            continue
        conns = json.loads(out)["connections"]
        by_name[path.name] = conns
        for c in conns:
            conns_seen += 1
            where = f"{path.name} connection {c['id']}"
            parts = [c.get(k) for k in PARTS]
            if any(p is None for p in parts):
                fail(f"{where}: a part is missing or null: {dict(zip(PARTS, parts))}")
                continue
            if any(p < 0 for p in parts):
                fail(f"{where}: a negative part: {dict(zip(PARTS, parts))}")
            total, elapsed = sum(parts), c["elapsed_s"]
            if elapsed is None:
                continue
            packets = sum(d["packets"] for d in c["directions"])
            tolerance = 1e-6 * max(packets, 1)
            if abs(total - elapsed) > tolerance and not (total < elapsed and time_goes_back(c)):
                fail(f"{where}: the parts sum to {total:.6f} s, elapsed is {elapsed:.6f} s")
        # the table says the same
        table = sessions(a.ctana, path, "csv")
        rows = {int(r["id"]): r for r in csv.DictReader(io.StringIO(table))} if table else {}
        for c in conns:
            row = rows.get(c["id"])
            if row is None:
                fail(f"{path.name}: connection {c['id']} missing from the CSV table")
                continue
            for k in PARTS:
                if c[k] is not None and abs(float(row[k]) - c[k]) > 1e-6:
                    fail(f"{path.name} connection {c['id']}: {k} is {row[k]} in the table, {c[k]} in JSON")

    def dominant(name, conn_id, part, share):
        conns = {c["id"]: c for c in by_name.get(name, [])}
        c = conns.get(conn_id)
        if c is None:
            fail(f"{name}: no connection {conn_id}")
            return
        if not c["elapsed_s"] or c[part] < share * c["elapsed_s"]:
            fail(f"{name} connection {conn_id}: {part} {c[part]} s is not {share:.0%} of {c['elapsed_s']} s: "
                 + ", ".join(f"{k} {c[k]}" for k in PARTS))
        else:
            print(f"ok {name} connection {conn_id}: {part} {c[part]:.6f} of {c['elapsed_s']:.6f} s")

    dominant("tcp-zero-window.pcap", 1, "stall_time_s", 0.95)
    dominant("tcp-keepalive.pcap", 1, "idle_time_s", 0.95)
    dominant("tcp-bulk-loss.pcap", 1, "network_time_s", 0.9)
    dominant("ftp-login.pcap", 1, "server_time_s", 0.95)
    dominant("tcp-retrans-reset.pcap", 1, "network_time_s", 0.95)
    print(f"{len(traces)} traces, {conns_seen} connections checked")
    if conns_seen < 100:
        fail(f"only {conns_seen} connections checked")
    if failures:
        print(f"{len(failures)} failures")
        sys.exit(1)


if __name__ == "__main__":
    main()
