#!/usr/bin/env python3
"""Scenario suite (issue 14 item 6; docs/findings.md "Scenario suite").

Runs `ctana exceptions --json` on every trace of tests/scenarios.json and compares its findings
with the table: the findings each scenario must report ('expect': kind, at least a severity,
optionally at most one, a cause, a text in the summary), the ones that are correct there but not
its point ('allow') and the ones that must not appear ('forbid'). Scenarios marked 'clean' are
healthy traffic: nothing above info may appear on them.

Prints, and fails on:
- recall: expected findings reported / expected findings; fails below 95 %;
- false errors: findings of severity error that no 'expect'/'allow' entry covers; fails on any;
- false warnings on clean traffic: warnings on the clean scenarios, as a share of all the findings
  reported on them; fails above 2 %;
- false warnings on the other scenarios (as a share of all their findings) are printed, and fail
  above 2 % too;
- any 'forbid' entry matched fails.
--only NAME runs the scenarios whose trace path contains NAME; -v lists every finding."""
import argparse
import json
import os
import subprocess
import sys

SEV = {"info": 0, "warning": 1, "error": 2}
TABLE = "tests/scenarios.json"


def matches(f, e):
    """Does finding f satisfy table entry e (kind, severity range, cause, summary text)?"""
    if f["kind"] != e["kind"]:
        return False
    s = SEV[f["severity"]]
    if s < SEV[e.get("severity", "info")] or s > SEV[e.get("max_severity", "error")]:
        return False
    if "cause" in e and f.get("cause") != e["cause"]:
        return False
    if "summary_contains" in e and e["summary_contains"] not in f["summary"]:
        return False
    return True


def pct(a, b):
    return 100.0 * a / b if b else 0.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ctana", required=True)
    ap.add_argument("--table", default=TABLE)
    ap.add_argument("--only", default="")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    with open(args.table, encoding="utf-8") as fh:
        table = json.load(fh)["scenarios"]
    table = [s for s in table if args.only in s["trace"]]
    if not table:
        print(f"no scenario matches {args.only!r}")
        return 1

    problems = []          # table or run errors: always a failure
    expected = found = 0
    false_errors, forbidden = [], []
    clean_false_warn, clean_findings = [], 0
    other_false_warn, other_findings = [], 0
    n_clean = 0
    for sc in table:
        trace = sc["trace"]
        if not os.path.exists(trace):
            problems.append(f"{trace}: missing")
            continue
        res = subprocess.run([args.ctana, "exceptions", "--json", trace], capture_output=True)
        if res.returncode not in (0, 1):
            problems.append(f"{trace}: exit {res.returncode}: {res.stderr.decode(errors='replace')[:300]}")
            continue
        try:
            findings = json.loads(res.stdout)["exceptions"]
        except (ValueError, KeyError) as err:
            problems.append(f"{trace}: no JSON findings ({err})")
            continue
        clean = sc.get("clean", False)
        n_clean += clean
        expect = [] if clean else sc.get("expect", [])
        allow = [] if clean else sc.get("allow", [])
        if not clean and not expect:
            problems.append(f"{trace}: a scenario that is not clean must expect something")
        if clean and (sc.get("expect") or sc.get("allow")):
            problems.append(f"{trace}: a clean scenario expects or allows nothing")
        name = os.path.basename(trace)
        if args.verbose:
            print(f"{name}:")
            for f in findings:
                print(f"    {f['severity']:7} {f['kind']} [{f.get('cause')}] {f['summary'][:140]}")
        for e in expect:
            expected += 1
            if any(matches(f, e) for f in findings):
                found += 1
            else:
                got = sorted({(f["kind"], f["severity"]) for f in findings if f["kind"] == e["kind"]})
                problems.append(f"{name}: MISSED {json.dumps(e)} (reported of that kind: {got or 'none'})")
        for e in sc.get("forbid", []):
            hits = [f for f in findings if matches(f, e)]
            for f in hits[:3]:
                forbidden.append(f"{name}: FORBIDDEN {f['severity']} {f['kind']}: {f['summary'][:160]}")
        if clean:
            clean_findings += len(findings)
        else:
            other_findings += len(findings)
        for f in findings:
            if SEV[f["severity"]] < SEV["warning"] or any(matches(f, e) for e in expect + allow):
                continue
            line = f"{name}: {f['severity']} {f['kind']} [{f.get('cause')}]: {f['summary'][:160]}"
            if f["severity"] == "error":
                false_errors.append(line)
            elif clean:
                clean_false_warn.append(line)
            else:
                other_false_warn.append(line)

    recall = pct(found, expected) if expected else 100.0
    r_clean = pct(len(clean_false_warn), clean_findings) if clean_false_warn else 0.0
    r_other = pct(len(other_false_warn), other_findings) if other_false_warn else 0.0
    for line in problems + forbidden + false_errors + clean_false_warn + other_false_warn:
        print("  " + line)
    print(f"scenarios: {len(table)} ({len(table) - n_clean} with problems, {n_clean} clean)")
    print(f"recall: {found} of {expected} expected findings reported = {recall:.1f} % (at least 95 %)")
    print(f"false errors: {len(false_errors)} (none allowed)")
    print(f"false warnings on clean traffic: {len(clean_false_warn)} of {clean_findings} findings "
          f"= {r_clean:.1f} % (at most 2 %)")
    print(f"false warnings on the other scenarios: {len(other_false_warn)} of {other_findings} findings "
          f"= {r_other:.1f} % (at most 2 %)")
    print(f"forbidden findings reported: {len(forbidden)} (none allowed)")
    fail = (recall < 95.0 or false_errors or r_clean > 2.0 or r_other > 2.0 or forbidden
            or any("MISSED" not in p for p in problems))
    print("FAIL" if fail else "ok")
    return 1 if fail else 0


if __name__ == "__main__":
    sys.exit(main())
