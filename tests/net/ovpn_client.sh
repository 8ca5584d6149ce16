#!/usr/bin/env bash
# The stock openvpn 2.6 client against the Gatehouse OpenVPN server, over UDP and over TCP.
#
#   [cli] eth0 192.0.2.2/24 ---- 192.0.2.1/24 eth0 [srv] eth1 10.99.0.1/24 ---- 10.99.0.2/24 eth0 [lan]
#          tun0 10.8.0.x/24 <====== OpenVPN ======> tun (10.8.0.1/24)       10.99.0.3/24
#                                                    |                      route 10.8.0.0/24 via srv
#   [cli2] eth0 198.51.100.2/24 ---- 198.51.100.1/24 eth2 (route to 192.0.2.0/24 via srv)
#
# Checks, for each of udp and tcp:
#   1. openvpn --client with a certificate from our CA completes initialisation and gets an
#      address from the client CIDR 10.8.0.0/24 (pushed ifconfig, topology subnet);
#   2. it pings 10.99.0.2 in [lan] through the pushed route 10.99.0.0/24, but not 10.99.0.3,
#      which the authorization hook denies; a second client (TLS 1.2) gets another address and
#      the two reach each other (forwarding by inner destination);
#   3. a bounded TCP transfer (iperf3 -n) to [lan] completes;
#   4. with reneg-sec 10 on the client, a transfer that spans renegotiations completes and the
#      server installed the renegotiated key.
# And: a client whose certificate comes from another CA is refused (no address, server logs
# the verification failure); a wrong handshake cookie creates no client (see the unit tests).
# Then, with the server restarted as an AWS-like endpoint (client profile "reneg-sec 0", the
# server renegotiates every 8 s, CRL loaded, legacy key derivation forced):
#   5. the client offering only CHACHA20-POLY1305 gets it (NCP) with TLS1-PRF data keys, and a
#      transfer spanning server-driven renegotiations completes; 60 extra pushed routes arrive
#      in several PUSH_REPLY messages (push-continuation) and are all installed;
#   6. (udp) the client's source address changes and the session follows it (float);
#      resetting every client (kill_all RESTART) makes the stock client reconnect by itself and
#      get an address again; terminating the client from the server (HALT) makes it exit;
#   7. a revoked client certificate is refused (CRL); the CRL file is rewritten to revoke
#      client2 as well and applied with ovpn_server_reconfigure (SIGHUP): client2 is refused.
# Then with tls-crypt (v1) and a 5 s session timeout: a client with the key connects, pings, and
# is ended by the session timeout (udp: HALT, it exits; tcp: --session-restart, RESTART, it
# reconnects by itself); one without the key gets no answer; one offering only a cipher the
# server does not allow gets AUTH_FAILED.
# Every server log is checked for the hooks: each DISCONNECTED follows a CONNECTED of the same
# peer-id, and no peer-id is announced connected twice without a DISCONNECTED in between.
# Every namespace/process/temp file goes away on exit (lib.sh trap).
set -u
. "$(dirname "$0")/lib.sh"

SERVER_BIN=${OVPN_SERVER:-}
if [ -z "$SERVER_BIN" ]; then
	for b in build-san build build-ovpn; do
		if [ -x "$GH_ROOT/$b/tools/ovpn_server" ]; then SERVER_BIN=$GH_ROOT/$b/tools/ovpn_server; break; fi
	done
fi
[ -n "$SERVER_BIN" ] || fail "ovpn_server tool not built (make SAN=1 tests)"
command -v openvpn >/dev/null || fail "openvpn not installed"

PKI=$GH_TMP/pki
mkdir -p "$PKI"

