#!/usr/bin/env bash
# make-tcp-scenarios.sh - real TCP problem scenarios for testdata/real/tcp-*.pcap
#
# Builds two network namespaces (ctana-tcp-a = client side, all captures are
# taken there on its veth; ctana-tcp-b = servers) joined by one veth pair,
# runs small python3 clients/servers between them and captures with tcpdump:
#
#   tcp-bulk-loss.pcap      2 MB download with 2 % loss + reordering (+ a clean one)
#   tcp-refused.pcap        closed port (v4, v6) -> RST; black-holed port -> SYN back-off
#   tcp-zero-window.pcap    receiver stops reading: zero window, probes, window update
#   tcp-abort.pcap          client abort (SO_LINGER 0 -> RST); data to a closed socket -> RST
#   tcp-keepalive.pcap      keepalives answered, then unanswered, client gives up (RST)
#   tcp-retrans-reset.pcap  peer stops acknowledging: RTO back-off, app abort / kernel timeout
#   tcp-scan.pcap           SYN scan of 30 ports + 20 quick login connections
#   tcp-delayed-ack.pcap    20 request/responses, 50 ms server time, 3 slow (400 ms) answers
#
# Impairments: this kernel has no sch_netem (CONFIG_NET_SCH_NETEM unset) and
# no nft `queue` expression, so
#   * drops that must look like a black hole are nftables rules in the server
#     namespace (input hook, i.e. after the client-side capture point);
#   * random loss, reordering and delay for the bulk transfer come from a tiny
#     userspace "netem" (python, raw netlink NFQUEUE) fed by iptables(-nft)
#     NFQUEUE rules in the server namespace; see README "TCP scenarios".
#
# All traffic stays inside the two namespaces (10.99.1.0/24, fd00:99:1::/64
# exist only there). Nothing is sent to any other address.
#
# Usage: sudo tools/capture/make-tcp-scenarios.sh   (no arguments, root, ~1.7 min)
#   KEEP_WORK=1  keep the temporary work directory (logs, raw captures).
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SCRIPT_DIR/../.." && pwd)
OUT="$REPO/testdata/real"

LOG_TAG=make-tcp-scenarios
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$SCRIPT_DIR/lib.sh"

NSA=ctana-tcp-a
NSB=ctana-tcp-b
VA=tveth-a           # lives in ctana-tcp-a (capture interface)
VB=tveth-b           # lives in ctana-tcp-b
MAC_A=02:00:00:99:01:01
MAC_B=02:00:00:99:01:02
A4=10.99.1.1
B4=10.99.1.2
A6=fd00:99:1::1
B6=fd00:99:1::2

BULK_BYTES=1835008    # 1.75 MiB: with -s 128 the file stays well below 300 KB
CLEAN_BYTES=65536     # second, unimpaired transfer
FILES=(tcp-bulk-loss.pcap tcp-refused.pcap tcp-zero-window.pcap tcp-abort.pcap
       tcp-keepalive.pcap tcp-retrans-reset.pcap tcp-scan.pcap tcp-delayed-ack.pcap)
MAX_FILE=300000
MAX_TOTAL=1200000

need_root "network namespaces, tcpdump, nftables, iptables"
ensure_tools tcpdump:tcpdump tshark:tshark capinfos:wireshark-common ip:iproute2 \
    ss:iproute2 ethtool:ethtool nft:nftables iptables:iptables

work_begin tcp-scenarios "$NSA" "$NSB"
export SYNC_DIR=$WORK   # peers.py phase files

in_a() { ip netns exec "$NSA" "$@"; }
in_b() { ip netns exec "$NSB" "$@"; }
# Command prefixes (arrays, not functions: `bg` must start the real program so
# that its pid can be signalled; `ip netns exec` execs the command).
IN_A=(ip netns exec "$NSA")
IN_B=(ip netns exec "$NSB")
PEER_A=("${IN_A[@]}" "$PY" "$WORK/peers.py")
PEER_B=("${IN_B[@]}" "$PY" "$WORK/peers.py")
flush_neigh() { in_a ip neigh flush all; in_b ip neigh flush all; }

# wait_file FILE [TRIES] : wait (0.05 s steps) until FILE exists.
wait_file() {
    local i
    for ((i = 0; i < ${2:-400}; i++)); do
        [[ -e $1 ]] && return 0
        sleep 0.05
    done
    die "timed out waiting for $1"
}

