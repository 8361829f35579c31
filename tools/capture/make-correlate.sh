#!/usr/bin/env bash
# make-correlate.sh - the same traffic captured at two points at once, for `ctana correlate`
# (issue 20), into testdata/real/:
#   correlate-client.pcap  tcpdump on the client's interface (10.95.1.1, fd00:95:1::1)
#   correlate-server.pcap  tcpdump on the server's interface (10.95.2.1, fd00:95:2::1), its time
#                          stamps shifted by +2.5 s afterwards (editcap -t 2.5): a second clock
# Three namespaces client - router - server. The router forwards IPv4 and IPv6, masquerades IPv4
# from the client (nft: the server sees 10.95.2.254), clamps the MSS of forwarded SYNs to 1200
# and rewrites the DSCP of client->server IPv4 packets to AF21 (18). Between the two points
# (this kernel has no netem, so nft and tbf):
#   towards the server  every 16th forwarded packet dropped (nft numgen, counted): the packets
#                       lost between the points; a tbf rate limit (4 Mbit/s) queues the upload:
#                       one-way delays from microseconds to tens of milliseconds
#   towards the client  every 20th forwarded TCP segment duplicated (nft dup, counted)
# Traffic, each from the client: python TCP peers (an upload of 40,000 bytes and a download of
# 40,000 bytes, IPv4 through the NAT; one small exchange over IPv6, not NATed), 40 UDP datagrams
# of 200 bytes to a UDP sink (IPv4), 20 pings over IPv4 and 10 over IPv6. Snap length 200 bytes
# keeps the files small; the payload hash uses the captured bytes of both sides alike.
# The router's nft counters (dropped, duplicated) are logged at the end; the test
# (tests/cli/correlate.py) checks ctana's counts against an independent match of the two files.
# Run as root (namespaces, tcpdump, nft, tc); ~15 s. Existing files are overwritten.
set -euo pipefail
SCRIPT_DIR=$(cd "$(dirname "$0")" && pwd)
OUT=$SCRIPT_DIR/../../testdata/real
NSC=ctana-corr-c
NSR=ctana-corr-r
NSS=ctana-corr-s

LOG_TAG=make-correlate
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$SCRIPT_DIR/lib.sh"
need_root "network namespaces, tcpdump, nft, tc"
ensure_tools tcpdump:tcpdump capinfos:wireshark-common editcap:wireshark-common nft:nftables tc:iproute2 \
    ping:iputils-ping ip:iproute2 ethtool:ethtool

work_begin corr "$NSC" "$NSR" "$NSS"

veth() { # NAME_A NS_A MAC_A NAME_B NS_B MAC_B
    ip link add "$1" netns "$2" address "$3" type veth peer name "$4" netns "$5" address "$6"
    no_offload "$2" "$1"
    no_offload "$5" "$4"
    ip -n "$2" link set "$1" up
    ip -n "$5" link set "$4" up
}

for ns in "$NSC" "$NSR" "$NSS"; do netns_create "$ns"; done
veth corr-c "$NSC" 02:00:00:95:01:01 corr-rc "$NSR" 02:00:00:95:01:fe
veth corr-rs "$NSR" 02:00:00:95:02:fe corr-s "$NSS" 02:00:00:95:02:01
ip netns exec "$NSR" sh -c 'echo 1 > /proc/sys/net/ipv4/ip_forward; echo 1 > /proc/sys/net/ipv6/conf/all/forwarding
    for c in all default; do echo 0 > /proc/sys/net/ipv4/conf/$c/send_redirects; done'
ip -n "$NSC" addr add 10.95.1.1/24 dev corr-c
ip -n "$NSC" addr add fd00:95:1::1/64 dev corr-c nodad
ip -n "$NSC" route add default via 10.95.1.254
ip -n "$NSC" -6 route add default via fd00:95:1::fe
ip -n "$NSR" addr add 10.95.1.254/24 dev corr-rc
ip -n "$NSR" addr add fd00:95:1::fe/64 dev corr-rc nodad
ip -n "$NSR" addr add 10.95.2.254/24 dev corr-rs
ip -n "$NSR" addr add fd00:95:2::fe/64 dev corr-rs nodad
ip -n "$NSS" addr add 10.95.2.1/24 dev corr-s
ip -n "$NSS" addr add fd00:95:2::1/64 dev corr-s nodad
ip -n "$NSS" route add default via 10.95.2.254
ip -n "$NSS" -6 route add default via fd00:95:2::fe

