#!/usr/bin/env python3
"""ctana correlate (docs/correlate.md) on the real two-point capture of tools/capture/make-correlate.sh:
testdata/real/correlate-client.pcap (point A, the client's interface) and correlate-server.pcap (point B,
the server's interface, its time stamps shifted by +2.5 s), with a router between them that NATs IPv4
(masquerade), clamps the MSS to 1200, sets DSCP AF21 (18) on client->server IPv4, drops every 16th
packet from the client (nft counter: 10 during the captures) and duplicates every 20th TCP segment
towards the client (nft counter: 4).

The oracle is independent of ctana: a small pcap reader here matches the two files on the fields a
router keeps (IPv4 ID, protocol, lengths, TCP sequence/acknowledgement, ICMP sequence; IPv6 by the
transport fields) and counts what only one side has. Checked: matched count, the packets lost A->B
(= the oracle's count = the router's drop counter, and the same frames), none lost B->A, the
duplicates on the path (= the router's dup counter), the clock offset within its uncertainty of the
2.5 s shift (and the uncertainty below the round trip), 1 hop, the NAT mapping, MSS and DSCP; the JSON
against docs/schema/correlate.schema.json; the same with point B converted to CTRACE
(`ctana convert --to ctrace`); --offset forced; the two files swapped (directions swap); a trace
correlated with an unrelated one matches nothing; hostile inputs (cut and damaged files) never crash.
"""
import argparse
import ipaddress
import json
import os
import pathlib
import struct
import subprocess
import sys
import tempfile

A = "testdata/real/correlate-client.pcap"
B = "testdata/real/correlate-server.pcap"
ROUTER_DROPPED = 10      # nft counter of make-correlate.sh: client->server packets dropped
ROUTER_DUPLICATED = 4    # nft counter: server->client TCP segments duplicated
SHIFT = 2.5              # editcap -t 2.5 on the server's capture
CLIENT = {"10.95.1.1", "fd00:95:1::1"}


def read_pcap(path):
    """(frame, time, key, src, dst) of every IPv4/IPv6 packet of an Ethernet pcap (usec or nsec)."""
    data = pathlib.Path(path).read_bytes()
    magic = struct.unpack("<I", data[:4])[0]
    scale = 1e-6 if magic == 0xA1B2C3D4 else 1e-9
    pos, frame, out = 24, 0, []
    while pos + 16 <= len(data):
        sec, frac, incl, _ = struct.unpack("<IIII", data[pos:pos + 16])
        pkt = data[pos + 16:pos + 16 + incl]
        pos += 16 + incl
        frame += 1
        eth = struct.unpack("!H", pkt[12:14])[0]
        ip = pkt[14:]
        if eth == 0x0800:
            ihl = (ip[0] & 15) * 4
            total, ident, proto = struct.unpack("!H", ip[2:4])[0], struct.unpack("!H", ip[4:6])[0], ip[9]
            src, dst = ".".join(map(str, ip[12:16])), ".".join(map(str, ip[16:20]))
            l4, plen = ip[ihl:], total - ihl
            key = [4, ident, proto]
        elif eth == 0x86DD:
            proto, plen = ip[6], struct.unpack("!H", ip[4:6])[0]
            src, dst = str(ipaddress.IPv6Address(ip[8:24])), str(ipaddress.IPv6Address(ip[24:40]))
            l4 = ip[40:]
            key = [6, proto]
        else:
            continue
        if proto == 6:
            seq, ack = struct.unpack("!II", l4[4:12])
            key += [seq, ack, l4[13] & 0x17, plen - (l4[12] >> 4) * 4]
        elif proto in (1, 58):
            key += [l4[0], struct.unpack("!H", l4[6:8])[0], plen]
        else:
            key += [plen, bytes(l4[8:40])]
        out.append((frame, sec + frac * scale, tuple(key), src, dst))
    return out


