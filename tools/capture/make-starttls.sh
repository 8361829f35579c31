#!/usr/bin/env bash
# make-starttls.sh - real captures of TLS that starts inside another protocol, between real
# servers and clients on the loopback interface of a network namespace of its own (ctana-starttls,
# 127.0.0.1 only), into testdata/real/:
#   starttls-mail.pcap  postfix (25: STARTTLS offered, TLS 1.2 at least; 587: no TLS) and dovecot
#                       (IMAP 143, POP3 110), driven by openssl s_client -starttls and python:
#                         1 SMTP STARTTLS, TLS 1.3, EHLO and QUIT inside
#                         2 SMTP STARTTLS by a client that offers only TLS 1.1: fatal protocol_version
#                         3 SMTP STARTTLS on 587 where postfix has no TLS: 502 (refused)
#                         4 IMAP STARTTLS, TLS 1.2, LOGIN inside
#                         5 IMAP STARTTLS by a client that verifies the self-signed certificate: fatal unknown_ca
#                         6 IMAP LOGIN in clear (python imaplib) although STARTTLS is offered
#                         7 POP3 STLS, TLS 1.3, USER/PASS inside
#                         8 POP3 USER/PASS in clear (python poplib)
#   starttls-ldap.pcap  slapd (389):
#                         1 StartTLS (ldapwhoami -ZZ), simple bind inside TLS
#                         2 StartTLS by openssl s_client -starttls ldap, TLS 1.2
#                         3 simple bind with a password in clear (ldapwhoami without -Z)
#                         4 slapd without TLS: StartTLS refused, then a simple bind in clear (-Z)
#   starttls-db.pcap    PostgreSQL 15 (5432) and MariaDB (3306):
#                         1 psql sslmode=require: SSLRequest, 'S', TLS 1.3, password inside
#                         2 psql sslmode=disable: cleartext password in clear (pg_hba method password)
#                         3 MariaDB client --ssl: SSL request, TLS
#                         4 MariaDB client --skip-ssl: no TLS
#                         5 PostgreSQL with ssl off: SSLRequest answered 'N', then the password in clear
#   starttls-xmpp.pcap  prosody (5222):
#                         1 <starttls/> and <proceed/> (openssl s_client -starttls xmpp)
#                         2 SASL PLAIN in clear (tools/capture/xmpp_plain.py), STARTTLS offered but not used
#   http-connect.pcap   tinyproxy (3128) in front of openssl s_server (443):
#                         1 curl through CONNECT 127.0.0.1:443: 200, TLS
#                         2 CONNECT to a port the proxy does not allow: 403
#   telnet-starttls.pcap  Telnet START_TLS (option 46) between python peers (tools/capture/telnet_starttls.py):
#                         1 DO, WILL, SB FOLLOWS both ways, TLS, a line inside
#                         2 a server that answers the client's WILL START_TLS with DONT
# Sections can be picked: make-starttls.sh [mail|ldap|db|xmpp|proxy|telnet]...  (default: all).
# Run as root (namespace, tcpdump, servers); installs what it needs with tools/deps.sh capture.
set -euo pipefail
SCRIPT_DIR=$(cd "$(dirname "$0")" && pwd)
OUT=$SCRIPT_DIR/../../testdata/real
NS=ctana-starttls
LOG_TAG=make-starttls
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$SCRIPT_DIR/lib.sh"
need_root "network namespace, tcpdump, servers"
"$SCRIPT_DIR/../deps.sh" capture

cleanup_extra() {  # called by work_end (lib.sh) on exit
    [[ -n ${POSTFIX_CONF:-} ]] && ip netns exec "$NS" postfix -c "$POSTFIX_CONF" stop >/dev/null 2>&1
    return 0
}
work_begin starttls "$NS"

in_ns() { ip netns exec "$NS" "$@"; }
netns_create "$NS"

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/key.pem" -out "$WORK/cert.pem" -days 30 \
    -subj "/CN=mail.ctana.test" >/dev/null 2>&1
chmod 644 "$WORK/key.pem"

# client ARGS... : openssl s_client through STARTTLS, reading its input from stdin
client() { timeout 10 ip netns exec "$NS" openssl s_client -connect "$@" -quiet >/dev/null 2>&1 || true; sleep 0.5; }