# b_drop_from_a PORT : black-hole everything the client sends to PORT
# (server-side input hook; the client-side capture still sees it leave).
b_drop_from_a() {
    in_b nft add rule inet ctana_tcp input ip saddr "$A4" tcp dport "$1" counter drop
}
# b_silence PORT : after a capture, mute the server side of PORT too, so that
# the FIN (and its retransmissions) of a server we kill never reaches the wire
# and cannot leak into the next capture.
b_silence() {
    in_b nft add rule inet ctana_tcp output tcp sport "$1" counter drop
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
    # Server-side firewall table; rules are added per scenario.
    in_b nft -f - <<'EOF'
table inet ctana_tcp {
    chain input {
        type filter hook input priority 0; policy accept;
    }
    chain output {
        type filter hook output priority 0; policy accept;
    }
}
EOF
    # quiet link: let the link-up MLD chatter pass before any capture
    sleep 3
}

# ===================================================== 1. tcp-bulk-loss.pcap
make_bulk() {
    local f=tcp-bulk-loss.pcap
    log "== $f"
    # Queue 0: server->client segments of port 45001 (loss 2 %, 3 % held back
    # 0.3-1.5 ms = reordered). Queue 1: client->server packets to 45001/45002
    # (ACKs, SYN, FIN) held 5 ms = the path's RTT. 45002 is only delayed.
    in_b iptables -t mangle -A POSTROUTING -p tcp -s "$B4" --sport 45001 \
        -j NFQUEUE --queue-num 0 --queue-bypass
    in_b iptables -t mangle -A PREROUTING -p tcp -d "$B4" -m multiport --dports 45001,45002 \
        -j NFQUEUE --queue-num 1 --queue-bypass
    bg "${IN_B[@]}" "$PY" "$SCRIPT_DIR/impair.py" 0:0:0.02:0.03:0.3:1.5 1:5:0:0:0:0 --seed 1 \
        --log "$WORK/impair.log"
    local ipid=$LAST_PID
    wait_file "$WORK/impair.log"
    bg "${PEER_B[@]}" bulk-server "$B4" 45001 "$BULK_BYTES"
    local s1=$LAST_PID
    bg "${PEER_B[@]}" bulk-server "$B4" 45002 "$CLEAN_BYTES"
    local s2=$LAST_PID
    wait_listen "$NSB" tcp 45001
    wait_listen "$NSB" tcp 45002
    flush_neigh
    cap_start "$f" "$NSA" "$VA" -s 128
    "${PEER_A[@]}" bulk-client "$B4" 45001 "$BULK_BYTES"
    sleep 0.5
    "${PEER_A[@]}" bulk-client "$B4" 45002 "$CLEAN_BYTES"
    wait "$s1" "$s2"
    cap_stop "$f"
    kill -TERM "$ipid"; wait "$ipid" || true
    log "impairment: $(tr '\n' ' ' <"$WORK/impair.log")"
    in_b iptables -t mangle -F
}

# ===================================================== 2. tcp-refused.pcap
make_refused() {
    local f=tcp-refused.pcap
    log "== $f"
    b_drop_from_a 45011
    # Classic exponential SYN back-off: newer kernels retransmit the first
    # SYNs at linear 1 s intervals (tcp_syn_linear_timeouts, default 4).
    local lin=/proc/sys/net/ipv4/tcp_syn_linear_timeouts old_lin=
    in_a sysctl -qw net.ipv4.tcp_syn_retries=2
    if [[ -e $lin ]]; then
        old_lin=$(in_a cat "$lin")
        in_a sysctl -qw net.ipv4.tcp_syn_linear_timeouts=0
    fi
    flush_neigh
    cap_start "$f" "$NSA" "$VA"
    "${PEER_A[@]}" connect-expect "$B4" 45010 refused
    "${PEER_A[@]}" connect-expect "$B6" 45010 refused
    sleep 0.3
    "${PEER_A[@]}" connect-expect "$B4" 45011 timeout   # SYN at 0, 1, 3 s; gives up at 7 s
    cap_stop "$f"
    in_a sysctl -qw net.ipv4.tcp_syn_retries=6
    [[ -z $old_lin ]] || in_a sysctl -qw net.ipv4.tcp_syn_linear_timeouts="$old_lin"
}

