#!/usr/bin/env bash
# dp_esp_loop.sh - Gatehouse data plane <-> Gatehouse data plane, static SAs (no IKE), over
# plain ESP (IP protocol 50) and UDP-encapsulated ESP (RFC 3948, port 4500), for
# AES128-GCM-16, AES256-GCM-16 and AES128-CBC + HMAC-SHA1-96 (and ESP-in-UDP with UDP GSO/GRO,
# and with TUN segmentation offload).
#
#   ns "a"                                          ns "b"
#   lo 10.1.0.1/32, fd00:1::1/128                   lo 10.2.0.1/32, fd00:2::1/128
#   ghtun 169.254.10.1/30 ==== ESP tunnel ====== ghtun 169.254.10.2/30
#   (dp_peer)                                       (dp_peer)
#   a0 192.0.2.1/24 ------------ veth ------------ b0 192.0.2.2/24
#
# For each encapsulation x algorithm: pings both ways (LAN and inside addresses), a 1500-byte
# ping without DF (fragmented before encryption), a DF ping (ICMP "fragmentation needed" with
# the guide's MTU), an 8 MiB TCP transfer compared by SHA-256, iperf3 -t 2, and the
# counters (UDP datagrams on the outside only when encapsulated; no auth/replay drops). Then a
# tunnel with a wrong key on one side: no traffic passes and the receiver counts ICV failures.
. "$(dirname "$0")/lib.sh"

DP_PEER=${GH_DP_PEER:-}
for c in "$GH_ROOT/build-san/tools/dp_peer" "$GH_ROOT/build/tools/dp_peer"; do
	[ -n "$DP_PEER" ] || { [ -x "$c" ] && DP_PEER=$c; }
done
[ -x "$DP_PEER" ] || fail "dp_peer not built (make SAN=1 tests)"
command -v iperf3 >/dev/null || fail "iperf3 missing"

ns_add a
ns_add b
link_add a a0 192.0.2.1/24 b b0 192.0.2.2/24
addr_add a lo 10.1.0.1/32
addr_add b lo 10.2.0.1/32
addr_add a lo fd00:1::1/128
addr_add b lo fd00:2::1/128

# Static keys (test only): GCM = 16/32-octet key || 4-octet salt; CBC = key, HMAC-SHA1 key.
KA_GCM128=000102030405060708090a0b0c0d0e0f10111213
KB_GCM128=f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff20212223
KA_GCM256=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1fa0a1a2a3
KB_GCM256=f0f1f2f3f4f5f6f7f8f9fafbfcfdfeffe0e1e2e3e4e5e6e7e8e9eaebecedeeefb0b1b2b3
KA_CBC128=00112233445566778899aabbccddeeff
KB_CBC128=ffeeddccbbaa99887766554433221100
IA_SHA1=0102030405060708090a0b0c0d0e0f1011121314
IB_SHA1=a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4

PEER_PID=

# peer NS LOCAL REMOTE INSIDE ROUTE ENCAP ALG SPI_OUT KEY_OUT IKEY_OUT SPI_IN KEY_IN IKEY_IN LOG
peer() {
	local ns=$1 args=(--tun ghtun --local "$2" --remote "$3" --inside "$4" --route "$5"
		--route "$(echo "$5" | sed 's/^10\.\([12]\)\.0\.0\/24$/fd00:\1::\/64/')"
		--alg "$7" --spi-out "$8" --key-out "$9" --spi-in "${11}" --key-in "${12}")
	# raw / encap: one packet per syscall everywhere; encap-gso: UDP GSO + GRO;
	# offload / raw-offload: the defaults (GSO, GRO, TUN TSO and coalescing)
	case "$6" in
	raw) args+=(--no-gso --no-gro --no-offload) ;;
	encap) args+=(--encap --no-gso --no-gro --no-offload) ;;
	encap-gso) args+=(--encap --no-offload) ;;
	offload) args+=(--encap) ;;
	esac
	[ -z "${GH_PEER_EXTRA:-}" ] || args+=($GH_PEER_EXTRA)
	[ "${10}" = - ] || args+=(--ikey-out "${10}")
	[ "${13}" = - ] || args+=(--ikey-in "${13}")
	# not through nsx (a function): the background job must be dp_peer itself, so that
	# SIGINT reaches it and it prints its counters
	ip netns exec "$(ns_name "$ns")" "$DP_PEER" "${args[@]}" >"${14}" 2>&1 &
	PEER_PID=$!
	GH_PIDS+=($PEER_PID)
}

