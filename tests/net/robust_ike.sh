#!/usr/bin/env bash
# robust_ike.sh - replay truncated, bit-flipped and corrupted copies of REAL captured packets at
# the Gatehouse IKEv2 engine (tests/tools/ike_peer under ASan+UBSan+LSan) while a real tunnel
# with strongSwan 5.9.8 (charon + kernel-libipsec) stays up (robustness.md 3.1-3.3, 3.5).
#
#   ns "gw"  (Gatehouse, "AWS" side)           ns "cgw" (strongSwan, customer gateway)
#   ike_peer 192.0.2.1  ----- veth -----  192.0.2.2  charon (kernel-libipsec: forces NAT-T)
#   tcpdump on gw eth0 (capture)                     robust_replay.py (storm + AF_PACKET sniffer)
#
# 1. capture: IKE_SA_INIT (500), IKE_AUTH / CREATE_CHILD_SA / INFORMATIONAL (4500, non-ESP
#    marker), NAT keepalives and ESP-in-UDP (pings from cgw into the tunnel).
# 2. storm (robust_replay.py ike-storm): unauthenticated IKE_SA_INIT mutations (answers checked
#    one by one), exact replays of the peer's requests, mutated SK messages, ESP and keepalives.
# 3. assertions: ike_peer alive; the same IKE SA ESTABLISHED and the CHILD SA INSTALLED; rekeys
#    from both sides still work; RFC 7296 answers (below); SIGTERM -> exit 0, no sanitizer report.
#
# Known-bug checks do not stop the run: they are collected and make the test fail at the end.
. "$(dirname "$0")/lib.sh"

BUILD_DIR=${GH_BUILD:-build-san}
IKE_PEER=${GH_IKE_PEER:-$GH_ROOT/$BUILD_DIR/tools/ike_peer}
REPLAY=$GH_ROOT/tests/net/robust_replay.py
CORPUS=$GH_ROOT/tests/net/robust_corpus
[ -x "$IKE_PEER" ] || fail "ike_peer not built ($IKE_PEER; make SAN=1 tests)"
command -v tcpdump >/dev/null || fail "tcpdump missing (scripts/deps.sh)"

GW=192.0.2.1
CGW=192.0.2.2
PSK=Gatehouse.robust_psk_1
BUGS=()
bug() { echo "FAIL (bug, continuing): $*"; BUGS+=("$*"); }

ns_add gw
ns_add cgw
link_add gw eth0 $GW/24 cgw eth0 $CGW/24
ss_start cgw

PEER_OUT=$GH_TMP/peer.out
PEER_ERR=$GH_TMP/peer.err
# ASan/UBSan/LSan: report, never abort silently; LSan runs at exit
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:exitcode=99}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=0}
ip netns exec "$(ns_name gw)" "$IKE_PEER" --local $GW --remote $CGW --psk "$PSK" \
	--dpd-timeout 300 >"$PEER_OUT" 2>"$PEER_ERR" &
PEER_PID=$!
GH_PIDS+=("$PEER_PID")
wait_for 10 grep -q READY "$PEER_OUT" || fail "ike_peer did not start: $(cat "$PEER_ERR")"

cat >"$(ss_dir cgw)/swanctl.conf" <<CONF
connections {
  aws {
    version = 2
    local_addrs = $CGW
    remote_addrs = $GW
    proposals = aes256-sha256-modp2048
    dpd_delay = 0s
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
        esp_proposals = aes128-sha256-modp2048
        start_action = none
        close_action = none
      }
    }
  }
}
secrets {
  ike-aws {
    id-1 = $GW
    secret = "$PSK"
  }
}
CONF
ss_load cgw

ss_sas() { swanctl_ns cgw --list-sas 2>/dev/null; }
ike_spis() { ss_sas | grep -o '[0-9a-f]\{16\}_i\*\? *[0-9a-f]\{16\}_r\*\?' | head -1; }
child_spis() { ss_sas | grep -A4 'tun1:' | grep -o 'in  *[0-9a-f]\{8\}' | awk '{print $2}' | sort | tr '\n' ' '; }
ss_one_child() { [ "$(ss_sas | grep -c 'tun1:')" = 1 ] && ss_child_installed cgw tun1; }

