#!/usr/bin/env python3
"""ctana diff and rule gates on real trace pairs (testdata/diff, made by
tools/capture/make-diff-pairs.sh): the verdicts, the exit codes, the changes reported, the JUnit
XML; identical traces and a trace against its own stored summary give no change and exit 0."""
import argparse
import json
import pathlib
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

D = "testdata/diff"
failures = []


def fail(msg):
    failures.append(msg)
    print(f"FAIL {msg}")


class Ctana:
    def __init__(self, exe):
        self.exe = exe
        self.runs = 0

    def __call__(self, *argv):
        self.runs += 1
        return subprocess.run([self.exe, *argv], capture_output=True, text=True, timeout=120)

    def json(self, *argv):
        r = self(*argv, "--json")
        try:
            return r.returncode, json.loads(r.stdout)
        except json.JSONDecodeError:
            fail(f"ctana {' '.join(argv)} --json: not JSON (exit {r.returncode}): {r.stderr.strip()[:300]}")
            return r.returncode, None


def expect_exit(res, code, what):
    if res.returncode != code:
        fail(f"{what}: exit {res.returncode}, expected {code}; stderr: {res.stderr.strip()[:300]}")


def rule(doc, text):
    for r in doc["rules"]:
        if r["rule"] == text:
            return r
    fail(f"rule {text} missing from the result")
    return {"status": None}


def change(doc, subject, field=None):
    for c in doc["changes"]:
        if c["subject"] == subject and (field is None or c["field"] == field):
            return c
    return None


# (baseline, current, rules that must fail, rules that must pass, changes that must be "worse")
PAIRS = [
    ("transfer-clean", "transfer-loss",
     ["retrans_rate>+50%", "retransmissions>+5", "throughput.median<-30%"],
     ["new:error", "zero_windows>0", "dns.servfail>0"],
     [("retransmissions", None), ("retrans_rate", None), ("throughput.median", None),
      ("service 10.99.2.2:46001", "retransmissions")]),
    ("transfer-clean", "transfer-stall",
     ["zero_windows>0", "new:warning", "new:zero_window", "throughput.median<-30%"],
     ["new:error", "retrans_rate>+50%", "failed_connections>0"],
     [("zero_windows", None), ("exception zero_window", "warning"), ("service 10.99.2.2:46001", "zero windows")]),
    ("ftp-ok", "ftp-fail",
     ["ftp.failed_logins>0", "ftp.reply.530>=1", "new:warning", "ftp.error_replies>+0"],
     ["new:error", "ftp.reply.550>0", "failed_connections>0"],
     [("FTP user ctanadiff #1", "login"), ("ftp.failed_logins", None), ("exception ftp_login_failed", "warning")]),
    ("ftp-ok", "ftp-missing",
     ["ftp.reply.550>0", "new:ftp_error_reply"],
     ["ftp.failed_logins>0", "new:error"],
     [("ftp.reply.550", None), ("FTP user ctanadiff #1", "4xx/5xx replies")]),
    ("dns-ok", "dns-servfail",
     ["dns.servfail>0", "new:warning", "dns.noerror<-25%"],
     ["dns.nxdomain>0", "dns.unanswered>0", "new:error"],
     [("dns.servfail", None), ("DNS api.ctana.test A", "error responses"), ("DNS db.ctana.test AAAA", "error responses")]),
    ("tls-ok", "tls-fail",
     ["new:error", "tls.failed>0", "tls.alerts>+0"],
     ["new:warning", "retrans_rate>+50%"],
     [("exception tls_handshake_failed", "error"), ("tls.failed", None), ("TLS www.ctana.test", "failed handshakes")]),
]


