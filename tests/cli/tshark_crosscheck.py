#!/usr/bin/env python3
"""Cross-check `ctana summary --json` packet counts against tshark on every trace in testdata/.

tshark reads each file once (`-T fields -e frame.protocols ...`); the counts are derived from the
protocol stack of each frame with the definitions of docs/summary.md:
  total   frames                        ipv4/ipv6  'ip'/'ipv6' anywhere in the stack
  tcp/udp 'tcp'/'udp' in the stack after the last tunnel (gre, vxlan, geneve, teredo, an IP header
          right after another): the outer UDP of a VXLAN, Geneve or Teredo tunnel is not counted,
          ctana counts the packet the tunnel carries (docs/decoding.md "Tunnels"); and not when
          quoted inside an ICMP/ICMPv6 error
  icmp    'icmp'  icmpv6 'icmpv6'  arp 'arp'
  fragments  outer IPv4 header with MF set or offset > 0, or an IPv6 fragment header
  checksum_errors.X  frames whose outer X checksum tshark (with checksum validation on) finds bad;
                     TCP/UDP headers quoted in ICMP errors are not counted
Where ctana disagrees on purpose, KNOWN_DIFFERENCES says so and why (also in docs/summary.md);
any other difference, or a listed one that disappears, fails the test.
"""
import argparse
import json
import pathlib
import shutil
import subprocess
import sys

KEYS = ["total", "ipv4", "ipv6", "tcp", "udp", "icmp", "icmpv6", "arp", "fragments"]
CSUM_KEYS = ["ipv4", "tcp", "udp", "icmp", "icmpv6"]  # checksum_errors.*, vs tshark's *.checksum.status == 0
# tcp.<key> in ctana's JSON <- frames with tcp.analysis.<flag> in tshark
TCP_KEYS = {"retransmissions": "retransmission", "fast_retransmissions": "fast_retransmission",
            "spurious_retransmissions": "spurious_retransmission", "duplicate_acks": "duplicate_ack",
            "zero_windows": "zero_window", "window_probes": "zero_window_probe",
            "window_probe_acks": "zero_window_probe_ack", "out_of_order": "out_of_order",
            "keepalives": "keep_alive", "keepalive_acks": "keep_alive_ack", "window_updates": "window_update",
            "window_full": "window_full", "lost_segments": "lost_segment", "ack_lost_segments": "ack_lost_segment",
            "reused_ports": "reused_ports"}
ALL_KEYS = KEYS + ["csum_" + k for k in CSUM_KEYS] + ["tcp." + k for k in TCP_KEYS] + ["tcp.connections"]

TUNNELS = ("gre", "vxlan", "geneve", "teredo")
# file -> {key: (ctana, tshark, reason)}
RESYNC = "ctana skips the damaged record and resynchronises on the next valid one; tshark stops at the damage"
INCOMPLETE = ("the first fragments of datagrams that never complete (frames 11, 17) or are too big (frame 12): ctana "
              "counts each under its transport protocol, tshark a fragmented datagram's protocols only on its last "
              "fragment, once reassembled (docs/decoding.md)")
OPAQUE = ("ERSPAN (frames 20, 21) and PPTP's PPP (frame 24) are opaque GRE payload for ctana, tshark decodes the frames "
          "inside; frame 22 is in five tunnels, one more than ctana follows (docs/decoding.md \"Tunnels\")")
KNOWN_DIFFERENCES = {
    "crafted/tunnels.pcap": {"icmp": (6, 10, OPAQUE)},
    "crafted/teredo.pcap": {"udp": (1, 0, "frame 6 is a datagram to port 3544 without an IPv6 packet: tshark calls it "
                                          "Teredo by the port, ctana a plain UDP datagram")},
    "crafted/ip-fragments-evasion.pcap": {"udp": (10, 8, INCOMPLETE), "icmp": (1, 0, INCOMPLETE)},
    "crafted/ipv4-malformed.pcap": {
        "ipv6": (0, 1, "frame 7 has IP version 6 inside Ethertype 0x0800: tshark then dissects it as IPv6, "
                       "ctana reports a malformed IPv4 header"),
    },
    "crafted/tcp-options.pcap": {
        "tcp.connections": (5, 6, "frame 8's TCP header is cut by the snap length after 12 bytes: tshark opens a "
                                  "stream for its ports, ctana does not track a connection without a whole header"),
    },
    "crafted/absurd-caplen.pcap": {
        "total": (5, 4, RESYNC), "ipv4": (5, 4, RESYNC), "icmp": (1, 0, RESYNC),
    },
    "crafted/pcapng-bad-block.pcapng": {
        "total": (5, 3, RESYNC), "ipv4": (5, 3, RESYNC), "udp": (1, 0, RESYNC), "icmp": (1, 0, RESYNC),
    },
}


