#!/usr/bin/env python3
"""Cross-check ctana's application counts (`ctana summary --json`) against tshark on every trace in testdata/.

Counted on the tshark side from one `tshark -T fields` pass per file (every occurrence of a field
in a frame counts; frames that are ICMP/ICMPv6 errors are skipped for the application protocols,
since what they quote is not a message of its own):
  ftp.cmd.VERB        ftp.request.command            <- ftp.commands{VERB}
  ftp.code.N          ftp.response.code              <- ftp.reply_codes{N}
  dns.queries         dns.flags.response == 0        <- dns.queries
  dns.responses       dns.flags.response == 1        <- dns.responses
  dns.rcode.NAME      dns.flags.rcode of responses   <- dns.rcodes{NAME}
  dns.latency.le_B    dns.time of responses, bucketed by the upper bounds B of docs/dns.md (a 1-2-5 series
                      from 100 us to 5 s, inclusive; "inf" above)  <- dns.latency_histogram[] {le_s, count}
                      (ctana's le_s must be exactly these bounds)
  dhcp.TYPE           dhcp.option.dhcp               <- dhcp.types{TYPE}
  tls.hs.NAME         tls.handshake.type             <- tls.handshake_types{NAME}
  tls.alert.LEVEL DESC  tls.alert_message.level/.desc  <- tls.alert_messages{"LEVEL DESC"}
  tls.alerts_encrypted  alert records (tls.record.content_type 21) without a decoded message
                                                     <- tls.encrypted_alerts
  icmp.V.TYPE.CODE    icmp.type/code, icmpv6.type/code (the outer message only)
                                                     <- icmp.types[] {version, type, code, count}
  http.method.M       http.request.method            <- http.methods{M}
  http.code.N         http.response.code             <- http.status_codes{N} (1xx included)
  tn3270.aid.NAME     tn3270.aid (Enter, PF1-24, PA1-3, Clear, ...)  <- tn3270.aids{NAME}
  tn3270.cmd.NAME     tn3270.command_code (W, EW, EWA, EAU, WSF, RB, RM, RMA; the SNA and the local codes)
                                                     <- tn3270.commands{NAME}
The DNS scenario traces (LATENCY_ONLY) are compared for the latency histogram only.
tshark recognises TLS on its registered ports, after FTP AUTH TLS, and (its TLS heuristic) on
other ports as ctana does by content; DECODE_AS can tell it more where that is not enough.
Where ctana disagrees on purpose, KNOWN_DIFFERENCES says so and why (also in docs/*.md);
any other difference, or a listed one that disappears, fails the test.
"""
import argparse
import collections
import decimal
import json
import pathlib
import shutil
import subprocess
import sys

FIELDS = ["frame.protocols", "ftp.request.command", "ftp.response.code", "dns.flags.response", "dns.flags.rcode", "dns.time",
          "dhcp.option.dhcp", "tls.handshake.type", "tls.record.content_type", "tls.alert_message.level",
          "tls.alert_message.desc", "icmp.type", "icmp.code", "icmpv6.type", "icmpv6.code",
          "http.request.method", "http.response.code", "tn3270.aid", "tn3270.command_code"]

RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED", 6: "YXDOMAIN",
          7: "YXRRSET", 8: "NXRRSET", 9: "NOTAUTH", 10: "NOTZONE"}
# The DNS latency histogram's upper bounds (docs/dns.md), in ns; one bucket more above the last.
DNS_BOUNDS_NS = [100_000, 200_000, 500_000, 1_000_000, 2_000_000, 5_000_000, 10_000_000, 20_000_000, 50_000_000,
                 100_000_000, 200_000_000, 500_000_000, 1_000_000_000, 2_000_000_000, 5_000_000_000]


def dns_bucket_key(ns):
    for b in DNS_BOUNDS_NS:
        if ns <= b:
            return f"dns.latency.le_{(decimal.Decimal(b) / 10**9).normalize():f}"
    return "dns.latency.le_inf"


DHCP_TYPES = {1: "DISCOVER", 2: "OFFER", 3: "REQUEST", 4: "DECLINE", 5: "ACK", 6: "NAK", 7: "RELEASE", 8: "INFORM"}
HS_TYPES = {0: "hello_request", 1: "client_hello", 2: "server_hello", 4: "new_session_ticket",
            5: "end_of_early_data", 8: "encrypted_extensions", 11: "certificate", 12: "server_key_exchange",
            13: "certificate_request", 14: "server_hello_done", 15: "certificate_verify", 16: "client_key_exchange",
            20: "finished", 21: "certificate_url", 22: "certificate_status", 24: "key_update", 254: "message_hash"}
