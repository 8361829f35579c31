#!/usr/bin/env bash
# make-testdata.sh - regenerate the small real-traffic captures in testdata/real/.
#
# Builds two network namespaces (ctana-a, ctana-b) joined by a veth pair,
# runs real servers/clients between them (python http.server, curl, dnsmasq,
# dig, ping, vsftpd + python ftplib, small python TCP echo peers) and captures
# the traffic with tcpdump / dumpcap from inside the namespaces.
#
# All traffic stays inside those namespaces (10.99.x.x / fd00:99:: exist only
# there) or on their loopback devices. Nothing is sent to any other address.
#
# Usage: sudo tools/capture/make-testdata.sh      (no arguments, runs as root)
#   KEEP_WORK=1  keep the temporary work directory for debugging.
#
# See tools/capture/README.md for what each file contains.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SCRIPT_DIR/../.." && pwd)
OUT="$REPO/testdata/real"

NSA=ctana-a
NSB=ctana-b
VA=veth-a            # lives in ctana-a
VB=veth-b            # lives in ctana-b
MAC_A=02:00:00:99:00:01
MAC_B=02:00:00:99:00:02
A4=10.99.0.1
B4=10.99.0.2
A6=fd00:99::1
B6=fd00:99::2
# 802.1Q VLAN 100
A4_V100=10.99.100.1
B4_V100=10.99.100.2
A6_V100=fd00:99:100::1
B6_V100=fd00:99:100::2
# QinQ: 802.1ad outer 200, 802.1Q inner 300
A4_QQ=10.99.200.1
B4_QQ=10.99.200.2

FTP_USER=ctanatest
FTP_PASS='Secr3tPass!'
FTP_WRONG_PASS='WrongPass42'
PASV_PORT=30000

LOG_TAG=make-testdata
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$SCRIPT_DIR/lib.sh"   # PY, log, die, bg, cap_start/cap_stop, netns_create, ...

need_root "network namespaces, tcpdump, vsftpd, useradd"

# ---------------------------------------------------------------- dependencies
ensure_tools tcpdump:tcpdump tshark:tshark dumpcap:wireshark-common \
    editcap:wireshark-common mergecap:wireshark-common capinfos:wireshark-common \
    dnsmasq:dnsmasq-base vsftpd:vsftpd dig:dnsutils ping:iputils-ping ip:iproute2 \
    ss:iproute2 ethtool:ethtool curl:curl useradd:passwd chpasswd:passwd

# ------------------------------------------------------------- state / cleanup
BPFFS_MOUNTED=0
VLAN_MODE=
cleanup_extra() {  # called by work_end (lib.sh) on exit
    [[ $BPFFS_MOUNTED == 1 ]] && umount "$WORK/bpffs"
    return 0
}
work_begin capture "$NSA" "$NSB"

in_a() { ip netns exec "$NSA" "$@"; }
in_b() { ip netns exec "$NSB" "$@"; }

flush_neigh() {
    in_a ip neigh flush all
    in_b ip neigh flush all
}

# ------------------------------------------------------------------ namespaces
# veth_pair NAME-A MAC-A NAME-B MAC-B : one end in each namespace, offloads off.
veth_pair() {
    ip link add "$1" netns "$NSA" address "$2" type veth peer name "$3" netns "$NSB" address "$4"
    no_offload "$NSA" "$1"
    no_offload "$NSB" "$3"
}

