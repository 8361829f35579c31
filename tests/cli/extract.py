#!/usr/bin/env python3
"""Extracts (docs/cli.md "convert"): `ctana convert` with -f/--ip/--port/--conn/--start/--end writes
exactly the frames of the subset, and --comments writes each finding as a packet comment on its frame;
tshark is the oracle, on every pcap/pcapng trace in testdata/real.

For each trace, from one tshark pass over the original (first occurrence of each field, ICMP errors'
quoted headers left out), and each written pcapng read back by the small pcapng reader below (frame
times and captured lengths; a tshark pass per subset made this test take up to 15 minutes); the
--comments files are read back by tshark, with their comments:
  --conn N     for each connection of `sessions --json` (at most 3 per trace): the TCP frames between
               its first_frame and last_frame with its two addresses and ports, as many as its packets;
  --port P     the frames whose TCP or UDP source or destination port is P (P: a connection's server port);
  --ip A       the frames from or to A (ARP too, as tcpdump's 'host A');
  -f           the IPv4 TCP frames with SYN set ('tcp[tcpflags] & tcp-syn != 0': libpcap's tcp[] is IPv4 only);
               (--port, --ip and -f not on VLAN traces: a tcpdump filter needs 'vlan' to look inside)
  --start/--end  the frames in [time of the trace's 1/4 frame, time of its 3/4 frame);
  --conn N with --start   the connection's frames from that time on;
  --comments   each finding of `exceptions --json` that names a frame is a comment
               'ctana: SEVERITY KIND: SUMMARY' on its last frame (first when there is no last), and
               there are no others; with --conn N only those on the connection's frames.
Also: --conn beyond the trace's connections and --comments to pcap are usage errors (exit 1).
"""
import argparse
import json
import pathlib
import shutil
import struct
import subprocess
import sys
import tempfile
from decimal import Decimal

FIELDS = ["frame.number", "frame.time_epoch", "frame.cap_len", "frame.protocols", "ip.src", "ip.dst", "ipv6.src",
          "ipv6.dst", "arp.src.proto_ipv4", "arp.dst.proto_ipv4", "tcp.srcport", "tcp.dstport", "udp.srcport", "udp.dstport", "tcp.flags.syn"]

failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL", msg)


def tshark_rows(path):
    out = subprocess.run(["tshark", "-n", "-r", path, "-T", "fields", "-E", "separator=/t", "-E", "occurrence=f"]
                         + [a for f in FIELDS for a in ("-e", f)], capture_output=True, text=True)
    rows = []
    for line in out.stdout.splitlines():
        cols = (line.split("\t") + [""] * len(FIELDS))[:len(FIELDS)]
        r = dict(zip(FIELDS, cols))
        layers = r["frame.protocols"].split(":")
        r["quoted"] = "icmp" in layers or "icmpv6" in layers  # ports may be those of a quoted header
        r["tcp"] = "tcp" in layers and not r["quoted"]
        r["vlan"] = "vlan" in layers  # a tcpdump filter needs 'vlan' to look inside
        r["src"] = r["ip.src"] or r["ipv6.src"] or r["arp.src.proto_ipv4"]  # 'host A' takes ARP too
        r["dst"] = r["ip.dst"] or r["ipv6.dst"] or r["arp.dst.proto_ipv4"]
        r["nr"] = int(r["frame.number"])
        rows.append(r)
    return rows


def key(r):
    return (Decimal(r["frame.time_epoch"]), r["frame.cap_len"])


