#!/usr/bin/env bash
# tshark-tcp-analysis.sh FILE - tshark's TCP expert-analysis counts for a capture.
#
# Prints one JSON object on one line, e.g.
#   {"frames":2363,"retransmission":35,...,"rst":0,"syn":2,"conversations":2}
#
# Every count except "frames" and "conversations" is the number of FRAMES that
# match a display filter, i.e. `tshark -n -r FILE -Y FILTER | wc -l` (single
# pass, one tshark run per key). A frame carrying several analysis flags is
# counted once under each of them.
#
# TCP preferences: tshark's defaults, stated explicitly so that a personal
# preferences file cannot change the result:
#   tcp.analyze_sequence_numbers:TRUE   tcp.relative_sequence_numbers:TRUE
#   tcp.track_bytes_in_flight:TRUE      tcp.calculate_timestamps:TRUE
#   tcp.desegment_tcp_streams:TRUE      tcp.reassemble_out_of_order:FALSE
#   tcp.fastrt_supersedes_ooo:TRUE      tcp.ignore_tcp_timestamps:FALSE
#   tcp.check_checksum:FALSE
# (names as in tshark 4.0; `tshark -G defaultprefs | grep '^#tcp\.'`).
#
# Keys and filters:
#   frames                   all frames
#   retransmission           tcp.analysis.retransmission
#   fast_retransmission      tcp.analysis.fast_retransmission
#   spurious_retransmission  tcp.analysis.spurious_retransmission
#   duplicate_ack            tcp.analysis.duplicate_ack
#   zero_window              tcp.analysis.zero_window
#   zero_window_probe        tcp.analysis.zero_window_probe
#   zero_window_probe_ack    tcp.analysis.zero_window_probe_ack
#   keep_alive               tcp.analysis.keep_alive
#   keep_alive_ack           tcp.analysis.keep_alive_ack
#   window_update            tcp.analysis.window_update
#   window_full              tcp.analysis.window_full
#   out_of_order             tcp.analysis.out_of_order
#   lost_segment             tcp.analysis.lost_segment
#   ack_lost_segment         tcp.analysis.ack_lost_segment
#   reused_ports             tcp.analysis.reused_ports
#   rst                      tcp.flags.reset == 1
#   syn                      tcp.flags.syn == 1 && tcp.flags.ack == 0
#   conversations            rows of `tshark -q -z conv,tcp` (TCP conversations
#                            = address/port 4-tuples; a reused 4-tuple is one row)
set -euo pipefail

if [[ $# -ne 1 || ! -r $1 ]]; then
    echo "usage: $0 CAPTURE-FILE" >&2
    exit 2
fi
F=$1
TS=(tshark -n -r "$F"
    -o tcp.analyze_sequence_numbers:TRUE -o tcp.relative_sequence_numbers:TRUE
    -o tcp.track_bytes_in_flight:TRUE -o tcp.calculate_timestamps:TRUE
    -o tcp.desegment_tcp_streams:TRUE -o tcp.reassemble_out_of_order:FALSE
    -o tcp.fastrt_supersedes_ooo:TRUE -o tcp.ignore_tcp_timestamps:FALSE
    -o tcp.check_checksum:FALSE)
ERR=$(mktemp)
trap 'rm -f "$ERR"' EXIT

count() {
    local out
    # tshark warns on stderr when run as root: show its stderr only on failure
    out=$("${TS[@]}" ${1:+-Y "$1"} 2>"$ERR") || { cat "$ERR" >&2; exit 1; }
    if [[ -z $out ]]; then echo 0; else printf '%s\n' "$out" | wc -l; fi
}

keys=(frames retransmission fast_retransmission spurious_retransmission duplicate_ack
      zero_window zero_window_probe zero_window_probe_ack keep_alive keep_alive_ack
      window_update window_full out_of_order lost_segment ack_lost_segment reused_ports
      rst syn)
declare -A filter=(
    [frames]=''
    [rst]='tcp.flags.reset == 1'
    [syn]='tcp.flags.syn == 1 && tcp.flags.ack == 0'
)
for k in "${keys[@]}"; do
    [[ -v filter[$k] ]] || filter[$k]="tcp.analysis.$k"
done

json='{'
sep=''
for k in "${keys[@]}"; do
    n=$(count "${filter[$k]}")
    json+="$sep\"$k\":$((n))"
    sep=','
done
conv=$("${TS[@]}" -q -z conv,tcp 2>"$ERR") || { cat "$ERR" >&2; exit 1; }
n=$(grep -c '<->' <<<"$conv" || true)
printf '%s,"conversations":%d}\n' "$json" "$n"