def check_pairs(ctana):
    for base, cur, must_fail, must_pass, worse in PAIRS:
        b, c = f"{D}/{base}.pcap", f"{D}/{cur}.pcap"
        rules = must_fail + must_pass
        args = ["diff", b, c] + [a for r in rules for a in ("--fail-on", r)]
        code, doc = ctana.json(*args)
        what = f"diff {base} {cur}"
        if code != 4:
            fail(f"{what}: exit {code}, expected 4 (regression)")
        if not doc:
            continue
        if doc["verdict"] != "regression":
            fail(f"{what}: verdict {doc['verdict']}")
        for r in must_fail:
            if rule(doc, r)["status"] != "fail":
                fail(f"{what}: rule {r} should fail: {rule(doc, r).get('message')}")
        for r in must_pass:
            if rule(doc, r)["status"] != "pass":
                fail(f"{what}: rule {r} should pass: {rule(doc, r).get('message')}")
        for subject, field in worse:
            ch = change(doc, subject, field)
            if not ch:
                fail(f"{what}: no change reported for {subject} {field or ''}")
            elif ch["level"] != "worse":
                fail(f"{what}: {subject} {field or ''} is '{ch['level']}', expected worse")
        # worst first: a regression heads the list, and no regression follows a non-regression
        levels = [x["level"] for x in doc["changes"]]
        if not levels or levels[0] != "worse":
            fail(f"{what}: the first change is not a regression: {levels[:3]}")
        first_other = next((i for i, lv in enumerate(levels) if lv != "worse"), len(levels))
        if "worse" in levels[first_other:]:
            fail(f"{what}: regressions are not all listed first: {levels}")
        # text report: the verdict line and the failed rules
        t = ctana(*args)
        expect_exit(t, 4, what + " (text)")
        if "Verdict  : REGRESSION" not in t.stdout:
            fail(f"{what}: text report lacks the regression verdict")
        for r in must_fail:
            if f"FAIL  {r}" not in t.stdout:
                fail(f"{what}: text report does not show '{r}' as FAIL")
        # the other way round, the regressed trace as baseline: the same relative rules pass
        code, back = ctana.json("diff", c, b, "--fail-on", "retrans_rate>+50%", "--fail-on", "new:error",
                                "--fail-on", "new:warning")
        if code != 0 or not back or back["verdict"] == "regression":
            fail(f"diff {cur} {base}: exit {code}, expected 0 (an improvement is no regression)")
        elif not any(x["level"] == "better" for x in back["changes"]):
            fail(f"diff {cur} {base}: no improvement reported")


def check_no_change(ctana, tmp):
    traces = sorted(pathlib.Path(D).glob("*.pcap")) + [pathlib.Path("testdata/real/ftp-login.pcap"),
                                                       pathlib.Path("testdata/ctrace/ftp-login-raw.ctrace")]
    rules = ["--fail-on", "new:any,gone:any,retrans_rate>+1%,rtt.p95>+1us,throughput.median<-1%,dns.servfail>+0"]
    for t in traces:
        stored = tmp / (t.name + ".json")
        r = ctana("summary", "--json", str(t), "-o", str(stored))
        expect_exit(r, 0, f"summary --json {t}")
        for a, b, what in [(t, t, "itself"), (stored, t, "its stored summary"), (t, stored, "its stored summary (reversed)")]:
            code, doc = ctana.json("diff", str(a), str(b), *rules)
            if code != 0 or not doc:
                fail(f"{t} against {what}: exit {code}, expected 0")
                continue
            if doc["verdict"] != "no_change" or doc["changes"]:
                fail(f"{t} against {what}: verdict {doc['verdict']}, changes {doc['changes'][:3]}")
            if any(r["status"] != "pass" and r["rule"] not in ("rtt.p95>+1us", "throughput.median<-1%")
                   for r in doc["rules"]):
                fail(f"{t} against {what}: a rule did not pass: {doc['rules']}")
        code, doc = ctana.json("diff", "--all", str(stored), str(t))
        if doc and any(c["level"] != "same" for c in doc["changes"]):
            fail(f"{t} --all against its summary: not all 'same'")
        if doc and not doc["changes"]:
            fail(f"{t} --all lists nothing")
        text = ctana("diff", str(t), str(stored))
        expect_exit(text, 0, f"diff {t} (text)")
        if "Verdict  : no change" not in text.stdout:
            fail(f"diff {t} against its stored summary: text verdict is not 'no change'")


