#!/usr/bin/env bash
# Client VPN: renegotiation while a transfer runs (issue 5 "Renegotiation with a short
# reneg-sec while a transfer runs completes without breaking it"), over an endpoint made with
# the AWS CLI v2, UDP/443 and then TCP/1194. The stock openvpn 2.6 client uses the exported
# profile (which says reneg-sec 0) with --reneg-sec 10 on its command line, so it starts a soft
# reset (new key_id) every 10 s; an iperf3 TCP transfer of 30 s runs meanwhile to vpchost
# 10.0.1.10 through the tunnel (source-translated to gw's 10.0.1.1). Checks: the transfer
# completes with data received; the client log shows at least two soft resets that completed
# (a new "Control Channel:" line after each) and gatehoused's log the same renegotiations with
# their new keys installed; the session is ONE connection throughout
# (DescribeClientVpnConnections: the same connection id active before and after, no other id)
# and its counters moved by at least the transferred bytes. Topology: cvpn_lib.bash's.
#
#   alice 192.0.2.2 -- rtr -- 203.0.113.10 gw (gatehoused, dnsmasq) -- 10.0.1.10 vpchost (iperf3 -s)
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/s2s_lib.bash"
. "$(dirname "$0")/cvpn_lib.bash"

IPERF_SECS=30

reneg() { # PROTO PORT CIDR
	local proto=$1 port=$2 cidr=$3 eid id ids rc resets cc ib0 ib1 rx spid srv0 act0
	note "== $proto/$port"
	cvpn_endpoint "$cidr" --transport-protocol "$proto" --vpn-port "$port"
	eid=$EID
	cvpn_profile "$eid" alice
	: >"$GH_TMP/alice.log"
	srv0=$(count "client renegotiates, key" "$GH_LOG") act0=$(count " active, key " "$GH_LOG")
	cvpn_client_start alice "$PROFILE" --reneg-sec 10
	cvpn_wait_up alice 1
	wait_for 10 cvpn_has_active "$eid" alice || fail "$eid: alice not active: $(cvpn_conns "$eid")"
	id=$(cvpn_active_ids "$eid" alice)
	ib0=$(cvpn_conn_field "$eid" "$id" 5)
	grep -q "^reneg-sec 0$" "$PROFILE" || fail "the exported profile has no 'reneg-sec 0'"

	bg vpchost "$GH_TMP/iperf-s-$proto.log" iperf3 -s -1 -B $CVPN_HOST
	spid=${GH_PIDS[-1]}
	wait_for 5 nsx vpchost sh -c "ss -ltn | grep -q '$CVPN_HOST:5201'" || fail "iperf3 server did not start"
	nsx alice timeout $((IPERF_SECS + 60)) iperf3 -c $CVPN_HOST -t $IPERF_SECS -b 40M -J \
		>"$GH_TMP/iperf-c-$proto.json" 2>&1
	rc=$?
	wait "$spid" 2>/dev/null
	[ $rc = 0 ] || fail "$proto: iperf3 through the tunnel failed (rc $rc): $(tail -5 "$GH_TMP/iperf-c-$proto.json")"
	rx=$(python3 -c 'import json, sys
print(json.load(open(sys.argv[1]))["end"]["sum_received"]["bytes"])' "$GH_TMP/iperf-c-$proto.json") ||
		fail "$proto: no iperf3 result"
	[ "$rx" -gt 1000000 ] || fail "$proto: iperf3 receiver got only $rx bytes"

	resets=$(count "TLS: soft reset" "$GH_TMP/alice.log")
	cc=$(count "Control Channel:" "$GH_TMP/alice.log")
	[ "$resets" -ge 2 ] || fail "$proto: $resets soft resets in the client log during a ${IPERF_SECS}s transfer with reneg-sec 10"
	[ "$cc" -ge $((resets + 1)) ] || fail "$proto: $resets soft resets but only $cc TLS sessions completed"
	[ "$(cvpn_inits alice)" = 1 ] || fail "$proto: the client restarted during the transfer"
	# The server's side of it: soft resets answered and the new keys installed (ovpn log lines).
	[ $(($(count "client renegotiates, key" "$GH_LOG") - srv0)) -ge 2 ] &&
		[ $(($(count " active, key " "$GH_LOG") - act0)) -ge 2 ] ||
		fail "$proto: gatehoused did not log the renegotiations and new keys: $(grep -E 'renegotiates|active, key' "$GH_LOG" | tail -3)"
	grep -qE "$RESTART_PAT" "$GH_TMP/alice.log" && fail "$proto: the client restarted: $(grep -E "$RESTART_PAT" "$GH_TMP/alice.log" | head -2)"

	ids=$(cvpn_conns "$eid" | awk '{print $1}' | sort -u | tr '\n' ' ')
	[ "$ids" = "$id " ] || fail "$proto: connections '$ids' on $eid, expected only $id"
	cvpn_conn_is "$eid" "$id" active || fail "$proto: $id not active after the transfer"
	# IngressBytes (sent by the client, inner packets) covers at least iperf3's payload; the
	# counters are refreshed every second.
	wait_for 5 ingress_covers "$eid" "$id" $((ib0 + rx)) ||
		fail "$proto: IngressBytes moved by $(($(cvpn_conn_field "$eid" "$id" 5) - ib0)), less than the $rx bytes received by iperf3"
	ib1=$(cvpn_conn_field "$eid" "$id" 5)
	pass "$proto: iperf3 ${IPERF_SECS}s through the tunnel, $rx bytes received, across $resets client soft resets (reneg-sec 10); one connection $id throughout, IngressBytes $ib0 -> $ib1"
	ping_ok alice $CVPN_HOST || fail "$proto: ping after the renegotiations"
	cvpn_client_stop alice
}
RESTART_PAT="SIGUSR1|Restart pause|Connection reset"
ingress_covers() { [ "$(cvpn_conn_field "$1" "$2" 5)" -ge "$3" ]; } # EID ID BYTES

cvpn_pki
cvpn_topology
cvpn_dns_start
cvpn_daemon_start reneg
cvpn_acm_vpc
reneg udp 443 172.16.0.0/22
reneg tcp 1194 172.16.4.0/22
cvpn_finish
