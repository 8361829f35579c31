#!/usr/bin/env python3
"""IP reassembly (issue 19, docs/decoding.md "IP reassembly") on two traces:

testdata/real/ip-fragments.pcap (tools/capture/make-fragments.sh: pings of 3000 bytes and DNS TXT
answers of ~2,300 bytes over a veth with MTU 1280, IPv4 and IPv6), checked against tshark, which
reassembles: the datagrams ctana rebuilds are the frames where tshark shows a reassembled datagram
(ip.fragment.count / ipv6.fragment.count), at the same frame; every fragment is taken; the DNS answers
(dns.flags.response), and each answer's frame, and the ICMP echo requests and replies are tshark's.
With --no-reassembly the fragmented DNS answers are missing again.

testdata/crafted/ip-fragments-evasion.pcap (tools/craft/make-fragments.py): a conflicting overlap
(first wins), tiny fragments, a chain that times out, one open at the end, a ping of death: the
counts and findings the file was built to give.

Both with --threads 1 and 2: the same JSON byte for byte.
"""
import argparse
import collections
import shutil
import subprocess
import sys

from checks import check, failures, summary_json

REAL = "testdata/real/ip-fragments.pcap"
CRAFTED = "testdata/crafted/ip-fragments-evasion.pcap"


def tshark(path):
    fields = ["frame.number", "ip.fragment.count", "ipv6.fragment.count", "dns.flags.response", "icmp.type",
              "icmpv6.type"]
    out = subprocess.run(["tshark", "-n", "-r", path, "-T", "fields", "-E", "separator=\t"]
                         + [a for f in fields for a in ("-e", f)], capture_output=True, text=True, check=True).stdout
    rows = []
    for line in out.splitlines():
        cols = line.split("\t") + [""] * len(fields)
        rows.append({f: cols[i] for i, f in enumerate(fields)})
    return rows


def findings(doc):
    return collections.Counter(f["kind"] for f in doc["exceptions"] if f["kind"].startswith("ip_"))


def real(exe):
    doc = summary_json(exe, REAL)
    ra = doc["ip_reassembly"]
    rows = tshark(REAL)
    reasm_frames = [int(r["frame.number"]) for r in rows if r["ip.fragment.count"] or r["ipv6.fragment.count"]]
    fragments = sum(int((r["ip.fragment.count"] or r["ipv6.fragment.count"]).split(",")[0]) for r in rows
                    if r["ip.fragment.count"] or r["ipv6.fragment.count"])
    check(len(reasm_frames) >= 10, f"the capture has fragmented datagrams ({len(reasm_frames)})")
    check(ra["enabled"] is True, "reassembly on by default")
    check(ra["datagrams"] == len(reasm_frames), f"datagrams {ra['datagrams']} = tshark's {len(reasm_frames)}")
    check(ra["fragments"] == fragments, f"fragments taken {ra['fragments']} = tshark's {fragments}")
    check(doc["packets"]["fragments"] == fragments, f"packets.fragments {doc['packets']['fragments']} = {fragments}")
    bad = {k: v for k, v in ra.items() if k not in ("enabled", "fragments", "datagrams") and v}
    check(not bad, f"no timeouts, overlaps, tiny fragments or limits on real traffic: {bad}")
    check(not findings(doc), f"no ip_* findings on real traffic: {dict(findings(doc))}")
    responses = [int(r["frame.number"]) for r in rows if r["dns.flags.response"] == "1"]
    check(doc["dns"]["responses"] == len(responses), f"DNS responses {doc['dns']['responses']} = tshark's {len(responses)}")
    ours = sorted(t["response_frame"] for t in doc["dns"]["transactions"] if t["response_frame"])
    check(ours == sorted(responses), f"DNS answers at tshark's frames {sorted(responses)}: {ours}")
    big = [f for f in responses if f in reasm_frames]
    check(len(big) == 2, f"two DNS answers (IPv4, IPv6) came in fragments: frames {big}")
    check(all(t["answers"] >= 1 for t in doc["dns"]["transactions"]), "every answer parsed (TXT record count)")
    req = sum(1 for r in rows if r["icmp.type"] == "8" or r["icmpv6.type"] == "128")
    rep = sum(1 for r in rows if r["icmp.type"] == "0" or r["icmpv6.type"] == "129")
    echo = doc["icmp"]["echo"]
    check((echo["requests"], echo["replies"], echo["answered"]) == (req, rep, rep),
          f"ICMP echo requests/replies/answered {echo['requests']}/{echo['replies']}/{echo['answered']} = tshark's {req}/{rep}")
    check(doc["icmp"]["messages"] == req + rep, f"ICMP messages {doc['icmp']['messages']} = {req + rep}: fragments not also counted")
    off = summary_json(exe, REAL, "--no-reassembly")
    check(off["ip_reassembly"]["enabled"] is False and off["ip_reassembly"]["datagrams"] == 0, "--no-reassembly: off")
    check(off["dns"]["responses"] == len(responses) - len(big),
          f"--no-reassembly: the fragmented answers are lost ({off['dns']['responses']} = {len(responses)} - {len(big)})")
    check(off["packets"] == doc["packets"], "--no-reassembly: the packet counts do not change")


