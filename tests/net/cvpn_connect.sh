#!/usr/bin/env bash
# Client VPN end to end through the EC2 API (issue 5, client-vpn.md G claims 3, 4, 5, 32, 38,
# 39): endpoints created with the AWS CLI v2 — two UDP/443 (split tunnel off) and one TCP/1194
# (split tunnel on); the stock openvpn 2.6 client connects with the exported profile unchanged
# plus its <cert>/<key>, finding the server by the profile's DNS name.
#
#   alice 192.0.2.2  --\                                              /-- 10.0.1.10 vpchost
#                       rtr -- 203.0.113.10 gw (gatehoused, dnsmasq) --   10.0.2.10 (same host)
#   bob   192.0.2.66 --/      203.0.113.11
#   client-vpn-address 203.0.113.10 203.0.113.11:
#     udp/443 endpoint (first)  -> .10, client CIDR 172.16.0.0/22 or 172.16.8.0/22  (alice)
#     udp/443 endpoint (second) -> .11, the other one                                 (alice)
#     tcp/1194 endpoint         -> .10, client CIDR 172.16.4.0/22, split tunnel       (bob)
#   VPC 10.0.0.0/16 (subnets 10.0.1.0/24 associated, 10.0.2.0/24), rule 10.0.1.0/24 only.
#
# Each endpoint listens on its own configured address (never 0.0.0.0), once available. For each
# session: the client resolves <random>.cvpn-endpoint-<hex>.prod... through dnsmasq (the second
# UDP endpoint's names point at .11), connects, gets an address from the client CIDR and the
# routes the split-tunnel setting calls for; it reaches 10.0.1.10 (authorized) and the host sees
# gw's 10.0.1.1 as the source (NAT: vpchost has no route to the client CIDR); 10.0.2.10 (routed,
# not authorized) gets nothing, although gw itself reaches it; DescribeClientVpnConnections
# shows the connection active with its CN, ClientIp and non-zero bytes/packets;
# TerminateClientVpnConnections makes the client exit (HALT) and the connection shows
# terminated with an end time. Then: disassociating the last target network ends bob's new
# session and stops the listener (pending-associate); a daemon restart serves the stored
# available endpoints again on the same addresses (and not the other); SIGTERM stops cleanly.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/s2s_lib.bash"
. "$(dirname "$0")/cvpn_lib.bash"

listening() { # PROTO PORT [ADDR]
	local flag=-Hlun
	[ "$1" = tcp ] && flag=-Hltn
	nsx gw ss $flag "sport = :$2" | grep -q "${3:-$CVPN_SRV}:$2 "
}
# The local addresses of every socket on PROTO/PORT in gw, sorted, one line.
sockets() { # PROTO PORT
	local flag=-Hlun
	[ "$1" = tcp ] && flag=-Hltn
	nsx gw ss $flag "sport = :$2" | awk '{print $4}' | sort | tr '\n' ' ' | sed 's/ $//'
}
wildcard() { # PROTO PORT: listening on 0.0.0.0 (wrong once client-vpn-address is set)
	local flag=-Hlun
	[ "$1" = tcp ] && flag=-Hltn
	nsx gw ss $flag "sport = :$2" | grep -qE "(0\.0\.0\.0|\*):$2 "
}

