#!/usr/bin/env bash
# Client VPN: the modifications that reset connections (client-vpn.md C3, claims 15 and 37)
# reset them for real, and the stock openvpn 2.6 client reconnects by itself into a session
# built from the new settings. One UDP/443 endpoint made through the AWS CLI v2, two clients
# (alice, bob) using the exported profile; the topology is cvpn_lib.bash's:
#
#   alice 192.0.2.2  --\                                              /-- 10.0.1.10 vpchost
#                       rtr -- 203.0.113.10 gw (gatehoused, dnsmasq) --   10.0.2.10 (same host)
#   bob   192.0.2.66 --/      endpoint: client CIDR 172.16.0.0/22, DNS 10.0.1.2, split off
#
# Steps, each ending every session with RESTART (each client's log: "Connection reset command
# was pushed by server"), the client reconnecting on its own with a NEW connection id while the
# old one shows terminated:
#   1. split tunnel on: before, the clients route 0.0.0.0/1 + 128.0.0.0/1 into tun0 (def1);
#      after, only the endpoint route 10.0.0.0/16;
#   2. DNS servers 10.0.1.2 -> 10.0.1.3: the reconnected client's --up script sees
#      foreign_option "dhcp-option DNS 10.0.1.3" (and not the old one);
#   3. a route (split tunnel on) to 192.168.100.0/24 via the subnet: now pushed and installed;
#   4. an authorization rule for 10.0.2.0/24: 10.0.2.10, refused before, now answers;
#   4b. client to client: alice reaches bob only with both a route to 172.16.0.0/22 (target
#      local) and a rule for it;
#   5. a new server certificate (same CA): the reconnected client verified CN=server2;
#   6. the VPN port 443 -> 1194: sessions cut, the listener moves (443 closed); the profile
#      exported again says 1194 and connects (the old one cannot: nothing listens there);
#   7. a CRL revoking bob: both are cut; alice reconnects and reaches 10.0.1.10; bob is refused
#      (TLS error in its log, no new active connection for bob in Describe, no tun0).
# That is every change C3 lists (server certificate, DNS servers, split tunnel, routes with
# split tunnel, CRL, authorization rules, VPN port).
# A change that must NOT reset (the description, claim 16) leaves both sessions alone.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/s2s_lib.bash"
. "$(dirname "$0")/cvpn_lib.bash"

declare -A INITS IDS RSTS
RESET_MSG="Connection reset command was pushed by server"

# Remember where each client stands: sessions completed, reset messages seen, active id.
snapshot() { # CN...
	local cn
	for cn in "$@"; do
		INITS[$cn]=$(cvpn_inits "$cn")
		RSTS[$cn]=$(count "$RESET_MSG" "$GH_TMP/$cn.log")
		IDS[$cn]=$(cvpn_active_ids "$EID" "$cn")
		[ "$(echo "${IDS[$cn]}" | wc -w)" = 1 ] || fail "$cn: active connections '${IDS[$cn]}', not one"
	done
}

resets_seen() { [ "$(count "$RESET_MSG" "$GH_TMP/$1.log")" -gt "${RSTS[$1]}" ]; }
new_active() { # CN: an active connection other than the remembered one
	local ids
	ids=$(cvpn_active_ids "$EID" "$1")
	[ -n "$ids" ] && [ "$ids" != "${IDS[$1]}" ]
}

# After a modification that resets: CN got RESTART, is still running, came back in a new
# session with a new connection id; the old one is terminated.
reset_and_back() { # LABEL CN...
	local label=$1 cn
	shift
	for cn in "$@"; do
		wait_for 20 resets_seen "$cn" || fail "$label: $cn got no RESTART: $(tail -5 "$GH_TMP/$cn.log")"
		cvpn_wait_up "$cn" $((INITS[$cn] + 1)) 60
		cvpn_client_running "$cn" || fail "$label: $cn exited instead of reconnecting"
		wait_for 10 new_active "$cn" || fail "$label: no new active connection for $cn: $(cvpn_conns "$EID")"
		wait_for 5 cvpn_conn_is "$EID" "${IDS[$cn]}" terminated ||
			fail "$label: $cn's old connection ${IDS[$cn]} not terminated: $(cvpn_conns "$EID")"
	done
	pass "$label: $* reset (RESTART), reconnected by themselves as $(for cn in "$@"; do printf '%s ' "$(cvpn_active_ids "$EID" "$cn")"; done)(old ones terminated)"
	snapshot "$@"
}

