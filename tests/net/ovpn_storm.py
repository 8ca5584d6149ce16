#!/usr/bin/env python3
"""ovpn_storm.py - throw malformed, truncated, bit-flipped and replayed OpenVPN packets at the
Gatehouse OpenVPN server from an attacker namespace (robustness.md 3.6, issue 5). Python 3
standard library only. Used by tests/net/ovpn_storm.sh (not a test on its own).

  ovpn_storm.py udp-storm --target IP --port N --pcap CAP --client IP --iface IF --seed N
                           [--spoof] [--tls-crypt]
      UDP: garbage at a high rate while a new client knocks (its resets must be answered),
      garbage of random lengths, mutations of the client's captured packets, exact replays of
      its control and P_DATA_V2 packets (--spoof: also from the client's own address and port,
      raw socket), a HARD_RESET_CLIENT_V2 flood and third packets with wrong cookies, then the
      right one (--tls-crypt: no knock and no cookie phases; nothing may be answered but exact
      copies of the client's wrapped reset). Every datagram the server sends back (AF_PACKET
      sniffer on IF) is classified by opcode.
  ovpn_storm.py tcp-storm --target IP --port N --pcap CAP --client IP --seed N
      TCP, one attacker connection per case: zero-length frame, bad length prefixes, oversize
      frames, garbage streams, the client's captured frames replayed and mutated, many
      connections at once, then --idle-conns (1100) idle ones (how many the server closed).
      The frames the server writes back are classified.
  ovpn_storm.py icmp-dups PCAP
      Echo requests seen more than once (same source, id, sequence): a replayed data packet
      that was delivered twice. Prints a JSON object.

Both storms print one JSON report on stdout; "problems" lists what the server must never do
(answer the attacker with anything but a HARD_RESET_SERVER_V2, or with any data packet).
"""
import argparse
import json
import random
import select
import socket
import struct
import sys
import time

from pcapfile import ipv4_frames

P_CONTROL_HARD_RESET_CLIENT_V2 = 7
P_CONTROL_HARD_RESET_SERVER_V2 = 8
P_CONTROL_V1 = 4
P_ACK_V1 = 5
P_DATA_V1 = 6
P_DATA_V2 = 9
OPNAMES = {3: "SOFT_RESET_V1", 4: "CONTROL_V1", 5: "ACK_V1", 6: "DATA_V1",
           7: "HARD_RESET_CLIENT_V2", 8: "HARD_RESET_SERVER_V2", 9: "DATA_V2"}


RND = random.Random(1)


def RB(n):
    """Random octets from the seeded generator, so a run can be repeated."""
    return RND.randbytes(n)


# --- capture ------------------------------------------------------------------------------------

def ip_split(ip):
    """(proto, src, dst, l4 bytes) or None for fragments and short packets."""
    if len(ip) < 20 or ip[0] >> 4 != 4:
        return None
    ihl = (ip[0] & 15) * 4
    total = struct.unpack("!H", ip[2:4])[0]
    if struct.unpack("!H", ip[6:8])[0] & 0x3fff:
        return None
    return ip[9], socket.inet_ntoa(ip[12:16]), socket.inet_ntoa(ip[16:20]), ip[ihl:total]


def udp_packets(path, client, port, sports=None):
    """The client's datagrams to the server port, and the server's to the client, in order."""
    c2s, s2c = [], []
    for _, ip in ipv4_frames(path):
        r = ip_split(ip)
        if not r or r[0] != 17 or len(r[3]) < 8:
            continue
        _, src, dst, udp = r
        sport, dport, ulen = struct.unpack("!HHH", udp[:6])
        p = bytes(udp[8:ulen])
        if src == client and dport == port:
            c2s.append(p)
            if sports is not None:
                sports.append(sport)
        elif dst == client and sport == port:
            s2c.append(p)
    return c2s, s2c


