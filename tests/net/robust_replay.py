#!/usr/bin/env python3
"""robust_replay.py - replay truncated, bit-flipped and corrupted copies of real captured IKE and
ESP-in-UDP packets at a Gatehouse process inside a test namespace (robustness.md 3.1-3.5).
Python 3 standard library only. Used by tests/net/robust_ike.sh and robust_esp.sh.

  robust_replay.py extract PCAP OUTDIR SERVER_IP
      Split a tcpdump capture (Ethernet, IPv4/UDP) into one file per UDP payload
      (NN-c2g-ike_auth-req.bin, ...) plus index.json. c2g = towards SERVER_IP.
  robust_replay.py ike-storm --target IP --live DIR [--corpus DIR] [--iface eth0] --seed N
      Run the IKE storm from the peer's namespace; print one JSON report on stdout.
  robust_replay.py esp-storm --target IP --live DIR --seed N [--port 4500]
      Send mutated copies of the captured ESP-in-UDP packets; print a JSON report.

Every run is bounded: a fixed number of packets per base packet (sampled truncations and bit
flips for large packets) and a wall-clock limit (--max-seconds).
"""
import argparse
import json
import os
import random
import select
import socket
import struct
import sys
import time

from pcapfile import ipv4_frames

EXCH = {34: "ike_sa_init", 35: "ike_auth", 36: "create_child_sa", 37: "informational"}
FLAG_R, FLAG_I = 0x20, 0x08
N_NAMES = {5: "INVALID_MAJOR_VERSION", 7: "INVALID_SYNTAX", 14: "NO_PROPOSAL_CHOSEN",
           17: "INVALID_KE_PAYLOAD", 16390: "COOKIE", 4: "INVALID_IKE_SPI"}
# RFC 7296 2.21.1 / 3.1: what an unauthenticated IKE_SA_INIT request may be answered with
SA_INIT_ALLOWED = {"SA", "INVALID_MAJOR_VERSION", "INVALID_SYNTAX", "NO_PROPOSAL_CHOSEN",
                   "INVALID_KE_PAYLOAD", "COOKIE"}


# --- capture ------------------------------------------------------------------------------------

def pcap_udp(path):
    """Yield (src, sport, dst, dport, payload) for every IPv4/UDP frame of a pcap."""
    for _, ip in ipv4_frames(path):
        r = parse_ipv4_udp(ip)
        if r:
            yield r


def parse_ipv4_udp(ip):
    if len(ip) < 20 or ip[0] >> 4 != 4 or ip[9] != 17:
        return None
    ihl = (ip[0] & 15) * 4
    total = struct.unpack("!H", ip[2:4])[0]
    if struct.unpack("!H", ip[6:8])[0] & 0x3fff:  # fragment
        return None
    udp = ip[ihl:total]
    if len(udp) < 8:
        return None
    sport, dport, ulen = struct.unpack("!HHH", udp[:6])
    return (socket.inet_ntoa(ip[12:16]), sport, socket.inet_ntoa(ip[16:20]), dport,
            bytes(udp[8:ulen]))


def classify(payload, port):
    """(kind, ike_message_without_marker or None)."""
    if port == 4500:
        if len(payload) == 1 and payload == b"\xff":
            return "keepalive", None
        if len(payload) >= 4 and payload[:4] == b"\0\0\0\0":
            payload = payload[4:]
        else:
            return "esp", None
    if len(payload) < 28:
        return "junk", None
    ex, fl = payload[18], payload[19]
    return "%s-%s" % (EXCH.get(ex, "x%d" % ex), "resp" if fl & FLAG_R else "req"), payload


def ike_hdr(m):
    spi_i, spi_r, np, ver, ex, fl, mid, ln = struct.unpack("!QQBBBBII", m[:28])
    return dict(spi_i=spi_i, spi_r=spi_r, np=np, ver=ver, exch=ex, flags=fl, msgid=mid,
                length=ln)


