#!/usr/bin/env bash
# make-tls.sh - capture real TLS handshakes between openssl s_server and s_client on loopback
# (127.0.0.1 only) into testdata/real/tls.pcap:
#   1. TLS 1.3 with SNI "www.ctana.test", ALPN http/1.1, a short exchange, orderly close
#   2. TLS 1.2 forced on both sides, a short exchange
#   3. a client that only offers TLS 1.1 against a server that requires TLS 1.2 or later:
#      the server answers with a fatal protocol_version alert
#   4. a client that insists on verifying the (self-signed) certificate: it sends a fatal
#      unknown_ca alert
# Needs openssl and tcpdump; run as root (tcpdump).
set -euo pipefail
cd "$(dirname "$0")/../.."
out=testdata/real/tls.pcap
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
command -v openssl >/dev/null && command -v tcpdump >/dev/null || { echo "needs openssl and tcpdump" >&2; exit 1; }

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/key.pem" -out "$work/cert.pem" -days 30 \
  -subj "/CN=www.ctana.test" >/dev/null 2>&1

tcpdump -i lo -U -s 0 -w "$work/tls.pcap" 'tcp and (port 4433 or port 8443)' >/dev/null 2>&1 &
pids+=($!)
sleep 1

serve() {  # port, extra options; answers each connection once
  openssl s_server -accept "$1" -cert "$work/cert.pem" -key "$work/key.pem" -quiet -naccept 1 "${@:2}" \
    </dev/null >/dev/null 2>&1 &
  pids+=($!)
  sleep 0.5
}

serve 4433 -alpn http/1.1
printf 'GET / HTTP/1.1\r\nHost: www.ctana.test\r\n\r\n' | timeout 5 openssl s_client -connect 127.0.0.1:4433 \
  -servername www.ctana.test -alpn http/1.1 -tls1_3 -quiet >/dev/null 2>&1 || true
sleep 0.5
serve 8443
printf 'hello over TLS 1.2\n' | timeout 5 openssl s_client -connect 127.0.0.1:8443 -servername legacy.ctana.test \
  -tls1_2 -quiet >/dev/null 2>&1 || true
sleep 0.5
serve 4433 -min_protocol TLSv1.2
timeout 5 openssl s_client -connect 127.0.0.1:4433 -servername old.ctana.test -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0' \
  </dev/null >/dev/null 2>&1 || true
sleep 0.5
serve 8443
timeout 5 openssl s_client -connect 127.0.0.1:8443 -servername strict.ctana.test -verify_return_error \
  -CAfile /etc/ssl/certs/ca-certificates.crt </dev/null >/dev/null 2>&1 || true
sleep 1
kill -INT "${pids[0]}"
wait "${pids[0]}" 2>/dev/null || true
cp "$work/tls.pcap" "$out"
echo "$out: $(tshark -r "$out" 2>/dev/null | wc -l) packets"