def tcp_stream(path, client, port):
    """The bytes the client sent to the server port, in sequence order, retransmits dropped."""
    segs = {}
    for _, ip in ipv4_frames(path):
        r = ip_split(ip)
        if not r or r[0] != 6 or r[1] != client or len(r[3]) < 20:
            continue
        tcp = r[3]
        dport = struct.unpack("!H", tcp[2:4])[0]
        seq = struct.unpack("!I", tcp[4:8])[0]
        doff = (tcp[12] >> 4) * 4
        if dport == port and len(tcp) > doff:
            segs.setdefault(seq, bytes(tcp[doff:]))
    out, nxt = b"", None
    for seq in sorted(segs):
        p = segs[seq]
        if nxt is not None and seq < nxt:
            p = p[nxt - seq:]
        out += p
        nxt = seq + len(segs[seq]) if nxt is None or seq + len(segs[seq]) > nxt else nxt
    return out


def tcp_frames(stream):
    frames, off = [], 0
    while off + 2 <= len(stream):
        n = struct.unpack("!H", stream[off:off + 2])[0]
        if n == 0 or off + 2 + n > len(stream):
            break
        frames.append(stream[off + 2:off + 2 + n])
        off += 2 + n
    return frames


def opcode(p):
    return p[0] >> 3 if p else -1


# --- mutations ----------------------------------------------------------------------------------

def sample(n, k, rnd):
    if n <= k:
        return list(range(n))
    return sorted(rnd.sample(range(n), k))