def cmd_extract(a):
    os.makedirs(a.outdir, exist_ok=True)
    index, n, seen = [], 0, set()
    for src, sport, dst, dport, p in pcap_udp(a.pcap):
        c2g = dst == a.server
        port = dport if c2g else sport
        if port not in (500, 4500) and (sport, dport) != (4500, 4500):
            continue
        kind, ike = classify(p, port)
        key = (c2g, kind)
        # keep every IKE message, but only a few ESP packets / keepalives
        if kind in ("esp", "keepalive", "junk"):
            if sum(1 for k in seen if k == key) and kind != "esp":
                continue
            if kind == "esp" and sum(1 for e in index if e["kind"] == "esp" and e["c2g"] == c2g) >= 6:
                continue
        seen.add(key)
        name = "%02d-%s-%s.bin" % (n, "c2g" if c2g else "g2c", kind)
        open(os.path.join(a.outdir, name), "wb").write(p)
        e = dict(name=name, c2g=c2g, kind=kind, src=src, sport=sport, dst=dst, dport=dport,
                 len=len(p))
        if ike:
            e.update(ike_hdr(ike))
            e["natt"] = port == 4500
        index.append(e)
        n += 1
    json.dump(index, open(os.path.join(a.outdir, "index.json"), "w"), indent=1)
    print(" ".join("%s(%d)" % (e["kind"], e["len"]) for e in index))


# --- mutations ------------------------------------------------------------------------------------

def sample(n, k, rnd):
    """All of range(n) when small, else k of them (always the first and last few)."""
    if n <= k:
        return list(range(n))
    edge = [i for i in list(range(4)) + list(range(n - 4, n)) if 0 <= i < n]
    return sorted(set(edge) | set(rnd.sample(range(n), k - len(edge))))


def ike_payload_spans(m):
    """[(type, offset, length)] of the top-level payload chain; None when it does not parse."""
    spans, np, off = [], m[16], 28
    while np != 0:
        if off + 4 > len(m):
            return None
        ln = struct.unpack("!H", m[off + 2:off + 4])[0]
        if ln < 4 or off + ln > len(m):
            return None
        spans.append((np, off, ln))
        np, off = m[off], off + ln
        if np == 46:  # SK: the rest is encrypted
            break
    return spans


def set_len(m, n):
    return m[:24] + struct.pack("!I", n) + m[28:]


def remove_payload(m, idx):
    spans = ike_payload_spans(m)
    if not spans or idx >= len(spans):
        return None
    typ, off, ln = spans[idx]
    nxt = m[off]
    out = bytearray(m[:off] + m[off + ln:])
    if idx == 0:
        out[16] = nxt
    else:
        out[spans[idx - 1][1]] = nxt
    return set_len(bytes(out), len(out))


