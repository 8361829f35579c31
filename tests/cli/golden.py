#!/usr/bin/env python3
"""Golden CLI tests: run `ctana` on testdata/ and compare stdout and the exit code with
testdata/expected/. After a deliberate output change, regenerate with --update and review the
diff (git diff testdata/expected) before committing."""
import argparse
import pathlib
import re
import subprocess
import sys

# name, arguments, expected exit code
CASES = [
    ("tcp-v4-v6.txt", ["summary", "testdata/real/tcp-v4-v6.pcap"], 0),
    ("tcp-v4-v6.json", ["summary", "--json", "testdata/real/tcp-v4-v6.pcap"], 0),
    ("dns-icmp.txt", ["summary", "testdata/real/dns-icmp.pcapng"], 0),
    ("dns-icmp.json", ["summary", "--json", "testdata/real/dns-icmp.pcapng"], 0),
    ("multi-if.txt", ["summary", "testdata/real/multi-if.pcapng"], 0),
    ("multi-if.json", ["summary", "--json", "testdata/real/multi-if.pcapng"], 0),
    ("ftp-login.txt", ["summary", "testdata/real/ftp-login.pcap"], 0),
    ("vlan-qinq.txt", ["summary", "testdata/real/vlan-qinq.pcap"], 0),
    ("sll-any.txt", ["summary", "testdata/real/sll-any.pcap"], 0),
    ("tunnel-vxlan.txt", ["summary", "testdata/real/tunnel-vxlan.pcap"], 0),
    ("tunnel-vxlan.json", ["summary", "--json", "testdata/real/tunnel-vxlan.pcap"], 0),
    ("tunnels.txt", ["summary", "testdata/crafted/tunnels.pcap"], 0),
    ("teredo.json", ["summary", "--json", "testdata/crafted/teredo.pcap"], 0),
    ("sll2-any.json", ["summary", "--json", "testdata/real/sll2-any.pcap"], 0),
    ("filter-udp-53.txt", ["summary", "-f", "udp port 53", "testdata/real/dns-icmp.pcapng"], 0),
    ("top-3.txt", ["summary", "--top", "3", "testdata/real/tcp-v4-v6.pcap"], 0),
    ("ipv4-malformed.txt", ["summary", "testdata/crafted/ipv4-malformed.pcap"], 0),
    ("tcp-options.json", ["summary", "--json", "testdata/crafted/tcp-options.pcap"], 0),
    ("udp-icmp.txt", ["summary", "testdata/crafted/udp-icmp.pcap"], 0),
    ("snaplen-64.txt", ["summary", "testdata/crafted/snaplen-64.pcap"], 0),
    ("linktype-unsupported.txt", ["summary", "testdata/crafted/linktype-unsupported.pcapng"], 0),
    ("cut-mid-record.txt", ["summary", "testdata/crafted/cut-mid-record.pcap"], 3),
    ("cut-mid-record.json", ["summary", "--json", "testdata/crafted/cut-mid-record.pcap"], 3),
    ("pcapng-bad-block.txt", ["summary", "testdata/crafted/pcapng-bad-block.pcapng"], 3),
    ("absurd-caplen.json", ["summary", "--json", "testdata/crafted/absurd-caplen.pcap"], 3),
    ("sessions-ftp.txt", ["sessions", "testdata/real/ftp-login.pcap"], 0),
    ("sessions-ftp-table.txt", ["sessions", "--table", "testdata/real/ftp-login.pcap"], 0),
    ("sessions-tcp-local.json", ["sessions", "--json", "--local", "10.99.0.1/32,fd00:99::1", "testdata/real/tcp-v4-v6.pcap"], 0),
    ("flow-ftp-2.txt", ["flow", "--relative", "testdata/real/ftp-login.pcap", "2"], 0),
    ("ftp-log.txt", ["ftp", "testdata/real/ftp-login.pcap"], 0),
    ("dns-log.txt", ["dns", "testdata/real/dns-icmp.pcapng"], 0),
    ("http.txt", ["summary", "testdata/real/http.pcap"], 0),
    ("http.json", ["summary", "--json", "testdata/real/http.pcap"], 0),
    ("exceptions-http.txt", ["exceptions", "testdata/real/http.pcap"], 0),
    ("tn3270.txt", ["summary", "testdata/real/tn3270.pcap"], 0),
    ("tn3270e.txt", ["summary", "testdata/crafted/tn3270e.pcap"], 0),
    ("tn3270e.json", ["summary", "--json", "testdata/crafted/tn3270e.pcap"], 0),
    ("exceptions-tn3270e.txt", ["exceptions", "testdata/crafted/tn3270e.pcap"], 0),
    ("dns-log-late-servfail.txt", ["dns", "testdata/scenarios/dns-late-servfail.pcap"], 0),
    ("records-ftp-tls.txt", ["records", "testdata/real/ftp-tls.pcap"], 0),
    ("flow-multi-if-1.txt", ["flow", "testdata/real/multi-if.pcapng", "1"], 0),
    ("exceptions-tcp.txt", ["exceptions", "testdata/real/tcp-v4-v6.pcap"], 0),
    ("exceptions-tcp.json", ["exceptions", "--json", "testdata/real/tcp-v4-v6.pcap"], 0),
    ("ftp-errors.txt", ["summary", "testdata/real/ftp-errors.pcap"], 0),
    ("ftp-tls.json", ["summary", "--json", "testdata/real/ftp-tls.pcap"], 0),
    ("dns-tcp.txt", ["summary", "testdata/real/dns-tcp.pcap"], 0),
    ("tls-ports.txt", ["summary", "testdata/real/tls-ports.pcap"], 0),
    ("tls-ports.json", ["summary", "--json", "testdata/real/tls-ports.pcap"], 0),
    ("tls-hello.txt", ["summary", "testdata/real/tls-hello.pcap"], 0),
    ("exceptions-tls-hello.json", ["exceptions", "--json", "testdata/real/tls-hello.pcap"], 0),
    ("starttls-mail.txt", ["summary", "testdata/real/starttls-mail.pcap"], 0),
    ("starttls-mail.json", ["summary", "--json", "testdata/real/starttls-mail.pcap"], 0),
    ("starttls-ldap.txt", ["summary", "testdata/real/starttls-ldap.pcap"], 0),
    ("starttls-db.txt", ["summary", "testdata/real/starttls-db.pcap"], 0),
    ("starttls-xmpp.txt", ["summary", "testdata/real/starttls-xmpp.pcap"], 0),
    ("http-connect.txt", ["summary", "testdata/real/http-connect.pcap"], 0),
    ("telnet-starttls.txt", ["summary", "testdata/real/telnet-starttls.pcap"], 0),
    ("exceptions-starttls.txt", ["exceptions", "testdata/real/starttls-mail.pcap"], 0),
    ("summary-window.txt", ["summary", "--ip", "10.99.0.1", "--port", "21", "testdata/real/ftp-login.pcap"], 0),
    ("routing-loop.txt", ["summary", "testdata/real/routing-loop.pcap"], 0),
    ("routing-loop.json", ["summary", "--json", "testdata/real/routing-loop.pcap"], 0),
    ("exceptions-storm.txt", ["exceptions", "testdata/real/broadcast-storm.pcap"], 0),
]