# connect CN EID PROTO PORT CIDR SPLIT(0|1) SERVER-ADDR: connect and check traffic and Describe.
connect() {
	local cn=$1 eid=$2 proto=$3 port=$4 cidr=$5 split=$6 srv=$7 addr seen n0 id
	note "== $cn -> $eid ($proto/$port on $srv, client CIDR $cidr, split tunnel $split)"
	wait_for 10 listening "$proto" "$port" "$srv" ||
		fail "$eid: nothing listening on $srv $proto/$port: $(nsx gw ss -Hlnup)"
	wildcard "$proto" "$port" && fail "$eid: listening on the wildcard address: $(nsx gw ss -Hlnup)"
	pass "$eid: available, listening on $srv $proto/$port (client-vpn-address)"

	cvpn_profile "$eid" "$cn"
	grep -qx "proto $proto" "$PROFILE" || fail "$eid: profile has $(grep '^proto' "$PROFILE"), not proto $proto"
	n0=$(cvpn_inits "$cn")
	cvpn_client_start "$cn" "$PROFILE"
	cvpn_wait_up "$cn" $((n0 + 1))
	grep -qE "query\[A\] [^ ]+\.$eid\.prod\.$CVPN_DOMAIN from 192\.0\.2\." "$GH_TMP/dnsmasq.log" ||
		fail "$cn: no DNS query for <random>.$eid.prod.$CVPN_DOMAIN in dnsmasq's log"
	addr=$(cvpn_tun_addr "$cn")
	in_cidr "${addr%/*}" "$cidr" || fail "$cn: tun0 address '$addr' not in $cidr"
	grep -qF "link remote: [AF_INET]$srv:$port" "$GH_TMP/$cn.log" ||
		fail "$cn: not connected to $srv:$port: $(grep 'link remote' "$GH_TMP/$cn.log" | tail -1)"
	pass "$cn: stock openvpn with the exported profile (+cert/key) resolved $(grep -oE "[^ ]+\.$eid" "$GH_TMP/dnsmasq.log" | head -1 | cut -d. -f1).$eid... to $srv, connected over $proto, got $addr"

	if [ "$split" = 1 ]; then
		nsx "$cn" ip -4 route show | grep -q "^$CVPN_VPC via .* dev tun0" ||
			fail "$cn: split tunnel: no pushed route $CVPN_VPC via tun0: $(nsx "$cn" ip -4 route show)"
		nsx "$cn" ip -4 route show | grep -q "^0.0.0.0/1 .*dev tun0" &&
			fail "$cn: split tunnel on, but redirect-gateway routes installed"
		pass "$cn: split tunnel: only the endpoint route $CVPN_VPC goes into tun0"
	else
		nsx "$cn" ip -4 route show | grep -q "^0.0.0.0/1 via .* dev tun0" &&
			nsx "$cn" ip -4 route show | grep -q "^128.0.0.0/1 via .* dev tun0" ||
			fail "$cn: split tunnel off: no def1 routes via tun0: $(nsx "$cn" ip -4 route show)"
		pass "$cn: full tunnel: redirect-gateway def1 (0.0.0.0/1 and 128.0.0.0/1 via tun0)"
	fi

	ping_ok "$cn" $CVPN_HOST || fail "$cn: ping $CVPN_HOST (authorized) through the endpoint"
	seen=$(cvpn_echo "$cn" $CVPN_HOST)
	[ "$seen" = $CVPN_LAN_GW ] ||
		fail "$cn: the LAN host saw source '$seen', not the endpoint's $CVPN_LAN_GW (NAT)"
	pass "$cn: reaches $CVPN_HOST (rule 10.0.1.0/24); the host sees the source $seen (translated)"

	n0=$(cvpn_echo_count $CVPN_HOST2)
	nsx "$cn" ping -c 2 -W 1 -q $CVPN_HOST2 >/dev/null 2>&1 && fail "$cn: $CVPN_HOST2 answered a ping without a rule"
	seen=$(cvpn_echo "$cn" $CVPN_HOST2)
	[ -z "$seen" ] || fail "$cn: $CVPN_HOST2 answered without a rule (seen $seen)"
	[ "$(cvpn_echo_count $CVPN_HOST2)" = "$n0" ] || fail "$cn: a datagram reached $CVPN_HOST2 without a rule"
	nsx gw ping -c 1 -W 2 -q $CVPN_HOST2 >/dev/null || fail "gw itself cannot reach $CVPN_HOST2"
	pass "$cn: $CVPN_HOST2 (in the VPC route, no rule) refused: nothing arrived there; gw itself reaches it"

	wait_for 10 cvpn_has_active "$eid" "$cn" || fail "$eid: no active connection for $cn: $(cvpn_conns "$eid")"
	id=$(cvpn_active_ids "$eid" "$cn")
	[ "$(echo "$id" | wc -w)" = 1 ] || fail "$eid: $cn has connections '$id', not one"
	[ "$(cvpn_conn_field "$eid" "$id" 4)" = "${addr%/*}" ] ||
		fail "$eid: ClientIp $(cvpn_conn_field "$eid" "$id" 4), the client has ${addr%/*}"
	[ -n "$(cvpn_conn_field "$eid" "$id" 9)" ] && [ "$(cvpn_conn_field "$eid" "$id" 9)" != None ] ||
		fail "$eid: no ConnectionEstablishedTime"
	wait_for 5 cvpn_conn_counted "$eid" "$id" || fail "$eid: bytes/packets not counted: $(cvpn_conns "$eid")"
	pass "$eid: Describe: $(cvpn_conns "$eid" | awk -v id="$id" '$1 == id {print $1, $2, "CN=" $3, "ClientIp=" $4, "in " $5 "B/" $7 "p", "out " $6 "B/" $8 "p"}')"
	CONN_ID=$id
}

