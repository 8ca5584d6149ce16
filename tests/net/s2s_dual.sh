#!/usr/bin/env bash
# Both tunnels of one VPN connection (two Gatehouse outside addresses, G:317) up at once
# against one strongSwan customer gateway, then failover: the customer gateway deletes tunnel 1
# and traffic must move to tunnel 2 because "the health of a tunnel endpoint takes precedence
# over other routing attributes" (site-to-site.md 4.2 B) although tunnel 1 has the better
# priority (route priority 100 vs 200). Before that, a reload that changes tunnel 2's options
# must restart tunnel 2 only (tunnel 1 keeps its SAs).
#
#                                            198.51.100.1 (tunnel 1, TUN gh0)
#   cgwhost -- cgw 192.0.2.2 (strongSwan) =====                                gw -- vpchost
#                                            198.51.100.2 (tunnel 2, TUN gh1)
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/s2s_lib.bash"

best_dev() { nsx gw ip route show 172.16.1.0/24 | head -1 | grep -o 'dev gh[0-9]*'; }

s2s_topology
GH_TUNNELS="1 2" gh_start "$(GH_TUNNELS="1 2" s2s_gh_conf)"
SS_TUNNELS="1 2" SS_START=start SS_CLOSE=start s2s_cgw_up
ss_wait_child cgw tun1 30 || fail "tunnel 1 CHILD SA not installed"
ss_wait_child cgw tun2 30 || fail "tunnel 2 CHILD SA not installed"
gh_wait_up 1 10
gh_wait_up 2 10
[ "$(ss_raw | grep -c 'state=ESTABLISHED')" -eq 2 ] || fail "two IKE SAs expected: $(ss_raw)"
pass "dual: both tunnels of the connection UP at once ($(cut -d' ' -f1-3 "$GH_TMP/status" | tr '\n' ';'))"
# ONE kernel route for the prefix both tunnels route (not one per tunnel at the same metric,
# which the kernel refuses): via the preferred tunnel, 1 (priority 100 < 200, both UP).
routes=$(nsx gw ip route show 172.16.1.0/24)
[ "$(echo "$routes" | grep -c .)" = 1 ] && echo "$routes" | grep -q 'dev gh. .*metric 100' ||
	fail "expected one route, via tunnel 1 at metric 100: $routes"
t1dev=$(best_dev)
s2s_traffic_both_ways "dual (preferred: tunnel 1, $t1dev)" 500000

# SIGHUP with tunnel 2's options changed: only tunnel 2 restarts (G:4369).
spi_of() { ss_raw | grep -o "tun$1-[0-9]* {[^}]*" | grep -o 'spi-in=[0-9a-f]*'; }
spi1=$(spi_of 1) spi2=$(spi_of 2)
GH_TUNNELS="1 2" GH_OPTS_2="	replay-window-size 512" s2s_gh_conf >/dev/null
gh_signal HUP
wait_for 5 gh_log_has "0 added, 0 removed, 1 restarted" || fail "reload: tunnel 2 not restarted"
t2_new() { [ -n "$(spi_of 2)" ] && [ "$(spi_of 2)" != "$spi2" ]; }
wait_for 30 t2_new || fail "reload: tunnel 2 not re-established with new SAs"
gh_wait_up 2 10
[ "$(spi_of 1)" = "$spi1" ] || fail "reload: tunnel 1's SAs changed ($spi1 -> $(spi_of 1))"
gh_status_is 1 UP || fail "reload: tunnel 1 not UP"
pass "dual: SIGHUP with tunnel 2's options changed restarted only tunnel 2"

swanctl_ns cgw --terminate --ike aws-tun1 >/dev/null 2>&1
wait_for 10 gh_status_is 1 DOWN || fail "tunnel 1 not DOWN after the customer gateway's DELETE"
gh_status_is 2 UP || fail "tunnel 2 must stay UP"
wait_for 5 sh -c "[ \"\$(ip netns exec $(ns_name gw) ip route show 172.16.1.0/24 | head -1 | grep -o 'dev gh[0-9]*')\" != '$t1dev' ]" ||
	fail "the preferred route did not move off tunnel 1: $(nsx gw ip route show 172.16.1.0/24)"
routes=$(nsx gw ip route show 172.16.1.0/24)
[ "$(echo "$routes" | grep -c .)" = 1 ] && echo "$routes" | grep -q 'metric 200' ||
	fail "after failover: expected one route, via tunnel 2 at metric 200: $routes"
s2s_traffic_both_ways "failover to tunnel 2 ($(best_dev), health before priority)" 500000
s2s_finish