def check_junit(ctana, tmp):
    junit = tmp / "rules.xml"
    rules = ["retrans_rate>+50%", "new:error", "dns.latency.p95>+10ms", "retransmissions>1000"]
    args = ["diff", f"{D}/transfer-clean.pcap", f"{D}/transfer-loss.pcap"]
    for r in rules:
        args += ["--fail-on", r]
    res = ctana(*args, "--junit", str(junit))
    expect_exit(res, 4, "diff --junit")
    for source, xml in [("--junit FILE", junit.read_text() if junit.exists() else ""),
                        ("--format junit", ctana(*args, "--format", "junit").stdout)]:
        try:
            root = ET.fromstring(xml)
        except ET.ParseError as e:
            fail(f"{source}: not XML: {e}")
            continue
        suite = root.find("testsuite")
        cases = suite.findall("testcase") if suite is not None else []
        if len(cases) != len(rules):
            fail(f"{source}: {len(cases)} test cases for {len(rules)} rules")
            continue
        by_name = {c.get("name"): c for c in cases}
        want = {"retrans_rate>+50%": "failure", "new:error": None, "dns.latency.p95>+10ms": "skipped",
                "retransmissions>1000": None}
        for name, child in want.items():
            c = by_name.get(name)
            if c is None:
                fail(f"{source}: no test case {name}")
                continue
            kids = [k.tag for k in c if k.tag in ("failure", "skipped")]
            if (child and kids != [child]) or (not child and kids):
                fail(f"{source}: test case {name} has {kids}, expected {child or 'a pass'}")
        if suite.get("failures") != "1" or suite.get("skipped") != "1" or suite.get("tests") != "4":
            fail(f"{source}: counts tests={suite.get('tests')} failures={suite.get('failures')} "
                 f"skipped={suite.get('skipped')}, expected 4/1/1")
    # no rules: one passing case
    res = ctana("diff", "--format", "junit", f"{D}/dns-ok.pcap", f"{D}/dns-servfail.pcap")
    expect_exit(res, 0, "diff --format junit without rules")
    cases = list(ET.fromstring(res.stdout).iter("testcase"))
    if len(cases) != 1 or list(cases[0]):
        fail("diff --format junit without rules: expected one passing test case")


def check_summary_gate(ctana, tmp):
    r = ctana("summary", f"{D}/ftp-fail.pcap", "--fail-on", "ftp.failed_logins>0,new:error")
    expect_exit(r, 4, "summary --fail-on on ftp-fail")
    if "FAIL  ftp.failed_logins>0" not in r.stdout or "pass  new:error" not in r.stdout:
        fail("summary --fail-on: the rules section does not show the results")
    r = ctana("summary", f"{D}/ftp-ok.pcap", "--fail-on", "ftp.failed_logins>0,new:error")
    expect_exit(r, 0, "summary --fail-on on ftp-ok")
    code, doc = ctana.json("summary", f"{D}/tls-fail.pcap", "--fail-on", "new:error")
    if code != 4 or not doc or doc["exit"] != {"code": 4, "meaning": "regression"} or \
            doc["rules"][0]["status"] != "fail" or "tls_handshake_failed" not in doc["rules"][0]["message"]:
        fail(f"summary --json --fail-on new:error on tls-fail: exit {code}, {doc and doc.get('rules')}")
    junit = tmp / "summary.xml"
    r = ctana("summary", f"{D}/dns-servfail.pcap", "--fail-on", "dns.servfail>0", "--junit", str(junit))
    expect_exit(r, 4, "summary --junit")
    if not junit.exists() or "<failure" not in junit.read_text():
        fail("summary --junit: no failure in the JUnit file")
    # rules that need a baseline, and bad rules, are usage errors (exit 1) naming the rule
    for bad, words in [("retrans_rate>+50%", "baseline"), ("gone:error", "baseline"),
                       ("retrans_rat>1", "did you mean retrans_rate"), ("rtt.p95>5kB", "not measured"),
                       ("retrans_rate=>1", "comparison"), ("connections>many", "not a number"),
                       ("new:", "after the colon"), ("rtt.p95>5ms/s", "unknown unit")]:
        r = ctana("summary", f"{D}/dns-ok.pcap", "--fail-on", bad)
        expect_exit(r, 1, f"summary --fail-on '{bad}'")
        if words not in r.stderr or bad.split(">")[0] not in r.stderr:
            fail(f"summary --fail-on '{bad}': message does not say '{words}': {r.stderr.strip()}")