terminate() { # CN EID ID
	local cn=$1 eid=$2 id=$3
	local st
	st=$(aws_gw terminate-client-vpn-connections --client-vpn-endpoint-id "$eid" --connection-id "$id" \
		--query 'ConnectionStatuses[].[ConnectionId,PreviousStatus.Code,CurrentStatus.Code]' --output text) ||
		fail "terminate-client-vpn-connections $eid $id"
	[ "$(echo "$st" | tr '\t' ' ')" = "$id active terminating" ] ||
		fail "terminate-client-vpn-connections answered '$st'"
	wait_for 15 sh -c "! kill -0 $(cvpn_client_pid "$cn") 2>/dev/null" ||
		fail "$cn: openvpn still running after TerminateClientVpnConnections"
	grep -q "Halt command was pushed by server" "$GH_TMP/$cn.log" ||
		fail "$cn: the client exited without a HALT from the server: $(tail -3 "$GH_TMP/$cn.log")"
	wait_for 5 cvpn_conn_is "$eid" "$id" terminated || fail "$eid: $id not terminated: $(cvpn_conns "$eid")"
	[ -n "$(cvpn_conn_field "$eid" "$id" 10)" ] && [ "$(cvpn_conn_field "$eid" "$id" 10)" != None ] ||
		fail "$eid: terminated $id has no ConnectionEndTime"
	pass "$eid: terminate-client-vpn-connections: $cn got HALT and exited; $id terminated at $(cvpn_conn_field "$eid" "$id" 10)"
}

cvpn_pki
cvpn_topology
cvpn_echo_start
cvpn_daemon_start connect $CVPN_SRV $CVPN_SRV2
cvpn_acm_vpc

# Two UDP/443 endpoints and one TCP/1194. client-vpn-address gives each endpoint the first
# address no other endpoint with the same transport and port uses: the UDP endpoint associated
# first gets .10, the second .11; the TCP one .10. (Associated in id order: the store lists
# endpoints by id, so the second one is served after the first in the same pass.)
cvpn_endpoint_create 172.16.0.0/22 --transport-protocol udp --vpn-port 443 --dns-servers 10.0.1.2
u1=$EID
cvpn_endpoint_create 172.16.8.0/22 --transport-protocol udp --vpn-port 443 --dns-servers 10.0.1.2
u2=$EID
if [[ "$u1" < "$u2" ]]; then
	EP_UDP=$u1 CIDR_UDP=172.16.0.0/22 EP_UDP2=$u2 CIDR_UDP2=172.16.8.0/22
else
	EP_UDP=$u2 CIDR_UDP=172.16.8.0/22 EP_UDP2=$u1 CIDR_UDP2=172.16.0.0/22
fi
cvpn_endpoint_open "$EP_UDP"
wait_for 10 listening udp 443 $CVPN_SRV || fail "$EP_UDP: not on $CVPN_SRV udp/443: $(sockets udp 443)"
cvpn_endpoint_open "$EP_UDP2"
aws_gw authorize-client-vpn-ingress --client-vpn-endpoint-id "$EP_UDP2" \
	--target-network-cidr 192.168.200.0/24 --authorize-all-groups >/dev/null ||
	fail "authorize-client-vpn-ingress $EP_UDP2 192.168.200.0/24"
cvpn_endpoint 172.16.4.0/22 --transport-protocol tcp --vpn-port 1194 --split-tunnel
EP_TCP=$EID ASSOC_TCP=$ASSOC
wait_for 10 listening udp 443 $CVPN_SRV2 && wait_for 10 listening tcp 1194 $CVPN_SRV ||
	fail "listeners: udp/443 on '$(sockets udp 443)', tcp/1194 on '$(sockets tcp 1194)'"
[ "$(sockets udp 443)" = "$CVPN_SRV:443 $CVPN_SRV2:443" ] ||
	fail "udp/443 sockets '$(sockets udp 443)': want one on $CVPN_SRV ($EP_UDP) and one on $CVPN_SRV2 ($EP_UDP2)"
