#!/usr/bin/env bash
# make-scenarios.sh - real traces for the scenario suite (tests/scenarios.json, test
# cli.scenarios; issue 14 item 6) into testdata/scenarios/:
#
#   clean-http.pcap          python http.server, curl downloads 40 kB: nothing wrong
#   clean-ftp-pasv.pcap      vsftpd: login, passive LIST and RETR, QUIT: nothing wrong
#   clean-dns.pcap           dnsmasq: A, AAAA, MX, TXT, PTR, all NOERROR
#   clean-dhcp.pcap          dnsmasq DHCP + dhclient: a new lease, then RELEASE
#   clean-tls12.pcap         openssl s_server -WWW / s_client -tls1_2, one GET
#   clean-tls13.pcap         the same with -tls1_3
#   ftp-port-syn-lost.pcap   active FTP: the server's data-connection SYNs (from port 20, after
#                            PORT and RETR) are dropped before the client; vsftpd answers 425
#   ftp-pasv-syn-lost.pcap   passive FTP: the client's SYNs to the 227 port are dropped at the
#                            server; the client gives up and sends no LIST/RETR, only QUIT
#   ftp-pasv-not-captured.pcap  a healthy passive session captured with filter `port 21`: the
#                            data connections are not in the trace (150 and 226 arrive)
#   dns-late-servfail.pcap   a DNS server that drops the first two copies of each query and
#                            answers the third (dig's retry) with SERVFAIL
#   tcp-idle-reset.pcap      request/response, 12 s idle, then the server resets (SO_LINGER 0)
#   tcp-syn-at-end.pcap      an HTTP GET, then a SYN to a black-holed port as the trace's last
#                            packet (the capture cut right after it with editcap)
#   span-duplicates.pcap     clean-http.pcap with every frame written twice, same time stamp:
#                            what a SPAN port that copies both directions of a VLAN delivers
#
# Two namespaces, ctana-scen-a (clients; every capture is taken there on sveth-a) and
# ctana-scen-b (servers), 10.99.3.1 / 10.99.3.2 on one veth pair, offloads off. Packet drops are
# nftables rules in one namespace (table inet ctana_scen). Nothing leaves the namespaces.
#
# Usage: sudo tools/capture/make-scenarios.sh   (no arguments, root, ~1 min)
#   KEEP_WORK=1  keep the temporary work directory.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SCRIPT_DIR/../.." && pwd)
OUT="$REPO/testdata/scenarios"

LOG_TAG=make-scenarios
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$SCRIPT_DIR/lib.sh"

NSA=ctana-scen-a
NSB=ctana-scen-b
VA=sveth-a
VB=sveth-b
A4=10.99.3.1
B4=10.99.3.2
FTP_USER=ctanascen
FTP_PASS='Scen4rioPass!'
PASV_PORT=30000
MAX_FILE=120000

need_root "network namespaces, tcpdump, nft, vsftpd, dhclient, useradd"
ensure_tools tcpdump:tcpdump tshark:tshark capinfos:wireshark-common editcap:wireshark-common \
    ip:iproute2 ss:iproute2 ethtool:ethtool nft:nftables dnsmasq:dnsmasq-base dig:dnsutils \
    vsftpd:vsftpd openssl:openssl curl:curl dhclient:isc-dhcp-client useradd:passwd chpasswd:passwd

USER_CREATED=0
work_begin scenarios "$NSA" "$NSB"

in_a() { ip netns exec "$NSA" "$@"; }
in_b() { ip netns exec "$NSB" "$@"; }
IN_B=(ip netns exec "$NSB")
PEER_A=(ip netns exec "$NSA" "$PY" "$WORK/peers.py")
PEER_B=(ip netns exec "$NSB" "$PY" "$WORK/peers.py")
flush_neigh() { in_a ip neigh flush all; in_b ip neigh flush all; }
# drop NS RULE : add one nftables drop rule (chain input) in NS; undrop NS removes them all
drop() {
    ip netns exec "$1" nft add table inet ctana_scen
    ip netns exec "$1" nft add chain inet ctana_scen input '{ type filter hook input priority 0 ; }'
    ip netns exec "$1" nft add rule inet ctana_scen input "$2" drop
}
undrop() { ip netns exec "$1" nft delete table inet ctana_scen 2>/dev/null || true; }

