#!/usr/bin/env bash
# bench/tunnel.sh - tunnel throughput, side by side, in one namespace topology:
#   plain veth (no tunnel), Gatehouse <-> Gatehouse (tests/tools/dp_peer, static keys) over
#   ESP (proto 50) and ESP-in-UDP 4500, first with one packet per syscall, then with UDP
#   GSO/GRO, then with TUN segmentation offload + receive coalescing (the defaults), and
#   strongSwan <->
#   strongSwan (charon + kernel-libipsec, always ESP-in-UDP, interop.md 1), for AES128-GCM-16,
#   AES256-GCM-16 and AES128 + SHA1. Prints one table: iperf3 TCP Gbit/s (receiver) and
#   64-byte UDP packets/s delivered (iperf3 -u -b 0 -l 64, receiver count).
#
#   ns a: lo 10.1.0.1/32, a0 192.0.2.1/24  ----veth----  ns b: lo 10.2.0.1/32, b0 192.0.2.2/24
#
# A benchmark, not a test: nothing asserts a timing. BENCH_SECONDS (default 5) per measurement,
# BENCH_ONLY=gatehouse|strongswan|veth to run one group. Needs root (namespaces), iperf3,
# charon with kernel-libipsec. Build without sanitizers: the script builds
# build-bench/tools/dp_peer (-O2) unless GH_DP_PEER points at one.
set -u
. "$(dirname "$0")/../tests/net/lib.sh"

T=${BENCH_SECONDS:-5}
ONLY=${BENCH_ONLY:-}
DP_PEER=${GH_DP_PEER:-$GH_ROOT/build-bench/tools/dp_peer}
if [ -z "${GH_DP_PEER:-}" ]; then
	make -s -C "$GH_ROOT" BUILD=build-bench MODULES="lib crypto esp route tun dp" \
		build-bench/tools/dp_peer >/dev/null || fail "cannot build dp_peer"
fi
ROWS=()

ns_add a
ns_add b
link_add a a0 192.0.2.1/24 b b0 192.0.2.2/24
addr_add a lo 10.1.0.1/32
addr_add b lo 10.2.0.1/32

# measure LABEL ALG SRC DST: iperf3 TCP and 64-byte UDP from ns a to ns b
measure() {
	local tcp pps
	nsx b iperf3 -s -B "$4" >"$GH_TMP/iperf-s.log" 2>&1 &
	local srv=$!
	sleep 0.5
	tcp=$(nsx a timeout $((T + 15)) iperf3 -c "$4" -B "$3" -t "$T" -J 2>/dev/null | python3 -c '
import json, sys
try: print("%.2f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e9))
except Exception: print("-")')
	pps=$(nsx a timeout $((T + 15)) iperf3 -c "$4" -B "$3" -t "$T" -u -b 0 -l 64 -J 2>/dev/null |
		python3 -c '
import json, sys
try:
    s = json.load(sys.stdin)["end"]["sum"]
    print("%.0f" % ((s["packets"] - s["lost_packets"]) / s["seconds"] / 1000))
except Exception: print("-")')
	kill "$srv" 2>/dev/null
	wait "$srv" 2>/dev/null
	ROWS+=("$(printf '%-34s %-16s %10s %14s' "$1" "$2" "$tcp" "$pps")")
	echo "  .. $1 $2: TCP $tcp Gbit/s, UDP-64 $pps kpkt/s" >&2
}

# --- plain veth ------------------------------------------------------------------------------
if [ -z "$ONLY" ] || [ "$ONLY" = veth ]; then
	measure "veth (no tunnel)" "-" 192.0.2.1 192.0.2.2
fi

# --- Gatehouse <-> Gatehouse -------------------------------------------------------------------
KA_GCM128=000102030405060708090a0b0c0d0e0f10111213
KB_GCM128=f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff20212223
KA_GCM256=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1fa0a1a2a3
KB_GCM256=f0f1f2f3f4f5f6f7f8f9fafbfcfdfeffe0e1e2e3e4e5e6e7e8e9eaebecedeeefb0b1b2b3
KA_CBC128=00112233445566778899aabbccddeeff
KB_CBC128=ffeeddccbbaa99887766554433221100
IA_SHA1=0102030405060708090a0b0c0d0e0f1011121314
IB_SHA1=a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4

gh_run() { # MODE(raw|encap|gso) ALG LABEL KA KB [IA IB]
	local extra=() ia=() ib=() pa pb
	case "$1" in
	raw) extra=(--no-gso --no-gro --no-offload) ;;
	encap) extra=(--encap --no-gso --no-gro --no-offload) ;;
	gso) extra=(--encap --no-offload) ;;
	offload) extra=(--encap) ;;
	raw-offload) extra=() ;;
	esac
	[ $# -ge 7 ] && ia=(--ikey-out "$6" --ikey-in "$7") && ib=(--ikey-out "$7" --ikey-in "$6")
	ip netns exec "$(ns_name a)" "$DP_PEER" --tun ghtun --local 192.0.2.1 --remote 192.0.2.2 \
		"${extra[@]}" --alg "$2" --spi-out 0x1001 --key-out "$4" --spi-in 0x2001 \
		--key-in "$5" "${ia[@]}" --inside 169.254.10.1/30 --route 10.2.0.0/24 \
		>"$GH_TMP/gh-a.log" 2>&1 &
	pa=$!
	GH_PIDS+=($pa)
	ip netns exec "$(ns_name b)" "$DP_PEER" --tun ghtun --local 192.0.2.2 --remote 192.0.2.1 \
		"${extra[@]}" --alg "$2" --spi-out 0x2001 --key-out "$5" --spi-in 0x1001 \
		--key-in "$4" "${ib[@]}" --inside 169.254.10.2/30 --route 10.1.0.0/24 \
		>"$GH_TMP/gh-b.log" 2>&1 &
	pb=$!
	GH_PIDS+=($pb)
	wait_for 10 grep -q "up on" "$GH_TMP/gh-a.log" || fail "dp_peer a: $(cat "$GH_TMP/gh-a.log")"
	wait_for 10 grep -q "up on" "$GH_TMP/gh-b.log" || fail "dp_peer b: $(cat "$GH_TMP/gh-b.log")"
	measure "$3" "$(alg_name "$2")" 10.1.0.1 10.2.0.1
	kill -INT "$pa" "$pb"
	wait "$pa" "$pb" 2>/dev/null
	nsx a ip route flush cache
	nsx b ip route flush cache
}

