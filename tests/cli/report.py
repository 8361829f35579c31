#!/usr/bin/env python3
"""ctana report (docs/report.md), without a browser: the page is one self-contained file (no
src, no href but to its own anchors, no url() in styles, a Content Security Policy that forbids
loading anything), every string from the trace is escaped (a crafted trace puts <script>, <img
onerror> and <svg onload> in an FTP user name and file name, a TLS server name and a DNS name),
the sections are there, and the report says what `summary --json` of the same trace says (the
same model, one run): packets, connections, verdict and groups. tests/cli/report_browser.py
renders the pages in headless Chromium."""
import argparse
import html.parser
import importlib.util
import json
import pathlib
import re
import struct
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent
REAL = ROOT / "testdata/real"


def _bench_module():
    path = ROOT / "tools/bench/make-many-connections.py"
    spec = importlib.util.spec_from_file_location("make_many_connections", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


_mod = _bench_module()
tcp4 = _mod.frame

C, S = bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])
USER = "<script>alert('user')</script>"
FILE = "<img src=x onerror=alert('file')>"
SNI = "<script>alert('sni')</script>.example"
QNAME = "<svg/onload=alert('dns')>.example"
HOSTILE = [USER, FILE, SNI, QNAME]


def udp4(src, dst, sport, dport, payload):
    udp = struct.pack(">HHHH", sport, dport, 8 + len(payload), 0) + payload
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0x4000, 64, 17, 0, src, dst)
    ip = ip[:10] + struct.pack(">H", _mod.csum(ip)) + ip[12:]
    return b"\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x08\x00" + ip + udp


def session(port, cport, lines):
    """A TCP connection: handshake, the (from, bytes) lines in order, close."""
    cs, ss = 1000, 5000
    pk = [tcp4(C, S, cport, port, cs, 0, 0x02), tcp4(S, C, port, cport, ss, cs + 1, 0x12),
          tcp4(C, S, cport, port, cs + 1, ss + 1, 0x10)]
    cs, ss = cs + 1, ss + 1
    for frm, data in lines:
        if frm == "c":
            pk.append(tcp4(C, S, cport, port, cs, ss, 0x18, data))
            cs += len(data)
        else:
            pk.append(tcp4(S, C, port, cport, ss, cs, 0x18, data))
            ss += len(data)
    pk += [tcp4(C, S, cport, port, cs, ss, 0x11), tcp4(S, C, port, cport, ss, cs + 1, 0x11),
           tcp4(C, S, cport, port, cs + 1, ss + 1, 0x10)]
    return pk


def client_hello(sni):
    name = sni.encode()
    sni_ext = struct.pack(">HHHBH", 0, len(name) + 5, len(name) + 3, 0, len(name)) + name
    body = b"\x03\x03" + bytes(32) + b"\x00" + struct.pack(">HH", 2, 0x1301) + b"\x01\x00"
    body += struct.pack(">H", len(sni_ext)) + sni_ext
    hs = b"\x01" + struct.pack(">I", len(body))[1:] + body
    return b"\x16\x03\x01" + struct.pack(">H", len(hs)) + hs


def dns_message(qid, name, response, rcode=0):
    q = b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\x00" + struct.pack(">HH", 1, 1)
    flags = (0x8180 | rcode) if response else 0x0100
    return struct.pack(">HHHHHH", qid, flags, 1, 0, 0, 0) + q