LEVELS = {1: "warning", 2: "fatal"}
ALERTS = {0: "close_notify", 10: "unexpected_message", 20: "bad_record_mac", 22: "record_overflow",
          40: "handshake_failure", 42: "bad_certificate", 43: "unsupported_certificate", 44: "certificate_revoked",
          45: "certificate_expired", 46: "certificate_unknown", 47: "illegal_parameter", 48: "unknown_ca",
          49: "access_denied", 50: "decode_error", 51: "decrypt_error", 70: "protocol_version",
          71: "insufficient_security", 80: "internal_error", 86: "inappropriate_fallback", 90: "user_canceled",
          109: "missing_extension", 110: "unsupported_extension", 112: "unrecognized_name",
          113: "bad_certificate_status_response", 115: "unknown_psk_identity", 116: "certificate_required",
          120: "no_application_protocol"}

TN3270_COMMANDS = {0xF1: "W", 0x01: "W", 0xF5: "EW", 0x05: "EW", 0x7E: "EWA", 0x0D: "EWA", 0x6F: "EAU", 0x0F: "EAU",
                   0xF3: "WSF", 0x11: "WSF", 0xF2: "RB", 0x02: "RB", 0xF6: "RM", 0x06: "RM", 0x6E: "RMA", 0x0E: "RMA"}
TN3270_AIDS = {0x7D: "Enter", 0x6C: "PA1", 0x6E: "PA2", 0x6B: "PA3", 0x6D: "Clear", 0x6A: "Clear Partition",
               0xF0: "SysReq", 0x7E: "Selector Pen", 0xE6: "Operator ID Reader", 0xE7: "Magnetic Reader",
               0x7F: "Trigger Action", 0x60: "No AID", 0x61: "Read Partition", 0x88: "Structured Field"}
for _i, _a in enumerate(list(range(0xF1, 0xFA)) + [0x7A, 0x7B, 0x7C] + list(range(0xC1, 0xCA)) + [0x4A, 0x4B, 0x4C]):
    TN3270_AIDS[_a] = f"PF{_i + 1}"

# file -> tshark "decode as" rules for protocols on ports it does not know
DECODE_AS = {
    # TLS picked up mid-stream on a port that is not TLS's: tshark needs telling (its heuristic wants
    # a ClientHello), ctana finds it by the run of record headers (docs/tls.md Mid-stream)
    "real/tls-midstream.pcap": ["tcp.port==5555,tls"],
    # TN3270 on port 3270 (ctana finds it by the negotiation, docs/tn3270.md)
    "crafted/tn3270e.pcap": ["tcp.port==3270,telnet"],
    # SSLv2-format ClientHellos on ports that are not TLS's: ctana finds them by content, tshark's
    # heuristic does not (docs/tls.md "SSLv2-format ClientHello")
    "real/tls-hello.pcap": ["tcp.port==4434,tls", "tcp.port==4435,tls"],
}

# file -> {key: (ctana, tshark, reason)}
RESYNC = "ctana skips the damaged record and resynchronises on the next valid one; tshark stops at the damage"
RETRY_PORT = ("dig retries from new ports; the SERVFAIL answers the second retry: tshark's dns.time counts from "
              "that retry (0.57 ms), ctana's latency from the first query (2.003 s, the user's wait)")
KNOWN_DIFFERENCES = {
    "crafted/tunnels.pcap": {"icmp.4.8.0": (3, 7, "the echo requests inside ERSPAN (frames 20, 21) and PPTP's PPP (frame "
                                                   "24) are opaque GRE payload for ctana, and frame 22's is in five "
                                                   "tunnels, one more than ctana follows (docs/decoding.md \"Tunnels\")")},
    "crafted/absurd-caplen.pcap": {"icmp.4.8.0": (1, 0, RESYNC)},
    "crafted/pcapng-bad-block.pcapng": {"icmp.4.8.0": (1, 0, RESYNC), "dns.responses": (1, 0, RESYNC),
                                        "dns.rcode.NOERROR": (1, 0, RESYNC)},
    # tinyproxy refuses the second CONNECT with a 403 whose body lasts until the close; the client
    # resets the connection instead of a FIN: tshark waits for the end of the body and never
    # dissects the response, ctana counts it once its header is complete (docs/http.md)
    "real/http-connect.pcap": {"http.code.403": (1, 0, "a response whose body is cut by a reset: ctana counts "
                                                      "it at its header, tshark never completes it")},
    # docs/tn3270.md "Compared with tshark"
    "real/tn3270.pcap": {"tn3270.cmd.EW": (4, 3, "Hercules's rejection screen on the session whose terminal type is "
                                                 "IBM-3279-4-E@0099: tshark's TN3270 dissector takes only the terminal "
                                                 "types it knows, ctana reads the records of every session")},
    "crafted/tn3270e.pcap": {k: (0, n, "a record shorter than its TN3270E header and one whose start was never "
                                       "captured: ctana counts them malformed and lost, tshark reads their bytes as "
                                       "commands")
                             for k, n in (("tn3270.cmd.0x00", 2), ("tn3270.cmd.0xC3", 1), ("tn3270.cmd.0xE2", 1),
                                          ("tn3270.cmd.0x5D", 1))},
    "scenarios/dns-late-servfail.pcap": {"dns.latency.le_0.001": (0, 1, RETRY_PORT),
                                         "dns.latency.le_5": (1, 0, RETRY_PORT)},
}
# scenario traces compared for the DNS latency histogram only (their other counts are the scenario suite's)
LATENCY_ONLY = ["scenarios/clean-dns.pcap", "scenarios/dns-late-servfail.pcap"]


