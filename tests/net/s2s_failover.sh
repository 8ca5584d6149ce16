#!/usr/bin/env bash
# Failover between the two tunnels of one VPN connection created through the API (G:319: AWS
# "prefers one of the tunnels, but can automatically fail over"), with traffic flowing, and
# ModifyVpnTunnelOptions on the idle tunnel while the other one carries the traffic.
#
#                                            198.51.100.1 (tunnel 1)
#   cgwhost -- cgw 192.0.2.2 (strongSwan) =====X (nftables in cgw drops it) gatehoused -- vpchost
#   172.16.1.10  (AWS sample swanctl.conf)   198.51.100.2 (tunnel 2)          (gw)     10.0.1.10
#
# 1. Both tunnels UP: gw has ONE kernel route to the customer network, via tunnel 1 (same
#    priority, lower tunnel index).
# 2. A ping stream at 10/s from cgwhost; the customer gateway loses tunnel 1 (everything to and
#    from 198.51.100.1 dropped in cgw), so only dead peer detection can tell: Gatehouse's DPD
#    (DPDTimeoutSeconds 30, the minimum, set at creation) declares tunnel 1 DOWN,
#    VgwTelemetry says so with the reason in StatusMessage, the route moves to tunnel 2 and
#    the ping stream flows again (TCP both ways too).
#    The customer side: the AWS sample gives both tunnels identical 0.0.0.0/0 children, which
#    kernel-libipsec cannot tell apart (interop.md 3.2) while both exist. We rely on charon's
#    own DPD (dpd_delay 10s, the fast retransmits of lib.sh's strongswan.conf): it declares
#    tunnel 1 dead (its re-initiation, dpd_action restart, stays blocked), deletes that CHILD
#    SA and its policies, and libipsec then sends everything through tunnel 2's SA. Charon's
#    verdict (~20 s) comes before Gatehouse's (30 s), so the customer side is never the one
#    holding traffic on the dead tunnel at the end.
# 3. With tunnel 2 carrying everything, ModifyVpnTunnelOptions on tunnel 1: a ping stream at
#    10/s over tunnel 2 across the modify loses nothing, tunnel 2 keeps its SAs.
# 4. The link comes back: charon re-establishes tunnel 1 (keyingtries 0) and the route returns
#    to tunnel 1.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/s2s_lib.bash"
CUST_NET=$S2S_CGW_LAN

s2s_topology
s2s_api_setup failover
daemon_start

