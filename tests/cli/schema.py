#!/usr/bin/env python3
"""Every JSON document ctana writes validates against its JSON Schema in docs/schema/.

Runs `summary --json`, `sessions --json`, `exceptions --json`, `flow N --json` (every
connection, every line) and `records --format json` (every line) over every trace in testdata/, plus option variants that add or change
optional parts (filters, --conn, --show-secrets, --max-listed, standard input, CTRACE options),
and validates each document with python3-jsonschema. Also checks that the schema files are
valid draft 2020-12 schemas, that every finding's time lies within the trace, and (self-check)
that deliberately broken documents are rejected, so the test can fail. Schema properties that no
document exercised are listed (not an error: some need input testdata/ does not have).

Run by hand over more traces: schema.py --ctana build/ctana --traces .cache/tcpdump-tests --max-flows 3
"""
import argparse
import copy
import json
import pathlib
import subprocess
import sys
import tempfile
import time

try:
    import jsonschema
    from jsonschema import Draft202012Validator
except ImportError:
    sys.exit("schema.py: python3-jsonschema is missing (apt-get install python3-jsonschema)")

SCHEMA_DIR = pathlib.Path("docs/schema")
DOCUMENTS = ["summary", "sessions", "exceptions", "flow-row", "records-row", "diff", "correlate"]  # common.schema.json: shared $defs
TRACE_DIRS = ["testdata/real", "testdata/crafted", "testdata/ctrace", "testdata/terse"]


def load_validators():
    """One validator per document schema; $refs between the files resolve offline."""
    docs = {}
    for path in sorted(SCHEMA_DIR.glob("*.schema.json")):
        try:
            schema = json.loads(path.read_text())
            Draft202012Validator.check_schema(schema)
        except (json.JSONDecodeError, jsonschema.exceptions.SchemaError) as e:
            raise ValueError(f"{path} is not a valid JSON Schema: {e}") from e
        docs[path.name] = schema
    for name in DOCUMENTS + ["common"]:
        if f"{name}.schema.json" not in docs:
            raise ValueError(f"{SCHEMA_DIR}/{name}.schema.json is missing")
    try:  # jsonschema >= 4.18
        from referencing import Registry, Resource
        from referencing.jsonschema import DRAFT202012
        registry = Registry().with_resources(
            (uri, Resource.from_contents(s, default_specification=DRAFT202012)) for uri, s in docs.items())

        def make(uri):
            return Draft202012Validator(docs[uri], registry=registry)
    except ImportError:  # Debian 12: jsonschema 4.10
        def make(uri):
            resolver = jsonschema.RefResolver(base_uri=uri, referrer=docs[uri], store=dict(docs))
            return Draft202012Validator(docs[uri], resolver=resolver)
    validators = {name: make(f"{name}.schema.json") for name in DOCUMENTS}
    return docs, validators


def json_path(path):
    out = "$"
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else f".{p}"
    return out


def most_specific(e):
    """For oneOf/anyOf, the sub-error that says most: the deepest, and not the "is not of type
    'null'" of the nullable branch."""
    if not e.context:
        return e
    sub = max(e.context, key=lambda c: (len(c.absolute_path), c.validator != "type"))
    return most_specific(sub)


def describe(e):
    msg = e.message
    if len(msg) > 200:  # the message quotes a whole object or enum: say which rule failed instead
        inst = json.dumps(e.instance)
        inst = inst if len(inst) <= 80 else inst[:77] + "..."
        msg = f"{inst} fails {e.validator!r} at schema {'/'.join(map(str, e.schema_path))}"
    return f"{json_path(e.absolute_path)}: {msg}"


def errors_of(validator, doc):
    errs = sorted(validator.iter_errors(doc), key=lambda e: list(map(str, e.absolute_path)))
    msgs = []
    for e in errs[:5]:
        msgs.append(describe(most_specific(e)))
    if len(errs) > 5:
        msgs.append(f"... {len(errs) - 5} more errors")
    return msgs


