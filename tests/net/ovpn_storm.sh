#!/usr/bin/env bash
# ovpn_storm.sh - malformed, truncated, bit-flipped and replayed packets thrown at the Gatehouse
# OpenVPN server (tests/tools/ovpn_server, ASan+UBSan+LSan) while a stock openvpn 2.6 client
# stays connected and pings through it (issue 5; robustness.md 3.6).
#
#   [cli] eth0 192.0.2.2 ------ 192.0.2.1 eth0 [srv] eth1 10.99.0.1 ------ 10.99.0.2 eth0 [lan]
#         openvpn 2.6 client        ovpn_server (SAN)                 tcpdump: echo requests
#         ping -i 0.2 10.99.0.2     tcpdump eth0 (capture)
#   [atk] eth0 198.51.100.2 ---- 198.51.100.1 eth2 [srv]
#         ovpn_storm.py (storm + AF_PACKET sniffer)
#
# For udp, udp with tls-crypt (v1), then tcp:
#  1. capture (tcpdump in srv) the client's whole session: resets, TLS, key-method 2,
#     PUSH_REQUEST, P_DATA_V2 pings;
#  2. with a ping running through the tunnel, from [atk]:
#     udp: garbage of random lengths; truncated / bit-flipped / byte-substituted / re-opcoded
#          copies of the client's real control and data packets; exact replays of its
#          P_DATA_V2 (twice) and control packets; the same from the client's own address and
#          port (raw socket, spoofed: exact replays, truncations, bit-flipped data packets); a
#          HARD_RESET_CLIENT_V2 flood; third packets with wrong cookies (random, the real
#          cookie one bit off, the real cookie from another port);
#     udp: then again after the server renegotiated (reneg-sec 12), key 0 (captured) now the
#          lame duck, and the cookie's time slot changed (>= 32 s after the handshake);
#     udp-tc: the same against a tls-crypt server, where nothing may be answered but exact
#          copies of the client's own wrapped reset (stateless: a retransmission to it);
#     tcp: zero-length frames, bad length prefixes, 65535-octet frames, garbage streams, the
#          client's frames replayed and mutated on other connections, many connections at
#          once, more idle connections than max_clients;
#  3. assert: the server is alive; the client's session is the same one all along (the server
#     announced one CONNECTED client and no DISCONNECTED, and lists that same client - peer-id,
#     address, remote address and port - when it stops; the client completed initialisation
#     once and never restarted; the ping lost little and works after the storm); the attacker
#     got nothing but HARD_RESET_SERVER_V2 answers (no data, no control session, no answer to
#     a wrong cookie; the right cookie does get one; with tls-crypt only copies of the
#     client's wrapped reset); no echo
#     request reached [lan] twice (replays not delivered again); the session did not float
#     to the attacker; the server logged the drops, rate-limited; SIGTERM -> exit 0 and no
#     ASan/UBSan/LSan report.
# And (udp): 300 half-open sessions (cookie exchange done, TLS never finished) hold no pool
# address: a real client still connects to the /24.
# Known-bug checks do not stop the run: they are collected and fail the test at the end.
# Every namespace/process/temp file goes away on exit (lib.sh trap).
set -u
. "$(dirname "$0")/lib.sh"

SERVER_BIN=${OVPN_SERVER:-}
if [ -z "$SERVER_BIN" ]; then
	for b in ${GH_BUILD:-} build-san build build-ovpn; do
		if [ -x "$GH_ROOT/$b/tools/ovpn_server" ]; then SERVER_BIN=$GH_ROOT/$b/tools/ovpn_server; break; fi
	done
fi
[ -n "$SERVER_BIN" ] || fail "ovpn_server tool not built (make SAN=1 tests)"
command -v openvpn >/dev/null || fail "openvpn not installed"
command -v tcpdump >/dev/null || fail "tcpdump missing (scripts/deps.sh)"
STORM=$GH_ROOT/tests/net/ovpn_storm.py
SEED=${GH_ROBUST_SEED:-1194}
BUGS=()
bug() { echo "FAIL (bug, continuing): $*"; BUGS+=("$*"); }
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:exitcode=99}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=0}

# --- PKI, namespaces ----------------------------------------------------------------------------
PKI=$GH_TMP/pki
mkdir -p "$PKI"
pki_ca ca
pki_cert server ca serverAuth
pki_cert client1 ca clientAuth
openvpn --genkey secret "$PKI/tc.key" >/dev/null 2>&1 || fail "openvpn --genkey secret"

