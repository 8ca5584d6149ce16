#!/usr/bin/env bash
# Gatehouse as the AWS side in its default role, responder (StartupAction add, G:514): a real
# strongSwan 5.9.8 customer gateway (charon + kernel-libipsec, AWS-style swanctl.conf of
# interop.md 3.2, NAT-T forced by libipsec) initiates; the tunnel must come UP, carry ICMP and
# TCP both ways, and a SIGHUP that changes only routes must keep the SAs.
#
#   cgwhost 172.16.1.10 -- cgw 192.0.2.2 ====== 198.51.100.1 gw -- 10.0.1.10 vpchost
#                          (strongSwan)   UDP 4500   (Gatehouse engine, startup-action add)
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/s2s_lib.bash"

s2s_topology
GH_START=add
conf=$(s2s_gh_conf)
gh_start "$conf"
wait_for 10 test -s "$GH_TMP/status" || fail "engine did not start"
gh_status_is 1 DOWN || fail "tunnel must be DOWN before the customer gateway initiates"
pass "responder: DOWN and waiting ($(cut -d' ' -f6- "$GH_TMP/status"))"

SS_START=start s2s_cgw_up
ss_wait_child cgw tun1 30 || fail "CHILD SA not installed on the customer gateway"
gh_wait_up 1 10
raw=$(ss_raw)
echo "$raw" | grep -q 'state=ESTABLISHED' || fail "IKE SA not established: $raw"
echo "$raw" | grep -q 'encap=yes' || fail "ESP not UDP-encapsulated: $raw"
echo "$raw" | grep -q 'encr-alg=AES_CBC encr-keysize=128 integ-alg=HMAC_SHA1_96 prf-alg=PRF_HMAC_SHA1 dh-group=MODP_1024' ||
	fail "unexpected IKE algorithms: $raw"
pass "responder: strongSwan initiated, IKE SA + CHILD SA up, status UP"
gh_route_in_tun 172.16.1.0/24 || fail "no route to the customer network into the tunnel"
s2s_traffic_both_ways "responder"

# SIGHUP with a new route only: no restart (same SPIs on the customer gateway).
spi=$(echo "$raw" | grep -o 'spi-in=[0-9a-f]*')
cat >>"$conf" <<'CONF'
tunnel vpn-s2stest 1 {
}
CONF
gh_signal HUP
wait_for 5 grep -q 'not applied, the running configuration stays' "$GH_TMP/gatehoused.log" ||
	fail "a broken file on SIGHUP must be refused"
grep -q 'gatehoused.conf:[0-9]*: tunnel vpn-s2stest 1 is already defined on line' "$GH_TMP/gatehoused.log" ||
	fail "the refused file's problem is not logged with file:line"
gh_status_is 1 UP || fail "tunnel went down after a refused reload"
pass "responder: SIGHUP with a broken file is refused with file:line, tunnel stays UP"
GH_OPTS="	route 172.16.2.0/24" s2s_gh_conf >/dev/null
gh_signal HUP
wait_for 5 grep -q '0 restarted, 1 with new routes' "$GH_TMP/gatehoused.log" || fail "route-only change not applied"
wait_for 5 gh_route_in_tun 172.16.2.0/24 || fail "new route missing"
[ "$(ss_raw | grep -o 'spi-in=[0-9a-f]*')" = "$spi" ] || fail "SAs changed on a route-only reload"
ping_ok cgwhost $S2S_VPCHOST || fail "traffic after reload"
pass "responder: SIGHUP route change applied without restarting the tunnel"
s2s_finish
