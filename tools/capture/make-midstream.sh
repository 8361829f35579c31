#!/usr/bin/env bash
# make-midstream.sh - a capture that starts in the middle of TLS connections (issue 21, mid-stream
# resync), between openssl s_server and s_client on the loopback interface of a namespace of its own
# (ctana-midtls, 127.0.0.1 only), into testdata/real/tls-midstream.pcap. tcpdump starts only after
# every handshake is done, so the capture holds no SYN and no handshake:
#   1 port 4433 (a TLS port), TLS 1.3: the server is in the middle of sending 64 KB in 16 KB records
#     when the capture starts (the client stopped reading, the buffers are full), so the server's
#     first captured byte is inside a record; then the client sends four lines, the server two, and
#     the client closes (close_notify)
#   2 port 5555 (no TLS port), TLS 1.2: the same
#   3 port 5556, plain TCP (python peers): text lines and a binary message that holds one plausible
#     TLS record header; nothing may be taken for TLS
# The namespace's loopback has an MTU of 1500, no segmentation offload and small socket buffers
# (net.ipv4.tcp_rmem/wmem), so 16 KB records span many segments and few bytes are in flight.
# Run as root (namespace, tcpdump); needs openssl, tcpdump, python3.
set -euo pipefail
SCRIPT_DIR=$(cd "$(dirname "$0")" && pwd)
OUT=$SCRIPT_DIR/../../testdata/real
NS=ctana-midtls
LOG_TAG=make-midstream
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$SCRIPT_DIR/lib.sh"
need_root "network namespace, tcpdump"
ensure_tools openssl:openssl tcpdump:tcpdump capinfos:wireshark-common ethtool:ethtool

cleanup_extra() {  # called by work_end (lib.sh) on exit
    for fd in "${FDS[@]}"; do eval "exec $fd>&-"; done
    return 0
}
FDS=()
work_begin midtls "$NS"

netns_create "$NS"
ip -n "$NS" link set lo mtu 1500
# no segmentation offload: segments of the MTU, as on a wire (tcpdump missed large GSO packets on lo)
ip netns exec "$NS" ethtool -K lo tso off gso off gro off >/dev/null
ip netns exec "$NS" sysctl -q -w net.ipv4.tcp_rmem="4096 8192 8192" net.ipv4.tcp_wmem="4096 8192 8192"

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/key.pem" -out "$WORK/cert.pem" -days 30 \
    -subj "/CN=mid.ctana.test" >/dev/null 2>&1

CLOSE_FDS='for f in /proc/$$/fd/*; do n=${f##*/}; if ((n > 2)); then eval "exec $n>&-"; fi; done 2>/dev/null; '
# tls_pair NAME PORT VERSION-OPTION: s_server and s_client connected, each reading its input from a
# FIFO (fd in SRV_FD / CLI_FD), the client's pid in CLI_PID; the handshake and one line each way done.
tls_pair() {
    local name=$1 port=$2 ver=$3
    mkfifo "$WORK/$name.srv" "$WORK/$name.cli"
    # bash closes the FIFOs of the other pair (inherited: they would keep its input open), opens
    # its own (waiting for the writer below), then execs openssl: $! is openssl's pid
    bg ip netns exec "$NS" bash -c "$CLOSE_FDS"'exec openssl s_server -accept "$1" -cert "$2" -key "$3" -naccept 1 -quiet "$4" \
        <"$5" >/dev/null 2>&1' _ "$port" "$WORK/cert.pem" "$WORK/key.pem" "$ver" "$WORK/$name.srv"
    exec {SRV_FD}>"$WORK/$name.srv"
    FDS+=("$SRV_FD")
    wait_listen "$NS" tcp "$port"
    bg ip netns exec "$NS" bash -c "$CLOSE_FDS"'exec openssl s_client -connect "127.0.0.1:$1" -servername mid.ctana.test "$2" \
        -quiet -no_ign_eof -nocommands <"$3" >/dev/null 2>&1' _ "$port" "$ver" "$WORK/$name.cli"
    CLI_PID=$LAST_PID
    exec {CLI_FD}>"$WORK/$name.cli"
    FDS+=("$CLI_FD")
    sleep 1
    printf 'hello from the client before the capture\n' >&"$CLI_FD"
    printf '0: hello from the server before the capture\n' >&"$SRV_FD"
    sleep 0.5
}

