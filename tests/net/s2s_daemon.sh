#!/usr/bin/env bash
# gatehoused itself with a configuration file (--config), against a real strongSwan customer
# gateway: -n reports every problem with file:line and exits non-zero, -nv prints the
# normalized file; the daemon brings the configured tunnel up (it initiates: startup-action
# start) and carries traffic; SIGHUP with a changed tunnel option restarts that tunnel and it
# comes back; SIGTERM stops cleanly (no sanitizer report).
#
#   cgwhost 172.16.1.10 -- cgw 192.0.2.2 ====== 198.51.100.1 gw -- 10.0.1.10 vpchost
#                          (strongSwan)            (gatehoused --config)
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/s2s_lib.bash"
GH_BIN=${GH_BIN:-$GH_ROOT/build-san/gatehoused}
[ -x "$GH_BIN" ] || fail "no gatehoused at $GH_BIN"

s2s_topology
bad=$GH_TMP/bad.conf
printf 'outside-address 198.51.100.1\nlog-level loud\ntunnel v 1 {\n\treplay-window-size 1\n}\n' >"$bad"
"$GH_BIN" -n --config "$bad" >"$GH_TMP/n.out" 2>&1 && fail "-n accepted a broken file"
grep -q "^$bad:2: log-level" "$GH_TMP/n.out" && grep -q "^$bad:3: tunnel v 1: local-address is required" "$GH_TMP/n.out" &&
	grep -q "^$bad:4: replay-window-size: Invalid value '1'" "$GH_TMP/n.out" ||
	fail "-n output lacks file:line problems: $(cat "$GH_TMP/n.out")"
pass "gatehoused -n: every problem as file:line, non-zero exit"

conf=$(GH_START=start s2s_gh_conf)
echo "data-dir $GH_TMP/data" >>"$conf"
"$GH_BIN" -nv --config "$conf" >"$GH_TMP/nv.out" 2>&1 || fail "-nv rejected a good file: $(cat "$GH_TMP/nv.out")"
grep -q 'replay-window-size 1024' "$GH_TMP/nv.out" && grep -q 'dpd-timeout-seconds 40' "$GH_TMP/nv.out" ||
	fail "-nv does not print the defaults: $(cat "$GH_TMP/nv.out")"
pass "gatehoused -nv: normalized configuration with the guide's defaults"

SS_START=none s2s_cgw_up
bg gw "$GH_TMP/gatehoused.log" "$GH_BIN" --config "$conf" --listen 127.0.0.1:0
pid=${GH_PIDS[-1]}
ss_wait_child cgw tun1 30 || fail "gatehoused did not bring the tunnel up"
wait_for 5 gh_log_has "vpn-s2stest tunnel 1 (198.51.100.1): UP" || fail "no UP in the daemon's log"
pass "gatehoused --config: tunnel UP (initiated by the daemon)"
s2s_traffic_both_ways "gatehoused --config" 500000

spi=$(ss_raw | grep -o 'spi-in=[0-9a-f]*')
GH_START=start GH_OPTS="	replay-window-size 512" s2s_gh_conf >/dev/null
echo "data-dir $GH_TMP/data" >>"$conf"
kill -HUP "$(pgrep -P "$pid" || echo "$pid")"
wait_for 5 gh_log_has "0 added, 0 removed, 1 restarted" || fail "SIGHUP: tunnel not restarted"
new_sa() { ss_child_installed cgw tun1 && [ "$(ss_raw | grep -o 'spi-in=[0-9a-f]*')" != "$spi" ]; }
wait_for 30 new_sa || fail "tunnel not back with new SAs after the restart"
ping_ok cgwhost $S2S_VPCHOST || fail "traffic after the SIGHUP restart"
pass "gatehoused SIGHUP: changed tunnel option restarted the tunnel, traffic flows again"

kill -TERM "$(pgrep -P "$pid" || echo "$pid")"
wait_for 10 sh -c "! kill -0 $pid 2>/dev/null" || fail "gatehoused did not stop on SIGTERM"
grep -E 'AddressSanitizer|LeakSanitizer|runtime error' "$GH_TMP/gatehoused.log" &&
	fail "sanitizer report in the daemon's log"
pass "gatehoused SIGTERM: clean stop"
echo "all $GH_PASSES checks passed"
