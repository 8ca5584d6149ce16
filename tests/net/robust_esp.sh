#!/usr/bin/env bash
# robust_esp.sh - replay truncated, bit-flipped, corrupted and duplicated copies of REAL
# captured ESP-in-UDP packets (RFC 3948) at the Gatehouse data plane (tests/tools/dp_peer under
# ASan+UBSan+LSan, static SAs) while pings keep crossing the tunnel (robustness.md 3.5).
#
#   ns "a"                                          ns "b"
#   lo 10.1.0.1/32                                  lo 10.2.0.1/32
#   ghtun 169.254.10.1/30 ===== ESP in UDP ===== ghtun 169.254.10.2/30
#   (dp_peer)                                       (dp_peer, the target; tcpdump on b0)
#   a0 192.0.2.1/24 ------------ veth ------------ b0 192.0.2.2/24
#   robust_replay.py esp-storm (from a, ephemeral port -> 192.0.2.2:4500)
#
# Per algorithm (AES128-GCM-16, AES128-CBC + HMAC-SHA1-96): capture a's ESP, storm b with
# mutated copies, then: pings still pass both ways, b decrypted exactly the genuine packets
# (rx_packets = the datagrams a's data plane sent), the mutations are counted as ICV / replay /
# malformed / unknown-SPI drops, SIGINT -> exit 0 and no sanitizer report.
. "$(dirname "$0")/lib.sh"

BUILD_DIR=${GH_BUILD:-build-san}
DP_PEER=${GH_DP_PEER:-$GH_ROOT/$BUILD_DIR/tools/dp_peer}
REPLAY=$GH_ROOT/tests/net/robust_replay.py
[ -x "$DP_PEER" ] || fail "dp_peer not built ($DP_PEER; make SAN=1 tests)"
command -v tcpdump >/dev/null || fail "tcpdump missing (scripts/deps.sh)"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:exitcode=99}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=0}

ns_add a
ns_add b
link_add a a0 192.0.2.1/24 b b0 192.0.2.2/24
addr_add a lo 10.1.0.1/32
addr_add b lo 10.2.0.1/32

# Static test keys (as in dp_esp_loop.sh)
KA_GCM128=000102030405060708090a0b0c0d0e0f10111213
KB_GCM128=f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff20212223
KA_CBC128=00112233445566778899aabbccddeeff
KB_CBC128=ffeeddccbbaa99887766554433221100
IA_SHA1=0102030405060708090a0b0c0d0e0f1011121314
IB_SHA1=a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4

peer() { # NS LOCAL REMOTE INSIDE ROUTE ALG SPI_OUT KEY_OUT IKEY_OUT SPI_IN KEY_IN IKEY_IN LOG
	local args=(--tun ghtun --local "$2" --remote "$3" --inside "$4" --route "$5" --alg "$6"
		--spi-out "$7" --key-out "$8" --spi-in "${10}" --key-in "${11}"
		--encap --no-gso --no-gro --no-offload)
	[ "$9" = - ] || args+=(--ikey-out "$9")
	[ "${12}" = - ] || args+=(--ikey-in "${12}")
	ip netns exec "$(ns_name "$1")" "$DP_PEER" "${args[@]}" >"${13}" 2>&1 &
	PEER_PID=$!
	GH_PIDS+=($PEER_PID)
}

stat_of() { grep -o "\b$2=[0-9]*" "$1" | head -1 | cut -d= -f2; }