def vals(col):
    return [v for v in col.split(",") if v != ""] if col else []


def num(v):
    return int(v, 0)


def tshark_counts(path, rules):
    args = ["tshark", "-n", "-r", path, "-T", "fields", "-E", "separator=/t"]
    for r in rules:
        args += ["-d", r]
    for f in FIELDS:
        args += ["-e", f]
    out = subprocess.run(args, capture_output=True, text=True)
    c = collections.Counter()
    for line in out.stdout.splitlines():
        cols = dict(zip(FIELDS, line.split("\t")))
        layers = cols.get("frame.protocols", "").split(":")
        icmp4, icmp6 = vals(cols.get("icmp.type")), vals(cols.get("icmpv6.type"))
        if icmp4:
            c[f"icmp.4.{num(icmp4[0])}.{num(vals(cols['icmp.code'])[0])}"] += 1
        if icmp6:
            c[f"icmp.6.{num(icmp6[0])}.{num(vals(cols['icmpv6.code'])[0])}"] += 1
        if "icmp" in layers or "icmpv6" in layers:
            continue
        for v in vals(cols.get("ftp.request.command")):
            c["ftp.cmd." + v.upper()] += 1
        for v in vals(cols.get("ftp.response.code")):
            c["ftp.code." + v] += 1
        for v in vals(cols.get("http.request.method")):
            c["http.method." + v] += 1
        for v in vals(cols.get("http.response.code")):
            c["http.code." + v] += 1
        for v in vals(cols.get("tn3270.aid")):
            c["tn3270.aid." + TN3270_AIDS.get(num(v), f"0x{num(v):02X}")] += 1
        for v in vals(cols.get("tn3270.command_code")):
            c["tn3270.cmd." + TN3270_COMMANDS.get(num(v), f"0x{num(v):02X}")] += 1
        resp, rcode = vals(cols.get("dns.flags.response")), vals(cols.get("dns.flags.rcode"))
        for i, r in enumerate(resp):
            if r in ("0", "False"):
                c["dns.queries"] += 1
            else:
                c["dns.responses"] += 1
                if i < len(rcode):
                    n = num(rcode[i])
                    c["dns.rcode." + RCODES.get(n, f"RCODE{n}")] += 1
        for v in vals(cols.get("dns.time")):  # the response's time since its query
            c[dns_bucket_key(int(decimal.Decimal(v) * 10**9))] += 1
        for v in vals(cols.get("dhcp.option.dhcp")):
            n = num(v)
            c["dhcp." + DHCP_TYPES.get(n, f"TYPE{n}")] += 1
        for v in vals(cols.get("tls.handshake.type")):
            n = num(v)
            c["tls.hs." + HS_TYPES.get(n, f"type_{n}")] += 1
        levels, descs = vals(cols.get("tls.alert_message.level")), vals(cols.get("tls.alert_message.desc"))
        for lv, ds in zip(levels, descs):
            c[f"tls.alert.{LEVELS.get(num(lv), 'level ' + lv)} {ALERTS.get(num(ds), 'alert ' + ds)}"] += 1
        alert_records = sum(1 for v in vals(cols.get("tls.record.content_type")) if num(v) == 21)
        if alert_records > len(levels):
            c["tls.alerts_encrypted"] += alert_records - len(levels)
    return c, out.returncode


