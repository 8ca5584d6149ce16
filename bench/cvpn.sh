#!/usr/bin/env bash
# bench/cvpn.sh - Client VPN throughput and server CPU per packet, side by side in one run:
# the same stock openvpn 2.6 client through (a) the Gatehouse OpenVPN server (src/ovpn, run by
# the test tool tests/tools/ovpn_server, release build) and (b) `openvpn --server` 2.6, with
# the same certificates, cipher (AES-256-GCM), transport, MTU and topology (subnet), no
# compression, DCO off on both ends (the user-space data paths are compared).
#
#   [cli] eth0 192.0.2.2/24 ---- 192.0.2.1/24 eth0 [srv] eth1 10.99.0.1/24 ---- 10.99.0.2/24 eth0 [lan]
#          tun 10.8.0.x/24 <======= OpenVPN =======> tun 10.8.0.1/24          iperf3 -s
#                                                    (forwarding)             route 10.8.0.0/24 via srv
#
# For each server and transport (udp, then tcp): the client connects, then iperf3 (one TCP
# stream, BENCH_SECONDS each) runs client -> lan and lan -> client (-R). Around each transfer
# the server process's CPU time (utime + stime from /proc/PID/stat) and the client's TUN
# packet counters (rx + tx: every inner packet that crossed the tunnel, either way) are read:
#   server CPU %  = CPU time / wall time of the transfer
#   us/packet     = CPU time / inner packets forwarded
# Mbit/s is iperf3's receiver rate. One table at the end.
#
# A benchmark, not a test: nothing asserts a timing. Needs root (namespaces), openvpn, iperf3.
# Variables: BENCH_SECONDS (10), BENCH_ROUNDS (3: the servers take turns, the order alternating
# per round; each cell is the median), BENCH_PROTOS ("udp tcp"), BUILD (build; the server tool is
# $BUILD/tools/ovpn_server, built with `make tests` when missing), OVPN_SERVER (the tool),
# OPENVPN (openvpn binary), BENCH_PERF=DIR (perf record -g of the server during each transfer
# into DIR/SERVER-PROTO-DIRECTION.data; the CPU columns then include perf's own overhead).
# Namespaces "$GH_RUN_ID-*" (tests/net/lib.sh), removed on every exit.
set -u
. "$(dirname "$0")/../tests/net/lib.sh"

T=${BENCH_SECONDS:-10}
ROUNDS=${BENCH_ROUNDS:-3}
PROTOS=${BENCH_PROTOS:-udp tcp}
BUILD=${BUILD:-build}
GH_SRV=${OVPN_SERVER:-$GH_ROOT/$BUILD/tools/ovpn_server}
OPENVPN=${OPENVPN:-openvpn}
CIPHER=AES-256-GCM
SRV_IP=192.0.2.1
LAN_IP=10.99.0.2
TUN=cvpn0

command -v "$OPENVPN" >/dev/null || fail "openvpn not installed"
command -v iperf3 >/dev/null || fail "iperf3 not installed"
if [ -z "${OVPN_SERVER:-}" ] && [ ! -x "$GH_SRV" ]; then
	make -s -C "$GH_ROOT" BUILD="$BUILD" "$BUILD/tools/ovpn_server" >/dev/null ||
		fail "cannot build $GH_SRV"
fi
[ -x "$GH_SRV" ] || fail "no server tool at $GH_SRV"

# --- throwaway PKI (EC P-256, as tests/net/ovpn_client.sh) -----------------------------------
PKI=$GH_TMP/pki
mkdir -p "$PKI"
pki_ca ca
pki_cert server ca serverAuth
pki_cert client ca clientAuth

# --- topology --------------------------------------------------------------------------------
ns_add cli
ns_add srv
ns_add lan
link_add cli eth0 192.0.2.2/24 srv eth0 $SRV_IP/24
link_add srv eth1 10.99.0.1/24 lan eth0 $LAN_IP/24
forwarding_on srv
route_add lan 10.8.0.0/24 10.99.0.1

# Like lib.sh's bg, but LAST_PID is the program itself (ip netns exec execs it): its
# /proc/PID/stat is the server's CPU time, and it can be stopped on its own.
LAST_PID=
start() { # NS LOG cmd...
	local ns=$1 log=$2
	shift 2
	ip netns exec "$(ns_name "$ns")" "$@" >"$log" 2>&1 </dev/null &
	LAST_PID=$!
	GH_PIDS+=("$LAST_PID")
}

