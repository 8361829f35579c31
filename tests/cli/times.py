#!/usr/bin/env python3
"""One time syntax everywhere (docs/cli.md "Times"): summary, sessions, exceptions, diff and records
take --start/--end as ISO 8601, seconds since 1970, hh:mm:ss[.f] on the trace's first day or +S
after its first record, and every form of the same instant selects the same packets; --tz shows
the text reports' times in a zone (JSON stays UTC) and reads zone-less times in it."""
import argparse
import datetime as dt
import json
import re
import subprocess
import sys

TRACES = ["testdata/ctrace/ftp-login-raw.ctrace", "testdata/real/ftp-login.pcap"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ctana", required=True)
    ctana = ap.parse_args().ctana
    failures, passed = [], 0

    def run(*argv):
        return subprocess.run([ctana, *argv], capture_output=True)

    def check(cond, name, detail=""):
        nonlocal passed
        if cond:
            passed += 1
        else:
            failures.append(f"FAIL {name}{': ' + str(detail)[:600] if detail else ''}")

    for trace in TRACES:
        doc = json.loads(run("summary", "--json", trace).stdout)
        first, last = doc["time"]["first_ns"], doc["time"]["last_ns"]
        total = doc["records"]["read"]
        # an instant in the middle of the trace, on a microsecond, written in every form
        t = (first + (last - first) // 2) // 1000 * 1000
        rel_ns = t - first
        utc = dt.datetime.fromtimestamp(t // 10**9, dt.timezone.utc)
        frac = f"{t % 10**9:09d}"
        forms = {
            "iso": utc.strftime("%Y-%m-%dT%H:%M:%S.") + frac + "Z",
            "iso-no-zone": utc.strftime("%Y-%m-%d %H:%M:%S.") + frac,
            "iso-offset": (utc + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%S.") + frac + "+02:00",
            "epoch": f"{t // 10**9}.{frac}",
            "time-of-day": utc.strftime("%H:%M:%S.") + frac[:6],
            "relative": f"+{rel_ns // 10**9}.{rel_ns % 10**9:09d}",
        }
        for cmd in (["summary", "--json"], ["sessions", "--table"], ["exceptions", "--json"]):
            outs = {}
            for name, form in forms.items():
                r = run(*cmd, "--start", form, trace)
                check(r.returncode == 0, f"{cmd[0]} --start {name} ({form})", r.stderr.decode())
                outs[name] = r.stdout
            check(len(set(outs.values())) == 1, f"{cmd[0]} {trace}: every form of --start selects the same packets",
                  {k: len(v) for k, v in outs.items()})
        s = json.loads(run("summary", "--json", "--start", forms["relative"], trace).stdout)
        e = json.loads(run("summary", "--json", "--end", forms["time-of-day"], trace).stdout)
        check(0 < s["records"]["filtered_out"] < total, f"{trace}: --start cuts the trace", s["records"])
        check(s["records"]["filtered_out"] + e["records"]["filtered_out"] == total,
              f"{trace}: --start T and --end T split the trace", (s["records"], e["records"]))
        # records: the same forms, --end before and --stop at or before the time
        recs = {name: run("records", "--start", form, trace).stdout for name, form in forms.items()}
        check(len(set(recs.values())) == 1, f"records {trace}: every form of --start", {k: len(v) for k, v in recs.items()})
        listing = run("records", trace).stdout.decode().splitlines()
        times = [ln.split()[2] for ln in listing[1:] if re.match(r"^.. +\d+ \d\d:", ln) or re.match(r"^\S* *\d+ \d\d:", ln)]
        times = [x for x in times if re.match(r"\d\d:\d\d:\d\d\.\d{6}$", x)]
        if times:
            at = times[len(times) // 2]
            n_at = times.count(at)
            stop = run("records", "--stop", at, trace).stdout.decode().count("\n")
            end = run("records", "--end", at, trace).stdout.decode().count("\n")
            check(stop - end == n_at, f"records {trace}: --stop includes the time, --end does not", (stop, end, n_at))
        both = run("records", "--stop", "+1", "--end", "+1", trace)
        check(both.returncode == 1 and b"--stop" in both.stderr, "records: --stop and --end exclude each other",
              both.stderr.decode())
        # a window across midnight: the end time of day before the start is on the next day
        day_end = run("summary", "--json", "--start", "23:59:59", "--end", utc.strftime("%H:%M:%S"), trace)
        check(json.loads(day_end.stdout)["records"]["filtered_out"] == total, "window from 23:59:59 to a morning time")

    # --tz: text in the zone, JSON in UTC, zone-less input read in the zone
    trace = TRACES[0]
    plain = run("summary", trace).stdout.decode()
    berlin = run("summary", "--tz", "+02:00", trace).stdout.decode()
    m1 = re.search(r"First packet : (\S+)", plain)
    m2 = re.search(r"First packet : (\S+)", berlin)
    check(m1 and m2 and m1.group(1).endswith("Z") and m2.group(1).endswith("+02:00"), "--tz in the summary text",
          (m1 and m1.group(1), m2 and m2.group(1)))
    if m1 and m2:
        a = dt.datetime.fromisoformat(m1.group(1)[:26].replace("Z", "") + "+00:00")
        b = dt.datetime.fromisoformat(m2.group(1)[:26] + m2.group(1)[-6:])
        check(a == b, "--tz shows the same instant", (a, b))
    j1, j2 = run("summary", "--json", trace).stdout, run("summary", "--json", "--tz", "+02:00", trace).stdout
    check(j1 == j2, "JSON stays UTC with --tz")
    r1 = run("records", trace).stdout.decode().splitlines()
    r2 = run("records", "--tz", "-05:00", trace).stdout.decode().splitlines()
    t1 = re.search(r" (\d\d):(\d\d:\d\d\.\d{6}) ", r1[2]) if len(r1) > 2 else None
    t2 = re.search(r" (\d\d):(\d\d:\d\d\.\d{6}) ", r2[2]) if len(r2) > 2 else None
    check(t1 and t2 and (int(t1.group(1)) - 5) % 24 == int(t2.group(1)) and t1.group(2) == t2.group(2),
          "records --tz -05:00", (r1[2:3], r2[2:3]))
    s1 = run("sessions", trace).stdout.decode()
    s2 = run("sessions", "--tz", "+01:00", trace).stdout.decode()
    check(s1 != s2 and len(s1) == len(s2), "sessions --tz shifts the times only")
    # a zone-less time is read in the --tz zone: 19:13:27 at +02:00 is 17:13:27Z
    a = run("summary", "--json", "--start", "17:13:27", trace).stdout
    b = run("summary", "--json", "--tz", "+02:00", "--start", "19:13:27", trace).stdout
    c = run("summary", "--json", "--tz", "+02:00", "--start", "2026-11-23T17:13:27Z", trace).stdout
    check(a == b == c and json.loads(a)["records"]["filtered_out"] > 0, "--tz applies to zone-less --start")
    for z in ("Europe/Berlin", "local", "UTC"):
        r = run("summary", "--tz", z, trace)
        check(r.returncode == 0, f"--tz {z}", r.stderr.decode())

    # errors name the option and say what is wrong
    for argv, needles in [
        (["summary", "--start", "yesterday", trace], ["--start yesterday: not a time", "+SECONDS"]),
        (["sessions", "--end", "25:00", trace], ["--end 25:00: the hour must be 0 to 23"]),
        (["records", "--start", "2026-02-30", trace], ["--start 2026-02-30: no such day"]),
        (["records", "--stop", "1e9", trace], ["--stop 1e9: not a time"]),
        (["summary", "--tz", "Mars/Olympus", trace], ["--tz Mars/Olympus", "no such time zone"]),
        (["records", "--tz", "+99:00", trace], ["--tz +99:00"]),
        (["diff", "--start", "noon", trace, trace], ["--start noon"]),
    ]:
        r = run(*argv)
        err = r.stderr.decode()
        check(r.returncode == 1 and all(n in err for n in needles) and err.count("\n") <= 2,
              f"{' '.join(argv[:3])} is a usage error", err)

    for f in failures:
        print(f)
    print(f"{passed} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