def hostile_pcap(path):
    pk = session(21, 40001, [
        ("s", b"220 ready\r\n"), ("c", f"USER {USER}\r\n".encode()), ("s", b"331 password\r\n"),
        ("c", b"PASS secret\r\n"), ("s", b"530 Login incorrect\r\n"), ("c", f"RETR {FILE}\r\n".encode()),
        ("s", b"550 no such file\r\n")])
    pk += session(443, 40002, [("c", client_hello(SNI)), ("s", b"\x15\x03\x03\x00\x02\x02\x28")])
    pk.append(udp4(C, S, 40003, 53, dns_message(0x4242, QNAME, False)))
    pk.append(udp4(S, C, 53, 40003, dns_message(0x4242, QNAME, True, rcode=3)))
    out = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
    for i, p in enumerate(pk):
        out += struct.pack("<IIII", 1_700_000_000 + i // 4, (i % 4) * 100_000, len(p), len(p)) + p
    path.write_bytes(out)


class Page(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags = []          # (tag, attrs)
        self.scripts = []       # (attrs, text)
        self.styles = []
        self.text = []
        self._in = None
        self._buf = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag in ("script", "style"):
            self._in, self._buf = (tag, dict(attrs)), []

    def handle_endtag(self, tag):
        if self._in and tag == self._in[0]:
            (self.scripts if tag == "script" else self.styles).append((self._in[1], "".join(self._buf)))
            self._in = None

    def handle_data(self, data):
        if self._in:
            self._buf.append(data)
        else:
            self.text.append(data)


def parse(path):
    p = Page()
    p.feed(path.read_text(encoding="utf-8"))
    p.close()
    return p


def self_contained(p, errors, name):
    """No external reference of any kind."""
    for tag, attrs in p.tags:
        if tag in ("img", "iframe", "object", "embed", "link", "base", "form", "frame", "audio", "video", "source",
                   "svg", "image", "use", "track", "portal"):
            errors.append(f"{name}: <{tag}> element")
        for k, v in attrs.items():
            if k in ("src", "srcset", "action", "formaction", "poster", "data", "background", "xlink:href", "ping"):
                errors.append(f"{name}: <{tag} {k}=...>")
            if k == "href" and not (v or "").startswith("#"):
                errors.append(f"{name}: <{tag} href={v!r}>: not an anchor of the page")
            if k.startswith("on"):
                errors.append(f"{name}: <{tag} {k}=...>: an event handler attribute")
            if k == "style" and "url(" in (v or ""):
                errors.append(f"{name}: url() in a style attribute")
        if tag == "meta" and attrs.get("http-equiv", "").lower() == "refresh":
            errors.append(f"{name}: meta refresh")
    for _, css in p.styles:
        if "url(" in css or "@import" in css:
            errors.append(f"{name}: url() or @import in a style element")
    csp = [a.get("content", "") for t, a in p.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    if not csp or "default-src 'none'" not in csp[0]:
        errors.append(f"{name}: no Content Security Policy forbidding loads")
    kinds = [a.get("type", "") for a, _ in p.scripts]
    if kinds.count("application/json") != 1 or len(kinds) not in (3, 4):
        errors.append(f"{name}: scripts {kinds}: expected the error counter, the data block, Chart.js and the page's")


def check_hostile(ctana, tmp, errors):
    trace = tmp / "hostile.pcap"
    hostile_pcap(trace)
    out = tmp / "hostile.html"
    r = subprocess.run([ctana, "report", str(trace), "-o", str(out)], capture_output=True, text=True)
    if r.returncode != 0:
        errors.append(f"hostile: exit {r.returncode}: {r.stderr}")
        return
    raw = out.read_text(encoding="utf-8")
    for s in HOSTILE:
        if s in raw or s.replace("'", "&#39;") in raw:
            errors.append(f"hostile: {s!r} written unescaped")
    for tag in ("<img", "<svg"):
        if tag in raw:
            errors.append(f"hostile: {tag!r} in the page")
    p = parse(out)
    self_contained(p, errors, "hostile")
    text = "".join(p.text)
    # shown (escaped) where they belong: the FTP section (user, file), TLS (server name), DNS (failures)
    for s, where in ((USER, "FTP user"), (FILE, "FTP file"), (SNI, "TLS server name"), (QNAME, "DNS name")):
        if s not in text:
            errors.append(f"hostile: the {where} {s!r} is not shown as text")
    if re.search(r"<(script|img|svg)", p.scripts[1][1]):
        errors.append("hostile: '<' in the data block")
    for sec in ("verdict", "findings", "trace", "connections", "ftp", "dns", "tls", "all-findings"):
        if f'id="{sec}"' not in raw:
            errors.append(f"hostile: section {sec} missing")


def check_real(ctana, tmp, errors):
    for trace in sorted(REAL.glob("*.pcap*")) + sorted((ROOT / "testdata/ctrace").glob("*.ctrace")):
        name = trace.name
        out = tmp / (name + ".html")
        r = subprocess.run([ctana, "report", str(trace), "-o", str(out)], capture_output=True, text=True)
        if r.returncode not in (0, 3):
            errors.append(f"{name}: exit {r.returncode}: {r.stderr}")
            continue
        sr = subprocess.run([ctana, "summary", "--json", str(trace)], capture_output=True, text=True)
        if sr.returncode != r.returncode:
            errors.append(f"{name}: report exit {r.returncode}, summary exit {sr.returncode}")
        s = json.loads(sr.stdout)
        raw = out.read_text(encoding="utf-8")
        p = parse(out)
        self_contained(p, errors, name)
        if out.stat().st_size > 2_000_000:
            errors.append(f"{name}: {out.stat().st_size} bytes for a small trace")
        # the same model as summary --json
        head = re.search(r"&middot; ([\d,]+) packets", raw)
        if not head or int(head.group(1).replace(",", "")) != s["packets"]["total"]:
            errors.append(f"{name}: packets in the header {head and head.group(1)} != summary {s['packets']['total']}")
        rows = len(re.findall(r'<tr id="c-\d+">', raw))
        if rows != min(len(s.get("connections", [])), 5000):
            errors.append(f"{name}: {rows} connection rows, summary lists {len(s.get('connections', []))}")
        verdict = re.search(r'<section id="verdict">(.*?)</section>', raw, re.S).group(1)
        if verdict.count("<li>") != len(s.get("verdict", [])):
            errors.append(f"{name}: verdict of {verdict.count('<li>')} lines, summary has {len(s.get('verdict', []))}")
        groups = len(re.findall(r'<details id="g-\d+"', raw))
        if groups != len(s.get("exception_groups", [])):
            errors.append(f"{name}: {groups} finding groups, summary has {len(s.get('exception_groups', []))}")
        for sec, present in (("ftp", s.get("ftp", {}).get("sessions_total", 0)),
                             ("dns", s.get("dns", {}).get("queries", 0)),
                             ("tls", s.get("tls", {}).get("sessions_total", 0) or s.get("tls", {}).get("midstream_sessions", 0)
                              or s.get("tls", {}).get("starttls")),
                             ("dhcp", s.get("dhcp", {}).get("messages", 0))):
            if bool(present) != (f'<section id="{sec}">' in raw):
                errors.append(f"{name}: section {sec} {'missing' if present else 'without data'}")
        if bool(s.get("ctrace")) != ('<section id="ctrace">' in raw):
            errors.append(f"{name}: CTRACE section {'missing' if s.get('ctrace') else 'for a trace that is no CTRACE'}")
        discards = (s.get("ctrace") or {}).get("discards") or []
        if bool(discards) != ('id="plot-discards"' in raw):
            errors.append(f"{name}: discards over time {'not plotted' if discards else 'plotted without discards'}")
        data = json.loads(p.scripts[1][1])
        # IDS events over time: plotted when there are any, every event in some probe's bins
        probes = ((s.get("ctrace") or {}).get("ids") or {}).get("by_probe") or []
        if bool(probes) != ('id="plot-ids"' in raw):
            errors.append(f"{name}: IDS events over time {'not plotted' if probes else 'plotted without IDS events'}")
        events = sum(pr["events"] for pr in probes)
        binned = sum(sum(x["packets"]) for x in data.get("ids", []))
        if binned != events:
            errors.append(f"{name}: {binned} IDS events in the plot's bins, the model counts {events}")
        # the DNS latency histogram: plotted from dns.latency_histogram, and the same counts in a table
        dns = s.get("dns") or {}
        counts = [b["count"] for b in dns.get("latency_histogram", [])]
        answered = dns.get("latency", {}).get("samples", 0)
        if answered:
            if sum(counts) != answered:
                errors.append(f"{name}: dns.latency_histogram sums to {sum(counts)}, latency.samples {answered}")
            if 'id="plot-dns-latency"' not in raw or (data.get("dns_latency") or {}).get("counts") != counts:
                errors.append(f"{name}: DNS latency histogram not plotted from the model: {data.get('dns_latency')}")
            table = re.search(r'<table id="dns-latency">.*?<tbody><tr><td>queries</td>(.*?)</tr>', raw, re.S)
            shown = [int(v.replace(",", "")) for v in re.findall(r'<td class="n">([\d,]+)</td>', table.group(1))] \
                if table else None
            if shown != counts:
                errors.append(f"{name}: DNS latency table {shown} != dns.latency_histogram {counts}")
        elif 'id="plot-dns-latency"' in raw or 'id="dns-latency"' in raw:
            errors.append(f"{name}: a DNS latency histogram without answered queries")
        # where the time went: each row's bar and each plotted connection's legend name exactly the
        # parts the model gives that connection
        parts = {"server_time_s": "host time", "client_time_s": "client time", "stall_time_s": "receiver stall",
                 "network_time_s": "network", "idle_time_s": "idle"}
        by_id = {c["id"]: c for c in s.get("connections", [])}
        for cid, row in re.findall(r'<tr id="c-(\d+)">(.*?)</tr>', raw, re.S):
            c = by_id.get(int(cid))
            want = [v for k, v in parts.items() if c and (c.get(k) or 0) > 0]
            bar = re.search(r'<span class="tbar"[^>]* title="([^"]*)"', row)
            got = [re.sub(r" [\d.]+ \S+ \(\d+%\)$", "", x) for x in bar.group(1).split(", ")] if bar else []
            if got != want:
                errors.append(f"{name}: connection {cid}: time bar {got}, model {want}")
        for cid in re.findall(r'<div class="conn" id="conn-(\d+)">', raw):
            if int(cid) not in by_id or not any(by_id[int(cid)].get(k) for k in parts):
                continue  # plotted but not listed, or no time to share out
            legend = re.search(rf'<div class="conn" id="conn-{cid}">.*?<div class="twent">(.*?)</div>', raw, re.S)
            if not legend or 'class="tbar big"' not in legend.group(1) or 'class="tlegend"' not in legend.group(1):
                errors.append(f"{name}: connection {cid} has plots but no where-the-time-went bar with its legend")
        canvases = len([1 for t, _ in p.tags if t == "canvas"])
        if data.get("plots") != canvases:
            errors.append(f"{name}: data block counts {data.get('plots')} plots, page has {canvases} canvases")
        if s["packets"]["total"] and "timeline" not in data:
            errors.append(f"{name}: no timeline data")
        tcp_conns = len(s.get("connections", []))
        if tcp_conns and not data.get("conns"):
            errors.append(f"{name}: {tcp_conns} TCP connections but no connection plots")


def check_no_plots(ctana, tmp, errors):
    out = tmp / "np.html"
    subprocess.run([ctana, "report", "--no-plots", str(REAL / "tcp-bulk-loss.pcap"), "-o", str(out)], check=True)
    p = parse(out)
    if any(t == "canvas" for t, _ in p.tags) or len(p.scripts) != 3:
        errors.append("--no-plots: canvases or the charting library in the page")
    if out.stat().st_size > 100_000:
        errors.append(f"--no-plots: {out.stat().st_size} bytes")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ctana", required=True)
    a = ap.parse_args()
    errors = []
    with tempfile.TemporaryDirectory() as d:
        tmp = pathlib.Path(d)
        check_hostile(a.ctana, tmp, errors)
        check_real(a.ctana, tmp, errors)
        check_no_plots(a.ctana, tmp, errors)
    for e in errors:
        print("FAIL", e)
    print(f"report: {len(errors)} problems")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
