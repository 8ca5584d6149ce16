#!/usr/bin/env bash
# The getting-started tutorial of the Site-to-Site VPN guide as an automated test: ONE gatehoused
# (EC2 API + tunnel engine, --config) driven only by the real AWS CLI v2, a real strongSwan
# customer gateway loaded with EXACTLY the downloaded sample configuration, traffic between a
# customer host and a VPC host through the tunnels.
#
#   cgwhost 172.16.1.10 -- cgw 192.0.2.2 ====== 198.51.100.1/.2 gw -- 10.0.1.10 vpchost
#                          (strongSwan,           (gatehoused --config: outside-address pool
#                           sample swanctl.conf)   .1 .2, API on 127.0.0.1:5000 in gw's netns;
#                                                  the AWS CLI runs in gw's netns)
#
# Checks: the connection takes its two outside addresses from the file's pool; both tunnels
# UP in VgwTelemetry (state available) with the customer route accepted; ping both ways;
# ModifyVpnTunnelOptions restarts only that tunnel; kill -9 + restart brings both tunnels back
# with no API call; SIGHUP keeps the API's tunnels and their SAs; propagation of the static
# route to the VPC route table only while UP; DeleteVpnConnection removes the tunnels, their TUN links and routes;
# SIGTERM stops cleanly (no sanitizer report).
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/s2s_lib.bash"
CUST_NET=$S2S_CGW_LAN

s2s_topology
s2s_api_setup tutorial
tunnel_status() { # -> "UP UP", "UP DOWN", ... (tunnel 1, tunnel 2 by outside address)
	aws_gw describe-vpn-connections --vpn-connection-ids "$VPN" --output text \
		--query "VpnConnections[0].[VgwTelemetry[?OutsideIpAddress=='$S2S_GW1'].Status|[0], VgwTelemetry[?OutsideIpAddress=='$S2S_GW2'].Status|[0]]" |
		tr '\t' ' '
}
both_up() { [ "$(tunnel_status)" = "UP UP" ]; }
gh_links() { nsx gw ip -o link show | grep -c ': gh[0-9]' ; }
s2s_dump_tutorial() {
	s2s_dump
	echo "---- gatehoused ($GH_LOG) ----"
	tail -60 "$GH_LOG" 2>/dev/null
}
GH_FAIL_HOOK=s2s_dump_tutorial

daemon_start
pass "gatehoused --config: API and engine in one process"

# ---- the tutorial, step by step, with the AWS CLI ----
CGW=$(aws_gw create-customer-gateway --type ipsec.1 --public-ip $S2S_CGW_WAN --bgp-asn 65000 \
	--query CustomerGateway.CustomerGatewayId --output text) || fail "create-customer-gateway"
VGW=$(aws_gw create-vpn-gateway --type ipsec.1 --query VpnGateway.VpnGatewayId --output text) ||
	fail "create-vpn-gateway"
VPC=$(aws_gw create-vpc --cidr-block 10.0.0.0/16 --query Vpc.VpcId --output text) || fail "create-vpc"
aws_gw attach-vpn-gateway --vpn-gateway-id "$VGW" --vpc-id "$VPC" >/dev/null || fail "attach-vpn-gateway"
RTB=$(aws_gw describe-route-tables --filters "Name=vpc-id,Values=$VPC" \
	--query 'RouteTables[0].RouteTableId' --output text) || fail "describe-route-tables"
aws_gw enable-vgw-route-propagation --route-table-id "$RTB" --gateway-id "$VGW" ||
	fail "enable-vgw-route-propagation"
VPN=$(aws_gw create-vpn-connection --type ipsec.1 --customer-gateway-id "$CGW" \
	--vpn-gateway-id "$VGW" --options StaticRoutesOnly=true \
	--query VpnConnection.VpnConnectionId --output text) || fail "create-vpn-connection"
aws_gw create-vpn-connection-route --vpn-connection-id "$VPN" --destination-cidr-block $CUST_NET ||
	fail "create-vpn-connection-route"
outside=$(aws_gw describe-vpn-connections --vpn-connection-ids "$VPN" --output text \
	--query 'VpnConnections[0].Options.TunnelOptions[].OutsideIpAddress' | tr '\t' '\n' | sort | tr '\n' ' ')
[ "$outside" = "$S2S_GW1 $S2S_GW2 " ] || fail "outside addresses not from the file's pool: $outside"
pass "tutorial steps 1-4 with the AWS CLI: $CGW $VGW $VPC $VPN (outside $outside)"

SAMPLE=$GH_TMP/sample-swanctl.conf
aws_gw get-vpn-connection-device-sample-configuration --vpn-connection-id "$VPN" \
	--vpn-connection-device-type-id strongswan-swanctl --internet-key-exchange-version ikev2 \
	--query VpnConnectionDeviceSampleConfiguration --output text >"$SAMPLE" ||
	fail "get-vpn-connection-device-sample-configuration"