def oracle():
    """Lost client->server (only at A, inside B's window), duplicates at A of server->client packets."""
    a, b = read_pcap(A), read_pcap(B)
    b_keys = {}
    for fr, t, k, s, d in b:
        b_keys.setdefault(k, []).append(fr)
    a_keys = {}
    for fr, t, k, s, d in a:
        a_keys.setdefault(k, []).append(fr)
    b_first, b_last = b[0][1] - SHIFT, b[-1][1] - SHIFT
    lost = sorted(fr for fr, t, k, s, d in a if s in CLIENT and k not in b_keys and b_first <= t <= b_last)
    matched = sum(min(len(v), len(b_keys.get(k, []))) for k, v in a_keys.items())
    dups_at_a = sum(len(v) - len(b_keys[k]) for k, v in a_keys.items() if k in b_keys and len(v) > len(b_keys[k]))
    return {"lost": lost, "matched": matched, "dups_at_a": dups_at_a, "a": len(a), "b": len(b)}


class Checks:
    def __init__(self, ctana):
        self.ctana, self.failures, self.n = ctana, [], 0

    def run(self, *argv):
        return subprocess.run([self.ctana, *argv], capture_output=True, timeout=120)

    def check(self, name, ok, detail=""):
        self.n += 1
        if not ok:
            self.failures.append(f"{name}: {detail}")
        print(("ok   " if ok else "FAIL ") + name + ("" if ok else f": {detail}"))

    def doc(self, *argv):
        r = self.run("correlate", "--json", *argv)
        if r.returncode != 0:
            self.check("correlate " + " ".join(argv), False, f"exit {r.returncode}: {r.stderr.decode()[:300]}")
            return None
        return json.loads(r.stdout)


def validator():
    sys.path.insert(0, str(pathlib.Path(__file__).parent))
    import schema  # noqa: E402  (tests/cli/schema.py: the same loader)
    _, validators = schema.load_validators()
    return validators["correlate"], schema.errors_of