stop_peer() { # PID LOG
	kill -INT "$1" 2>/dev/null
	wait_for 10 grep -q '^sa_in' "$2" || note "peer $1 printed no counters"
	wait "$1" 2>/dev/null
	return 0
}

stat_of() { # LOG NAME
	grep -o "\b$2=[0-9]*" "$1" | head -1 | cut -d= -f2
}

udp_in() { nsx "$1" awk '/^Udp: [0-9]/ {print $2}' /proc/net/snmp; }

tcp_transfer() { # sha256 of 8 MiB sent a -> b over TCP through the tunnel
	local src=$GH_TMP/src.bin out=$GH_TMP/dst.bin
	head -c 8388608 /dev/urandom >"$src"
	rm -f "$out"
	nsx b python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.2.0.1", 5001)); s.listen(1); s.settimeout(20)
c, _ = s.accept(); c.settimeout(20)
with open(sys.argv[1], "wb") as f:
    while True:
        b = c.recv(65536)
        if not b: break
        f.write(b)
' "$out" &
	local srv=$!
	sleep 0.3
	nsx a python3 -c '
import socket, sys
c = socket.create_connection(("10.2.0.1", 5001), timeout=20, source_address=("10.1.0.1", 0))
c.sendall(open(sys.argv[1], "rb").read()); c.close()
' "$src" || { kill $srv 2>/dev/null; return 1; }
	wait $srv || return 1
	[ "$(sha256sum <"$src")" = "$(sha256sum <"$out")" ]
}