def normalise(text, version):
    # The version changes with every release, and the memory one connection takes with the build;
    # nothing else in the output may vary.
    text = re.sub(re.escape(version), "VERSION", text)
    return re.sub(r'"bytes_per_connection": \d+', '"bytes_per_connection": N', text)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ctana", required=True)
    ap.add_argument("--update", action="store_true")
    args = ap.parse_args()
    version = subprocess.run([args.ctana, "--version"], capture_output=True, text=True).stdout.split()[1]  # ctana V (commit C)
    expected_dir = pathlib.Path("testdata/expected")
    expected_dir.mkdir(parents=True, exist_ok=True)
    passed = failed = 0
    for name, argv, code in CASES:
        res = subprocess.run([args.ctana, *argv], capture_output=True, text=True)
        out = normalise(res.stdout, version)
        path = expected_dir / name
        if args.update:
            path.write_text(out)
        problems = []
        if res.returncode != code:
            problems.append(f"exit code {res.returncode}, expected {code}; stderr: {res.stderr.strip()}")
        if not path.exists():
            problems.append(f"{path} missing (run with --update)")
        elif path.read_text() != out:
            import difflib
            diff = "".join(difflib.unified_diff(path.read_text().splitlines(True), out.splitlines(True),
                                                str(path), "actual", n=2))
            problems.append("output differs:\n" + diff[:4000])
        if problems:
            failed += 1
            print(f"FAIL {name}: ctana {' '.join(argv)}")
            for p in problems:
                print("  " + p)
        else:
            passed += 1
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