# stall PAIR: the client stops reading; the server writes 64 KB (16 KB records) until it blocks
stall() {
    kill -STOP "$CLI_PID"
    # digits and spaces only: s_server takes a read that starts with a letter (Q, R, ...) for a command
    (
        for fd in "${FDS[@]}"; do [[ $fd == "$SRV_FD" ]] || eval "exec $fd>&-"; done  # only its FIFO
        head -c 20000 /dev/urandom | od -An -tu1 -v | head -c 65536 >&"$SRV_FD"
    ) &
    sleep 1
}

# talk: the client reads again (the rest of the 64 KB), four lines from the client, two from the
# server, with pauses; then the client's input ends: close_notify and FIN
talk() {
    kill -CONT "$CLI_PID"
    sleep 0.5
    local i
    for i in 1 2 3 4; do
        printf 'client line %d after the capture started\n' "$i" >&"$CLI_FD"
        sleep 0.3
        if ((i % 2 == 0)); then printf '%d: a line from the server\n' "$i" >&"$SRV_FD"; fi
        sleep 0.2
    done
    exec {CLI_FD}>&-
    sleep 0.5
}

# the plain TCP pair on 5556: a line server and a client that waits for "$WORK/go" between messages
cat >"$WORK/plain.py" <<'EOF'
import os, socket, sys, time
role, port, go = sys.argv[1], int(sys.argv[2]), sys.argv[3]
if role == "server":
    ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port)); ls.listen(1)
    c, _ = ls.accept()
    while True:
        d = c.recv(4096)
        if not d:
            break
        c.sendall(b"OK " + str(len(d)).encode() + b" bytes\r\n")
    c.close()
else:
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"HELLO before the capture\r\n"); s.recv(100)
    while not os.path.exists(go):
        time.sleep(0.05)
    msgs = [b"GET /index.html HTTP/1.1\r\nHost: mid.ctana.test\r\nAccept: */*\r\n\r\n",
            # one plausible TLS header (application data, TLS 1.2, 16 bytes), then no other
            b"\x00\x01BIN" + b"\x17\x03\x03\x00\x10" + bytes(range(16)) + b"\x99\x98\x97\x96\x95" + bytes(200),
            b"DATA " + b"x" * 3000 + b"\r\n",
            b"QUIT\r\n"]
    for m in msgs:
        s.sendall(m); s.recv(100); time.sleep(0.3)
    s.shutdown(socket.SHUT_WR)  # FIN; read what is left until the server's FIN (no RST)
    while s.recv(4096):
        pass
    s.close()
EOF
bg ip netns exec "$NS" "$PY" "$WORK/plain.py" server 5556 "$WORK/go"
wait_listen "$NS" tcp 5556
bg ip netns exec "$NS" "$PY" "$WORK/plain.py" client 5556 "$WORK/go"

tls_pair a 4433 -tls1_3
A_SRV=$SRV_FD A_CLI=$CLI_FD A_PID=$CLI_PID
tls_pair b 5555 -tls1_2
B_SRV=$SRV_FD B_CLI=$CLI_FD B_PID=$CLI_PID
SRV_FD=$A_SRV CLI_PID=$A_PID stall
SRV_FD=$B_SRV CLI_PID=$B_PID stall

# tcpdump must not hold the FIFOs open (the clients would never see the end of their input)
eval "cap_start midstream.pcap \"\$NS\" lo tcp $(for fd in "${FDS[@]}"; do printf '%s>&- ' "$fd"; done)"
touch "$WORK/go"
SRV_FD=$A_SRV CLI_FD=$A_CLI CLI_PID=$A_PID talk
SRV_FD=$B_SRV CLI_FD=$B_CLI CLI_PID=$B_PID talk
sleep 1
cap_stop midstream.pcap
cp "$WORK/midstream.pcap" "$OUT/tls-midstream.pcap"
log "wrote $OUT/tls-midstream.pcap"
