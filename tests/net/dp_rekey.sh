#!/usr/bin/env bash
# dp_rekey.sh - make-before-break SA replacement in the data plane under traffic (what a CHILD
# SA rekey does): b has the old and the new inbound SA; a switches its outbound traffic to the
# new SA (dp_sa_install, published to the workers through the atomic snapshot) and then
# removes the old one (dp_sa_remove, freed after the grace period). A ping stream at 50/s and
# an 8 MiB TCP transfer run across both steps: no ping may be lost, the transfer must arrive
# intact, b must have decrypted packets on both inbound SAs, and a's new SA must be active.
# The old SA has a 200-packet soft lifetime: its "rekey now" event reaches the control thread
# (eventfd in the event loop) exactly once.
#
#   ns "a" (dp_peer, out 0x1001 -> 0x1002)  ==== ESP-in-UDP 4500 ====  ns "b" (in 0x1001 + 0x1002)
#   lo 10.1.0.1/32, a0 192.0.2.1/24          ------ veth ------       lo 10.2.0.1/32, b0 192.0.2.2/24
. "$(dirname "$0")/lib.sh"

DP_PEER=${GH_DP_PEER:-}
for c in "$GH_ROOT/build-san/tools/dp_peer" "$GH_ROOT/build/tools/dp_peer"; do
	[ -n "$DP_PEER" ] || { [ -x "$c" ] && DP_PEER=$c; }
done
[ -x "$DP_PEER" ] || fail "dp_peer not built (make SAN=1 tests)"

ns_add a
ns_add b
link_add a a0 192.0.2.1/24 b b0 192.0.2.2/24
addr_add a lo 10.1.0.1/32
addr_add b lo 10.2.0.1/32

K1=000102030405060708090a0b0c0d0e0f10111213 # a -> b, old
K2=f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff20212223 # b -> a
K3=5a5b5c5d5e5f606162636465666768696a6b6c6d # a -> b, new
la=$GH_TMP/a.log lb=$GH_TMP/b.log

ip netns exec "$(ns_name a)" "$DP_PEER" --tun ghtun --local 192.0.2.1 --remote 192.0.2.2 --encap \
	--alg gcm128 --spi-out 0x1001 --key-out $K1 --spi-in 0x2001 --key-in $K2 \
	--spi-out2 0x1002 --key-out2 $K3 --soft-packets 200 \
	--inside 169.254.10.1/30 --route 10.2.0.0/24 >"$la" 2>&1 &
pa=$!
GH_PIDS+=($pa)
ip netns exec "$(ns_name b)" "$DP_PEER" --tun ghtun --local 192.0.2.2 --remote 192.0.2.1 --encap \
	--alg gcm128 --spi-out 0x2001 --key-out $K2 --spi-in 0x1001 --key-in $K1 \
	--spi-in2 0x1002 --key-in2 $K3 --inside 169.254.10.2/30 --route 10.1.0.0/24 >"$lb" 2>&1 &
pb=$!
GH_PIDS+=($pb)
wait_for 10 grep -q "up on" "$la" || fail "peer a did not start: $(cat "$la")"
wait_for 10 grep -q "up on" "$lb" || fail "peer b did not start: $(cat "$lb")"
nsx a ping -c 2 -W 2 -I 10.1.0.1 10.2.0.1 >/dev/null || fail "no traffic before the rekey"

# traffic across the switch
head -c 8388608 /dev/urandom >"$GH_TMP/src.bin"
nsx b python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.2.0.1", 5001)); s.listen(1); s.settimeout(30)
c, _ = s.accept(); c.settimeout(30)
with open(sys.argv[1], "wb") as f:
    while True:
        b = c.recv(65536)
        if not b: break
        f.write(b)
' "$GH_TMP/dst.bin" &
srv=$!
nsx a ping -c 150 -i 0.02 -W 2 -I 10.1.0.1 10.2.0.1 >"$GH_TMP/ping.log" 2>&1 &
pinger=$!
sleep 0.3
nsx a python3 -c '
import socket, sys, time
c = socket.create_connection(("10.2.0.1", 5001), timeout=30, source_address=("10.1.0.1", 0))
data = open(sys.argv[1], "rb").read()
for i in range(0, len(data), 65536):   # paced over ~2.5 s so both steps happen mid-transfer
    c.sendall(data[i:i + 65536]); time.sleep(0.02)
c.close()
' "$GH_TMP/src.bin" &
client=$!
sleep 1
kill -USR1 $pa
wait_for 5 grep -q "installed: success" "$la" || fail "new outbound SA not installed: $(cat "$la")"
sleep 1
kill -USR2 $pa
wait_for 5 grep -q "removed: success" "$la" || fail "old outbound SA not removed: $(cat "$la")"
wait $client || fail "TCP sender failed"
wait $srv || fail "TCP receiver failed"
wait $pinger
cmp -s "$GH_TMP/src.bin" "$GH_TMP/dst.bin" || fail "transfer across the rekey differs"
grep -q " 0% packet loss" "$GH_TMP/ping.log" || fail "pings lost across the rekey: $(tail -2 "$GH_TMP/ping.log")"
pass "ping stream (150 at 50/s) without loss and 8 MiB TCP intact across install + remove"

nsx a ping -c 2 -W 2 -I 10.1.0.1 10.2.0.1 >/dev/null || fail "no traffic after the rekey"
kill -INT $pa $pb
wait_for 10 grep -q "^sa_out2" "$la" || fail "a printed no counters: $(cat "$la")"
wait_for 10 grep -q "^sa_in2" "$lb" || fail "b printed no counters: $(cat "$lb")"
grep -q "outbound SA 00001001 gone" "$la" || fail "old outbound SA still installed"
[ "$(grep -c "^event: soft tunnel=1 spi=00001001 dir=out" "$la")" = 1 ] ||
	fail "soft lifetime (200 packets) not signalled exactly once: $(grep event "$la")"
pass "the old SA's soft lifetime (200 packets) reached the control thread once"
grep -q "^sa_out2 packets=[1-9][0-9]* active=1" "$la" || fail "new SA not active: $(grep sa_ "$la")"
old=$(grep -o "^sa_in packets=[0-9]*" "$lb" | cut -d= -f2)
new=$(grep -o "^sa_in2 packets=[0-9]*" "$lb" | cut -d= -f2)
[ "${old:-0}" -gt 0 ] && [ "${new:-0}" -gt 0 ] || fail "b did not use both inbound SAs ($old/$new)"
grep -q "drop_auth=0 " "$lb" || fail "ICV failures during the rekey: $(grep drop_ "$lb")"
pass "b decrypted $old packets on the old and $new on the new inbound SA; no ICV failure"
echo "dp_rekey: $GH_PASSES passed, 0 failed"
