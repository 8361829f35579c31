#!/usr/bin/env bash
# make-fragments.sh - real IPv4 and IPv6 fragments (issue 19, IP reassembly) into
# testdata/real/ip-fragments.pcap. Two namespaces, ctana-frag-a (client, capture point) and
# ctana-frag-b (dnsmasq as DNS server), joined by a veth pair with an MTU of 1280 and no offloads,
# so the kernel fragments what does not fit:
#   1 ping -s 3000 over IPv4 and IPv6, 2 each (request and reply in 3 fragments each)
#   2 DNS TXT queries (dig, EDNS buffer 4096) for big.frag.test, whose answer (~2,300 bytes) comes
#     back in fragments, over IPv4 and IPv6, and one for small.frag.test that fits
# Run as root (namespaces, tcpdump); needs dnsmasq, dig, tcpdump, ethtool, capinfos.
set -euo pipefail
SCRIPT_DIR=$(cd "$(dirname "$0")" && pwd)
OUT=$SCRIPT_DIR/../../testdata/real/ip-fragments.pcap
NSA=ctana-frag-a
NSB=ctana-frag-b
LOG_TAG=make-fragments
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$SCRIPT_DIR/lib.sh"
need_root "network namespaces, tcpdump"
ensure_tools dnsmasq:dnsmasq dig:bind9-dnsutils tcpdump:tcpdump capinfos:wireshark-common ethtool:ethtool

work_begin frag "$NSA" "$NSB"

netns_create "$NSA"
netns_create "$NSB"
ip link add frag-a netns "$NSA" address 02:00:00:97:00:01 type veth peer name frag-b netns "$NSB" \
    address 02:00:00:97:00:02
for side in "$NSA frag-a 1" "$NSB frag-b 2"; do
    read -r ns dev n <<<"$side"
    ip -n "$ns" link set "$dev" mtu 1280
    ip -n "$ns" addr add "10.97.0.$n/24" dev "$dev"
    ip -n "$ns" addr add "fd00:97::$n/64" dev "$dev" nodad
    ip -n "$ns" link set "$dev" up
    no_offload "$ns" "$dev"
done
# static neighbours: no ARP / neighbour discovery in the capture
ip -n "$NSA" neigh add 10.97.0.2 lladdr 02:00:00:97:00:02 dev frag-a
ip -n "$NSA" neigh add fd00:97::2 lladdr 02:00:00:97:00:02 dev frag-a
ip -n "$NSB" neigh add 10.97.0.1 lladdr 02:00:00:97:00:01 dev frag-b
ip -n "$NSB" neigh add fd00:97::1 lladdr 02:00:00:97:00:01 dev frag-b

# A TXT record of 9 strings of 250 characters: an answer of about 2,300 bytes.
big=""
for c in a b c d e f g h i; do
    s=$(printf "%250s" "" | tr ' ' "$c")
    big+="${big:+,}\"$s\""
done
bg ip netns exec "$NSB" dnsmasq --keep-in-foreground --no-resolv --no-hosts --no-daemon --port=53 \
    --listen-address=10.97.0.2 --listen-address=fd00:97::2 --bind-interfaces --edns-packet-max=4096 \
    --txt-record="big.frag.test,$big" --txt-record=small.frag.test,"fits in one packet" \
    --pid-file="$WORK/dnsmasq.pid" --log-facility="$WORK/dnsmasq.log"
wait_listen "$NSB" udp 53

cap_start frag.pcap "$NSA" frag-a
q() { ip netns exec "$NSA" dig +bufsize=4096 +tries=1 +time=2 +ignore "@$1" TXT "$2" >/dev/null; }
ip netns exec "$NSA" ping -c 2 -i 0.3 -s 3000 -q 10.97.0.2 >/dev/null
ip netns exec "$NSA" ping -6 -c 2 -i 0.3 -s 3000 -q fd00:97::2 >/dev/null
q 10.97.0.2 big.frag.test
q 10.97.0.2 small.frag.test
q fd00:97::2 big.frag.test
q fd00:97::2 small.frag.test
cap_stop frag.pcap

cp "$WORK/frag.pcap" "$OUT"
log "$OUT: $(capinfos -c -M "$OUT" | awk -F: '/Number of packets/ {gsub(/ /, "", $2); print $2}') packets"
tshark -n -r "$OUT" 2>/dev/null | cut -c1-120 >&2
