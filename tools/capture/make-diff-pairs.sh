#!/usr/bin/env bash
# make-diff-pairs.sh - real traces in pairs (baseline vs regressed) for testdata/diff/,
# the acceptance data of `ctana diff BASELINE CURRENT`.
#
# Builds two network namespaces (ctana-diff-a = clients, every capture is taken
# there on dveth-a; ctana-diff-b = servers) joined by one veth pair and runs
# the same client script twice against a real server, once healthy and once
# broken, capturing each run with tcpdump:
#
#   transfer-clean.pcap  1 MiB download from 10.99.2.2:46001, 5 ms RTT, no loss
#   transfer-loss.pcap   the same download with 3 % of the data segments dropped
#   transfer-stall.pcap  the same download, the client stops reading for 1.5 s
#                        (zero window, window probes, window update)
#   ftp-ok.pcap          vsftpd: login, PWD, LIST, RETR report.txt, QUIT
#   ftp-fail.pcap        the same commands with a wrong password (530 ...)
#   ftp-missing.pcap     the same commands, RETR of a file that is not there (550)
#   dns-ok.pcap          dnsmasq: A + AAAA for four names, all NOERROR
#   dns-servfail.pcap    the same queries; two names come back SERVFAIL
#                        (DNSSEC validation of an unsigned zone: "bogus")
#   tls-ok.pcap          openssl s_server/s_client, SNI www.ctana.test, TLS 1.3, GET
#   tls-fail.pcap        the same client against a server capped at TLS 1.2:
#                        fatal protocol_version alert
#
# Each pair keeps the server address and port fixed, so a diff can match the
# connections. Impairments: this kernel has no netem, so loss and the 5 ms
# ACK-path delay come from tools/capture/impair.py (userspace NFQUEUE), exactly
# as in make-tcp-scenarios.sh; see README "Diff pairs".
#
# All traffic stays inside the two namespaces (10.99.2.0/24, fd00:99:2::/64,
# and ctana-diff-b's loopback). Nothing is sent to any other address.
#
# Usage: sudo tools/capture/make-diff-pairs.sh   (no arguments, root, ~1-1.5 min)
#   KEEP_WORK=1  keep the temporary work directory (logs, raw captures).
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SCRIPT_DIR/../.." && pwd)
OUT="$REPO/testdata/diff"

LOG_TAG=make-diff-pairs
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$SCRIPT_DIR/lib.sh"

NSA=ctana-diff-a
NSB=ctana-diff-b
VA=dveth-a           # lives in ctana-diff-a (capture interface)
VB=dveth-b           # lives in ctana-diff-b
MAC_A=02:00:00:99:02:01
MAC_B=02:00:00:99:02:02
A4=10.99.2.1
B4=10.99.2.2
A6=fd00:99:2::1
B6=fd00:99:2::2

XFER_PORT=46001
XFER_BYTES=1048576    # 1 MiB; ~150 KB per file at -s 128
XFER_RCVBUF=65536     # client SO_RCVBUF (kernel doubles it), same in all three runs
LOSS=0.03             # transfer-loss: share of server->client data segments dropped
STALL_AFTER=262144    # transfer-stall: the client stops reading after this many bytes
STALL_SECONDS=1.5
RTT_MS=5              # client->server packets of the transfer are held this long

FTP_USER=ctanadiff    # own user: make-testdata.sh creates/removes ctanatest
FTP_PASS='Diff0kPass!'
FTP_WRONG_PASS='WrongPass7'
PASV_PORT=30000

TLS_PORT=4433
TLS_SNI=www.ctana.test

FILES=(transfer-clean.pcap transfer-loss.pcap transfer-stall.pcap
       ftp-ok.pcap ftp-fail.pcap ftp-missing.pcap
       dns-ok.pcap dns-servfail.pcap tls-ok.pcap tls-fail.pcap)
MAX_FILE=300000
MAX_TOTAL=1500000

need_root "network namespaces, tcpdump, iptables, vsftpd, useradd"
ensure_tools tcpdump:tcpdump tshark:tshark capinfos:wireshark-common ip:iproute2 \
    ss:iproute2 ethtool:ethtool iptables:iptables dnsmasq:dnsmasq-base dig:dnsutils \
    vsftpd:vsftpd openssl:openssl useradd:passwd chpasswd:passwd