# ===================================================== 3. tcp-zero-window.pcap
make_zero_window() {
    local f=tcp-zero-window.pcap n=262144
    log "== $f"
    bg "${PEER_B[@]}" zw-server "$B4" 45020 4096 3 "$n"
    local spid=$LAST_PID
    wait_listen "$NSB" tcp 45020
    flush_neigh
    cap_start "$f" "$NSA" "$VA" -s 128
    "${PEER_A[@]}" zw-client "$B4" 45020 "$n"
    wait "$spid"
    cap_stop "$f"
}

# ===================================================== 4. tcp-abort.pcap
make_abort() {
    local f=tcp-abort.pcap
    log "== $f"
    bg "${PEER_B[@]}" abort-server "$B4" 45030 45031
    local spid=$LAST_PID
    wait_listen "$NSB" tcp 45030
    wait_listen "$NSB" tcp 45031
    flush_neigh
    cap_start "$f" "$NSA" "$VA"
    "${PEER_A[@]}" abort-client "$B4" 45030 45031
    wait "$spid"
    cap_stop "$f"
}

# ===================================================== 5. tcp-keepalive.pcap
make_keepalive() {
    local f=tcp-keepalive.pcap
    log "== $f"
    bg "${PEER_B[@]}" echo-server "$B4" 45040
    local spid=$LAST_PID
    wait_listen "$NSB" tcp 45040
    flush_neigh
    cap_start "$f" "$NSA" "$VA"
    bg "${PEER_A[@]}" ka-client "$B4" 45040 1 1 3
    local cpid=$LAST_PID
    wait_file "$WORK/ka.reached"
    sleep 3.5                 # three keepalives, all answered
    b_drop_from_a 45040       # server goes silent
    wait "$cpid"              # 3 unanswered probes, then ETIMEDOUT (+ RST)
    cap_stop "$f"
    b_silence 45040
    kill -TERM "$spid"; wait "$spid" || true
}

# ===================================================== 6. tcp-retrans-reset.pcap
make_retrans() {
    local f=tcp-retrans-reset.pcap mode port
    log "== $f"
    bg "${PEER_B[@]}" echo-server "$B4" 45050 45051
    local spid=$LAST_PID
    wait_listen "$NSB" tcp 45051
    in_a sysctl -qw net.ipv4.tcp_retries2=4
    flush_neigh
    cap_start "$f" "$NSA" "$VA"
    for mode in abort timeout; do
        if [[ $mode == abort ]]; then port=45050; else port=45051; fi
        bg "${PEER_A[@]}" rt-client "$B4" "$port" "$mode" 4.5
        local cpid=$LAST_PID
        wait_file "$WORK/rt-$mode.reached"
        b_drop_from_a "$port"           # server stops receiving: no more ACKs
        touch "$WORK/rt-$mode.go"
        wait "$cpid"
        sleep 0.5
    done
    cap_stop "$f"
    in_a sysctl -qw net.ipv4.tcp_retries2=15
    b_silence 45050
    b_silence 45051
    kill -TERM "$spid"; wait "$spid" || true
}

# ===================================================== 7. tcp-scan.pcap
make_scan() {
    local f=tcp-scan.pcap
    local ports=21,22,23,25,53,79,80,88,110,111,113,135,139,143,199,389,443,445,465,587,993,995,1025,1433,1723,3306,3389,5900,8080,8443
    log "== $f"
    bg "${PEER_B[@]}" login-server "$B4" 21 20
    local spid=$LAST_PID
    bg "${IN_B[@]}" "$PY" -c 'import socket,time
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("'"$B4"'", 80)); s.listen(8); time.sleep(60)'
    local wpid=$LAST_PID
    wait_listen "$NSB" tcp 21
    wait_listen "$NSB" tcp 80
    flush_neigh
    cap_start "$f" "$NSA" "$VA"
    "${PEER_A[@]}" syn-scan "$A4" "$B4" 40000 "$ports" 21,80 0.005
    sleep 0.5
    "${PEER_A[@]}" login-client "$B4" 21 20
    wait "$spid"
    cap_stop "$f"
    kill -TERM "$wpid"; wait "$wpid" || true
}

