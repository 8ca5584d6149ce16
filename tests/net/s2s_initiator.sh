#!/usr/bin/env bash
# Gatehouse initiates (StartupAction start, G:509: "AWS initiates IKE", IKEv2 only): the real
# strongSwan customer gateway only listens (start_action none); the tunnel must come UP from
# our side and carry ICMP and TCP both ways. Then the customer gateway deletes the IKE SA and
# Gatehouse must re-initiate (G:572: "AWS re-initiates IKE when it receives a delete SA").
#
#   cgwhost 172.16.1.10 -- cgw 192.0.2.2 ====== 198.51.100.1 gw -- 10.0.1.10 vpchost
#                          (strongSwan, waits)     (Gatehouse engine, startup-action start)
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/s2s_lib.bash"

s2s_topology
SS_START=none s2s_cgw_up
GH_START=start gh_start "$(GH_START=start s2s_gh_conf)"
ss_wait_child cgw tun1 30 || fail "Gatehouse did not establish the CHILD SA"
gh_wait_up 1 10
raw=$(ss_raw)
echo "$raw" | grep -q 'initiator=yes' && fail "strongSwan was the initiator: $raw"
echo "$raw" | grep -q 'encap=yes' || fail "ESP not UDP-encapsulated: $raw"
pass "initiator: Gatehouse initiated, strongSwan responded, status UP"
s2s_traffic_both_ways "initiator"

swanctl_ns cgw --terminate --ike aws-tun1 >/dev/null 2>&1
wait_for 10 gh_status_is 1 DOWN || note "DOWN not observed (re-initiation may have been instant)"
ss_wait_child cgw tun1 30 || fail "no re-initiation after the customer gateway's DELETE"
gh_wait_up 1 15
ping_ok cgwhost $S2S_VPCHOST || fail "traffic after re-initiation"
pass "initiator: after the customer gateway's DELETE, Gatehouse re-initiated and traffic flows"
s2s_finish
