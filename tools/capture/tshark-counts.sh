#!/usr/bin/env bash
# tshark-counts.sh FILE - reference frame counts for a capture, computed by tshark.
#
# Prints one JSON object on one line, e.g.
#   {"total":136,"ip":108,"ipv6":24,"tcp":130,...}
#
# Every count except "total" is the number of FRAMES that match a display
# filter (tshark -n -r FILE -Y FILTER | wc -l), in one pass, with tshark's
# default settings plus these stated explicitly:
#   -o ip.defragment:TRUE -o ipv6.defragment:TRUE   (the defaults)
# Consequences of defragmentation being on: non-last fragments are dissected
# only up to IP ("Fragmented IP protocol"), so they match ip/ipv6 but NOT
# icmp/icmpv6/udp/tcp; the last fragment carries the reassembled payload and
# does match icmp/... (one frame per reassembled datagram).
#
# Keys and filters:
#   total           all frames (tshark -r FILE | wc -l)
#   ip              ip        (also frames whose only IPv4 header is quoted
#                              inside an ICMP/ICMPv6 error; none such here)
#   ipv6            ipv6
#   tcp             tcp       (includes ICMP errors that quote a TCP header)
#   tcp_not_quoted  tcp && !icmp && !icmpv6
#   udp             udp       (includes ICMP errors that quote a UDP header)
#   udp_not_quoted  udp && !icmp && !icmpv6
#   icmp            icmp
#   icmpv6          icmpv6    (includes NDP / MLD)
#   arp             arp
#   fragments       ip.flags.mf == 1 || ip.frag_offset > 0 || ipv6.fraghdr
#                   = every frame that IS an IPv4 fragment (MF set or offset
#                   non-zero) or carries an IPv6 Fragment extension header
#                   (ipv6.fraghdr is the header itself, present in every
#                   fragment frame, unlike ipv6.fragment/ip.fragment, which
#                   only appear in the frame where reassembly completed).
#                   An ICMP error quoting a fragment would also match (the
#                   quoted header is dissected as ip); none occur here.
set -euo pipefail

if [[ $# -ne 1 || ! -r $1 ]]; then
    echo "usage: $0 CAPTURE-FILE" >&2
    exit 2
fi
F=$1
TS=(tshark -n -r "$F" -o ip.defragment:TRUE -o ipv6.defragment:TRUE)
ERR=$(mktemp)
trap 'rm -f "$ERR"' EXIT

count() {
    local out
    # tshark warns on stderr when run as root: show its stderr only on failure
    out=$("${TS[@]}" ${1:+-Y "$1"} 2>"$ERR") || { cat "$ERR" >&2; exit 1; }
    if [[ -z $out ]]; then echo 0; else printf '%s\n' "$out" | wc -l; fi
}

keys=(total ip ipv6 tcp tcp_not_quoted udp udp_not_quoted icmp icmpv6 arp fragments)
declare -A filter=(
    [total]=''
    [ip]='ip'
    [ipv6]='ipv6'
    [tcp]='tcp'
    [tcp_not_quoted]='tcp && !icmp && !icmpv6'
    [udp]='udp'
    [udp_not_quoted]='udp && !icmp && !icmpv6'
    [icmp]='icmp'
    [icmpv6]='icmpv6'
    [arp]='arp'
    [fragments]='ip.flags.mf == 1 || ip.frag_offset > 0 || ipv6.fraghdr'
)

json='{'
sep=''
for k in "${keys[@]}"; do
    n=$(count "${filter[$k]}")
    json+="$sep\"$k\":$((n))"
    sep=','
done
printf '%s}\n' "$json"