# Load three tiny eBPF tc programs (hand-assembled, no clang needed) and pin
# them: push100 (push 802.1Q tag 100), pushqq (push 802.1Q 300, then 802.1ad
# 200 outside it) and pop (pop up to two tags). Used only when the kernel has
# no 802.1Q support (CONFIG_VLAN_8021Q unset), see README.
load_vlan_bpf() {
    mkdir -p "$WORK/bpffs"
    mount -t bpf ctana-bpf "$WORK/bpffs"
    BPFFS_MOUNTED=1
    cat >"$WORK/vlanbpf.py" <<'EOF'
import ctypes, os, platform, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
NR_BPF = {"x86_64": 321, "aarch64": 280}[platform.machine()]
BPF_PROG_LOAD, BPF_OBJ_PIN, BPF_PROG_TYPE_SCHED_CLS = 5, 6, 3
FUNC_SKB_VLAN_PUSH, FUNC_SKB_VLAN_POP = 18, 19
MOV_X, MOV_K, CALL, EXIT = 0xBF, 0xB7, 0x85, 0x95   # BPF_ALU64|BPF_MOV|X/K, BPF_JMP|CALL/EXIT

def insn(op, dst=0, src=0, off=0, imm=0):
    return struct.pack("<BBhi", op, (src << 4) | dst, off, imm)

def prog(calls):
    code = insn(MOV_X, 6, 1)                       # r6 = skb
    for helper, args in calls:
        code += insn(MOV_X, 1, 6)                  # r1 = skb
        for i, a in enumerate(args):
            code += insn(MOV_K, 2 + i, imm=a)      # r2.. = args
        code += insn(CALL, imm=helper)
    return code + insn(MOV_K, 0, imm=0) + insn(EXIT)   # return TC_ACT_OK

def load(code, name):
    lic = ctypes.create_string_buffer(b"GPL")
    logbuf = ctypes.create_string_buffer(65536)
    ins = ctypes.create_string_buffer(code, len(code))
    attr = ctypes.create_string_buffer(128)
    struct.pack_into("<IIQQIIQII16s", attr, 0, BPF_PROG_TYPE_SCHED_CLS, len(code) // 8,
                     ctypes.addressof(ins), ctypes.addressof(lic), 1, len(logbuf),
                     ctypes.addressof(logbuf), 0, 0, name.encode()[:15])
    fd = libc.syscall(NR_BPF, BPF_PROG_LOAD, attr, len(attr))
    if fd < 0:
        sys.exit("BPF_PROG_LOAD %s: %s\n%s" % (name, os.strerror(ctypes.get_errno()),
                                                logbuf.value.decode(errors="replace")))
    return fd

def pin(fd, path):
    p = ctypes.create_string_buffer(path.encode())
    attr = ctypes.create_string_buffer(128)
    struct.pack_into("<QII", attr, 0, ctypes.addressof(p), fd, 0)
    if libc.syscall(NR_BPF, BPF_OBJ_PIN, attr, len(attr)) != 0:
        sys.exit("BPF_OBJ_PIN %s: %s" % (path, os.strerror(ctypes.get_errno())))

be16 = lambda v: struct.unpack("=H", struct.pack(">H", v))[0]   # __be16 argument
Q, AD = be16(0x8100), be16(0x88A8)
d = sys.argv[1]
pin(load(prog([(FUNC_SKB_VLAN_PUSH, (Q, 100))]), "ctana_push100"), d + "/push100")
pin(load(prog([(FUNC_SKB_VLAN_PUSH, (Q, 300)), (FUNC_SKB_VLAN_PUSH, (AD, 200))]), "ctana_pushqq"), d + "/pushqq")
pin(load(prog([(FUNC_SKB_VLAN_POP, ()), (FUNC_SKB_VLAN_POP, ())]), "ctana_pop"), d + "/pop")
EOF
    "$PY" "$WORK/vlanbpf.py" "$WORK/bpffs"
}

attach_vlan_bpf() { # NS DEV PUSH-PROG
    tc -n "$1" qdisc add dev "$2" clsact
    tc -n "$1" filter add dev "$2" egress bpf direct-action object-pinned "$WORK/bpffs/$3"
    tc -n "$1" filter add dev "$2" ingress bpf direct-action object-pinned "$WORK/bpffs/pop"
}

