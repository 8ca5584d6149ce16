#!/usr/bin/env bash
# bench/tunnel.sh - tunnel throughput, side by side, in one namespace topology and one run:
#
#   * plain forwarding, no tunnel;
#   * Gatehouse <-> Gatehouse: two gatehoused daemons (--config, release build) that negotiate
#     the tunnel with IKEv2; the customer side is the same daemon configured as the initiator
#     (startup-action start, inside-role customer). Once over plain ESP (IP protocol 50) and
#     once over UDP-encapsulated ESP (NAT-T, RFC 3948), forced by a masquerading NAT in the
#     router namespace, as in tests/net/s2s_natt.sh;
#   * strongSwan <-> strongSwan (charon + kernel-libipsec, which always sends ESP in UDP,
#     interop.md 1);
#   * (reference) the data plane alone with static keys (tests/tools/dp_peer, no IKE);
#
# each for AES128-GCM-16, AES256-GCM-16 and AES128 + SHA1 (phase 1 and phase 2 restricted to
# the algorithm). One table: iperf3 TCP Gbit/s (receiver), small-packet rate (iperf3 UDP,
# 64-byte payload, unthrottled sender, packets the receiver got per second) and, per
# algorithm, TCP Gatehouse / strongSwan.
#
#   ns a (customer side)          ns r (router)                   ns b (AWS side)
#   lo 10.1.0.1/32                                                lo 10.2.0.1/32
#   a0 192.0.2.1/24 ---- 192.0.2.254 r0 | r1 198.51.100.254 ---- b0 198.51.100.2/24
#                                 (nft masquerade out r1 for the NAT-T rows only)
#
# iperf3 runs from 10.1.0.1 (ns a) to 10.2.0.1 (ns b) through the tunnel; the row without a
# tunnel runs from 192.0.2.1 to 198.51.100.2 (the same veths and router).
# A benchmark, not a test: nothing asserts a timing. Variables: BENCH_SECONDS (default 5) per
# measurement; BENCH_ALGS (default "gcm128 gcm256 cbc128-sha1");
# BENCH_ONLY=veth|gatehouse|strongswan|dataplane runs one group; BENCH_DP=0 drops the
# data-plane-only rows; GH_BIN (default $BUILD/gatehoused, built with `make all` when
# missing) and GH_DP_PEER. Needs root (namespaces), iperf3, nft, charon with kernel-libipsec.
# Everything runs in namespaces named "$GH_RUN_ID-*" (tests/net/lib.sh), removed on every exit.
set -u
. "$(dirname "$0")/../tests/net/lib.sh"

T=${BENCH_SECONDS:-5}
ONLY=${BENCH_ONLY:-}
BUILD=${BUILD:-build}
GH_BIN=${GH_BIN:-$GH_ROOT/$BUILD/gatehoused}
DP_PEER=${GH_DP_PEER:-$GH_ROOT/build-bench/tools/dp_peer}
ALGS=${BENCH_ALGS:-gcm128 gcm256 cbc128-sha1}
A_OUT=192.0.2.1
B_OUT=198.51.100.2
R_NAT=198.51.100.254
A_IN=10.1.0.1
B_IN=10.2.0.1
PSK=bench_psk_0123456789

want() { [ -z "$ONLY" ] || [ "$ONLY" = "$1" ]; }

if want gatehouse && [ ! -x "$GH_BIN" ]; then
	make -s -C "$GH_ROOT" BUILD="$BUILD" all >/dev/null || fail "cannot build $GH_BIN"
fi
if want dataplane && [ "${BENCH_DP:-1}" = 1 ] && [ -z "${GH_DP_PEER:-}" ]; then
	make -s -C "$GH_ROOT" BUILD=build-bench MODULES="lib crypto esp route tun dp" \
		build-bench/tools/dp_peer >/dev/null || fail "cannot build dp_peer"
fi

