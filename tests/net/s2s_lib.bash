# tests/net/s2s_lib.bash - the Site-to-Site topology shared by tests/net/s2s_*.sh (sourced after
# lib.sh; named .bash so run-all.sh, which runs tests/net/*.sh, does not take it for a test).
#
#   cgwhost            cgw (strongSwan 5.9.8,           gw (gatehoused, or a             vpchost
#   172.16.1.10 ------ charon + kernel-libipsec) ------ strongSwan mirror) ------------ 10.0.1.10
#          lan 172.16.1.1   wan 192.0.2.2     wan 198.51.100.1 (+ .2)   vpc 10.0.1.1
#
# With S2S_NAT=1 a namespace "nat" sits between cgw and gw and masquerades cgw's traffic
# (nftables), so the gateway sees the customer gateway as 203.0.113.2:<port>:
#
#   cgw wan 192.0.2.2 ---- 192.0.2.1 nat 203.0.113.2 ---- 203.0.113.1 (route) gw 198.51.100.1
#
# Customer network 172.16.1.0/24, VPC network 10.0.1.0/24, inside /30s 169.254.10.0/30 and
# 169.254.11.0/30. Every address exists only inside the namespaces of this run.

S2S_CGW_LAN=172.16.1.0/24
S2S_VPC=10.0.1.0/24
S2S_CGWHOST=172.16.1.10
S2S_VPCHOST=10.0.1.10
S2S_CGW_WAN=192.0.2.2
S2S_GW1=198.51.100.1
S2S_GW2=198.51.100.2
S2S_PSK1=tunnel1_psk_8to64
S2S_PSK2=tunnel2.psk_abcdef
# The engine driver (tests/tools/engine_run.c: gatehoused's engine and config file, no API).
GH_ENGINE_RUN=${GH_ENGINE_RUN:-$GH_ROOT/build-san/tools/engine_run}
GH_ENGINE_PIDS=()
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

s2s_topology() {
	ns_add cgwhost
	ns_add cgw
	ns_add gw
	ns_add vpchost
	link_add cgwhost eth0 $S2S_CGWHOST/24 cgw lan 172.16.1.1/24
	link_add gw vpc 10.0.1.1/24 vpchost eth0 $S2S_VPCHOST/24
	nsx cgwhost ip route add default via 172.16.1.1
	nsx vpchost ip route add default via 10.0.1.1
	forwarding_on cgw
	forwarding_on gw
	if [ "${S2S_NAT:-0}" = 1 ]; then
		ns_add nat
		link_add cgw wan $S2S_CGW_WAN/24 nat in 192.0.2.1/24
		link_add nat out 203.0.113.2/24 gw wan $S2S_GW1/24
		addr_add gw wan $S2S_GW2/24
		forwarding_on nat
		nsx cgw ip route add 198.51.100.0/24 via 192.0.2.1
		nsx nat ip route add 198.51.100.0/24 dev out
		nsx gw ip route add 203.0.113.0/24 dev wan
		nsx nat nft -f - <<NFT || fail "nftables masquerade in nat"
table ip nat {
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "out" masquerade random
	}
}
NFT
		S2S_CGW_SEEN=203.0.113.2
	else
		link_add cgw wan $S2S_CGW_WAN/24 gw wan $S2S_GW1/24
		addr_add gw wan $S2S_GW2/24
		nsx cgw ip route add 198.51.100.0/24 dev wan
		nsx gw ip route add 192.0.2.0/24 dev wan
		S2S_CGW_SEEN=$S2S_CGW_WAN
	fi
}

