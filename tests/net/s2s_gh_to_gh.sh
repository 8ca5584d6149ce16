#!/usr/bin/env bash
# Gatehouse <-> Gatehouse with plain ESP (IP protocol 50, no NAT so no UDP encapsulation):
# the engine in "cgw" is configured as the initiator on the customer side (startup-action
# start), the engine in "gw" is the AWS side (add). The tunnel must come UP on both, ESP must
# be seen on the wire as protocol 50, ICMP and TCP must pass both ways, and the inside /30's
# two hosts (AWS side first, customer side second) must reach each other through the tunnel.
#
#   cgwhost 172.16.1.10 -- cgw 192.0.2.2 ====== 198.51.100.1 gw -- 10.0.1.10 vpchost
#                          (Gatehouse,    ESP     (Gatehouse,
#                           initiator)  proto 50   responder)
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/s2s_lib.bash"

s2s_topology
gh_start "$(s2s_gh_conf)"
cat >"$GH_TMP/cgw.conf" <<CONF
log-level debug
outside-address $S2S_CGW_WAN
vpc-network $S2S_CGW_LAN
tunnel vpn-s2stest 1 {
	local-address $S2S_CGW_WAN
	remote-address $S2S_GW1
	inside-cidr 169.254.10.0/30
	pre-shared-key "$S2S_PSK1"
	startup-action start
	inside-role customer
	route $S2S_VPC
}
CONF
gh_start "$GH_TMP/cgw.conf" cgw
wait_for 20 gh_status_is 1 UP cgw || fail "customer-side engine not UP: $(cat "$GH_TMP/status-cgw" 2>/dev/null)"
gh_wait_up 1 10
grep 'CHILD SA installed' "$GH_TMP/gatehoused.log" | grep -q 'UDP-encapsulated' &&
	fail "ESP is UDP-encapsulated without a NAT"
pass "Gatehouse <-> Gatehouse: UP on both sides (initiator on the customer side)"

nsx gw timeout 8 tcpdump -ni wan -c 4 'ip proto 50' >"$GH_TMP/esp.pcap.txt" 2>&1 &
dump=$!
sleep 1
ping_ok cgwhost $S2S_VPCHOST || fail "ping cgwhost -> vpchost"
wait $dump
grep -q 'ESP(spi=' "$GH_TMP/esp.pcap.txt" || fail "no protocol 50 ESP on the wire: $(cat "$GH_TMP/esp.pcap.txt")"
pass "Gatehouse <-> Gatehouse: ESP is IP protocol 50 on the wire"
s2s_traffic_both_ways "Gatehouse <-> Gatehouse"
# Inside /30: AWS side .1 (gw), customer side .2 (cgw, inside-role customer), G:1555.
nsx gw ip -4 addr show | grep -q 'inet 169.254.10.1/30' || fail "gw lacks inside address .1"
nsx cgw ip -4 addr show | grep -q 'inet 169.254.10.2/30' || fail "cgw lacks inside address .2"
ping_ok cgw 169.254.10.1 || fail "cannot reach the AWS-side inside address through the tunnel"
ping_ok gw 169.254.10.2 || fail "cannot reach the customer-side inside address through the tunnel"
pass "Gatehouse <-> Gatehouse: inside addresses .1 (AWS side) / .2 (customer side) reach each other"
s2s_finish