def pcapng_keys(path):
    """(time, captured length) of each packet of a pcapng file, as key() makes them of tshark's rows:
    Enhanced Packet Blocks, times in their interface's if_tsresol (default microseconds)."""
    data = pathlib.Path(path).read_bytes()
    keys, resol, off, bo = [], [], 0, "<"
    while off + 12 <= len(data):
        btype = struct.unpack_from(bo + "I", data, off)[0]
        if btype == 0x0A0D0D0A:  # section header: its byte-order magic decides the rest
            bo = "<" if data[off + 8:off + 12] == b"\x4d\x3c\x2b\x1a" else ">"
            resol = []
        blen = struct.unpack_from(bo + "I", data, off + 4)[0]
        if blen < 12 or off + blen > len(data):
            raise ValueError(f"{path}: bad block length {blen} at offset {off}")
        body = data[off + 8:off + blen - 4]
        if btype == 1:  # interface description: options after link type, reserved, snaplen
            unit = Decimal(10) ** -6
            o = 8
            while o + 4 <= len(body):
                code, n = struct.unpack_from(bo + "HH", body, o)
                if code == 0:
                    break
                if code == 9 and n >= 1:
                    v = body[o + 4]
                    unit = Decimal(2) ** -(v & 0x7F) if v & 0x80 else Decimal(10) ** -v
                o += 4 + (n + 3) // 4 * 4
            resol.append(unit)
        elif btype == 6:  # enhanced packet
            ifid, hi, lo, caplen = struct.unpack_from(bo + "IIII", body, 0)
            keys.append(((hi << 32 | lo) * resol[ifid], str(caplen)))
        off += blen
    return keys


def convert(ctana, path, out, *args):
    return subprocess.run([ctana, "-q", "convert", path, "-o", out, *args], capture_output=True, text=True)


def check_subset(ctana, path, tmp, what, args, expected, counts):
    out = str(tmp / "subset.pcapng")
    res = convert(ctana, path, out, *args)
    if res.returncode != 0:
        fail(f"{path}: convert {' '.join(args)}: exit {res.returncode}: {res.stderr.strip()}")
        return
    got = pcapng_keys(out)
    want = [key(r) for r in expected]
    if got != want:
        fail(f"{path}: {what} ({' '.join(args)}): {len(got)} frames written, tshark selects {len(want)}; "
             f"first difference at {next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), min(len(got), len(want)))}")
    counts["subsets"] += 1
    counts["frames"] += len(want)


def comments_of(path):
    out = subprocess.run(["tshark", "-n", "-r", path, "-Y", "frame.comment", "-T", "json", "-e", "frame.number",
                          "-e", "frame.time_epoch", "-e", "frame.comment"], capture_output=True, text=True)
    got = {}
    for pkt in json.loads(out.stdout or "[]"):
        layers = pkt["_source"]["layers"]
        got[Decimal(layers["frame.time_epoch"][0])] = [c for c in layers["frame.comment"] if c.startswith("ctana: ")]
    return got