# The customer gateway's swanctl.conf in the style of interop.md 3.2 (AWS sample, route-based
# 0/0 selectors). Variables: SS_IKE, SS_ESP (proposals), SS_START (start|none|trap),
# SS_REKEY_IKE, SS_REKEY_CHILD, SS_LIFE_CHILD, SS_PSK1/2, SS_TUNNELS ("1" or "1 2"), SS_CLOSE,
# SS_LOCAL_ADDR, SS_LOCAL_TS, SS_REMOTE_TS.
s2s_swanctl_cgw() {
	local dir t remote psk start
	dir=$(ss_dir cgw)
	{
		echo "connections {"
		for t in ${SS_TUNNELS:-1}; do
			if [ "$t" = 1 ]; then remote=$S2S_GW1; else remote=$S2S_GW2; fi
			start=${SS_START:-start}
			# With kernel-libipsec two identical 0/0 children are ambiguous (interop.md
			# 3.2): give tunnel 2 distinct selectors when both run.
			cat <<CONF
  aws-tun$t {
    version = 2
    local_addrs = ${SS_LOCAL_ADDR:-$S2S_CGW_WAN}
    remote_addrs = $remote
    proposals = ${SS_IKE:-aes128-sha1-modp1024}
    rekey_time = ${SS_REKEY_IKE:-28260s}
    over_time = 10s
    rand_time = 0
    reauth_time = 0
    dpd_delay = ${SS_DPD_DELAY:-10s}
    keyingtries = 0
    mobike = no
    encap = no
    fragmentation = yes
    local {
      auth = psk
      id = $S2S_CGW_WAN
    }
    remote {
      auth = psk
      id = $remote
    }
    children {
      tun$t {
        local_ts = $(eval echo "\${SS_LOCAL_TS$t:-${SS_LOCAL_TS:-0.0.0.0/0}}")
        remote_ts = $(eval echo "\${SS_REMOTE_TS$t:-${SS_REMOTE_TS:-0.0.0.0/0}}")
        esp_proposals = ${SS_ESP:-aes128-sha1-modp1024}
        rekey_time = ${SS_REKEY_CHILD:-3060s}
        life_time = ${SS_LIFE_CHILD:-3600s}
        rand_time = 0
        replay_window = 1024
        dpd_action = restart
        start_action = $start
        close_action = ${SS_CLOSE:-none}
      }
    }
  }
CONF
		done
		echo "}"
		echo "secrets {"
		for t in ${SS_TUNNELS:-1}; do
			if [ "$t" = 1 ]; then remote=$S2S_GW1 psk=${SS_PSK1:-$S2S_PSK1}; else
				remote=$S2S_GW2 psk=${SS_PSK2:-$S2S_PSK2}; fi
			cat <<CONF
  ike-tun$t {
    id-a = $S2S_CGW_WAN
    id-b = $remote
    secret = "$psk"
  }
CONF
		done
		echo "}"
	} >"$dir/swanctl.conf"
}

# The "AWS" side as a strongSwan mirror (responder), for validating the topology and as the
# benchmark's reference: interop.md 3.2 "swap local/remote and the ids, start_action = none".
s2s_swanctl_gw_mirror() {
	local dir
	dir=$(ss_dir gw)
	cat >"$dir/swanctl.conf" <<CONF
connections {
  cgw-tun1 {
    version = 2
    local_addrs = $S2S_GW1
    remote_addrs = %any
    proposals = ${SS_IKE:-aes128-sha1-modp1024}
    reauth_time = 0
    dpd_delay = ${SS_DPD_DELAY:-10s}
    mobike = no
    local {
      auth = psk
      id = $S2S_GW1
    }
    remote {
      auth = psk
      id = $S2S_CGW_WAN
    }
    children {
      tun1 {
        local_ts = 0.0.0.0/0
        remote_ts = 0.0.0.0/0
        esp_proposals = ${SS_ESP:-aes128-sha1-modp1024}
        replay_window = 1024
        start_action = none
        close_action = none
      }
    }
  }
}
secrets {
  ike-tun1 {
    id-a = $S2S_GW1
    id-b = $S2S_CGW_WAN
    secret = "$S2S_PSK1"
  }
}
CONF
}

