#!/usr/bin/env bash
# make-tunnels.sh - real tunnel traffic (issue 19, docs/decoding.md "Tunnels") into
# testdata/real/tunnel-KIND.pcap, one file per kind. Two namespaces, ctana-tun-a and ctana-tun-b,
# joined by a veth pair (10.96.0.1/2, fd00:96::1/2, no offloads); over it one tunnel of each kind
# the kernel can make:
#   gre     ip link add type gre    key 1001 (GRE over IPv4, with a key and sequence numbers)
#   ipip    ip link add type ipip   (4in4)
#   sit     ip link add type sit    (6in4)
#   ip6tnl  ip link add type ip6tnl mode any (4in6 and 6in6 over the same tunnel)
#   ip6gre  ip link add type ip6gre (GRE over IPv6)
#   vxlan   ip link add type vxlan  id 42 dstport 4789 (Ethernet in UDP)
#   geneve  ip link add type geneve id 43 (Ethernet in UDP 6081)
# and through each: 2 pings, one TCP exchange (socat: a line each way), one DNS query (dig to
# dnsmasq), captured on the outer veth in ctana-tun-a. Kinds whose link type the kernel refuses
# (no module) are skipped with a message; KINDS="gre vxlan" limits the run.
# Run as root (namespaces, tcpdump); needs dnsmasq, dig, socat, tcpdump, ethtool, capinfos.
set -euo pipefail
SCRIPT_DIR=$(cd "$(dirname "$0")" && pwd)
OUTDIR=$SCRIPT_DIR/../../testdata/real
NSA=ctana-tun-a
NSB=ctana-tun-b
LOG_TAG=make-tunnels
KINDS=${KINDS:-gre ipip sit ip6tnl ip6gre vxlan geneve}
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$SCRIPT_DIR/lib.sh"
need_root "network namespaces, tcpdump"
ensure_tools dnsmasq:dnsmasq dig:bind9-dnsutils socat:socat tcpdump:tcpdump capinfos:wireshark-common \
    ethtool:ethtool

work_begin tun "$NSA" "$NSB"

netns_create "$NSA"
netns_create "$NSB"
ip link add tun-a netns "$NSA" address 02:00:00:96:00:01 type veth peer name tun-b netns "$NSB" \
    address 02:00:00:96:00:02
for side in "$NSA tun-a 1" "$NSB tun-b 2"; do
    read -r ns dev n <<<"$side"
    ip -n "$ns" addr add "10.96.0.$n/24" dev "$dev"
    ip -n "$ns" addr add "fd00:96::$n/64" dev "$dev" nodad
    ip -n "$ns" link set "$dev" up
    no_offload "$ns" "$dev"
done
# static neighbours: no ARP / neighbour discovery on the outer link
ip -n "$NSA" neigh add 10.96.0.2 lladdr 02:00:00:96:00:02 dev tun-a
ip -n "$NSA" neigh add fd00:96::2 lladdr 02:00:00:96:00:02 dev tun-a
ip -n "$NSB" neigh add 10.96.0.1 lladdr 02:00:00:96:00:01 dev tun-b
ip -n "$NSB" neigh add fd00:96::1 lladdr 02:00:00:96:00:01 dev tun-b

# tunnel_args KIND SIDE(1|2) : the `ip link add` arguments of one end
tunnel_args() {
    local kind=$1 me=$2 peer=$((3 - $2))
    case $kind in
        gre) echo "type gre local 10.96.0.$me remote 10.96.0.$peer key 1001 iseq oseq" ;;
        ipip) echo "type ipip local 10.96.0.$me remote 10.96.0.$peer" ;;
        sit) echo "type sit local 10.96.0.$me remote 10.96.0.$peer" ;;
        ip6tnl) echo "type ip6tnl local fd00:96::$me remote fd00:96::$peer mode any" ;;
        ip6gre) echo "type ip6gre local fd00:96::$me remote fd00:96::$peer" ;;
        vxlan) echo "address 02:00:00:96:01:0$me type vxlan id 42 local 10.96.0.$me remote 10.96.0.$peer dstport 4789" ;;
        geneve) echo "address 02:00:00:96:02:0$me type geneve id 43 remote 10.96.0.$peer" ;;
    esac
}
# inner addresses by kind: which of IPv4 / IPv6 the tunnel carries
inner_v4() { [[ $1 != sit ]]; }
inner_v6() { [[ $1 != ipip ]]; }