USER_CREATED=0
work_begin diff-pairs "$NSA" "$NSB"

in_a() { ip netns exec "$NSA" "$@"; }
in_b() { ip netns exec "$NSB" "$@"; }
IN_A=(ip netns exec "$NSA")
IN_B=(ip netns exec "$NSB")
PEER_A=("${IN_A[@]}" "$PY" "$WORK/peers.py")
PEER_B=("${IN_B[@]}" "$PY" "$WORK/peers.py")
flush_neigh() { in_a ip neigh flush all; in_b ip neigh flush all; }

wait_file() { # FILE [TRIES of 0.05 s]
    local i
    for ((i = 0; i < ${2:-400}; i++)); do
        [[ -e $1 ]] && return 0
        sleep 0.05
    done
    die "timed out waiting for $1"
}

setup_netns() {
    netns_create "$NSA"
    netns_create "$NSB"
    ip link add "$VA" netns "$NSA" address "$MAC_A" type veth peer name "$VB" netns "$NSB" address "$MAC_B"
    no_offload "$NSA" "$VA"
    no_offload "$NSB" "$VB"
    ip -n "$NSA" addr add "$A4/24" dev "$VA"
    ip -n "$NSB" addr add "$B4/24" dev "$VB"
    ip -n "$NSA" addr add "$A6/64" dev "$VA" nodad
    ip -n "$NSB" addr add "$B6/64" dev "$VB" nodad
    ip -n "$NSA" link set "$VA" up
    ip -n "$NSB" link set "$VB" up
    sleep 3   # let the link-up MLD chatter pass before any capture
}

# ============================================= 1. transfer-{clean,loss,stall}
# transfer FILE LOSS STALL_AFTER STALL_SECONDS : one 1 MiB download, captured.
# Queue 0 = server->client segments of the transfer (LOSS applied to those
# with data), queue 1 = client->server (SYN, ACKs, FIN) held RTT_MS: the path
# RTT. Both queues are used in every run, so the three runs differ only in
# LOSS and in what the client does.
transfer() {
    local f=$1 loss=$2 after=$3 pause=$4
    log "== $f"
    in_b iptables -t mangle -A POSTROUTING -p tcp -s "$B4" --sport "$XFER_PORT" \
        -j NFQUEUE --queue-num 0 --queue-bypass
    in_b iptables -t mangle -A PREROUTING -p tcp -d "$B4" --dport "$XFER_PORT" \
        -j NFQUEUE --queue-num 1 --queue-bypass
    rm -f "$WORK/impair.log"
    bg "${IN_B[@]}" "$PY" "$SCRIPT_DIR/impair.py" "0:0:$loss:0:0:0" "1:$RTT_MS:0:0:0:0" \
        --seed 6 --log "$WORK/impair.log"
    local ipid=$LAST_PID
    wait_file "$WORK/impair.log"
    bg "${PEER_B[@]}" dl-server "$B4" "$XFER_PORT" "$XFER_BYTES"
    local spid=$LAST_PID
    wait_listen "$NSB" tcp "$XFER_PORT"
    flush_neigh
    cap_start "$f" "$NSA" "$VA" -s 128
    "${PEER_A[@]}" dl-client "$B4" "$XFER_PORT" "$XFER_BYTES" "$XFER_RCVBUF" "$after" "$pause"
    wait "$spid"
    cap_stop "$f"
    kill -TERM "$ipid"; wait "$ipid" || true
    log "impairment: $(tr '\n' ' ' <"$WORK/impair.log")"
    in_b iptables -t mangle -F
}