setup_netns() {
    netns_create "$NSA"
    netns_create "$NSB"
    ip link add "$VA" netns "$NSA" address 02:00:00:99:03:01 type veth peer name "$VB" netns "$NSB" \
        address 02:00:00:99:03:02
    no_offload "$NSA" "$VA"
    no_offload "$NSB" "$VB"
    ip -n "$NSA" addr add "$A4/24" dev "$VA"
    ip -n "$NSB" addr add "$B4/24" dev "$VB"
    ip -n "$NSA" link set "$VA" up
    ip -n "$NSB" link set "$VB" up
    sleep 3
}

write_peers() {
    cat >"$WORK/peers.py" <<'EOF'
import ftplib, os, signal, socket, struct, sys, time

def ftp_client(host, user, password, mode):
    """pasv-ok: LIST + RETR passive; port-lost: active RETR whose data connection never comes
    (expects 425); pasv-lost: PASV, the data connection's SYNs go unanswered, QUIT."""
    ftp = ftplib.FTP(host, timeout=(4 if mode == "pasv-lost" else 20))
    ftp.login(user, password)
    if mode == "pasv-ok":
        lines = []
        ftp.retrlines("LIST", lines.append)
        data = bytearray()
        ftp.retrbinary("RETR sample.txt", data.extend)
        assert len(data) > 1000 and lines, (len(data), lines)
    elif mode == "port-lost":
        ftp.set_pasv(False)
        try:
            ftp.retrbinary("RETR sample.txt", lambda b: None)
            raise SystemExit("port-lost: the transfer worked")
        except ftplib.error_temp as err:
            assert str(err).startswith("425"), err
    elif mode == "pasv-lost":
        try:
            ftp.retrlines("LIST", lambda l: None)
            raise SystemExit("pasv-lost: the data connection worked")
        except (TimeoutError, socket.timeout, OSError):
            pass
    ftp.quit()

def dns_stub(host, port, drops):
    """Answer each question (name, type) SERVFAIL on its (drops+1)-th copy; ignore the others."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((host, int(port)))
    seen = {}
    while True:
        q, peer = s.recvfrom(4096)
        if len(q) < 12:
            continue
        i = 12
        while i < len(q) and q[i] != 0:
            i += 1 + q[i]
        end = i + 5
        key = q[12:end]
        seen[key] = seen.get(key, 0) + 1
        if seen[key] <= int(drops):
            continue
        flags = 0x8000 | (struct.unpack("!H", q[2:4])[0] & 0x0100) | 0x0080 | 2
        s.sendto(q[:2] + struct.pack("!HHHHH", flags, 1, 0, 0, 0) + q[12:end], peer)

def idle_server(host, port, idle):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((host, int(port)))
    ls.listen(1)
    c, _ = ls.accept()
    assert c.recv(100) == b"status?\n"
    c.sendall(b"status: all good\n")
    time.sleep(float(idle))
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    c.close()

def idle_client(host, port):
    c = socket.create_connection((host, int(port)))
    c.sendall(b"status?\n")
    assert c.recv(100) == b"status: all good\n"
    try:
        assert c.recv(100) == b"", "no more data expected"
    except ConnectionResetError:
        return
    raise SystemExit("idle-client: no reset")

def pcap_dup(src, dst):
    """Write every record of a classic pcap twice (same time stamp)."""
    with open(src, "rb") as f:
        data = f.read()
    endian = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    out, i = [data[:24]], 24
    while i + 16 <= len(data):
        incl = struct.unpack(endian + "I", data[i + 8:i + 12])[0]
        rec = data[i:i + 16 + incl]
        out += [rec, rec]
        i += 16 + incl
    with open(dst, "wb") as f:
        f.write(b"".join(out))

ROLES = {"ftp-client": ftp_client, "dns-stub": dns_stub, "idle-server": idle_server,
         "idle-client": idle_client, "pcap-dup": pcap_dup}

if __name__ == "__main__":
    signal.alarm(int(os.environ.get("PEER_TIMEOUT", "60")))
    ROLES[sys.argv[1]](*sys.argv[2:])
EOF
}

# ------------------------------------------------------------------ HTTP
http_clean() {
    log "== clean-http.pcap"
    mkdir -p "$WORK/www"
    head -c 40000 /dev/urandom >"$WORK/www/file.bin"
    bg "${IN_B[@]}" "$PY" -m http.server --bind "$B4" --directory "$WORK/www" 8080
    local spid=$LAST_PID
    wait_listen "$NSB" tcp 8080
    flush_neigh
    cap_start clean-http.pcap "$NSA" "$VA"
    in_a curl -sS -o "$WORK/got.bin" "http://$B4:8080/file.bin"
    cmp -s "$WORK/got.bin" "$WORK/www/file.bin" || die "http download differs"
    cap_stop clean-http.pcap
    log "== tcp-syn-at-end.pcap"
    drop "$NSB" "tcp dport 8099"
    flush_neigh
    cap_start syn-raw.pcap "$NSA" "$VA"
    in_a curl -sS -o /dev/null "http://$B4:8080/file.bin"
    sleep 0.3
    in_a curl -sS -m 1.5 -o /dev/null "http://$B4:8099/" 2>/dev/null && die "port 8099 answered"
    cap_stop syn-raw.pcap
    undrop "$NSB"
    kill -TERM "$spid"; wait "$spid" || true
    local n
    n=$(tshark -n -r "$WORK/syn-raw.pcap" -Y 'tcp.dstport == 8099 && tcp.flags.syn == 1' -T fields \
        -e frame.number 2>/dev/null | head -1)
    [[ $n =~ ^[0-9]+$ ]] || die "no SYN to port 8099 in the capture"
    editcap -r "$WORK/syn-raw.pcap" "$WORK/tcp-syn-at-end.pcap" "1-$n"
    log "== span-duplicates.pcap"
    "$PY" "$WORK/peers.py" pcap-dup "$WORK/clean-http.pcap" "$WORK/span-duplicates.pcap"
}

# ------------------------------------------------------------------ FTP
ftp_setup() {
    local root=$WORK/ftproot empty=$WORK/empty
    mkdir -p "$root" "$empty"
    chmod 755 "$root"; chmod 555 "$empty"
    "$PY" -c 'import sys
with open(sys.argv[1], "w") as f:
    for i in range(60): f.write("ctana scenario sample line %03d: the quick brown fox\n" % i)' "$root/sample.txt"
    chmod 644 "$root/sample.txt"
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
connect_timeout=5
seccomp_sandbox=NO
secure_chroot_dir=$empty
pam_service_name=vsftpd
userlist_enable=NO
dirmessage_enable=NO
xferlog_enable=NO
hide_ids=YES
ftpd_banner=ctana scenario FTP server
EOF
}

# ftp FILE MODE [tcpdump filter...]
ftp() {
    local f=$1 mode=$2; shift 2
    log "== $f"
    bg "${IN_B[@]}" vsftpd "$WORK/vsftpd.conf"
    local ftp_pid=$LAST_PID
    wait_listen "$NSB" tcp 21
    flush_neigh
    cap_start "$f" "$NSA" "$VA" "$@"
    "${PEER_A[@]}" ftp-client "$B4" "$FTP_USER" "$FTP_PASS" "$mode"
    cap_stop "$f"
    kill -TERM "$ftp_pid"; wait "$ftp_pid" || true
}

# ------------------------------------------------------------------ DNS
dns_clean() {
    log "== clean-dns.pcap"
    bg "${IN_B[@]}" dnsmasq --keep-in-foreground --conf-file=/dev/null --user=root --group=root \
        --pid-file="$WORK/dns.pid" --no-resolv --no-hosts --no-poll --port=53 \
        --listen-address="$B4" --bind-interfaces --local=/ctana.test/ \
        --address=/www.ctana.test/10.99.3.80 --host-record=host.ctana.test,10.99.3.81,fd00:99:3::81 \
        --host-record=mail.ctana.test,10.99.3.25 --mx-host=ctana.test,mail.ctana.test,10 \
        --txt-record=ctana.test,"v=ctana1 scenario record"
    local dpid=$LAST_PID
    wait_listen "$NSB" udp 53
    flush_neigh
    cap_start clean-dns.pcap "$NSA" "$VA"
    local q
    for q in "www.ctana.test A" "host.ctana.test AAAA" "ctana.test MX" "ctana.test TXT" \
             "-x 10.99.3.81" "host.ctana.test A"; do
        # shellcheck disable=SC2086
        in_a dig +tries=1 +time=3 +nocookie "@$B4" $q | grep -q 'status: NOERROR' || die "dig $q"
        sleep 0.1
    done
    cap_stop clean-dns.pcap
    kill -TERM "$dpid"; wait "$dpid" || true
}

dns_late_servfail() {
    log "== dns-late-servfail.pcap"
    bg "${PEER_B[@]}" dns-stub "$B4" 53 2
    local spid=$LAST_PID
    wait_listen "$NSB" udp 53
    flush_neigh
    cap_start dns-late-servfail.pcap "$NSA" "$VA"
    in_a dig +tries=3 +time=1 +nocookie "@$B4" db.ctana.test A | grep -q 'status: SERVFAIL' ||
        die "dig: no late SERVFAIL"
    cap_stop dns-late-servfail.pcap
    kill -TERM "$spid"; wait "$spid" || true
}

# ------------------------------------------------------------------ DHCP
dhcp_clean() {
    log "== clean-dhcp.pcap"
    bg "${IN_B[@]}" dnsmasq --keep-in-foreground --conf-file=/dev/null --user=root --group=root \
        --pid-file="$WORK/dhcp.pid" --port=0 --interface="$VB" --bind-interfaces --dhcp-authoritative \
        --dhcp-range=10.99.3.100,10.99.3.150,255.255.255.0,1h --dhcp-option=3,$B4 \
        --dhcp-option=6,$B4 --dhcp-leasefile="$WORK/leases"
    local dpid=$LAST_PID
    wait_listen "$NSB" udp 67
    printf '#!/bin/sh\nexit 0\n' >"$WORK/dhclient-script"
    chmod +x "$WORK/dhclient-script"
    cap_start clean-dhcp.pcap "$NSA" "$VA" udp port 67 or udp port 68
    local dh=(timeout 20 dhclient -4 -1 -sf "$WORK/dhclient-script" -pf "$WORK/dh.pid" -lf "$WORK/dh.lease")
    in_a "${dh[@]}" "$VA" 2>>"$WORK/dhclient.log" || die "dhclient: no lease"
    in_a "${dh[@]}" -r "$VA" 2>>"$WORK/dhclient.log" || true
    cap_stop clean-dhcp.pcap
    kill -TERM "$dpid"; wait "$dpid" || true
}

# ------------------------------------------------------------------ TLS
tls_clean() { # FILE -tls1_2|-tls1_3
    local f=$1 v=$2
    log "== $f"
    [[ -e $WORK/cert.pem ]] || openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
        -keyout "$WORK/key.pem" -out "$WORK/cert.pem" -days 30 -subj "/CN=www.ctana.test" \
        -addext "subjectAltName=DNS:www.ctana.test" 2>/dev/null
    mkdir -p "$WORK/tlswww"
    printf 'hello over TLS\n' >"$WORK/tlswww/hello.txt"
    # shellcheck disable=SC2016
    bg "${IN_B[@]}" sh -c 'cd "$1" && shift && exec "$@"' sh "$WORK/tlswww" openssl s_server \
        -accept "$B4:4433" -naccept 1 -WWW -cert "$WORK/cert.pem" -key "$WORK/key.pem" >/dev/null 2>&1
    local spid=$LAST_PID
    wait_listen "$NSB" tcp 4433
    flush_neigh
    cap_start "$f" "$NSA" "$VA"
    printf 'GET /hello.txt HTTP/1.0\r\nHost: www.ctana.test\r\n\r\n' |
        in_a timeout 10 openssl s_client -connect "$B4:4433" -servername www.ctana.test "$v" -ign_eof \
            -quiet >"$WORK/$f.out" 2>/dev/null || true
    grep -q 'hello over TLS' "$WORK/$f.out" || die "$f: no answer over TLS"
    cap_stop "$f"
    kill -TERM "$spid" 2>/dev/null || true
    wait "$spid" || true
}

# ------------------------------------------------------------------ idle then reset
idle_reset() {
    log "== tcp-idle-reset.pcap"
    bg "${PEER_B[@]}" idle-server "$B4" 45070 12
    local spid=$LAST_PID
    wait_listen "$NSB" tcp 45070
    flush_neigh
    cap_start tcp-idle-reset.pcap "$NSA" "$VA"
    "${PEER_A[@]}" idle-client "$B4" 45070
    wait "$spid"
    cap_stop tcp-idle-reset.pcap
}

# ===================================================================== main
setup_netns
write_peers
http_clean
ftp_setup
ftp clean-ftp-pasv.pcap pasv-ok
ftp ftp-pasv-not-captured.pcap pasv-ok port 21
drop "$NSA" "tcp sport 20"
ftp ftp-port-syn-lost.pcap port-lost
undrop "$NSA"
drop "$NSB" "tcp dport $PASV_PORT"
ftp ftp-pasv-syn-lost.pcap pasv-lost
undrop "$NSB"
dns_clean
dns_late_servfail
dhcp_clean
tls_clean clean-tls12.pcap -tls1_2
tls_clean clean-tls13.pcap -tls1_3
idle_reset

mkdir -p "$OUT"
for f in "$WORK"/*.pcap; do
    b=$(basename "$f")
    [[ $b == syn-raw.pcap ]] && continue
    size=$(stat -c %s "$f")
    ((size <= MAX_FILE)) || die "$b: $size bytes (limit $MAX_FILE)"
    cp "$f" "$OUT/$b"
    log "$b: $size bytes, $(capinfos -T -r -M -c "$f" | cut -f2) packets"
done