grep -q "remote_addrs = $S2S_GW1" "$SAMPLE" && grep -q "remote_addrs = $S2S_GW2" "$SAMPLE" ||
	fail "the sample does not name both outside addresses"

# The customer gateway: charon (kernel-libipsec) with the downloaded file, unchanged.
s2s_ss_start cgw $S2S_VPC
cp "$SAMPLE" "$(ss_dir cgw)/swanctl.conf"
cmp -s "$SAMPLE" "$(ss_dir cgw)/swanctl.conf" || fail "sample copy differs"
ss_load cgw
pass "strongSwan loaded the downloaded sample configuration unchanged"

wait_for 60 both_up || fail "VgwTelemetry not UP UP: $(tunnel_status)"
state=$(aws_gw describe-vpn-connections --vpn-connection-ids "$VPN" --query 'VpnConnections[0].State' --output text)
[ "$state" = available ] || fail "state $state, not available"
swanctl_ns cgw --list-sas | grep -q "^aws-tun1: #[0-9]*, ESTABLISHED, IKEv2" &&
	swanctl_ns cgw --list-sas | grep -q "^aws-tun2: #[0-9]*, ESTABLISHED, IKEv2" ||
	fail "strongSwan does not show both IKE SAs ESTABLISHED"
routes=$(aws_gw describe-vpn-connections --vpn-connection-ids "$VPN" --output text \
	--query 'VpnConnections[0].VgwTelemetry[].AcceptedRouteCount' | tr '\t' '+')
[ $((routes)) -ge 1 ] || fail "no accepted route in VgwTelemetry ($routes)"
msg=$(aws_gw describe-vpn-connections --vpn-connection-ids "$VPN" --output text \
	--query 'VpnConnections[0].VgwTelemetry[0].LastStatusChange')
[ -n "$msg" ] && [ "$msg" != None ] || fail "no LastStatusChange"
pass "both tunnels UP in VgwTelemetry, state available, AcceptedRouteCount $routes"

nsx gw ip route show $CUST_NET | grep -q 'dev gh' || fail "no route to $CUST_NET into a tunnel"
ping_ok cgwhost $S2S_VPCHOST || fail "ping cgwhost -> vpchost"
ping_ok vpchost $S2S_CGWHOST || fail "ping vpchost -> cgwhost"
pass "ping cgwhost -> vpchost and back through the tunnels"

# ---- route propagation (G:1013): the static route shows in the VPC route table, propagated
# from the VGW, only while the connection is UP; the gw host routes it into Gatehouse ----
propagated() { # -> the GatewayId of the propagated route to the customer network, or ""
	aws_gw describe-route-tables --route-table-ids "$RTB" --output text \
		--query "RouteTables[0].Routes[?DestinationCidrBlock=='$CUST_NET' && Origin=='EnableVgwRoutePropagation'].GatewayId" ||
		echo "describe-route-tables failed"
}
is_propagated() { [ "$(propagated)" = "$VGW" ]; }
not_propagated() { [ -z "$(propagated)" ]; }
both_down() { [ "$(tunnel_status)" = "DOWN DOWN" ]; }
wait_for 10 is_propagated || fail "UP connection: $CUST_NET not propagated from $VGW: '$(propagated)'"
nsx gw ip route get $S2S_CGWHOST | grep -q 'dev gh[0-9]' ||
	fail "gw does not route $S2S_CGWHOST into Gatehouse: $(nsx gw ip route get $S2S_CGWHOST)"
pass "propagation: $CUST_NET in $RTB (Origin EnableVgwRoutePropagation, $VGW) while UP; gw routes it into a gh TUN"
swanctl_ns cgw --terminate --ike aws-tun1 >/dev/null 2>&1
swanctl_ns cgw --terminate --ike aws-tun2 >/dev/null 2>&1
wait_for 15 both_down || fail "customer gateway deleted both IKE SAs, VgwTelemetry $(tunnel_status)"
wait_for 10 not_propagated || fail "connection DOWN but $CUST_NET still propagated"
swanctl_ns cgw --initiate --child tun1 >/dev/null 2>&1 &
swanctl_ns cgw --initiate --child tun2 >/dev/null 2>&1 &
wait_for 60 both_up || fail "tunnels not back UP after re-initiation: $(tunnel_status)"
wait_for 10 is_propagated || fail "connection UP again but $CUST_NET not propagated"
ping_ok cgwhost $S2S_VPCHOST || fail "ping after re-initiation"
pass "propagation: withdrawn while both tunnels were DOWN, back once UP"

# ---- ModifyVpnTunnelOptions: only that tunnel goes down ----
ike1() { swanctl_ns cgw --list-sas 2>/dev/null | grep -o '^aws-tun1: #[0-9]*, ESTABLISHED'; }
spi1=$(ike1)
[ -n "$spi1" ] || fail "no IKE SA of tunnel 1 on the customer gateway"
aws_gw modify-vpn-tunnel-options --vpn-connection-id "$VPN" --vpn-tunnel-outside-ip-address $S2S_GW2 \
	--tunnel-options DPDTimeoutSeconds=45 >/dev/null || fail "modify-vpn-tunnel-options"