[ "$(sockets tcp 1194)" = "$CVPN_SRV:1194" ] || fail "tcp/1194 sockets '$(sockets tcp 1194)'"
pass "three endpoints through the API: $EP_UDP udp/443 on $CVPN_SRV, $EP_UDP2 udp/443 on $CVPN_SRV2, $EP_TCP tcp/1194 on $CVPN_SRV"
# The operator's DNS: the wildcard to .10, the second UDP endpoint's names to .11.
cvpn_dns_start "--address=/$EP_UDP2.prod.$CVPN_DOMAIN/$CVPN_SRV2"

connect alice "$EP_UDP" udp 443 "$CIDR_UDP" 0 $CVPN_SRV
ID_UDP=$CONN_ID
# Connection logging (E7) on the TCP endpoint: no reset, entries in the local log group.
aws_gw modify-client-vpn-endpoint --client-vpn-endpoint-id "$EP_TCP" \
	--connection-log-options Enabled=true,CloudwatchLogGroup=cvpn-test,CloudwatchLogStream=bob \
	>/dev/null || fail "modify-client-vpn-endpoint --connection-log-options"
CONNLOG=$GH_TMP/data/logs/cvpn-test/bob
connect bob "$EP_TCP" tcp 1194 172.16.4.0/22 1 $CVPN_SRV
ID_TCP=$CONN_ID
# Both sessions at once, each on its own endpoint.
ping_ok alice $CVPN_HOST && ping_ok bob $CVPN_HOST || fail "the two sessions do not both pass traffic"
[ "$(cvpn_conns "$EP_UDP" | grep -c " bob ")" = 0 ] || fail "$EP_UDP lists bob's connection"
pass "both sessions carry traffic at once; each endpoint lists only its own connection"

terminate alice "$EP_UDP" "$ID_UDP"
terminate bob "$EP_TCP" "$ID_TCP"
# E7: one entry when bob connected, one when he was cut (end time, duration, counters).
connlog_ok() {
	python3 - "$CONNLOG" "$ID_TCP" <<'PY'
import json, sys
entries = [json.loads(l) for l in open(sys.argv[1])]
mine = [e for e in entries if e["connection-id"] == sys.argv[2]]
assert len(mine) == 2, entries
start, end = mine
for e in mine:
    assert e["connection-log-type"] == "connection-attempt" and e["connection-attempt-status"] == "successful", e
    assert e["common-name"] == "bob" and e["transport-protocol"] == "tcp" and e["client-ip"].startswith("172.16.4."), e
assert start["connection-end-time"] == "NA" and start["connection-duration-seconds"] == "NA", start
assert end["connection-end-time"] != "NA" and int(end["connection-duration-seconds"]) >= 0, end
assert int(end["ingress-packets"]) > 0 and int(end["egress-bytes"]) > 0, end
PY
}
wait_for 5 connlog_ok >/dev/null 2>&1 || { connlog_ok; fail "connection log $CONNLOG: $(cat "$CONNLOG" 2>&1)"; }
pass "$EP_TCP: connection log cvpn-test/bob: an entry at connect and one at the end ($(tail -1 "$CONNLOG" | grep -o '"connection-duration-seconds":"[0-9]*"'))"
ping_ok bob $CVPN_HOST && fail "bob's traffic still flows after terminate"

# The second UDP/443 endpoint, on the second address.
connect alice "$EP_UDP2" udp 443 "$CIDR_UDP2" 0 $CVPN_SRV2
[ -z "$(cvpn_conns "$EP_UDP" | awk '$2 == "active"')" ] || fail "$EP_UDP lists an active connection: $(cvpn_conns "$EP_UDP")"
# Forwarding needs a route too: 192.168.200.0/24 is authorized on this endpoint but no endpoint
# route covers it, so nothing gets there; a route (split tunnel off: no reset, claim 16) opens it.
n0=$(cvpn_echo_count $CVPN_HOST3)
[ -z "$(cvpn_echo alice $CVPN_HOST3)" ] && [ "$(cvpn_echo_count $CVPN_HOST3)" = "$n0" ] ||
	fail "alice reached $CVPN_HOST3 (authorized) without an endpoint route"
r0=$(count "Connection reset command was pushed by server" "$GH_TMP/alice.log")
aws_gw create-client-vpn-route --client-vpn-endpoint-id "$EP_UDP2" --destination-cidr-block 192.168.200.0/24 \
	--target-vpc-subnet-id "$SUBNET_A" >/dev/null || fail "create-client-vpn-route 192.168.200.0/24"