# gatehoused's config for the gw namespace. Variables: GH_TUNNELS ("1" / "1 2"), GH_START
# (add|start), GH_OPTS (extra tunnel lines), GH_OPTS_1/2 (for one tunnel), GH_PSK1/2,
# GH_REMOTE (CGW address as seen).
s2s_gh_conf() {
	local f=$GH_TMP/gatehoused.conf t addr psk cidr
	{
		echo "log-level ${GH_LOG_LEVEL:-debug}"
		echo "outside-address $S2S_GW1 $S2S_GW2"
		echo "vpc-network $S2S_VPC"
		for t in ${GH_TUNNELS:-1}; do
			if [ "$t" = 1 ]; then addr=$S2S_GW1 psk=${GH_PSK1:-$S2S_PSK1} cidr=169.254.10.0/30; else
				addr=$S2S_GW2 psk=${GH_PSK2:-$S2S_PSK2} cidr=169.254.11.0/30; fi
			cat <<CONF
tunnel vpn-s2stest $t {
	local-address $addr
	remote-address ${GH_REMOTE:-$S2S_CGW_SEEN}
	inside-cidr $cidr
	pre-shared-key "$psk"
	startup-action ${GH_START:-add}
	route $S2S_CGW_LAN priority $((t * 100))
${GH_OPTS:-}
$(eval echo "\"\${GH_OPTS_$t:-}\"")
}
CONF
		done
	} >"$f"
	echo "$f"
}

# Start the engine in gw with the config file; log $GH_TMP/gatehoused.log, tunnel status
# lines (engine_run --status) in $GH_TMP/status.
gh_start() { # CONFIG [NS]
	[ -x "$GH_ENGINE_RUN" ] || fail "no engine_run at $GH_ENGINE_RUN (make SAN=1 tests first)"
	"$GH_ENGINE_RUN" --check --config "$1" >"$GH_TMP/check.out" 2>&1 ||
		fail "config check: $(cat "$GH_TMP/check.out")"
	bg "${2:-gw}" "$GH_TMP/gatehoused${2:+-$2}.log" env ASAN_OPTIONS=detect_leaks=1 \
		"$GH_ENGINE_RUN" --config "$1" --status "$GH_TMP/status${2:+-$2}" ${GH_RUN_FLAGS:-}
	GH_DAEMON_PID=${GH_PIDS[-1]}
	GH_ENGINE_PIDS+=("$GH_DAEMON_PID")
}

# A kernel route PREFIX into a Gatehouse TUN (gh*) in NS (default gw).
gh_route_in_tun() { nsx "${2:-gw}" ip route show "$1" | grep -q 'dev gh'; }

gh_log_has() { grep -qF -- "$1" "$GH_TMP/gatehoused.log"; }
gh_status_is() { grep -q "^vpn-s2stest $1 $2 " "$GH_TMP/status${3:+-$3}" 2>/dev/null; }
gh_wait_up() { # INDEX SECONDS
	wait_for "$2" gh_status_is "$1" UP || fail "tunnel $1 not UP: $(cat "$GH_TMP/status" 2>/dev/null)"
}
# End of a scenario: stop every engine started with gh_start (SIGTERM: IKE DELETE sent, SAs
# freed) and fail on any sanitizer report (the SAN build's leak check runs at exit).
s2s_finish() {
	local p c
	for p in "${GH_ENGINE_PIDS[@]}"; do
		c=$(pgrep -P "$p" 2>/dev/null)
		kill -TERM ${c:-$p} 2>/dev/null
		wait_for 10 sh -c "! kill -0 ${c:-$p} 2>/dev/null" || fail "engine did not stop on SIGTERM"
	done
	if grep -lE 'AddressSanitizer|LeakSanitizer|runtime error:' "$GH_TMP"/gatehoused*.log 2>/dev/null; then
		grep -hE -A8 'AddressSanitizer|LeakSanitizer|runtime error:' "$GH_TMP"/gatehoused*.log | head -40
		fail "sanitizer report in the engine's log"
	fi
	echo "all $GH_PASSES checks passed"
}

# Signal the engine process by pid (bg's job may be a subshell whose child is the engine).
gh_signal() { # SIG
	local c
	c=$(pgrep -P "$GH_DAEMON_PID" 2>/dev/null)
	kill -"$1" ${c:-$GH_DAEMON_PID}
}

# Dump the logs that explain a failure.
s2s_dump() {
	echo "---- charon (cgw) ----"
	tail -40 "$(ss_dir cgw)/charon.log" 2>/dev/null
	echo "---- engine (gw) ----"
	cat "$GH_TMP/status" 2>/dev/null
	tail -60 "$GH_TMP/gatehoused.log" 2>/dev/null
	echo "---- charon (gw) ----"
	tail -30 "$(ss_dir gw)/charon.log" 2>/dev/null
}
GH_FAIL_HOOK=s2s_dump