# --- 1. capture a real exchange -----------------------------------------------------------------
PCAP=$GH_TMP/capture.pcap
# not through nsx (a function whose subshell would run the EXIT trap on SIGINT)
ip netns exec "$(ns_name gw)" tcpdump -i eth0 --immediate-mode -U -s 0 -w "$PCAP" udp >"$GH_TMP/tcpdump.log" 2>&1 &
TCPDUMP_PID=$!
GH_PIDS+=("$TCPDUMP_PID")
wait_for 5 grep -q "listening on" "$GH_TMP/tcpdump.log" || fail "tcpdump did not start"

swanctl_ns cgw --initiate --child tun1 --timeout 30 >"$GH_TMP/init.out" 2>&1 ||
	fail "initiate failed: $(tail -5 "$GH_TMP/init.out"; tail -20 "$PEER_ERR")"
wait_for 10 ss_one_child || fail "not INSTALLED: $(ss_sas)"
# ESP-in-UDP: kernel-libipsec encrypts anything routed into ipsec0 (TS 0/0); 10.99.0.1 exists
# nowhere, the packets end at our NAT-T socket (ike_peer has no data plane) and are dropped
nsx cgw ping -c 4 -i 0.2 -W 1 10.99.0.1 >/dev/null 2>&1
# CREATE_CHILD_SA (+ the INFORMATIONAL DELETE of the old CHILD SA)
swanctl_ns cgw --rekey --child tun1 >/dev/null 2>&1 || fail "capture: CHILD rekey failed"
wait_for 15 ss_one_child || fail "capture: CHILD rekey: $(ss_sas)"
nsx cgw ping -c 2 -i 0.2 -W 1 10.99.0.1 >/dev/null 2>&1
sleep 1
kill -INT "$TCPDUMP_PID"
wait "$TCPDUMP_PID" 2>/dev/null

LIVE=$GH_TMP/live
python3 "$REPLAY" extract "$PCAP" "$LIVE" $GW >"$GH_TMP/extract.out" ||
	fail "cannot split the capture"
note "captured: $(cat "$GH_TMP/extract.out")"
for k in c2g-ike_sa_init-req g2c-ike_sa_init-resp c2g-ike_auth-req g2c-ike_auth-resp \
	c2g-create_child_sa-req g2c-create_child_sa-resp c2g-informational-req c2g-esp; do
	ls "$LIVE" | grep -q -- "-$k.bin" || fail "capture lacks $k: $(cat "$GH_TMP/extract.out")"