run_case() { # ENCAP ALG KEY_A KEY_B IKEY_A IKEY_B
	local encap=$1 alg=$2 name="$1/$2" la=$GH_TMP/a-$1-$2.log lb=$GH_TMP/b-$1-$2.log
	local udp0 udp1 out
	# forget path MTUs learnt from the previous case's ICMP
	nsx a ip route flush cache
	nsx b ip route flush cache
	local pa pb
	peer a 192.0.2.1 192.0.2.2 169.254.10.1/30 10.2.0.0/24 "$encap" "$alg" \
		0x1001 "$3" "$5" 0x2001 "$4" "$6" "$la"
	pa=$PEER_PID
	peer b 192.0.2.2 192.0.2.1 169.254.10.2/30 10.1.0.0/24 "$encap" "$alg" \
		0x2001 "$4" "$6" 0x1001 "$3" "$5" "$lb"
	pb=$PEER_PID
	wait_for 10 grep -q "up on" "$la" || fail "$name: peer a did not start: $(cat "$la")"
	wait_for 10 grep -q "up on" "$lb" || fail "$name: peer b did not start: $(cat "$lb")"
	udp0=$(udp_in b)
	nsx a ping -c 3 -i 0.2 -W 2 -I 10.1.0.1 10.2.0.1 >/dev/null || fail "$name: ping a -> b"
	nsx b ping -c 3 -i 0.2 -W 2 -I 10.2.0.1 10.1.0.1 >/dev/null || fail "$name: ping b -> a"
	nsx a ping -c 2 -i 0.2 -W 2 169.254.10.2 >/dev/null || fail "$name: ping inside address"
	udp1=$(udp_in b)
	if [ "${encap#raw}" = "$encap" ]; then
		[ $((udp1 - udp0)) -ge 6 ] || fail "$name: ESP did not arrive over UDP 4500"
	else
		[ $((udp1 - udp0)) -lt 6 ] || fail "$name: raw ESP went over UDP"
	fi
	# IPv6 inside IPv4 (next header 41), and ICMPv6 "packet too big" for a 1500-byte DF packet
	nsx a ping -6 -c 2 -i 0.2 -W 2 -I fd00:1::1 fd00:2::1 >/dev/null || fail "$name: ping6 a -> b"
	nsx b ping -6 -c 2 -i 0.2 -W 2 -I fd00:2::1 fd00:1::1 >/dev/null || fail "$name: ping6 b -> a"
	out=$(nsx a ping -6 -c 1 -W 2 -s 1452 -M do -I fd00:1::1 fd00:2::1 2>&1)
	echo "$out" | grep -Eiq "too big.*mtu ?= ?14[0-9][0-9]" || fail "$name: no ICMPv6 packet too big: $out"
	nsx a ip -6 route flush cache
	pass "$name: IPv4 and IPv6 pings both ways, ICMPv6 too-big, $([ "${encap#raw}" != "$encap" ] && echo "IP proto 50" || echo "UDP 4500")"
	nsx a ping -c 2 -i 0.2 -W 2 -s 1472 -M dont -I 10.1.0.1 10.2.0.1 >/dev/null ||
		fail "$name: 1500-byte ping (fragment before encryption)"
	out=$(nsx a ping -c 1 -W 2 -s 1472 -M do -I 10.1.0.1 10.2.0.1 2>&1)
	echo "$out" | grep -Eq "mtu ?= ?14[0-9][0-9]" || fail "$name: no ICMP frag-needed: $out"
	pass "$name: fragmentation without DF, ICMP 'fragmentation needed' ($(echo "$out" | grep -Eo "mtu ?= ?[0-9]+" | head -1)) with DF"
	# forget the learnt path MTU again, so the SYNs carry MSS 1460 and must be clamped
	nsx a ip route flush cache
	tcp_transfer || fail "$name: 8 MiB TCP transfer differs"
	nsx b iperf3 -s -1 -B 10.2.0.1 >"$GH_TMP/iperf-s.log" 2>&1 &
	local srv=$!
	sleep 0.3
	nsx a timeout 20 iperf3 -c 10.2.0.1 -B 10.1.0.1 -t 2 -f m >"$GH_TMP/iperf.log" 2>&1 ||
		fail "$name: iperf3: $(tail -3 "$GH_TMP/iperf.log")"
	wait $srv
	pass "$name: TCP 8 MiB sha256 equal; iperf3 $(awk '/receiver/ {print $7, $8}' "$GH_TMP/iperf.log")"
	stop_peer "$pa" "$la"
	stop_peer "$pb" "$lb"
	for l in "$la" "$lb"; do
		[ "$(stat_of "$l" drop_auth)" = 0 ] && [ "$(stat_of "$l" drop_replay)" -lt 50 ] ||
			fail "$name: unexpected drops: $(grep drop_ "$l")"
	done
	[ "$(stat_of "$la" icmp_frag_needed)" -ge 2 ] || fail "$name: ICMP errors not counted"
	[ "$(stat_of "$la" fragmented)" -ge 2 ] || fail "$name: no fragmentation counted"
	[ "$(stat_of "$la" mss_clamped)" -ge 1 ] || fail "$name: TCP MSS not clamped"
	[ "$(stat_of "$lb" rx_packets)" -gt 1000 ] || fail "$name: too few packets decrypted"
}

for encap in raw encap; do
	run_case "$encap" gcm128 "$KA_GCM128" "$KB_GCM128" - -
	run_case "$encap" gcm256 "$KA_GCM256" "$KB_GCM256" - -
	run_case "$encap" cbc128-sha1 "$KA_CBC128" "$KB_CBC128" "$IA_SHA1" "$IB_SHA1"
done
# UDP GSO on send and UDP GRO on receive (batched ESP-in-UDP)
run_case encap-gso gcm128 "$KA_GCM128" "$KB_GCM128" - -
run_case encap-gso cbc128-sha1 "$KA_CBC128" "$KB_CBC128" "$IA_SHA1" "$IB_SHA1"
# TUN offload (virtio_net_hdr, TSO super-packets segmented in user space) on top of GSO/GRO
run_case offload gcm128 "$KA_GCM128" "$KB_GCM128" - -
run_case offload gcm256 "$KA_GCM256" "$KB_GCM256" - -
run_case raw-offload cbc128-sha1 "$KA_CBC128" "$KB_CBC128" "$IA_SHA1" "$IB_SHA1"

# Wrong key on b's inbound SA: every packet from a fails the ICV and is dropped.
la=$GH_TMP/a-bad.log lb=$GH_TMP/b-bad.log
peer a 192.0.2.1 192.0.2.2 169.254.10.1/30 10.2.0.0/24 encap gcm128 \
	0x1001 "$KA_GCM128" - 0x2001 "$KB_GCM128" - "$la"
pa=$PEER_PID
# b expects a's packets under another key (a 128-bit key + salt taken from the GCM-256 one)
peer b 192.0.2.2 192.0.2.1 169.254.10.2/30 10.1.0.0/24 encap gcm128 \
	0x2001 "$KB_GCM128" - 0x1001 "${KA_GCM256:24:40}" - "$lb"
pb=$PEER_PID
wait_for 10 grep -q "up on" "$la" || fail "bad key: peer a did not start"
wait_for 10 grep -q "up on" "$lb" || fail "bad key: peer b did not start"
if nsx a ping -c 2 -i 0.2 -W 1 -I 10.1.0.1 10.2.0.1 >/dev/null 2>&1; then
	fail "bad key: ping passed"
fi
stop_peer "$pa" "$la"
stop_peer "$pb" "$lb"
[ "$(stat_of "$lb" drop_auth)" -ge 2 ] || fail "bad key: no ICV failures counted: $(grep drop_ "$lb")"
[ "$(stat_of "$lb" rx_packets)" = 0 ] || fail "bad key: packets were delivered"
pass "wrong key: dropped with ICV failures ($(stat_of "$lb" drop_auth))"

# Inbound source check (--strict-source on b): a packet from a source a routes into the tunnel
# but b does not route back into it (10.9.9.9) is dropped after decryption.
addr_add a lo 10.9.9.9/32
la=$GH_TMP/a-src.log lb=$GH_TMP/b-src.log
peer a 192.0.2.1 192.0.2.2 169.254.10.1/30 10.2.0.0/24 offload gcm128 \
	0x1001 "$KA_GCM128" - 0x2001 "$KB_GCM128" - "$la"
pa=$PEER_PID
GH_PEER_EXTRA=--strict-source peer b 192.0.2.2 192.0.2.1 169.254.10.2/30 10.1.0.0/24 offload \
	gcm128 0x2001 "$KB_GCM128" - 0x1001 "$KA_GCM128" - "$lb"
pb=$PEER_PID
wait_for 10 grep -q "up on" "$la" || fail "source check: peer a did not start"
wait_for 10 grep -q "up on" "$lb" || fail "source check: peer b did not start"
nsx a ping -c 2 -i 0.2 -W 2 -I 10.1.0.1 10.2.0.1 >/dev/null || fail "source check: routed source refused"
nsx a ping -c 2 -i 0.2 -W 1 -I 10.9.9.9 10.2.0.1 >/dev/null 2>&1
stop_peer "$pa" "$la"
stop_peer "$pb" "$lb"
[ "$(stat_of "$lb" drop_policy)" -ge 2 ] || fail "source check: spoofed source not dropped: $(grep drop_ "$lb")"
pass "strict source check: 10.9.9.9 dropped after decryption ($(stat_of "$lb" drop_policy)), 10.1.0.1 accepted"

echo "dp_esp_loop: $GH_PASSES passed, 0 failed"
