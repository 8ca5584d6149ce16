#!/usr/bin/env bash
# Dead peer detection (G:333-349) seen from the engine: the link to the customer gateway is
# blackholed (nftables drop in gw); Gatehouse must declare the tunnel DOWN with the guide's
# "AWS tunnel DPD timed out after N retransmits" message, move its route behind every healthy
# path (metric >= ENGINE_METRIC_UNHEALTHY), and with dpd-timeout-action restart bring the
# tunnel back UP once the link works again. Before that, RFC 7296 2.4: while ESP arrives from
# the peer it is alive, so no DPD probe goes out; once everything is quiet one does.
#
#   cgwhost -- cgw 192.0.2.2 (strongSwan) ==X== 198.51.100.1 gw (Gatehouse engine) -- vpchost
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/s2s_lib.bash"

metric() { nsx gw ip route show 172.16.1.0/24 | grep -o 'metric [0-9]*' | head -1 | cut -d' ' -f2; }
unhealthy() { [ "$(metric)" -ge 1048576 ] 2>/dev/null; }

s2s_topology
GH_OPTS="	dpd-timeout-seconds 30
	dpd-timeout-action restart" gh_start "$(GH_OPTS="	dpd-timeout-seconds 30
	dpd-timeout-action restart" s2s_gh_conf)"
SS_DPD_DELAY=0s SS_START=start s2s_cgw_up
ss_wait_child cgw tun1 30 || fail "tunnel not established"
gh_wait_up 1 10
[ "$(metric)" -lt 1048576 ] || fail "route of an UP tunnel has the unhealthy metric $(metric)"
pass "DPD: tunnel UP, route metric $(metric)"

# IKE packets arriving at the customer gateway from Gatehouse (port 500, or 4500 with the
# non-ESP marker) are our DPD probes: strongSwan's own dpd_delay is 0, and nothing rekeys.
nsx cgw nft -f - <<'NFT' || fail "nftables counter"
table inet dpdcount {
	counter ike {}
	chain in {
		type filter hook input priority 0; policy accept;
		udp sport 500 counter name ike
		udp sport 4500 @th,64,32 0 counter name ike
	}
}
NFT
probes() { nsx cgw nft list counter inet dpdcount ike | grep -o 'packets [0-9]*' | cut -d' ' -f2; }
before=$(probes)
nsx cgwhost ping -q -i 0.5 -w 22 $S2S_VPCHOST >/dev/null || fail "ping stream through the tunnel"
[ "$(probes)" -eq "$before" ] ||
	fail "DPD probes sent while ESP arrived from the peer ($((  $(probes) - before )) in 22 s)"
pass "DPD: no probe while ESP traffic shows the peer alive (22 s; idle probe interval 10 s)"
probed() { [ "$(probes)" -gt "$before" ]; }
wait_for 30 probed || fail "no DPD probe after 30 s of silence"
pass "DPD: a probe once IKE and ESP are quiet"

nsx gw nft -f - <<'NFT' || fail "nftables blackhole"
table inet blackhole {
	chain in { type filter hook input priority 0; policy accept; ip saddr 192.0.2.2 drop; }
	chain out { type filter hook output priority 0; policy accept; ip daddr 192.0.2.2 drop; }
}
NFT
wait_for 90 gh_status_is 1 DOWN || fail "peer blackholed but tunnel still UP"
wait_for 5 grep -q 'AWS tunnel DPD timed out after [0-9]* retransmits' "$GH_TMP/gatehoused.log" ||
	fail "no 'AWS tunnel DPD timed out after {retry_count} retransmits' log line"
wait_for 5 unhealthy || fail "route of a DOWN tunnel not demoted (metric $(metric))"
pass "DPD: peer declared dead, tunnel DOWN ($(grep -o 'msg=.*' "$GH_TMP/status")), route metric $(metric)"

nsx gw nft delete table inet blackhole
wait_for 90 gh_status_is 1 UP || fail "tunnel not back UP after the link returned (dpd-timeout-action restart)"
ping_ok cgwhost $S2S_VPCHOST || fail "no traffic after recovery"
pass "DPD: link restored, tunnel UP again, traffic flows"
s2s_finish