def innermost(layers):
    """The layers after the last tunnel in a tshark protocol stack: the packet ctana counts."""
    start = 0
    for i, l in enumerate(layers):
        if l in TUNNELS or (i and l in ("ip", "ipv6") and layers[i - 1] in ("ip", "ipv6")):
            start = i + (l in TUNNELS)
    return layers[start:]


def tshark_counts(path):
    out = subprocess.run(
        ["tshark", "-n", "-r", path, "-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE",
         "-o", "udp.check_checksum:TRUE", "-T", "fields", "-E", "separator=/t",
         "-e", "frame.protocols", "-e", "ip.flags.mf", "-e", "ip.frag_offset"]
        + [arg for k in CSUM_KEYS for arg in ("-e", f"{'ip' if k == 'ipv4' else k}.checksum.status")]
        + [arg for k in TCP_KEYS.values() for arg in ("-e", f"tcp.analysis.{k}")] + ["-e", "tcp.stream"],
        capture_output=True, text=True)
    counts = dict.fromkeys(ALL_KEYS, 0)
    streams = set()
    for line in out.stdout.splitlines():
        cols = line.split("\t")
        layers = cols[0].split(":")
        counts["total"] += 1
        quoted = "icmp" in layers or "icmpv6" in layers
        counts["ipv4"] += "ip" in layers
        counts["ipv6"] += "ipv6" in layers
        transports = [l for l in innermost(layers) if l in ("tcp", "udp")]
        counts["tcp"] += bool(transports) and transports[-1] == "tcp" and not quoted
        counts["udp"] += bool(transports) and transports[-1] == "udp" and not quoted
        counts["icmp"] += "icmp" in layers
        counts["icmpv6"] += "icmpv6" in layers
        counts["arp"] += "arp" in layers
        mf = cols[1].split(",")[0] if len(cols) > 1 else ""
        off = cols[2].split(",")[0] if len(cols) > 2 else ""
        # a fragment header inside an ICMPv6 error's quote does not count
        first_icmp = min([i for i, l in enumerate(layers) if l in ("icmp", "icmpv6")] or [len(layers)])
        counts["fragments"] += (mf == "1" or off not in ("", "0")) or "ipv6.fraghdr" in layers[:first_icmp]
        for i, k in enumerate(CSUM_KEYS):
            status = cols[3 + i].split(",")[0] if len(cols) > 3 + i else ""
            if k in ("tcp", "udp") and quoted:
                continue
            counts["csum_" + k] += status == "0"  # Wireshark: 0 bad, 1 good, 2 unverified
        base = 3 + len(CSUM_KEYS)
        for i, k in enumerate(TCP_KEYS):
            if len(cols) > base + i and cols[base + i] != "" and not quoted:
                counts["tcp." + k] += 1
        stream = cols[base + len(TCP_KEYS)].split(",")[0] if len(cols) > base + len(TCP_KEYS) else ""
        if stream != "" and not quoted:
            streams.add(stream)
    counts["tcp.connections"] = len(streams)
    return counts, out.returncode


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
    failures, checked, seen_known = [], 0, set()
    for f in files:
        rel = f.relative_to(root).as_posix()
        res = subprocess.run([args.ctana, "summary", "--json", str(f)], capture_output=True, text=True)
        if res.returncode == 2:
            continue  # not a trace (empty file): nothing to compare
        doc = json.loads(res.stdout)
        ours = dict(doc["packets"])
        ours.update({"csum_" + k: v for k, v in doc["checksum_errors"].items()})
        ours.update({"tcp." + k: doc["tcp"][k] for k in list(TCP_KEYS) + ["connections"]})
        theirs, _ = tshark_counts(str(f))
        known = KNOWN_DIFFERENCES.get(rel, {})
        for k in ALL_KEYS:
            if k in known:
                seen_known.add((rel, k))
                exp_ours, exp_theirs, _why = known[k]
                if (ours[k], theirs[k]) != (exp_ours, exp_theirs):
                    failures.append(f"{rel}: {k}: documented difference changed: ctana {ours[k]} tshark {theirs[k]}"
                                    f" (documented: ctana {exp_ours} tshark {exp_theirs})")
            elif ours[k] != theirs[k]:
                failures.append(f"{rel}: {k}: ctana {ours[k]} != tshark {theirs[k]}")
        checked += 1
        print(f"{rel}: " + " ".join(f"{k}={ours[k]}" for k in ALL_KEYS if ours[k]))
    for rel, diffs in KNOWN_DIFFERENCES.items():
        for k in diffs:
            if (rel, k) not in seen_known:
                failures.append(f"{rel}: documented difference for {k} was not checked (file missing?)")
    for msg in failures:
        print("FAIL", msg)
    print(f"{checked - len({m.split(':')[0] for m in failures})} passed, {len({m.split(':')[0] for m in failures})} failed"
          f" (files compared with tshark)")
    return 1 if failures or checked < 20 else 0


if __name__ == "__main__":
    sys.exit(main())
