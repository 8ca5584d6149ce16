#!/usr/bin/env bash
# The getting-started tutorial of the AWS Site-to-Site VPN guide, against Gatehouse, with the
# real AWS CLI and a real strongSwan customer gateway. Run by `make demo` (which installs the
# Debian packages and builds first). Needs root: it builds a small network out of namespaces
# that exist only while the demo runs:
#
#   cgwhost 172.16.1.10 -- cgw 192.0.2.2 ====== 198.51.100.1/.2 gw -- 10.0.1.10 vpchost
#   (your office PC)       (your VPN device:      (gatehoused: EC2 API      (a host in
#                           strongSwan)            + the VPN tunnels)        your "VPC")
#
#   1. start gatehoused with a configuration file: API on 127.0.0.1:5000 inside "gw", the pool
#      of outside addresses 198.51.100.1 and .2, the VPC network 10.0.1.0/24
#   2. the tutorial with the AWS CLI: customer gateway, virtual private gateway, VPC, attach,
#      route propagation, VPN connection (static routing) and its route
#   3. download the strongSwan configuration and load it, unchanged, on the customer gateway
#   4. both tunnels UP, a ping from the office PC to the VPC host through them
#   5. where to look next; then everything is stopped and removed (Enter, Ctrl-C or the end)
#
# GATEHOUSED=path picks another binary (default build/gatehoused); AWS_CLI another aws.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${GATEHOUSED:-$ROOT/build/gatehoused}
AWS=${AWS_CLI:-/usr/bin/aws}
[ -x "$AWS" ] || AWS=$(command -v aws || true)
if [ "$(id -u)" -ne 0 ]; then
	echo "demo: needs root (network namespaces, TUN devices, charon): sudo make demo"
	exit 1
fi
[ -x "$BIN" ] || { echo "demo: no $BIN: run make first"; exit 1; }
[ -n "$AWS" ] || { echo "demo: no AWS CLI (make deps installs it)"; exit 1; }
GH_RUN_ID=${GH_RUN_ID:-ghdemo$$}
. "$ROOT/tests/net/lib.sh"          # namespaces, charon per namespace, cleanup on every exit
. "$ROOT/tests/net/s2s_lib.bash"    # the topology above
GH_FAIL_HOOK=
API=http://127.0.0.1:5000
BOLD=$(printf '\033[1m') DIM=$(printf '\033[2m') OFF=$(printf '\033[0m')
[ -t 1 ] || BOLD= DIM= OFF=

step() { printf '\n%s== %s%s\n' "$BOLD" "$*" "$OFF"; }
say() { printf '%s\n' "$*"; }
# The AWS CLI runs inside "gw": the API listens on that namespace's loopback.
aws_gw() {
	nsx gw env AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo-secret \
		AWS_DEFAULT_REGION=us-east-1 AWS_PAGER= AWS_EC2_METADATA_DISABLED=true \
		"$AWS" --endpoint-url "$API" ec2 "$@"
}
shq() { # the words as one would type them
	local a
	for a; do
		case $a in
		*[!A-Za-z0-9_./:=,@+-]*) printf " '%s'" "$a" ;;
		*) printf ' %s' "$a" ;;
		esac
	done
}
run() { printf '%s$ aws ec2%s%s\n' "$DIM" "$(shq "$@")" "$OFF" >&2; aws_gw "$@"; }
die() { echo "demo: $*"; [ -n "${GH_LOG:-}" ] && tail -20 "$GH_LOG"; exit 1; }

# Stop gatehoused gracefully first (IKE DELETE to the device), then lib.sh removes the rest.
demo_exit() {
	local rc=$?
	if [ -n "${GH_PID:-}" ] && kill -0 "$GH_PID" 2>/dev/null; then
		kill -TERM "$GH_PID" 2>/dev/null
		wait_for 10 sh -c "! kill -0 $GH_PID 2>/dev/null"
		echo "gatehoused stopped"
	fi
	echo "namespaces $GH_RUN_ID-* and $GH_TMP removed"
	(exit "$rc")
	gh_cleanup
}
trap demo_exit EXIT

step "The network (namespaces $GH_RUN_ID-*)"
s2s_topology
say "cgwhost 172.16.1.10 -- cgw $S2S_CGW_WAN ==== $S2S_GW1/$S2S_GW2 gw -- $S2S_VPCHOST vpchost"

step "Start gatehoused: one service, EC2 API + VPN tunnels"
GH_CONF=$GH_TMP/gatehoused.conf
GH_LOG=$GH_TMP/gatehoused.log
cat >"$GH_CONF" <<CONF
listen 127.0.0.1:5000
data-dir $GH_TMP/data
access-key demo
secret-key demo-secret
outside-address $S2S_GW1 $S2S_GW2
vpc-network $S2S_VPC
CONF
cat "$GH_CONF"
nsx gw "$BIN" --config "$GH_CONF" --state-delay-ms 500 >"$GH_LOG" 2>&1 &
GH_PID=$!
wait_for 15 nsx gw curl -s -o /dev/null "$API/" || die "gatehoused did not start"
say "gatehoused is running (pid $GH_PID, log $GH_LOG)"

