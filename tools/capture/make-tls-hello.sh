#!/usr/bin/env bash
# make-tls-hello.sh - the two ClientHello cases of docs/tls.md that the other TLS captures lack,
# between real programs on the loopback interface of a namespace (ctana-tls-hello, 127.0.0.1),
# into testdata/real/tls-hello.pcap:
#   1. TLS 1.3 with a HelloRetryRequest: openssl s_server accepts only the P-256 group, s_client
#      sends its first key share for X25519; the server asks again, the client sends a second
#      ClientHello, the handshake completes and a line of data follows (port 4433)
#   2. an SSLv2-format ClientHello offering TLS 1.2 (sslv2_hello.py) to openssl s_server at
#      security level 0 (a hello without extensions offers no signature algorithms, so only SHA-1
#      is left): the server answers with its TLS 1.2 ServerHello flight, the client goes away (4434)
#   3. an SSLv2-format ClientHello asking for SSL 2.0: the server answers with a fatal
#      protocol_version alert (4435)
# Needs openssl, tcpdump, python3; run as root.
set -euo pipefail
cd "$(dirname "$0")/../.."
LOG_TAG=tls-hello
# shellcheck source=lib.sh
source tools/capture/lib.sh
need_root
ensure_tools openssl:openssl tcpdump:tcpdump capinfos:wireshark-common
OUT=testdata/real/tls-hello.pcap
NS=ctana-tls-hello
work_begin tls-hello "$NS"
netns_create "$NS"
in_ns() { ip netns exec "$NS" "$@"; }

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/key.pem" -out "$WORK/cert.pem" -days 30 \
    -subj "/CN=hello.ctana.test" >/dev/null 2>&1
serve() {  # PORT OPTIONS... : one connection, then the server exits
    bg in_ns openssl s_server -accept "$1" -cert "$WORK/cert.pem" -key "$WORK/key.pem" -quiet -naccept 1 \
        "${@:2}" </dev/null >"$WORK/server-$1.log" 2>&1
    wait_listen "$NS" tcp "$1"
}

cap_start tls-hello.pcap "$NS" lo tcp
serve 4433 -groups P-256
echo 'hello after a retry' | timeout 5 ip netns exec "$NS" openssl s_client -connect 127.0.0.1:4433 \
    -servername retry.ctana.test -groups X25519:P-256 -tls1_3 -quiet >/dev/null 2>&1 || true
serve 4434 -cipher 'DEFAULT:@SECLEVEL=0'
in_ns "$PY" tools/capture/sslv2_hello.py 4434 0303
serve 4435
in_ns "$PY" tools/capture/sslv2_hello.py 4435 0002
cap_stop tls-hello.pcap
cp "$WORK/tls-hello.pcap" "$OUT"
log "$OUT written"