# Two more veth pairs carry the tagged traffic: vlan-a/vlan-b (802.1Q VID 100)
# and qinq-a/qinq-b (802.1ad S-VID 200 + 802.1Q C-VID 300). The captures are
# taken on vlan-a and qinq-a, so the tags are inside the captured frames.
setup_vlan_links() {
    veth_pair vlan-a 02:00:00:99:64:01 vlan-b 02:00:00:99:64:02
    veth_pair qinq-a 02:00:00:99:c8:01 qinq-b 02:00:00:99:c8:02
    local v_a v_b q_a q_b
    if ip -n "$NSA" link add link vlan-a name vlan-a.100 type vlan id 100 2>/dev/null; then
        VLAN_MODE=subif
        ip -n "$NSB" link add link vlan-b name vlan-b.100 type vlan id 100
        ip -n "$NSA" link add link qinq-a name qinq-a.200 type vlan proto 802.1ad id 200
        ip -n "$NSB" link add link qinq-b name qinq-b.200 type vlan proto 802.1ad id 200
        ip -n "$NSA" link add link qinq-a.200 name qinq-a.200.300 type vlan id 300
        ip -n "$NSB" link add link qinq-b.200 name qinq-b.200.300 type vlan id 300
        v_a=vlan-a.100 v_b=vlan-b.100 q_a=qinq-a.200.300 q_b=qinq-b.200.300
        ip -n "$NSA" link set vlan-a up; ip -n "$NSA" link set qinq-a up; ip -n "$NSA" link set qinq-a.200 up
        ip -n "$NSB" link set vlan-b up; ip -n "$NSB" link set qinq-b up; ip -n "$NSB" link set qinq-b.200 up
    else
        VLAN_MODE=tc-bpf
        log "kernel has no 802.1Q VLAN devices; tagging with tc eBPF (skb_vlan_push/pop) instead"
        load_vlan_bpf
        attach_vlan_bpf "$NSA" vlan-a push100
        attach_vlan_bpf "$NSB" vlan-b push100
        attach_vlan_bpf "$NSA" qinq-a pushqq
        attach_vlan_bpf "$NSB" qinq-b pushqq
        v_a=vlan-a v_b=vlan-b q_a=qinq-a q_b=qinq-b
    fi
    # 8 bytes of tags must still fit through the veth: 1492 + 14 + 8 = 1514
    ip -n "$NSA" link set "$q_a" mtu 1492
    ip -n "$NSB" link set "$q_b" mtu 1492
    ip -n "$NSA" addr add "$A4_V100/24" dev "$v_a"
    ip -n "$NSB" addr add "$B4_V100/24" dev "$v_b"
    ip -n "$NSA" addr add "$A6_V100/64" dev "$v_a" nodad
    ip -n "$NSB" addr add "$B6_V100/64" dev "$v_b" nodad
    ip -n "$NSA" addr add "$A4_QQ/24" dev "$q_a"
    ip -n "$NSB" addr add "$B4_QQ/24" dev "$q_b"
    ip -n "$NSA" link set "$v_a" up; ip -n "$NSA" link set "$q_a" up
    ip -n "$NSB" link set "$v_b" up; ip -n "$NSB" link set "$q_b" up
}

setup_netns() {
    # quiet, deterministic IPv6: no DAD, no router solicitations / RA
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
    setup_vlan_links
    # Let the kernel's initial link-up chatter (MLD reports) die down before
    # any capture starts.
    sleep 3
}

# --------------------------------------------------------------- helper files
write_helpers() {
    # One-shot TCP request/response peer. Deterministic payloads.
    cat >"$WORK/echo.py" <<'EOF'
import socket, sys
mode, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
fam = socket.AF_INET6 if ":" in host else socket.AF_INET
if mode == "server":
    n = int(sys.argv[4])
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.settimeout(60)
    s.bind((host, port)); s.listen(4)
    for _ in range(n):
        c, _ = s.accept()
        c.settimeout(10)
        data = b""
        while not data.endswith(b"\n"):
            d = c.recv(4096)
            if not d:
                break
            data += d
        c.sendall(b"ctana-echo: " + data)
        c.close()
    s.close()
else:
    msg = sys.argv[4].encode() + b"\n"
    c = socket.create_connection((host, port), timeout=10)
    c.sendall(msg)
    got = b""
    while True:
        d = c.recv(4096)
        if not d:
            break
        got += d
    c.close()
    if got != b"ctana-echo: " + msg:
        sys.exit("unexpected reply %r" % got)
EOF
    # One UDP datagram to a (closed) port.
    cat >"$WORK/udp1.py" <<'EOF'
import socket, sys
host, port = sys.argv[1], int(sys.argv[2])
fam = socket.AF_INET6 if ":" in host else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
s.sendto(b"ctana udp probe to a closed port\n", (host, port))
s.close()
EOF
}

echo_pair() { # NS_SERVER NS_CLIENT HOST PORT MSG
    bg ip netns exec "$1" "$PY" "$WORK/echo.py" server "$3" "$4" 1
    local spid=$LAST_PID
    wait_listen "$1" tcp "$4"
    ip netns exec "$2" "$PY" "$WORK/echo.py" client "$3" "$4" "$5"
    wait "$spid"
}

