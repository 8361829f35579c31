#!/usr/bin/env bash
# make-tn3270.sh - capture real TN3270 traffic into testdata/real/tn3270.pcap (docs/tn3270.md):
# Hercules (the S/370-ESA/390-z/Architecture emulator) in one network namespace, its integrated
# 3270 console listening on port 23 with two 3270 devices (0010, 0011) and no operating system
# IPLed; s3270 (suite3270's scripting 3270 emulator) in another, a veth pair between them
# (10.32.0.1 terminals, 10.32.0.2 Hercules), tcpdump on Hercules's side. The sessions:
#   1. s3270 connects (TERMINAL-TYPE IBM-3278-4-E, BINARY, EOR), Hercules writes its logo screen
#      (an Erase/Write), s3270 presses Enter; no guest system runs, so the host never answers: the
#      keyboard stays locked and the terminal gives up and closes (a key never answered)
#   2. the same with PF3, 3. with Clear
#   4. s3270 asks for device 0099 (s3270 0099@host, which Hercules reads from the terminal type):
#      Hercules writes "Connection rejected, device 0099 unavailable" and leaves the connection
#      open; s3270 gives up waiting for the host to close it after 5 s and closes
#   5. a client that refuses TERMINAL-TYPE (answers WONT to Hercules's DO; a few lines of Python:
#      Hercules is real, the refusing client is not an emulator): Hercules closes the connection
# Hercules does not offer TN3270E (it never sends DO TN3270E), and without a guest system no
# host answers a key: TN3270E negotiation and host response times are in the crafted traces
# (tools/craft/make-tn3270.py), not here.
# Needs root (namespaces, tcpdump), hercules, s3270, tcpdump.
set -euo pipefail
cd "$(dirname "$0")/../.."
LOG_TAG=make-tn3270
source tools/capture/lib.sh
need_root
ensure_tools hercules:hercules s3270:s3270 tcpdump:tcpdump ip:iproute2 ss:iproute2 ethtool:ethtool
out=testdata/real/tn3270.pcap
NSC=ctana-3270-c NSS=ctana-3270-s
work_begin tn3270 "$NSC" "$NSS"
netns_destroy "$NSC"; netns_destroy "$NSS"
ip netns add "$NSC"; ip netns add "$NSS"
ip link add ctana-3c type veth peer name ctana-3s
ip link set ctana-3c netns "$NSC"; ip link set ctana-3s netns "$NSS"
ip -n "$NSC" addr add 10.32.0.1/24 dev ctana-3c; ip -n "$NSS" addr add 10.32.0.2/24 dev ctana-3s
for ns in "$NSC" "$NSS"; do ip -n "$ns" link set lo up; done
ip -n "$NSC" link set ctana-3c up; ip -n "$NSS" link set ctana-3s up
no_offload "$NSC" ctana-3c   # checksums filled in, segments as on a wire (lib.sh)
no_offload "$NSS" ctana-3s

# A minimal Hercules configuration: no DASD, nothing to IPL; the console port and two terminals.
cat > "$WORK/hercules.cnf" <<'EOF'
CPUSERIAL 000611
CPUMODEL  3090
MAINSIZE  16
XPNDSIZE  0
CNSLPORT  23
NUMCPU    1
ARCHMODE  ESA/390
0010      3270
0011      3270
EOF
cat > "$WORK/refuse.py" <<'PY'
# Answers every DO with WONT and every WILL with DONT (a Telnet client that is no 3270 emulator).
import socket, time
s = socket.create_connection(("10.32.0.2", 23))
s.settimeout(1.0)
end = time.time() + 4
buf = b""
while time.time() < end:
    try:
        d = s.recv(4096)
    except socket.timeout:
        continue
    if not d:
        break
    buf += d
    while len(buf) >= 3 and buf[0] == 0xFF and buf[1] in (251, 252, 253, 254):
        verb, opt = buf[1], buf[2]
        buf = buf[3:]
        if verb == 253:
            s.sendall(bytes([255, 252, opt]))
        elif verb == 251:
            s.sendall(bytes([255, 254, opt]))
    if buf and buf[0] != 0xFF:
        buf = b""
s.close()
PY

bg ip netns exec "$NSS" tcpdump -i ctana-3s -U -s 0 -w "$WORK/tn3270.pcap" 'tcp port 23' 2>/dev/null
(cd "$WORK" && ip netns exec "$NSS" hercules -d -f "$WORK/hercules.cnf" >"$WORK/hercules.log" 2>&1) &
PIDS+=($!)
for _ in $(seq 100); do ip netns exec "$NSS" ss -ltn | grep -q ':23 ' && break; sleep 0.1; done
sleep 0.5
# s3270 blocks on a key until the host unlocks the keyboard, which no host does here: the
# terminal is stopped (SIGTERM; it closes the connection) two seconds after its key.
key() {
    printf 'Connect(10.32.0.2:23)\nWait(10,Output)\nAscii(0,0,80)\n%s\n' "$1" |
        ip netns exec "$NSC" timeout -s TERM 3 s3270 >/dev/null 2>&1 || true
    sleep 0.5
}
key 'Enter()'
key 'PF(3)'
key 'Clear()'
printf 'Connect(0099@10.32.0.2:23)\nWait(5,Output)\nAscii()\nWait(5,Disconnect)\nQuit()\n' |
    ip netns exec "$NSC" timeout 8 s3270 >/dev/null 2>&1 || true
sleep 0.5
ip netns exec "$NSC" "$PY" "$WORK/refuse.py" || true
sleep 1
kill -INT "${PIDS[0]}" 2>/dev/null || true
wait "${PIDS[0]}" 2>/dev/null || true
cp "$WORK/tn3270.pcap" "$out"
log "$out: $(tcpdump -nr "$out" 2>/dev/null | wc -l) packets"