ip netns exec "$NSR" nft -f - <<'EOF'
table ip nat {
    chain post { type nat hook postrouting priority srcnat; oifname "corr-rs" masquerade; }
}
table inet mangle {
    chain clamp {
        type filter hook forward priority mangle;
        tcp flags syn tcp option maxseg size set 1200
        iifname "corr-rc" ip dscp set af21
    }
}
EOF
ip netns exec "$NSR" nft -f - <<'EOF'
table inet lossy {
    chain drop_some {
        type filter hook forward priority filter;
        iifname "corr-rc" numgen inc mod 16 == 7 counter drop
    }
}
table ip dupl {
    chain dup_some {
        type filter hook forward priority filter + 10;
        iifname "corr-rs" ip protocol tcp numgen inc mod 20 == 3 counter dup to 10.95.1.1 device "corr-rc"
    }
}
EOF
ip netns exec "$NSR" tc qdisc add dev corr-rs root tbf rate 4mbit burst 6kb latency 300ms

cat >"$WORK/peer.py" <<'EOF'
import socket, sys, time
mode = sys.argv[1]
if mode == "tcp-server":
    fam = socket.AF_INET6 if ":" in sys.argv[2] else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((sys.argv[2], int(sys.argv[3])))
    s.listen(4)
    while True:
        c, _ = s.accept()
        cmd = b""
        while len(cmd) < 16:
            b = c.recv(16 - len(cmd))
            if not b:
                break
            cmd += b
        if cmd.startswith(b"PUT"):
            n = int(cmd[3:].strip() or 0)
            got = 0
            while got < n:
                b = c.recv(65536)
                if not b:
                    break
                got += len(b)
            c.sendall(b"OK %d\n" % got)
        else:
            n = int(cmd[3:].strip() or 0)
            c.sendall(bytes((i * 7) & 0xFF for i in range(n)))
        c.close()
elif mode == "udp-server":
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((sys.argv[2], int(sys.argv[3])))
    while True:
        s.recvfrom(2048)
elif mode == "tcp-client":
    host, port, op, n = sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    c = socket.socket(fam, socket.SOCK_STREAM)
    c.connect((host, port))
    c.sendall((b"%s %d" % (op.encode(), n)).ljust(16))
    if op == "PUT":
        c.sendall(bytes((i * 13) & 0xFF for i in range(n)))
    got = 0
    while True:
        b = c.recv(65536)
        if not b:
            break
        got += len(b)
    c.close()
    print(op, n, got)
elif mode == "udp-client":
    host, port, count = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for i in range(count):
        s.sendto(bytes([i & 0xFF]) * 200, (host, port))
        time.sleep(0.01)
EOF

bg ip netns exec "$NSS" "$PY" "$WORK/peer.py" tcp-server 0.0.0.0 7000
bg ip netns exec "$NSS" "$PY" "$WORK/peer.py" tcp-server :: 7006
bg ip netns exec "$NSS" "$PY" "$WORK/peer.py" udp-server 0.0.0.0 7001
wait_listen "$NSS" tcp 7000
wait_listen "$NSS" tcp 7006
wait_listen "$NSS" udp 7001
# neighbours resolved before the capture (the pings may be lost: netem)
ip netns exec "$NSC" ping -c 3 -i 0.2 -W 1 10.95.2.1 >/dev/null || true
ip netns exec "$NSC" ping -6 -c 3 -i 0.2 -W 1 fd00:95:2::1 >/dev/null || true

ip netns exec "$NSR" nft reset counters >/dev/null   # count only what happens during the captures
cap_start client.pcap "$NSC" corr-c -s 200
cap_start server.pcap "$NSS" corr-s -s 200
ip netns exec "$NSC" "$PY" "$WORK/peer.py" tcp-client 10.95.2.1 7000 PUT 40000 >&2
ip netns exec "$NSC" "$PY" "$WORK/peer.py" tcp-client 10.95.2.1 7000 GET 40000 >&2
ip netns exec "$NSC" "$PY" "$WORK/peer.py" tcp-client fd00:95:2::1 7006 GET 3000 >&2
ip netns exec "$NSC" "$PY" "$WORK/peer.py" udp-client 10.95.2.1 7001 40
ip netns exec "$NSC" ping -c 20 -i 0.02 -W 1 10.95.2.1 >/dev/null || true
ip netns exec "$NSC" ping -6 -c 10 -i 0.02 -W 1 fd00:95:2::1 >/dev/null || true
cap_stop client.pcap server.pcap
ip netns exec "$NSR" nft list ruleset | grep counter | sed 's/^ */[make-correlate] router: /' >&2

cp "$WORK/client.pcap" "$OUT/correlate-client.pcap"
editcap -F pcap -t 2.5 "$WORK/server.pcap" "$OUT/correlate-server.pcap"
log "wrote $OUT/correlate-client.pcap and $OUT/correlate-server.pcap ($(stat -c %s "$OUT/correlate-client.pcap") and $(stat -c %s "$OUT/correlate-server.pcap") bytes)"