def finding_times(doc):
    """A check JSON Schema cannot express: every finding's time lies within the trace's span
    (a finding about no particular moment once said 1970-01-01)."""
    first, last = doc["time"]["first"], doc["time"]["last"]
    bad = []
    for i, f in enumerate(doc.get("exceptions", [])):
        # ISO times with a fixed layout compare as strings
        if first is None or not first <= f["time"] <= last:
            bad.append(f"$.exceptions[{i}].time: {f['kind']} at {f['time']}, outside the trace's "
                       f"{first} .. {last}")
    return bad


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ctana", required=True)
    ap.add_argument("-v", "--verbose", action="store_true", help="list every command run")
    ap.add_argument("--traces", action="append", default=[],
                    help="also validate the documents for every trace in this directory (repeatable)")
    ap.add_argument("--max-flows", type=int, default=0, help="flow at most this many connections per trace (0: all)")
    args = ap.parse_args()
    t0 = time.monotonic()
    failures = []

    try:
        schema_docs, validators = load_validators()
    except (ValueError, OSError) as e:
        print(f"FAIL {e}")
        return 1

    # Coverage: a schema property is covered when some valid document has that key path.
    seen_paths = set()

    def note_paths(kind, node, path=()):
        if isinstance(node, dict):
            for k, v in node.items():
                seen_paths.add((kind, path + (k,)))
                note_paths(kind, v, path + (k,))
        elif isinstance(node, list):
            for v in node:
                note_paths(kind, v, path + ("[]",))

    counts = {"summary": 0, "sessions": 0, "exceptions": 0, "flow-row": 0, "records-row": 0, "diff": 0, "correlate": 0}
    runs = 0
    refused = []

    def run(argv, stdin_path=None):
        nonlocal runs
        runs += 1
        if args.verbose:
            print("ctana " + " ".join(argv) + (f" < {stdin_path}" if stdin_path else ""))
        stdin = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL
        try:
            return subprocess.run([args.ctana, *argv], stdin=stdin, capture_output=True, timeout=120)
        finally:
            if stdin_path:
                stdin.close()

    def check(kind, argv, stdin_path=None, expect_doc=None):
        """Run one command and validate what it writes. expect_doc: None = whatever the exit code
        says (0/3: a document, 2: none), True = a document is required."""
        res = run(argv, stdin_path)
        cmd = "ctana " + " ".join(argv) + (f" < {stdin_path}" if stdin_path else "")
        if res.returncode == 2 and expect_doc is None:
            if res.stdout:
                failures.append(f"{cmd}: exit 2 (unusable input) but wrote {len(res.stdout)} bytes to stdout")
            refused.append(cmd)
            return []
        if res.returncode not in (0, 3, 4):  # 4: a --fail-on rule failed
            failures.append(f"{cmd}: exit {res.returncode}: {res.stderr.decode(errors='replace').strip()[:300]}")
            return []
        text = res.stdout.decode("utf-8", errors="strict")
        if kind in ("flow-row", "records-row"):
            docs = []
            for i, line in enumerate(text.splitlines(), 1):
                try:
                    docs.append((f"line {i}", json.loads(line)))
                except json.JSONDecodeError as e:
                    failures.append(f"{cmd}: line {i} is not JSON: {e}")
            if not docs and (kind == "flow-row" or expect_doc):  # a trace may hold no record
                failures.append(f"{cmd}: no JSON lines")
        else:
            try:
                docs = [("", json.loads(text))]
            except json.JSONDecodeError as e:
                failures.append(f"{cmd}: not JSON: {e}")
                return []
        out = []
        for where, doc in docs:
            errs = errors_of(validators[kind], doc)
            counts[kind] += 1
            if errs:
                failures.append(f"{cmd}{' ' + where if where else ''}: does not match "
                                f"{SCHEMA_DIR}/{kind}.schema.json:\n    " + "\n    ".join(errs))
            else:
                note_paths(kind, doc)
                if kind == "summary":
                    failures.extend(f"{cmd}: {m}" for m in finding_times(doc))
            out.append(doc)
        return out

    traces = sorted(p for d in TRACE_DIRS + args.traces for p in pathlib.Path(d).iterdir()
                    if p.is_file() and p.suffix != ".md")
    seen_formats = set()
    for trace in traces:
        t = str(trace)
        docs = check("summary", ["summary", "--json", t])
        if docs:
            seen_formats.add(docs[0]["input"]["format"])
        sess = check("sessions", ["sessions", "--json", t])
        check("exceptions", ["exceptions", "--json", t])
        check("records-row", ["records", "--format", "json", t])
        conns = [c["id"] for c in sess[0]["connections"]] if sess else []
        if args.max_flows and len(conns) > args.max_flows:
            conns = conns[:args.max_flows - 1] + conns[-1:]
        for n in conns:
            check("flow-row", ["flow", "--json", t, str(n)], expect_doc=True)
        if conns:
            check("sessions", ["sessions", "--json", "--conn", str(conns[-1]), t], expect_doc=True)
            check("exceptions", ["exceptions", "--json", "--conn", str(conns[0]), t], expect_doc=True)

    # Option variants: each adds, removes or changes an optional part of a document.
    ftp, v46 = "testdata/real/ftp-login.pcap", "testdata/real/tcp-v4-v6.pcap"
    ct = "testdata/ctrace/ftp-login-raw.ctrace"
    variants = [
        ("summary", ["summary", "--json", "--show-secrets", ftp]),
        ("summary", ["summary", "--json", "-f", "tcp port 21", ftp]),            # input.filter
        ("summary", ["summary", "--json", "--ip", "10.99.0.1", "--port", "21", ftp]),
        ("summary", ["summary", "--json", "-f", "udp port 9", v46]),             # everything filtered out
        ("summary", ["summary", "--json", "--top", "0", v46]),
        ("summary", ["summary", "--json", "--max-listed", "1", v46]),            # connections_omitted, exceptions omitted
        ("summary", ["summary", "--json", "--max-listed", "0", "testdata/real/tcp-scan.pcap"]),
        ("summary", ["summary", "--json", "--local", "10.99.0.1/32,fd00:99::1", "--app", "payroll=21", v46]),
        ("summary", ["summary", "--json", "--start", "2000-01-01T00:00:00", "--end", "2000-01-02T00:00:00", v46]),
        ("summary", ["summary", "--json", "--rt-threshold", "0", "--delayed-ack", "0", ftp]),
        ("summary", ["summary", "--json", "--idle-timeout", "0.001", "testdata/real/tcp-keepalive.pcap"]),
        ("summary", ["summary", "--json", "--tod-leap-seconds", "27", ct]),
        ("summary", ["summary", "--json", "--ctrace-field", "droprsn=-1", "--ctrace-field", "out=0", ct]),  # layout.note
        ("summary", ["summary", "--json", "--ctrace-field", "src=40", "testdata/ctrace/tv1-buffer-a.ctrace"]),
        ("summary", ["summary", "--json", "-f", "icmp", "testdata/ctrace/dns-icmp-rdw-damaged.ctrace"]),
        ("sessions", ["sessions", "--json", "--show-secrets", "--local", "10.99.0.2", ftp]),
        ("sessions", ["sessions", "--json", "--max-listed", "2", "testdata/real/tcp-scan.pcap"]),
        ("sessions", ["sessions", "--json", "--idle-timeout", "0.001", "testdata/real/tcp-keepalive.pcap"]),
        ("exceptions", ["exceptions", "--json", "--by", "severity", "testdata/real/tcp-scan.pcap"]),
        ("exceptions", ["exceptions", "--json", "--max-listed", "1", "testdata/real/tcp-scan.pcap"]),
        ("exceptions", ["exceptions", "--json", "--rt-threshold", "0", ftp]),
        ("flow-row", ["flow", "--json", "--relative", ftp, "2"]),
        ("flow-row", ["flow", "--json", "--local", "10.99.0.1", "-f", "tcp", ftp, "3"]),
        ("flow-row", ["flow", "--json", "--relative", ct, "2"]),
    ]
    # diff: every pair in testdata/diff, with rules, every metric, and a stored summary as baseline.
    pairs = [("transfer-clean", "transfer-loss"), ("transfer-clean", "transfer-stall"), ("ftp-ok", "ftp-fail"),
             ("ftp-ok", "ftp-missing"), ("dns-ok", "dns-servfail"), ("tls-ok", "tls-fail")]
    rules = "new:error,new:warning,gone:any,retrans_rate>+50%,rtt.p95>+100ms,dns.servfail>0,throughput.median<-20%"
    for a, b in pairs:
        da, db = f"testdata/diff/{a}.pcap", f"testdata/diff/{b}.pcap"
        check("diff", ["diff", "--json", da, db], expect_doc=True)
        check("diff", ["diff", "--json", "--all", "--fail-on", rules, db, da], expect_doc=True)
    stored = pathlib.Path(tempfile.mkdtemp()) / "baseline.json"
    stored.write_bytes(run(["summary", "--json", "testdata/real/ftp-login.pcap"]).stdout)
    check("diff", ["diff", "--format", "json", "--fail-on", "ftp.reply.530>0", str(stored), ftp], expect_doc=True)
    check("diff", ["diff", "--json", "--ignore-addresses", str(stored), "testdata/ctrace/ftp-login-raw.ctrace"],
          expect_doc=True)
    check("diff", ["diff", "--json", "--max-listed", "1", v46, "testdata/real/tcp-scan.pcap"], expect_doc=True)
    # correlate: the two-point capture both ways, forced offset, caps, unrelated and CTRACE inputs
    ca, cb = "testdata/real/correlate-client.pcap", "testdata/real/correlate-server.pcap"
    for argv in ([ca, cb], [cb, ca], ["--offset", "2.5", ca, cb], ["--max-listed", "2", "--max-flows", "1", ca, cb],
                 [ca, v46], [ct, ct], ["testdata/real/dns-icmp.pcapng", "testdata/real/dns-icmp.pcapng"]):
        check("correlate", ["correlate", "--json", *argv], expect_doc=True)
    stored.unlink()
    stored.parent.rmdir()
    variants += [
        ("summary", ["summary", "--json", "--fail-on", rules.replace("gone:any,", "").replace(
            ",retrans_rate>+50%,rtt.p95>+100ms", "").replace(",throughput.median<-20%", ""), ftp]),
        ("summary", ["summary", "--json", "--fail-on", "tls.failed>5,rtt.p95>1s", "testdata/real/tls.pcap"]),
    ]
    for kind, argv in variants:
        check(kind, argv, expect_doc=True)
    # Standard input: input.path is <stdin> and input.size_bytes null.
    for kind, argv in [("summary", ["summary", "--json", "-"]), ("sessions", ["sessions", "--json", "-"]),
                       ("exceptions", ["exceptions", "--json", "-"])]:
        check(kind, argv, stdin_path=v46, expect_doc=True)
    check("summary", ["summary", "--json", "-"], stdin_path="testdata/ctrace/vlan-qinq-vbs.ctrace", expect_doc=True)

    # Every input format and the partial exit code must have been validated, or this test proves less
    # than it claims.
    for f in ("pcap", "pcapng", "ctrace"):
        if f not in seen_formats:
            failures.append(f"no {f} input was validated")

    # Coverage: every property of the document schemas appears in some valid document.
    covered = {(k, p) for k, p in seen_paths}
    uncovered = coverage_gaps(schema_docs, covered)

    # Self-check: broken documents must be rejected.
    examples = {}
    for kind, argv in [("summary", ["summary", "--json", v46]), ("sessions", ["sessions", "--json", v46]),
                       ("exceptions", ["exceptions", "--json", v46]), ("flow-row", ["flow", "--json", ftp, "1"]),
                       ("records-row", ["records", "--format", "json", v46])]:
        docs = check(kind, argv, expect_doc=True)
        if not docs:
            failures.append(f"self-check: no example {kind} document")
            break
        examples[kind] = docs[0]
    else:
        self_check(validators, examples, failures)

    elapsed = time.monotonic() - t0
    total = sum(counts.values())
    print(f"validated {total} documents ({counts['summary']} summary, {counts['sessions']} sessions, "
          f"{counts['exceptions']} exceptions, {counts['flow-row']} flow lines, {counts['records-row']} records lines, "
          f"{counts['diff']} diff) from {runs} runs over "
          f"{len(traces)} traces; {len(refused)} runs refused the input (exit 2, no document) in {elapsed:.1f} s")
    if uncovered:
        print(f"{len(uncovered)} schema properties never appeared in a test document (not an error):")
        for u in uncovered:
            print(f"  {u}")
    for f in failures:
        print(f"FAIL {f}")
    print(f"{'FAILED' if failures else 'passed'}: {len(failures)} failures")
    return 1 if failures else 0


