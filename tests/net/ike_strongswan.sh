#!/usr/bin/env bash
# ike_strongswan.sh - the Gatehouse IKEv2 engine (tests/tools/ike_peer) against real strongSwan
# 5.9.8 (charon + kernel-libipsec, driven by swanctl), IKE level only (no traffic: the data
# plane is integrated by the engine).
#
#   ns "gw"  (Gatehouse, "AWS" side)          ns "cgw" (strongSwan, customer gateway)
#   ike_peer 192.0.2.1  ---- veth ----  192.0.2.2  charon (kernel-libipsec: forces NAT-T)
#
# Scenarios: strongSwan initiates (per phase-1 encryption / integrity / DH group); the CHILD SA
# is INSTALLED and IKE floated to 4500 (strongSwan always claims NAT); wrong PSK ->
# AUTHENTICATION_FAILED + our log line; 3DES-only -> NO_PROPOSAL_CHOSEN + our log line; CHILD and
# IKE rekeys started by strongSwan and by us; Gatehouse as initiator.
. "$(dirname "$0")/lib.sh"

IKE_PEER=${IKE_PEER:-}
for c in "$GH_ROOT/build-san/tools/ike_peer" "$GH_ROOT/build-ike/tools/ike_peer" "$GH_ROOT/build/tools/ike_peer"; do
	[ -n "$IKE_PEER" ] || { [ -x "$c" ] && IKE_PEER=$c; }
done
[ -x "$IKE_PEER" ] || fail "ike_peer not built (make SAN=1 tests)"

GW=192.0.2.1
CGW=192.0.2.2
PSK=Gatehouse.test_psk_1

ns_add gw
ns_add cgw
link_add gw eth0 $GW/24 cgw eth0 $CGW/24
ss_start cgw

PEER_OUT=$GH_TMP/peer.out
PEER_ERR=$GH_TMP/peer.err
PEER_PID=

peer_start() { # extra ike_peer args
	peer_stop
	: >"$PEER_OUT"
	: >"$PEER_ERR"
	ip netns exec "$(ns_name gw)" "$IKE_PEER" --local $GW --remote $CGW --psk "$PSK" "$@" >"$PEER_OUT" 2>"$PEER_ERR" &
	PEER_PID=$!
	GH_PIDS+=("$PEER_PID")
	wait_for 10 grep -q READY "$PEER_OUT" || fail "ike_peer did not start: $(cat "$PEER_ERR")"
}

peer_stop() {
	if [ -n "$PEER_PID" ]; then
		kill "$PEER_PID" 2>/dev/null
		wait "$PEER_PID" 2>/dev/null
		PEER_PID=
	fi
}

ss_conf() { # IKE-PROPOSALS ESP-PROPOSALS PSK START-ACTION
	cat >"$(ss_dir cgw)/swanctl.conf" <<CONF
connections {
  aws {
    version = 2
    local_addrs = $CGW
    remote_addrs = $GW
    proposals = $1
    dpd_delay = 10s
    local {
      auth = psk
      id = $CGW
    }
    remote {
      auth = psk
      id = $GW
    }
    children {
      tun1 {
        local_ts = 0.0.0.0/0
        remote_ts = 0.0.0.0/0
        esp_proposals = $2
        start_action = $4
        close_action = none
      }
    }
  }
}
secrets {
  ike-aws {
    id-1 = $GW
    secret = "$3"
  }
}
CONF
	ss_load cgw
}

ss_sas() { swanctl_ns cgw --list-sas 2>/dev/null; }
ss_established() { ss_sas | grep -q ESTABLISHED && ss_child_installed cgw tun1; }
ss_terminate() {
	swanctl_ns cgw --terminate --ike aws --timeout 10 >/dev/null 2>&1
	wait_for 10 sh -c "! grep -q 'CHILD_SA_UP' '$PEER_OUT' || grep -q 'CHILD_SA_DOWN' '$PEER_OUT'"
}

# 1. strongSwan initiates, one run per phase-1 algorithm family member
check_alg() { # IKE-PROPOSAL ESP-PROPOSAL WANT-IN-LIST-SAS
	peer_start
	ss_conf "$1" "$2" "$PSK" none
	swanctl_ns cgw --initiate --child tun1 --timeout 30 >"$GH_TMP/init.out" 2>&1 ||
		fail "$1: initiate failed: $(tail -5 "$GH_TMP/init.out"; tail -20 "$PEER_ERR")"
	wait_for 10 ss_established || fail "$1: not ESTABLISHED/INSTALLED: $(ss_sas)"
	ss_sas | grep -q "$3" || fail "$1: expected $3 in: $(ss_sas)"
	# strongSwan + kernel-libipsec claims NAT: IKE moved to 4500, ESP encapsulated
	ss_sas | grep -q "$GW\[4500\]" || fail "$1: IKE did not float to 4500: $(ss_sas)"
	wait_for 5 grep -q "CHILD_SA_UP.*encap=1.*remote=$CGW:4500" "$PEER_OUT" ||
		fail "$1: ike_peer did not report the encapsulated CHILD SA: $(cat "$PEER_OUT")"
	pass "strongSwan-initiated $1 / $2: $(ss_sas | grep -o 'AES[^ ]*' | head -2 | tr '\n' ' ')"
	ss_terminate
	peer_stop
}

