#!/usr/bin/env python3
"""Frame numbers (docs/cli.md "Frame numbers") against tshark's frame.number on every trace in
testdata/real and testdata/diff, and against the record numbers of `ctana records` on the CTRACE traces.

For each pcap/pcapng trace, from one `tshark -T fields` pass (first occurrence of each field, so
that a header quoted in an ICMP error does not count):
  records     the record numbers and times of `ctana records` are tshark's frame numbers and times;
  sessions    each connection's first_frame and last_frame are TCP frames with its two ports, and
              every TCP frame tshark sees (not inside an ICMP error) lies in one connection's flow;
  flow        each row's frame is a TCP frame with the row's ports, sequence number, ACK number and
              SYN/RST flags; the rows' frames rise, from first_frame to last_frame;
  exceptions  first_frame <= last_frame within the trace; a TCP finding about a connection starts
              at its first frame; the last frame of refused/reset findings is a RST, of DNS answer
              findings a DNS response whose first frame is the query; ICMP and DHCP findings name
              ICMP and DHCP frames.
For the CTRACE traces, each flow row's frame is the record of that number in `ctana records`, and
that line shows the row's sequence number.
"""
import argparse
import json
import pathlib
import re
import shutil
import subprocess
import sys
from datetime import datetime, timezone

FIELDS = ["frame.number", "frame.time_epoch", "frame.protocols", "tcp.srcport", "tcp.dstport", "tcp.seq_raw",
          "tcp.ack_raw", "tcp.flags.syn", "tcp.flags.reset", "dns.flags.response"]

failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL", msg)


def tshark_frames(path):
    out = subprocess.run(["tshark", "-n", "-r", path, "-T", "fields", "-E", "separator=/t", "-E", "occurrence=f"]
                         + [a for f in FIELDS for a in ("-e", f)], capture_output=True, text=True)
    frames = {}
    for line in out.stdout.splitlines():
        cols = (line.split("\t") + [""] * len(FIELDS))[:len(FIELDS)]
        row = dict(zip(FIELDS, cols))
        row["layers"] = row["frame.protocols"].split(":")
        frames[int(row["frame.number"])] = row
    return frames


def is_tcp(row):
    return "tcp" in row["layers"] and "icmp" not in row["layers"] and "icmpv6" not in row["layers"]


def run_json(ctana, *args):
    res = subprocess.run([ctana, *args], capture_output=True, text=True)
    return json.loads(res.stdout) if res.stdout.strip() else None


def flow_rows(ctana, path, conn):
    res = subprocess.run([ctana, "flow", "--json", path, str(conn)], capture_output=True, text=True)
    return [json.loads(l) for l in res.stdout.splitlines() if l.strip()]


RECORD_LINE = re.compile(r"^.{2}\s*(\d+) (\d\d:\d\d:\d\d\.\d{6}) ")


def records_lines(ctana, path):
    res = subprocess.run([ctana, "records", path], capture_output=True, text=True)
    lines = {}
    for line in res.stdout.splitlines():
        m = RECORD_LINE.match(line)
        if m:
            lines[int(m.group(1))] = (m.group(2), line)
    return lines