pki_ca ca
pki_ca rogue-ca
pki_cert server ca serverAuth server.gatehouse.test
pki_cert client1 ca clientAuth client1
pki_cert client2 ca clientAuth client2
pki_cert rogue rogue-ca clientAuth rogue
pki_cert revoked ca clientAuth revoked
# A CRL from our CA revoking "revoked" (openssl ca with a throwaway database).
mkdir -p "$PKI/db"
: >"$PKI/db/index.txt"
echo 1000 >"$PKI/db/crlnumber"
printf '[ ca ]\ndefault_ca = gh\n[ gh ]\ndatabase = %s\ncrlnumber = %s\ndefault_md = sha256\ndefault_crl_days = 2\ncertificate = %s\nprivate_key = %s\n' \
	"$PKI/db/index.txt" "$PKI/db/crlnumber" "$PKI/ca.crt" "$PKI/ca.key" >"$PKI/ca.cnf"
openssl ca -batch -config "$PKI/ca.cnf" -revoke "$PKI/revoked.crt" >/dev/null 2>&1 || fail "openssl ca -revoke"
openssl ca -batch -config "$PKI/ca.cnf" -gencrl -out "$PKI/crl.pem" >/dev/null 2>&1 || fail "openssl ca -gencrl"
# The CRL a running server is switched to: client2 revoked as well.
openssl ca -batch -config "$PKI/ca.cnf" -revoke "$PKI/client2.crt" >/dev/null 2>&1 || fail "openssl ca -revoke client2"
openssl ca -batch -config "$PKI/ca.cnf" -gencrl -out "$PKI/crl2.pem" >/dev/null 2>&1 || fail "openssl ca -gencrl 2"
openvpn --genkey secret "$PKI/tc.key" >/dev/null 2>&1 || fail "openvpn --genkey secret"
note "throwaway PKI in $PKI"

ns_add ovcli
ns_add ovsrv
ns_add ovlan
link_add ovcli eth0 192.0.2.2/24 ovsrv eth0 192.0.2.1/24
link_add ovsrv eth1 10.99.0.1/24 ovlan eth0 10.99.0.2/24
ns_add ovcli2
link_add ovcli2 eth0 198.51.100.2/24 ovsrv eth2 198.51.100.1/24
route_add ovcli2 192.0.2.0/24 198.51.100.1
forwarding_on ovsrv
route_add ovlan 10.8.0.0/24 10.99.0.1
addr_add ovlan eth0 10.99.0.3/24

profile() { # PROTO CERT EXTRA -> path
	local f=$GH_TMP/$2-$1.ovpn
	cat >"$f" <<EOF
client
dev tun
proto $1
remote 192.0.2.1 1194
nobind
remote-cert-tls server
ca $PKI/ca.crt
cert $PKI/$2.crt
key $PKI/$2.key
data-ciphers AES-256-GCM:AES-128-GCM:CHACHA20-POLY1305
connect-retry 1
verb 3
$3
EOF
	echo "$f"
}

# Like lib.sh's bg, but $LAST_PID is the process itself (ip netns exec execs it), so it can
# be stopped on its own; lib.sh's trap still kills everything left in the namespaces.
LAST_PID=
start() { # NS LOG cmd...
	local ns=$1 log=$2
	shift 2
	ip netns exec "$(ns_name "$ns")" "$@" >"$log" 2>&1 </dev/null &
	LAST_PID=$!
	GH_PIDS+=("$LAST_PID")
}

SRV_PID=
run_server() { # PROTO LOG [extra flags...]
	local proto=$1 log=$2
	shift 2
	start ovsrv "$log" "$SERVER_BIN" --proto "$proto" --listen 192.0.2.1 --port 1194 --cert "$PKI/server.crt" \
		--key "$PKI/server.key" --ca "$PKI/ca.crt" --cidr 10.8.0.0/24 --route 10.99.0.0/24 \
		--dns 10.99.0.2 --split --tun ghovpn0 "$@"
	SRV_PID=$LAST_PID
	wait_for 10 grep -q READY "$log" || fail "$proto server did not start: $(tail -5 "$log")"
}

stop_server() { # LOG
	stop_pid "$SRV_PID"
	! grep -q "Sanitizer" "$1" || fail "sanitizer report in the server log: $(grep -A5 Sanitizer "$1" | head -20)"
	hooks_paired "$1"
}