routes() { nsx "$1" ip -4 route show; }
has_def1() { routes "$1" | grep -q "^0.0.0.0/1 via .* dev tun0" && routes "$1" | grep -q "^128.0.0.0/1 via .* dev tun0"; }

# The newest --up record of CN (one file per tunnel start).
up_last() { # CN
	local n=1
	while [ -e "$GH_TMP/$1.up.$((n + 1))" ]; do n=$((n + 1)); done
	echo "$GH_TMP/$1.up.$n"
}

cvpn_pki
cvpn_topology
cvpn_dns_start
cvpn_echo_start
cvpn_daemon_start reset
cvpn_acm_vpc
cvpn_endpoint 172.16.0.0/22 --dns-servers 10.0.1.2
pass "endpoint $EID (udp/443, split tunnel off, DNS 10.0.1.2), associated, rule 10.0.1.0/24"

for cn in alice bob; do
	cvpn_profile "$EID" "$cn"
	cvpn_client_start "$cn" "$PROFILE"
done
cvpn_wait_up alice 1
cvpn_wait_up bob 1
wait_for 10 cvpn_has_active "$EID" alice && wait_for 10 cvpn_has_active "$EID" bob ||
	fail "Describe does not show both clients active: $(cvpn_conns "$EID")"
snapshot alice bob
for cn in alice bob; do
	ping_ok "$cn" $CVPN_HOST || fail "$cn: ping $CVPN_HOST"
	has_def1 "$cn" || fail "$cn: split tunnel off but no def1 routes: $(routes "$cn")"
done
grep -qx "foreign_option_1=dhcp-option DNS 10.0.1.2" "$(up_last alice)" ||
	fail "alice's --up did not get DNS 10.0.1.2: $(cat "$(up_last alice)")"
pass "alice ($(cvpn_tun_addr alice)) and bob ($(cvpn_tun_addr bob)) connected: def1 routes, DNS 10.0.1.2 pushed, ping $CVPN_HOST"

# Claim 16: the description is not a resetting change.
aws_gw modify-client-vpn-endpoint --client-vpn-endpoint-id "$EID" --description "no reset" >/dev/null ||
	fail "modify --description"
sleep 3
[ "$(count "$RESET_MSG" "$GH_TMP/alice.log")" = "${RSTS[alice]}" ] && [ "$(cvpn_inits alice)" = "${INITS[alice]}" ] &&
	[ "$(cvpn_active_ids "$EID" alice)" = "${IDS[alice]}" ] || fail "modify --description reset alice's session"
pass "modify --description: sessions kept (same connection ids)"

# 1. split tunnel on
aws_gw modify-client-vpn-endpoint --client-vpn-endpoint-id "$EID" --split-tunnel >/dev/null ||
	fail "modify --split-tunnel"
reset_and_back "split tunnel on" alice bob
has_def1 alice && fail "split tunnel on, alice still has def1 routes: $(routes alice)"
routes alice | grep -q "^$CVPN_VPC via .* dev tun0" || fail "split tunnel on: no route $CVPN_VPC into tun0: $(routes alice)"
ping_ok alice $CVPN_HOST || fail "split tunnel on: ping $CVPN_HOST"
pass "split tunnel on: alice routes only $CVPN_VPC into tun0 (no def1), reaches $CVPN_HOST"

# 2. DNS servers
aws_gw modify-client-vpn-endpoint --client-vpn-endpoint-id "$EID" \
	--dns-servers CustomDnsServers=10.0.1.3,Enabled=true >/dev/null || fail "modify --dns-servers"
reset_and_back "DNS servers 10.0.1.2 -> 10.0.1.3" alice bob
f=$(up_last alice)
grep -qx "foreign_option_1=dhcp-option DNS 10.0.1.3" "$f" && ! grep -q "10.0.1.2" "$f" ||
	fail "the reconnected alice did not get only DNS 10.0.1.3: $(cat "$f")"