ping4() { ip netns exec "$1" ping -n -q -i 0.2 -W 2 "${@:2}" >/dev/null; }
ping6() { ip netns exec "$1" ping -6 -n -q -i 0.2 -W 2 "${@:2}" >/dev/null; }

# ===================================================== 1. tcp-v4-v6.pcap
make_tcp() {
    log "== tcp-v4-v6.pcap"
    local www=$WORK/www
    mkdir -p "$www"
    printf 'hello from ctana test server\n' >"$www/hello.txt"
    "$PY" -c 'import random,sys; sys.stdout.buffer.write(random.Random(99).randbytes(100*1024))' >"$www/bulk.bin"
    touch -d '2024-01-01 00:00:00 UTC' "$www/hello.txt" "$www/bulk.bin"

    bg ip netns exec "$NSB" "$PY" -m http.server --bind :: --directory "$www" 8080 \
        >"$WORK/http.log" 2>&1
    local http_pid=$LAST_PID
    wait_listen "$NSB" tcp 8080
    flush_neigh

    cap_start tcp-v4-v6.pcap "$NSA" "$VA"
    local curl=(curl -sS --noproxy '*' -m 10 -o /dev/null)
    in_a "${curl[@]}" "http://$B4:8080/hello.txt"
    in_a "${curl[@]}" "http://[$B6]:8080/hello.txt"
    in_a "${curl[@]}" "http://$B4:8080/bulk.bin"
    local rc=0
    in_a "${curl[@]}" "http://$B4:8081/" 2>/dev/null || rc=$?
    [[ $rc -eq 7 ]] || die "expected connection refused (curl 7) on v4, got $rc"
    rc=0
    in_a "${curl[@]}" "http://[$B6]:8081/" 2>/dev/null || rc=$?
    [[ $rc -eq 7 ]] || die "expected connection refused (curl 7) on v6, got $rc"
    cap_stop tcp-v4-v6.pcap

    kill -TERM "$http_pid"; wait "$http_pid" || true
}

# ===================================================== 2. dns-icmp.pcapng
make_dns_icmp() {
    log "== dns-icmp.pcapng"
    bg ip netns exec "$NSB" dnsmasq --keep-in-foreground --conf-file=/dev/null \
        --user=root --group=root --pid-file="$WORK/dnsmasq.pid" \
        --no-resolv --no-hosts --no-poll --port=53 \
        --listen-address="$B4" --listen-address="$B6" --bind-interfaces \
        --log-queries --log-facility="$WORK/dnsmasq.log" \
        --local=/ctana.test/ \
        --address=/www.ctana.test/10.99.0.80 \
        --address=/www.ctana.test/fd00:99::80 \
        --host-record=host.ctana.test,10.99.0.81,fd00:99::81 \
        --host-record=mail.ctana.test,10.99.0.25 \
        --mx-host=ctana.test,mail.ctana.test,10 \
        --txt-record=ctana.test,"v=ctana1 static test record" \
        >"$WORK/dnsmasq.out" 2>&1
    local dns_pid=$LAST_PID
    wait_listen "$NSB" udp 53
    flush_neigh

    dcap_start dns-icmp.pcapng "$NSA" "$VA"
    local dig=(dig +tries=1 +time=3 +nocookie)
    local q out
    while read -r server name type expect; do
        if [[ $type == PTR ]]; then q=(-x "$name"); else q=("$name" "$type"); fi
        out=$(in_a "${dig[@]}" "@$server" "${q[@]}")
        grep -q "status: $expect" <<<"$out" || { echo "$out" >&2; die "dig $name $type: expected $expect"; }
    done <<EOF
$B4 www.ctana.test A NOERROR
$B6 www.ctana.test AAAA NOERROR
$B6 host.ctana.test AAAA NOERROR
$B4 ctana.test MX NOERROR
$B4 ctana.test TXT NOERROR
$B4 10.99.0.81 PTR NOERROR
$B4 nosuch.ctana.test A NXDOMAIN
EOF
    ping4 "$NSA" -c 3 "$B4"
    ping6 "$NSA" -c 3 "$B6"
    in_a "$PY" "$WORK/udp1.py" "$B4" 9999
    in_a "$PY" "$WORK/udp1.py" "$B6" 9999
    sleep 0.3
    ping4 "$NSA" -M want -s 3000 -c 2 "$B4"
    ping6 "$NSA" -M want -s 3000 -c 2 "$B6"
    cap_stop dns-icmp.pcapng

    kill -TERM "$dns_pid"; wait "$dns_pid" || true
}