done
# NAT keepalives (RFC 3948 4) come only from a side that is behind a NAT: with forced encap on a
# flat veth neither side is, so none may be captured; the storm sends the 1-octet 0xff anyway.
ls "$LIVE" | grep -q -- "-keepalive.bin" || note "no NAT keepalive on the wire (no real NAT here)"
pass "captured real IKE_SA_INIT, IKE_AUTH, CREATE_CHILD_SA, INFORMATIONAL, ESP-in-UDP ($(ls "$LIVE"/*.bin | wc -l) datagrams)"
# refresh the committed corpus with GH_ROBUST_SAVE_CORPUS=1 (real bytes, a few KB)
if [ -n "${GH_ROBUST_SAVE_CORPUS:-}" ]; then
	mkdir -p "$CORPUS"
	cp "$LIVE"/*.bin "$LIVE/index.json" "$CORPUS/"
fi

# --- 2. the storm -------------------------------------------------------------------------------
IKE_BEFORE=$(ike_spis)
CHILD_BEFORE=$(child_spis)
DOWNS_BEFORE=$(grep -c 'CHILD_SA_DOWN\|TUNNEL DOWN' "$PEER_OUT")
REPORT=$GH_TMP/storm.json
nsx cgw python3 "$REPLAY" ike-storm --target $GW --live "$LIVE" --corpus "$CORPUS" \
	--iface eth0 --seed "${GH_ROBUST_SEED:-7296}" --max-seconds 50 >"$REPORT" 2>"$GH_TMP/storm.err" ||
	fail "replayer failed: $(tail -5 "$GH_TMP/storm.err")"
jq_() { python3 -c "import json,sys; r=json.load(open('$REPORT')); print($1)"; }
note "storm: $(jq_ 'r["sa_init_sent"]') IKE_SA_INIT mutations, $(jq_ 'r["sk_storm_sent"]') SK-message mutations, ESP $(jq_ 'r["esp_sent"]') in $(jq_ 'r["elapsed_s"]') s"
note "IKE_SA_INIT answers by mutation class: $(jq_ 'json.dumps(r["sa_init_answers"], sort_keys=True)')"

# --- 3. assertions ------------------------------------------------------------------------------
kill -0 "$PEER_PID" 2>/dev/null || fail "ike_peer died during the storm: $(tail -30 "$PEER_ERR")"
pass "ike_peer (ASan+UBSan) alive after the storm"

wait_for 5 ss_one_child || fail "CHILD SA not INSTALLED after the storm: $(ss_sas)"
[ "$(ike_spis)" = "$IKE_BEFORE" ] || fail "IKE SA changed: $IKE_BEFORE -> $(ike_spis)"
ss_sas | grep -q ESTABLISHED || fail "IKE SA not ESTABLISHED: $(ss_sas)"
[ "$(child_spis)" = "$CHILD_BEFORE" ] || fail "CHILD SA changed: $CHILD_BEFORE -> $(child_spis)"
[ "$(grep -c 'CHILD_SA_DOWN\|TUNNEL DOWN' "$PEER_OUT")" = "$DOWNS_BEFORE" ] ||
	fail "ike_peer lost SAs during the storm: $(cat "$PEER_OUT")"
pass "same IKE SA ESTABLISHED ($IKE_BEFORE), CHILD SA INSTALLED after the storm"

# RFC 7296 2.21.1 / 3.1 / 2.5: an IKE_SA_INIT request may get a response, INVALID_SYNTAX,
# NO_PROPOSAL_CHOSEN, INVALID_KE_PAYLOAD, COOKIE or INVALID_MAJOR_VERSION, or nothing; never
# an answer to a message flagged as a response or whose length field is wrong (checked per
# packet by the replayer).
probs=$(jq_ '"\n".join(r["problems"])')
[ -z "$probs" ] || bug "protocol answers: $probs"
[ -z "$probs" ] && pass "every answer to $(jq_ 'r["sa_init_sent"]') mutated IKE_SA_INIT requests is well-formed and allowed (none to responses or bad lengths)"
# CVE-2013-6467: an IKE_SA_INIT without SA / KE / Ni -> INVALID_SYNTAX
for p in 33 34 40; do
	got=$(jq_ "r.get('sa_init_expect', {}).get('remove_pld$p', 'not sent')")
	[ "$got" = INVALID_SYNTAX ] || bug "IKE_SA_INIT without payload $p: expected INVALID_SYNTAX, got $got"
done
pass "IKE_SA_INIT without SA / KE / Ni -> INVALID_SYNTAX"
# RFC 7296 2.5: an unknown major version -> INVALID_MAJOR_VERSION (rate-limited, so some copies
# may get nothing, but never another answer)
got=$(jq_ "sorted(set(l for k, v in r['sa_init_answers'].items() if k.startswith('version=') and k[8] != '2' for l in v))")
[ "$got" = "['INVALID_MAJOR_VERSION']" ] || [ "$got" = "['INVALID_MAJOR_VERSION', 'none']" ] ||
	bug "major versions 1, 3, 15: expected INVALID_MAJOR_VERSION, got $got"
case $got in *INVALID_MAJOR_VERSION*) pass "major versions 1, 3, 15 -> INVALID_MAJOR_VERSION" ;; esac
# RFC 7296 2.6: past IKE_COOKIE_THRESHOLD_DEFAULT (10) half-open SAs a COOKIE is demanded, so
# unauthenticated junk allocates bounded state
full=$(jq_ "sum(v.get('SA', 0) for v in r['sa_init_answers'].values())")
cookies=$(jq_ "sum(v.get('COOKIE', 0) for v in r['sa_init_answers'].values())")
if [ "$full" -le 10 ] && [ "$cookies" -gt 0 ]; then
	pass "half-open state bounded: $full full IKE_SA_INIT responses, then $cookies COOKIE demands"
else
	bug "half-open state: $full full responses (want <= 10), $cookies COOKIE demands (want > 0)"
fi
# The original IKE_SA_INIT again: its SPIi belongs to the established SA -> silent drop
got=$(jq_ 'r["sa_init_exact_replay"]')
[ "$got" = none ] || bug "replayed IKE_SA_INIT of the live SA answered with $got"
[ "$got" = none ] && pass "replayed IKE_SA_INIT of the established SA: silent drop"

# RFC 7296 2.1: the peer's latest request again -> the cached response, byte for byte; older
# requests (outside the window) -> silent drop
got=$(jq_ 'r["exact_replay_cached_identical"]') other=$(jq_ 'r["exact_replay_other"]')
if [ "$got" -ge 1 ] && [ "$other" = 0 ]; then
	pass "exact replays: latest request ($(jq_ 'r["latest_request"]')) -> identical cached response ($got x), older requests -> silent drop"
else
	bug "exact replays: $got identical cached responses, $other other answers (want >= 1 and 0)"
fi
# RFC 7296 2.21.2 / 3.14: a message that fails the integrity check is dropped silently;
# robustness.md 23: the same message ID with different content is ignored (no retransmission)
got=$(jq_ 'r["sk_storm_cached_retransmits"]') other=$(jq_ 'r["sk_storm_other_answers"]')
[ "$other" = 0 ] || bug "$other answers to mutated SK-protected messages"
[ "$other" = 0 ] && pass "$(jq_ 'r["sk_storm_sent"]') mutated SK-protected messages (truncated, bit-flipped, corrupted headers): no answer"
one=$(jq_ 'r["icv_flipped_latest_answers"]')
[ "$one" = 0 ] || bug "the latest request ($(jq_ 'r["latest_request"]')) with its last ICV octet flipped was answered with the cached response (RFC 7296 2.21.2 / robustness.md 23: drop)"
[ "$got" = 0 ] || bug "corrupted copies of the latest request (same message ID, failing the ICV) made us retransmit the cached response $got times (robustness.md 23: ignore)"
[ "$got" = 0 ] && [ "$one" = 0 ] && pass "corrupted copies of the latest request: no retransmission"

# a rekey still works after the storm, from both sides
before=$(child_spis)
swanctl_ns cgw --rekey --child tun1 >/dev/null 2>&1 || fail "strongSwan CHILD rekey after the storm failed"
child_changed() { ss_one_child && [ "$(child_spis)" != "$before" ]; }
wait_for 15 child_changed || fail "strongSwan CHILD rekey after the storm: $(ss_sas)"
pass "strongSwan-initiated CHILD rekey after the storm: $before-> $(child_spis)"
before=$(child_spis)
kill -USR1 "$PEER_PID"
wait_for 15 child_changed || fail "Gatehouse CHILD rekey after the storm: $(ss_sas)"
pass "Gatehouse-initiated CHILD rekey after the storm: $before-> $(child_spis)"
before=$(ike_spis)
kill -USR2 "$PEER_PID"
ike_replaced() { ss_sas | grep -q ESTABLISHED && ! ss_sas | grep -qF "$before"; }
wait_for 15 ike_replaced || fail "Gatehouse IKE rekey after the storm: $(ss_sas)"
ss_child_installed cgw tun1 || fail "IKE rekey after the storm: CHILD lost"
pass "Gatehouse-initiated IKE rekey after the storm: $before -> $(ike_spis)"

# SIGTERM: clean exit, no sanitizer report (LeakSanitizer runs at exit)
kill -TERM "$PEER_PID"
rc=0
wait "$PEER_PID" || rc=$?
san=$(grep -E "ERROR: AddressSanitizer|LeakSanitizer|runtime error" "$PEER_ERR" | head -5)
[ -z "$san" ] || bug "sanitizer report from ike_peer: $san"
[ "$rc" = 0 ] || bug "ike_peer exit status $rc after SIGTERM"
[ -z "$san" ] && [ "$rc" = 0 ] && pass "ike_peer: SIGTERM -> exit 0, no ASan/UBSan/LSan report"

if [ ${#BUGS[@]} -gt 0 ]; then
	printf 'KNOWN-BUG: %s\n' "${BUGS[@]}"
	fail "robust_ike: ${#BUGS[@]} check(s) failed"
fi
echo "robust_ike: $GH_PASSES passed"