ns_add cli
ns_add srv
ns_add lan
ns_add atk
link_add cli eth0 192.0.2.2/24 srv eth0 192.0.2.1/24
link_add srv eth1 10.99.0.1/24 lan eth0 10.99.0.2/24
link_add atk eth0 198.51.100.2/24 srv eth2 198.51.100.1/24
route_add atk 192.0.2.0/24 198.51.100.1
route_add lan 10.8.0.0/24 10.99.0.1
forwarding_on srv
# The spoofing phase sends from the client's own address through [atk]: no reverse-path filter.
nsx srv sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.eth2.rp_filter=0

LAST_PID=
start() { # NS LOG cmd...   ($LAST_PID is the command itself: ip netns exec execs it)
	local ns=$1 log=$2
	shift 2
	ip netns exec "$(ns_name "$ns")" "$@" >"$log" 2>&1 </dev/null &
	LAST_PID=$!
	GH_PIDS+=("$LAST_PID")
}
stop_pid() { kill "${2:--TERM}" "$1" 2>/dev/null; wait "$1" 2>/dev/null; }

profile() { # PROTO EXTRA -> path
	local f=$GH_TMP/client-$1${2:+-tc}.ovpn
	cat >"$f" <<EOF
client
dev tun
proto $1
remote 192.0.2.1 1194
nobind
remote-cert-tls server
ca $PKI/ca.crt
cert $PKI/client1.crt
key $PKI/client1.key
data-ciphers AES-256-GCM:AES-128-GCM:CHACHA20-POLY1305
connect-retry 1
verb 3
$2
EOF
	echo "$f"
}

client_up() { grep -q "Initialization Sequence Completed" "$1"; }
connected_of() { # LOG -> the session the server announced (CONNECTED lines, counters cut)
	grep '^CONNECTED ' "$1" | sed 's/^CONNECTED //; s/ in=.*//'
}
tcpdump_start() { # NS IFACE PCAP FILTER   ($LAST_PID: the tcpdump)
	start "$1" "$3.log" tcpdump -i "$2" --immediate-mode -U -s 0 -w "$3" "$4"
	wait_for 5 grep -q "listening on" "$3.log" || fail "tcpdump in $1 did not start"
}
jq_() { python3 -c "import json,sys; r=json.load(open('$1')); print($2)"; }