check_alg aes128-sha1-modp1024 aes128-sha1 "AES_CBC-128/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_1024"
check_alg aes256-sha256-modp2048 aes256-sha256-modp2048 "AES_CBC-256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048"
check_alg aes128-sha384-modp3072 aes128-sha384 "HMAC_SHA2_384_192/PRF_HMAC_SHA2_384/MODP_3072"
check_alg aes256-sha512-modp4096 aes256-sha512 "HMAC_SHA2_512_256/PRF_HMAC_SHA2_512/MODP_4096"
check_alg aes128gcm16-prfsha256-ecp256 aes128gcm16 "AES_GCM_16-128/PRF_HMAC_SHA2_256/ECP_256"
check_alg aes256gcm16-prfsha384-ecp384 aes256gcm16 "AES_GCM_16-256/PRF_HMAC_SHA2_384/ECP_384"
check_alg aes256-sha256-ecp521 aes256-sha256 "ECP_521"
check_alg aes128-sha256-modp2048s256 aes128-sha256 "MODP_2048_256"
# strongSwan's default proposals: KE for its first group, our lowest allowed one is 14 ->
# INVALID_KE_PAYLOAD, strongSwan retries with MODP_2048; AES128 and SHA1 are the lowest configured
check_alg default default "AES_CBC-128/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_2048"

# 2. wrong PSK -> AUTHENTICATION_FAILED and the guide's log lines
peer_start
ss_conf aes128-sha256-modp2048 aes128-sha256 "Wrong.key_999" none
swanctl_ns cgw --initiate --child tun1 --timeout 20 >"$GH_TMP/init.out" 2>&1 &&
	fail "wrong PSK: initiate succeeded"
wait_for 10 grep -q "AWS tunnel detected a pre-shared key mismatch with cgw: $CGW" "$PEER_ERR" ||
	fail "wrong PSK: no mismatch log line: $(tail -5 "$PEER_ERR")"
grep -q "AWS tunnel is sending AUTHENTICATION_FAILED as the response" "$PEER_ERR" ||
	fail "wrong PSK: no AUTHENTICATION_FAILED log line"
grep -q "received AUTHENTICATION_FAILED notify error" "$GH_TMP/init.out" ||
	fail "wrong PSK: strongSwan did not receive AUTHENTICATION_FAILED"
pass "wrong PSK: AUTHENTICATION_FAILED + \"$(grep -o 'AWS tunnel detected[^"]*' "$PEER_ERR" | head -1)\""
peer_stop

# 3. 3DES only -> NO_PROPOSAL_CHOSEN and the guide's log line
peer_start
ss_conf 3des-sha1-modp2048 aes128-sha1 "$PSK" none
swanctl_ns cgw --initiate --child tun1 --timeout 20 >"$GH_TMP/init.out" 2>&1 &&
	fail "3DES: initiate succeeded"
wait_for 10 grep -q "No Proposal Match Found by AWS" "$PEER_ERR" || fail "3DES: no log line"
grep -q "received NO_PROPOSAL_CHOSEN notify error" "$GH_TMP/init.out" ||
	fail "3DES: strongSwan did not receive NO_PROPOSAL_CHOSEN"
pass "3DES-only: NO_PROPOSAL_CHOSEN + \"No Proposal Match Found by AWS\""
peer_stop

# 4. rekeys: strongSwan-initiated CHILD and IKE rekeys, then ours (SIGUSR1 / SIGUSR2)
child_spis() { ss_sas | grep -A4 'tun1:' | grep -o 'in  *[0-9a-f]\{8\}' | awk '{print $2}' | sort | tr '\n' ' '; }
ike_spis() { ss_sas | grep -o '[0-9a-f]\{16\}_i\*\? *[0-9a-f]\{16\}_r\*\?' | head -1; }
count_ups() { grep -c CHILD_SA_UP "$PEER_OUT"; }
ss_one_child() { [ "$(ss_sas | grep -c 'tun1:')" = 1 ] && ss_child_installed cgw tun1; }
more_ups() { [ "$(count_ups)" -gt "$ups" ]; }
ike_replaced() { ss_sas | grep -q ESTABLISHED && ! ss_sas | grep -qF "$before"; }

peer_start
ss_conf aes256-sha256-modp2048 aes256-sha256-modp2048 "$PSK" none
swanctl_ns cgw --initiate --child tun1 --timeout 30 >/dev/null 2>&1 || fail "rekey: initiate failed"
wait_for 10 ss_established || fail "rekey: not established"

before=$(child_spis) ups=$(count_ups)
swanctl_ns cgw --rekey --child tun1 >/dev/null 2>&1 || fail "strongSwan CHILD rekey command failed"
wait_for 15 more_ups || fail "CHILD rekey (strongSwan): no new SA at our side"
wait_for 15 ss_one_child || fail "CHILD rekey (strongSwan): $(ss_sas)"
[ "$(child_spis)" != "$before" ] || fail "CHILD rekey (strongSwan): SPIs unchanged"
pass "strongSwan-initiated CHILD rekey: $before-> $(child_spis)"