def check_rules_file_and_errors(ctana, tmp):
    f = tmp / "gate.rules"
    f.write_text("# network gate\nretrans_rate > +50%   # relative\n\nnew:error\nzero_windows>0\n")
    code, doc = ctana.json("diff", "--rules", str(f), f"{D}/transfer-clean.pcap", f"{D}/transfer-stall.pcap")
    if code != 4 or not doc or [r["rule"] for r in doc["rules"]] != ["retrans_rate > +50%", "new:error", "zero_windows>0"]:
        fail(f"--rules file: exit {code}, rules {doc and [r['rule'] for r in doc['rules']]}")
    elif [r["status"] for r in doc["rules"]] != ["pass", "pass", "fail"]:
        fail(f"--rules file: statuses {[r['status'] for r in doc['rules']]}")
    f.write_text("new:error\nretrans_rate >> 5\n")
    r = ctana("diff", "--rules", str(f), f"{D}/dns-ok.pcap", f"{D}/dns-ok.pcap")
    expect_exit(r, 1, "bad rules file")
    if f"{f}:2" not in r.stderr:
        fail(f"bad rules file: message does not name {f}:2: {r.stderr.strip()}")
    r = ctana("diff", "--rules", str(tmp / "missing.rules"), f"{D}/dns-ok.pcap", f"{D}/dns-ok.pcap")
    expect_exit(r, 1, "missing rules file")
    # not a summary document; a future schema version; a missing file
    other = tmp / "sessions.json"
    other.write_text(ctana("sessions", "--json", f"{D}/dns-ok.pcap").stdout)
    r = ctana("diff", str(other), f"{D}/dns-ok.pcap")
    expect_exit(r, 2, "diff with a sessions document as baseline")
    if "not a ctana summary" not in r.stderr or str(other) not in r.stderr:
        fail(f"diff with a sessions document: message {r.stderr.strip()}")
    newer = tmp / "newer.json"
    d = json.loads(ctana("summary", "--json", f"{D}/dns-ok.pcap").stdout)
    d["schema_version"] = 2
    newer.write_text(json.dumps(d))
    r = ctana("diff", str(newer), f"{D}/dns-ok.pcap")
    expect_exit(r, 2, "diff with schema_version 2")
    if "schema version 2" not in r.stderr:
        fail(f"diff with schema_version 2: message {r.stderr.strip()}")
    broken = tmp / "broken.json"
    broken.write_text('{"schema_version": 1, ')
    r = ctana("diff", str(broken), f"{D}/dns-ok.pcap")
    expect_exit(r, 2, "diff with broken JSON")
    r = ctana("diff", f"{D}/dns-ok.pcap", str(tmp / "nosuch.pcap"))
    expect_exit(r, 2, "diff with a missing current trace")
    # a partial input and no failed rule: exit 3; a failed rule outranks it: exit 4
    cut = "testdata/crafted/cut-mid-record.pcap"
    r = ctana("diff", cut, cut, "--fail-on", "new:error")
    expect_exit(r, 3, "diff of a partial trace")
    r = ctana("diff", cut, cut, "--fail-on", "packets>0")
    expect_exit(r, 4, "diff of a partial trace with a failing rule")
    # nothing measured: not evaluated, no failure
    code, doc = ctana.json("diff", f"{D}/dns-ok.pcap", f"{D}/dns-ok.pcap", "--fail-on", "rtt.p95>+10ms")
    if code != 0 or not doc or doc["rules"][0]["status"] != "not_evaluated":
        fail(f"rule on a metric with no value: exit {code}, {doc and doc['rules']}")
    # --ignore-addresses: services keyed by port only
    code, doc = ctana.json("diff", "--ignore-addresses", f"{D}/transfer-clean.pcap", f"{D}/transfer-loss.pcap")
    if not doc or not change(doc, "service port 46001", "retransmissions"):
        fail("--ignore-addresses: no change for 'service port 46001'")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ctana", required=True)
    args = ap.parse_args()
    ctana = Ctana(args.ctana)
    with tempfile.TemporaryDirectory() as t:
        tmp = pathlib.Path(t)
        check_pairs(ctana)
        check_no_change(ctana, tmp)
        check_junit(ctana, tmp)
        check_summary_gate(ctana, tmp)
        check_rules_file_and_errors(ctana, tmp)
    print(f"{ctana.runs} runs, {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
