#!/usr/bin/env bash
# NAT-T through a real NAT: the customer gateway sits behind a namespace that masquerades with
# nftables (source port randomized), so Gatehouse sees it as 203.0.113.2:<random port>. The
# tunnel must come up with UDP-encapsulated ESP (RFC 3948) and carry traffic both ways, with
# Gatehouse as responder (a customer gateway behind NAT initiates, G:573).
#
#   cgwhost -- cgw 192.0.2.2 -- 192.0.2.1 nat 203.0.113.2 -- 198.51.100.1 gw -- vpchost
#              (strongSwan)        (nft masquerade)          (Gatehouse engine)
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/s2s_lib.bash"

S2S_NAT=1
s2s_topology
gh_start "$(s2s_gh_conf)"
SS_START=start s2s_cgw_up
ss_wait_child cgw tun1 30 || fail "tunnel through NAT not established"
gh_wait_up 1 10
raw=$(ss_raw)
echo "$raw" | grep -q 'nat-local=yes' || fail "strongSwan did not detect its own NAT: $raw"
echo "$raw" | grep -q 'encap=yes' || fail "ESP not UDP-encapsulated: $raw"
grep -q 'UDP-encapsulated' "$GH_TMP/gatehoused.log" || fail "our CHILD SA is not UDP-encapsulated"
pass "NAT-T: IKE floated to 4500 through the masquerading NAT, ESP in UDP"
s2s_traffic_both_ways "NAT-T"
s2s_finish