# ===================================================== 8. tcp-delayed-ack.pcap
make_delayed_ack() {
    local f=tcp-delayed-ack.pcap
    log "== $f"
    bg "${PEER_B[@]}" rr-server "$B4" 45080 0.05 0.4 5,12,17
    local spid=$LAST_PID
    wait_listen "$NSB" tcp 45080
    flush_neigh
    cap_start "$f" "$NSA" "$VA"
    "${PEER_A[@]}" rr-client "$B4" 45080 20 0.1
    wait "$spid"
    cap_stop "$f"
}

# ------------------------------------------------------------------ checks
# expect FILE KEY OP N ... : tshark-tcp-analysis.sh counts must satisfy each test
declare -A COUNTS
expect() {
    local f=$1; shift
    local json=${COUNTS[$f]} k op n v ok
    while (($#)); do
        k=$1 op=$2 n=$3; shift 3
        v=$("$PY" -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$json" "$k")
        case $op in
            '>') ok=$((v > n)) ;;
            '>=') ok=$((v >= n)) ;;
            '==') ok=$((v == n)) ;;
            *) die "expect: bad operator $op" ;;
        esac
        ((ok)) || die "$f: expected $k $op $n, got $v ($json)"
    done
}

check_all() {
    local f
    for f in "${FILES[@]}"; do
        COUNTS[$f]=$("$SCRIPT_DIR/tshark-tcp-analysis.sh" "$WORK/$f")
        log "$f: ${COUNTS[$f]}"
        [[ $(tshark -n -r "$WORK/$f" -T fields -e frame.encap_type 2>/dev/null | sort -u) == 1 ]] \
            || die "$f: not all frames are Ethernet"
    done
    expect tcp-bulk-loss.pcap retransmission '>' 0 fast_retransmission '>' 0 \
        duplicate_ack '>' 0 out_of_order '>' 0 lost_segment '>' 0 conversations == 2
    expect tcp-refused.pcap rst == 2 syn == 5 retransmission == 2 conversations == 3
    expect tcp-zero-window.pcap zero_window '>' 0 window_update '>' 0 window_full '>' 0 \
        conversations == 1
    expect tcp-abort.pcap rst == 2 conversations == 2
    expect tcp-keepalive.pcap keep_alive '>=' 5 keep_alive_ack '>=' 2 rst == 1 conversations == 1
    expect tcp-retrans-reset.pcap retransmission '>=' 6 rst == 1 conversations == 2
    expect tcp-scan.pcap syn == 50 rst '>=' 30 conversations == 50
    expect tcp-delayed-ack.pcap conversations == 1 rst == 0 retransmission == 0
    local late
    late=$(tshark -n -r "$WORK/tcp-delayed-ack.pcap" -Y 'tcp.len == 0 && tcp.analysis.ack_rtt > 0.03' 2>/dev/null | wc -l)
    ((late >= 30)) || die "tcp-delayed-ack.pcap: only $late pure ACKs later than 30 ms"

    local total=0 size
    for f in "${FILES[@]}"; do
        size=$(stat -c %s "$WORK/$f")
        ((size < MAX_FILE)) || die "$f is $size bytes (limit $MAX_FILE)"
        total=$((total + size))
    done
    ((total < MAX_TOTAL)) || die "the captures add up to $total bytes (limit $MAX_TOTAL)"
}