def ctana_counts(doc):
    c = collections.Counter()
    ftp = doc.get("ftp", {})
    for verb, n in ftp.get("commands", {}).items():
        c["ftp.cmd." + verb] += n
    for code, n in ftp.get("reply_codes", {}).items():
        c["ftp.code." + code] += n
    dns = doc.get("dns", {})
    c["dns.queries"] += dns.get("queries", 0)
    c["dns.responses"] += dns.get("responses", 0)
    for name, n in dns.get("rcodes", {}).items():
        c["dns.rcode." + name] += n
    hist = dns.get("latency_histogram")
    if dns and hist is not None:
        bounds = [b["le_s"] for b in hist]
        if bounds != [b / 1e9 for b in DNS_BOUNDS_NS] + [None]:
            c["dns.latency.bounds_differ_from_docs"] += 1
        for b in hist:
            le = "inf" if b["le_s"] is None else f"{decimal.Decimal(str(b['le_s'])).normalize():f}"
            c["dns.latency.le_" + le] += b["count"]
        if sum(b["count"] for b in hist) != dns["latency"]["samples"]:
            c["dns.latency.histogram_sum_differs_from_samples"] += 1
    for name, n in doc.get("dhcp", {}).get("types", {}).items():
        c["dhcp." + name] += n
    tls = doc.get("tls", {})
    for name, n in tls.get("handshake_types", {}).items():
        c["tls.hs." + name] += n
    for name, n in tls.get("alert_messages", {}).items():
        c["tls.alert." + name] += n
    c["tls.alerts_encrypted"] += tls.get("encrypted_alerts", 0)
    http = doc.get("http", {})
    for m, n in http.get("methods", {}).items():
        c["http.method." + m] += n
    for code, n in http.get("status_codes", {}).items():
        c["http.code." + code] += n
    tn = doc.get("tn3270", {})
    for name, n in tn.get("aids", {}).items():
        c["tn3270.aid." + name] += n
    for name, n in tn.get("commands", {}).items():
        c["tn3270.cmd." + name] += n
    for t in doc.get("icmp", {}).get("types", []):
        c[f"icmp.{t['version']}.{t['type']}.{t['code']}"] += t["count"]
    return +c  # drop zeros


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ctana", required=True)
    ap.add_argument("--testdata", default="testdata")
    args = ap.parse_args()
    if not shutil.which("tshark"):
        print("tshark is not installed: run tools/build.sh (it installs the test oracles)")
        return 1
    root = pathlib.Path(args.testdata)
    files = sorted(p for d in ("real", "crafted") for p in (root / d).glob("*")
                   if p.suffix in (".pcap", ".pcapng"))
    failures, checked, seen_known, compared = [], 0, set(), collections.Counter()
    targets = [(f, "") for f in files] + [(root / n, "dns.latency.") for n in LATENCY_ONLY]
    for f, only in targets:
        rel = f.relative_to(root).as_posix()
        res = subprocess.run([args.ctana, "summary", "--json", str(f)], capture_output=True, text=True)
        if res.returncode == 2:
            continue  # not a trace (empty file): nothing to compare
        ours = ctana_counts(json.loads(res.stdout))
        theirs, _ = tshark_counts(str(f), DECODE_AS.get(rel, []))
        theirs = +theirs
        if only:
            ours = collections.Counter({k: n for k, n in ours.items() if k.startswith(only)})
            theirs = collections.Counter({k: n for k, n in theirs.items() if k.startswith(only)})
        known = KNOWN_DIFFERENCES.get(rel, {})
        for k in sorted(set(ours) | set(theirs) | set(known)):
            if k in known:
                seen_known.add((rel, k))
                exp_ours, exp_theirs, _why = known[k]
                if (ours[k], theirs[k]) != (exp_ours, exp_theirs):
                    failures.append(f"{rel}: {k}: documented difference changed: ctana {ours[k]} tshark {theirs[k]}"
                                    f" (documented: ctana {exp_ours} tshark {exp_theirs})")
            elif ours[k] != theirs[k]:
                failures.append(f"{rel}: {k}: ctana {ours[k]} != tshark {theirs[k]}")
            compared[k.split(".")[0]] += theirs[k]
            if k.startswith("dns.latency."):
                compared["dns-latency"] += theirs[k]
        checked += 1
        if ours:
            print(f"{rel}: " + " ".join(f"{k}={ours[k]}" for k in sorted(ours)))
    for rel, diffs in KNOWN_DIFFERENCES.items():
        for k in diffs:
            if (rel, k) not in seen_known:
                failures.append(f"{rel}: documented difference for {k} was not checked (file missing?)")
    for msg in failures:
        print("FAIL", msg)
    nfail = len({m.split(':')[0] for m in failures})
    print(f"{checked - nfail} passed, {nfail} failed (files compared with tshark); tshark counted "
          + ", ".join(f"{p} {n}" for p, n in sorted(compared.items())))
    # the comparison must have had something to compare for every protocol
    empty = [p for p in ("ftp", "dns", "dns-latency", "dhcp", "tls", "icmp", "http", "tn3270") if compared[p] == 0]
    if empty:
        print("FAIL no messages compared for " + ", ".join(empty))
    return 1 if failures or empty or checked < 20 else 0


if __name__ == "__main__":
    sys.exit(main())