ping_ok() { # FROM_NS DST
	nsx "$1" ping -c 3 -i 0.2 -W 2 -q "$2" >/dev/null 2>&1 ||
		nsx "$1" ping -c 3 -i 0.2 -W 2 -q "$2" >/dev/null 2>&1
}

# A bounded TCP transfer with a checksum: BYTES random bytes from FROM_NS to DST_ADDR in
# TO_NS; the receiver's SHA-256 must equal the sender's. Bounded by timeouts.
tcp_xfer() { # FROM_NS TO_NS DST_ADDR BYTES [SECONDS]
	local from=$1 to=$2 dst=$3 bytes=$4 secs=${5:-30} port=5201 src=$GH_TMP/xfer.$RANDOM
	head -c "$bytes" /dev/urandom >"$src"
	nsx "$to" timeout "$secs" $PY -c '
import hashlib, socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(1)
c, _ = s.accept(); h = hashlib.sha256(); n = 0
while True:
    b = c.recv(65536)
    if not b: break
    h.update(b); n += len(b)
print(n, h.hexdigest())' "$dst" $port >"$src.recv" 2>&1 &
	local rpid=$!
	sleep 0.3
	nsx "$from" timeout "$secs" $PY -c '
import socket, sys, time
for i in range(20):
    try:
        s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5); break
    except OSError:
        time.sleep(0.2)
s.settimeout(None)
with open(sys.argv[3], "rb") as f: s.sendall(f.read())
s.close()' "$dst" $port "$src" || { kill $rpid 2>/dev/null; return 1; }
	wait $rpid || return 1
	[ "$(cat "$src.recv")" = "$bytes $(sha256sum <"$src" | cut -d' ' -f1)" ]
}

# A slow transfer (64 KiB every 50 ms) so rekeys can happen while it runs; background.
# Sets XFER_PID; tcp_xfer_slow_wait checks the checksum.
tcp_xfer_slow_start() { # FROM_NS TO_NS DST_ADDR BYTES
	XFER_SRC=$GH_TMP/slow.$RANDOM
	head -c "$4" /dev/urandom >"$XFER_SRC"
	XFER_BYTES=$4
	nsx "$2" timeout 120 $PY -c '
import hashlib, socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 5202)); s.listen(1)
c, _ = s.accept(); h = hashlib.sha256(); n = 0
while True:
    b = c.recv(65536)
    if not b: break
    h.update(b); n += len(b)
print(n, h.hexdigest())' "$3" >"$XFER_SRC.recv" 2>&1 &
	XFER_RPID=$!
	sleep 0.3
	nsx "$1" timeout 120 $PY -c '
import socket, sys, time
s = socket.create_connection((sys.argv[1], 5202), timeout=10)
s.settimeout(60)
data = open(sys.argv[2], "rb").read()
for i in range(0, len(data), 65536):
    s.sendall(data[i:i + 65536]); time.sleep(0.05)
s.close()' "$3" "$XFER_SRC" >"$XFER_SRC.send" 2>&1 &
	XFER_PID=$!
}

tcp_xfer_slow_wait() {
	wait "$XFER_PID" || return 1
	wait "$XFER_RPID" || return 1
	[ "$(cat "$XFER_SRC.recv")" = "$XFER_BYTES $(sha256sum <"$XFER_SRC" | cut -d' ' -f1)" ]
}

# The customer gateway: charon with the AWS-style config (variables of s2s_swanctl_cgw).
s2s_cgw_up() {
	s2s_ss_start cgw $S2S_VPC
	s2s_swanctl_cgw
	ss_load cgw
}

# A field of the CGW's SAs in swanctl --list-sas --raw ("encr-alg=AES_CBC" ...).
ss_raw() { swanctl_ns cgw --list-sas --raw 2>/dev/null; }