scenario() { # PROTO [tc]   (tc: the server and the client use tls-crypt)
	local proto=$1 tc=${2:-} tag=$1${2:+-tc}
	local slog=$GH_TMP/server-$tag.log clog=$GH_TMP/client-$tag.log
	local spid cpid dpid lpid ppid rep=$GH_TMP/storm-$tag.json before sflags=() extra=
	[ "$proto" = udp ] && sflags+=(--spoof)
	[ -n "$tc" ] && sflags+=(--tls-crypt) && extra="tls-crypt $PKI/tc.key"
	# plain udp: the server renegotiates during the run, and the storm comes again once the
	# captured key 0 is the lame duck (its replays then meet the old key's replay window)
	local reneg=
	[ "$tag" = udp ] && reneg=12
	note "== $tag"
	start srv "$slog" "$SERVER_BIN" --proto "$proto" --listen 192.0.2.1 --port 1194 \
		--cert "$PKI/server.crt" --key "$PKI/server.key" --ca "$PKI/ca.crt" --cidr 10.8.0.0/24 \
		--route 10.99.0.0/24 --split --tun ghstorm0 --debug ${tc:+--tls-crypt "$PKI/tc.key"} \
		${reneg:+--reneg-sec "$reneg"}
	spid=$LAST_PID
	wait_for 10 grep -q READY "$slog" || fail "$tag server did not start: $(tail -5 "$slog")"

	# 1. capture the client's session from its first packet
	tcpdump_start srv eth0 "$GH_TMP/cap-$tag.pcap" "host 192.0.2.2 and port 1194"
	dpid=$LAST_PID
	tcpdump_start lan eth0 "$GH_TMP/lan-$tag.pcap" "icmp[icmptype] = icmp-echo"
	lpid=$LAST_PID
	start cli "$clog" openvpn --config "$(profile "$proto" "$extra")"
	cpid=$LAST_PID
	wait_for 30 client_up "$clog" || fail "$tag: client did not connect: $(tail -5 "$clog") / $(tail -5 "$slog")"
	local t_conn
	t_conn=$(date +%s)
	nsx cli ping -c 5 -i 0.2 -W 2 10.99.0.2 >/dev/null 2>&1 || fail "$tag: ping through the tunnel failed"
	sleep 0.5
	stop_pid "$dpid" -INT
	wait_for 5 grep -q '^CONNECTED ' "$slog" || fail "$tag: server did not announce the client"
	before=$(connected_of "$slog")
	[ "$(echo "$before" | grep -c .)" = 1 ] || fail "$tag: server announced '$before' before the storm"
	pass "$tag: client connected ($before), session captured"

	# 2. the storm, with a ping running through the tunnel all along
	start cli "$GH_TMP/ping-$tag.out" ping -i 0.2 -W 2 10.99.0.2
	ppid=$LAST_PID
	sleep 1
	nsx atk python3 "$STORM" "$proto-storm" --target 192.0.2.1 --port 1194 --client 192.0.2.2 \
		--pcap "$GH_TMP/cap-$tag.pcap" --iface eth0 --seed "$SEED" --max-seconds 40 "${sflags[@]}" \
		>"$rep" 2>"$GH_TMP/storm-$tag.err" || fail "$tag: storm failed: $(tail -5 "$GH_TMP/storm-$tag.err")"
	note "$tag storm: $(jq_ "$rep" 'json.dumps(r.get("sent", r.get("sent_cases")))') in $(jq_ "$rep" 'r["elapsed_s"]') s"
	note "$tag answers to the attacker: $(jq_ "$rep" 'json.dumps(r.get("answers", {k: v["answers"] for k, v in r.get("cases", {}).items() if v["answers"]}))')"
	if [ -n "$reneg" ]; then
		wait_for 30 grep -q "key [1-7] active" "$slog" || fail "$tag: the server did not renegotiate"
		# and the handshake cookie's time slot (hand-window/2 = 30 s) has surely changed, so
		# a stateless answer to the client's replayed reset would carry a new server session id
		while [ "$(date +%s)" -lt $((t_conn + 32)) ]; do sleep 0.5; done
		note "$tag: $(grep -o 'key [1-7] active.*' "$slog" | head -1); the storm again"
		nsx atk python3 "$STORM" "$proto-storm" --target 192.0.2.1 --port 1194 --client 192.0.2.2 \
			--pcap "$GH_TMP/cap-$tag.pcap" --iface eth0 --seed "$((SEED + 1))" --max-seconds 40 \
			"${sflags[@]}" >"$rep.2" 2>"$GH_TMP/storm2-$tag.err" ||
			fail "$tag: second storm failed: $(tail -5 "$GH_TMP/storm2-$tag.err")"
		note "$tag storm after renegotiation: $(jq_ "$rep.2" 'sum(r["sent"].values())') packets, answers $(jq_ "$rep.2" 'json.dumps(r["answers"])')"
	fi
	sleep 3 # the ping goes on after the storm
	stop_pid "$ppid" -INT
	stop_pid "$lpid" -INT

	# 3. assertions
	kill -0 "$spid" 2>/dev/null || fail "$tag: server died during the storm: $(tail -30 "$slog")"
	pass "$tag: server (ASan+UBSan) alive after the storm"
	probs=$(jq_ "$rep" '"\n".join(r["problems"])')
	[ -f "$rep.2" ] && probs=$probs$(jq_ "$rep.2" '"\n".join(r["problems"])')
	[ -z "$probs" ] || bug "$tag: $probs"
	[ -z "$probs" ] && [ -z "$tc" ] && pass "$tag: the attacker got nothing but HARD_RESET_SERVER_V2 answers (no data, no control session)"

	[ "$(connected_of "$slog")" = "$before" ] || bug "$tag: new sessions announced: $(connected_of "$slog")"
	grep '^DISCONNECTED ' "$slog" && bug "$tag: the server ended a session during the storm"
	grep -q "floated to 198.51.100" "$slog" && bug "$tag: the session floated to the attacker"
	[ "$(grep -c 'Initialization Sequence Completed' "$clog")" = 1 ] ||
		bug "$tag: client initialised $(grep -c 'Initialization Sequence Completed' "$clog") times"
	grep -E "process restarting|Restart pause|Inactivity timeout" "$clog" &&
		bug "$tag: the client restarted its session"
	[ "$(grep -c 'TLS: Initial packet from' "$clog")" = 1 ] ||
		bug "$tag: the client took $(($(grep -c 'TLS: Initial packet from' "$clog") - 1)) server reset(s) for a new session"
	kill -0 "$cpid" 2>/dev/null || bug "$tag: the client exited"

	local tx rx
	tx=$(grep -o '[0-9]* packets transmitted' "$GH_TMP/ping-$tag.out" | awk '{print $1}')
	rx=$(grep -o '[0-9]* received' "$GH_TMP/ping-$tag.out" | awk '{print $1}')
	if [ -n "$tx" ] && [ -n "$rx" ] && [ "$tx" -gt 0 ] && [ $((rx * 100 / tx)) -ge 80 ]; then
		pass "$tag: ping through the tunnel during the storm: $rx of $tx answered"
	else
		bug "$tag: ping during the storm: ${rx:-?} of ${tx:-?} answered (want >= 80%)"
	fi
	nsx cli ping -c 3 -W 2 10.99.0.2 >/dev/null 2>&1 || bug "$tag: ping after the storm failed"

	nsx lan python3 "$STORM" icmp-dups "$GH_TMP/lan-$tag.pcap" >"$GH_TMP/dups-$tag.json"
	local dups
	dups=$(jq_ "$GH_TMP/dups-$tag.json" 'r["duplicates"]')
	[ "$dups" = 0 ] || bug "$tag: replayed data delivered again: $(cat "$GH_TMP/dups-$tag.json")"
	[ "$dups" = 0 ] && pass "$tag: no echo request reached [lan] twice ($(jq_ "$GH_TMP/dups-$tag.json" 'r["echo_requests"]') seen; replays dropped)"

	local dd dc total
	total=$(jq_ "$rep" 'sum(r.get("sent", {}).values())')
	if [ "$proto" = udp ]; then
		dd=$(grep -c 'data packet dropped' "$slog")
		dc=$(grep -c 'dropped control packet\|invalid handshake cookie' "$slog")
		if [ "$dd" -gt 0 ] && [ "$dc" -gt 0 ] && [ $((dd + dc)) -lt $((total / 4)) ]; then
			pass "$tag: drops logged, rate-limited: $dd data-packet lines ($(grep 'data packet dropped' "$slog" | sed 's/.*: //' | sort | uniq -c | sort -rn | head -3 | awk '{printf "%s x%s; ", substr($0, index($0,$2)), $1}')), $dc control lines for $total packets"
		else
			bug "$tag: drop logging: $dd data lines, $dc control lines for $total packets"
		fi
	fi
	if [ -n "$tc" ]; then
		# the tls-crypt wrapper is checked first: a peer without the key gets nothing at all
		[ -z "$probs" ] && pass "$tag: $total packets (incl. $(jq_ "$rep" 'r["sent"]["reset_flood"]') resets) from a peer without the tls-crypt key: $(jq_ "$rep" 'r["answers"].get("HARD_RESET_SERVER_V2", 0)') answers, all to exact copies of the client's wrapped reset ($(jq_ "$rep" 'r.get("sent_client_reset_copies", 0)') sent)"
	elif [ "$proto" = udp ]; then
		[ "$(jq_ "$rep" 'r.get("cookie_obtained")')" = True ] || bug "udp: no reset answer after the flood (rate limiter never refilled?)"
		local rc_ans
		rc_ans=$(jq_ "$rep" 'r.get("right_cookie_answer", "not sent")')
		case $rc_ans in
		CONTROL_V1 | ACK_V1) pass "udp: $(jq_ "$rep" 'r["sent"].get("wrong_cookie", 0)') third packets with wrong cookies: no answer; the right cookie: $rc_ans" ;;
		*) bug "udp: the right cookie got '$rc_ans' (want CONTROL_V1/ACK_V1: the probe must be able to see an answer)" ;;
		esac
		local knock knocked
		knock=$(jq_ "$rep" 'r["knock_resets"]')
		knocked=$(jq_ "$rep" 'r["knock_answered"]')
		if [ "$knocked" -ge $((knock / 2)) ]; then
			pass "udp: during a garbage flood ($(jq_ "$rep" 'r["sent"]["knock_garbage"]') datagrams) a new client's resets were answered: $knocked of $knock"
		else
			bug "udp: during a garbage flood ($(jq_ "$rep" 'r["sent"]["knock_garbage"]') datagrams, no resets) only $knocked of $knock resets of a new client were answered: garbage uses up the reset answers"
		fi
		local resets answers
		resets=$(jq_ "$rep" 'r["sent"].get("reset_flood", 0)')
		answers=$(jq_ "$rep" 'r["answers_before_cookie_phase"].get("HARD_RESET_SERVER_V2", 0)')
		if [ "$answers" -lt "$resets" ]; then
			pass "udp: HARD_RESET_CLIENT_V2 flood: $answers answers to $resets resets (stateless, rate-limited)"
		else
			bug "udp: $answers answers to $resets resets: reset replies not rate-limited"
		fi
	else
		[ "$(jq_ "$rep" 'r["cases"]["zero_length"]["closed"]')" = True ] &&
			pass "tcp: zero-length frame -> connection closed; $(jq_ "$rep" 'r["sent_cases"]') attacker connections, $(jq_ "$rep" 'r["parallel_connections"]') at once"
		# Connections without a session are bounded (max_clients, 1024 in ovpn_server) and
		# closed after hand-window: OpenVPN's TCP server likewise ends them.
		local idle closed
		idle=$(jq_ "$rep" 'r["idle_connections"]')
		closed=$(jq_ "$rep" 'r["idle_closed_by_server"]')
		if [ "$idle" -gt 1024 ] && [ "$closed" -ge $((idle - 1024)) ]; then
			pass "tcp: $idle idle connections without a session at once: the server closed the $closed oldest"
		else
			bug "tcp: $idle idle connections without a session (max_clients 1024): the server closed $closed (unbounded descriptors and buffers)"
		fi
	fi

	kill -TERM "$spid"
	local rc=0
	wait "$spid" || rc=$?
	local san
	san=$(grep -E "ERROR: AddressSanitizer|LeakSanitizer|runtime error" "$slog" | head -5)
	[ -z "$san" ] || bug "$tag: sanitizer report from ovpn_server: $san $(grep -A12 -E 'ERROR: AddressSanitizer|LeakSanitizer|runtime error' "$slog" | head -30)"
	[ "$rc" = 0 ] || bug "$tag: ovpn_server exit status $rc after SIGTERM"
	stop_pid "$cpid"
	[ -z "$san" ] && [ "$rc" = 0 ] && pass "$tag: ovpn_server: SIGTERM -> exit 0, no ASan/UBSan/LSan report"
	# the server prints its clients when it stops: still the one session it announced
	local after
	after=$(grep '^CLIENT ' "$slog" | sed 's/^CLIENT //; s/ in=.*//')
	if [ "$after" = "$before" ] && ! grep -q '^DISCONNECTED ' "$slog"; then
		pass "$tag: same session all along ($after): one CONNECTED, no DISCONNECTED, no float, client never restarted"
	else
		bug "$tag: clients at the end: '$after' (announced at the start: '$before')"
	fi
}