# ===================================================== 3. vlan-qinq.pcap
make_vlan() {
    log "== vlan-qinq.pcap (VLAN mode: $VLAN_MODE)"
    flush_neigh
    cap_start vq-vlan.pcap "$NSA" vlan-a
    cap_start vq-qinq.pcap "$NSA" qinq-a
    ping4 "$NSA" -c 2 "$B4_V100"
    ping6 "$NSA" -c 2 "$B6_V100"
    echo_pair "$NSB" "$NSA" "$B4_V100" 7100 "hello over 802.1Q vlan 100"
    ping4 "$NSA" -c 2 "$B4_QQ"
    echo_pair "$NSB" "$NSA" "$B4_QQ" 7200 "hello over QinQ 802.1ad 200 / 802.1Q 300"
    cap_stop vq-vlan.pcap vq-qinq.pcap
    # both are Ethernet/usec: merge chronologically into one classic pcap
    mergecap -F pcap -w "$WORK/vlan-qinq.pcap" "$WORK/vq-vlan.pcap" "$WORK/vq-qinq.pcap"
}

# ===================================================== 4. sll-any.pcap / sll2-any.pcap
make_sll() {
    local file=$1 dlt=$2
    log "== $file ($dlt)"
    flush_neigh
    cap_start "$file" "$NSA" any -y "$dlt"
    ping4 "$NSA" -c 2 127.0.0.1
    ping6 "$NSA" -c 2 ::1
    echo_pair "$NSA" "$NSA" 127.0.0.1 7300 "hello over loopback ($dlt)"
    ping4 "$NSA" -c 1 "$B4"
    cap_stop "$file"
}

# ===================================================== 5. multi-if.pcapng
make_multi() {
    log "== multi-if.pcapng"
    flush_neigh
    cap_start mi-veth.pcap "$NSA" "$VA"                                  # EN10MB, usec
    cap_start mi-lo.pcap "$NSA" lo --time-stamp-precision=nano           # EN10MB, nsec
    cap_start mi-any.pcap "$NSA" any -y LINUX_SLL                        # LINUX_SLL, usec
    echo_pair "$NSB" "$NSA" "$B4" 7400 "hello over veth (multi-if)"
    ping4 "$NSA" -c 2 127.0.0.1
    ping6 "$NSA" -c 2 "$B6"
    in_a "$PY" "$WORK/udp1.py" 127.0.0.1 9998
    cap_stop mi-veth.pcap mi-lo.pcap mi-any.pcap
    # one IDB per input file (different link types / tsresol are never merged)
    mergecap -F pcapng -w "$WORK/multi-if.pcapng" \
        "$WORK/mi-veth.pcap" "$WORK/mi-lo.pcap" "$WORK/mi-any.pcap"
}