def crafted(exe):
    doc = summary_json(exe, CRAFTED)
    ra = doc["ip_reassembly"]
    want = {"enabled": True, "fragments": 14, "datagrams": 4, "timeouts": 1, "incomplete": 1, "overlaps": 1,
            "overlap_conflicts": 1, "tiny": 1, "too_big": 1, "overflow": 0, "cut": 0, "not_taken": 0}
    check(ra == want, f"crafted counts {ra} = {want}")
    want_f = {"ip_fragment_overlap": 1, "ip_fragment_tiny": 1, "ip_fragments_incomplete": 2, "ip_datagram_too_big": 1}
    check(dict(findings(doc)) == want_f, f"crafted findings {dict(findings(doc))} = {want_f}")
    by = {f["kind"]: f for f in doc["exceptions"]}
    ov = by.get("ip_fragment_overlap", {})
    check(ov.get("severity") == "error" and ov.get("first_frame") == 6 and ov.get("module") == "ip",
          f"the overlap is an error at frame 6 of module ip: {ov.get('severity')} {ov.get('first_frame')} {ov.get('module')}")
    inc = [f for f in doc["exceptions"] if f["kind"] == "ip_fragments_incomplete"]
    check(any("1 timed out" in f["summary"] for f in inc), f"the IPv4 chain timed out: {[f['summary'] for f in inc]}")
    rows = tshark(CRAFTED)
    responses = sorted(int(r["frame.number"]) for r in rows if r["dns.flags.response"] == "1")
    ours = sorted(t["response_frame"] for t in doc["dns"]["transactions"] if t["response_frame"])
    check(ours == responses == [3, 7, 16], f"DNS answers at frames {ours} = tshark's {responses} = [3, 7, 16]")
    # first wins: the answer with the conflicting overlap still holds the original TXT strings
    t7 = [t for t in doc["dns"]["transactions"] if t["response_frame"] == 7]
    check(bool(t7) and t7[0]["outcome"] == "NOERROR" and t7[0]["answers"] == 1 and "X" not in t7[0]["first_answer"],
          f"the overlapped answer parsed with the bytes that came first (no 'X' of the overlap): "
          f"{[(t['outcome'], t['answers'], t['first_answer'][:30]) for t in t7]}")
    check(doc["icmp"]["messages"] == 0, "the ping of death is not analysed as ICMP")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ctana", required=True)
    args = ap.parse_args()
    if not shutil.which("tshark"):
        print("tshark is not installed")
        return 77
    real(args.ctana)
    crafted(args.ctana)
    print(f"{len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