# The disconnected hook runs once per connected client, before its peer-id is reused.
hooks_paired() { # LOG
	local bad
	bad=$(awk '/^CONNECTED peer-id=/ { split($2, a, "="); if (a[2] in up) print "peer-id " a[2] " connected twice"; up[a[2]] = 1 }
		/^DISCONNECTED peer-id=/ { split($2, a, "="); if (!(a[2] in up)) print "peer-id " a[2] " disconnected without a connect"; delete up[a[2]] }' "$1")
	[ -z "$bad" ] || fail "hooks out of order in $(basename "$1"): $bad"
}

stop_pid() { # PID
	kill "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	true
}

# A bounded iperf3 transfer from [cli] to [lan] through the tunnel; the one-off iperf3 server
# is gone afterwards, so the next call cannot meet a busy one.
iperf_through() { # TAG TIMEOUT iperf3-client-args...
	local tag=$1 to=$2 spid rc
	shift 2
	start ovlan "$GH_TMP/iperf-s-$tag.log" iperf3 -s -1 -B 10.99.0.2
	spid=$LAST_PID
	wait_for 5 nsx ovlan sh -c "ss -ltn | grep -q '10.99.0.2:5201'" || fail "iperf3 server did not start"
	nsx ovcli timeout "$to" iperf3 -c 10.99.0.2 "$@" >"$GH_TMP/iperf-c-$tag.log" 2>&1
	rc=$?
	stop_pid "$spid"
	return $rc
}

client_up() { # LOG
	grep -q "Initialization Sequence Completed" "$1"
}

scenario() { # PROTO
	local proto=$1 slog=$GH_TMP/server-$1.log clog=$GH_TMP/client-$1.log rlog=$GH_TMP/reneg-$1.log
	local cpid addr exitn
	note "== $proto"
	run_server "$proto" "$slog" --deny 10.99.0.3/32

	exitn=""
	[ "$proto" = udp ] && exitn="explicit-exit-notify 1"
	start ovcli "$clog" openvpn --config "$(profile "$proto" client1 "$exitn")"
	cpid=$LAST_PID
	wait_for 30 client_up "$clog" || fail "$proto: client did not connect: $(grep -E 'ERROR|error|TLS' "$clog" | tail -5) / server: $(tail -5 "$slog")"
	addr=$(nsx ovcli ip -4 -o addr show dev tun0 | awk '{print $4}')
	case "$addr" in
	10.8.0.*/24) pass "$proto: openvpn client connected, got $addr from the client CIDR" ;;
	*) fail "$proto: client address '$addr' not from 10.8.0.0/24" ;;
	esac
	grep -q "PUSH: Received control message: 'PUSH_REPLY" "$clog" || fail "$proto: no PUSH_REPLY in the client log"
	note "$(grep -o "PUSH_REPLY[^']*" "$clog" | head -1)"
	note "$(grep -o 'Control Channel: .*' "$clog" | head -1)"
	note "$(grep -o 'Data Channel: .*' "$clog" | head -1)"

	nsx ovcli ping -c 3 -W 2 10.99.0.2 >"$GH_TMP/ping-$proto.out" 2>&1 ||
		fail "$proto: ping 10.99.0.2 through the tunnel failed: $(cat "$GH_TMP/ping-$proto.out")"
	pass "$proto: ping to 10.99.0.2 behind the server through the pushed route"
	nsx ovcli ping -c 2 -W 1 10.99.0.3 >/dev/null 2>&1 && fail "$proto: 10.99.0.3 reachable although denied"
	pass "$proto: authorization hook refused traffic to 10.99.0.3"

	local c2log=$GH_TMP/client2-$proto.log c2pid addr2
	start ovcli2 "$c2log" openvpn --config "$(profile "$proto" client2 "tls-version-max 1.2")"
	c2pid=$LAST_PID
	wait_for 30 client_up "$c2log" || fail "$proto: second client did not connect"
	grep -q "Control Channel: TLSv1.2" "$c2log" || fail "$proto: second client did not use TLS 1.2"
	addr2=$(nsx ovcli2 ip -4 -o addr show dev tun0 | awk '{print $4}')
	[ "${addr2%/*}" != "${addr%/*}" ] || fail "$proto: both clients got $addr"
	nsx ovcli2 ping -c 2 -W 2 "${addr%/*}" >/dev/null 2>&1 ||
		fail "$proto: client 2 ($addr2) cannot reach client 1 at $addr"
	pass "$proto: second client (TLS 1.2) got $addr2; client 2 -> client 1 through the server works"
	stop_pid "$c2pid"

	iperf_through "$proto-1" 60 -n 8M ||
		fail "$proto: 8 MiB TCP transfer failed: $(tail -3 "$GH_TMP/iperf-c-$proto-1.log")"
	pass "$proto: bounded TCP transfer (8 MiB) through the tunnel completed"
	stop_pid "$cpid"
	# UDP: explicit-exit-notify (EXIT over the control channel, cc-exit); TCP: the connection closes.
	wait_for 10 grep -q "DISCONNECTED.*cn=client1" "$slog" || fail "$proto: server did not notice the client leaving"
	pass "$proto: client exit noticed: $(grep "DISCONNECTED.*cn=client1" "$slog" | head -1 | sed 's/.*\(in=.*\)/\1/')"

	# Renegotiation: the client renegotiates every 10 s while data flows.
	start ovcli "$rlog" openvpn --config "$(profile "$proto" client1 "reneg-sec 10")"
	cpid=$LAST_PID
	wait_for 30 client_up "$rlog" || fail "$proto: reneg client did not connect"
	iperf_through "$proto-2" 90 -t 25 -b 4M ||
		fail "$proto: transfer across renegotiation failed: $(tail -3 "$GH_TMP/iperf-c-$proto-2.log")"
	grep -q "renegotiates, key" "$slog" || fail "$proto: no renegotiation seen by the server"
	grep -q "key [1-7] active" "$slog" || fail "$proto: renegotiated key never became active"
	nsx ovcli ping -c 2 -W 2 10.99.0.2 >/dev/null 2>&1 || fail "$proto: ping after renegotiation failed"
	pass "$proto: transfer across client renegotiation (reneg-sec 10) completed, $(grep -c 'renegotiates, key' "$slog") soft resets"
	stop_pid "$cpid"

	# A certificate from another CA is refused.
	start ovcli "$GH_TMP/rogue-$proto.log" openvpn --config "$(profile "$proto" rogue "")"
	cpid=$LAST_PID
	wait_for 30 grep -q "TLS handshake failed" "$slog" || fail "$proto: server did not refuse the rogue certificate"
	sleep 1
	client_up "$GH_TMP/rogue-$proto.log" && fail "$proto: client with a certificate from another CA connected"
	pass "$proto: client certificate from another CA refused ($(grep -o 'client certificate: [^"]*' "$slog" | head -1))"
	stop_pid "$cpid"
	stop_server "$slog"

	aws_like "$proto"
	tls_crypt "$proto"
}