run_case() { # ALG KEY_A KEY_B IKEY_A IKEY_B
	local alg=$1 la=$GH_TMP/a-$1.log lb=$GH_TMP/b-$1.log pcap=$GH_TMP/b-$1.pcap
	local live=$GH_TMP/live-$1 pa pb td rca=0 rcb=0 genuine
	ip netns exec "$(ns_name b)" tcpdump -i b0 --immediate-mode -U -s 0 -w "$pcap" udp port 4500 \
		>"$GH_TMP/td-$alg.log" 2>&1 &
	td=$!
	GH_PIDS+=($td)
	wait_for 5 grep -q "listening on" "$GH_TMP/td-$alg.log" || fail "$alg: tcpdump did not start"
	peer a 192.0.2.1 192.0.2.2 169.254.10.1/30 10.2.0.0/24 "$alg" 0x1001 "$2" "$4" 0x2001 "$3" "$5" "$la"
	pa=$PEER_PID
	peer b 192.0.2.2 192.0.2.1 169.254.10.2/30 10.1.0.0/24 "$alg" 0x2001 "$3" "$5" 0x1001 "$2" "$4" "$lb"
	pb=$PEER_PID
	wait_for 10 grep -q "up on" "$la" || fail "$alg: peer a did not start: $(cat "$la")"
	wait_for 10 grep -q "up on" "$lb" || fail "$alg: peer b did not start: $(cat "$lb")"
	nsx a ping -c 4 -i 0.2 -W 2 -I 10.1.0.1 10.2.0.1 >/dev/null || fail "$alg: ping before the storm"
	nsx a ping -c 2 -i 0.2 -W 2 -s 1000 -I 10.1.0.1 10.2.0.1 >/dev/null || fail "$alg: big ping before the storm"
	# the captured ESP: real bytes from a's data plane, seen on b0
	python3 "$REPLAY" extract "$pcap" "$live" 192.0.2.2 >/dev/null || fail "$alg: extract"
	ls "$live" | grep -q c2g-esp || fail "$alg: no ESP captured"
	nsx a python3 "$REPLAY" esp-storm --target 192.0.2.2 --live "$live" \
		--seed "${GH_ROBUST_SEED:-4303}" --budget 240 --max-seconds 20 >"$GH_TMP/storm-$alg.json" ||
		fail "$alg: replayer failed"
	note "$alg storm: $(tr -d '\n ' <"$GH_TMP/storm-$alg.json")"
	kill -0 "$pb" 2>/dev/null || fail "$alg: dp_peer died during the storm: $(tail -20 "$lb")"
	nsx a ping -c 3 -i 0.2 -W 2 -I 10.1.0.1 10.2.0.1 >/dev/null || fail "$alg: ping a -> b after the storm"
	nsx b ping -c 3 -i 0.2 -W 2 -I 10.2.0.1 10.1.0.1 >/dev/null || fail "$alg: ping b -> a after the storm"
	pass "$alg: dp_peer alive, pings both ways after the storm"
	kill -INT "$pa" "$pb"
	wait_for 10 grep -q '^sa_in' "$la" || note "$alg: a printed no counters"
	wait_for 10 grep -q '^sa_in' "$lb" || note "$alg: b printed no counters"
	wait "$pa" || rca=$?
	wait "$pb" || rcb=$?
	sleep 0.3
	kill -INT "$td"
	wait "$td" 2>/dev/null
	note "b: $(grep -h 'drop_\|sa_in\|rx_packets' "$lb" | tr '\n' ' ')"
	# genuine: datagrams a's data plane sent (4500 -> 4500); the storm used another port
	genuine=$(tcpdump -r "$pcap" -n 'src host 192.0.2.1 and src port 4500 and dst port 4500' 2>/dev/null | wc -l)
	[ "$(stat_of "$lb" rx_packets)" = "$genuine" ] ||
		fail "$alg: b decrypted $(stat_of "$lb" rx_packets) packets, a sent $genuine genuine ones"
	pass "$alg: only the $genuine genuine packets were decrypted (none of the mutated copies)"
	local auth replay bad spi exact
	auth=$(stat_of "$lb" drop_auth) replay=$(stat_of "$lb" drop_replay)
	bad=$(stat_of "$lb" drop_bad) spi=$(stat_of "$lb" drop_unknown_spi)
	exact=$(python3 -c "import json; print(json.load(open('$GH_TMP/storm-$alg.json'))['esp_sent']['exact'])")
	[ "$replay" -ge "$exact" ] || fail "$alg: $exact exact replays but only $replay replay drops"
	fresh=$(python3 -c "import json; print(json.load(open('$GH_TMP/storm-$alg.json'))['esp_sent']['fresh_seq'])")
	[ "$auth" -ge "$fresh" ] || fail "$alg: $fresh corrupted packets with unseen sequence numbers but only $auth ICV drops"
	[ "$((bad + spi))" -ge 10 ] || fail "$alg: truncations not counted as malformed/unknown SPI ($bad, $spi)"
	pass "$alg: dropped with counters: ICV $auth (>= $fresh corrupted with unseen seq), replay $replay (>= $exact exact replays), malformed $bad, unknown SPI $spi"
	for l in "$la" "$lb"; do
		san=$(grep -E "ERROR: AddressSanitizer|LeakSanitizer|runtime error" "$l" | head -3)
		[ -z "$san" ] || fail "$alg: sanitizer report: $san"
	done
	[ "$rca" = 0 ] && [ "$rcb" = 0 ] || fail "$alg: dp_peer exit status $rca / $rcb"
	pass "$alg: SIGINT -> exit 0, no ASan/UBSan/LSan report"
}

run_case gcm128 "$KA_GCM128" "$KB_GCM128" - -
run_case cbc128-sha1 "$KA_CBC128" "$KB_CBC128" "$IA_SHA1" "$IB_SHA1"

echo "robust_esp: $GH_PASSES passed"
