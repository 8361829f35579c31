#!/usr/bin/env python3
"""Tables (docs/cli.md "Tables"): `--format csv|tsv` of sessions, exceptions, flow and records,
parsed back with Python's csv module and compared value by value with the JSON of the same
command on every trace in testdata/real and testdata/diff and on the CTRACE traces.

Checks: the header is the documented column list (each column named in docs/cli.md); CSV lines
end in CRLF and values with a comma, quote or line break are quoted (RFC 4180: the parse gives
back the JSON's text exactly); TSV gives the same rows as CSV; one row per connection, finding,
packet or record, with the JSON's value under the column's name (absent -> empty, null -> empty,
arrays joined with ","); `--format json` is `--json`; a bare `records --format` still gives the
IPCS detail blocks; `records --statistics --format csv` is a usage error.
"""
import argparse
import csv
import io
import json
import pathlib
import subprocess
import sys

SESSION_SIDE = ["packets", "ip_bytes", "payload_bytes", "first", "last", "syn", "fin", "rst", "mss", "window_scale",
                "sack_permitted", "timestamps", "initial_window", "min_window", "max_window", "untraced"]
TCPA = ["retransmission", "fast_retransmission", "spurious_retransmission", "out_of_order", "lost_segment",
        "ack_lost_segment", "duplicate_ack", "zero_window", "zero_window_probe", "zero_window_probe_ack",
        "keep_alive", "keep_alive_ack", "window_update", "window_full", "reused_ports"]
COLUMNS = {
    "sessions": ["id", "client", "client_port", "server", "server_port", "application", "state", "roles_known",
                 "local", "first", "last", "first_frame", "last_frame", "elapsed_s", "saw_start", "reset_by",
                 "handshake_rtt_s", "syn_to_synack_s", "synack_to_ack_s", "exchanges", "response_time_avg_s",
                 "response_time_max_s", "server_time_s", "client_time_s", "stall_time_s",
                 "network_time_s", "idle_time_s", "idle_evicted"]
                + [f"{s}_{k}" for s in ("client", "server") for k in SESSION_SIDE + TCPA],
    "exceptions": ["severity", "category", "area", "kind", "cause", "module", "time", "last_time", "connection",
                   "first_frame", "last_frame", "client", "client_port", "server", "server_port", "count", "subject",
                   "summary", "explanation", "hint"],
    "flow": ["nr", "frame", "connection", "time", "delta_s", "from", "io", "flags", "category", "seq", "ack",
             "relative_seq", "relative_ack", "window", "data", "analysis", "application"],
    "records": ["frame", "time", "direction", "protocol", "link", "ip_id", "data_length", "source", "source_port",
                "destination", "destination_port", "tcp_flags", "seq", "ack", "window", "icmp_type", "icmp_code",
                "job", "cid", "discard_code", "discard", "ids_probe", "malformed", "application"],
}

failures = []
counts = {"sessions": 0, "exceptions": 0, "flow": 0, "records": 0, "quoted": 0}


def fail(msg):
    failures.append(msg)
    print("FAIL", msg)


def run(ctana, *args, code=None):
    res = subprocess.run([ctana, *args], capture_output=True)
    if code is not None and res.returncode != code:
        fail(f"ctana {' '.join(args)}: exit {res.returncode}, expected {code}: {res.stderr.decode()[:200]}")
    return res