# CVE-2025-13086: a third packet with a wrong cookie must create nothing; with the right one the
# server answers. Raw UDP from [cli] (python), against the running server.
cookie_probe() { # SERVER_LOG
	local before after out
	before=$(grep -c "handshake done\|TLS handshake failed" "$1")
	out=$(nsx ovcli python3 - <<'PY' 2>&1
import os, socket, struct, sys
srv = ("192.0.2.1", 1194)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("192.0.2.2", 0))
s.settimeout(2)
sid = os.urandom(8)
s.sendto(bytes([7 << 3]) + sid + b"\0" + struct.pack(">I", 0), srv)
r = s.recv(2048)
if r[0] >> 3 != 8 or r[9] != 1 or r[10:14] != bytes(4) or r[14:22] != sid:
    sys.exit("bad reset reply " + r.hex())
cookie = r[1:9]
hello = bytes.fromhex("160301000501000001ff")
def third(c):
    return bytes([4 << 3]) + sid + b"\x01" + bytes(4) + c + struct.pack(">I", 1) + hello
for bit in (0, 33, 63):
    bad = bytearray(cookie)
    bad[bit // 8] ^= 1 << (bit % 8)
    s.sendto(third(bytes(bad)), srv)
    try:
        r = s.recv(2048)
        sys.exit("answer to a wrong cookie: " + r.hex())
    except socket.timeout:
        pass
s.sendto(third(cookie), srv)
r = s.recv(2048)
if r[0] >> 3 not in (4, 5) or r[1:9] != cookie:
    sys.exit("no session for the right cookie: " + r.hex())
print("ok")
PY
)
	[ "$out" = ok ] || fail "cookie probe: $out"
	pass "udp: third packets with a wrong cookie got no answer and no state; the right cookie did"
}

