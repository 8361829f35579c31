#!/usr/bin/env bash
# make-apps.sh - real application captures the other scripts do not make, between two network
# namespaces (ctana-apps-a: clients, capture point; ctana-apps-b: servers) joined by a veth pair
# (10.98.0.1 / 10.98.0.2), into testdata/real/:
#   ftp-errors.pcap  vsftpd: login, RETR of a missing file (550), SIZE of it (550), RETR of a
#                    present file (passive), QUIT
#   ftp-tls.pcap     vsftpd with ssl_enable: AUTH TLS (234), TLS handshake on the control
#                    connection, login inside TLS, LIST with a clear data connection (PROT C), QUIT
#   dns-tcp.pcap     dnsmasq: dig +tcp for a name that exists (NOERROR) and one that does not
#                    (NXDOMAIN), and one UDP query (NOERROR)
#   tls-ports.pcap   openssl s_server on port 5555 (no TLS port): TLS 1.3 and TLS 1.2 with a short
#                    exchange and close_notify (encrypted alerts), and a client offering only
#                    TLS 1.3 to a server capped at TLS 1.2 (fatal protocol_version), plus a plain
#                    TCP exchange on port 5556 that is not TLS
# Run as root (namespaces, tcpdump, useradd); ~20 s. Existing files are overwritten.
set -euo pipefail
SCRIPT_DIR=$(cd "$(dirname "$0")" && pwd)
OUT=$SCRIPT_DIR/../../testdata/real
NSA=ctana-apps-a
NSB=ctana-apps-b
A4=10.98.0.1
B4=10.98.0.2
FTP_USER=ctanaapps
FTP_PASS='Apps5ecret!'
PASV_PORT=30100

LOG_TAG=make-apps
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$SCRIPT_DIR/lib.sh"
need_root "network namespaces, tcpdump, vsftpd, useradd"
ensure_tools tcpdump:tcpdump tshark:tshark capinfos:wireshark-common dnsmasq:dnsmasq-base vsftpd:vsftpd \
    dig:dnsutils openssl:openssl ip:iproute2 ss:iproute2 ethtool:ethtool useradd:passwd chpasswd:passwd

work_begin apps "$NSA" "$NSB"

in_a() { ip netns exec "$NSA" "$@"; }
flush_neigh() { in_a ip neigh flush all; ip netns exec "$NSB" ip neigh flush all; }

netns_create "$NSA"
netns_create "$NSB"
ip link add apps-a netns "$NSA" address 02:00:00:98:00:01 type veth peer name apps-b netns "$NSB" \
    address 02:00:00:98:00:02
no_offload "$NSA" apps-a
no_offload "$NSB" apps-b
ip -n "$NSA" addr add "$A4/24" dev apps-a
ip -n "$NSB" addr add "$B4/24" dev apps-b
ip -n "$NSA" link set apps-a up
ip -n "$NSB" link set apps-b up
sleep 3   # link-up noise settles before any capture

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/key.pem" -out "$WORK/cert.pem" -days 30 \
    -subj "/CN=ftp.ctana.test" >/dev/null 2>&1
chmod 644 "$WORK/key.pem"

# ================================================================ FTP
root=$WORK/ftproot
empty=$WORK/empty
mkdir -p "$root" "$empty"
chmod 755 "$root"; chmod 555 "$empty"
printf 'a file that exists\n' >"$root/present.txt"
chmod 644 "$root/present.txt"
touch -d '2024-01-01 00:00:00 UTC' "$root/present.txt"
if ! id "$FTP_USER" >/dev/null 2>&1; then
    useradd -m -s /bin/sh "$FTP_USER"
    USER_CREATED=1
fi
printf '%s:%s\n' "$FTP_USER" "$FTP_PASS" | chpasswd

vsftpd_conf() { # FILE
    cat >"$1" <<EOF
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
seccomp_sandbox=NO
secure_chroot_dir=$empty
pam_service_name=vsftpd
userlist_enable=NO
dirmessage_enable=NO
xferlog_enable=NO
use_localtime=NO
hide_ids=YES
ftpd_banner=ctana apps FTP server
EOF
}

cat >"$WORK/ftp-errors.py" <<'EOF'
import ftplib, sys
host, user, pw = sys.argv[1:4]
f = ftplib.FTP()
f.connect(host, 21, timeout=15)
f.login(user, pw)
f.set_pasv(True)
for cmd in ("RETR no-such-file.txt", "SIZE no-such-file.txt"):
    try:
        if cmd.startswith("RETR"):
            f.retrbinary(cmd, lambda b: None)
        else:
            f.sendcmd(cmd)
        sys.exit(cmd + " succeeded")
    except ftplib.error_perm as e:
        assert str(e).startswith("550"), e
data = bytearray()
f.retrbinary("RETR present.txt", data.extend)
assert data.startswith(b"a file"), data
f.quit()
EOF
cat >"$WORK/ftp-tls.py" <<'EOF'
import ftplib, ssl, sys
host, user, pw = sys.argv[1:4]
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
ctx.maximum_version = ssl.TLSVersion.TLSv1_2   # a handshake with readable Certificate etc.
f = ftplib.FTP_TLS(context=ctx)
f.connect(host, 21, timeout=15)
f.auth()                 # AUTH TLS -> 234, then the handshake
f.login(user, pw)        # inside TLS
f.prot_c()               # data connections in clear
lines = []
f.retrlines("LIST", lines.append)
assert any("present.txt" in l for l in lines), lines
f.quit()
EOF

