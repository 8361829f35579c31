#!/usr/bin/env bash
# make-http.sh - capture real HTTP/1.x traffic into testdata/real/http.pcap (docs/http.md): a
# Python http.server (HTTP/1.1, keep-alive) in one network namespace, curl and a small Python
# client in another, a veth pair between them (10.80.0.1 client, 10.80.0.2 server, port 8080),
# tcpdump on the server's side. The exchanges:
#   1. curl, one keep-alive connection: GET /, GET /missing (404), HEAD /, GET /chunked (a chunked
#      response), GET /notmodified (304), POST /submit (a body), DELETE /item (204)
#   2. curl with Basic credentials and a password in the query string (masked by ctana)
#   3. the Python client: three requests pipelined on one connection, sent before any answer
#   4. curl: GET /slow (answered after 1.2 s: a slow response) and GET /fail (500)
#   5. curl, HTTP/1.0 without keep-alive: a response delimited by the close
# Needs root (namespaces, tcpdump), python3, curl, tcpdump.
set -euo pipefail
cd "$(dirname "$0")/../.."
LOG_TAG=make-http
source tools/capture/lib.sh
need_root
ensure_tools curl:curl tcpdump:tcpdump ip:iproute2 ss:iproute2 ethtool:ethtool
out=testdata/real/http.pcap
NSC=ctana-http-c NSS=ctana-http-s
work_begin http "$NSC" "$NSS"
netns_destroy "$NSC"; netns_destroy "$NSS"
ip netns add "$NSC"; ip netns add "$NSS"
ip link add ctana-hc type veth peer name ctana-hs
ip link set ctana-hc netns "$NSC"; ip link set ctana-hs netns "$NSS"
ip -n "$NSC" addr add 10.80.0.1/24 dev ctana-hc; ip -n "$NSS" addr add 10.80.0.2/24 dev ctana-hs
for ns in "$NSC" "$NSS"; do ip -n "$ns" link set lo up; done
ip -n "$NSC" link set ctana-hc up; ip -n "$NSS" link set ctana-hs up
no_offload "$NSC" ctana-hc   # checksums filled in, segments as on a wire (lib.sh)
no_offload "$NSS" ctana-hs

cat > "$WORK/server.py" <<'PY'
import http.server, socketserver, sys, time

class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a):
        pass
    def send_body(self, code, body, ctype="text/plain"):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
    def do_HEAD(self):
        self.do_GET()
    def do_GET(self):
        p = self.path.split("?")[0]
        if p == "/":
            self.send_body(200, b"<html><body>ctana http test page</body></html>\n" * 20, "text/html")
        elif p == "/chunked":
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for part in (b"first chunk\n", b"second, longer chunk of the response\n" * 3, b"last\n"):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
                self.wfile.flush()
                time.sleep(0.05)
            self.wfile.write(b"0\r\n\r\n")
        elif p == "/notmodified":
            self.send_response(304)
            self.end_headers()
        elif p == "/slow":
            time.sleep(1.2)
            self.send_body(200, b"slow answer\n")
        elif p == "/fail":
            self.send_body(500, b"internal error\n")
        elif p == "/login":
            ok = self.headers.get("Authorization") is not None
            self.send_body(200 if ok else 401, b"welcome\n" if ok else b"who are you?\n")
        elif p.startswith("/page"):
            self.send_body(200, ("page %s\n" % p).encode())
        else:
            self.send_body(404, b"not found\n")
    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        data = self.rfile.read(n)
        self.send_body(200, b"got %d bytes\n" % len(data))
    def do_DELETE(self):
        self.send_response(204)
        self.end_headers()

class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
S(("10.80.0.2", 8080), H).serve_forever()
PY
cat > "$WORK/pipeline.py" <<'PY'
import socket, time
s = socket.create_connection(("10.80.0.2", 8080))
reqs = b"".join(b"GET /page%d HTTP/1.1\r\nHost: 10.80.0.2:8080\r\nUser-Agent: pipeline\r\n\r\n" % i for i in (1, 2, 3))
s.sendall(reqs)  # all three before any answer
got = b""
deadline = time.time() + 5
while got.count(b"HTTP/1.") < 3 and time.time() < deadline:
    got += s.recv(65536)
s.close()
PY

bg ip netns exec "$NSS" tcpdump -i ctana-hs -U -s 0 -w "$WORK/http.pcap" 'tcp port 8080' 2>/dev/null
bg ip netns exec "$NSS" "$PY" "$WORK/server.py"
for _ in $(seq 50); do ip netns exec "$NSS" ss -ltn | grep -q ':8080' && break; sleep 0.1; done
sleep 0.5
u=http://10.80.0.2:8080
C() { ip netns exec "$NSC" curl -s -o /dev/null --max-time 10 "$@"; }
# 1. one keep-alive connection, seven exchanges
C "$u/" --next -o /dev/null "$u/missing" --next -o /dev/null -I "$u/" --next -o /dev/null "$u/chunked" \
  --next -o /dev/null "$u/notmodified" --next -o /dev/null -d 'name=ctana&text=hello+world' "$u/submit" \
  --next -o /dev/null -X DELETE "$u/item"
sleep 0.3
# 2. credentials: Basic auth, a cookie, a password in the query string
C -u bob:s3cret -b 'session=abc123' "$u/login?user=bob&password=hunter2&lang=en"
sleep 0.3
# 3. three requests pipelined
ip netns exec "$NSC" "$PY" "$WORK/pipeline.py"
sleep 0.3
# 4. a slow response and a server error on one connection
C "$u/slow" --next -o /dev/null "$u/fail"
sleep 0.3
# 5. HTTP/1.0 without keep-alive (python answers HTTP/1.1 with a length; the client closes)
C -0 "$u/page10"
sleep 1
kill -INT "${PIDS[0]}" 2>/dev/null || true
wait "${PIDS[0]}" 2>/dev/null || true
cp "$WORK/http.pcap" "$out"
log "$out: $(tcpdump -nr "$out" 2>/dev/null | wc -l) packets"