ns_add a
ns_add r
ns_add b
link_add a a0 $A_OUT/24 r r0 192.0.2.254/24
link_add r r1 $R_NAT/24 b b0 $B_OUT/24
addr_add a lo $A_IN/32
addr_add b lo $B_IN/32
forwarding_on r
nsx a ip route add default via 192.0.2.254
nsx b ip route add default via $R_NAT

nat_on() {
	nsx r nft -f - <<NFT || fail "nftables masquerade in r"
table ip benchnat {
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "r1" masquerade random
	}
}
NFT
}
nat_off() { nsx r nft delete table ip benchnat 2>/dev/null; }

alg_name() {
	case "$1" in
	gcm128) echo AES128-GCM-16 ;; gcm256) echo AES256-GCM-16 ;; cbc128-sha1) echo AES128+SHA1 ;;
	esac
}

# Results: "group|setup|algorithm|tcp|kpps" lines, printed in a fixed order at the end.
RES=()

# iperf3 from ns a to ns b; prints "TCP_GBITS KPPS" ("-" for a failed measurement).
# Small packets: -u -l 64 -b 0 (the sender as fast as it can, one stream), counted at the
# receiver: packets the server got (sent - lost, as the server reports them) per second.
measure() { # SRC DST
	local tcp pps srv
	nsx b iperf3 -s -B "$2" >"$GH_TMP/iperf-s.log" 2>&1 &
	srv=$!
	wait_for 5 sh -c "ip netns exec $(ns_name b) ss -ltn | grep -q ':5201 '"
	tcp=$(nsx a timeout $((T + 15)) iperf3 -c "$2" -B "$1" -t "$T" -J 2>/dev/null | python3 -c '
import json, sys
try: print("%.2f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e9))
except Exception: print("-")')
	pps=$(nsx a timeout $((T + 15)) iperf3 -c "$2" -B "$1" -t "$T" -u -b 0 -l 64 -J \
		2>/dev/null | python3 -c '
import json, sys
try:
    s = json.load(sys.stdin)["end"]["sum_received"]
    print("%.0f" % ((s["packets"] - s["lost_packets"]) / s["seconds"] / 1000))
except Exception: print("-")')
	kill "$srv" 2>/dev/null
	wait "$srv" 2>/dev/null
	echo "$tcp $pps"
}

record() { # GROUP SETUP ALG TCP KPPS
	RES+=("$1|$2|$3|$4|$5")
	echo "  .. $2 $3: TCP $4 Gbit/s, UDP-64 $5 kpkt/s" >&2
}

# --- plain forwarding ----------------------------------------------------------------------
if want veth; then
	read -r tcp pps < <(measure $A_OUT $B_OUT)
	record 0 "no tunnel (veth + router)" - "$tcp" "$pps"
fi

# --- Gatehouse <-> Gatehouse: gatehoused with IKE --------------------------------------------
gh_algs() { # ALG: phase 1 and phase 2 restricted to it
	case "$1" in
	gcm128 | gcm256)
		local e=AES128-GCM-16
		[ "$1" = gcm256 ] && e=AES256-GCM-16
		# GCM is an AEAD: the integrity list only picks the IKE PRF (RFC 5282 8).
		printf '\tphase1-encryption-algorithms %s\n\tphase2-encryption-algorithms %s\n' "$e" "$e"
		printf '\tphase1-integrity-algorithms SHA2-256\n\tphase2-integrity-algorithms SHA2-256\n'
		;;
	cbc128-sha1)
		printf '\tphase1-encryption-algorithms AES128\n\tphase2-encryption-algorithms AES128\n'
		printf '\tphase1-integrity-algorithms SHA1\n\tphase2-integrity-algorithms SHA1\n'
		;;
	esac
	printf '\tphase1-dh-group-numbers 14 19\n'
}

gh_suite() { # ALG: the CHILD SA suite as the engine logs it
	case "$1" in
	gcm128) echo "AES_GCM_16_128/integ 0" ;; gcm256) echo "AES_GCM_16_256/integ 0" ;;
	cbc128-sha1) echo "AES_CBC_128/integ 2" ;; # integ 2: AUTH_HMAC_SHA1_96 (RFC 7296 3.3.2)
	esac
}