run_ftp() { # NAME SCRIPT [vsftpd extra lines]
    local name=$1 script=$2
    shift 2
    vsftpd_conf "$WORK/$name.conf"
    printf '%s\n' "$@" >>"$WORK/$name.conf"
    bg ip netns exec "$NSB" vsftpd "$WORK/$name.conf" >"$WORK/$name.vsftpd.out" 2>&1
    local pid=$LAST_PID
    wait_listen "$NSB" tcp 21
    flush_neigh
    cap_start "$name" "$NSA" apps-a
    in_a "$PY" "$WORK/$script" "$B4" "$FTP_USER" "$FTP_PASS"
    cap_stop "$name"
    kill -TERM "$pid"; wait "$pid" || true
}
log "== ftp-errors.pcap"
run_ftp ftp-errors.pcap ftp-errors.py
log "== ftp-tls.pcap"
run_ftp ftp-tls.pcap ftp-tls.py ssl_enable=YES "rsa_cert_file=$WORK/cert.pem" "rsa_private_key_file=$WORK/key.pem" \
    force_local_logins_ssl=NO force_local_data_ssl=NO require_ssl_reuse=NO ssl_ciphers=HIGH

# ================================================================ DNS over TCP
log "== dns-tcp.pcap"
bg ip netns exec "$NSB" dnsmasq --keep-in-foreground --conf-file=/dev/null --user=root --group=root \
    --pid-file="$WORK/dnsmasq.pid" --no-resolv --no-hosts --no-poll --port=53 --listen-address="$B4" \
    --bind-interfaces --local=/ctana.test/ --address=/www.ctana.test/10.98.0.80 >"$WORK/dnsmasq.out" 2>&1
dns_pid=$LAST_PID
wait_listen "$NSB" tcp 53
flush_neigh
cap_start dns-tcp.pcap "$NSA" apps-a
dig=(dig +tries=1 +time=3 +nocookie "@$B4")
in_a "${dig[@]}" +tcp www.ctana.test A | grep -q "status: NOERROR" || die "dig +tcp www: not NOERROR"
in_a "${dig[@]}" +tcp nosuch.ctana.test A | grep -q "status: NXDOMAIN" || die "dig +tcp nosuch: not NXDOMAIN"
in_a "${dig[@]}" www.ctana.test A | grep -q "status: NOERROR" || die "dig www: not NOERROR"
cap_stop dns-tcp.pcap
kill -TERM "$dns_pid"; wait "$dns_pid" || true

# ================================================================ TLS on a port of its own
log "== tls-ports.pcap"
serve() { # extra s_server options; answers one connection
    bg ip netns exec "$NSB" openssl s_server -accept 5555 -cert "$WORK/cert.pem" -key "$WORK/key.pem" -quiet \
        -naccept 1 "$@"
    wait_listen "$NSB" tcp 5555
}
flush_neigh
cap_start tls-ports.pcap "$NSA" apps-a
serve </dev/null
printf 'hello over TLS 1.3\n' | in_a timeout 5 openssl s_client -connect "$B4:5555" -servername app.ctana.test \
    -tls1_3 -quiet >/dev/null 2>&1 || true
serve </dev/null
printf 'hello over TLS 1.2\n' | in_a timeout 5 openssl s_client -connect "$B4:5555" -servername app.ctana.test \
    -tls1_2 -quiet >/dev/null 2>&1 || true
serve -max_protocol TLSv1.2 </dev/null
in_a timeout 5 openssl s_client -connect "$B4:5555" -servername new.ctana.test -tls1_3 </dev/null >/dev/null 2>&1 || true
# not TLS: a line of text to a plain TCP server on 5556
bg ip netns exec "$NSB" "$PY" -c '
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("'"$B4"'", 5556)); s.listen(1)
c, _ = s.accept(); c.sendall(c.recv(100).upper()); c.close()'
wait_listen "$NSB" tcp 5556
in_a "$PY" -c '
import socket
s = socket.create_connection(("'"$B4"'", 5556)); s.sendall(b"\x16\x03\x01 not a TLS record\n"); s.recv(100); s.close()'
cap_stop tls-ports.pcap

# ================================================================ checks, install
count() { tshark -n -r "$WORK/$1" -d tcp.port==5555,tls -Y "$2" 2>/dev/null | wc -l; }
[[ $(count ftp-errors.pcap 'ftp.response.code == 550') -eq 2 ]] || die "ftp-errors.pcap: expected two 550 replies"
[[ $(count ftp-tls.pcap 'ftp.response.code == 234') -eq 1 ]] || die "ftp-tls.pcap: no 234 reply"
[[ $(count ftp-tls.pcap 'tls.handshake.type == 11') -ge 1 ]] || die "ftp-tls.pcap: no TLS Certificate"
[[ $(count dns-tcp.pcap 'tcp && dns.flags.rcode == 3') -eq 1 ]] || die "dns-tcp.pcap: no NXDOMAIN over TCP"
[[ $(count tls-ports.pcap 'tls.alert_message.desc == 70') -eq 1 ]] || die "tls-ports.pcap: no protocol_version alert"
mkdir -p "$OUT"
for f in ftp-errors.pcap ftp-tls.pcap dns-tcp.pcap tls-ports.pcap; do
    install -m 644 "$WORK/$f" "$OUT/$f"
done
log "done"