# ------------------------------------------------------------ helper programs
# peers.py: every client/server role (the userspace netem is tools/capture/impair.py).
write_helpers() {
    cat >"$WORK/peers.py" <<'EOF'
"""Client / server roles for make-tcp-scenarios.sh (one role per invocation).

usage: peers.py ROLE ARGS...   (see the dispatch table at the end)
Every role checks what it got and exits non-zero on a surprise, so the shell
script notices a scenario that did not happen as intended. Payloads are
deterministic (seeded); timings are printed to stderr for the log.
"""
import os, random, signal, socket, struct, sys, time, threading

T0 = time.monotonic()
SYNC = os.environ.get("SYNC_DIR", "/tmp")


def say(*a):
    print("[%6.3f] %s:" % (time.monotonic() - T0, sys.argv[1]), *a, file=sys.stderr, flush=True)


def fam(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def listener(host, port, backlog=8, rcvbuf=None, cc=None):
    s = socket.socket(fam(host), socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if rcvbuf:  # before listen(): inherited by the accepted socket, sets the window scale
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    if cc:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, cc.encode())
    s.bind((host, port))
    s.listen(backlog)
    return s


def connect(host, port, timeout=30, cc=None):
    c = socket.socket(fam(host), socket.SOCK_STREAM)
    if cc:
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, cc.encode())
    c.settimeout(timeout)
    c.connect((host, port))
    return c


def recv_all(c):
    n = 0
    while True:
        d = c.recv(65536)
        if not d:
            return n
        n += len(d)


def recv_line(c):
    buf = b""
    while not buf.endswith(b"\n"):
        d = c.recv(4096)
        if not d:
            break
        buf += d
    return buf


def abort(c):
    """close() with SO_LINGER {on, 0}: the kernel sends RST instead of FIN."""
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    c.close()


def phase(name):
    """Tell the shell script we reached a point, wait until it says go."""
    open(os.path.join(SYNC, name + ".reached"), "w").close()
    go = os.path.join(SYNC, name + ".go")
    for _ in range(600):
        if os.path.exists(go):
            return
        time.sleep(0.05)
    sys.exit("no go for phase " + name)


def payload(seed, n):
    return random.Random(seed).randbytes(n)


# ---------------------------------------------------------------- 1. bulk
def bulk_server(host, port, nbytes, cc="cubic"):
    s = listener(host, int(port), cc=cc)
    s.settimeout(60)
    c, peer = s.accept()
    c.sendall(payload(int(port), int(nbytes)))
    c.close()  # server closes first: FIN from the server
    say("sent", nbytes, "bytes to", peer)


def bulk_client(host, port, nbytes):
    c = connect(host, int(port))
    buf = bytearray()
    while True:
        d = c.recv(65536)
        if not d:
            break
        buf += d
    c.close()
    if bytes(buf) != payload(int(port), int(nbytes)):
        sys.exit("bulk data mismatch: got %d bytes" % len(buf))
    say("received", len(buf), "bytes intact")


# ---------------------------------------------------------------- 2. refused
def connect_expect(host, port, expect):
    t = time.monotonic()
    try:
        c = connect(host, int(port), timeout=None)  # no user timeout: tcp_syn_retries decides
        c.close()
        sys.exit("connect to %s:%s succeeded, expected %s" % (host, port, expect))
    except ConnectionRefusedError:
        got = "refused"
    except TimeoutError:
        got = "timeout"
    say("%s:%s -> %s after %.2f s" % (host, port, got, time.monotonic() - t))
    if got != expect:
        sys.exit("expected %s, got %s" % (expect, got))


# ---------------------------------------------------------------- 3. zero window
def zw_server(host, port, rcvbuf, pause, nbytes):
    s = listener(host, int(port), rcvbuf=int(rcvbuf))
    s.settimeout(30)
    c, _ = s.accept()
    say("accepted, rcvbuf", c.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF), "- not reading for", pause, "s")
    time.sleep(float(pause))
    n = recv_all(c)
    say("read", n, "bytes, closing")
    c.close()
    if n != int(nbytes):
        sys.exit("zero-window server got %d of %s bytes" % (n, nbytes))


def zw_client(host, port, nbytes):
    c = connect(host, int(port))
    t = time.monotonic()
    c.sendall(payload(3, int(nbytes)))  # blocks while the window is zero
    say("sendall of", nbytes, "bytes returned after %.2f s" % (time.monotonic() - t))
    c.shutdown(socket.SHUT_WR)  # FIN
    if recv_all(c) != 0:
        sys.exit("unexpected data from zero-window server")
    c.close()


# ---------------------------------------------------------------- 4. abort
def abort_server(host, port_a, port_b):
    sa, sb = listener(host, int(port_a)), listener(host, int(port_b))
    sa.settimeout(30); sb.settimeout(30)
    # a) request/response, then the client aborts: we see ECONNRESET
    c, _ = sa.accept()
    req = recv_line(c)
    c.sendall(b"RESPONSE to " + req)
    try:
        rest = c.recv(4096)
        say("a) after abort recv returned", rest)
    except ConnectionResetError:
        say("a) ECONNRESET from client abort, as expected")
    c.close()
    # b) greet and close at once; the client writes to the closed socket later
    c, _ = sb.accept()
    c.sendall(b"HELLO from server, closing now\n")
    c.close()
    say("b) closed after greeting")
    time.sleep(2)