# ===================================================== 6. ftp-login.pcap
make_ftp() {
    log "== ftp-login.pcap"
    local root=$WORK/ftproot empty=$WORK/empty
    mkdir -p "$root" "$empty"
    chmod 755 "$root"; chmod 555 "$empty"
    "$PY" - "$root/ctana-sample.txt" <<'EOF'
import sys
with open(sys.argv[1], "w") as f:
    i = 0
    while f.tell() < 20 * 1024:
        f.write("ctana ftp sample line %05d: the quick brown fox jumps over the lazy dog\n" % i)
        i += 1
EOF
    printf 'small file fetched in active (PORT) mode\n' >"$root/small.txt"
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
port_enable=YES
connect_from_port_20=YES
seccomp_sandbox=NO
secure_chroot_dir=$empty
pam_service_name=vsftpd
userlist_enable=NO
dirmessage_enable=NO
xferlog_enable=NO
use_localtime=NO
hide_ids=YES
ftpd_banner=ctana test FTP server
EOF
    bg ip netns exec "$NSB" vsftpd "$WORK/vsftpd.conf" >"$WORK/vsftpd.out" 2>&1
    local ftp_pid=$LAST_PID
    wait_listen "$NSB" tcp 21

    cat >"$WORK/ftpclient.py" <<'EOF'
import ftplib, sys
host, user, good, bad = sys.argv[1:5]
# 1) wrong password -> 530, then QUIT
f = ftplib.FTP()
f.connect(host, 21, timeout=15)
try:
    f.login(user, bad)
    sys.exit("wrong password was accepted")
except ftplib.error_perm as e:
    assert str(e).startswith("530"), e
f.quit()
# 2) right password, PWD, LIST + RETR (passive), RETR (active/PORT), QUIT
f = ftplib.FTP()
f.connect(host, 21, timeout=15)
f.login(user, good)
f.pwd()
f.set_pasv(True)
lines = []
f.retrlines("LIST", lines.append)
assert any("ctana-sample.txt" in l for l in lines), lines
data = bytearray()
f.retrbinary("RETR ctana-sample.txt", data.extend)
assert len(data) >= 20 * 1024, len(data)
f.set_pasv(False)
small = bytearray()
f.retrbinary("RETR small.txt", small.extend)
assert small.startswith(b"small file"), small
f.quit()
EOF
    flush_neigh
    cap_start ftp-login.pcap "$NSA" "$VA"
    in_a "$PY" "$WORK/ftpclient.py" "$B4" "$FTP_USER" "$FTP_PASS" "$FTP_WRONG_PASS"
    cap_stop ftp-login.pcap

    kill -TERM "$ftp_pid"; wait "$ftp_pid" || true
}

# ------------------------------------------------------------------ checks
linktypes() { # print the set of per-interface encapsulations of a file
    tshark -n -r "$1" -T fields -e frame.encap_type 2>/dev/null | sort -u | tr '\n' ' '
}
check_encap() { # FILE EXPECTED-ENCAP-LIST (wiretap encap numbers, sorted)
    local got
    got=$(linktypes "$WORK/$1")
    [[ "$got" == "$2 " ]] || die "$1: expected frame.encap_type '$2', got '$got'"
}

# ===================================================================== main
setup_netns
write_helpers
make_tcp
make_dns_icmp
make_vlan
make_sll sll-any.pcap LINUX_SLL
make_sll sll2-any.pcap LINUX_SLL2
make_multi
make_ftp

# wiretap encapsulation numbers: 1 = Ethernet, 25 = Linux SLL, 210 = Linux SLL2
check_encap tcp-v4-v6.pcap 1
check_encap dns-icmp.pcapng 1
check_encap vlan-qinq.pcap 1
check_encap sll-any.pcap 25
check_encap sll2-any.pcap 210
check_encap multi-if.pcapng "1 25"
[[ $(tshark -n -r "$WORK/vlan-qinq.pcap" -Y 'vlan.id == 100 && !ieee8021ad' 2>/dev/null | wc -l) -gt 0 ]] \
    || die "vlan-qinq.pcap: no single-tagged 802.1Q VID 100 frames found"
[[ $(tshark -n -r "$WORK/vlan-qinq.pcap" -Y 'ieee8021ad.id == 200 && vlan.id == 300' 2>/dev/null | wc -l) -gt 0 ]] \
    || die "vlan-qinq.pcap: no 802.1ad 200 / 802.1Q 300 frames found"
[[ $(tshark -n -r "$WORK/ftp-login.pcap" -Y 'ftp.request.arg contains "Secr3tPass!"' 2>/dev/null | wc -l) -eq 1 ]] \
    || die "ftp-login.pcap: password not found exactly once"

capinfos "$WORK/multi-if.pcapng" >"$WORK/multi-if.capinfos" 2>/dev/null
grep -q 'Time precision = nanoseconds (9)' "$WORK/multi-if.capinfos" \
    || die "multi-if.pcapng: no interface with nanosecond resolution"
grep -q 'Time precision = microseconds (6)' "$WORK/multi-if.capinfos" \
    || die "multi-if.pcapng: no interface with microsecond resolution"

mkdir -p "$OUT"
for f in tcp-v4-v6.pcap dns-icmp.pcapng vlan-qinq.pcap sll-any.pcap sll2-any.pcap multi-if.pcapng ftp-login.pcap; do
    install -m 644 "$WORK/$f" "$OUT/$f"
done
log "done; files in $OUT:"
ls -l "$OUT" >&2
