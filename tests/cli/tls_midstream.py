#!/usr/bin/env python3
"""TLS picked up mid-stream (docs/tls.md "Mid-stream") on the real capture testdata/real/tls-midstream.pcap
(tools/capture/make-midstream.sh: tcpdump started after the handshakes of a TLS 1.3 connection on 4433
and a TLS 1.2 one on 5555, while the servers were in the middle of 16 KB records; a plain TCP exchange
on 5556 with one plausible record header in it).

ctana must pick up both TLS connections and not the plain one, with the skipped bytes in each
direction, and make no handshake finding. tshark is the oracle of where the records are: from
ctana's first record in each direction (midstream_skipped), the records read over the stream that
tshark's TCP payloads make (ordered by sequence number) must tile it to its end, and their content
types must count exactly what tshark dissects (`tls.record.content_type`, port 5555 decoded as TLS).
"""
import argparse
import collections
import json
import shutil
import subprocess
import sys

TRACE = "testdata/real/tls-midstream.pcap"


def stream(port, sender_is_server):
    """The payload sent by one side of the connection to `port`, by TCP sequence number."""
    side = "srcport" if sender_is_server else "dstport"
    out = subprocess.run(["tshark", "-n", "-r", TRACE, "-o", "tcp.relative_sequence_numbers:FALSE",
                          "-Y", f"tcp.{side}=={port} && tcp.len>0", "-T", "fields", "-e", "tcp.seq", "-e", "tcp.payload"],
                         capture_output=True, text=True, check=True).stdout
    segs = {}
    for line in out.splitlines():
        seq, payload = line.split("\t")
        segs[int(seq)] = bytes.fromhex(payload.replace(":", ""))
    if not segs:
        return b""
    base, buf = min(segs), bytearray()
    for seq in sorted(segs):
        off = seq - base
        if off > len(buf):
            raise AssertionError(f"port {port}: a hole in the captured stream at {len(buf)}")
        buf[off:off + len(segs[seq])] = segs[seq]
    return bytes(buf)


def records(buf, start):
    """Content types of the records from `start`; None unless they end exactly at the end of `buf`."""
    types, pos = collections.Counter(), start
    while pos + 5 <= len(buf):
        length = int.from_bytes(buf[pos + 3:pos + 5], "big")
        types[buf[pos]] += 1
        pos += 5 + length
    return types if pos == len(buf) else None


def tshark_types():
    out = subprocess.run(["tshark", "-n", "-r", TRACE, "-d", "tcp.port==5555,tls", "-T", "fields",
                          "-e", "tcp.srcport", "-e", "tcp.dstport", "-e", "tls.record.content_type"],
                         capture_output=True, text=True, check=True).stdout
    c = collections.Counter()
    for line in out.splitlines():
        sport, dport, types = line.split("\t")
        for t in filter(None, types.split(",")):
            server = int(sport) in (4433, 5555, 5556)
            c[(int(sport) if server else int(dport), "server" if server else "client", int(t))] += 1
    return c


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ctana", required=True)
    args = ap.parse_args()
    if not shutil.which("tshark"):
        print("SKIP: tshark not installed")
        return 77
    doc = json.loads(subprocess.run([args.ctana, "summary", "--json", TRACE], capture_output=True, text=True, check=True).stdout)
    tls = doc["tls"]
    fails = []

    def check(cond, what):
        if not cond:
            fails.append(what)

    check(tls["midstream_sessions"] == 2, f"midstream_sessions {tls['midstream_sessions']} != 2")
    check(tls["sessions_total"] == 0 and tls["handshakes_failed"] == 0, "no handshake is in the trace")
    check(tls["detected"] == {"resync": 2}, f"detected {tls['detected']}")
    check(not tls["handshake_types"], "no handshake message in clear")
    kinds = {e["kind"] for e in doc["exceptions"]}
    check(not kinds & {"tls_handshake_failed", "starttls_failed", "tls_obsolete_version"}, f"TLS findings: {kinds}")
    by_port = {s["server_port"]: s for s in tls["sessions"]}
    check(sorted(by_port) == [4433, 5555], f"sessions on ports {sorted(by_port)} (5556 is plain TCP)")
    theirs = tshark_types()
    total = collections.Counter()
    for port, s in sorted(by_port.items()):
        check(s["midstream"] and s["detected"] == "resync" and s["hello"] is None and s["version"] is None,
              f"{port}: {s}")
        check(s["application_data"] and not s["completed"], f"{port}: application_data/completed")
        skipped = s["midstream_skipped"]
        check(skipped["client"] == 0, f"{port}: the client's lines start at a record")
        check(skipped["server"] > 0, f"{port}: the capture starts inside a server record")
        for side in ("client", "server"):
            buf = stream(port, side == "server")
            ours = records(buf, skipped[side])
            if ours is None:
                fails.append(f"{port} {side}: records from {skipped[side]} do not end at the end of the stream ({len(buf)})")
                continue
            for t, n in ours.items():
                total[t] += n
                check(theirs[(port, side, t)] == n, f"{port} {side}: content type {t}: {n} records, tshark {theirs[(port, side, t)]}")
            for (p, sd, t), n in theirs.items():
                if p == port and sd == side and t not in ours:
                    fails.append(f"{port} {side}: tshark has {n} records of type {t}, ctana none")
        print(f"{port}: skipped client {skipped['client']}, server {skipped['server']}; "
              f"encrypted alerts {s['encrypted_alerts']}")
    check(tls["encrypted_alerts"] == total[21], f"encrypted_alerts {tls['encrypted_alerts']} != alert records {total[21]}")
    check(not [k for k in theirs if k[0] == 5556], "tshark sees no TLS on 5556 either")
    print(f"records by content type: {dict(total)}")
    for f in fails:
        print("FAIL:", f)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