pass "DNS servers: the reconnected client's --up saw '$(grep foreign_option "$f" | tr '\n' ' ')'"

# 3. a route while split tunnel is on
aws_gw create-client-vpn-route --client-vpn-endpoint-id "$EID" --destination-cidr-block 192.168.100.0/24 \
	--target-vpc-subnet-id "$SUBNET_A" >/dev/null || fail "create-client-vpn-route"
reset_and_back "route 192.168.100.0/24 added (split tunnel)" alice bob
routes alice | grep -q "^192.168.100.0/24 via .* dev tun0" || fail "192.168.100.0/24 not pushed: $(routes alice)"
pass "route 192.168.100.0/24: pushed to the reconnected client, installed into tun0"

# 4. an authorization rule
seen=$(cvpn_echo alice $CVPN_HOST2)
[ -z "$seen" ] || fail "$CVPN_HOST2 answered before it was authorized"
aws_gw authorize-client-vpn-ingress --client-vpn-endpoint-id "$EID" --target-network-cidr 10.0.2.0/24 \
	--authorize-all-groups >/dev/null || fail "authorize-client-vpn-ingress 10.0.2.0/24"
reset_and_back "rule 10.0.2.0/24 authorized" alice bob
seen=$(cvpn_echo alice $CVPN_HOST2)
case "$seen" in
10.0.1.1 | 10.0.2.1) ;;
*) fail "after authorizing 10.0.2.0/24: $CVPN_HOST2 answered '$seen' (want gw's address)" ;;
esac
pass "rule 10.0.2.0/24: $CVPN_HOST2, refused before, now reached (seen source $seen)"

# 4b. client to client: a route to the client CIDR itself (target "local") and a rule for it
peer_ok() { local b; b=$(cvpn_tun_addr bob); nsx alice ping -c 2 -W 1 -q "${b%/*}" >/dev/null 2>&1; }
peer_ok && fail "alice reaches bob with neither a local route nor a rule for the client CIDR"
aws_gw create-client-vpn-route --client-vpn-endpoint-id "$EID" --destination-cidr-block 172.16.0.0/22 \
	--target-vpc-subnet-id local >/dev/null || fail "create-client-vpn-route 172.16.0.0/22 local"
reset_and_back "route 172.16.0.0/22 -> local (split tunnel)" alice bob
peer_ok && fail "alice reaches bob with a local route but no rule for 172.16.0.0/22"
aws_gw authorize-client-vpn-ingress --client-vpn-endpoint-id "$EID" --target-network-cidr 172.16.0.0/22 \
	--authorize-all-groups >/dev/null || fail "authorize-client-vpn-ingress 172.16.0.0/22"
reset_and_back "rule 172.16.0.0/22 authorized" alice bob
wait_for 10 peer_ok || fail "alice does not reach bob ($(cvpn_tun_addr bob)) with the local route and the rule"
pass "client to client: refused without, refused with only the local route, allowed with route + rule"

# 5. the server certificate: a new one from the same CA; the clients' profile still fits
cvpn_leaf server2 server
ARN2=$(aws_api acm import-certificate --certificate "fileb://$PKI/server2.crt" \
	--private-key "fileb://$PKI/server2.key" --certificate-chain "fileb://$PKI/ca.crt" \
	--query CertificateArn --output text) || fail "acm import-certificate (server2)"
v0=$(count "VERIFY OK: depth=0, CN=server2" "$GH_TMP/alice.log")
aws_gw modify-client-vpn-endpoint --client-vpn-endpoint-id "$EID" --server-certificate-arn "$ARN2" \
	>/dev/null || fail "modify --server-certificate-arn"
reset_and_back "server certificate replaced" alice bob
[ "$(count "VERIFY OK: depth=0, CN=server2" "$GH_TMP/alice.log")" -gt "$v0" ] ||
	fail "the reconnected alice did not verify the new server certificate: $(grep 'VERIFY OK: depth=0' "$GH_TMP/alice.log" | tail -1)"
pass "server certificate: the reconnected client verified CN=server2"