alg_name() {
	case "$1" in
	gcm128) echo AES128-GCM-16 ;; gcm256) echo AES256-GCM-16 ;; cbc128-sha1) echo AES128+SHA1 ;;
	esac
}

if [ -z "$ONLY" ] || [ "$ONLY" = gatehouse ]; then
	for mode in ${BENCH_GH_MODES:-raw encap gso offload raw-offload}; do
		case $mode in
		raw) label="gatehouse ESP, 1 pkt/syscall" ;;
		encap) label="gatehouse UDP4500, 1 pkt/syscall" ;;
		gso) label="gatehouse UDP4500 +GSO/GRO" ;;
		offload) label="gatehouse UDP4500 +GSO/GRO+TUN TSO" ;;
		raw-offload) label="gatehouse ESP +TUN TSO" ;;
		esac
		gh_run $mode gcm128 "$label" "$KA_GCM128" "$KB_GCM128"
		gh_run $mode gcm256 "$label" "$KA_GCM256" "$KB_GCM256"
		gh_run $mode cbc128-sha1 "$label" "$KA_CBC128" "$KB_CBC128" "$IA_SHA1" "$IB_SHA1"
	done
fi

# --- strongSwan <-> strongSwan (kernel-libipsec) -----------------------------------------------
ss_conf() { # NS LOCAL REMOTE LTS RTS START ESP
	cat >"$(ss_dir "$1")/swanctl.conf" <<CONF
connections {
  bench {
    version = 2
    local_addrs = $2
    remote_addrs = $3
    proposals = aes128-sha256-modp2048
    mobike = no
    local {
      auth = psk
      id = $2
    }
    remote {
      auth = psk
      id = $3
    }
    children {
      bench {
        local_ts = $4
        remote_ts = $5
        esp_proposals = $7
        replay_window = 1024
        start_action = $6
      }
    }
  }
}
secrets {
  ike-bench {
    id-a = 192.0.2.1
    id-b = 192.0.2.2
    secret = "bench_psk_0123456789"
  }
}
CONF
}

ss_stop() { # NS: end the charon started in NS (its pid is in GH_PIDS; the ns holds only it)
	local p
	for p in $(ip netns pids "$(ns_name "$1")" 2>/dev/null); do kill "$p" 2>/dev/null; done
	wait_for 10 sh -c "[ -z \"\$(ip netns pids $(ns_name "$1"))\" ]" || true
	rm -f "$(ss_dir "$1")/charon.vici"
}

ss_run() { # ESP_PROPOSAL ALG_LABEL
	ss_start b
	ss_start a
	ss_conf b 192.0.2.2 192.0.2.1 10.2.0.0/24 10.1.0.0/24 none "$1"
	ss_conf a 192.0.2.1 192.0.2.2 10.1.0.0/24 10.2.0.0/24 start "$1"
	ss_load b
	ss_load a
	if ss_wait_child a bench 20; then
		measure "strongswan libipsec ESP-in-UDP" "$2" 10.1.0.1 10.2.0.1
	else
		note "strongSwan CHILD_SA for $2 not installed: $(tail -5 "$(ss_dir a)/charon.log")"
		ROWS+=("$(printf '%-34s %-16s %10s %14s' "strongswan libipsec ESP-in-UDP" "$2" - -)")
	fi
	ss_stop a
	ss_stop b
}

if [ -z "$ONLY" ] || [ "$ONLY" = strongswan ]; then
	if [ -x "$SS_CHARON" ]; then
		ss_run aes128gcm16 AES128-GCM-16
		ss_run aes256gcm16 AES256-GCM-16
		ss_run aes128-sha1 AES128+SHA1
	else
		note "no charon at $SS_CHARON: strongSwan rows skipped"
	fi
fi

echo
printf '%-34s %-16s %10s %14s\n' "setup" "algorithm" "TCP Gbit/s" "UDP-64 kpkt/s"
printf '%s\n' "${ROWS[@]}"
echo "($T s per measurement, $(nproc) CPUs; both ends and iperf3 share them)"
