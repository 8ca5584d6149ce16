#!/usr/bin/env bash
# Rekeys while a TCP transfer runs (RFC 7296 2.8, make before break on our side):
#   A. the customer gateway rekeys with short lifetimes (strongSwan CHILD rekey_time 3 s, IKE
#      rekey_time 5 s) during a slow ~10 s transfer;
#   B. Gatehouse starts the rekeys (CHILD SA, then IKE SA; operator trigger through engine_run's
#      SIGUSR1/SIGUSR2, as the AWS lifetimes cannot go below 900 s) during another transfer.
# Each transfer must arrive complete (SHA-256), the SAs must really change, the tunnel stay UP.
#
#   cgwhost 172.16.1.10 -- cgw 192.0.2.2 ====== 198.51.100.1 gw -- 10.0.1.10 vpchost
#                          (strongSwan)   UDP 4500   (Gatehouse engine)
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/s2s_lib.bash"

ike_spi() { ss_raw | grep -o 'responder-spi=[0-9a-f]*' | head -1; }
child_spi() { ss_raw | grep -o 'spi-in=[0-9a-f]*' | tail -1; }
changed() { [ "$($1)" != "$2" ] && [ -n "$($1)" ]; }

s2s_topology
gh_start "$(s2s_gh_conf)"
SS_START=start SS_IKE=aes128-sha256-modp2048 SS_ESP=aes128-sha256-modp2048 \
	SS_REKEY_CHILD=3s SS_LIFE_CHILD=8s SS_REKEY_IKE=5s s2s_cgw_up
ss_wait_child cgw tun1 30 || fail "tunnel not established"
gh_wait_up 1 10
ike0=$(ike_spi)
child0=$(child_spi)
n0=$(grep -c 'CHILD SA installed.*(rekey)' "$GH_TMP/gatehoused.log")
tcp_xfer_slow_start cgwhost vpchost $S2S_VPCHOST 12000000
tcp_xfer_slow_wait || fail "A: transfer during customer-gateway rekeys incomplete or corrupted"
n1=$(grep -c 'CHILD SA installed.*(rekey)' "$GH_TMP/gatehoused.log")
[ "$n1" -gt "$n0" ] || fail "A: no CHILD SA rekey reached the data plane"
changed ike_spi "$ike0" || fail "A: the IKE SA was not rekeyed ($ike0)"
changed child_spi "$child0" || fail "A: the CHILD SA was not rekeyed ($child0)"
gh_status_is 1 UP || fail "A: tunnel not UP after rekeys"
pass "A: $((n1 - n0)) CHILD SA rekeys and IKE SA rekeys by the customer gateway during a 12 MB transfer (checksum OK)"

# B: long lifetimes on the customer gateway, rekeys from our side.
SS_START=none SS_IKE=aes128-sha256-modp2048 SS_ESP=aes128-sha256-modp2048 s2s_swanctl_cgw
ss_load cgw
swanctl_ns cgw --terminate --ike aws-tun1 >/dev/null 2>&1
swanctl_ns cgw --initiate --child tun1 --timeout 30 >/dev/null 2>&1 || fail "B: re-establish"
gh_wait_up 1 10
ike0=$(ike_spi)
child0=$(child_spi)
tcp_xfer_slow_start vpchost cgwhost $S2S_CGWHOST 12000000
sleep 2
gh_signal USR1
wait_for 10 changed child_spi "$child0" || fail "B: our CHILD SA rekey did not happen"
child1=$(child_spi)
gh_signal USR2
wait_for 10 changed ike_spi "$ike0" || fail "B: our IKE SA rekey did not happen"
tcp_xfer_slow_wait || fail "B: transfer during our rekeys incomplete or corrupted"
[ "$(child_spi)" = "$child1" ] || note "CHILD SA changed again (IKE rekey does not move it)"
gh_status_is 1 UP || fail "B: tunnel not UP after our rekeys"
pass "B: CHILD SA and IKE SA rekeys started by Gatehouse during a 12 MB transfer (checksum OK)"
s2s_finish
