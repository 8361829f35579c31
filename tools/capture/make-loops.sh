#!/usr/bin/env bash
# make-loops.sh - real captures of a routing loop and of a broadcast storm, into testdata/real/:
#   routing-loop.pcap     three namespaces: a host (10.97.1.1) behind router r1, and router r2
#                         on a second link; r1 routes 10.97.9.0/24 to r2 and r2 routes it back
#                         to r1. The host sends one ping, one DNS query (dig) and one TCP SYN
#                         (curl) to 10.97.9.9; each packet goes round the loop, TTL one lower on
#                         every pass, until a router sends "time exceeded". Captured on the
#                         r1-r2 link.
#   broadcast-storm.pcap  two Linux bridges joined by two veth pairs (a loop, no spanning tree)
#                         and a host on one of them. The first group-addressed frames that appear
#                         when the bridges come up (IGMP and MLD reports) circle the loop at
#                         ~15,000 frames/s; the capture is the first 3000 frames the host sees
#                         (the host's ARP request a second later is not among them).
# Run as root (namespaces, tcpdump); ~10 s. Existing files are overwritten.
set -euo pipefail
SCRIPT_DIR=$(cd "$(dirname "$0")" && pwd)
OUT=$SCRIPT_DIR/../../testdata/real
NSH=ctana-loop-h
NSR1=ctana-loop-r1
NSR2=ctana-loop-r2
NSB=ctana-storm-br
NSS=ctana-storm-h

LOG_TAG=make-loops
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$SCRIPT_DIR/lib.sh"
need_root "network namespaces, tcpdump"
ensure_tools tcpdump:tcpdump capinfos:wireshark-common dig:dnsutils curl:curl ping:iputils-ping ip:iproute2 \
    ethtool:ethtool

work_begin loops "$NSH" "$NSR1" "$NSR2" "$NSB" "$NSS"

# veth NAME_A NS_A MAC_A NAME_B NS_B MAC_B : a veth pair, offloads off, both ends up
veth() {
    ip link add "$1" netns "$2" address "$3" type veth peer name "$4" netns "$5" address "$6"
    no_offload "$2" "$1"
    no_offload "$5" "$4"
    ip -n "$2" link set "$1" up
    ip -n "$5" link set "$4" up
}
router() { # NS : forwards, sends no redirects, no reverse-path filter
    ip netns exec "$1" sh -c 'echo 1 > /proc/sys/net/ipv4/ip_forward
        for c in all default; do
            echo 0 > /proc/sys/net/ipv4/conf/$c/send_redirects
            echo 0 > /proc/sys/net/ipv4/conf/$c/rp_filter
        done'
}

# ---- routing loop ----
for ns in "$NSH" "$NSR1" "$NSR2"; do netns_create "$ns"; done
veth loop-h "$NSH" 02:00:00:97:01:01 loop-r1a "$NSR1" 02:00:00:97:01:fe
veth loop-r1b "$NSR1" 02:00:00:97:02:01 loop-r2 "$NSR2" 02:00:00:97:02:02
router "$NSR1"
router "$NSR2"
ip -n "$NSH" addr add 10.97.1.1/24 dev loop-h
ip -n "$NSH" route add default via 10.97.1.254
ip -n "$NSR1" addr add 10.97.1.254/24 dev loop-r1a
ip -n "$NSR1" addr add 10.97.2.1/24 dev loop-r1b
ip -n "$NSR2" addr add 10.97.2.2/24 dev loop-r2
ip -n "$NSR2" route add 10.97.1.0/24 via 10.97.2.1
ip -n "$NSR1" route add 10.97.9.0/24 via 10.97.2.2   # r1 -> r2 ...
ip -n "$NSR2" route add 10.97.9.0/24 via 10.97.2.1   # ... and back: the loop
# Neighbours resolved before the capture, so it holds only the looping packets.
ip netns exec "$NSH" ping -c 1 -W 1 10.97.1.254 >/dev/null
ip netns exec "$NSR1" ping -c 1 -W 1 10.97.2.2 >/dev/null

cap_start routing-loop.pcap "$NSR1" loop-r1b
ip netns exec "$NSH" ping -c 1 -W 1 10.97.9.9 >/dev/null 2>&1 || true
ip netns exec "$NSH" dig @10.97.9.9 +tries=1 +time=1 example.com A >/dev/null 2>&1 || true
ip netns exec "$NSH" curl -s --connect-timeout 1 http://10.97.9.9/ >/dev/null 2>&1 || true
cap_stop routing-loop.pcap

# ---- broadcast storm ----
netns_create "$NSB"
netns_create "$NSS"
ip -n "$NSB" link add br0 type bridge stp_state 0
ip -n "$NSB" link add br1 type bridge stp_state 0
veth storm-h "$NSS" 02:00:00:96:00:01 storm-hb "$NSB" 02:00:00:96:00:fe
veth storm-0a "$NSB" 02:00:00:96:01:0a storm-0b "$NSB" 02:00:00:96:01:0b
veth storm-1a "$NSB" 02:00:00:96:02:0a storm-1b "$NSB" 02:00:00:96:02:0b
ip -n "$NSB" link set storm-hb master br0
ip -n "$NSB" link set storm-0a master br0
ip -n "$NSB" link set storm-1a master br0
ip -n "$NSB" link set storm-0b master br1
ip -n "$NSB" link set storm-1b master br1
ip -n "$NSS" addr add 10.96.0.1/24 dev storm-h
cap_start broadcast-storm.pcap "$NSS" storm-h -c 3000
ip -n "$NSB" link set br0 up
ip -n "$NSB" link set br1 up
sleep 1   # the ports come up (forwarding state)
ip netns exec "$NSS" ping -c 1 -W 1 10.96.0.99 >/dev/null 2>&1 || true   # an ARP broadcast, should the storm not start by itself
wait "${CAP[broadcast-storm.pcap]}" || true   # tcpdump stops by itself after 3000 frames
ip -n "$NSB" link del storm-0a                # break the loop at once
n=$(capinfos -T -r -M -c "$WORK/broadcast-storm.pcap" | cut -f2)
[[ $n =~ ^[0-9]+$ && $n -gt 0 ]] || die "capture broadcast-storm.pcap is empty"
log "broadcast-storm.pcap: $n packets"

cp "$WORK/routing-loop.pcap" "$WORK/broadcast-storm.pcap" "$OUT/"
log "wrote $OUT/routing-loop.pcap and $OUT/broadcast-storm.pcap"