def abort_client(host, port_a, port_b):
    c = connect(host, int(port_a))
    c.sendall(b"GET record 42\n")
    r = recv_line(c)
    assert r.startswith(b"RESPONSE"), r
    time.sleep(0.2)
    abort(c)  # RST from the client
    say("a) aborted with SO_LINGER 0")
    time.sleep(0.5)
    c = connect(host, int(port_b))
    g = recv_line(c)
    assert g.startswith(b"HELLO"), g
    if c.recv(4096) != b"":
        sys.exit("b) expected EOF after greeting")
    time.sleep(0.3)  # server socket is closed (FIN_WAIT2, orphaned)
    c.sendall(b"late data to a closed socket\n")  # answered by RST
    time.sleep(0.3)
    try:
        c.sendall(b"more\n")
        say("b) second send did not fail")
    except (ConnectionResetError, BrokenPipeError) as e:
        say("b) second send:", e.__class__.__name__)
    c.close()


# ---------------------------------------------------------------- 5. keepalive
def echo_server(host, *ports):
    """Accept one connection per port (threads), answer the first line, then
    read until EOF / error. Used by keepalive and retrans scenarios."""
    def serve(port):
        s = listener(host, int(port))
        c, _ = s.accept()
        line = recv_line(c)
        c.sendall(b"OK " + line)
        try:
            n = recv_all(c)
            say(port, "EOF after", n, "more bytes")
        except OSError as e:
            say(port, "recv:", e)
        c.close()
    ts = [threading.Thread(target=serve, args=(p,), daemon=True) for p in ports]
    for t in ts:
        t.start()
    for t in ts:
        t.join()


def ka_client(host, port, idle, intvl, cnt):
    c = connect(host, int(port), timeout=None)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, int(idle))
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, int(intvl))
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, int(cnt))
    c.sendall(b"keepalive session\n")
    assert recv_line(c).startswith(b"OK")
    open(os.path.join(SYNC, "ka.reached"), "w").close()
    t = time.monotonic()
    try:
        d = c.recv(4096)
        sys.exit("keepalive client: recv returned %r, expected ETIMEDOUT" % d)
    except TimeoutError:
        say("recv: ETIMEDOUT after %.2f s idle (keepalive gave up)" % (time.monotonic() - t))
    c.close()


# ---------------------------------------------------------------- 6. retrans
def rt_client(host, port, mode, abort_after):
    c = connect(host, int(port), timeout=None)
    c.sendall(b"retrans session %s\n" % mode.encode())
    assert recv_line(c).startswith(b"OK")
    phase("rt-" + mode)  # the script now black-holes our packets at the server
    c.sendall(b"D" * 1000 + b"\n")
    t = time.monotonic()
    if mode == "abort":
        time.sleep(float(abort_after))
        abort(c)
        say("aborted (RST) after %.2f s of retransmissions" % (time.monotonic() - t))
    else:
        try:
            c.recv(4096)
            sys.exit("retrans client: recv returned, expected ETIMEDOUT")
        except TimeoutError:
            say("recv: ETIMEDOUT after %.2f s (tcp_retries2 exhausted)" % (time.monotonic() - t))
        c.close()


# ---------------------------------------------------------------- 7. scan
def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def syn_scan(src, dst, sport, ports, expect_open, gap):
    """Half-open SYN scan from a raw socket, one fixed source port (as nmap -sS
    does). Our kernel has no socket on SPORT, so it answers each SYN/ACK from
    an open port with a RST; closed ports answer the SYN with RST/ACK."""
    sport = int(sport)
    ports = [int(p) for p in ports.split(",")]
    expect_open = sorted(int(p) for p in expect_open.split(","))
    r = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
    rnd = random.Random(7)
    for p in ports:
        seq = rnd.getrandbits(32)
        opts = struct.pack("!BBH", 2, 4, 1460)  # MSS
        hdr = struct.pack("!HHIIBBHHH", sport, p, seq, 0, (5 + 1) << 4, 0x02, 1024, 0, 0) + opts
        pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 6, len(hdr))
        hdr = hdr[:16] + struct.pack("!H", csum(pseudo + hdr)) + hdr[18:]
        r.sendto(hdr, (dst, 0))
        time.sleep(float(gap))
    r.settimeout(0.3)
    opened, closed = set(), set()
    end = time.monotonic() + 1.0
    while time.monotonic() < end:
        try:
            pkt = r.recv(2048)
        except socket.timeout:
            break
        ihl = (pkt[0] & 15) * 4
        sp, dp = struct.unpack_from("!HH", pkt, ihl)
        flags = pkt[ihl + 13]
        if dp != sport or socket.inet_ntoa(pkt[12:16]) != dst:
            continue
        (opened if flags & 0x12 == 0x12 else closed).add(sp)
    say("open", sorted(opened), "closed", len(closed))
    if sorted(opened) != expect_open or len(opened) + len(closed) != len(ports):
        sys.exit("scan result differs from expectation")