def ike_mutations(m, rnd, budget):
    """(class, bytes) pairs: truncations, bit flips, byte substitutions, header corruptions."""
    n = len(m)
    out = [("truncate", m[:k]) for k in sample(n, budget // 4, rnd)]
    for i in sample(n, budget // 4, rnd):
        b = bytearray(m)
        b[i] ^= 1 << rnd.randrange(8)
        out.append(("bitflip@%d" % i, bytes(b)))
    for _ in range(budget // 8):
        b = bytearray(m)
        for _ in range(rnd.randrange(1, 4)):
            b[rnd.randrange(n)] = rnd.randrange(256)
        out.append(("bytesub", bytes(b)))
    hdr = [("len+1", set_len(m, n + 1)), ("len-1", set_len(m, n - 1)),
           ("len=0", set_len(m, 0)), ("len=28", set_len(m, 28)),
           ("len=max", set_len(m, 0xffffffff)),
           ("spi_i=0", b"\0" * 8 + m[8:]), ("spi_r=0", m[:8] + b"\0" * 8 + m[16:]),
           ("spis=0", b"\0" * 16 + m[16:]),
           ("flag_r", m[:19] + bytes([m[19] ^ FLAG_R]) + m[20:]),
           ("msgid+1", m[:20] + struct.pack("!I", (struct.unpack("!I", m[20:24])[0] + 1)) + m[24:]),
           ("msgid=max", m[:20] + b"\xff\xff\xff\xff" + m[24:]),
           ("exch=0", m[:18] + b"\0" + m[19:]), ("exch=255", m[:18] + b"\xff" + m[19:]),
           ("trailing", set_len(m + b"\0" * 8, n + 8))]
    for ver in (0x10, 0x30, 0xf0, 0x21, 0x2f):
        hdr.append(("version=%02x" % ver, m[:17] + bytes([ver]) + m[18:]))
    for np in (0, 1, 2, 13, 33, 41, 46, 47, 53, 128, 255):
        hdr.append(("first_np=%d" % np, m[:16] + bytes([np]) + m[17:]))
    spans = ike_payload_spans(m) or []
    for typ, off, ln in spans:
        # payload length fields: 0, 3, 4, one less/more, past the datagram
        for bad in (0, 3, 4, ln - 1, ln + 1, 0xffff):
            if bad < 0:
                continue
            b = bytearray(m)
            b[off + 2:off + 4] = struct.pack("!H", bad & 0xffff)
            hdr.append(("pld%d_len=%d" % (typ, bad), bytes(b)))
        # next payload pointing back at the first payload type (a "loop" through the types)
        b = bytearray(m)
        b[off] = m[16]
        hdr.append(("pld%d_np_loop" % typ, bytes(b)))
        b = bytearray(m)
        b[off + 1] |= 0x80  # critical bit
        hdr.append(("pld%d_critical" % typ, bytes(b)))
    for i in range(len(spans)):
        r = remove_payload(m, i)
        if r:
            hdr.append(("remove_pld%d" % spans[i][0], r))
    # a huge payload count: the message followed by thousands of empty vendor ID payloads
    many = bytearray(m[:28])
    many[16] = 43
    cnt = 3000
    for i in range(cnt):
        many += bytes([43 if i < cnt - 1 else 0, 0, 0, 4])
    hdr.append(("3000_payloads", set_len(bytes(many), len(many))))
    return out + hdr


# --- network ------------------------------------------------------------------------------------

class Sniffer:
    """AF_PACKET receive socket on the peer's interface: sees what the target sends back."""

    def __init__(self, iface, target):
        self.s = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(0x0800))
        self.s.bind((iface, 0))
        self.s.setblocking(False)
        self.target = target

    def drain(self):
        got = []
        while True:
            try:
                ip = self.s.recv(65535)
            except BlockingIOError:
                return got
            r = parse_ipv4_udp(ip)
            if r and r[0] == self.target:
                got.append(r)


def wait_reply(sock, timeout):
    r, _, _ = select.select([sock], [], [], timeout)
    if not r:
        return None
    return sock.recv(65535)


def describe_response(resp, req):
    """Classify one IKE_SA_INIT answer; returns (label, problem or None)."""
    if len(resp) < 28:
        return "short", "response shorter than an IKE header"
    h, q = ike_hdr(resp), ike_hdr(req)
    if h["length"] != len(resp):
        return "badlen", "response length field %d != datagram %d" % (h["length"], len(resp))
    if not h["flags"] & FLAG_R or h["flags"] & FLAG_I:
        return "flags", "response flags 0x%02x" % h["flags"]
    if h["spi_i"] != q["spi_i"] or h["msgid"] != q["msgid"] or h["exch"] != q["exch"]:
        return "mismatch", "response SPIi/msgid/exchange do not echo the request"
    if h["np"] == 41 and len(resp) >= 36:
        t = struct.unpack("!H", resp[34:36])[0]
        return N_NAMES.get(t, "N%d" % t), None
    if h["np"] == 33:
        return "SA", None
    return "np%d" % h["np"], None


def load_index(d):
    if not d or not os.path.isdir(d):
        return []
    p = os.path.join(d, "index.json")
    if os.path.exists(p):
        return [(e, open(os.path.join(d, e["name"]), "rb").read()) for e in json.load(open(p))]
    out = []
    for name in sorted(os.listdir(d)):
        if name.endswith(".bin"):
            data = open(os.path.join(d, name), "rb").read()
            port = 4500 if "natt" in name or "esp" in name or "keepalive" in name else 500
            kind, ike = classify(data, port)
            e = dict(name=name, c2g="c2g" in name, kind=kind, natt=port == 4500)
            if ike:
                e.update(ike_hdr(ike))
            out.append((e, data))
    return out


def strip_marker(e, data):
    return data[4:] if e.get("natt") else data


def phase_sa_init(a, rnd, rep, base_list, deadline):
    """Unauthenticated IKE_SA_INIT requests: every answer must be an allowed one."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", 0))
    stats, problems = {}, []
    sent = 0
    for e, data, live in base_list:
        base = strip_marker(e, data)
        if live:  # exact replay (same SPIi as the established IKE SA): silent drop
            s.sendto(base, (a.target, 500))
            r = wait_reply(s, 0.3)
            rep["sa_init_exact_replay"] = "none" if r is None else describe_response(r, base)[0]
        for cls, m in ike_mutations(base, rnd, a.budget):
            if time.time() > deadline:
                break
            if m == base:
                # e.g. first_np=46 on an SK message, or a byte replaced by itself: a
                # byte-identical copy is a genuine retransmission (RFC 7296 2.1), not a mutation
                continue
            # a fresh SPIi for most random mutations and every header-field corruption
            fresh = len(m) >= 16 and m[:8] == base[:8] and (
                rnd.random() < 0.85 or cls.split("@")[0] not in ("truncate", "bitflip",
                                                                  "bytesub"))
            if fresh:  # a new initiator SPI, so the message is not matched to the live SA
                m = struct.pack("!Q", rnd.getrandbits(64) | 1) + m[8:]
            s.sendto(m, (a.target, 500))
            sent += 1
            r = wait_reply(s, a.wait)
            label = "none"
            if r is not None:
                label, prob = describe_response(r, m)
                if prob:
                    problems.append("%s: %s" % (cls, prob))
                elif label not in SA_INIT_ALLOWED:
                    problems.append("%s: answered with %s" % (cls, label))
                if len(m) >= 28 and m[19] & FLAG_R:
                    problems.append("%s: answered a message flagged as a response" % cls)
                if len(m) < 28 or ike_hdr(m)["length"] != len(m):
                    problems.append("%s: answered a message whose length field is wrong" % cls)
                while wait_reply(s, 0.002) is not None:
                    pass
            key = cls.split("@")[0]
            # RFC 7296 2.5: the version is checked before any SA lookup, so a copy with a
            # bad major version may get INVALID_MAJOR_VERSION; anything else is a drop
            if (live and not fresh and label not in ("none", "INVALID_MAJOR_VERSION") and
                    len(m) >= 28 and m[:8] == base[:8]):
                problems.append("%s: answered a copy of the live SA's IKE_SA_INIT (%s)" %
                                (cls, label))
            stats.setdefault(key, {}).setdefault(label, 0)
            stats[key][label] += 1
            rep.setdefault("sa_init_expect", {})
            if live and fresh and key in ("remove_pld33", "remove_pld34",
                                                                "remove_pld40"):
                rep["sa_init_expect"][key] = label
            if live and key.startswith("version=") and fresh:
                rep["sa_init_expect"].setdefault(key, label)
    s.close()
    rep["sa_init_sent"] = sent
    rep["sa_init_answers"] = stats
    rep["problems"] += problems


def ike_sniffed(got):
    """The IKE messages (marker stripped) among sniffed packets from the target."""
    out = []
    for src, sport, dst, dport, p in got:
        kind, ike = classify(p, 4500 if sport == 4500 else 500)
        if ike is not None:
            out.append((dport, ike))
    return out


def phase_established(a, rnd, rep, live, sniff, deadline):
    """Replays and mutations of the SK-protected messages of the live IKE SA."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", 0))
    reqs = [(e, d) for e, d in live if e["c2g"] and e["kind"].endswith("-req")
            and e["exch"] != 34 and e.get("natt")]
    resps = {(e["spi_i"], e["msgid"]): strip_marker(e, d) for e, d in live
             if not e["c2g"] and e.get("exch") and e["flags"] & FLAG_R}
    if not reqs:
        rep["problems"].append("no SK-protected request from the peer was captured")
        return
    latest = max(reqs, key=lambda x: x[0]["msgid"])
    cached = resps.get((latest[0]["spi_i"], latest[0]["msgid"]))
    rep["latest_request"] = "%s msgid %d" % (latest[0]["kind"], latest[0]["msgid"])

    # (a) exact replays, each request once (and the latest twice: a duplicate)
    sniff.drain()
    for e, d in reqs + [latest]:
        s.sendto(d, (a.target, 4500))
        time.sleep(0.05)
    time.sleep(0.5)
    answers = [m for _, m in ike_sniffed(sniff.drain()) if m[19] & FLAG_R]
    rep["exact_replay_answers"] = len(answers)
    rep["exact_replay_cached_identical"] = sum(1 for m in answers if m == cached)
    rep["exact_replay_other"] = sum(1 for m in answers if m != cached)

    # (c) the minimal case: the latest request once more with its last ICV octet flipped
    d = bytearray(latest[1])
    d[-1] ^= 0x01
    s.sendto(bytes(d), (a.target, 4500))
    time.sleep(0.5)
    rep["icv_flipped_latest_answers"] = sum(
        1 for _, m in ike_sniffed(sniff.drain()) if m[19] & FLAG_R)

    # (b) mutated copies of every captured IKE message (requests, responses, ours reflected)
    cnt, cached_again, other = 0, 0, []
    for e, d in live:
        if not e.get("exch") or e["exch"] == 34:
            continue
        base = strip_marker(e, d)
        for cls, m in ike_mutations(base, rnd, a.budget):
            if time.time() > deadline:
                break
            if m == base:
                # e.g. first_np=46 on an SK message, or a byte replaced by itself: a
                # byte-identical copy is a genuine retransmission (RFC 7296 2.1), not a mutation
                continue
            if rnd.random() < 0.1:  # sometimes to port 500, or on 4500 without the marker
                s.sendto(m, (a.target, 500))
            elif rnd.random() < 0.05:
                s.sendto(m, (a.target, 4500))
            else:
                s.sendto(b"\0\0\0\0" + m, (a.target, 4500))
            cnt += 1
            if cnt % 64 == 0:
                time.sleep(0.01)
                for _, r in ike_sniffed(sniff.drain()):
                    if r[19] & FLAG_R:
                        if r == cached:
                            cached_again += 1
                        else:
                            other.append(ike_hdr(r))
    time.sleep(0.5)
    for _, r in ike_sniffed(sniff.drain()):
        if r[19] & FLAG_R:
            if r == cached:
                cached_again += 1
            else:
                other.append(ike_hdr(r))
    rep["sk_storm_sent"] = cnt
    rep["sk_storm_cached_retransmits"] = cached_again
    rep["sk_storm_other_answers"] = len(other)
    if other:
        rep["problems"].append("answers to mutated SK messages: %s" % other[:3])
    s.close()


def phase_esp(a, rnd, rep, live, deadline, port):
    """ESP-in-UDP and NAT keepalives towards the target's NAT-T port."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", 0))
    cnt = {"exact": 0, "mutated": 0, "keepalive": 0}
    esp = [d for e, d in live if e["kind"] == "esp" and e["c2g"]]
    for d in esp:  # exact duplicates: the replay window must drop them
        for _ in range(2):
            s.sendto(d, (a.target, port))
            cnt["exact"] += 1
    for d in esp:
        n = len(d)
        muts = [d[:k] for k in sample(n, a.budget // 4, rnd)]
        for i in sample(n, a.budget // 4, rnd):
            b = bytearray(d)
            b[i] ^= 1 << rnd.randrange(8)
            muts.append(bytes(b))
        for _ in range(a.budget // 8):
            b = bytearray(d)
            b[rnd.randrange(n)] = rnd.randrange(256)
            muts.append(bytes(b))
        seq = struct.unpack("!I", d[4:8])[0] if n >= 8 else 0
        # unseen sequence numbers ahead of the window: they pass the replay check (RFC 4303
        # 3.4.3 checks it first) and must fail the ICV without moving the window
        if n > 8:
            for k in range(a.budget // 4):
                b = bytearray(d)
                b[4:8] = struct.pack("!I", (seq + 5000 + k * 7) & 0xffffffff)
                i = rnd.randrange(8, n)
                b[i] ^= 1 << rnd.randrange(8)
                muts.append(bytes(b))
                cnt["fresh_seq"] = cnt.get("fresh_seq", 0) + 1
        muts += [b"\0\0\0\0" + d[4:], d[:4] + b"\0\0\0\0" + d[8:],  # SPI 0 (= marker), seq 0
                 d[:4] + struct.pack("!I", seq + 100000) + d[8:],  # far ahead, bad ICV
                 d[:4] + struct.pack("!I", (seq - 1) & 0xffffffff) + d[8:],
                 d + b"\0" * 16, d[:-1] + bytes([d[-1] ^ 1]), b"\xff", b"\xff\xff",
                 b"\0\0\0", b"\0\0\0\0", b""]
        for m in muts:
            if time.time() > deadline:
                break
            s.sendto(m, (a.target, port))
            cnt["mutated"] += 1
            if cnt["mutated"] % 64 == 0:
                time.sleep(0.005)
    for _ in range(8):
        s.sendto(b"\xff", (a.target, port))
        cnt["keepalive"] += 1
    s.close()
    rep["esp_sent"] = cnt
    rep["esp_base_packets"] = len(esp)


def cmd_ike_storm(a):
    rnd = random.Random(a.seed)
    rep = {"seed": a.seed, "problems": []}
    deadline = time.time() + a.max_seconds
    live = load_index(a.live)
    corpus = load_index(a.corpus) if a.corpus else []
    sniff = Sniffer(a.iface, a.target)
    inits = [(e, d, True) for e, d in live if e["kind"] == "ike_sa_init-req" and e["c2g"]][:1]
    inits += [(e, d, False) for e, d in corpus if e["kind"] == "ike_sa_init-req"][:1]
    phase_sa_init(a, rnd, rep, inits, deadline)
    phase_established(a, rnd, rep, live + [x for x in corpus if x[0].get("exch")], sniff,
                      deadline)
    phase_esp(a, rnd, rep, live + corpus, deadline, 4500)
    rep["elapsed_s"] = round(a.max_seconds - (deadline - time.time()), 1)
    json.dump(rep, sys.stdout, indent=1)
    print()


def cmd_esp_storm(a):
    rnd = random.Random(a.seed)
    rep = {"seed": a.seed, "problems": []}
    phase_esp(a, rnd, rep, load_index(a.live), time.time() + a.max_seconds, a.port)
    json.dump(rep, sys.stdout, indent=1)
    print()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    x = sub.add_parser("extract")
    x.add_argument("pcap")
    x.add_argument("outdir")
    x.add_argument("server")
    for name in ("ike-storm", "esp-storm"):
        y = sub.add_parser(name)
        y.add_argument("--target", required=True)
        y.add_argument("--live", required=True)
        y.add_argument("--corpus")
        y.add_argument("--iface", default="eth0")
        y.add_argument("--seed", type=int, default=1)
        y.add_argument("--budget", type=int, default=160, help="mutations per base packet")
        y.add_argument("--wait", type=float, default=0.03, help="s to wait for an answer")
        y.add_argument("--max-seconds", type=float, default=45)
        y.add_argument("--port", type=int, default=4500)
    a = p.parse_args()
    {"extract": cmd_extract, "ike-storm": cmd_ike_storm, "esp-storm": cmd_esp_storm}[a.cmd](a)


if __name__ == "__main__":
    main()