def check_real(ck, d, name, a_is_client=True):
    orc = oracle()
    m = d["matching"]
    lost_key, back_key = ("lost_ab", "lost_ba") if a_is_client else ("lost_ba", "lost_ab")
    ck.check(f"{name}: the oracle agrees with the router's drop counter", len(orc["lost"]) == ROUTER_DROPPED,
             f"oracle {len(orc['lost'])}")
    ck.check(f"{name}: matched = oracle", m["matched"] == orc["matched"], f"{m['matched']} vs {orc['matched']}")
    ck.check(f"{name}: lost client->server = router counter", m[lost_key] == ROUTER_DROPPED,
             f"{m[lost_key]} vs {ROUTER_DROPPED}")
    ck.check(f"{name}: nothing lost server->client", m[back_key] == 0, str(m[back_key]))
    side = "A" if a_is_client else "B"
    frames = sorted(u["frame"] for u in d["unmatched"] if u["class"] == "lost")
    if a_is_client:
        ck.check(f"{name}: the lost frames are the oracle's", frames == orc["lost"], f"{frames} vs {orc['lost']}")
    ck.check(f"{name}: lost packets are at the client's point", all(u["side"] == side for u in d["unmatched"]
                                                                     if u["class"] == "lost"))
    dirs = {x["direction"]: x for x in d["directions"]}
    c2s, s2c = ("A->B", "B->A") if a_is_client else ("B->A", "A->B")
    ck.check(f"{name}: duplicated on the path = router counter", dirs[s2c]["duplicated_on_path"] == ROUTER_DUPLICATED,
             str(dirs[s2c]["duplicated_on_path"]))
    ck.check(f"{name}: the oracle's extra copies = router counter", orc["dups_at_a"] == ROUTER_DUPLICATED,
             str(orc["dups_at_a"]))
    c = d["clock"]
    want = SHIFT if a_is_client else -SHIFT
    ck.check(f"{name}: clock estimated from both directions", c["method"] == "two_way", c["method"])
    unc = c["uncertainty_s"] or 0
    ck.check(f"{name}: offset {c['offset_s']:.6f} within {unc:.6f} of {want}", abs(c["offset_s"] - want) <= unc + 1e-5,
             "")
    ck.check(f"{name}: uncertainty below 20 ms", unc < 0.02, str(unc))
    flows = [f for f in d["flows"] if f["matched"]]
    v4 = [f for f in flows if ":" not in (f["a"]["src"] or "")]
    v6 = [f for f in flows if ":" in (f["a"]["src"] or "")]
    ck.check(f"{name}: IPv4 and IPv6 flows matched", v4 and v6, f"{len(v4)} v4, {len(v6)} v6")
    ck.check(f"{name}: one hop on every matched flow", all(f["path"]["hops"] == 1 for f in flows),
             str(sorted({f['path']['hops'] for f in flows}, key=str)))
    nat_ok = all(f["path"]["nat"] for f in v4) and not any(f["path"]["nat"] for f in v6)
    ck.check(f"{name}: NAT on the IPv4 flows only", nat_ok)
    client_side = "a" if a_is_client else "b"
    server_side = "b" if a_is_client else "a"
    for f in v4:
        if f["direction"] == c2s:
            ck.check(f"{name}: flow {f['id']} masqueraded to 10.95.2.254",
                     f[client_side]["src"] == "10.95.1.1" and f[server_side]["src"] == "10.95.2.254", json.dumps(f))
            break
    syn_flows = [f for f in flows if f["path"]["mss"]]
    ck.check(f"{name}: MSS clamped to 1200 on every TCP connection's SYN", len(syn_flows) >= 4 and
             all(f["path"]["mss"]["to"] == 1200 and f["path"]["mss"]["from"] > 1200 for f in syn_flows),
             json.dumps([f["path"]["mss"] for f in syn_flows]))
    dscp = [f for f in v4 if f["direction"] == c2s]
    ck.check(f"{name}: DSCP 0 -> 18 on client->server IPv4", dscp and all(f["path"]["dscp"] == {"from": 0, "to": 18}
                                                                         for f in dscp))
    kinds = {f["kind"] for f in d["findings"]}
    for k in ("lost_between_points", "nat_between_points", "mss_clamped", "dscp_rewritten", "duplicated_on_path"):
        ck.check(f"{name}: finding {k}", k in kinds, str(sorted(kinds)))
    lost = [f for f in d["findings"] if f["kind"] == "lost_between_points"]
    ck.check(f"{name}: the loss finding names the client and counts {ROUTER_DROPPED}",
             sum(f["count"] for f in lost) == ROUTER_DROPPED and all(f["client"] in CLIENT for f in lost),
             json.dumps(lost)[:300])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ctana", required=True)
    args = ap.parse_args()
    ck = Checks(args.ctana)
    validate, errors_of = validator()

    def valid(name, d):
        errs = errors_of(validate, d)
        ck.check(f"{name}: matches docs/schema/correlate.schema.json", not errs, "; ".join(errs))

    d = ck.doc(A, B)
    if d:
        valid("A=client B=server", d)
        check_real(ck, d, "A=client B=server")
    text = ck.run("correlate", A, B)
    out = text.stdout.decode()
    v4_lost = sum(1 for fr, t, k, s, dst in read_pcap(A) if fr in oracle()["lost"] and k[0] == 4)
    ck.check("text: verdict first, naming the lost packets",
             out.find("Verdict") < out.find("Clocks") and
             f"  error   {v4_lost} packets from 10.95.1.1 to 10.95.2.1 never reached point B" in out, out[:600])
    if d:
        missing = [f["summary"] for f in d["findings"] if f["kind"] == "lost_between_points" and f["summary"] not in out]
        ck.check("text: every loss finding of the JSON in the verdict", not missing, str(missing))
    ck.check("text: the unmatched table lists the lost frames", "lost A->B" in out)

    d = ck.doc(B, A)
    if d:
        valid("A=server B=client", d)
        check_real(ck, d, "A=server B=client", a_is_client=False)

    with tempfile.TemporaryDirectory() as tmp:
        ct = os.path.join(tmp, "server.ctrace")
        r = ck.run("convert", "--to", "ctrace", B, "-o", ct)
        ck.check("convert B to CTRACE", r.returncode == 0, r.stderr.decode()[:300])
        d = ck.doc(A, ct)
        if d:
            valid("A=client B=CTRACE", d)
            ck.check("CTRACE: read as ctrace", d["b"]["format"] == "ctrace", d["b"]["format"])
            check_real(ck, d, "A=client B=CTRACE")

        d = ck.doc("--offset", "2.5", A, B)
        if d:
            valid("--offset", d)
            ck.check("--offset: forced", d["clock"]["method"] == "forced" and d["clock"]["offset_s"] == 2.5)
            ck.check("--offset: same loss", d["matching"]["lost_ab"] == ROUTER_DROPPED, str(d["matching"]))
        # a wrong forced offset far beyond the horizon: nothing matches, and nothing is called lost
        d = ck.doc("--offset", "100", "--horizon", "1", A, B)
        if d:
            valid("wrong --offset", d)
            ck.check("wrong offset: nothing matched, nothing lost", d["matching"]["matched"] == 0 and
                     d["matching"]["lost_ab"] == 0 and d["matching"]["lost_ba"] == 0, str(d["matching"]))
        d = ck.doc(A, "testdata/real/tcp-v4-v6.pcap")
        if d:
            valid("unrelated traces", d)
            ck.check("unrelated traces: nothing matched", d["matching"]["matched"] == 0, str(d["matching"]))
        d = ck.doc("--max-listed", "3", "--max-flows", "2", A, B)
        if d:
            valid("caps", d)
            ck.check("caps: 3 listed, the rest counted", len(d["unmatched"]) == 3 and d["unmatched_omitted"] ==
                     d["matching"]["only_a"] + d["matching"]["only_b"] - 3, str(d["unmatched_omitted"]))
            ck.check("caps: 2 flows", len(d["flows"]) == 2 and d["flows_overflow"] > 0, str(d["flows_overflow"]))
        full = ck.doc(A, B)
        d = ck.doc("--max-listed", "3", A, B)
        if d and full:
            valid("flows listed", d)
            ck.check("flows listed: 3, the others counted", len(d["flows"]) == 3 and
                     d["flows_omitted"] == len(full["flows"]) - 3, str(d["flows_omitted"]))
            ck.check("flows listed: those with trouble first",
                     all(f["lost"] + f["duplicated_on_path"] + f["reordered"] > 0 for f in d["flows"]))
            ck.check("flows listed: the counts stay whole", d["matching"] == full["matching"] and
                     d["directions"] == full["directions"])

        # hostile inputs: cut and damaged copies of either side never crash; exit 0, 2 or 3
        whole = pathlib.Path(B).read_bytes()
        bad = []
        for n in list(range(0, 200, 7)) + list(range(200, len(whole), 997)):
            p = os.path.join(tmp, "cut.pcap")
            pathlib.Path(p).write_bytes(whole[:n])
            for argv in ([A, p], [p, A]):
                r = ck.run("correlate", "--json", *argv)
                if r.returncode not in (0, 2, 3) or (r.returncode != 2 and not r.stdout):
                    bad.append(f"cut {n} {argv}: exit {r.returncode} {r.stderr.decode()[:200]}")
        junk = bytearray(whole)
        for i in range(40, len(junk), 61):
            junk[i] ^= 0xA5
        p = os.path.join(tmp, "junk.pcap")
        pathlib.Path(p).write_bytes(bytes(junk))
        r = ck.run("correlate", A, p)
        if r.returncode not in (0, 2, 3):
            bad.append(f"damaged: exit {r.returncode} {r.stderr.decode()[:200]}")
        for f in sorted(pathlib.Path("testdata/fuzz").rglob("*"))[:200]:
            if f.is_file():
                r = ck.run("correlate", str(f), A)
                if r.returncode not in (0, 2, 3):
                    bad.append(f"{f}: exit {r.returncode} {r.stderr.decode()[:200]}")
        ck.check("hostile inputs: no crash", not bad, "; ".join(bad[:5]))
        r = ck.run("correlate", A, os.path.join(tmp, "missing.pcap"))
        ck.check("missing file: exit 2 with a message naming it", r.returncode == 2 and b"missing.pcap" in r.stderr,
                 r.stderr.decode())

    print(f"{ck.n - len(ck.failures)} of {ck.n} checks passed")
    return 1 if ck.failures else 0


if __name__ == "__main__":
    sys.exit(main())