gh_conf() { # NS LOCAL REMOTE ROUTE START ROLE ALG
	cat <<CONF
log-level info
data-dir $GH_TMP/data-$1
outside-address $2
vpc-network $([ "$1" = a ] && echo $A_IN/32 || echo $B_IN/32)
tunnel vpn-bench 1 {
	local-address $2
	remote-address $3
	inside-cidr 169.254.10.0/30
	pre-shared-key $PSK
	startup-action $5
	inside-role $6
	route $4
$(gh_algs "$7")
}
CONF
}

# Stop processes started with bg (its pid is a subshell whose child is the program), then wait.
stop() { # SIG PID...
	local sig=$1 p c
	shift
	for p in "$@"; do
		c=$(pgrep -P "$p" 2>/dev/null)
		kill -"$sig" $c "$p" 2>/dev/null
	done
	for p in "$@"; do
		wait_for 10 sh -c "! kill -0 $p 2>/dev/null" || kill -9 "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
}

gh_run() { # MODE(esp|natt) ALG
	local pa pb seen=$A_OUT label="Gatehouse IKE, ESP (proto 50)" enc child try tcp=- pps=-
	if [ "$1" = natt ]; then
		nat_on
		seen=$R_NAT label="Gatehouse IKE, NAT-T (UDP 4500)"
	fi
	gh_conf b $B_OUT $seen $A_IN/32 add aws "$2" >"$GH_TMP/b.conf"
	gh_conf a $A_OUT $B_OUT $B_IN/32 start customer "$2" >"$GH_TMP/a.conf"
	"$GH_BIN" -n --config "$GH_TMP/a.conf" >"$GH_TMP/check.out" 2>&1 &&
		"$GH_BIN" -n --config "$GH_TMP/b.conf" >>"$GH_TMP/check.out" 2>&1 ||
		fail "config check: $(cat "$GH_TMP/check.out")"
	for try in 1 2; do
		bg b "$GH_TMP/gh-b.log" "$GH_BIN" --config "$GH_TMP/b.conf" --listen 127.0.0.1:0
		pb=${GH_PIDS[-1]}
		# The responder listens before the initiator starts (IKE on UDP 500 in ns b).
		wait_for 10 sh -c "ip netns exec $(ns_name b) ss -Hlun 'sport = :500' | grep -q ."
		bg a "$GH_TMP/gh-a.log" "$GH_BIN" --config "$GH_TMP/a.conf" --listen 127.0.0.1:0
		pa=${GH_PIDS[-1]}
		wait_for 20 grep -q 'vpn-bench tunnel 1 .*: UP' "$GH_TMP/gh-a.log" &&
			wait_for 10 grep -q 'vpn-bench tunnel 1 .*: UP' "$GH_TMP/gh-b.log" && break
		# Not up (a busy machine): say why, and start both once more from scratch.
		note "$label $(alg_name "$2"), try $try: tunnel not UP: $(grep -h 'vpn-bench\|err' \
			"$GH_TMP/gh-a.log" "$GH_TMP/gh-b.log" | tail -4)"
		[ "$try" = 2 ] || stop TERM "$pa" "$pb"
	done
	if grep -q 'vpn-bench tunnel 1 .*: UP' "$GH_TMP/gh-a.log" &&
		grep -q 'vpn-bench tunnel 1 .*: UP' "$GH_TMP/gh-b.log"; then
		# What was negotiated (the customer side's log): measured only if it is what the
		# row says (suite restricted to the algorithm; UDP encapsulation or not).
		child=$(grep -oE 'CHILD SA [0-9a-f]+_i [0-9a-f]+_o installed \(.*' "$GH_TMP/gh-a.log")
		grep -hoE 'IKE SA [0-9a-f]+_i [0-9a-f]+_r established \(.*' "$GH_TMP/gh-a.log" |
			sed -E 's/^IKE SA [^ ]+ [^ ]+ /  .. IKE SA /' >&2
		echo "$child" | sed -E 's/^(IKE|CHILD) SA [^ ]+ [^ ]+ /  .. \1 SA /' >&2
		enc=no
		case "$child" in *UDP-encapsulated*) enc=yes ;; esac
		if [ "$enc" != "$([ "$1" = natt ] && echo yes || echo no)" ]; then
			note "$label $(alg_name "$2"): UDP encapsulation is '$enc', not measured"
		elif [ "$(grep -c "($(gh_suite "$2")/" <<<"$child")" != 1 ]; then
			note "$label $(alg_name "$2"): unexpected CHILD SA '$child', not measured"
		else
			read -r tcp pps < <(measure $A_IN $B_IN)
		fi
	fi
	record 1 "$label" "$(alg_name "$2")" "$tcp" "$pps"
	stop TERM "$pa" "$pb" # gatehoused: IKE DELETE sent, SAs and TUN removed
	[ "$1" = natt ] && nat_off
	rm -rf "$GH_TMP/data-a" "$GH_TMP/data-b"
}