wait_for 10 log_has "0 added, 0 removed, 1 restarted" || fail "modify: not exactly one tunnel restarted"
wait_for 60 both_up || fail "after modify: $(tunnel_status)"
[ "$(ike1)" = "$spi1" ] ||
	fail "modify of tunnel 2 touched tunnel 1's IKE SA"
ping_ok cgwhost $S2S_VPCHOST || fail "ping after modify"
pass "modify-vpn-tunnel-options: tunnel 2 alone restarted, tunnel 1's IKE SA kept, both UP"

# ---- kill -9 and restart: the tunnels come back from the store, no API call ----
pid=$(daemon_pid)
kill -9 "$pid"
wait_for 10 sh -c "! kill -0 $pid 2>/dev/null" || fail "kill -9 did not stop gatehoused"
wait_for 10 sh -c "[ \$(ip -n $(ns_name gw) -o link show | grep -c ': gh[0-9]') = 0 ]" ||
	fail "TUN links left after kill -9"
daemon_start
wait_for 90 sh -c "grep -q '$VPN tunnel 1 ($S2S_GW1): UP' '$GH_LOG' && grep -q '$VPN tunnel 2 ($S2S_GW2): UP' '$GH_LOG'" ||
	fail "after restart: tunnels not UP in the new daemon's log"
wait_for 10 both_up || fail "after restart: VgwTelemetry $(tunnel_status)"
ping_ok cgwhost $S2S_VPCHOST || fail "ping after restart"
pass "kill -9 + restart: both tunnels back UP from the store (no API call), traffic flows"

# ---- SIGHUP (the file re-read): the API's tunnels are part of the desired state of the reload
# (engine_runner_set_compose), so they keep their IKE and CHILD SAs ----
sas_of() { # -> the IKE SPIs and CHILD SPIs of tunnel N on the customer gateway
	swanctl_ns cgw --list-sas --raw 2>/dev/null | grep -o "aws-tun$1 {.*" |
		grep -o '\(initiator-spi\|responder-spi\|spi-in\|spi-out\)=[0-9a-f]*' | sort | tr '\n' ' '
}
sas1=$(sas_of 1) sas2=$(sas_of 2)
[ "$(echo $sas1 | wc -w)" -ge 4 ] && [ "$(echo $sas2 | wc -w)" -ge 4 ] ||
	fail "no IKE and CHILD SPIs on the customer gateway: '$sas1' '$sas2'"
note "before SIGHUP: tunnel 1 $sas1; tunnel 2 $sas2"
n0=$(grep -c "configuration applied: 0 tunnels" "$GH_LOG")
kill -HUP "$(daemon_pid)"
wait_for 10 log_has "configuration applied: 2 tunnels (0 added, 0 removed, 0 restarted" ||
	fail "SIGHUP: the reload did not keep the API's 2 tunnels"
[ "$(grep -c "configuration applied: 0 tunnels" "$GH_LOG")" = "$n0" ] ||
	fail "SIGHUP: the reload applied the file alone (the API's tunnels stopped)"
both_up || fail "after SIGHUP: $(tunnel_status)"
[ "$(sas_of 1)" = "$sas1" ] && [ "$(sas_of 2)" = "$sas2" ] ||
	fail "SIGHUP changed the SAs: tunnel 1 '$sas1' -> '$(sas_of 1)', tunnel 2 '$sas2' -> '$(sas_of 2)'"
ping_ok cgwhost $S2S_VPCHOST || fail "ping after SIGHUP"
pass "SIGHUP: the API's tunnels kept their IKE and CHILD SAs (same SPIs), traffic flows"

# ---- DeleteVpnConnection: tunnels, links and routes go ----
aws_gw delete-vpn-connection --vpn-connection-id "$VPN" || fail "delete-vpn-connection"
wait_for 10 sh -c "[ \$(ip -n $(ns_name gw) -o link show | grep -c ': gh[0-9]') = 0 ]" ||
	fail "TUN links left after delete: $(nsx gw ip -o link show)"
nsx gw ip route show | grep -q "$CUST_NET" && fail "route to $CUST_NET left: $(nsx gw ip route show)"
wait_for 5 log_has "configuration applied: 0 tunnels" || fail "engine still runs tunnels"
state=$(aws_gw describe-vpn-connections --vpn-connection-ids "$VPN" --query 'VpnConnections[0].State' --output text)
[ "$state" = deleted ] || fail "state $state after delete"
pass "delete-vpn-connection: tunnels stopped, no gh* link and no route left in gw"

pid=$(daemon_pid)
kill -TERM "$pid"
wait_for 15 sh -c "! kill -0 $pid 2>/dev/null" || fail "gatehoused did not stop on SIGTERM"
if grep -E 'AddressSanitizer|LeakSanitizer|runtime error:' "$GH_TMP"/gatehoused-*.log; then
	fail "sanitizer report in gatehoused's log"
fi
pass "SIGTERM: clean stop"
echo "all $GH_PASSES checks passed"