stop_pid() { # PID
	kill "$1" 2>/dev/null
	wait_for 10 sh -c "! kill -0 $1 2>/dev/null" || kill -9 "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

client_conf() { # PROTO
	cat <<EOF
client
dev tun
proto $([ "$1" = tcp ] && echo tcp-client || echo udp)
remote $SRV_IP 1194
nobind
remote-cert-tls server
ca $PKI/ca.crt
cert $PKI/client.crt
key $PKI/client.key
data-ciphers $CIPHER
disable-dco
reneg-sec 0
connect-retry 1
verb 3
EOF
}

openvpn_server_conf() { # PROTO
	cat <<EOF
dev tun
dev-type tun
dev $TUN
proto $([ "$1" = tcp ] && echo tcp-server || echo udp)
local $SRV_IP
port 1194
topology subnet
server 10.8.0.0 255.255.255.0
push "route 10.99.0.0 255.255.255.0"
ca $PKI/ca.crt
cert $PKI/server.crt
key $PKI/server.key
dh none
data-ciphers $CIPHER
tun-mtu 1500
disable-dco
reneg-sec 0
verb 3
EOF
}

cpu_ticks() { # PID -> utime + stime (clock ticks)
	awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"
}
# Packets are counted on the client's TUN device (the only one in ns cli): every inner packet
# that crossed the tunnel, either way, once. The server's own TUN would count a super-packet
# (Gatehouse writes coalesced TCP segments with GSO) as one.
tun_pkts() { # -> rx + tx packets of the client's TUN device
	nsx cli sh -c 'cat /sys/class/net/tun*/statistics/[rt]x_packets' 2>/dev/null |
		awk '{ s += $1; n++ } END { print n ? s : "-" }'
}

# UDP datagrams the namespace's kernel dropped because a socket's receive buffer was full
# (/proc/net/snmp Udp: RcvbufErrors): the tunnel's loss, shown with each transfer.
udp_drops() { # NS
	nsx "$1" awk '/^Udp:/ { if (h) { print $6; exit } h = 1 }' /proc/net/snmp
}

RES=()
HZ=$(getconf CLK_TCK)

# One transfer; prints "MBITS CPU_PCT US_PER_PKT".
measure() { # SERVER_PID DIRECTION(up|down) TAG CLIENT_PID
	local pid=$1 c0 c1 p0 p1 t0 t1 mbit rflag=
	[ "$2" = down ] && rflag=-R
	start lan "$GH_TMP/iperf-s.log" iperf3 -s -1 -B $LAN_IP
	local spid=$LAST_PID
	wait_for 5 nsx lan sh -c "ss -ltn | grep -q '$LAN_IP:5201'" || { echo "- - -"; return; }
	c0=$(cpu_ticks "$pid") p0=$(tun_pkts) t0=$(date +%s%N)
	local d0s d0c d1s d1c k0 k1
	d0s=$(udp_drops srv) d0c=$(udp_drops cli) k0=$(cpu_ticks "$4")
	local perf=
	if [ -n "${BENCH_PERF:-}" ]; then
		mkdir -p "$BENCH_PERF"
		perf record -q -g -p "$pid" -o "$BENCH_PERF/$3-$2.data" -- sleep "$T" >/dev/null 2>&1 &
		perf=$!
	fi
	mbit=$(nsx cli timeout $((T + 20)) iperf3 -c $LAN_IP -t "$T" $rflag -J 2>/dev/null |
		python3 -c '
import json, sys
try: print("%.0f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e6))
except Exception: print("-")')
	c1=$(cpu_ticks "$pid") p1=$(tun_pkts) t1=$(date +%s%N)
	d1s=$(udp_drops srv) d1c=$(udp_drops cli) k1=$(cpu_ticks "$4")
	echo "  .. $3 $2: client CPU $(((k1 - k0) * 100 / HZ / T)) %; UDP datagrams dropped for" \
		"want of socket buffer: server $((d1s - d0s)), client $((d1c - d0c))" >&2
	[ -z "$perf" ] || wait "$perf"
	stop_pid "$spid"
	# "-" where a counter went missing (e.g. the client reconnected and its TUN was gone).
	python3 -c '
import sys
try:
    c0, c1, p0, p1, t0, t1, hz = map(int, sys.argv[1:8])
except ValueError:
    print("- - -")
    sys.exit()
cpu = (c1 - c0) / hz
wall = (t1 - t0) / 1e9
pk = p1 - p0
print("%s %.0f %s" % (sys.argv[8], 100 * cpu / wall, "%.2f" % (cpu * 1e6 / pk) if pk > 0 else "-"))
' "$c0" "$c1" "$p0" "$p1" "$t0" "$t1" "$HZ" "$mbit"
}

record() { # SERVER PROTO DIR MBIT CPU US
	RES+=("$1|$2|$3|$4|$5|$6")
	echo "  .. $1 $2 $3: $4 Mbit/s, server CPU $5 %, $6 us/packet" >&2
}

run() { # SERVER(gatehouse|openvpn) PROTO
	local name=$1 proto=$2 spid cpid log=$GH_TMP/$1-$2.log clog=$GH_TMP/cli-$1-$2.log r
	if [ "$name" = gatehouse ]; then
		name="Gatehouse"
		start srv "$log" "$GH_SRV" --proto "$proto" --listen $SRV_IP --port 1194 \
			--cert "$PKI/server.crt" --key "$PKI/server.key" --ca "$PKI/ca.crt" \
			--cidr 10.8.0.0/24 --route 10.99.0.0/24 --split --ciphers $CIPHER \
			--reneg-sec 0 --tun $TUN
		spid=$LAST_PID
		wait_for 10 grep -q READY "$log" || fail "Gatehouse server did not start: $(tail -5 "$log")"
	else
		name="OpenVPN $("$OPENVPN" --version | awk 'NR == 1 { print $2 }')"
		openvpn_server_conf "$proto" >"$GH_TMP/server-$proto.conf"
		start srv "$log" "$OPENVPN" --config "$GH_TMP/server-$proto.conf"
		spid=$LAST_PID
		wait_for 10 grep -q "Initialization Sequence Completed" "$log" ||
			fail "openvpn server did not start: $(tail -5 "$log")"
	fi
	client_conf "$proto" >"$GH_TMP/client-$proto.conf"
	start cli "$clog" "$OPENVPN" --config "$GH_TMP/client-$proto.conf"
	cpid=$LAST_PID
	if wait_for 30 grep -q "Initialization Sequence Completed" "$clog"; then
		grep -hoE "(Data Channel: cipher|Outgoing Data Channel: Cipher) '[^']*'" "$clog" |
			head -1 | sed "s/^/  .. $name $proto: /" >&2
		for dir in up down; do
			read -r -a r < <(measure "$spid" $dir "$1-$proto-r${round:-1}" "$cpid")
			record "$name" "$proto" "$dir" "${r[0]:--}" "${r[1]:--}" "${r[2]:--}"
		done
		[ "$(grep -c "Initialization Sequence Completed" "$clog")" = 1 ] ||
			note "$name $proto: the client reconnected during the transfers: $(grep -m1 \
				-E 'SIGUSR1|SIGTERM|Connection reset|restart' "$clog")"
	else
		note "$name $proto: client did not connect: $(tail -3 "$clog")"
		record "$name" "$proto" up - - -
		record "$name" "$proto" down - - -
	fi
	stop_pid "$cpid"
	stop_pid "$spid"
}

# Rounds alternate which server goes first, so a drift in the machine's load (other work on
# shared cores) does not always favour the same one; each cell is the median of the rounds.
for proto in $PROTOS; do
	for ((round = 1; round <= ROUNDS; round++)); do
		note "$proto, round $round of $ROUNDS"
		if ((round % 2)); then
			run gatehouse "$proto"
			run openvpn "$proto"
		else
			run openvpn "$proto"
			run gatehouse "$proto"
		fi
	done
done

printf '%s\n' "${RES[@]}" | python3 -c '
import statistics, sys
cells = {}
for l in sys.stdin:
    if not l.strip(): continue
    srv, proto, d, mbit, cpu, us = l.rstrip("\n").split("|")
    cells.setdefault((srv, proto, d), []).append((mbit, cpu, us))
def med(vals, fmt):
    v = [float(x) for x in vals if x != "-"]
    return fmt % statistics.median(v) if v else "-"
print()
print("%-16s %-9s %-11s %-24s %8s %11s %10s" % ("server", "transport", "cipher", "direction",
      "Mbit/s", "server CPU%", "us/packet"))
protos = []
for k in cells:
    if k[1] not in protos: protos.append(k[1])
for proto in protos:
    for (srv, p, d), v in cells.items():
        if p != proto: continue
        dn = "client -> LAN (TCP)" if d == "up" else "LAN -> client (TCP)"
        print("%-16s %-9s %-11s %-24s %8s %11s %10s" % (srv, p, "'$CIPHER'", dn,
              med([x[0] for x in v], "%.0f"), med([x[1] for x in v], "%.0f"),
              med([x[2] for x in v], "%.2f")))
'
echo "(median of $ROUNDS rounds; $T s per transfer, one TCP stream; $(nproc) CPUs shared by client,"
echo " server, iperf3 and the kernel)"