def mutations(p, rnd, budget):
    """Truncations, bit flips, byte substitutions and header-field corruptions of packet p."""
    n = len(p)
    cuts = set(range(min(n, 24))) | set(sample(n, budget // 4, rnd))
    out = [("truncate", p[:k]) for k in sorted(cuts)]
    for i in sample(n * 8, budget // 2, rnd):
        b = bytearray(p)
        b[i // 8] ^= 1 << (i % 8)
        out.append(("bitflip", bytes(b)))
    for _ in range(budget // 8):
        b = bytearray(p)
        b[rnd.randrange(n)] = rnd.randrange(256)
        out.append(("bytesub", bytes(b)))
    if n:
        for op in range(32):  # every opcode, same key_id
            out.append(("opcode=%d" % op, bytes([op << 3 | (p[0] & 7)]) + p[1:]))
        for kid in range(8):
            out.append(("key_id", bytes([(p[0] & 0xf8) | kid]) + p[1:]))
    if n > 9 and not opcode(p) in (P_DATA_V1, P_DATA_V2):
        for cnt in (0, 1, 8, 9, 255):  # ack_count against the real array
            out.append(("ack_count=%d" % cnt, p[:9] + bytes([cnt]) + p[10:]))
    out.append(("trailing", p + RB(rnd.randrange(1, 64))))
    out.append(("oversize", p + bytes(2100)))
    return out


def random_garbage(rnd, count):
    out = [b"", b"\x00", b"\xff"]
    out += [bytes([op << 3]) for op in range(32)]
    for _ in range(count):
        n = rnd.choice([rnd.randrange(1, 32), rnd.randrange(1, 1500), rnd.randrange(1, 1500)])
        b = bytearray(RB(n))
        if rnd.random() < 0.5:  # a plausible opcode makes it reach the parsers
            b[0] = rnd.choice([3, 4, 5, 6, 7, 9]) << 3 | rnd.randrange(8)
        out.append(bytes(b))
    out += [RB(9000), RB(65000)]
    return out


def ctl_pkt(op, sid, acks=(), rsid=b"", msg_id=None, payload=b""):
    b = bytes([op << 3]) + sid + bytes([len(acks)]) + b"".join(struct.pack("!I", a) for a in acks)
    if acks:
        b += rsid
    if msg_id is not None:
        b += struct.pack("!I", msg_id) + payload
    return b


CLIENT_HELLO_STUB = bytes.fromhex("160301000501000001ff")


# --- UDP ----------------------------------------------------------------------------------------

class Sniffer:
    """AF_PACKET receive socket: every datagram from target:port to the attacker, by opcode."""

    def __init__(self, iface, target, port):
        self.s = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(0x0800))
        self.s.bind((iface, 0))
        self.s.setblocking(False)
        self.target, self.port = target, port
        self.by_op = {}
        self.samples = {}

    def drain(self):
        got = []
        while True:
            try:
                ip = self.s.recv(65535)
            except BlockingIOError:
                break
            r = ip_split(ip)
            if not r or r[0] != 17 or r[1] != self.target or len(r[3]) < 8:
                continue
            sport = struct.unpack("!H", r[3][:2])[0]
            if sport != self.port:
                continue
            p = bytes(r[3][8:])
            name = OPNAMES.get(opcode(p), "op%d" % opcode(p))
            self.by_op[name] = self.by_op.get(name, 0) + 1
            self.samples.setdefault(name, p[:32].hex())
            got.append(p)
        return got


# The client's own (tls-crypt wrapped) resets: a byte-identical copy authenticates, and the
# stateless server cannot tell it from a retransmission, so it may be answered (as OpenVPN does).
CLIENT_RESETS = set()


def send_all(s, dst, pkts, rep, key, deadline, pace=48):
    for i, p in enumerate(pkts):
        if time.time() > deadline:
            break
        if p in CLIENT_RESETS:
            rep["sent_client_reset_copies"] = rep.get("sent_client_reset_copies", 0) + 1
        try:
            s.sendto(p, dst)
        except OSError:  # EMSGSIZE for the largest
            rep.setdefault("send_errors", 0)
            rep["send_errors"] += 1
            continue
        rep["sent"][key] = rep["sent"].get(key, 0) + 1
        if i % pace == pace - 1:
            time.sleep(0.01)  # the real client's packets must still get through


def csum(b):
    if len(b) % 2:
        b += b"\0"
    t = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while t >> 16:
        t = (t & 0xffff) + (t >> 16)
    return ~t & 0xffff


def spoofed(src, sport, dst, dport, payload):
    """An IPv4/UDP datagram from src:sport (raw socket, IP_HDRINCL)."""
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 17, len(udp))
    c = csum(pseudo + udp) or 0xffff
    udp = udp[:6] + struct.pack("!H", c) + udp[8:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), RND.randrange(65536), 0x4000, 64,
                     17, 0, socket.inet_aton(src), socket.inet_aton(dst))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return ip + udp


def udp_phase_spoofed(a, rnd, rep, c2s, cport, deadline):
    """Replays from the client's own address and port (an attacker who can spoof it): the
    session must take them as duplicates - control re-acknowledged at most, data never
    delivered twice. Mutations only where they cannot be the client's own next message:
    truncations (the message id stays an old one) and data packets (AEAD)."""
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    pk = []
    for p in c2s:
        pk += [p, p]
        pk += [p[:k] for k in sample(len(p), 12, rnd)]
        if opcode(p) == P_DATA_V2:
            for i in sample(len(p) * 8, 24, rnd):
                b = bytearray(p)
                b[i // 8] ^= 1 << (i % 8)
                pk.append(bytes(b))
    n = 0
    for i, p in enumerate(pk):
        if time.time() > deadline:
            break
        raw.sendto(spoofed(a.client, cport, a.target, a.port, p), (a.target, 0))
        n += 1
        if i % 32 == 31:
            time.sleep(0.01)
    rep["sent"]["spoofed_from_client"] = n
    raw.close()


def udp_phase_wrong_cookies(rep, s, dst, cookie_sid, deadline):
    """Third packets that do not echo a valid cookie: no reply, no state (CVE-2025-13086)."""
    sid = RB(8)
    bad = []
    for _ in range(200):
        bad.append(ctl_pkt(P_CONTROL_V1, sid, [0], RB(8), 1, CLIENT_HELLO_STUB))
        bad.append(ctl_pkt(P_ACK_V1, sid, [0], RB(8)))
    if cookie_sid:
        for bit in range(64):  # the real cookie of (sid, this socket), one bit off
            c = bytearray(cookie_sid)
            c[bit // 8] ^= 1 << (bit % 8)
            bad.append(ctl_pkt(P_CONTROL_V1, sid, [0], bytes(c), 1, CLIENT_HELLO_STUB))
    send_all(s, dst, bad, rep, "wrong_cookie", deadline, pace=32)
    # the real cookie from another source port: bound to the address and port, so wrong
    if cookie_sid:
        s2 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s2.bind(("0.0.0.0", 0))
        s2.sendto(ctl_pkt(P_CONTROL_V1, sid, [0], cookie_sid, 1, CLIENT_HELLO_STUB), dst)
        rep["sent"]["cookie_other_port"] = 1
        s2.close()


def udp_phase_knock(rnd, rep, s, dst, sniff):
    """Garbage (no resets) at a high rate while a new client sends a reset every 100 ms: the
    garbage must not use up the answers new clients need (OpenVPN's reflect filter counts
    initial packets only)."""
    k = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    k.bind(("0.0.0.0", 0))
    junk = [bytes([P_CONTROL_V1 << 3]) + RB(rnd.randrange(1, 40)) for _ in range(256)]
    sent = answered = 0
    end = time.time() + 2.0
    nxt = time.time()
    while time.time() < end:
        if time.time() >= nxt:
            k.sendto(ctl_pkt(P_CONTROL_HARD_RESET_CLIENT_V2, RB(8), [], b"", 0), dst)
            sent += 1
            nxt += 0.1
        for p in junk[:32]:
            s.sendto(p, dst)
        rep["sent"]["knock_garbage"] = rep["sent"].get("knock_garbage", 0) + 32
        rnd.shuffle(junk)
        time.sleep(0.004)
        while select.select([k], [], [], 0)[0]:
            if opcode(k.recv(2048)) == P_CONTROL_HARD_RESET_SERVER_V2:
                answered += 1
    time.sleep(0.3)
    while select.select([k], [], [], 0)[0]:
        if opcode(k.recv(2048)) == P_CONTROL_HARD_RESET_SERVER_V2:
            answered += 1
    k.close()
    sniff.drain()
    rep["knock_resets"] = sent
    rep["knock_answered"] = answered
    time.sleep(2.1)  # the reset-answer bucket is full again for what follows


def get_cookie(s, dst, sid, tries=40):
    """Send a reset; return the server's session id (the cookie) from its reply, or None."""
    for _ in range(tries):
        s.sendto(ctl_pkt(P_CONTROL_HARD_RESET_CLIENT_V2, sid, [], b"", 0), dst)
        end = time.time() + 0.1
        while time.time() < end:
            r, _, _ = select.select([s], [], [], 0.02)
            if r:
                p = s.recv(2048)
                if opcode(p) == P_CONTROL_HARD_RESET_SERVER_V2 and len(p) >= 22 and p[14:22] == sid:
                    return p[1:9]
        time.sleep(0.1)  # the server rate-limits reset replies (reflect_filter)
    return None


def cmd_udp_storm(a):
    rnd = random.Random(a.seed)
    rep = {"seed": a.seed, "sent": {}, "problems": []}
    deadline = time.time() + a.max_seconds
    sports = []
    c2s, s2c = udp_packets(a.pcap, a.client, a.port, sports)
    ctl = [p for p in c2s if opcode(p) in (3, 4, 5, 7)]
    data = [p for p in c2s if opcode(p) == P_DATA_V2]
    if a.tls_crypt:
        CLIENT_RESETS.update(p for p in ctl if opcode(p) == P_CONTROL_HARD_RESET_CLIENT_V2)
    rep["captured"] = {"client_control": len(ctl), "client_data_v2": len(data),
                       "server_packets": len(s2c)}
    if not ctl or not data:
        rep["problems"].append("capture lacks the client's control or P_DATA_V2 packets")
        json.dump(rep, sys.stdout, indent=1)
        return
    dst = (a.target, a.port)
    sniff = Sniffer(a.iface, a.target, a.port)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", 0))
    t0 = time.time()
    if not a.tls_crypt:
        udp_phase_knock(rnd, rep, s, dst, sniff)
    # (a) garbage of random lengths
    send_all(s, dst, random_garbage(rnd, a.budget * 8), rep, "garbage", deadline)
    sniff.drain()
    # (b) truncated, bit-flipped, corrupted copies of real control and data packets
    bases = ctl[:16] + rnd.sample(data, min(len(data), 8))
    for p in bases:
        send_all(s, dst, [m for _, m in mutations(p, rnd, a.budget)], rep,
                 "mutated_" + ("data" if opcode(p) == P_DATA_V2 else "control"), deadline)
        sniff.drain()
    # (c) exact replays from the attacker's address: every data packet twice, every control
    # packet once (must not float the session, must not be delivered again)
    send_all(s, dst, data + data, rep, "replay_data_v2", deadline)
    send_all(s, dst, ctl, rep, "replay_control", deadline)
    sniff.drain()
    if a.spoof:
        udp_phase_spoofed(a, rnd, rep, c2s, sports[-1], deadline)
    # (d) HARD_RESET_CLIENT_V2 flood: stateless answers only, rate-limited
    flood = [ctl_pkt(P_CONTROL_HARD_RESET_CLIENT_V2, RB(8), [], b"", 0)
             for _ in range(a.budget * 20)]
    flood += [ctl_pkt(P_CONTROL_HARD_RESET_CLIENT_V2, RB(8), [0], RB(8), 0)
              for _ in range(50)]  # with acks: not what a fresh client sends, no answer
    send_all(s, dst, flood, rep, "reset_flood", deadline, pace=64)
    time.sleep(0.3)
    sniff.drain()
    rep["answers_before_cookie_phase"] = dict(sniff.by_op)
    if a.tls_crypt:
        # without the key nothing authenticates: no answer but to exact copies of the
        # client's own wrapped reset
        time.sleep(1.0)
        sniff.drain()
        rep["answers"] = dict(sniff.by_op)
        rep["answer_samples"] = sniff.samples
        rep["elapsed_s"] = round(time.time() - t0, 1)
        copies = rep.get("sent_client_reset_copies", 0)
        other = {k: v for k, v in sniff.by_op.items() if k != "HARD_RESET_SERVER_V2"}
        if other or sniff.by_op.get("HARD_RESET_SERVER_V2", 0) > copies:
            rep["problems"].append("tls-crypt server answered a peer without the key: %s "
                                   "(%d exact copies of the client's reset sent)" %
                                   (sniff.by_op, copies))
        s.close()
        json.dump(rep, sys.stdout, indent=1)
        print()
        return
    time.sleep(1.5)  # let the reset-reply bucket refill a little
    sid = RB(8)
    cookie = get_cookie(s, dst, sid)
    rep["cookie_obtained"] = cookie is not None
    before = dict(sniff.by_op)
    udp_phase_wrong_cookies(rep, s, dst, cookie, deadline + 30)
    time.sleep(1.0)
    sniff.drain()
    while True:  # the attacker's own socket too (the sniffer sees the same datagrams)
        r, _, _ = select.select([s], [], [], 0)
        if not r:
            break
        s.recv(65535)
    # a late HARD_RESET_SERVER_V2 answers one of get_cookie's resets, not a third packet
    rep["answers_to_wrong_cookies"] = {k: v - before.get(k, 0) for k, v in sniff.by_op.items()
                                       if v != before.get(k, 0) and
                                       k != "HARD_RESET_SERVER_V2"}
    rep["answers"] = dict(sniff.by_op)
    rep["answer_samples"] = sniff.samples
    rep["elapsed_s"] = round(time.time() - t0, 1)
    for name, cnt in sniff.by_op.items():
        if name != "HARD_RESET_SERVER_V2":
            rep["problems"].append("%d %s packets sent to the attacker" % (cnt, name))
    if rep["answers_to_wrong_cookies"]:
        rep["problems"].append("answers to third packets with wrong cookies: %s" %
                               rep["answers_to_wrong_cookies"])
    # control: the right cookie from the right port does create a session (so the silence
    # above means something); only now may the attacker get a P_CONTROL/ACK back
    if cookie:
        s.sendto(ctl_pkt(P_CONTROL_V1, sid, [0], cookie, 1, CLIENT_HELLO_STUB), dst)
        r, _, _ = select.select([s], [], [], 2.0)
        p = s.recv(2048) if r else b""
        rep["right_cookie_answer"] = OPNAMES.get(opcode(p), "none" if not p else "op%d" % opcode(p))
    s.close()
    json.dump(rep, sys.stdout, indent=1)
    print()


# --- TCP ----------------------------------------------------------------------------------------

def tcp_case(a, data, rep, name, linger=0.5):
    """One attacker connection: send data, read what comes back; record the opcodes and
    whether the server closed the connection."""
    s = socket.create_connection((a.target, a.port), timeout=3)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    got, closed = b"", False
    try:
        for chunk in data:
            s.sendall(chunk)
        end = time.time() + linger
        s.settimeout(0.1)
        while time.time() < end:
            try:
                b = s.recv(65536)
            except socket.timeout:
                continue
            if not b:
                closed = True
                break
            got += b
    except (ConnectionResetError, BrokenPipeError):
        closed = True
    finally:
        s.close()
    ops = {}
    for f in tcp_frames(got):
        n = OPNAMES.get(opcode(f), "op%d" % opcode(f))
        ops[n] = ops.get(n, 0) + 1
    rep["cases"][name] = {"answers": ops, "closed": closed}
    for n, c in ops.items():
        if n != "HARD_RESET_SERVER_V2":
            rep["problems"].append("%s: %d %s frames sent to the attacker" % (name, c, n))
    rep["sent_cases"] += 1
    return closed


def frame(p):
    return struct.pack("!H", len(p)) + p


def tcp_idle_flood(a, rep):
    """Connections that never send a byte hold no session, only the server's descriptors and
    buffers: more than max_clients of them at once must not all stay open."""
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < a.idle_conns + 64:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, a.idle_conns + 256), hard))
    conns = []
    for _ in range(a.idle_conns):
        try:
            c = socket.create_connection((a.target, a.port), timeout=3)
        except OSError as e:
            rep["idle_connect_error"] = str(e)
            break
        c.setblocking(False)
        conns.append(c)
    time.sleep(1.0)
    closed = 0
    for c in conns:
        try:
            if c.recv(1) == b"":
                closed += 1
        except BlockingIOError:
            pass
        except OSError:
            closed += 1
        c.close()
    rep["idle_connections"] = len(conns)
    rep["idle_closed_by_server"] = closed


def cmd_tcp_storm(a):
    rnd = random.Random(a.seed)
    rep = {"seed": a.seed, "cases": {}, "problems": [], "sent_cases": 0}
    frames = tcp_frames(tcp_stream(a.pcap, a.client, a.port))
    ctl = [f for f in frames if opcode(f) in (3, 4, 5, 7)]
    data = [f for f in frames if opcode(f) == P_DATA_V2]
    rep["captured"] = {"client_control": len(ctl), "client_data_v2": len(data)}
    if not ctl or not data:
        rep["problems"].append("capture lacks the client's control or P_DATA_V2 frames")
        json.dump(rep, sys.stdout, indent=1)
        return
    t0 = time.time()
    reset = ctl_pkt(P_CONTROL_HARD_RESET_CLIENT_V2, RB(8), [], b"", 0)
    # (e) zero-length frame: the stream is broken, the server must close it
    if not tcp_case(a, [b"\0\0"], rep, "zero_length", linger=1.0):
        rep["problems"].append("a zero-length frame did not make the server close the connection")
    tcp_case(a, [frame(reset) + b"\0\0" + frame(reset)], rep, "reset_then_zero_length", linger=1.0)
    # length prefixes promising more than is sent, then silence / close
    tcp_case(a, [b"\xff\xff" + RB(100)], rep, "length_65535_short")
    tcp_case(a, [b"\x00\x05\x38"], rep, "length_5_of_1")
    tcp_case(a, [b"\x00"], rep, "half_a_prefix")
    # oversize frames: the largest the prefix allows, garbage and a reset padded to 65535
    tcp_case(a, [b"\xff\xff" + RB(65535)], rep, "oversize_garbage")
    tcp_case(a, [frame(reset + bytes(65535 - len(reset)))], rep, "oversize_reset")
    tcp_case(a, [frame(bytes([P_CONTROL_V1 << 3]) + RB(4000))], rep, "control_4000")
    # frames of 1..3 octets, and a stream of random frames
    tcp_case(a, [frame(bytes([i << 3])) for i in range(32)], rep, "one_octet_frames")
    tcp_case(a, [b"".join(frame(RB(rnd.randrange(1, 1500))) for _ in range(200))], rep,
             "random_frames")
    tcp_case(a, [RB(20000)], rep, "random_stream")
    # the client's real frames replayed on a new connection: the reset gets a (stateless)
    # answer, the third packet carries a cookie for the client's address and port: nothing
    tcp_case(a, [b"".join(frame(f) for f in ctl)], rep, "replay_control", linger=1.0)
    tcp_case(a, [b"".join(frame(f) for f in data)], rep, "replay_data_v2")
    tcp_case(a, [b"".join(frame(f) for f in ctl + data)], rep, "replay_all_in_one_write")
    # mutations of every captured control frame and some data frames, one connection each
    for f in ctl[:8] + data[:4]:
        muts = [m for _, m in mutations(f, rnd, a.budget) if m]
        tcp_case(a, [b"".join(frame(m[:65535]) for m in muts)], rep,
                 "mutated_op%d_%d" % (opcode(f), rep["sent_cases"]), linger=0.3)
    # byte-by-byte delivery of a reset and a wrong-cookie third packet
    third = ctl_pkt(P_CONTROL_V1, RB(8), [0], RB(8), 1, CLIENT_HELLO_STUB)
    tcp_case(a, [bytes([b]) for b in frame(reset) + frame(third)], rep, "byte_by_byte", linger=1.0)
    # many connections left open at once, then closed by the attacker
    conns = []
    for _ in range(a.budget // 2):
        try:
            c = socket.create_connection((a.target, a.port), timeout=3)
            c.sendall(frame(ctl_pkt(P_CONTROL_HARD_RESET_CLIENT_V2, RB(8), [], b"", 0)))
            conns.append(c)
        except OSError:
            break
    rep["parallel_connections"] = len(conns)
    time.sleep(0.5)
    for c in conns:
        c.close()
    tcp_idle_flood(a, rep)
    rep["elapsed_s"] = round(time.time() - t0, 1)
    json.dump(rep, sys.stdout, indent=1)
    print()


# --- half-open sessions -------------------------------------------------------------------------

def cmd_half_open(a):
    """Sessions that pass the cookie exchange (reset, the server's reset, then an ACK that
    echoes the cookie) and never start TLS, each from its own source port: the server keeps
    them until hand-window."""
    dst, opened, socks = (a.target, a.port), 0, []
    t0 = time.time()
    for _ in range(a.count):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("", 0))
        sid = RB(8)
        cookie = get_cookie(s, dst, sid, tries=5)
        if cookie:
            s.sendto(ctl_pkt(P_ACK_V1, sid, [0], cookie), dst)
            opened += 1
        socks.append(s)
    json.dump({"requested": a.count, "opened": opened, "elapsed_s": round(time.time() - t0, 1)},
              sys.stdout)
    print()


# --- duplicate deliveries -----------------------------------------------------------------------

def cmd_icmp_dups(a):
    seen, dups, total = {}, [], 0
    for _, ip in ipv4_frames(a.pcap):
        r = ip_split(ip)
        if not r or r[0] != 1 or len(r[3]) < 8 or r[3][0] != 8:
            continue
        ident, seq = struct.unpack("!HH", r[3][4:8])
        k = (r[1], ident, seq)
        total += 1
        if k in seen:
            dups.append("%s id %d seq %d" % k)
        seen[k] = 1
    json.dump({"echo_requests": total, "duplicates": len(dups), "examples": dups[:5]},
              sys.stdout)
    print()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("udp-storm", "tcp-storm"):
        y = sub.add_parser(name)
        y.add_argument("--target", required=True)
        y.add_argument("--port", type=int, default=1194)
        y.add_argument("--pcap", required=True)
        y.add_argument("--client", required=True)
        y.add_argument("--iface", default="eth0")
        y.add_argument("--seed", type=int, default=1)
        y.add_argument("--budget", type=int, default=192, help="mutations per base packet")
        y.add_argument("--max-seconds", type=float, default=40)
        y.add_argument("--idle-conns", type=int, default=1100,
                       help="tcp: connections opened and left idle at once")
        y.add_argument("--tls-crypt", action="store_true",
                       help="udp: the server uses tls-crypt: no answer at all is allowed")
        y.add_argument("--spoof", action="store_true",
                       help="udp: also replay from the client's own address and port")
    x = sub.add_parser("icmp-dups")
    x.add_argument("pcap")
    h = sub.add_parser("half-open")
    h.add_argument("--target", required=True)
    h.add_argument("--port", type=int, default=1194)
    h.add_argument("--count", type=int, default=300)
    a = p.parse_args()
    RND.seed(getattr(a, "seed", 1))
    {"udp-storm": cmd_udp_storm, "tcp-storm": cmd_tcp_storm, "icmp-dups": cmd_icmp_dups,
     "half-open": cmd_half_open}[a.cmd](a)


if __name__ == "__main__":
    main()