# ================================================================ mail: postfix, dovecot
mail() {
    local pf=$WORK/postfix dv=$WORK/dovecot
    mkdir -p "$pf/conf" "$pf/spool" "$pf/data" "$dv/run" "$dv/state" "$dv/mail"
    chown postfix "$pf/data"
    chmod 777 "$dv/mail"
    cat >"$pf/conf/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $pf/spool
data_directory = $pf/data
maillog_file = $pf/postfix.log
maillog_file_prefixes = $WORK
myhostname = mail.ctana.test
mydomain = ctana.test
mydestination = ctana.test
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
local_recipient_maps =
smtpd_relay_restrictions = permit_mynetworks reject
smtpd_tls_cert_file = $WORK/cert.pem
smtpd_tls_key_file = $WORK/key.pem
smtpd_tls_security_level = may
smtpd_tls_protocols = >=TLSv1.2
smtpd_tls_mandatory_protocols = >=TLSv1.2
EOF
    # no chroot (the spool is a temporary directory); 587 without TLS
    cat >"$pf/conf/master.cf" <<'EOF'
smtp       inet  n - n - - smtpd
submission inet  n - n - - smtpd -o smtpd_tls_security_level=none
pickup     unix  n - n 60 1 pickup
cleanup    unix  n - n - 0 cleanup
qmgr       unix  n - n 300 1 qmgr
tlsmgr     unix  - - n 1000? 1 tlsmgr
rewrite    unix  - - n - - trivial-rewrite
bounce     unix  - - n - 0 bounce
defer      unix  - - n - 0 bounce
trace      unix  - - n - 0 bounce
verify     unix  - - n - 1 verify
flush      unix  n - n 1000? 0 flush
proxymap   unix  - - n - - proxymap
showq      unix  n - n - - showq
error      unix  - - n - - error
retry      unix  - - n - - error
discard    unix  - - n - - discard
local      unix  - n n - - local
anvil      unix  - - n - 1 anvil
scache     unix  - - n - 1 scache
postlog    unix-dgram n - n - 1 postlogd
EOF
    POSTFIX_CONF=$pf/conf
    in_ns postfix -c "$POSTFIX_CONF" start >/dev/null
    printf 'alice:{PLAIN}wonderland\n' >"$dv/users"
    chmod 644 "$dv/users"
    cat >"$dv/dovecot.conf" <<EOF
protocols = imap pop3
listen = 127.0.0.1
base_dir = $dv/run
state_dir = $dv/state
log_path = $dv/dovecot.log
ssl = yes
ssl_cert = <$WORK/cert.pem
ssl_key = <$WORK/key.pem
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = no
auth_mechanisms = plain login
passdb {
  driver = passwd-file
  args = scheme=PLAIN $dv/users
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=$dv/mail/%u
}
mail_location = maildir:$dv/mail/%u
EOF
    bg ip netns exec "$NS" dovecot -F -c "$dv/dovecot.conf"
    for port in 25 587 143 110; do wait_listen "$NS" tcp "$port"; done

    cap_start mail.pcap "$NS" lo 'tcp and (port 25 or port 587 or port 143 or port 110)'
    printf 'EHLO client.ctana.test\r\nQUIT\r\n' | client 127.0.0.1:25 -starttls smtp -servername mail.ctana.test -tls1_3
    client 127.0.0.1:25 -starttls smtp -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0' </dev/null
    client 127.0.0.1:587 -starttls smtp </dev/null
    printf 'a LOGIN alice wonderland\r\nb LOGOUT\r\n' | client 127.0.0.1:143 -starttls imap -tls1_2
    client 127.0.0.1:143 -starttls imap -verify_return_error -CAfile /etc/ssl/certs/ca-certificates.crt </dev/null
    in_ns "$PY" -c 'import imaplib; m = imaplib.IMAP4("127.0.0.1"); m.login("alice", "wonderland"); m.logout()'
    sleep 0.5
    printf 'USER alice\r\nPASS wonderland\r\nQUIT\r\n' | client 127.0.0.1:110 -starttls pop3 -tls1_3
    in_ns "$PY" -c 'import poplib; p = poplib.POP3("127.0.0.1"); p.user("alice"); p.pass_("wonderland"); p.quit()'
    cap_stop mail.pcap
    cp "$WORK/mail.pcap" "$OUT/starttls-mail.pcap"
    in_ns postfix -c "$POSTFIX_CONF" stop >/dev/null
    POSTFIX_CONF=
}