def coverage_gaps(schema_docs, covered):
    """Schema properties (as document key paths) that no validated document had."""
    gaps = []

    def resolve(ref, base):
        file, _, pointer = ref.partition("#")
        doc = schema_docs[file] if file else schema_docs[base]
        node = doc
        for part in pointer.strip("/").split("/") if pointer else []:
            node = node[part]
        return node, (file or base)

    def walk(kind, node, base, path, depth):
        if depth > 12 or not isinstance(node, dict):
            return
        if "$ref" in node:
            target, nbase = resolve(node["$ref"], base)
            walk(kind, target, nbase, path, depth + 1)
        for key in ("allOf", "anyOf", "oneOf"):
            for sub in node.get(key, []):
                walk(kind, sub, base, path, depth + 1)
        for sub in node.get("prefixItems", []):
            walk(kind, sub, base, path + ("[]",), depth + 1)
        for key in ("then", "else"):
            if key in node:
                walk(kind, node[key], base, path, depth + 1)
        for name, sub in node.get("properties", {}).items():
            p = path + (name,)
            if (kind, p) not in covered and f"{kind}:{'.'.join(p)}" not in gaps:
                gaps.append(f"{kind}:{'.'.join(p)}")
            walk(kind, sub, base, p, depth + 1)
        if isinstance(node.get("items"), dict):
            walk(kind, node["items"], base, path + ("[]",), depth + 1)

    for kind in DOCUMENTS:
        uri = f"{kind}.schema.json"
        walk(kind, schema_docs[uri], uri, (), 0)
    return gaps