step "Step 1: create a customer gateway (your device at $S2S_CGW_WAN)"
CGW=$(run create-customer-gateway --type ipsec.1 --public-ip $S2S_CGW_WAN --bgp-asn 65000 \
	--query CustomerGateway.CustomerGatewayId --output text) || die "create-customer-gateway"
say "customer gateway: $CGW"

step "Step 2: create a virtual private gateway and attach it to a VPC"
VGW=$(run create-vpn-gateway --type ipsec.1 --query VpnGateway.VpnGatewayId --output text) || die "vgw"
VPC=$(run create-vpc --cidr-block 10.0.0.0/16 --query Vpc.VpcId --output text) || die "vpc"
run attach-vpn-gateway --vpn-gateway-id "$VGW" --vpc-id "$VPC" --output table || die "attach"

step "Step 3: enable route propagation on the VPC's route table"
RTB=$(run describe-route-tables --filters "Name=vpc-id,Values=$VPC" \
	--query 'RouteTables[0].RouteTableId' --output text) || die "describe-route-tables"
run enable-vgw-route-propagation --route-table-id "$RTB" --gateway-id "$VGW" || die "propagation"

step "Step 4: create the VPN connection (static routing, $S2S_CGW_LAN behind your device)"
VPN=$(run create-vpn-connection --type ipsec.1 --customer-gateway-id "$CGW" \
	--vpn-gateway-id "$VGW" --options StaticRoutesOnly=true \
	--query VpnConnection.VpnConnectionId --output text) || die "create-vpn-connection"
run create-vpn-connection-route --vpn-connection-id "$VPN" --destination-cidr-block $S2S_CGW_LAN ||
	die "create-vpn-connection-route"
run describe-vpn-connections --vpn-connection-ids "$VPN" --output table \
	--query 'VpnConnections[0].{State:State,Tunnels:VgwTelemetry[].{Outside:OutsideIpAddress,Status:Status,Message:StatusMessage}}'

step "Step 5: download the configuration for your device (strongSwan) and load it"
run get-vpn-connection-device-sample-configuration --vpn-connection-id "$VPN" \
	--vpn-connection-device-type-id strongswan-swanctl --internet-key-exchange-version ikev2 \
	--query VpnConnectionDeviceSampleConfiguration --output text >"$GH_TMP/swanctl.conf" ||
	die "sample configuration"
say "saved $GH_TMP/swanctl.conf ($(wc -l <"$GH_TMP/swanctl.conf") lines); its connections:"
grep -E '^  aws-tun|remote_addrs|start_action' "$GH_TMP/swanctl.conf" | sed 's/^ */    /'
s2s_ss_start cgw $S2S_VPC
cp "$GH_TMP/swanctl.conf" "$(ss_dir cgw)/swanctl.conf"
ss_load cgw
say "strongSwan in cgw loaded the file as downloaded (swanctl --load-all)"

step "Step 6: wait for both tunnels to come UP"
both_up() {
	[ "$(aws_gw describe-vpn-connections --vpn-connection-ids "$VPN" --output text \
		--query 'length(VpnConnections[0].VgwTelemetry[?Status==`UP`])')" = 2 ]
}
wait_for 60 both_up || die "the tunnels did not come up"
run describe-vpn-connections --vpn-connection-ids "$VPN" --output table \
	--query 'VpnConnections[0].{State:State,Tunnels:VgwTelemetry[].{Outside:OutsideIpAddress,Status:Status,Since:LastStatusChange,Routes:AcceptedRouteCount,Message:StatusMessage}}'

step "Step 7: ping from the office PC ($S2S_CGWHOST) to the VPC host ($S2S_VPCHOST)"
printf '%s$ ip netns exec %s ping -c 3 %s%s\n' "$DIM" "$(ns_name cgwhost)" "$S2S_VPCHOST" "$OFF"
nsx cgwhost ping -c 3 -i 0.3 -W 2 $S2S_VPCHOST || die "no ping through the tunnels"

step "Where to look next"
cat <<TXT
- gatehoused's log (tunnels going UP, routes, IKE): $GH_LOG
- the API from your shell:
    ip netns exec $(ns_name gw) aws --endpoint-url $API ec2 describe-vpn-connections
  (AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo-secret AWS_DEFAULT_REGION=us-east-1)
- the device's view: STRONGSWAN_CONF=$(ss_dir cgw)/strongswan.conf \\
    ip netns exec $(ns_name cgw) swanctl --list-sas --uri unix://$(ss_dir cgw)/charon.vici
- the tunnels on the gateway: ip -n $(ns_name gw) link show; ip -n $(ns_name gw) route
- docs: README.md, docs/configuration.md (the file used above), docs/decisions.md;
  this walk as a test: tests/net/s2s_tutorial.sh
TXT
if [ -t 0 ] && [ -z "${GH_DEMO_NOWAIT:-}" ]; then
	printf '\nEverything keeps running: press Enter (or Ctrl-C) to stop and clean up. '
	read -r _ || true
fi
step "Stop"
