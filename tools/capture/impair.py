# impair.py - userspace netem on NFQUEUE, used by make-tcp-scenarios.sh and make-diff-pairs.sh.
"""Minimal userspace 'netem' on NFQUEUE (raw netlink, no libraries).

The kernel here has no sch_netem and no nft `queue` expression, so packets are
sent to NFQUEUE by iptables(-nft) rules and this program decides per packet:
drop (NF_DROP verdict: the packet silently vanishes, the sender's TCP does not
know), accept now, or accept after a hold time (delay; a longer hold for some
packets reorders them). Verdicts are given by packet id in release-time order,
which the kernel allows.

usage: impair.py QNUM:DELAY_MS:LOSS:REORDER:REORDER_MIN_MS:REORDER_MAX_MS ... [--seed N] [--log FILE]
  LOSS / REORDER are probabilities applied to TCP segments that carry data.
"""
import heapq, os, random, select, signal, socket, struct, sys, time

NETLINK_NETFILTER = 12
NFNL_SUBSYS_QUEUE = 3
NFQNL_MSG_PACKET, NFQNL_MSG_VERDICT, NFQNL_MSG_CONFIG = 0, 1, 2
NFQA_CFG_CMD, NFQA_CFG_PARAMS = 1, 2
NFQA_PACKET_HDR, NFQA_VERDICT_HDR, NFQA_PAYLOAD = 1, 2, 10
NFQNL_CFG_CMD_BIND = 1
NFQNL_COPY_PACKET = 2
NLM_F_REQUEST, NLM_F_ACK = 1, 4
NLMSG_ERROR = 2
NF_DROP, NF_ACCEPT = 0, 1

args = sys.argv[1:]
seed, logf = 1, None
if "--seed" in args:
    i = args.index("--seed"); seed = int(args[i + 1]); del args[i:i + 2]
if "--log" in args:
    i = args.index("--log"); logf = args[i + 1]; del args[i:i + 2]
policy = {}
for spec in args:
    q, d, l, r, rmin, rmax = spec.split(":")
    policy[int(q)] = (float(d) / 1000, float(l), float(r), float(rmin) / 1000, float(rmax) / 1000)
rng = random.Random(seed)
stats = {q: {"pkts": 0, "data": 0, "dropped": 0, "reordered": 0} for q in policy}

sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
sock.setsockopt(socket.SOL_SOCKET, 33, 8 << 20)  # SO_RCVBUFFORCE
sock.bind((0, 0))
seq = 0

def nla(t, data):
    n = 4 + len(data)
    return struct.pack("=HH", n, t) + data + b"\0" * ((4 - n % 4) % 4)

def send(mtype, qnum, attrs, flags=NLM_F_REQUEST):
    global seq
    seq += 1
    body = struct.pack("=BBH", socket.AF_UNSPEC, 0, socket.htons(qnum)) + attrs
    sock.send(struct.pack("=IHHII", 16 + len(body), (NFNL_SUBSYS_QUEUE << 8) | mtype, flags, seq, 0) + body)

def config(qnum, attrs):
    send(NFQNL_MSG_CONFIG, qnum, attrs, NLM_F_REQUEST | NLM_F_ACK)
    data = sock.recv(65536)
    n, t = struct.unpack_from("=IH", data)
    if t == NLMSG_ERROR:
        err = struct.unpack_from("=i", data, 16)[0]
        if err:
            sys.exit("nfqueue config queue %d: %s" % (qnum, os.strerror(-err)))

for q in policy:
    config(q, nla(NFQA_CFG_CMD, struct.pack("=BBH", NFQNL_CFG_CMD_BIND, 0, socket.htons(socket.AF_INET))))
    config(q, nla(NFQA_CFG_PARAMS, struct.pack("!IB", 96, NFQNL_COPY_PACKET)))

def has_data(pkt):
    if not pkt:
        return False
    v = pkt[0] >> 4
    if v == 4:
        ihl = (pkt[0] & 15) * 4
        total, proto = struct.unpack_from("!H", pkt, 2)[0], pkt[9]
        if proto != 6 or len(pkt) < ihl + 13:
            return False
        return total - ihl - (pkt[ihl + 12] >> 4) * 4 > 0
    if v == 6:
        plen, nh = struct.unpack_from("!HB", pkt, 4)
        if nh != 6 or len(pkt) < 40 + 13:
            return False
        return plen - (pkt[40 + 12] >> 4) * 4 > 0
    return False

heap, tie = [], 0
def verdict(q, pid, v):
    send(NFQNL_MSG_VERDICT, q, nla(NFQA_VERDICT_HDR, struct.pack("!II", v, pid)))

running = True
def stop(*_):
    global running
    running = False
signal.signal(signal.SIGTERM, stop)
signal.signal(signal.SIGINT, stop)
open(logf or os.devnull, "w").write("ready\n")

while running or heap:
    now = time.monotonic()
    while heap and heap[0][0] <= now:
        _, _, q, pid = heapq.heappop(heap)
        verdict(q, pid, NF_ACCEPT)
    if not running:  # stopping: release what is still held, then exit
        if heap:
            time.sleep(max(0.0, heap[0][0] - now))
        continue
    timeout = max(0.0, heap[0][0] - now) if heap else 0.5
    try:
        r, _, _ = select.select([sock], [], [], timeout)
    except InterruptedError:
        continue
    if not r:
        continue
    try:
        data = sock.recv(1 << 20)
    except InterruptedError:
        continue
    off = 0
    while off + 16 <= len(data):
        n, t, _, _, _ = struct.unpack_from("=IHHII", data, off)
        if n < 16:
            break
        if t == (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET:
            q = socket.ntohs(struct.unpack_from("=H", data, off + 18)[0])
            a, pid, pkt = off + 20, None, b""
            while a + 4 <= off + n:
                alen, atype = struct.unpack_from("=HH", data, a)
                atype &= 0x7FFF
                if atype == NFQA_PACKET_HDR:
                    pid = struct.unpack_from("!I", data, a + 4)[0]
                elif atype == NFQA_PAYLOAD:
                    pkt = data[a + 4:a + alen]
                a += (alen + 3) & ~3
            if pid is not None:
                delay, loss, reo, rmin, rmax = policy[q]
                st = stats[q]
                st["pkts"] += 1
                hold = delay
                if has_data(pkt):
                    st["data"] += 1
                    x = rng.random()
                    if x < loss:
                        st["dropped"] += 1
                        verdict(q, pid, NF_DROP)
                        off += (n + 3) & ~3
                        continue
                    if x < loss + reo:
                        st["reordered"] += 1
                        hold += rng.uniform(rmin, rmax)
                if hold <= 0:
                    verdict(q, pid, NF_ACCEPT)
                else:
                    tie += 1
                    heapq.heappush(heap, (time.monotonic() + hold, tie, q, pid))
        off += (n + 3) & ~3

with open(logf or os.devnull, "a") as f:
    for q, st in sorted(stats.items()):
        f.write("queue %d: %d packets, %d with data, %d dropped, %d reordered\n"
                % (q, st["pkts"], st["data"], st["dropped"], st["reordered"]))
