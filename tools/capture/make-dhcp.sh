#!/usr/bin/env bash
# make-dhcp.sh - capture real DHCP exchanges into testdata/real/dhcp.pcap: dnsmasq serves DHCP in
# network namespace ctana-dhcp-s, dhclient asks for a lease from ctana-dhcp-c over a veth pair
# (addresses exist only in these namespaces):
#   1. DISCOVER, OFFER, REQUEST, ACK (a new lease), then RELEASE
#   2. INIT-REBOOT: the client asks for an address of another subnet it remembers; the
#      authoritative server answers NAK, the client starts over and gets a lease
# Needs root, iproute2, dnsmasq, isc-dhcp-client (dhclient), tcpdump.
set -euo pipefail
cd "$(dirname "$0")/../.."
for t in ip dnsmasq dhclient tcpdump; do command -v "$t" >/dev/null || { echo "needs $t" >&2; exit 1; }; done
S=ctana-dhcp-s C=ctana-dhcp-c
work=$(mktemp -d)
cleanup() {
  for ns in $S $C; do
    for p in $(ip netns pids $ns 2>/dev/null); do kill -KILL "$p" 2>/dev/null || true; done
    ip netns del $ns 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
cleanup 2>/dev/null || true
work=$(mktemp -d)
ip netns add $S
ip netns add $C
ip link add dhcp-s netns $S type veth peer name dhcp-c netns $C
ip -n $S link set dhcp-s address 02:00:00:dd:00:01
ip -n $C link set dhcp-c address 02:00:00:dd:00:02
ip -n $S addr add 10.99.50.1/24 dev dhcp-s
ip -n $S link set dhcp-s up
ip -n $C link set dhcp-c up
ip -n $S link set lo up
ip -n $C link set lo up

ip netns exec $S tcpdump -i dhcp-s -U -s 0 -w "$work/dhcp.pcap" 'udp port 67 or udp port 68' >/dev/null 2>&1 &
disown
sleep 1
ip netns exec $S dnsmasq --no-daemon --port=0 --interface=dhcp-s --bind-interfaces --dhcp-authoritative \
  --dhcp-range=10.99.50.100,10.99.50.150,255.255.255.0,1h --dhcp-option=3,10.99.50.1 --dhcp-option=6,10.99.50.1 \
  --dhcp-leasefile="$work/leases" --pid-file="$work/dnsmasq.pid" >"$work/dnsmasq.log" 2>&1 &
disown
sleep 1
cat >"$work/script" <<'SH'
#!/bin/sh
exit 0
SH
chmod +x "$work/script"
dh() { ip netns exec $C timeout 20 dhclient -4 -1 -v -sf "$work/script" -pf "$work/dh.pid" -lf "$1" "${@:2}" dhcp-c >>"$work/dhclient.log" 2>&1 || true; }
# 1. a new lease, then release it
dh "$work/lease1"
dh "$work/lease1" -r
sleep 0.5
# 2. a remembered lease from another subnet: INIT-REBOOT REQUEST -> NAK -> DISCOVER ...
cat >"$work/lease2" <<LEASE
lease {
  interface "dhcp-c";
  fixed-address 192.168.77.10;
  option subnet-mask 255.255.255.0;
  option dhcp-server-identifier 192.168.77.1;
  renew 4 2099/01/01 00:00:00;
  rebind 4 2099/01/01 00:00:00;
  expire 4 2099/01/01 00:00:00;
}
LEASE
dh "$work/lease2"
sleep 1
kill -INT "$(ip netns pids $S | head -1)" 2>/dev/null || true
sleep 1
cp "$work/dhcp.pcap" testdata/real/dhcp.pcap
echo "testdata/real/dhcp.pcap: $(tshark -r testdata/real/dhcp.pcap 2>/dev/null | wc -l) packets"
tshark -r testdata/real/dhcp.pcap -T fields -e dhcp.option.dhcp -e dhcp.ip.your 2>/dev/null | sort | uniq -c