# ================================================================ ldap: slapd
ldap() {
    local d=$WORK/ldap
    mkdir -p "$d/db"
    write_slapd() {  # FILE, with TLS when $2 is 1
        {
            printf 'include /etc/ldap/schema/core.schema\npidfile %s/slapd.pid\n' "$d"
            printf 'modulepath /usr/lib/ldap\nmoduleload back_mdb\n'
            [[ $2 == 1 ]] && printf 'TLSCertificateFile %s\nTLSCertificateKeyFile %s\n' "$WORK/cert.pem" "$WORK/key.pem"
            printf 'database mdb\nsuffix "dc=ctana,dc=test"\nrootdn "cn=admin,dc=ctana,dc=test"\n'
            printf 'rootpw secret\ndirectory %s/db\n' "$d"
        } >"$1"
    }
    write_slapd "$d/tls.conf" 1
    write_slapd "$d/plain.conf" 0
    local who=(ldapwhoami -x -H ldap://127.0.0.1 -D cn=admin,dc=ctana,dc=test -w secret)
    bg ip netns exec "$NS" slapd -d 0 -h ldap://127.0.0.1:389/ -f "$d/tls.conf"
    local slapd_pid=$LAST_PID
    wait_listen "$NS" tcp 389
    cap_start ldap.pcap "$NS" lo 'tcp port 389'
    LDAPTLS_REQCERT=never in_ns "${who[@]}" -ZZ >/dev/null
    sleep 0.5
    client 127.0.0.1:389 -starttls ldap -tls1_2 </dev/null
    in_ns "${who[@]}" >/dev/null
    sleep 0.5
    kill -TERM "$slapd_pid"
    wait "$slapd_pid" 2>/dev/null || true
    bg ip netns exec "$NS" slapd -d 0 -h ldap://127.0.0.1:389/ -f "$d/plain.conf"
    wait_listen "$NS" tcp 389
    in_ns "${who[@]}" -Z >/dev/null 2>&1 || true
    cap_stop ldap.pcap
    cp "$WORK/ldap.pcap" "$OUT/starttls-ldap.pcap"
}

# ================================================================ db: PostgreSQL, MariaDB
as_pg() { ip netns exec "$NS" setpriv --reuid postgres --regid postgres --init-groups "$@"; }
db() {
    local pg=$WORK/pg my=$WORK/mysql bin=/usr/lib/postgresql/15/bin
    mkdir -p "$pg" "$my"
    cp "$WORK/cert.pem" "$WORK/key.pem" "$pg/"
    chown -R postgres "$pg"
    chmod 600 "$pg/key.pem"
    as_pg "$bin/initdb" -D "$pg/data" -A trust -U postgres >/dev/null
    cat >>"$pg/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = 5432
unix_socket_directories = '$pg'
ssl = on
ssl_cert_file = '$pg/cert.pem'
ssl_key_file = '$pg/key.pem'
EOF
    printf 'local all all trust\nhost all all 127.0.0.1/32 password\n' >"$pg/data/pg_hba.conf"
    bg ip netns exec "$NS" setpriv --reuid postgres --regid postgres --init-groups "$bin/postgres" -D "$pg/data"
    wait_listen "$NS" tcp 5432
    as_pg "$bin/psql" -q -h "$pg" -U postgres -c "ALTER USER postgres PASSWORD 'secret'" >/dev/null

    chown mysql "$my"
    mariadb-install-db --no-defaults --datadir="$my/data" --user=mysql --auth-root-authentication-method=normal \
        >"$WORK/mariadb-install.log" 2>&1
    cp "$WORK/cert.pem" "$WORK/key.pem" "$my/"
    chmod 644 "$my/key.pem"
    bg ip netns exec "$NS" mariadbd --no-defaults --datadir="$my/data" --user=mysql --bind-address=127.0.0.1 \
        --port=3306 --socket="$my/mysqld.sock" --pid-file="$my/mysqld.pid" \
        --ssl-cert="$my/cert.pem" --ssl-key="$my/key.pem"
    wait_listen "$NS" tcp 3306

    cap_start db.pcap "$NS" lo 'tcp and (port 5432 or port 3306)'
    PGPASSWORD=secret in_ns psql -q "host=127.0.0.1 user=postgres sslmode=require" -c 'select 1' >/dev/null
    sleep 0.5
    PGPASSWORD=secret in_ns psql -q "host=127.0.0.1 user=postgres sslmode=disable" -c 'select 1' >/dev/null
    sleep 0.5
    in_ns mariadb -h 127.0.0.1 -P 3306 -u root --ssl -e 'select 1' >/dev/null 2>&1 || true
    sleep 0.5
    in_ns mariadb -h 127.0.0.1 -P 3306 -u root --skip-ssl -e 'select 1' >/dev/null 2>&1 || true
    sleep 0.5
    as_pg "$bin/psql" -q -h "$pg" -U postgres -c 'ALTER SYSTEM SET ssl = off' -c 'SELECT pg_reload_conf()' >/dev/null
    sleep 1
    PGPASSWORD=secret in_ns psql -q "host=127.0.0.1 user=postgres sslmode=prefer" -c 'select 1' >/dev/null
    cap_stop db.pcap
    cp "$WORK/db.pcap" "$OUT/starttls-db.pcap"
}

# ================================================================ xmpp: prosody
xmpp() {
    local d=$WORK/prosody
    mkdir -p "$d/data"
    cp "$WORK/cert.pem" "$WORK/key.pem" "$d/"
    cat >"$d/prosody.cfg.lua" <<EOF
pidfile = "$d/prosody.pid"
data_path = "$d/data"
log = { info = "$d/prosody.log" }
interfaces = { "127.0.0.1" }
c2s_ports = { 5222 }
modules_enabled = { "roster"; "saslauth"; "tls"; "disco"; "ping" }
modules_disabled = { "s2s" }
c2s_require_encryption = false
allow_unencrypted_plain_auth = true
authentication = "internal_plain"
ssl = { certificate = "$d/cert.pem"; key = "$d/key.pem" }
VirtualHost "ctana.test"
EOF
    chown -R prosody "$d"
    ip netns exec "$NS" setpriv --reuid prosody --regid prosody --init-groups \
        prosodyctl --config "$d/prosody.cfg.lua" register alice ctana.test wonderland >/dev/null
    bg ip netns exec "$NS" setpriv --reuid prosody --regid prosody --init-groups prosody -F --config "$d/prosody.cfg.lua"
    wait_listen "$NS" tcp 5222
    cap_start xmpp.pcap "$NS" lo 'tcp port 5222'
    client 127.0.0.1:5222 -starttls xmpp -xmpphost ctana.test </dev/null
    in_ns "$PY" "$SCRIPT_DIR/xmpp_plain.py" 127.0.0.1 5222 ctana.test alice wonderland
    cap_stop xmpp.pcap
    cp "$WORK/xmpp.pcap" "$OUT/starttls-xmpp.pcap"
}

# ================================================================ proxy: tinyproxy
proxy() {
    local d=$WORK/tinyproxy
    mkdir -p "$d"
    chmod 777 "$d"
    cat >"$d/tinyproxy.conf" <<EOF
User nobody
Group nogroup
Port 3128
Listen 127.0.0.1
Timeout 30
LogFile "$d/tinyproxy.log"
PidFile "$d/tinyproxy.pid"
MaxClients 10
Allow 127.0.0.1
ConnectPort 443
EOF
    bg ip netns exec "$NS" tinyproxy -d -c "$d/tinyproxy.conf"
    bg ip netns exec "$NS" openssl s_server -accept 443 -cert "$WORK/cert.pem" -key "$WORK/key.pem" -www -quiet
    wait_listen "$NS" tcp 3128
    wait_listen "$NS" tcp 443
    cap_start proxy.pcap "$NS" lo 'tcp port 3128'
    in_ns curl -sk -o /dev/null -p -x http://127.0.0.1:3128 https://127.0.0.1:443/ || true
    sleep 0.5
    in_ns curl -sk -o /dev/null -p -x http://127.0.0.1:3128 https://127.0.0.1:8443/ || true
    cap_stop proxy.pcap
    cp "$WORK/proxy.pcap" "$OUT/http-connect.pcap"
}

# ================================================================ telnet: START_TLS
telnet() {
    bg ip netns exec "$NS" "$PY" "$SCRIPT_DIR/telnet_starttls.py" server 127.0.0.1 23 "$WORK/cert.pem" "$WORK/key.pem"
    wait_listen "$NS" tcp 23
    cap_start telnet.pcap "$NS" lo 'tcp port 23'
    in_ns "$PY" "$SCRIPT_DIR/telnet_starttls.py" client 127.0.0.1 23
    sleep 0.5
    in_ns "$PY" "$SCRIPT_DIR/telnet_starttls.py" refused 127.0.0.1 23
    cap_stop telnet.pcap
    cp "$WORK/telnet.pcap" "$OUT/telnet-starttls.pcap"
}

sections=("$@")
[[ ${#sections[@]} -eq 0 ]] && sections=(mail ldap db xmpp proxy telnet)
for s in "${sections[@]}"; do
    case $s in
        mail | ldap | db | xmpp | proxy | telnet) "$s" ;;
        *) die "unknown section $s (mail, ldap, db, xmpp, proxy, telnet)" ;;
    esac
done
log "done: ${sections[*]}"
