#!/usr/bin/env bash
# Client VPN: SessionTimeoutHours ends sessions (client-vpn.md B13, claim 44), as
# DisconnectOnSessionTimeout says: true (the default) disconnects (the stock client gets HALT
# and exits), false reconnects (RESTART: the client comes back by itself in a new connection).
# gatehoused runs with --session-hour-s 2, so the smallest choice, 8 hours, lasts 16 s.
# Changing SessionTimeoutHours does not reset connections (claim 16). Topology: cvpn_lib.bash's.
#
#   alice 192.0.2.2  --\                                              /-- 10.0.1.10 vpchost
#                       rtr -- 203.0.113.10 gw (gatehoused, dnsmasq) --
#   bob   192.0.2.66 --/      udp/443 endpoint (alice): disconnect on timeout (default)
#                             tcp/1194 endpoint (bob): --no-disconnect-on-session-timeout
#
# DisconnectOnSessionTimeout is newer than the AWS CLI v2 2.9.19 here; it is set with the AWS
# CLI v1 (botocore 1.43) that the API tests use.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/s2s_lib.bash"
. "$(dirname "$0")/cvpn_lib.bash"

AWS1=${AWS_CLI_V1:-$(command -v aws)}
[ -n "$AWS1" ] && "$AWS1" --version 2>&1 | grep -q '^aws-cli/1\.' ||
	fail "no AWS CLI v1 on PATH (found '${AWS1:-none}')"
RESET_MSG="Connection reset command was pushed by server"

cvpn_pki
cvpn_topology
cvpn_dns_start
GH_DAEMON_FLAGS="--session-hour-s 2"
cvpn_daemon_start timeout
cvpn_acm_vpc
cvpn_endpoint 172.16.0.0/22 --session-timeout-hours 8
EP_HALT=$EID
cvpn_endpoint 172.16.4.0/22 --transport-protocol tcp --vpn-port 1194 --session-timeout-hours 8
EP_RESTART=$EID
AWS=$AWS1 aws_gw modify-client-vpn-endpoint --client-vpn-endpoint-id "$EP_RESTART" \
	--no-disconnect-on-session-timeout >/dev/null || fail "modify --no-disconnect-on-session-timeout (CLI v1)"
dost() { # EID -> DisconnectOnSessionTimeout as described (CLI v1)
	AWS=$AWS1 aws_gw describe-client-vpn-endpoints --client-vpn-endpoint-ids "$1" \
		--query 'ClientVpnEndpoints[0].DisconnectOnSessionTimeout' --output text
}
[ "$(dost "$EP_HALT")" = True ] && [ "$(dost "$EP_RESTART")" = False ] ||
	fail "DisconnectOnSessionTimeout: $EP_HALT $(dost "$EP_HALT"), $EP_RESTART $(dost "$EP_RESTART")"
pass "$EP_HALT (udp, disconnect on timeout) and $EP_RESTART (tcp, reconnect on timeout), SessionTimeoutHours 8 (= 16 s here)"

cvpn_profile "$EP_HALT" alice
cvpn_client_start alice "$PROFILE"
cvpn_profile "$EP_RESTART" bob
cvpn_client_start bob "$PROFILE"
cvpn_wait_up alice 1
cvpn_wait_up bob 1
wait_for 10 cvpn_has_active "$EP_HALT" alice && wait_for 10 cvpn_has_active "$EP_RESTART" bob ||
	fail "not both active: $(cvpn_conns "$EP_HALT") / $(cvpn_conns "$EP_RESTART")"
ID_A=$(cvpn_active_ids "$EP_HALT" alice)
ID_B=$(cvpn_active_ids "$EP_RESTART" bob)

# Claim 16: a new session timeout applies without resetting anyone.
aws_gw modify-client-vpn-endpoint --client-vpn-endpoint-id "$EP_HALT" --session-timeout-hours 10 \
	>/dev/null || fail "modify --session-timeout-hours 10"
ping_ok alice $CVPN_HOST || fail "alice: ping after modify --session-timeout-hours"
[ "$(cvpn_active_ids "$EP_HALT" alice)" = "$ID_A" ] && [ "$(count "$RESET_MSG" "$GH_TMP/alice.log")" = 0 ] ||
	fail "modify --session-timeout-hours reset alice: $(cvpn_conns "$EP_HALT")"
pass "modify --session-timeout-hours 10: alice's session $ID_A kept"

# The timeout, with no API call: alice is disconnected (HALT), bob reconnected (RESTART).
wait_for 90 sh -c "! kill -0 $(cvpn_client_pid alice) 2>/dev/null" ||
	fail "alice still connected long after the session timeout: $(cvpn_conns "$EP_HALT")"
grep -q "Halt command was pushed by server" "$GH_TMP/alice.log" ||
	fail "alice exited without HALT: $(tail -3 "$GH_TMP/alice.log")"
[ "$(count "$RESET_MSG" "$GH_TMP/alice.log")" = 0 ] || fail "alice got RESTART before the timeout"
wait_for 5 cvpn_conn_is "$EP_HALT" "$ID_A" terminated || fail "$ID_A not terminated: $(cvpn_conns "$EP_HALT")"
end=$(cvpn_conn_field "$EP_HALT" "$ID_A" 10)
[ -n "$end" ] && [ "$end" != None ] || fail "$ID_A has no ConnectionEndTime"
pass "session timeout, disconnect: alice got HALT and exited; $ID_A terminated at $end"

wait_for 90 sh -c "grep -q '$RESET_MSG' '$GH_TMP/bob.log'" ||
	fail "bob got no RESTART long after the session timeout: $(cvpn_conns "$EP_RESTART")"
cvpn_wait_up bob 2 60
cvpn_client_running bob || fail "bob exited instead of reconnecting"
new_b() { local i; i=$(cvpn_active_ids "$EP_RESTART" bob); [ -n "$i" ] && [ "$i" != "$ID_B" ]; }
wait_for 10 new_b || fail "no new active connection for bob: $(cvpn_conns "$EP_RESTART")"
wait_for 5 cvpn_conn_is "$EP_RESTART" "$ID_B" terminated || fail "$ID_B not terminated: $(cvpn_conns "$EP_RESTART")"
ping_ok bob $CVPN_HOST || fail "bob: ping after reconnecting"
pass "session timeout, reconnect: bob got RESTART, came back as $(cvpn_active_ids "$EP_RESTART" bob) ($ID_B terminated)"
cvpn_client_stop bob

cvpn_finish