# Half-open sessions (cookie exchange done, TLS never finished) hold no pool address: with
# more of them than the /24 has addresses, a real client still gets one.
half_open() {
	local slog=$GH_TMP/server-half.log clog=$GH_TMP/client-half.log spid half
	note "== udp, half-open sessions"
	start srv "$slog" "$SERVER_BIN" --proto udp --listen 192.0.2.1 --port 1194 \
		--cert "$PKI/server.crt" --key "$PKI/server.key" --ca "$PKI/ca.crt" --cidr 10.8.0.0/24 \
		--route 10.99.0.0/24 --split --tun ghstorm0
	spid=$LAST_PID
	wait_for 10 grep -q READY "$slog" || fail "half-open: server did not start: $(tail -5 "$slog")"
	nsx atk python3 "$STORM" half-open --target 192.0.2.1 --port 1194 --count 300 \
		>"$GH_TMP/half.json" 2>&1 || fail "half-open: $(tail -3 "$GH_TMP/half.json")"
	half=$(jq_ "$GH_TMP/half.json" 'r["opened"]')
	[ "$half" -gt 253 ] || fail "half-open: only $half sessions opened (want more than 253)"
	start cli "$clog" openvpn --config "$(profile udp "")"
	wait_for 30 client_up "$clog" ||
		fail "half-open: with $half half-open sessions a new client did not connect: $(grep -c 'refused' "$slog") refusals; $(tail -2 "$clog")"
	nsx cli ping -c 2 -W 2 10.99.0.2 >/dev/null 2>&1 || fail "half-open: no traffic"
	pass "udp: $half half-open sessions (more than the 253 pool addresses): a new client still connects ($(grep -o 'ifconfig [0-9.]*' "$clog" | head -1)) and pings"
	stop_pid "$LAST_PID"
	stop_pid "$spid"
	! grep -qE "ERROR: AddressSanitizer|LeakSanitizer|runtime error" "$slog" ||
		fail "half-open: sanitizer report: $(grep -A8 -E 'ERROR: AddressSanitizer|runtime error' "$slog" | head -20)"
}

scenario udp
half_open
scenario udp tc
scenario tcp

if [ ${#BUGS[@]} -gt 0 ]; then
	printf 'KNOWN-BUG: %s\n' "${BUGS[@]}"
	fail "ovpn_storm: ${#BUGS[@]} check(s) failed"
fi
echo "ovpn_storm: $GH_PASSES passed, 0 failed"