# --- data plane only: dp_peer with static keys, no IKE ----------------------------------------
dp_run() { # MODE(esp|encap) ALG(gcm128|gcm256): AES key || 4-octet salt, one per direction
	local extra=() pa pb label="data plane only (static keys), ESP" tcp=- pps=- ka kb
	ka=000102030405060708090a0b0c0d0e0f10111213 kb=f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff20212223
	if [ "$2" = gcm256 ]; then
		ka=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1fa0a1a2a3
		kb=f0f1f2f3f4f5f6f7f8f9fafbfcfdfeffe0e1e2e3e4e5e6e7e8e9eaebecedeeefb0b1b2b3
	fi
	if [ "$1" = encap ]; then
		extra=(--encap)
		label="data plane only (static keys), UDP"
	fi
	bg a "$GH_TMP/dp-a.log" "$DP_PEER" --tun ghtun --local $A_OUT --remote $B_OUT \
		"${extra[@]}" --alg "$2" --spi-out 0x1001 --key-out "$ka" --spi-in 0x2001 \
		--key-in "$kb" --inside 169.254.10.2/30 --route $B_IN/32
	pa=${GH_PIDS[-1]}
	bg b "$GH_TMP/dp-b.log" "$DP_PEER" --tun ghtun --local $B_OUT --remote $A_OUT \
		"${extra[@]}" --alg "$2" --spi-out 0x2001 --key-out "$kb" --spi-in 0x1001 \
		--key-in "$ka" --inside 169.254.10.1/30 --route $A_IN/32
	pb=${GH_PIDS[-1]}
	if wait_for 10 grep -q "up on" "$GH_TMP/dp-a.log" &&
		wait_for 10 grep -q "up on" "$GH_TMP/dp-b.log"; then
		read -r tcp pps < <(measure $A_IN $B_IN)
	else
		note "dp_peer did not start: $(cat "$GH_TMP/dp-a.log" "$GH_TMP/dp-b.log" | tail -4)"
	fi
	record 3 "$label" "$(alg_name "$2")" "$tcp" "$pps"
	stop INT "$pa" "$pb"
}

# --- strongSwan <-> strongSwan (kernel-libipsec) -----------------------------------------------
ss_conf() { # NS LOCAL REMOTE LTS RTS START ALG
	local ike esp
	case "$7" in
	gcm128) ike=aes128gcm16-prfsha256-modp2048-ecp256 esp=aes128gcm16 ;;
	gcm256) ike=aes256gcm16-prfsha256-modp2048-ecp256 esp=aes256gcm16 ;;
	cbc128-sha1) ike=aes128-sha1-modp2048-ecp256 esp=aes128-sha1 ;;
	esac
	cat >"$(ss_dir "$1")/swanctl.conf" <<CONF