# ============================================= 2. ftp-{ok,fail,missing}
ftp_setup() {
    local root=$WORK/ftproot empty=$WORK/empty
    mkdir -p "$root" "$empty"
    chmod 755 "$root"; chmod 555 "$empty"
    "$PY" - "$root/report.txt" <<'EOF'
import sys
with open(sys.argv[1], "w") as f:
    for i in range(100):
        f.write("ctana diff report line %03d: the quick brown fox jumps over the lazy dog\n" % i)
EOF
    printf 'ctana diff sample\n' >"$root/readme.txt"
    chmod 644 "$root"/*.txt
    touch -d '2024-01-01 00:00:00 UTC' "$root"/*.txt
    ensure_ftp_user
    cat >"$WORK/vsftpd.conf" <<EOF
listen=YES
listen_ipv6=NO
listen_address=$B4
background=NO
anonymous_enable=NO
local_enable=YES
write_enable=NO
local_root=$root
chroot_local_user=YES
pasv_enable=YES
pasv_min_port=$PASV_PORT
pasv_max_port=$PASV_PORT
port_enable=NO
seccomp_sandbox=NO
secure_chroot_dir=$empty
pam_service_name=vsftpd
userlist_enable=NO
dirmessage_enable=NO
xferlog_enable=NO
use_localtime=NO
hide_ids=YES
ftpd_banner=ctana diff FTP server
EOF
}

# ftp FILE PASSWORD RETR-NAME EXPECTED-REPLY-CODES
ftp() {
    local f=$1
    log "== $f"
    bg "${IN_B[@]}" vsftpd "$WORK/vsftpd.conf"
    local ftp_pid=$LAST_PID
    wait_listen "$NSB" tcp 21
    flush_neigh
    cap_start "$f" "$NSA" "$VA"
    "${PEER_A[@]}" ftp-client "$B4" "$FTP_USER" "$2" "$3" "$4"
    cap_stop "$f"
    kill -TERM "$ftp_pid"; wait "$ftp_pid" || true
}

# ============================================= 3. dns-{ok,servfail}
# Front dnsmasq on 10.99.2.2 / fd00:99:2::2 port 53: www and mail are its own
# host records; api and db are forwarded to a backend dnsmasq on
# 127.0.0.1#5300 inside ctana-diff-b (never on the wire we capture). For
# dns-servfail the front also validates DNSSEC with a trust anchor for
# api.ctana.test and db.ctana.test (root anchor from dnsmasq-base), while the
# backend serves those zones unsigned: the answers are BOGUS and dnsmasq
# returns SERVFAIL (EDE 6 "DNSSEC Bogus"). See README for what does not work.
DNS_NAMES=(www.ctana.test api.ctana.test db.ctana.test mail.ctana.test)
ANCHOR_DS=20326,8,2,E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D

dns() {
    local f=$1 mode=$2 extra=() name type out want got=''
    log "== $f"
    if [[ $mode == servfail ]]; then
        [[ -r /usr/share/dnsmasq-base/trust-anchors.conf ]] || die "no dnsmasq trust-anchors.conf"
        extra=(--dnssec --conf-file=/usr/share/dnsmasq-base/trust-anchors.conf
               --trust-anchor="api.ctana.test,$ANCHOR_DS" --trust-anchor="db.ctana.test,$ANCHOR_DS")
    else
        extra=(--conf-file=/dev/null)
    fi
    bg "${IN_B[@]}" dnsmasq --keep-in-foreground --conf-file=/dev/null \
        --user=root --group=root --pid-file="$WORK/dns-back.pid" \
        --no-resolv --no-hosts --no-poll --port=5300 \
        --listen-address=127.0.0.1 --bind-interfaces \
        --log-queries --log-facility="$WORK/dns-back-$mode.log" \
        --local=/ctana.test/ \
        --host-record=api.ctana.test,10.99.2.81,fd00:99:2::81 \
        --host-record=db.ctana.test,10.99.2.82,fd00:99:2::82
    local back=$LAST_PID
    bg "${IN_B[@]}" dnsmasq --keep-in-foreground "${extra[@]}" \
        --user=root --group=root --pid-file="$WORK/dns-front.pid" \
        --no-resolv --no-hosts --no-poll --port=53 \
        --listen-address="$B4" --listen-address="$B6" --bind-interfaces \
        --log-queries=extra --log-facility="$WORK/dns-front-$mode.log" \
        --local=/ctana.test/ \
        --host-record=www.ctana.test,10.99.2.80,fd00:99:2::80 \
        --host-record=mail.ctana.test,10.99.2.25,fd00:99:2::25 \
        --server=/api.ctana.test/127.0.0.1#5300 \
        --server=/db.ctana.test/127.0.0.1#5300
    local front=$LAST_PID
    wait_listen "$NSB" udp 5300
    wait_listen "$NSB" udp 53
    flush_neigh
    cap_start "$f" "$NSA" "$VA"
    for name in "${DNS_NAMES[@]}"; do
        for type in A AAAA; do
            want=NOERROR
            [[ $mode == servfail && $name =~ ^(api|db)\. ]] && want=SERVFAIL
            out=$(in_a dig +tries=1 +time=3 +nocookie "@$B4" "$name" "$type")
            grep -q "status: $want" <<<"$out" || { echo "$out" >&2; die "dig $name $type: expected $want"; }
            got+="$name/$type=$want "
            sleep 0.1
        done
    done
    cap_stop "$f"
    log "$f: $got"
    kill -TERM "$front" "$back"; wait "$front" "$back" || true
}

# ============================================= 4. tls-{ok,fail}
tls_setup() {
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
        -keyout "$WORK/key.pem" -out "$WORK/cert.pem" -days 30 \
        -subj "/CN=$TLS_SNI" -addext "subjectAltName=DNS:$TLS_SNI" 2>/dev/null
    mkdir -p "$WORK/www"
    printf 'hello over TLS from the ctana diff server\n' >"$WORK/www/hello.txt"
}

# tls FILE ok|fail : s_server -WWW serves hello.txt; the client (identical in
# both runs) requires TLS 1.3. For tls-fail the server is capped at TLS 1.2.
tls() {
    local f=$1 mode=$2 srv=() rc=0
    log "== $f"
    [[ $mode == fail ]] && srv=(-max_protocol TLSv1.2)
    # shellcheck disable=SC2016  # expanded by the inner sh
    bg "${IN_B[@]}" sh -c 'cd "$1" && shift && exec "$@"' sh "$WORK/www" \
        openssl s_server -accept "$B4:$TLS_PORT" -naccept 1 -WWW \
        -cert "$WORK/cert.pem" -key "$WORK/key.pem" "${srv[@]}" >"$WORK/$f.server" 2>&1
    local spid=$LAST_PID
    wait_listen "$NSB" tcp "$TLS_PORT"
    flush_neigh
    cap_start "$f" "$NSA" "$VA"
    printf 'GET /hello.txt HTTP/1.0\r\nHost: %s\r\n\r\n' "$TLS_SNI" |
        in_a timeout 10 openssl s_client -connect "$B4:$TLS_PORT" -servername "$TLS_SNI" \
            -min_protocol TLSv1.3 -ign_eof -quiet >"$WORK/$f.out" 2>"$WORK/$f.err" || rc=$?
    if [[ $mode == ok ]]; then
        if [[ $rc != 0 ]] || ! grep -q 'hello over TLS' "$WORK/$f.out"; then
            cat "$WORK/$f.err" >&2
            die "$f: TLS request failed (rc $rc)"
        fi
    else
        [[ $rc != 0 ]] || die "$f: handshake unexpectedly succeeded"
        log "$f: s_client: $(grep -m1 -i alert "$WORK/$f.err" || head -1 "$WORK/$f.err")"
    fi
    cap_stop "$f"
    kill -TERM "$spid" 2>/dev/null || true   # -naccept 1: normally gone already
    wait "$spid" || true
}

# ------------------------------------------------------------------ checks
tsn() { # tshark -n -r FILE ARGS... (root warning on stderr suppressed)
    local f=$1; shift
    tshark -n -r "$WORK/$f" "$@" 2>/dev/null
}
count() { tsn "$1" -Y "$2" | wc -l; }
fields() { tsn "$1" -Y "$2" -T fields -e "$3" | tr '\n' ' ' | sed 's/ $//'; }

declare -A TCPA
tcpa() { # FILE KEY -> value from tshark-tcp-analysis.sh
    "$PY" -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "${TCPA[$1]}" "$2"
}

check_all() {
    local f size total=0 v
    for f in "${FILES[@]}"; do
        [[ $(tsn "$f" -T fields -e frame.encap_type | sort -u) == 1 ]] \
            || die "$f: not all frames are Ethernet"
        size=$(stat -c %s "$WORK/$f")
        ((size < MAX_FILE)) || die "$f is $size bytes (limit $MAX_FILE)"
        total=$((total + size))
    done
    ((total < MAX_TOTAL)) || die "the captures add up to $total bytes (limit $MAX_TOTAL)"

    for f in transfer-clean.pcap transfer-loss.pcap transfer-stall.pcap; do
        TCPA[$f]=$("$SCRIPT_DIR/tshark-tcp-analysis.sh" "$WORK/$f")
        log "$f: ${TCPA[$f]}"
        [[ $(tcpa "$f" conversations) == 1 ]] || die "$f: expected one TCP conversation"
        [[ $(tcpa "$f" rst) == 0 ]] || die "$f: unexpected RST"
    done
    v=$(tcpa transfer-clean.pcap retransmission)
    ((v <= 1)) || die "transfer-clean.pcap: $v retransmissions (expected 0, at most 1 stray)"
    [[ $(tcpa transfer-clean.pcap zero_window) == 0 ]] || die "transfer-clean.pcap: zero window"
    v=$(tcpa transfer-loss.pcap retransmission)
    ((v >= 10)) || die "transfer-loss.pcap: only $v retransmissions"
    [[ $(tcpa transfer-loss.pcap zero_window) == 0 ]] || die "transfer-loss.pcap: zero window"
    v=$(tcpa transfer-stall.pcap zero_window)
    ((v >= 1)) || die "transfer-stall.pcap: no zero window"
    v=$(tcpa transfer-stall.pcap window_update)
    ((v >= 1)) || die "transfer-stall.pcap: no window update"

    local codes
    for f in ftp-ok.pcap ftp-fail.pcap ftp-missing.pcap; do
        codes=$(fields "$f" ftp.response.code ftp.response.code)
        log "$f: reply codes $codes"
    done
    [[ $(count ftp-ok.pcap 'ftp.response.code >= 400') == 0 ]] || die "ftp-ok.pcap: error replies"
    [[ $(count ftp-fail.pcap 'ftp.response.code == 530') -ge 1 ]] || die "ftp-fail.pcap: no 530"
    [[ $(count ftp-missing.pcap 'ftp.response.code == 550') == 1 ]] || die "ftp-missing.pcap: no 550"

    for f in dns-ok.pcap dns-servfail.pcap; do
        log "$f: rcodes $(fields "$f" 'dns.flags.response == 1' dns.flags.rcode)"
    done
    [[ $(count dns-ok.pcap 'dns.flags.response == 1 && dns.flags.rcode == 0') == 8 ]] \
        || die "dns-ok.pcap: expected 8 NOERROR responses"
    [[ $(count dns-servfail.pcap 'dns.flags.response == 1 && dns.flags.rcode == 2') == 4 ]] \
        || die "dns-servfail.pcap: expected 4 SERVFAIL responses"
    [[ $(count dns-servfail.pcap 'dns.flags.rcode == 2 && dns.opt.code == 15') == 4 ]] \
        || die "dns-servfail.pcap: expected an Extended DNS Error option in each SERVFAIL"
    [[ $(count dns-servfail.pcap 'dns.flags.response == 1 && dns.flags.rcode == 0') == 4 ]] \
        || die "dns-servfail.pcap: expected 4 NOERROR responses"

    [[ $(count tls-ok.pcap 'tls.alert_message.level == 2') == 0 ]] || die "tls-ok.pcap: fatal alert"
    [[ $(count tls-ok.pcap 'tls.handshake.type == 2') == 1 ]] || die "tls-ok.pcap: no ServerHello"
    [[ $(count tls-fail.pcap 'tls.alert_message.level == 2') == 1 ]] || die "tls-fail.pcap: no fatal alert"
    log "tls-fail.pcap: alert $(fields tls-fail.pcap tls.alert_message tls.alert_message.desc)"
    for f in tls-ok.pcap tls-fail.pcap; do
        [[ $(fields "$f" tls.handshake.extensions_server_name tls.handshake.extensions_server_name) == "$TLS_SNI" ]] \
            || die "$f: SNI is not $TLS_SNI"
    done
}

# ------------------------------------------------------------ helper programs
write_helpers() {
    cat >"$WORK/peers.py" <<'EOF'
"""Client / server roles for make-diff-pairs.sh (one role per invocation).

Every role checks what it got and exits non-zero on a surprise. Payloads are
deterministic (seeded by the port); timings go to stderr for the log.
"""
import ftplib, os, random, signal, socket, sys, time

T0 = time.monotonic()


def say(*a):
    print("[%6.3f] %s:" % (time.monotonic() - T0, sys.argv[1]), *a, file=sys.stderr, flush=True)


def payload(seed, n):
    return random.Random(seed).randbytes(n)


def dl_server(host, port, nbytes):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, b"cubic")  # machine default is bbr
    s.bind((host, int(port)))
    s.listen(1)
    s.settimeout(60)
    c, peer = s.accept()
    c.sendall(payload(int(port), int(nbytes)))
    c.close()  # server closes first: FIN from the server
    say("sent", nbytes, "bytes to", peer)


def dl_client(host, port, nbytes, rcvbuf, stall_after, stall_s):
    """Download to EOF with a fixed receive buffer (no autotuning, so the
    window is the same in every run); optionally stop reading for stall_s
    seconds once stall_after bytes have been read."""
    c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, int(rcvbuf))
    c.settimeout(30)
    t = time.monotonic()
    c.connect((host, int(port)))
    stall_after, stall_s = int(stall_after), float(stall_s)
    buf = bytearray()
    stalled = False
    while True:
        want = 65536
        if stall_s > 0 and not stalled:
            want = min(want, stall_after - len(buf))
            if want == 0:
                say("read %d bytes, not reading for %.1f s" % (len(buf), stall_s))
                time.sleep(stall_s)
                stalled = True
                continue
        d = c.recv(want)
        if not d:
            break
        buf += d
    c.close()
    if bytes(buf) != payload(int(port), int(nbytes)):
        sys.exit("download mismatch: got %d bytes" % len(buf))
    say("received %d bytes intact in %.3f s" % (len(buf), time.monotonic() - t))


def ftp_client(host, user, password, fname, expect):
    """The same command script whatever happens: USER, PASS, PWD, TYPE A,
    PASV + LIST, TYPE I, PASV + RETR fname, QUIT. A data connection is opened
    only when PASV says 227; LIST/RETR are sent either way. The reply codes
    (space separated, 1xx preliminary replies included) must equal expect."""
    f = ftplib.FTP()
    f.connect(host, 21, timeout=15)
    codes = [f.welcome[:3]]

    def cmd(line):
        f.putcmd(line)
        r = f.getmultiline()
        codes.append(r[:3])
        return r

    def data(line):
        r = cmd("PASV")
        conn = None
        if r.startswith("227"):
            conn = socket.create_connection(ftplib.parse227(r), timeout=15)
        r = cmd(line)
        if conn is not None:
            n = 0
            if r[:1] == "1":
                while True:
                    d = conn.recv(65536)
                    if not d:
                        break
                    n += len(d)
                conn.close()
                codes.append(f.getmultiline()[:3])  # completion reply (226)
                say(line, "->", n, "bytes")
            else:
                conn.close()

    cmd("USER " + user)
    cmd("PASS " + password)
    cmd("PWD")
    cmd("TYPE A")
    data("LIST")
    cmd("TYPE I")
    data("RETR " + fname)
    cmd("QUIT")
    f.close()
    got = " ".join(codes)
    say("reply codes:", got)
    if got != expect:
        sys.exit("expected reply codes %s" % expect)


ROLES = {"dl-server": dl_server, "dl-client": dl_client, "ftp-client": ftp_client}

if __name__ == "__main__":
    signal.alarm(int(os.environ.get("PEER_TIMEOUT", "60")))  # never hang the script
    ROLES[sys.argv[1]](*sys.argv[2:])
EOF
}

# ===================================================================== main
setup_netns
write_helpers
transfer transfer-clean.pcap 0 0 0
transfer transfer-loss.pcap "$LOSS" 0 0
transfer transfer-stall.pcap 0 "$STALL_AFTER" "$STALL_SECONDS"
ftp_setup
ftp ftp-ok.pcap "$FTP_PASS" report.txt "220 331 230 257 200 227 150 226 200 227 150 226 221"
ftp ftp-fail.pcap "$FTP_WRONG_PASS" report.txt "220 331 530 530 530 530 530 530 530 530 221"
ftp ftp-missing.pcap "$FTP_PASS" missing.txt "220 331 230 257 200 227 150 226 200 227 550 221"
dns dns-ok.pcap ok
dns dns-servfail.pcap servfail
tls_setup
tls tls-ok.pcap ok
tls tls-fail.pcap fail
check_all

mkdir -p "$OUT"
for f in "${FILES[@]}"; do
    install -m 644 "$WORK/$f" "$OUT/$f"
done
log "done; files in $OUT:"
(cd "$OUT" && ls -l "${FILES[@]}") >&2
