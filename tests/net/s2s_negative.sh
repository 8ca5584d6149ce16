#!/usr/bin/env bash
# Failures a customer gateway can cause, with the guide's log lines (site-to-site.md 7.1):
#   - wrong pre-shared key: strongSwan receives AUTHENTICATION_FAILED; our log says
#     "AWS tunnel is sending AUTHENTICATION_FAILED as the response" and
#     "AWS tunnel detected a pre-shared key mismatch with cgw: 192.0.2.2";
#   - 3DES only (not allowed, G:5293): strongSwan receives NO_PROPOSAL_CHOSEN; our log says
#     "No Proposal Match Found by AWS".
# The tunnel must stay DOWN in both cases.
#
#   cgwhost -- cgw 192.0.2.2 (strongSwan) ====== 198.51.100.1 gw (Gatehouse engine) -- vpchost
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/s2s_lib.bash"

# swanctl --initiate streams charon's log of the attempt (the file log is buffered).
initiate_fails() { # OUTFILE
	! swanctl_ns cgw --initiate --child tun1 --timeout 15 >"$1" 2>&1
}

s2s_topology
gh_start "$(s2s_gh_conf)"
SS_START=none SS_PSK1=wrong_psk_12345 s2s_cgw_up
initiate_fails "$GH_TMP/psk.out" || fail "wrong PSK: the tunnel came up"
grep -q 'received AUTHENTICATION_FAILED notify error' "$GH_TMP/psk.out" ||
	fail "wrong PSK: strongSwan did not receive AUTHENTICATION_FAILED"
wait_for 5 gh_log_has "AWS tunnel is sending AUTHENTICATION_FAILED as the response" ||
	fail "wrong PSK: no 'sending AUTHENTICATION_FAILED' log line"
gh_log_has "AWS tunnel detected a pre-shared key mismatch with cgw: $S2S_CGW_WAN" ||
	fail "wrong PSK: no 'pre-shared key mismatch with cgw' log line"
gh_status_is 1 DOWN || fail "wrong PSK: tunnel not DOWN"
pass "wrong PSK: AUTHENTICATION_FAILED sent, guide's log lines written, tunnel DOWN"

swanctl_ns cgw --terminate --ike aws-tun1 >/dev/null 2>&1
SS_START=none SS_IKE=3des-sha1-modp2048 SS_ESP=3des-sha1 s2s_swanctl_cgw
ss_load cgw
initiate_fails "$GH_TMP/3des.out" || fail "3DES: the tunnel came up"
grep -q 'received NO_PROPOSAL_CHOSEN notify error' "$GH_TMP/3des.out" ||
	fail "3DES: strongSwan did not receive NO_PROPOSAL_CHOSEN"
wait_for 5 gh_log_has "No Proposal Match Found by AWS" || fail "3DES: no 'No Proposal Match Found by AWS' log line"
gh_status_is 1 DOWN || fail "3DES: tunnel not DOWN"
pass "3DES only: NO_PROPOSAL_CHOSEN sent, 'No Proposal Match Found by AWS' logged, tunnel DOWN"
s2s_finish