tls_crypt() { # PROTO
	local proto=$1 slog=$GH_TMP/server3-$1.log clog=$GH_TMP/tc-$1.log cpid nhs restart=()
	note "== $proto, tls-crypt"
	# The session timeout ends the udp session with HALT, the tcp one with RESTART.
	[ "$proto" = tcp ] && restart=(--session-restart)
	run_server "$proto" "$slog" --tls-crypt "$PKI/tc.key" --ciphers AES-256-GCM:CHACHA20-POLY1305 \
		--session-timeout 5 "${restart[@]}"
	start ovcli "$clog" openvpn --config "$(profile "$proto" client1 "tls-crypt $PKI/tc.key")"
	cpid=$LAST_PID
	wait_for 30 client_up "$clog" || fail "$proto: tls-crypt client did not connect: $(tail -5 "$slog")"
	nsx ovcli ping -c 2 -W 2 10.99.0.2 >/dev/null 2>&1 || fail "$proto: ping over the tls-crypt session failed"
	pass "$proto: tls-crypt client connected and pings through the tunnel"
	if [ "$proto" = udp ]; then
		# Session timeout 5 s (HALT): the client is told to go and exits by itself.
		wait_for 20 sh -c "! kill -0 $cpid 2>/dev/null" || fail "$proto: client still running after the session timeout"
		grep -q "Halt command was pushed by server ('session timeout')" "$clog" ||
			fail "$proto: client did not get HALT,session timeout: $(grep -i 'pushed by server\|exiting' "$clog" | tail -2)"
	else
		# Session timeout 5 s with --session-restart: the client is reset and comes back.
		wait_for 30 sh -c "[ \$(grep -c 'Initialization Sequence Completed' '$clog') -ge 2 ]" ||
			fail "$proto: client did not come back after the session timeout: $(grep -i 'pushed by server' "$clog" | tail -2)"
		grep -q "Connection reset command was pushed by server ('session timeout')" "$clog" ||
			fail "$proto: client did not get RESTART,session timeout"
		stop_pid "$cpid"
	fi
	wait_for 10 grep -q "DISCONNECTED.*cn=client1.*reason=session timeout" "$slog" ||
		fail "$proto: no disconnected hook for the session timeout: $(grep DISCONNECTED "$slog" | tail -1)"
	pass "$proto: session timeout (5 s) ended the session with $([ "$proto" = udp ] && echo "HALT, the stock client exited" || echo "RESTART, the stock client reconnected")"
	nhs=$(grep -c 'handshake done' "$slog")
	start ovcli "$GH_TMP/notc-$proto.log" openvpn --config "$(profile "$proto" client1 "hand-window 5")"
	cpid=$LAST_PID
	wait_for 30 grep -q "TLS key negotiation failed" "$GH_TMP/notc-$proto.log" ||
		fail "$proto: client without the tls-crypt key did not give up"
	[ "$(grep -c 'handshake done' "$slog")" = "$nhs" ] || fail "$proto: server answered a client without the tls-crypt key"
	pass "$proto: client without the tls-crypt key got no answer"
	stop_pid "$cpid"
	start ovcli "$GH_TMP/nocipher-$proto.log" openvpn --config "$(profile "$proto" client1 "tls-crypt $PKI/tc.key
data-ciphers AES-128-GCM")"
	cpid=$LAST_PID
	wait_for 30 grep -q "AUTH_FAILED" "$GH_TMP/nocipher-$proto.log" ||
		fail "$proto: client with no common cipher did not get AUTH_FAILED: $(tail -3 "$slog")"
	client_up "$GH_TMP/nocipher-$proto.log" && fail "$proto: client without a common cipher connected"
	pass "$proto: client offering only AES-128-GCM (not allowed) refused with AUTH_FAILED"
	stop_pid "$cpid"
	stop_server "$slog"
}

