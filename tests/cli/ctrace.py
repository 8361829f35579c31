#!/usr/bin/env python3
"""CTRACE fixtures through the command line: summary figures (framing, kinds, discards, IDS,
data trace jobs and connections, FTP read from a data trace), exit codes for damaged and packed
input, `convert` to pcapng read back by tshark with the CTRACE facts in packet comments,
`convert --data-trace` (the fixture reproduced, no double counting with the packet trace), and
`ctrace probe`."""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

TD = "testdata/ctrace"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ctana", required=True)
    ctana = ap.parse_args().ctana
    failures = []

    def check(cond, what):
        if not cond:
            failures.append(what)

    def summary(name):
        res = subprocess.run([ctana, "summary", "--json", f"{TD}/{name}"], capture_output=True)
        return res.returncode, json.loads(res.stdout), res.stderr.decode()

    code, j, _ = summary("tv1-buffer-a.ctrace")
    f = j["ctrace"]["framing"]
    check(code == 0, "tv1: exit 0")
    check(j["input"]["format"] == "ctrace", "tv1: format ctrace")
    check((f["ctes"], f["zero_fill_bytes"], f["skipped_bytes"]) == (2, 30, 0), f"tv1 framing {f}")
    check(j["ctrace"]["links"][0]["name"] == "ETH1" and j["ctrace"]["links"][0]["device"] == "Unknown:0", "tv1 link")
    check(j["time"]["first"] == "2008-02-22T20:48:42.883162000Z", f"tv1 time {j['time']['first']}")

    res = subprocess.run([ctana, "summary", "--json", "--tod-leap-seconds", "27", f"{TD}/tv1-buffer-a.ctrace"],
                         capture_output=True)
    jl = json.loads(res.stdout)
    check(jl["time"]["first"] == "2008-02-22T20:48:15.883162000Z" and jl["ctrace"]["tod_leap_seconds"] == 27,
          f"leap seconds: {jl['time']['first']}")

    code, j, _ = summary("ftp-login-raw.ctrace")
    c = j["ctrace"]
    check(code == 0, "ftp: exit 0")
    check(j["packets"]["tcp"] == 112 and j["packets"]["arp"] == 2, f"ftp packets {j['packets']}")
    check(c["discards"] == [{"code": 4114, "name": "IP_MAC_BRDCST", "meaning": c["discards"][0]["meaning"],
                             "range": "interface/IP layer", "packets": 11}], f"ftp discards {c['discards']}")
    check([(p["probe"], p["group"], p["events"]) for p in c["ids"]["by_probe"]] == [("03030000", "SCAN", 16)],
          f"ftp ids {c['ids']}")
    kinds = {k["kind"]: k["records"] for k in c["record_kinds"]}
    check(kinds == {"packet": 96, "osaenta": 2, "ids": 16}, f"ftp kinds {kinds}")
    check(c["layout"]["source"] == "calibrated" and c["layout"]["direction_bit"] == "flags+0 X'10' set=out",
          f"ftp layout {c['layout']['source']} {c['layout']['direction_bit']}")
    f = c["framing"]
    check(f["cte_bytes"] + f["zero_fill_bytes"] == os.path.getsize(f"{TD}/ftp-login-raw.ctrace"), "ftp: bytes accounted")

    code, j, _ = summary("vlan-qinq-vbs.ctrace")
    f = j["ctrace"]["framing"]
    check(code == 0, "vbs: exit 0")
    check(f["form"] == "bdw" and f["spanned_records"] == 2 and f["spanned_lost"] == 0, f"vbs framing {f}")
    check(f["skipped_bytes"] == f["header_like_bytes"] == 64, f"vbs writer headers {f}")
    check(j["packets"]["total"] == 38, "vbs: 38 packets")

    code, j, err = summary("dns-icmp-rdw-damaged.ctrace")
    f = j["ctrace"]["framing"]
    check(code == 3, f"damaged: exit {code}, expected 3")
    check(f["skipped_bytes"] == 218 and f["trace_segments_lost"] == 1, f"damaged framing {f}")
    check(j["records"]["read"] == 56, "damaged: 56 of 58 records")
    check("offset 4978" in err and "partial" in err, f"damaged: stderr {err!r}")

    res = subprocess.run([ctana, "summary", f"{TD}/terse-header.bin"], capture_output=True)
    err = res.stderr.decode()
    check(res.returncode == 2 and "TERSE (SPACK, native) data set unpacks to 0 bytes" in err and "terse-header.bin" in err,
          f"terse: exit {res.returncode} {err!r}")

    res = subprocess.run([ctana, "summary", f"{TD}/ftp-login-raw.ctrace"], capture_output=True)
    out = res.stdout.decode()
    check("4114 IP_MAC_BRDCST" in out and "03030000  SCAN" in out and "Scan-Normal packet" in out,
          "text summary shows discards and probes")

    with tempfile.TemporaryDirectory() as td:
        png = os.path.join(td, "x.pcapng")
        res = subprocess.run([ctana, "convert", f"{TD}/ftp-login-raw.ctrace", "-o", png], capture_output=True)
        check(res.returncode == 0, f"convert: exit {res.returncode} {res.stderr!r}")
        if shutil.which("tshark"):
            t = subprocess.run(["tshark", "-r", png, "-T", "fields", "-e", "frame.comment", "-e", "frame.interface_name"],
                               capture_output=True)
            lines = t.stdout.decode().splitlines()
            check(len(lines) == 114, f"tshark reads {len(lines)} packets")
            check(sum("discard 4114 (IP_MAC_BRDCST)" in l for l in lines) == 11, "11 discard comments")
            check(sum("ids probe 03030000 SCAN" in l for l in lines) == 16, "16 ids comments")
            check(all("LINK1" in l for l in lines), "interface names")
        pc = os.path.join(td, "x.pcap")
        res = subprocess.run([ctana, "convert", f"{TD}/vlan-qinq-vbs.ctrace", "-o", pc], capture_output=True)
        check(res.returncode == 0 and "not converted" in res.stderr.decode(), "pcap output with two link types warns")

    res = subprocess.run([ctana, "ctrace", "probe", f"{TD}/ftp-login-raw.ctrace"], capture_output=True)
    out = res.stdout.decode()
    check(res.returncode == 0, f"probe: exit {res.returncode}")
    check("Framing" in out and "src" in out and "00000004" in out and "000000" in out, "probe output")

    res = subprocess.run([ctana, "records", f"{TD}/ftp-login-raw.ctrace"], capture_output=True)
    lines = res.stdout.decode().splitlines()
    check(res.returncode == 0 and len(lines) == 116, f"records: {len(lines)} lines")
    check(lines[1].startswith("**** 20"), f"records: IPCS date line {lines[1]!r}")
    check(lines[4].startswith("OT       3 17:13:26.667758 LINK1") and "10.99.0.1-48002 -> 10.99.0.2-21" in lines[4],
          f"records line 4: {lines[4]!r}")
    res = subprocess.run([ctana, "records", "--first", "10", "--last", "12", f"{TD}/ftp-login-raw.ctrace"], capture_output=True)
    check([l.split()[1] for l in res.stdout.decode().splitlines()[2:]] == ["10", "11", "12"], "records --first/--last")
    res = subprocess.run([ctana, "records", "--start", "17:13:26.669454", "--stop", "17:13:26.669558",
                          f"{TD}/ftp-login-raw.ctrace"], capture_output=True)
    check([l.split()[1] for l in res.stdout.decode().splitlines()[2:]] == ["6", "7", "8"],
          f"records --start/--stop {res.stdout.decode()!r}")

    # records --statistics: IPCS STATISTICS(DETAIL) tallies, consistent with the summary's figures.
    res = subprocess.run([ctana, "records", "--statistics", f"{TD}/ftp-login-raw.ctrace"], capture_output=True)
    out = res.stdout.decode()
    check(res.returncode == 0, f"records --statistics: exit {res.returncode}")

    def row(key):
        """The counts of the row whose key is `key` in the tables of the statistics."""
        for l in out.splitlines():
            if l.endswith(" " + key) and l[:9].strip():
                return [int(x.replace(",", "")) for x in l.split()[:5]]
        return None

    def count(what):
        for l in out.splitlines():
            parts = l.split(None, 1)
            if len(parts) == 2 and parts[1] == what:
                return int(parts[0].replace(",", ""))
        return None

    check(count("trace records read") == 114 and count("records passed filtering") == 114, f"statistics counts\n{out}")
    check(count("ctrace records processed (component trace entries)") == 114, "statistics: entries")
    check(row("4(Packet Trace)") is not None and row("4(Packet Trace)")[0] == 96, f"statistics: record types\n{out}")
    check(row("7(OSAENTA)")[0] == 2 and row("03030000(SCAN Scan-Normal packet)") is not None, f"statistics: kinds\n{out}")
    check(row("4114(IP_MAC_BRDCST)")[0] == 11, f"statistics: discards\n{out}")
    check(row("6(TCP)")[0] == 112 - 0, f"statistics: protocols\n{out}")
    check(" 3 Record Type(s) found" in out, "statistics: record types found")
    # the control connections (client ports 48002, 48008) are the records of port 21
    check(row("10.99.0.1")[0] == 112 and row("21")[0] == 60 == row("48002")[0] + row("48008")[0],
          f"statistics: addresses and ports\n{out}")
    # records --format decodes payloads and link headers (DHCP, OSAENTA VLAN tags, ARP, ICMP quotes).
    out = subprocess.run([ctana, "records", "--format", "--last", "1", "testdata/real/dhcp.pcap"], capture_output=True).stdout.decode()
    check(" BOOTP/DHCP\n  Operation        : 1 Request        Xid: 669F9373\n" in out
          and "  Message Type     : 1 DISCOVER\n" in out and "  Destination      : FFFFFFFFFFFF     Source: 020000DD0002\n" in out,
          f"records --format DHCP\n{out}")
    out = subprocess.run([ctana, "records", "--format", f"{TD}/vlan-qinq-vbs.ctrace"], capture_output=True).stdout.decode()
    check("  VLAN             : 200              Priority: 0  Tag: 88A8\n  VLAN             : 300              Priority: 0  Tag: 8100\n"
          in out, "records --format OSAENTA VLAN tags")
    out = subprocess.run([ctana, "records", "--format", "--last", "2", f"{TD}/ftp-login-raw.ctrace"], capture_output=True).stdout.decode()
    check(" ARP\n" in out and "  Sender MAC       : 020000990001     Sender IP: 10.99.0.1\n" in out, "records --format ARP")
    out = subprocess.run([ctana, "records", "--format", "--ascii", "testdata/real/dns-icmp.pcapng"], capture_output=True).stdout.decode()
    check(" Quoted IP Header\n" in out and "  Source Port      : 47547 ()         Destination Port: 9999  ()\n" in out
          and " DNS\n  Id               : 56923            Flags: Query rd\n" in out, "records --format ICMP quote, DNS")
    res = subprocess.run([ctana, "records", "--ascii", "--ebcdic", "testdata/real/dhcp.pcap"], capture_output=True)
    check(res.returncode == 1, "records: --ascii and --ebcdic exclude each other")
    out = subprocess.run([ctana, "records", "--statistics", f"{TD}/ftp-login-datatrace.ctrace"], capture_output=True).stdout.decode()
    check(count("data trace records processed") == 64 and count("packet trace records processed") == 0
          and row("CTANAJOB")[:5] == [64, 43, 21416, 21, 190] and row("6(TCP, data trace)")[0] == 64,
          f"statistics of a data trace\n{out}")
    res = subprocess.run([ctana, "records", "--statistics", "--first", "10", "--last", "12", f"{TD}/ftp-login-raw.ctrace"],
                         capture_output=True)
    out = res.stdout.decode()
    check(count("trace records read") == 114 and count("records passed filtering") == 3
          and count("records filtered out (--first/--last/--start/--stop)") == 111, f"statistics filtered\n{out}")
    res = subprocess.run([ctana, "records", "--format", "--last", "20", f"{TD}/ftp-login-raw.ctrace"], capture_output=True)
    out = res.stdout.decode()
    check("Discard          : 4114 (IP_MAC_BRDCST)" in out and "Flags: Pkt Out Dscrd" in out, "records --format discard lines")
    res = subprocess.run([ctana, "records", "--start", "25:00:00", f"{TD}/ftp-login-raw.ctrace"], capture_output=True)
    check(res.returncode == 1 and "--start" in res.stderr.decode(), "records: bad --start is a usage error")
    res = subprocess.run([ctana, "records", f"{TD}/dns-icmp-rdw-damaged.ctrace"], capture_output=True)
    check(res.returncode == 3, "records on damaged input: exit 3")

    res = subprocess.run([ctana, "ctrace", "probe", "testdata/real/ftp-login.pcap"], capture_output=True)
    check(res.returncode == 2 and "not a CTRACE trace" in res.stderr.decode(), "probe on a pcap: exit 2")

    # CTRACE -> CTRACE keeps the CTRACE facts (discards, IDS records, links).
    with tempfile.TemporaryDirectory() as td:
        again = os.path.join(td, "again.ctrace")
        res = subprocess.run([ctana, "convert", "--to", "ctrace", f"{TD}/ftp-login-raw.ctrace", "-o", again], capture_output=True)
        check(res.returncode == 0, f"ctrace -> ctrace: exit {res.returncode} {res.stderr!r}")
        _, a, _ = summary("ftp-login-raw.ctrace")
        b = json.loads(subprocess.run([ctana, "summary", "--json", again], capture_output=True).stdout)
        for key in ("discards", "ids", "record_kinds", "links"):
            check(a["ctrace"][key] == b["ctrace"][key], f"ctrace -> ctrace keeps {key}")
        check(a["packets"] == b["packets"], "ctrace -> ctrace keeps packet counts")

    # Data trace (id 5): the FTP login read from the socket data alone gives the pcap's FTP session.
    code, j, _ = summary("ftp-login-datatrace.ctrace")
    pc = json.loads(subprocess.run([ctana, "summary", "--json", "testdata/real/ftp-login.pcap"], capture_output=True).stdout)
    c = j["ctrace"]
    check(code == 0, "data trace: exit 0")
    check({k["kind"]: k["records"] for k in c["record_kinds"]} == {"data": 64}, f"data trace kinds {c['record_kinds']}")
    check(c["data_jobs"] == [{"job": "CTANAJOB", "records": 64, "bytes": 21606, "bytes_in": 21416, "bytes_out": 190,
                              "start_records": 5, "end_records": 5, "connections": 5}], f"data trace jobs {c['data_jobs']}")
    dc = c["data_connections"]
    check(len(dc) == 5 and c["data_connections_total"] == 5 and all(d["analysis"] == "data_trace" for d in dc),
          f"data trace connections {dc}")
    check([(d["connection"], d["client_port"], d["server_port"], d["cid"], d["start_record"], d["end_record"]) for d in dc]
          == [(1, 48002, 21, "00000001", True, True), (2, 48008, 21, "00000002", True, True),
              (3, 57104, 30000, "00000003", True, True), (4, 57110, 30000, "00000004", True, True),
              (5, 44917, 20, "00000005", True, True)], f"data trace connection rows {dc}")
    check(dc[3]["server_to_client"] == {"records": 15, "bytes": 20513}, f"RETR data connection {dc[3]}")
    check(c["layout"]["direction_bit"] == "flags+0 X'10' set=out", f"data trace direction {c['layout']}")
    f, pf = j["ftp"], pc["ftp"]
    for key in ("sessions_total", "transfers", "bytes", "failed_logins", "error_replies", "commands", "reply_codes"):
        check(f[key] == pf[key], f"data trace ftp.{key}: {f[key]} != pcap {pf[key]}")
    sess = [(s["user"], s["login"], s["commands"], s["replies"], s["reply_codes"]) for s in f["sessions"]]
    check(sess == [(s["user"], s["login"], s["commands"], s["replies"], s["reply_codes"]) for s in pf["sessions"]],
          f"data trace FTP sessions {sess}")
    check(f["sessions"][1]["user"] == "ctanatest" and f["sessions"][1]["login"] == "ok"
          and f["sessions"][0]["login"] == "failed", f"data trace FTP logins {sess}")
    check(j["tcp"]["connections"] == 0, "data trace: no TCP connections (no packets)")
    res = subprocess.run([ctana, "summary", f"{TD}/ftp-login-datatrace.ctrace"], capture_output=True)
    out = res.stdout.decode()
    check("Data trace connections (5;" in out and "user ctanatest: login ok, 13 commands" in out
          and "data conn 5 (closed)" in out, "data trace text summary")
    res = subprocess.run([ctana, "records", f"{TD}/ftp-login-datatrace.ctrace"], capture_output=True)
    lines = res.stdout.decode().splitlines()
    check(res.returncode == 0 and len(lines) == 66, f"data trace records: {len(lines)} lines")
    check(lines[2].startswith("ID       1 17:13:26.669454 CTANAJOB") and "10.99.0.2-21 -> 10.99.0.1-48002" in lines[2]
          and lines[2].endswith("job CTANAJOB Cid 00000001 API Data Flow Starts"), f"data trace records line 2: {lines[2]!r}")
    check(lines[4].startswith("OD       3") and "10.99.0.1-48002 -> 10.99.0.2-21" in lines[4], f"records line 4: {lines[4]!r}")
    res = subprocess.run([ctana, "records", "--format", "--last", "9", f"{TD}/ftp-login-datatrace.ctrace"], capture_output=True)
    out = res.stdout.decode()
    check(" From Jobname      : CTANAJOB                                  Full=0\n" in out
          and "  Tod Clock        : 2026/11/23 17:13:26.669454                Cid: 00000001\n" in out
          and "  Domain           : AF_Inet          Type: Stream             Protocol: TCP\n" in out
          and "  State            : API Data Flow Starts\n" in out and "  State            : API Data Flow Ends\n" in out
          and " PASS ***********|" in out and "  Command          : PASS ***********\n" in out,
          "data trace records --format lines")
    res = subprocess.run([ctana, "ctrace", "probe", f"{TD}/ftp-login-datatrace.ctrace"], capture_output=True)
    out = res.stdout.decode()
    check(res.returncode == 0 and "00000005 data" in out and "dtstate" in out and "cid" in out, "data trace probe")

    with tempfile.TemporaryDirectory() as td:
        png = os.path.join(td, "dt.pcapng")
        res = subprocess.run([ctana, "convert", f"{TD}/ftp-login-datatrace.ctrace", "-o", png], capture_output=True)
        check(res.returncode == 0, f"data trace convert: exit {res.returncode} {res.stderr!r}")
        if shutil.which("tshark"):
            t = subprocess.run(["tshark", "-r", png, "-T", "fields", "-e", "frame.comment"], capture_output=True)
            lines = t.stdout.decode().splitlines()
            check(len(lines) == 64, f"tshark reads {len(lines)} data trace records")
            check(sum("API Data Flow Starts" in l for l in lines) == 5 and sum("API Data Flow Ends" in l for l in lines) == 5,
                  "start/end records in the packet comments")
            check("job CTANAJOB; AF_Inet Stream TCP; Cid 00000001; 10.99.0.2:21 -> 10.99.0.1:48002" in lines[1],
                  f"data trace comment {lines[1]!r}")
        # The writer: the fixture is what `convert --data-trace` makes of the real capture.
        again = os.path.join(td, "again.ctrace")
        res = subprocess.run([ctana, "-v", "convert", "--to", "ctrace", "--data-trace", "--buffer-size", "4096",
                              "--show-secrets", "testdata/real/ftp-login.pcap", "-o", again], capture_output=True)
        check(res.returncode == 0 and "5 TCP connections written as data trace" in res.stderr.decode()
              and "2 records not converted" in res.stderr.decode(), f"convert --data-trace: {res.stderr!r}")
        with open(again, "rb") as a, open(f"{TD}/ftp-login-datatrace.ctrace", "rb") as b:
            check(a.read() == b.read(), "convert --data-trace reproduces the fixture byte for byte")
        # Packet trace and data trace of the same connections: FTP counted once, from the packets.
        mixed = os.path.join(td, "mixed.ctrace")
        res = subprocess.run([ctana, "convert", "--to", "ctrace", "--data-trace", "--with-packets",
                              "testdata/real/ftp-login.pcap", "-o", mixed], capture_output=True)
        check(res.returncode == 0, f"convert --with-packets: {res.stderr!r}")
        m = json.loads(subprocess.run([ctana, "summary", "--json", mixed], capture_output=True).stdout)
        check(m["ftp"]["sessions_total"] == 2 and m["ftp"]["commands"] == pf["commands"]
              and m["ftp"]["reply_codes"] == pf["reply_codes"], f"mixed: FTP counted twice? {m['ftp']['sessions_total']}")
        check([d["analysis"] for d in m["ctrace"]["data_connections"]] == ["packet_trace"] * 5
              and [d["connection"] for d in m["ctrace"]["data_connections"]] == [1, 2, 3, 4, 5],
              "mixed: data trace connections refer to the packet trace's")
        check(m["tcp"]["connections"] == 5 and m["packets"]["tcp"] == 112, "mixed: the packet trace is all there")
        res = subprocess.run([ctana, "convert", "--data-trace", "testdata/real/ftp-login.pcap", "-o", png], capture_output=True)
        check(res.returncode == 1 and "--data-trace" in res.stderr.decode(), "--data-trace without --to ctrace is a usage error")
        res = subprocess.run([ctana, "convert", "--to", "ctrace", "--with-packets", "testdata/real/ftp-login.pcap", "-o", mixed],
                             capture_output=True)
        check(res.returncode != 0, "--with-packets needs --data-trace")

    for f_ in failures:
        print("FAIL:", f_)
    print(f"{len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