host3_ok() { [ "$(cvpn_echo alice $CVPN_HOST3)" = $CVPN_LAN_GW ]; }
wait_for 10 host3_ok || fail "alice does not reach $CVPN_HOST3 (source $CVPN_LAN_GW) after the route was added"
[ "$(count "Connection reset command was pushed by server" "$GH_TMP/alice.log")" = "$r0" ] &&
	[ "$(cvpn_active_ids "$EP_UDP2" alice)" = "$CONN_ID" ] ||
	fail "a route added with split tunnel off reset alice's session: $(cvpn_conns "$EP_UDP2")"
pass "$EP_UDP2: $CVPN_HOST3 authorized but unrouted: refused; after create-client-vpn-route reached, same session $CONN_ID (no reset with split tunnel off)"
terminate alice "$EP_UDP2" "$CONN_ID"

# Claim 5: the last disassociation returns the endpoint to pending-associate, ends its
# sessions and stops the listener. bob connects again first.
n0=$(cvpn_inits bob)
cvpn_client_start bob "$GH_TMP/$EP_TCP-bob.ovpn"
cvpn_wait_up bob $((n0 + 1))
wait_for 10 cvpn_has_active "$EP_TCP" bob || fail "bob not active again: $(cvpn_conns "$EP_TCP")"
ID_TCP=$(cvpn_active_ids "$EP_TCP" bob)
aws_gw disassociate-client-vpn-target-network --client-vpn-endpoint-id "$EP_TCP" \
	--association-id "$ASSOC_TCP" >/dev/null || fail "disassociate-client-vpn-target-network"
[ "$(cvpn_status "$EP_TCP")" = pending-associate ] || fail "$EP_TCP: $(cvpn_status "$EP_TCP") after disassociate"
wait_for 10 cvpn_conn_is "$EP_TCP" "$ID_TCP" terminated ||
	fail "$EP_TCP: bob's $ID_TCP not terminated by the last disassociation: $(cvpn_conns "$EP_TCP")"
wait_for 10 sh -c "! ip netns exec $(ns_name gw) ss -Hltn 'sport = :1194' | grep -q ." ||
	fail "$EP_TCP: still listening on tcp/1194 while pending-associate"
wait_for 10 sh -c "[ -z \"\$(ip netns exec $(ns_name bob) ip -4 -o addr show dev tun0 2>/dev/null)\" ]" ||
	fail "bob still has a tunnel after the last disassociation"
ping_ok bob $CVPN_HOST && fail "bob still reaches $CVPN_HOST after the last disassociation"
listening udp 443 || fail "$EP_UDP stopped listening when $EP_TCP was disassociated"
pass "$EP_TCP disassociated: pending-associate, bob's session ended, tcp/1194 closed; $EP_UDP still serves"
cvpn_client_stop bob

# A restart of the daemon serves the stored endpoints again: udp/443 comes back, tcp/1194
# (pending-associate) does not; alice connects with the same profile.
pid=$(daemon_pid)
kill -TERM "$pid"
wait_for 15 sh -c "! kill -0 $pid 2>/dev/null" || fail "gatehoused did not stop on SIGTERM"
listening udp 443 && fail "udp/443 still open with gatehoused stopped"
daemon_start
wait_for 10 listening udp 443 && wait_for 10 listening udp 443 $CVPN_SRV2 ||
	fail "after restart: udp/443 sockets '$(sockets udp 443)'"
[ "$(sockets udp 443)" = "$CVPN_SRV:443 $CVPN_SRV2:443" ] ||
	fail "after restart: udp/443 sockets '$(sockets udp 443)': each endpoint should keep its address"
nsx gw ss -Hltn "sport = :1194" | grep -q . && fail "after restart: tcp/1194 open for a pending-associate endpoint"
n0=$(cvpn_inits alice)
cvpn_client_start alice "$GH_TMP/$EP_UDP-alice.ovpn"
cvpn_wait_up alice $((n0 + 1))
ping_ok alice $CVPN_HOST || fail "after restart: alice cannot reach $CVPN_HOST"
wait_for 10 cvpn_has_active "$EP_UDP" alice || fail "after restart: alice not active: $(cvpn_conns "$EP_UDP")"
[ "$(cvpn_conn_field "$EP_UDP" "$ID_UDP" 2)" = terminated ] || fail "after restart: $ID_UDP is $(cvpn_conn_field "$EP_UDP" "$ID_UDP" 2)"
pass "gatehoused restarted: $EP_UDP serves again from the store, alice reconnects and pings; the old record stays terminated"
cvpn_client_stop alice

cvpn_finish