connections {
  bench {
    version = 2
    local_addrs = $2
    remote_addrs = $3
    proposals = $ike
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
        esp_proposals = $esp
        replay_window = 1024
        start_action = $6
      }
    }
  }
}
secrets {
  ike-bench {
    id-a = $A_OUT
    id-b = $B_OUT
    secret = "$PSK"
  }
}
CONF
}

ss_stop() { # NS: end the charon started in NS (the namespace holds only it)
	local p
	for p in $(ip netns pids "$(ns_name "$1")" 2>/dev/null); do kill "$p" 2>/dev/null; done
	wait_for 10 sh -c "[ -z \"\$(ip netns pids $(ns_name "$1"))\" ]" || true
	rm -f "$(ss_dir "$1")/charon.vici"
}

ss_run() { # ALG
	local tcp=- pps=- try
	for try in 1 2; do
		ss_start b
		ss_start a
		ss_conf b $B_OUT $A_OUT $B_IN/32 $A_IN/32 none "$1"
		ss_conf a $A_OUT $B_OUT $A_IN/32 $B_IN/32 start "$1"
		ss_load b
		ss_load a
		ss_wait_child a bench 20 && break
		note "strongSwan CHILD_SA for $1 not installed (try $try): $(grep -v vici \
			"$(ss_dir a)/charon.log" | tail -3)"
		[ "$try" = 2 ] || { ss_stop a; ss_stop b; rm -rf "$(ss_dir a)" "$(ss_dir b)"; }
	done
	if ss_child_installed a bench; then
		read -r tcp pps < <(measure $A_IN $B_IN)
	fi
	record 2 "strongSwan libipsec, ESP-in-UDP" "$(alg_name "$1")" "$tcp" "$pps"
	ss_stop a
	ss_stop b
	rm -rf "$(ss_dir a)" "$(ss_dir b)"
}

if want gatehouse; then
	for alg in $ALGS; do gh_run esp "$alg"; done
fi
if want strongswan; then
	if [ -x "$SS_CHARON" ]; then
		for alg in $ALGS; do ss_run "$alg"; done
	else
		note "no charon at $SS_CHARON: strongSwan rows skipped"
	fi
fi
if want dataplane && [ "${BENCH_DP:-1}" = 1 ]; then
	dp_run esp gcm128
	dp_run encap gcm128
fi
# NAT-T last: once the masquerade table exists, the router keeps connection-tracking state.
if want gatehouse; then
	for alg in $ALGS; do gh_run natt "$alg"; done
fi

# --- the table -------------------------------------------------------------------------------
printf '%s\n' "${RES[@]}" | python3 -c '
import sys
rows = [l.rstrip("\n").split("|") for l in sys.stdin if l.strip()]
ss = {r[2]: r[3] for r in rows if r[0] == "2"}
order = {"-": 0, "AES128-GCM-16": 1, "AES256-GCM-16": 2, "AES128+SHA1": 3}
rows.sort(key=lambda r: (order.get(r[2], 9), r[0], r[1]))
print()
print("%-38s %-14s %10s %13s %10s" % ("setup", "algorithm", "TCP Gbit/s", "UDP-64 kpkt/s",
                                     "TCP GH/SS"))
for g, setup, alg, tcp, pps in rows:
    ratio = ""
    if g in ("1", "3"):
        try: ratio = "%.2fx" % (float(tcp) / float(ss[alg]))
        except Exception: ratio = "-"
    print(("%-38s %-14s %10s %13s %10s" % (setup, alg, tcp, pps, ratio)).rstrip())
'
echo "($T s per measurement; $(nproc) CPUs shared by both ends, the router and iperf3)"