tel() { # FIELD OUTSIDE_ADDRESS -> VgwTelemetry field of that tunnel
	aws_gw describe-vpn-connections --vpn-connection-ids "$VPN" --output text \
		--query "VpnConnections[0].VgwTelemetry[?OutsideIpAddress=='$2'].$1|[0]"
}
tunnel_status() { echo "$(tel Status $S2S_GW1) $(tel Status $S2S_GW2)"; }
status_is() { [ "$(tunnel_status)" = "$1" ]; }
# The gw TUN device of tunnel N: the one holding the AWS side of its inside /30 (G:1555).
dev_of() {
	local cidr net last
	cidr=$(aws_gw describe-vpn-connections --vpn-connection-ids "$VPN" --output text \
		--query "VpnConnections[0].Options.TunnelOptions[?OutsideIpAddress=='$1'].TunnelInsideCidr|[0]")
	net=${cidr%/*} last=${net##*.}
	nsx gw ip -o -4 addr show | awk -v a="${net%.*}.$((last + 1))/30" '$4 == a { print $2 }'
}
route_devs() { nsx gw ip route show $CUST_NET | grep -o 'dev [a-z0-9]*' | cut -d' ' -f2 | tr '\n' ' '; }
route_via() { [ "$(route_devs)" = "$1 " ]; }
sas_of() { # IKE and CHILD SPIs of tunnel N on the customer gateway
	swanctl_ns cgw --list-sas --raw 2>/dev/null | grep -o "aws-tun$1 {.*" |
		grep -o '\(initiator-spi\|responder-spi\|spi-in\|spi-out\)=[0-9a-f]*' | sort | tr '\n' ' '
}
s2s_dump_failover() {
	s2s_dump
	echo "---- gatehoused ($GH_LOG) ----"
	tail -60 "$GH_LOG" 2>/dev/null
	echo "---- gw routes ----"
	nsx gw ip route show 2>/dev/null
	tail -5 "$GH_TMP"/ping-*.out 2>/dev/null
}
GH_FAIL_HOOK=s2s_dump_failover

# ---- one VPN connection through the API, the customer gateway from the downloaded sample ----
CGW=$(aws_gw create-customer-gateway --type ipsec.1 --public-ip $S2S_CGW_WAN --bgp-asn 65000 \
	--query CustomerGateway.CustomerGatewayId --output text) || fail "create-customer-gateway"
VGW=$(aws_gw create-vpn-gateway --type ipsec.1 --query VpnGateway.VpnGatewayId --output text) ||
	fail "create-vpn-gateway"
VPN=$(aws_gw create-vpn-connection --type ipsec.1 --customer-gateway-id "$CGW" \
	--vpn-gateway-id "$VGW" \
	--options '{"StaticRoutesOnly":true,"TunnelOptions":[{"DPDTimeoutSeconds":30},{"DPDTimeoutSeconds":30}]}' \
	--query VpnConnection.VpnConnectionId --output text) || fail "create-vpn-connection"
aws_gw create-vpn-connection-route --vpn-connection-id "$VPN" --destination-cidr-block $CUST_NET ||
	fail "create-vpn-connection-route"
aws_gw get-vpn-connection-device-sample-configuration --vpn-connection-id "$VPN" \
	--vpn-connection-device-type-id strongswan-swanctl --internet-key-exchange-version ikev2 \
	--query VpnConnectionDeviceSampleConfiguration --output text >"$GH_TMP/sample.conf" ||
	fail "get-vpn-connection-device-sample-configuration"
s2s_ss_start cgw $S2S_VPC
cp "$GH_TMP/sample.conf" "$(ss_dir cgw)/swanctl.conf"
ss_load cgw
wait_for 60 status_is "UP UP" || fail "VgwTelemetry not UP UP: $(tunnel_status)"
DEV1=$(dev_of $S2S_GW1) DEV2=$(dev_of $S2S_GW2)
[ -n "$DEV1" ] && [ -n "$DEV2" ] && [ "$DEV1" != "$DEV2" ] || fail "TUN devices of the tunnels: '$DEV1' '$DEV2'"
wait_for 5 route_via "$DEV1" || fail "expected ONE route to $CUST_NET via tunnel 1 ($DEV1): $(route_devs)"
ping_ok cgwhost $S2S_VPCHOST || fail "ping cgwhost -> vpchost"
pass "both tunnels UP ($VPN through the API); one kernel route to $CUST_NET, via tunnel 1 ($DEV1)"

# ---- the customer gateway loses tunnel 1 while a ping stream runs: DPD, failover ----
nsx cgwhost ping -D -O -i 0.1 -W 1 $S2S_VPCHOST >"$GH_TMP/ping-failover.out" 2>&1 &
PING_PID=$!
GH_PIDS+=($PING_PID)
wait_for 5 sh -c "grep -q 'bytes from' '$GH_TMP/ping-failover.out'" || fail "ping stream does not flow"
nsx cgw nft -f - <<NFT || fail "nftables drop of tunnel 1 in cgw"
table inet failover {
	chain in { type filter hook input priority 0; policy accept; ip saddr $S2S_GW1 drop; }
	chain out { type filter hook output priority 0; policy accept; ip daddr $S2S_GW1 drop; }
}
NFT
note "tunnel 1 blackholed on the customer side; waiting for dead peer detection"
wait_for 90 status_is "DOWN UP" || fail "tunnel 1 blackholed: VgwTelemetry $(tunnel_status), not DOWN UP"
msg=$(tel StatusMessage $S2S_GW1)
echo "$msg" | grep -qi 'DPD' || fail "tunnel 1 DOWN without the DPD reason in StatusMessage: '$msg'"
wait_for 5 route_via "$DEV2" || fail "route not moved to tunnel 2 ($DEV2): $(route_devs)"
# The stream flows again: the last 20 probes (2 s) all answered.
stream_ok() { [ "$(tail -20 "$GH_TMP/ping-failover.out" | grep -c 'bytes from')" = 20 ]; }
wait_for 60 stream_ok || fail "ping stream not flowing after the failover"
kill "$PING_PID" 2>/dev/null
wait "$PING_PID" 2>/dev/null
lost=$(grep -c 'no answer yet' "$GH_TMP/ping-failover.out")
pass "failover: tunnel 1 DOWN ('$msg'), tunnel 2 UP, route via $DEV2, the ping stream flows again ($lost probes lost in the switch)"
s2s_traffic_both_ways "after failover (tunnel 2)" 500000

# ---- ModifyVpnTunnelOptions on tunnel 1 while tunnel 2 carries the traffic: no loss ----
sas2=$(sas_of 2)
[ "$(echo $sas2 | wc -w)" -ge 4 ] || fail "no SPIs of tunnel 2 on the customer gateway: '$sas2'"
nsx cgwhost ping -q -i 0.1 -c 100 -W 2 $S2S_VPCHOST >"$GH_TMP/ping-modify.out" 2>&1 &
PING_PID=$!
GH_PIDS+=($PING_PID)
sleep 1 # sequencing only: the stream is running when the modify comes
n0=$(grep -c "0 added, 0 removed, 1 restarted" "$GH_LOG")
aws_gw modify-vpn-tunnel-options --vpn-connection-id "$VPN" --vpn-tunnel-outside-ip-address $S2S_GW1 \
	--tunnel-options DPDTimeoutSeconds=40 >/dev/null || fail "modify-vpn-tunnel-options"
wait_for 10 sh -c "[ \$(grep -c '0 added, 0 removed, 1 restarted' '$GH_LOG') -gt $n0 ]" ||
	fail "modify: tunnel 1 not restarted"
kill -0 "$PING_PID" 2>/dev/null || fail "the ping stream ended before the modify was applied (no overlap)"
wait "$PING_PID"
grep -q '100 packets transmitted, 100 received' "$GH_TMP/ping-modify.out" ||
	fail "tunnel 2 dropped traffic while tunnel 1 was modified: $(grep transmitted "$GH_TMP/ping-modify.out")"
[ "$(sas_of 2)" = "$sas2" ] || fail "modify of tunnel 1 changed tunnel 2's SAs: '$sas2' -> '$(sas_of 2)'"
route_via "$DEV2" || fail "route left tunnel 2 during the modify: $(route_devs)"
pass "modify-vpn-tunnel-options on tunnel 1: 100/100 pings over tunnel 2 across it, tunnel 2's SAs unchanged"

# ---- the link returns: tunnel 1 back, the route returns to it ----
nsx cgw nft delete table inet failover
wait_for 90 status_is "UP UP" || fail "link restored: VgwTelemetry $(tunnel_status), not UP UP"
wait_for 5 route_via "$DEV1" || fail "route not back on tunnel 1 ($DEV1): $(route_devs)"
ping_ok cgwhost $S2S_VPCHOST || fail "ping after failback"
pass "failback: tunnel 1 UP again (customer gateway re-initiated), route via $DEV1, traffic flows"

pid=$(daemon_pid)
kill -TERM "$pid"
wait_for 15 sh -c "! kill -0 $pid 2>/dev/null" || fail "gatehoused did not stop on SIGTERM"
if grep -E 'AddressSanitizer|LeakSanitizer|runtime error:' "$GH_LOG"; then
	fail "sanitizer report in gatehoused's log"
fi
pass "SIGTERM: clean stop"
echo "all $GH_PASSES checks passed"