# Server-driven renegotiation (AWS profiles say reneg-sec 0), legacy PRF keys, NCP, CRL, HALT.
aws_like() { # PROTO
	local proto=$1 slog=$GH_TMP/server2-$1.log clog=$GH_TMP/aws-$1.log cpid addr nrev
	note "== $proto, server renegotiates, CRL, legacy PRF"
	local many=() i
	for i in $(seq 0 59); do many+=(--route "10.200.$i.0/24"); done
	cp "$PKI/crl.pem" "$GH_TMP/crl-$proto.pem"
	run_server "$proto" "$slog" --reneg-sec 8 --no-ekm --crl "$GH_TMP/crl-$proto.pem" "${many[@]}"
	start ovcli "$clog" openvpn --config "$(profile "$proto" client1 "reneg-sec 0
data-ciphers CHACHA20-POLY1305")"
	cpid=$LAST_PID
	wait_for 30 client_up "$clog" || fail "$proto: client did not connect to the CRL server: $(tail -5 "$slog")"
	grep -q "Data Channel: cipher 'CHACHA20-POLY1305'" "$clog" || fail "$proto: CHACHA20-POLY1305 not negotiated"
	grep -q "cipher CHACHA20-POLY1305, keys from TLS1-PRF" "$slog" || fail "$proto: server did not use TLS1-PRF keys"
	pass "$proto: client offering only CHACHA20-POLY1305 connected, data keys from the legacy TLS1-PRF"
	[ "$(nsx ovcli ip -4 route show | grep -c '^10\.200\.[0-9]*\.0/24 .*dev tun0')" = 60 ] ||
		fail "$proto: not all 60 pushed routes installed: $(nsx ovcli ip -4 route show | grep -c '^10\.200\.')"
	grep -q "push-continuation 2" "$clog" || fail "$proto: option list was not split"
	pass "$proto: 60 extra routes pushed in $(grep -c "Received control message: 'PUSH_REPLY" "$clog") PUSH_REPLY messages, all installed"
	iperf_through "$proto-3" 90 -t 20 -b 4M ||
		fail "$proto: transfer across server renegotiation failed: $(tail -3 "$GH_TMP/iperf-c-$proto-3.log")"
	grep -q "server renegotiates, key" "$slog" || fail "$proto: server never renegotiated"
	grep -q "key [1-7] active" "$slog" || fail "$proto: server-renegotiated key never became active"
	nsx ovcli ping -c 2 -W 2 10.99.0.2 >/dev/null 2>&1 || fail "$proto: ping after server renegotiation failed"
	nsx ovcli ping -c 2 -W 2 10.99.0.3 >/dev/null 2>&1 || fail "$proto: 10.99.0.3 unreachable without --deny"
	pass "$proto: transfer across $(grep -c 'server renegotiates, key' "$slog") server-driven renegotiations (reneg-sec 8) completed"

	if [ "$proto" = udp ]; then
		# NAT rebinding: the client's packets now leave from another address; DATA_V2 carries
		# the peer-id, so the session follows once a packet from there authenticates.
		addr_add ovcli eth0 192.0.2.3/24
		nsx ovcli ip route replace 192.0.2.0/24 dev eth0 src 192.0.2.3
		nsx ovcli ping -c 3 -W 2 10.99.0.2 >/dev/null 2>&1 || fail "udp: ping after the client address changed failed"
		grep -q "floated to 192.0.2.3" "$slog" || fail "udp: server did not follow the client to 192.0.2.3"
		pass "udp: client address change (float) followed: $(grep -o 'floated to .*' "$slog" | head -1)"
		nsx ovcli ip route replace 192.0.2.0/24 dev eth0 src 192.0.2.2
		nsx ovcli ip addr del 192.0.2.3/24 dev eth0
		nsx ovcli ping -c 2 -W 2 10.99.0.2 >/dev/null 2>&1 || fail "udp: ping after moving back failed"
	fi

	[ "$proto" = udp ] && cookie_probe "$slog"

	# Reset connections (kill_all RESTART): the stock client reconnects by itself.
	kill -USR1 "$SRV_PID"
	wait_for 30 sh -c "[ \$(grep -c 'Initialization Sequence Completed' '$clog') -ge 2 ]" ||
		fail "$proto: client did not come back after RESTART: $(grep -i 'pushed by server\|restart' "$clog" | tail -3)"
	grep -q "Connection reset command was pushed by server ('connection reset by administrator')" "$clog" ||
		fail "$proto: client did not receive RESTART"
	kill -0 "$cpid" 2>/dev/null || fail "$proto: client exited on RESTART"
	wait_for 10 grep -q "DISCONNECTED.*cn=client1.*reason=connection reset by administrator" "$slog" ||
		fail "$proto: no disconnected hook for the reset session"
	[ "$(grep -c '^CONNECTED .*cn=client1' "$slog")" -ge 2 ] || fail "$proto: server did not see the client again"
	addr=$(nsx ovcli ip -4 -o addr show dev tun0 | awk '{print $4}')
	case "$addr" in 10.8.0.*/24) ;; *) fail "$proto: no address from the client CIDR after RESTART ('$addr')" ;; esac
	wait_for 10 nsx ovcli ping -c 1 -W 1 10.99.0.2 >/dev/null 2>&1 || fail "$proto: ping after RESTART failed"
	pass "$proto: reset by the server (RESTART): the stock client reconnected by itself, got $addr, pings"

	kill -USR2 "$SRV_PID"
	wait_for 15 sh -c "! kill -0 $cpid 2>/dev/null" || fail "$proto: client still running after HALT"
	grep -q "Halt command was pushed by server" "$clog" || fail "$proto: client did not receive HALT"
	pass "$proto: client terminated by the server (HALT) exited"

	start ovcli "$GH_TMP/revoked-$proto.log" openvpn --config "$(profile "$proto" revoked "")"
	cpid=$LAST_PID
	wait_for 30 grep -q "certificate revoked" "$slog" || fail "$proto: revoked certificate not refused: $(tail -3 "$slog")"
	client_up "$GH_TMP/revoked-$proto.log" && fail "$proto: revoked client connected"
	pass "$proto: revoked client certificate refused by the CRL"
	stop_pid "$cpid"

	# A new CRL (client2 revoked too), applied in place: SIGHUP -> ovpn_server_reconfigure.
	sleep 1 # the revoked client's last attempt is in the log before counting
	nrev=$(grep -c "certificate revoked" "$slog")
	cp "$PKI/crl2.pem" "$GH_TMP/crl-$proto.pem"
	kill -HUP "$SRV_PID"
	wait_for 10 grep -q "RECONFIGURED rc=" "$slog" || fail "$proto: no answer to SIGHUP"
	grep -q "RECONFIGURED rc=E_OK" "$slog" || fail "$proto: reconfigure failed: $(grep RECONFIGURED "$slog")"
	start ovcli2 "$GH_TMP/client2-crl-$proto.log" openvpn --config "$(profile "$proto" client2 "")"
	cpid=$LAST_PID
	wait_for 30 sh -c "[ \$(grep -c 'certificate revoked' '$slog') -gt $nrev ]" || fail "$proto: client2 not refused after the CRL update: $(tail -3 "$slog")"
	client_up "$GH_TMP/client2-crl-$proto.log" && fail "$proto: client2 connected although revoked by the new CRL"
	pass "$proto: CRL rewritten and applied without a restart (reconfigure): client2 refused"
	stop_pid "$cpid"
	stop_server "$slog"
}

scenario udp
scenario tcp
echo "ovpn_client: $GH_PASSES passed, 0 failed"
