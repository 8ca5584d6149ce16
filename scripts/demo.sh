#!/usr/bin/env bash
# The getting-started tutorial of the AWS Site-to-Site VPN guide, against Gatehouse, with the
# real AWS CLI. Run by `make demo` (which installs and builds first).
#
#   1. start gatehoused on SQLite in a temporary data directory (loopback only)
#   2. create a customer gateway, a virtual private gateway, a VPC; attach; enable route
#      propagation; create a VPN connection with static routing
#   3. download the strongSwan configuration for the connection
#   4. show the connection, its tunnels and where to look next
#
# GH_DEMO_KEEP=1 leaves the daemon running (its pid and data directory are printed); otherwise
# it is stopped cleanly at the end or on Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BIN=${GATEHOUSED:-$ROOT/build/gatehoused}
AWS=${AWS_CLI:-/usr/bin/aws}
[ -x "$AWS" ] || AWS=aws
WORK=$(mktemp -d /tmp/gatehouse-demo-XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo-secret AWS_DEFAULT_REGION=us-east-1
export AWS_PAGER="" AWS_EC2_METADATA_DISABLED=true
EP=(--endpoint-url "http://127.0.0.1:$PORT")

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ aws %s\n' "$*" >&2; "$AWS" "${EP[@]}" "$@"; }

stop() {
	if [ -n "${PID:-}" ] && [ -z "${GH_DEMO_KEEP:-}" ]; then
		kill -TERM "$PID" 2>/dev/null && wait "$PID" 2>/dev/null || true
		echo "gatehoused stopped; data was in $WORK/data (removed)"
		rm -rf "$WORK"
	fi
}
trap stop EXIT

step "Start gatehoused (EC2 API on 127.0.0.1:$PORT, SQLite in $WORK/data)"
"$BIN" --listen "127.0.0.1:$PORT" --data-dir "$WORK/data" --access-key demo \
	--secret-key demo-secret --state-delay-ms 500 >"$WORK/gatehoused.log" 2>&1 &
PID=$!
[ -x "$BIN" ] || { echo "no $BIN: run make first"; exit 1; }
for _ in $(seq 50); do
	curl -s -o /dev/null "http://127.0.0.1:$PORT/" && break
	sleep 0.1
done
kill -0 "$PID" 2>/dev/null || { echo "gatehoused did not start:"; cat "$WORK/gatehoused.log"; exit 1; }

step "Step 1: customer gateway (guide: Create a customer gateway)"
CGW=$(run ec2 create-customer-gateway --type ipsec.1 --public-ip 192.0.2.10 --bgp-asn 65000 \
	--tag-specifications 'ResourceType=customer-gateway,Tags=[{Key=Name,Value=demo-cgw}]' \
	--query CustomerGateway.CustomerGatewayId --output text)
echo "customer gateway: $CGW"

step "Step 2: virtual private gateway, attached to a VPC"
VGW=$(run ec2 create-vpn-gateway --type ipsec.1 --query VpnGateway.VpnGatewayId --output text)
VPC=$(run ec2 create-vpc --cidr-block 10.0.0.0/16 --query Vpc.VpcId --output text)
run ec2 attach-vpn-gateway --vpn-gateway-id "$VGW" --vpc-id "$VPC" --output table

step "Step 3: route propagation on the VPC's route table"
RTB=$(run ec2 describe-route-tables --filters "Name=vpc-id,Values=$VPC" \
	--query 'RouteTables[0].RouteTableId' --output text)
run ec2 enable-vgw-route-propagation --route-table-id "$RTB" --gateway-id "$VGW"

step "Step 4: VPN connection (static routing, 172.31.0.0/16 behind the customer gateway)"
VPN=$(run ec2 create-vpn-connection --type ipsec.1 --customer-gateway-id "$CGW" \
	--vpn-gateway-id "$VGW" --options StaticRoutesOnly=true \
	--query VpnConnection.VpnConnectionId --output text)
run ec2 create-vpn-connection-route --vpn-connection-id "$VPN" --destination-cidr-block 172.31.0.0/16
sleep 1
run ec2 describe-vpn-connections --vpn-connection-ids "$VPN" \
	--query 'VpnConnections[0].{State:State,Tunnels:VgwTelemetry[].{Outside:OutsideIpAddress,Status:Status}}' \
	--output table

step "Step 5: download the strongSwan configuration"
DEV=$(run ec2 get-vpn-connection-device-types \
	--query "VpnConnectionDeviceTypes[?Vendor=='Strongswan' || Vendor=='strongSwan'] | [0].VpnConnectionDeviceTypeId" --output text)
run ec2 get-vpn-connection-device-sample-configuration --vpn-connection-id "$VPN" \
	--vpn-connection-device-type-id "$DEV" --query VpnConnectionDeviceSampleConfiguration \
	--output text >"$WORK/swanctl.conf"
echo "saved $WORK/swanctl.conf ($(wc -l <"$WORK/swanctl.conf") lines):"
sed -n '1,25p' "$WORK/swanctl.conf"

step "Where to look next"
cat <<TXT
- The daemon's log: $WORK/gatehoused.log
- Try any EC2 VPN call: aws --endpoint-url http://127.0.0.1:$PORT ec2 describe-vpn-connections
- Not yet in this demo: connections created through the API do not start live tunnels yet
  (the engine runs tunnels from a configuration file today; see docs/STATUS.md).
TXT
if [ -n "${GH_DEMO_KEEP:-}" ]; then
	echo "gatehoused keeps running: pid $PID, endpoint http://127.0.0.1:$PORT, data $WORK/data"
	trap - EXIT
fi
