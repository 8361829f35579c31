# shellcheck shell=bash
# lib.sh - shell helpers shared by the capture scripts in tools/capture/.
#
# Sourced (not run) by the make-*.sh scripts here, after
# `set -euo pipefail`. Set LOG_TAG first (prefix of log lines). State kept here:
#   PY     Debian's python (/usr/bin/python3, not any pyenv shim on PATH)
#   WORK   temporary work directory (work_begin, or created by the caller)
#   PIDS   pids of background processes started with `bg` (for cleanup)
#   CAP    capture name -> pid of its tcpdump / dumpcap
# Nothing here sends a packet: readiness is polled with ss, captures are
# checked with capinfos.

PY=/usr/bin/python3
PIDS=()
declare -A CAP

log() { printf '[%s] %s\n' "${LOG_TAG:-capture}" "$*" >&2; }
die() { printf '[%s] ERROR: %s\n' "${LOG_TAG:-capture}" "$*" >&2; exit 1; }

need_root() {
    [[ $(id -u) -eq 0 ]] || die "must run as root (${1:-network namespaces, tcpdump})"
}

# ensure_tools CMD:PACKAGE... : apt-get install the packages of missing commands
# (and python3 if /usr/bin/python3 is missing).
ensure_tools() {
    local missing=() spec
    for spec in "$@"; do
        command -v "${spec%%:*}" >/dev/null 2>&1 || missing+=("${spec#*:}")
    done
    [[ -x $PY ]] || missing+=(python3)
    if ((${#missing[@]})); then
        log "installing missing packages: ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
}

# Start a background process and remember its pid for cleanup.
# `ip netns exec` execs the command, so $! is the real program's pid.
bg() { "$@" & PIDS+=("$!"); LAST_PID=$!; }

# ensure_ftp_user: the local user $FTP_USER with password $FTP_PASS for vsftpd logins; sets
# USER_CREATED=1 when it had to be created, so the caller's cleanup removes it again.
ensure_ftp_user() {
    if ! id "$FTP_USER" >/dev/null 2>&1; then
        log "creating local user $FTP_USER (removed again on exit)"
        useradd -m -s /bin/sh "$FTP_USER"   # pam_shells needs a shell from /etc/shells
        USER_CREATED=1
    fi
    printf '%s:%s\n' "$FTP_USER" "$FTP_PASS" | chpasswd
}

# kill_started : TERM, then KILL, every process started with bg; reap them.
kill_started() {
    local pid
    for pid in "${PIDS[@]}"; do
        kill -0 "$pid" 2>/dev/null && kill -TERM "$pid" 2>/dev/null
    done
    sleep 0.3
    for pid in "${PIDS[@]}"; do
        kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    return 0
}

# netns_destroy NS : kill whatever still runs inside NS (only processes this
# script started can be there), then delete the namespace. No-op if absent.
netns_destroy() {
    local ns=$1 pid
    if ip netns list | grep -qw "$ns"; then
        for pid in $(ip netns pids "$ns" 2>/dev/null); do
            kill -KILL "$pid" 2>/dev/null || true
        done
        ip netns del "$ns" 2>/dev/null || true
    fi
    return 0
}

# netns_create NS : (re)create NS with lo up and quiet, deterministic IPv6
# (no DAD, no router solicitations, no RA), so no stray packets in captures.
netns_create() {
    local ns=$1
    if ip netns list | grep -qw "$ns"; then
        log "removing stale namespace $ns"
        netns_destroy "$ns"
    fi
    ip netns add "$ns"
    # shellcheck disable=SC2016  # expanded by the inner sh
    ip netns exec "$ns" sh -c '
        for c in all default; do
            for k in accept_dad:0 dad_transmits:0 router_solicitations:0 accept_ra:0; do
                echo "${k#*:}" > /proc/sys/net/ipv6/conf/$c/${k%%:*}
            done
        done'
    ip -n "$ns" link set lo up
}

# No offloads: what tcpdump sees is what a real wire would carry (MSS-sized
# segments, correct checksums, VLAN tags inside the frame data).
no_offload() { # NS DEV
    ip netns exec "$1" ethtool -K "$2" tx off rx off sg off tso off gso off gro off \
        rxvlan off txvlan off rx-vlan-stag-hw-parse off tx-vlan-stag-hw-insert off >/dev/null
}

# wait_listen NS tcp|udp PORT : poll ss (sends no packets) until a socket listens.
wait_listen() {
    local ns=$1 proto=$2 port=$3 i flag=-ltnH
    [[ $proto == udp ]] && flag=-lunH
    for ((i = 0; i < 100; i++)); do
        if ip netns exec "$ns" ss "$flag" "sport = :$port" | grep -q .; then return 0; fi
        sleep 0.1
    done
    die "nothing listening on $proto/$port in $ns"
}

# wait_log FILE REGEX : wait until a capture tool reports that it is capturing.
wait_log() {
    local f=$1 re=$2 i
    for ((i = 0; i < 100; i++)); do
        grep -qE "$re" "$f" 2>/dev/null && { sleep 0.3; return 0; }
        sleep 0.1
    done
    cat "$f" >&2 || true
    die "capture did not start ($f)"
}

# cap_start NAME NS IFACE [tcpdump args...] -> pcap in $WORK/NAME, pid in CAP[NAME]
# (extra args come after the defaults, so e.g. `-s 128` overrides `-s 0`)
cap_start() {
    local name=$1 ns=$2 ifc=$3; shift 3
    bg ip netns exec "$ns" tcpdump -Z root -i "$ifc" -n -s 0 -U --immediate-mode "$@" \
        -w "$WORK/$name" 2>"$WORK/$name.log"
    CAP[$name]=$LAST_PID
    wait_log "$WORK/$name.log" '^(tcpdump: )?listening on'
}
# dumpcap variant (native pcapng writer)
dcap_start() {
    local name=$1 ns=$2 ifc=$3; shift 3
    bg ip netns exec "$ns" dumpcap -i "$ifc" -s 0 "$@" -w "$WORK/$name" 2>"$WORK/$name.log"
    CAP[$name]=$LAST_PID
    wait_log "$WORK/$name.log" "^Capturing on"
}
# cap_stop NAME... : SIGINT, wait for a clean exit, make sure the file has packets.
cap_stop() {
    local name pid n
    sleep 1.5   # last ACKs / replies; > 1 s so every TPACKET_V3 block is retired
    for name in "$@"; do
        pid=${CAP[$name]}
        kill -INT "$pid"
        wait "$pid" || true
        n=$(capinfos -T -r -M -c "$WORK/$name" | cut -f2)
        [[ $n =~ ^[0-9]+$ && $n -gt 0 ]] || die "capture $name is empty ($(cat "$WORK/$name.log"))"
        log "$name: $n packets"
    done
}

# work_begin TAG NS... : a fresh work directory in WORK (/tmp/ctana-TAG.XXXXXX, mode 755 so that
# servers that drop privileges can read it) and traps so that on any exit: everything started
# with `bg` is stopped, then the script's own `cleanup_extra` runs when it defines one (stopping a
# daemon that forked away, closing descriptors, unmounting), then the namespaces NS... are deleted
# (with whatever still runs in them), the FTP user ensure_ftp_user created is removed, and WORK
# is removed (KEEP_WORK=1 keeps it). The exit status is kept. NS... must be set before the call.
work_begin() {
    local tag=$1
    shift
    WORK_NS=("$@")
    WORK=$(mktemp -d "/tmp/ctana-$tag.XXXXXX")
    chmod 755 "$WORK"
    trap work_end EXIT
    trap 'exit 130' INT TERM
}
work_end() {
    local rc=$? ns
    set +e
    kill_started
    declare -F cleanup_extra >/dev/null && cleanup_extra
    for ns in "${WORK_NS[@]}"; do netns_destroy "$ns"; done
    [[ ${USER_CREATED:-0} == 1 ]] && userdel -r "$FTP_USER" 2>/dev/null
    if [[ ${KEEP_WORK:-0} == 1 ]]; then log "work directory kept: $WORK"; else rm -rf "$WORK"; fi
    exit "$rc"
}