# 6. the VPN port 443 -> 1194: sessions cut, the listener moves; the old profile no longer
# fits (as with AWS, users download the new one)
for cn in alice bob; do RSTS[$cn]=$(count "$RESET_MSG" "$GH_TMP/$cn.log"); done
aws_gw modify-client-vpn-endpoint --client-vpn-endpoint-id "$EID" --vpn-port 1194 >/dev/null ||
	fail "modify --vpn-port 1194"
for cn in alice bob; do
	wait_for 20 resets_seen "$cn" || fail "port change: $cn got no RESTART"
	wait_for 10 cvpn_conn_is "$EID" "${IDS[$cn]}" terminated || fail "port change: ${IDS[$cn]} not terminated"
done
udp_on() { nsx gw ss -Hlun "sport = :$1" | grep -q "$CVPN_SRV:$1 "; }
wait_for 10 udp_on 1194 || fail "port change: nothing on udp/1194: $(nsx gw ss -Hlun)"
wait_for 10 sh -c "! ip netns exec $(ns_name gw) ss -Hlun 'sport = :443' | grep -q ." ||
	fail "port change: udp/443 still open"
[ -z "$(cvpn_active_ids "$EID" alice)" ] || fail "port change: alice active again with the old profile"
for cn in alice bob; do
	cvpn_client_stop "$cn"
	cvpn_profile "$EID" "$cn"
	grep -q "^remote .* 1194$" "$PROFILE" || fail "port change: the new profile says $(grep '^remote ' "$PROFILE")"
	cvpn_client_start "$cn" "$PROFILE"
	cvpn_wait_up "$cn" $((INITS[$cn] + 1)) 60
done
wait_for 10 cvpn_has_active "$EID" alice && wait_for 10 cvpn_has_active "$EID" bob ||
	fail "port change: not both active with the new profile: $(cvpn_conns "$EID")"
snapshot alice bob
ping_ok alice $CVPN_HOST || fail "port change: ping over udp/1194"
pass "VPN port 443 -> 1194: sessions cut, udp/1194 serves (443 closed); new profiles connect"

# 7. CRL revoking bob
cvpn_crl_revoke bob
bob_tls0=$(grep -cE "TLS Error|TLS_ERROR|AUTH_FAILED|certificate revoked" "$GH_TMP/bob.log")
aws_gw import-client-vpn-client-certificate-revocation-list --client-vpn-endpoint-id "$EID" \
	--certificate-revocation-list "file://$PKI/crl.pem" >/dev/null || fail "import CRL"
reset_and_back "CRL imported" alice
wait_for 20 resets_seen bob || fail "CRL: bob's session was not cut: $(tail -5 "$GH_TMP/bob.log")"
wait_for 5 cvpn_conn_is "$EID" "${IDS[bob]}" terminated || fail "CRL: bob's ${IDS[bob]} not terminated: $(cvpn_conns "$EID")"
bob_refused() { [ "$(grep -cE "TLS Error|TLS_ERROR|AUTH_FAILED|certificate revoked" "$GH_TMP/bob.log")" -gt "$bob_tls0" ]; }
wait_for 60 bob_refused || fail "CRL: no refused handshake in bob's log: $(tail -8 "$GH_TMP/bob.log")"
ping_ok alice $CVPN_HOST || fail "CRL: alice cannot ping $CVPN_HOST after reconnecting"
[ "$(cvpn_inits bob)" = "${INITS[bob]}" ] || fail "CRL: bob (revoked) completed a new session"
[ -z "$(cvpn_active_ids "$EID" bob)" ] || fail "CRL: Describe shows bob active again: $(cvpn_conns "$EID")"
[ -z "$(cvpn_tun_addr bob)" ] || fail "CRL: bob still has a tunnel address $(cvpn_tun_addr bob)"
cvpn_client_running bob && note "bob's openvpn keeps retrying (as a stock client does): $(grep -E "TLS Error|TLS_ERROR|AUTH_FAILED|revoked" "$GH_TMP/bob.log" | tail -1 | cut -c1-120)"
pass "CRL revoking bob: bob cut and refused on reconnect (no active connection); alice back and pinging"
cvpn_client_stop bob
cvpn_client_stop alice

cvpn_finish