def cell(v):
    """A JSON value as its table cell."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, list):
        return ",".join(cell(x) for x in v)
    return v if isinstance(v, str) else v


def same(csv_value, json_value):
    want = cell(json_value)
    if isinstance(want, (int, float)):
        try:
            return float(csv_value) == float(want)
        except ValueError:
            return False
    return csv_value == want


def parse(raw, what, kind):
    """Rows of a CSV document, after checking the header and the RFC 4180 line ends."""
    text = raw.decode("utf-8")
    if not text.endswith("\r\n") or text.count("\n") != text.count("\r\n"):  # (no value holds a line break)
        fail(f"{what}: CSV lines do not end in CRLF")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not rows or rows[0] != COLUMNS[kind]:
        fail(f"{what}: header {rows[:1]} is not the documented {COLUMNS[kind]}")
        return []
    counts["quoted"] += sum(1 for line in text.split("\r\n") if line.startswith('"') or ',"' in line)
    return [dict(zip(rows[0], r)) for r in rows[1:]]


def parse_tsv(raw):
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8"), newline=""), delimiter="\t", quoting=csv.QUOTE_NONE))
    return [dict(zip(rows[0], r)) for r in rows[1:]] if rows else []


def compare(what, kind, rows, objs):
    if len(rows) != len(objs):
        fail(f"{what}: {len(rows)} CSV rows, {len(objs)} JSON objects")
        return
    for i, (r, o) in enumerate(zip(rows, objs)):
        for c in COLUMNS[kind]:
            if not same(r[c], o.get(c)):
                fail(f"{what}: row {i + 1} column {c}: CSV {r[c]!r}, JSON {o.get(c)!r}")
                return
        counts[kind] += 1


def flat_connection(c):
    flat = {k: v for k, v in c.items() if not isinstance(v, (dict, list))}
    for d in c["directions"]:
        p = d["from"] + "_"
        flat.update({p + k: v for k, v in d.items() if not isinstance(v, (dict, list)) and k != "from"})
        flat.update({p + n: d["analysis"].get(n, 0) for n in TCPA})
    return flat


def check_trace(ctana, path, tcp):
    name = pathlib.Path(path).name
    # records
    csv_rows = parse(run(ctana, "records", "--format", "csv", path).stdout, f"{name} records", "records")
    objs = [json.loads(l) for l in run(ctana, "records", "--format", "json", path).stdout.decode().splitlines()]
    compare(f"{name} records", "records", csv_rows, objs)
    if parse_tsv(run(ctana, "records", "--format", "tsv", path).stdout) != csv_rows:
        fail(f"{name}: records --format tsv differs from csv")
    text_lines = [l for l in run(ctana, "records", path).stdout.decode(errors="replace").splitlines()[1:]
                  if not l.startswith("****")]
    if len(text_lines) != len(csv_rows):
        fail(f"{name}: records lists {len(text_lines)} records, --format csv {len(csv_rows)}")
    if not tcp:
        return
    # sessions
    doc = json.loads(run(ctana, "sessions", "--json", path).stdout)
    if run(ctana, "sessions", "--format", "json", path).stdout != run(ctana, "sessions", "--json", path).stdout:
        fail(f"{name}: sessions --format json differs from --json")
    rows = parse(run(ctana, "sessions", "--format", "csv", path).stdout, f"{name} sessions", "sessions")
    compare(f"{name} sessions", "sessions", rows, [flat_connection(c) for c in doc["connections"]])
    if parse_tsv(run(ctana, "sessions", "--table", "--format", "tsv", path).stdout) != rows:
        fail(f"{name}: sessions --format tsv differs from csv")
    # exceptions
    ex = json.loads(run(ctana, "exceptions", "--json", path).stdout)
    rows = parse(run(ctana, "exceptions", "--format", "csv", path).stdout, f"{name} exceptions", "exceptions")
    compare(f"{name} exceptions", "exceptions", rows, ex["exceptions"])
    tsv = parse_tsv(run(ctana, "exceptions", "--format", "tsv", path).stdout)
    if [r["kind"] for r in tsv] != [r["kind"] for r in rows]:
        fail(f"{name}: exceptions --format tsv differs from csv")
    # flow, the first 5 connections
    for c in doc["connections"][:5]:
        cid = str(c["id"])
        lines = run(ctana, "flow", "--json", path, cid).stdout.decode().splitlines()
        rows = parse(run(ctana, "flow", "--format", "csv", path, cid).stdout, f"{name} flow {cid}", "flow")
        compare(f"{name} flow {cid}", "flow", rows, [json.loads(l) for l in lines])
        if run(ctana, "flow", "--format", "json", path, cid).stdout.decode().splitlines() != lines:
            fail(f"{name}: flow {cid} --format json differs from --json")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ctana", required=True)
    ap.add_argument("--sanitized", action="store_true",
                    help="a sanitizer build (every start is slow): check every other trace")
    args = ap.parse_args()
    docs = pathlib.Path("docs/cli.md").read_text()
    for kind, cols in COLUMNS.items():
        for c in cols:
            if f"`{c}`" not in docs and not c.startswith(("client_", "server_")):
                fail(f"docs/cli.md does not name the {kind} column {c}")
    traces = sorted(p for d in ("testdata/real", "testdata/diff") for p in pathlib.Path(d).glob("*")
                    if p.suffix in (".pcap", ".pcapng"))
    for p in traces[::2] if args.sanitized else traces:
        check_trace(args.ctana, str(p), True)
    for p in sorted(pathlib.Path("testdata/ctrace").glob("*.ctrace")):
        check_trace(args.ctana, str(p), False)
    # a bare --format before FILE is still the IPCS detail blocks
    t = "testdata/real/tcp-refused.pcap"
    detail = run(args.ctana, "records", "--format", t, code=0).stdout
    if run(args.ctana, "records", "--format", "detail", t, code=0).stdout != detail or b"IP Header" not in detail:
        fail("records --format FILE is not the detail listing")
    run(args.ctana, "records", "--statistics", "--format", "csv", t, code=1)
    run(args.ctana, "records", "--format", "xml", t, code=1)
    run(args.ctana, "sessions", "--format", "xml", t, code=1)
    print("checked: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    least = 2 if args.sanitized else 1
    if counts["sessions"] * least < 50 or counts["exceptions"] * least < 50 or counts["flow"] * least < 500 \
            or counts["records"] * least < 5000 or counts["quoted"] * least < 20:
        fail(f"too little checked: {counts}")
    print(f"{len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