def check_pcap(ctana, path, counts):
    name = pathlib.Path(path).name
    ts = tshark_frames(path)
    if not ts:
        fail(f"{name}: tshark read no frames")
        return
    # records: the same numbers, the same times
    recs = records_lines(ctana, path)
    if sorted(recs) != sorted(ts):
        fail(f"{name}: records numbers {min(recs, default=0)}..{max(recs, default=0)} ({len(recs)}) != tshark's "
             f"frame numbers 1..{len(ts)}")
    for nr, (tod, _line) in recs.items():
        if nr not in ts:
            continue
        sec, _, frac = ts[nr]["frame.time_epoch"].partition(".")
        want = datetime.fromtimestamp(int(sec), timezone.utc).strftime("%H:%M:%S") + "." + (frac + "000000")[:6]
        if tod != want:
            fail(f"{name}: record {nr} at {tod}, tshark's frame {nr} at {want}")
            break
        counts["records"] += 1
    # sessions and flows
    doc = run_json(ctana, "sessions", "--json", path)
    conns = {c["id"]: c for c in (doc or {}).get("connections", [])}
    in_flows = set()
    for cid, c in conns.items():
        ports = {str(c["client_port"]), str(c["server_port"])}
        rows = flow_rows(ctana, path, cid)
        frames = [r["frame"] for r in rows]
        if not rows or frames[0] != c["first_frame"] or frames[-1] != c["last_frame"]:
            fail(f"{name}: connection {cid}: flow frames {frames[:1]}..{frames[-1:]} but first_frame "
                 f"{c['first_frame']}, last_frame {c['last_frame']}")
        if frames != sorted(frames) or len(set(frames)) != len(frames):
            fail(f"{name}: connection {cid}: flow frames not rising: {frames}")
        for r in rows:
            t = ts.get(r["frame"])
            if t is None or not is_tcp(t):
                fail(f"{name}: connection {cid} row {r['nr']}: frame {r['frame']} is not a TCP frame in tshark")
                continue
            got = ({t["tcp.srcport"], t["tcp.dstport"]}, t["tcp.seq_raw"], t["tcp.ack_raw"] or "0",
                   t["tcp.flags.syn"] in ("1", "True"), t["tcp.flags.reset"] in ("1", "True"))
            want = (ports, str(r["seq"]), str(r["ack"]), "S" in r["flags"], "R" in r["flags"])
            if "A" not in r["flags"]:  # tshark shows the ACK number only with ACK set
                got, want = got[:2] + got[3:], want[:2] + want[3:]
            if got != want:
                fail(f"{name}: connection {cid} row {r['nr']}: frame {r['frame']} is {got} in tshark, ctana {want}")
            in_flows.add(r["frame"])
            counts["flow rows"] += 1
    tcp_frames = {n for n, t in ts.items() if is_tcp(t)}
    if tcp_frames != in_flows:
        missing = sorted(tcp_frames - in_flows)[:10]
        extra = sorted(in_flows - tcp_frames)[:10]
        fail(f"{name}: TCP frames in no flow {missing}, flow frames tshark has no TCP for {extra}")
    # findings
    ex = run_json(ctana, "exceptions", "--json", path) or {"exceptions": []}
    for f in ex["exceptions"]:
        first, last = f.get("first_frame"), f.get("last_frame")
        if first is None and last is None:
            continue
        what = f"{name}: {f['kind']} ({f['summary'][:60]})"
        if first is None or last is None or not 1 <= first <= last <= len(ts):
            fail(f"{what}: frames {first}..{last} not within 1..{len(ts)}")
            continue
        counts["findings"] += 1
        if f["module"] == "tcp" and f["connection"] and f["connection"] in conns:
            if first != conns[f["connection"]]["first_frame"]:
                fail(f"{what}: first_frame {first}, the connection's is {conns[f['connection']]['first_frame']}")
        if f["kind"] in ("refused", "reset", "reset_after_idle") and f["connection"]:
            if ts[last]["tcp.flags.reset"] not in ("1", "True"):
                fail(f"{what}: last_frame {last} is no RST in tshark")
        if f["kind"] in ("dns_error", "dns_slow", "dns_truncated"):
            if ts[first]["dns.flags.response"] not in ("0", "False") or ts[last]["dns.flags.response"] not in ("1", "True"):
                fail(f"{what}: frames {first} (query?) {last} (response?) are not so in tshark")
        if f["kind"] == "icmp_error" and not {"icmp", "icmpv6"} & set(ts[first]["layers"]):
            fail(f"{what}: frame {first} is no ICMP in tshark")
        if f["kind"].startswith("dhcp_") and "dhcp" not in ts[first]["layers"] and "bootp" not in ts[first]["layers"]:
            fail(f"{what}: frame {first} is no DHCP in tshark")


def check_ctrace(ctana, path, counts):
    name = pathlib.Path(path).name
    recs = records_lines(ctana, path)
    doc = run_json(ctana, "sessions", "--json", path)
    for c in (doc or {}).get("connections", []):
        for r in flow_rows(ctana, path, c["id"]):
            line = recs.get(r["frame"], ("", ""))[1]
            if f"seq {r['seq']} " not in line + " " and f"seq {r['seq']}\n" not in line + "\n":
                fail(f"{name}: connection {c['id']} row {r['nr']}: record {r['frame']} of ctana records does not "
                     f"show seq {r['seq']}: {line!r}")
            counts["ctrace flow rows"] += 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ctana", required=True)
    args = ap.parse_args()
    if not shutil.which("tshark"):
        print("tshark is not installed: run tools/build.sh (it installs the test oracles)")
        return 1
    counts = {"records": 0, "flow rows": 0, "findings": 0, "ctrace flow rows": 0}
    for p in sorted(list(pathlib.Path("testdata/real").glob("*")) + list(pathlib.Path("testdata/diff").glob("*"))):
        if p.suffix in (".pcap", ".pcapng"):
            check_pcap(args.ctana, str(p), counts)
    for p in sorted(pathlib.Path("testdata/ctrace").glob("*.ctrace")):
        check_ctrace(args.ctana, str(p), counts)
    print("checked: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    # the checks must have had something to check
    if counts["records"] < 1000 or counts["flow rows"] < 500 or counts["findings"] < 20 or counts["ctrace flow rows"] < 10:
        fail(f"too little checked: {counts}")
    print(f"{len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
