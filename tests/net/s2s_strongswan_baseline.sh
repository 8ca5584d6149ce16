#!/usr/bin/env bash
# Site-to-Site topology check with strongSwan on BOTH sides (no Gatehouse code involved): the
# customer gateway (charon + kernel-libipsec, AWS-style swanctl.conf, interop.md 3.2) initiates
# to a strongSwan mirror of the AWS side. Validates the namespaces, addressing, routing and
# traffic helpers that the Gatehouse scenarios (s2s_*.sh) and the benchmark reuse.
#
#   cgwhost 172.16.1.10 -- cgw 192.0.2.2 ====== 198.51.100.1 gw -- 10.0.1.10 vpchost
#                          (strongSwan)     UDP 4500     (strongSwan mirror)
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/s2s_lib.bash"

s2s_topology
s2s_ss_start gw $S2S_CGW_LAN
s2s_ss_start cgw $S2S_VPC
s2s_swanctl_gw_mirror
ss_load gw
SS_START=start s2s_swanctl_cgw
ss_load cgw
ss_wait_child cgw tun1 20 || fail "strongSwan <-> strongSwan: CHILD SA tun1 not installed"
sas=$(swanctl_ns cgw --list-sas --raw 2>&1)
echo "$sas" | grep -q 'encr-alg=AES_CBC encr-keysize=128 integ-alg=HMAC_SHA1_96 prf-alg=PRF_HMAC_SHA1 dh-group=MODP_1024' ||
	fail "IKE proposal not AES128/SHA1/group 2: $sas"
echo "$sas" | grep -q 'encap=yes' || fail "kernel-libipsec did not use UDP encapsulation: $sas"
pass "strongSwan <-> strongSwan: IKE SA and CHILD SA up (UDP-encapsulated)"
s2s_traffic_both_ways "strongSwan <-> strongSwan"
echo "all $GH_PASSES checks passed"