def check_pcap(ctana, path, tmp, counts):
    rows = tshark_rows(path)
    if not rows:
        return
    by_nr = {r["nr"]: r for r in rows}
    sessions = json.loads(subprocess.run([ctana, "sessions", "--json", path], capture_output=True, text=True).stdout)
    conns = sessions["connections"]

    def conn_frames(c):
        ends = {(c["client"], str(c["client_port"])), (c["server"], str(c["server_port"]))}
        return [r for r in rows if r["tcp"] and c["first_frame"] <= r["nr"] <= c["last_frame"]
                and {(r["src"], r["tcp.srcport"]), (r["dst"], r["tcp.dstport"])} == ends]

    for c in conns[:3]:
        frames = conn_frames(c)
        packets = sum(d["packets"] for d in c["directions"])
        if len(frames) != packets:
            fail(f"{path}: connection {c['id']}: tshark finds {len(frames)} frames of its endpoints, sessions {packets} packets")
        check_subset(ctana, path, tmp, f"connection {c['id']}", ["--conn", str(c["id"])], frames, counts)
    if conns and not any(r["vlan"] for r in rows):
        c = conns[0]
        port = str(c["server_port"])
        check_subset(ctana, path, tmp, "port", ["--port", port],
                     [r for r in rows if not r["quoted"] and port in (r["tcp.srcport"], r["tcp.dstport"],
                                                                      r["udp.srcport"], r["udp.dstport"])], counts)
        ip = c["client"]
        check_subset(ctana, path, tmp, "ip", ["--ip", ip], [r for r in rows if ip in (r["src"], r["dst"])], counts)
        check_subset(ctana, path, tmp, "filter", ["-f", "tcp[tcpflags] & tcp-syn != 0"],
                     [r for r in rows if r["tcp"] and r["ip.src"] and not r["ipv6.src"]  # tcp[] is IPv4 only (libpcap)
                      and r["tcp.flags.syn"] in ("1", "True")], counts)
    lo, hi = rows[len(rows) // 4]["frame.time_epoch"], rows[3 * len(rows) // 4]["frame.time_epoch"]
    window = [r for r in rows if Decimal(lo) <= Decimal(r["frame.time_epoch"]) < Decimal(hi)]
    check_subset(ctana, path, tmp, "window", ["--start", lo, "--end", hi], window, counts)
    if conns:
        c = conns[-1]
        frames = conn_frames(c)
        mid = frames[len(frames) // 2]["frame.time_epoch"]
        check_subset(ctana, path, tmp, f"connection {c['id']} from {mid}", ["--conn", str(c["id"]), "--start", mid],
                     [r for r in frames if Decimal(r["frame.time_epoch"]) >= Decimal(mid)], counts)

    # --comments: every finding that names a frame, on that frame (by time: the frame numbers of a
    # subset are new), and nothing else
    findings = json.loads(subprocess.run([ctana, "exceptions", "--json", "--max-listed", "100000000", path],
                                         capture_output=True, text=True).stdout)["exceptions"]

    def expected_comments(keep):
        want = {}
        for f in findings:
            nr = f.get("last_frame") or f.get("first_frame")
            if not nr or nr not in keep:
                continue
            want.setdefault(Decimal(by_nr[nr]["frame.time_epoch"]), []).append(
                f"ctana: {f['severity']} {f['kind']}: {f['summary']}")
        return want

    cases = [("whole trace", [], set(by_nr))]
    if conns:
        c = conns[0]
        cases.append((f"connection {c['id']}", ["--conn", str(c["id"])], {r["nr"] for r in conn_frames(c)}))
    for what, args, keep in cases:
        out = str(tmp / "comments.pcapng")
        res = convert(ctana, path, out, "--comments", *args)
        if res.returncode != 0:
            fail(f"{path}: convert --comments {' '.join(args)}: exit {res.returncode}: {res.stderr.strip()}")
            continue
        got, want = comments_of(out), expected_comments(keep)
        if {t: sorted(v) for t, v in got.items()} != {t: sorted(v) for t, v in want.items()}:
            fail(f"{path}: --comments, {what}: tshark reads {sum(map(len, got.values()))} ctana comments on "
                 f"{len(got)} frames, expected {sum(map(len, want.values()))} on {len(want)}")
        counts["comments"] += sum(map(len, want.values()))
        if what == "whole trace" and pcapng_keys(out) != [key(r) for r in rows]:
            fail(f"{path}: --comments changed the frames written")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ctana", required=True)
    args = ap.parse_args()
    if not shutil.which("tshark"):
        print("tshark is not installed: run tools/build.sh (it installs the test oracles)")
        return 1
    counts = {"subsets": 0, "frames": 0, "comments": 0}
    with tempfile.TemporaryDirectory() as d:
        tmp = pathlib.Path(d)
        for p in sorted(pathlib.Path("testdata/real").glob("*")):
            # Tunnel traces: --ip/--port/-f are BPF on the outer frame (as in tcpdump), tshark's selection
            # looks inside; tests/cli/tunnels.py covers them (docs/decoding.md "Tunnels").
            if p.suffix in (".pcap", ".pcapng") and not p.name.startswith("tunnel-"):
                check_pcap(args.ctana, str(p), tmp, counts)
        p = "testdata/real/tcp-refused.pcap"
        res = convert(args.ctana, p, str(tmp / "x.pcapng"), "--conn", "100000")
        if res.returncode != 1 or "--conn 100000" not in res.stderr:
            fail(f"--conn 100000: exit {res.returncode}, {res.stderr.strip()!r} (want a usage error naming the option)")
        res = convert(args.ctana, p, str(tmp / "x.pcap"), "--comments")
        if res.returncode != 1 or "--comments" not in res.stderr:
            fail(f"--comments to pcap: exit {res.returncode}, {res.stderr.strip()!r} (want a usage error)")
    print("checked: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    # the checks must have had something to check
    if counts["subsets"] < 100 or counts["frames"] < 1000 or counts["comments"] < 20:
        fail(f"too little checked: {counts}")
    print(f"{len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