def login_server(host, port, n):
    s = listener(host, int(port), backlog=32)
    s.settimeout(30)
    for i in range(int(n)):
        c, _ = s.accept()
        c.settimeout(5)
        c.sendall(b"220 ctana test service ready\r\n")
        recv_line(c)
        c.sendall(b"331 Password required\r\n")
        recv_line(c)
        c.sendall(b"530 Login incorrect.\r\n")
        recv_line(c)
        c.sendall(b"221 Goodbye.\r\n")
        c.close()


def login_client(host, port, n):
    for i in range(int(n)):
        c = connect(host, int(port), timeout=5)
        assert recv_line(c).startswith(b"220")
        c.sendall(b"USER admin\r\n")
        assert recv_line(c).startswith(b"331")
        c.sendall(b"PASS guess%02d\r\n" % i)
        assert recv_line(c).startswith(b"530")
        c.sendall(b"QUIT\r\n")
        assert recv_line(c).startswith(b"221")
        c.close()
    say(n, "login attempts, all rejected")


# ---------------------------------------------------------------- 8. request/response
def delack(c):
    """TCP_QUICKACK 0 (pingpong mode): ACK the next data the classic way, after
    the delayed-ACK timer (~40 ms here), unless data goes out first. Without it
    Linux ACKs a small segment at once when the application reads it."""
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 0)


def rr_server(host, port, fast, slow, slow_set):
    slow_set = {int(x) for x in slow_set.split(",")}
    s = listener(host, int(port))
    s.settimeout(30)
    c, _ = s.accept()
    i = 0
    while True:
        delack(c)
        req = recv_line(c)
        if not req:
            break
        i += 1
        time.sleep(float(slow) if i in slow_set else float(fast))
        body = b"item %02d: " % i + b"x" * 150 + b"\n"
        c.sendall(b"200 OK len=%d\n" % len(body) + body)
    c.close()


def rr_client(host, port, count, think):
    c = connect(host, int(port))
    f = c.makefile("rb")
    for i in range(1, int(count) + 1):
        t = time.monotonic()
        c.sendall(b"GET /item/%02d\n" % i)
        delack(c)
        head = f.readline()
        assert head.startswith(b"200"), head
        f.readline()
        say("request %2d answered in %.0f ms" % (i, (time.monotonic() - t) * 1000))
        time.sleep(float(think))
    c.close()


ROLES = {
    "bulk-server": bulk_server, "bulk-client": bulk_client,
    "connect-expect": connect_expect,
    "zw-server": zw_server, "zw-client": zw_client,
    "abort-server": abort_server, "abort-client": abort_client,
    "echo-server": echo_server, "ka-client": ka_client, "rt-client": rt_client,
    "syn-scan": syn_scan, "login-server": login_server, "login-client": login_client,
    "rr-server": rr_server, "rr-client": rr_client,
}

if __name__ == "__main__":
    signal.alarm(int(os.environ.get("PEER_TIMEOUT", "60")))  # never hang the script
    ROLES[sys.argv[1]](*sys.argv[2:])
EOF
}

# ===================================================================== main
setup_netns
write_helpers
make_bulk
make_refused
make_zero_window
make_abort
make_keepalive
make_retrans
make_scan
make_delayed_ack
check_all

mkdir -p "$OUT"
for f in "${FILES[@]}"; do
    install -m 644 "$WORK/$f" "$OUT/$f"
done
log "done; files in $OUT:"
(cd "$OUT" && ls -l "${FILES[@]}") >&2