# Both directions, ICMP and TCP (BYTES each way).
s2s_traffic_both_ways() { # LABEL [BYTES]
	local bytes=${2:-2000000}
	ping_ok cgwhost $S2S_VPCHOST || fail "$1: ping cgwhost -> vpchost"
	ping_ok vpchost $S2S_CGWHOST || fail "$1: ping vpchost -> cgwhost"
	tcp_xfer cgwhost vpchost $S2S_VPCHOST "$bytes" || fail "$1: TCP cgwhost -> vpchost"
	tcp_xfer vpchost cgwhost $S2S_CGWHOST "$bytes" || fail "$1: TCP vpchost -> cgwhost"
	pass "$1: ICMP and a $bytes-byte TCP transfer (SHA-256 checked) both ways"
}


# Start charon in NS without its own table-220 routes: route-based like the AWS sample
# (interop.md 3.4): 0/0 selectors, and only the remote network routed into ipsec0.
s2s_ss_start() { # NS REMOTE_NET
	ss_start "$1"
	wait_for 10 nsx "$1" ip link show ipsec0 || fail "no ipsec0 in $1"
	# lib.sh's strongswan.conf sets install_routes = yes (and a repeated key does not
	# override it): take charon's table 220 out of the lookup instead, so its "default dev
	# ipsec0" does not swallow the LAN side's traffic.
	nsx "$1" ip rule del table 220 2>/dev/null
	nsx "$1" ip link set ipsec0 up
	nsx "$1" ip route replace "$2" dev ipsec0
}

# --- gatehoused with the EC2 API in gw (scenarios driven through the AWS CLI) ---------------
# api_setup NAME: check the binaries and write $conf with what every API scenario needs: the
# API on gw's loopback with the credentials NAME / NAME-secret (callers append their lines).
api_setup() { # NAME
	GH_BIN=${GH_BIN:-$GH_ROOT/build-san/gatehoused}
	AWS=${AWS_CLI:-/usr/bin/aws}
	[ -x "$GH_BIN" ] || fail "no gatehoused at $GH_BIN (make SAN=1 all)"
	[ -x "$AWS" ] || fail "no AWS CLI v2 at $AWS"
	API=http://127.0.0.1:5000
	S2S_API_KEY=$1
	conf=$GH_TMP/gatehoused.conf
	cat >"$conf" <<CONF
listen 127.0.0.1:5000
data-dir $GH_TMP/data
access-key $1
secret-key $1-secret
log-level debug
CONF
}

# s2s_api_setup NAME: api_setup, plus both outside addresses as the pool and the VPC network.
s2s_api_setup() { # NAME
	api_setup "$1"
	cat >>"$conf" <<CONF
outside-address $S2S_GW1 $S2S_GW2
vpc-network $S2S_VPC
CONF
}

# The AWS CLI inside gw's namespace (the API listens on that namespace's loopback only):
# aws_api SERVICE args... (e.g. aws_api acm import-certificate ...); aws_gw = aws_api ec2.
aws_api() {
	nsx gw env AWS_ACCESS_KEY_ID="$S2S_API_KEY" AWS_SECRET_ACCESS_KEY="$S2S_API_KEY-secret" \
		AWS_DEFAULT_REGION=us-east-1 AWS_PAGER= AWS_EC2_METADATA_DISABLED=true \
		AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
		"$AWS" --endpoint-url "$API" "$@"
}
aws_gw() { aws_api ec2 "$@"; }

# Start gatehoused --config $conf in gw (plus $GH_DAEMON_FLAGS); each start logs to a new $GH_LOG.
GH_LOG_N=0
daemon_start() {
	GH_LOG_N=$((GH_LOG_N + 1))
	GH_LOG=$GH_TMP/gatehoused-$GH_LOG_N.log
	bg gw "$GH_LOG" env ASAN_OPTIONS=detect_leaks=1 "$GH_BIN" --config "$conf" --state-delay-ms 500 \
		${GH_DAEMON_FLAGS:-}
	GH_DAEMON_PID=${GH_PIDS[-1]}
	wait_for 15 nsx gw curl -s -o /dev/null "$API/" || fail "the API did not answer: $(tail -5 "$GH_LOG")"
}
daemon_pid() { pgrep -P "$GH_DAEMON_PID" 2>/dev/null || echo "$GH_DAEMON_PID"; }
log_has() { grep -qF -- "$1" "$GH_LOG"; }