before=$(ike_spis)
swanctl_ns cgw --rekey --ike aws >/dev/null 2>&1 || fail "strongSwan IKE rekey command failed"
wait_for 15 ike_replaced ||
	fail "IKE rekey (strongSwan): $(ss_sas)"
ss_child_installed cgw tun1 || fail "IKE rekey (strongSwan): CHILD lost"
pass "strongSwan-initiated IKE rekey: $before -> $(ike_spis)"

before=$(child_spis) ups=$(count_ups)
kill -USR1 "$PEER_PID"
wait_for 15 more_ups || fail "our CHILD rekey: no new SA: $(cat "$PEER_OUT")"
wait_for 15 ss_one_child || fail "our CHILD rekey: $(ss_sas)"
[ "$(child_spis)" != "$before" ] || fail "our CHILD rekey: SPIs unchanged"
grep -q "AWS tunnel is sending request (id=[0-9]*) for CREATE_CHILD_SA" "$PEER_ERR" || fail "our CHILD rekey: no log line"
pass "Gatehouse-initiated CHILD rekey (PFS): $before-> $(child_spis)"

before=$(ike_spis)
kill -USR2 "$PEER_PID"
wait_for 15 ike_replaced ||
	fail "our IKE rekey: $(ss_sas)"
ss_child_installed cgw tun1 || fail "our IKE rekey: CHILD lost"
pass "Gatehouse-initiated IKE rekey: $before -> $(ike_spis)"

# strongSwan deletes the IKE SA: we log the guide's line
swanctl_ns cgw --terminate --ike aws --timeout 10 >/dev/null 2>&1
wait_for 10 grep -q "AWS tunnel received DELETE for IKE_SA from CGW" "$PEER_ERR" || fail "delete: no log line"
pass "DELETE from strongSwan: \"AWS tunnel received DELETE for IKE_SA from CGW\""
peer_stop

# 5. Gatehouse initiates (startup action Start); strongSwan responds
ss_conf aes128-sha256-modp2048 aes128-sha256-modp2048 "$PSK" none
peer_start --start
wait_for 20 ss_established || fail "Gatehouse initiator: $(ss_sas; tail -20 "$PEER_ERR")"
ss_sas | grep -q "$GW\[4500\]" || fail "Gatehouse initiator: IKE not on 4500: $(ss_sas)"
wait_for 5 grep -q "TUNNEL UP" "$PEER_OUT" || fail "Gatehouse initiator: no TUNNEL UP"
note "$(ss_sas)"
pass "Gatehouse-initiated tunnel: $(ss_sas | grep -o 'AES[^ ]*' | head -2 | tr '\n' ' ')"
peer_stop

# 6. lifetimes: the AWS side rekeys on its own timers (lifetime - margin - random fuzz). Short
# values here (the API enforces 900 s and more; ike_peer does not).
ss_terminate
peer_start --p1-life 30 --p2-life 20 --margin 6 --fuzz 50
swanctl_ns cgw --initiate --child tun1 --timeout 30 >/dev/null 2>&1 || fail "lifetimes: initiate failed"
wait_for 10 ss_established || fail "lifetimes: not established"
before=$(ike_spis)
child_rekeyed_by_timer() { grep -q "CHILD_SA_UP.*rekey=1" "$PEER_OUT"; }
wait_for 40 child_rekeyed_by_timer || fail "lifetimes: no CHILD rekey: $(cat "$PEER_OUT")"
wait_for 40 ike_replaced || fail "lifetimes: no IKE rekey: $(ss_sas)"
wait_for 15 ss_one_child || fail "lifetimes: $(ss_sas)"
pass "timer-driven CHILD and IKE rekeys: IKE $before -> $(ike_spis)"
peer_stop
ss_terminate

# 7. DPD: the customer gateway goes silent; after the DPD timeout we clear the tunnel
peer_start --dpd-timeout 15 --dpd-action clear
swanctl_ns cgw --initiate --child tun1 --timeout 30 >/dev/null 2>&1 || fail "dpd: initiate failed"
wait_for 10 ss_established || fail "dpd: not established"
ip -n "$(ns_name cgw)" link set eth0 down
tunnel_down() { grep -q "TUNNEL DOWN" "$PEER_OUT" && grep -q CHILD_SA_DOWN "$PEER_OUT"; }
wait_for 60 tunnel_down || fail "dpd: tunnel not cleared: $(cat "$PEER_OUT"; tail -5 "$PEER_ERR")"
grep -q "AWS tunnel DPD timed out after [0-9]* retransmits" "$PEER_ERR" || fail "dpd: no log line"
pass "DPD timeout (clear): \"$(grep -o 'AWS tunnel DPD timed out[^"]*' "$PEER_ERR" | head -1)\""
peer_stop

echo "ike_strongswan: $GH_PASSES passed"