def self_check(validators, examples, failures):
    """Mutate valid documents in ways the schemas must reject; each mutation must fail validation
    and the unmutated document must pass. The examples are real ctana output (tcp-v4-v6.pcap,
    ftp-login.pcap), so the check follows the code."""
    summary, sessions, exceptions, flow, record = (examples[k] for k in ("summary", "sessions", "exceptions", "flow-row",
                                                                         "records-row"))

    def setp(path, value):
        def f(d):
            node = d
            for p in path[:-1]:
                node = node[p]
            node[path[-1]] = value
        return f

    def delp(path):
        def f(d):
            node = d
            for p in path[:-1]:
                node = node[p]
            del node[path[-1]]
        return f

    mutations = [
        ("summary", summary, "schema_version 2", setp(["schema_version"], 2)),
        ("summary", summary, "count as a string", setp(["records", "read"], "114")),
        ("summary", summary, "fraction in an integer", setp(["packets", "total"], 1.5)),
        ("summary", summary, "negative count", setp(["bytes", "tcp"], -1)),
        ("summary", summary, "unknown top-level key", setp(["bogus"], 1)),
        ("summary", summary, "unknown key in a connection", setp(["connections", 0, "bogus"], True)),
        ("summary", summary, "missing required key", delp(["packets"])),
        ("summary", summary, "missing key in a direction", delp(["connections", 0, "directions", 1, "mss"])),
        ("summary", summary, "state not in the enum", setp(["connections", 0, "state"], "CLOSED")),
        ("summary", summary, "time without nanoseconds", setp(["time", "first"], "2024-01-02T03:04:05Z")),
        ("summary", summary, "null where none is written", setp(["packets", "tcp"], None)),
        ("summary", summary, "ctrace key for pcap input", setp(["ctrace"], {})),
        ("summary", summary, "category letter unknown", setp(["tcp", "categories", "x"], 1)),
        ("summary", summary, "unknown analysis flag", setp(["connections", 0, "directions", 0, "analysis", "bogus"], 1)),
        ("summary", summary, "finding kind unknown", setp(["exception_counts", "by_kind", "bogus_kind"], 1)),
        ("summary", summary, "exit code and meaning disagree", setp(["exit", "meaning"], "partial")),
        ("summary", summary, "tcp without connections", delp(["connections"])),
        ("sessions", sessions, "three directions", lambda d: d["connections"][0]["directions"].append(
            copy.deepcopy(d["connections"][0]["directions"][0]))),
        ("sessions", sessions, "directions swapped", lambda d: d["connections"][0]["directions"].reverse()),
        ("sessions", sessions, "address not an address", setp(["connections", 0, "client"], "-")),
        ("sessions", sessions, "port out of range", setp(["connections", 0, "server_port"], 70000)),
        ("exceptions", exceptions, "severity unknown", setp(["exceptions", 0, "severity"], "fatal")),
        ("exceptions", exceptions, "connection 0 instead of null", setp(["exceptions", 0, "connection"], 0)),
        ("exceptions", exceptions, "summary key of another document", setp(["tcp"], {})),
        ("flow-row", flow, "unknown analysis flag", setp(["analysis"], ["bogus_flag"])),
        ("flow-row", flow, "flags out of order", setp(["flags"], "AS")),
        ("flow-row", flow, "sequence number above 2^32", setp(["seq"], 2 ** 32)),
        ("flow-row", flow, "io not I or O", setp(["io"], "X")),
        ("flow-row", flow, "schema_version on a flow line", setp(["schema_version"], 1)),
        ("flow-row", flow, "no frame number", delp(["frame"])),
        ("records-row", record, "frame 0", setp(["frame"], 0)),
        ("records-row", record, "protocol unknown", setp(["protocol"], "sctp")),
        ("records-row", record, "cid not hex", setp(["cid"], "58")),
        ("records-row", record, "unknown key", setp(["bogus"], 1)),
    ]
    for kind, base, what, mutate in mutations:
        if errors_of(validators[kind], base):
            failures.append(f"self-check: the unmutated {kind} example does not validate: "
                            f"{errors_of(validators[kind], base)}")
            return
        doc = copy.deepcopy(base)
        mutate(doc)
        errs = errors_of(validators[kind], doc)
        if not errs:
            failures.append(f"self-check: {kind} with {what} was accepted by {kind}.schema.json")
        elif "-v" in sys.argv or "--verbose" in sys.argv:
            print(f"self-check: {kind} with {what}: rejected: {errs[0]}")


if __name__ == "__main__":
    sys.exit(main())