made=0
n=10
for kind in $KINDS; do
    n=$((n + 1))
    # shellcheck disable=SC2046  # word splitting of the argument list is intended
    if ! ip -n "$NSA" link add "t-$kind" $(tunnel_args "$kind" 1) 2>"$WORK/$kind.err"; then
        log "skipped $kind: the kernel cannot make it ($(head -1 "$WORK/$kind.err"))"
        continue
    fi
    # shellcheck disable=SC2046
    ip -n "$NSB" link add "t-$kind" $(tunnel_args "$kind" 2)
    for side in "$NSA 1" "$NSB 2"; do
        read -r ns me <<<"$side"
        inner_v4 "$kind" && ip -n "$ns" addr add "10.$n.0.$me/24" dev "t-$kind"
        inner_v6 "$kind" && ip -n "$ns" addr add "fd00:$n::$me/64" dev "t-$kind" nodad
        ip -n "$ns" link set "t-$kind" up
    done
    if [[ $kind == vxlan || $kind == geneve ]]; then  # Ethernet inside: static neighbours there too
        ip -n "$NSA" neigh add "10.$n.0.2" lladdr "$(ip -n "$NSB" -br link show "t-$kind" | awk '{print $3}')" dev "t-$kind"
        ip -n "$NSB" neigh add "10.$n.0.1" lladdr "$(ip -n "$NSA" -br link show "t-$kind" | awk '{print $3}')" dev "t-$kind"
        ip -n "$NSA" neigh add "fd00:$n::2" lladdr "$(ip -n "$NSB" -br link show "t-$kind" | awk '{print $3}')" dev "t-$kind"
        ip -n "$NSB" neigh add "fd00:$n::1" lladdr "$(ip -n "$NSA" -br link show "t-$kind" | awk '{print $3}')" dev "t-$kind"
    fi
    addrs=()
    inner_v4 "$kind" && addrs+=("10.$n.0.2")
    inner_v6 "$kind" && addrs+=("fd00:$n::2")
    listen=()
    for a in "${addrs[@]}"; do listen+=("--listen-address=$a"); done
    bg ip netns exec "$NSB" dnsmasq --keep-in-foreground --no-resolv --no-hosts --no-daemon --port=53 \
        "${listen[@]}" --bind-interfaces --address=/tunnel.test/192.0.2.7 \
        --pid-file="$WORK/dnsmasq-$kind.pid" --log-facility="$WORK/dnsmasq-$kind.log"
    dns_pid=$LAST_PID
    wait_listen "$NSB" udp 53
    bg ip netns exec "$NSB" socat -T 5 TCP6-LISTEN:7000,ipv6only=0,reuseaddr,fork EXEC:'/bin/cat'
    srv_pid=$LAST_PID
    wait_listen "$NSB" tcp 7000

    cap_start "$kind.pcap" "$NSA" tun-a
    for a in "${addrs[@]}"; do
        ip netns exec "$NSA" ping -c 2 -i 0.2 -q "$a" >/dev/null
        [[ $a == *:* ]] && t="[$a]" || t=$a
        echo "hello through $kind" | ip netns exec "$NSA" socat -t 1 - "TCP:$t:7000" >/dev/null
        ip netns exec "$NSA" dig +tries=1 +time=2 "@$a" A tunnel.test >/dev/null
    done
    cap_stop "$kind.pcap"
    kill "$dns_pid" "$srv_pid" 2>/dev/null || true
    sleep 0.2
    ip -n "$NSA" link del "t-$kind"
    ip -n "$NSB" link del "t-$kind"
    cp "$WORK/$kind.pcap" "$OUTDIR/tunnel-$kind.pcap"
    log "$OUTDIR/tunnel-$kind.pcap: $(capinfos -c -M "$OUTDIR/tunnel-$kind.pcap" | awk -F: '/Number of packets/ {gsub(/ /, "", $2); print $2}') packets"
    made=$((made + 1))
done
((made > 0)) || die "the kernel could make none of: $KINDS"
