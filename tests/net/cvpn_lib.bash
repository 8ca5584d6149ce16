# tests/net/cvpn_lib.bash - the Client VPN topology shared by tests/net/cvpn_*.sh: gatehoused
# (EC2 API + Client VPN endpoints) driven by the AWS CLI v2, stock openvpn 2.6 clients using the
# profile from ExportClientVpnClientConfiguration. Sourced after lib.sh and s2s_lib.bash (for
# api_setup, aws_gw, daemon_start); named .bash so run-all.sh does not take it for a test.
#
#   alice 192.0.2.2 ------ 192.0.2.1                                 lan 10.0.1.1/24, 10.0.2.1/24
#   (openvpn)                        rtr 203.0.113.1 ---- 203.0.113.10 gw ------------------ vpchost
#                                                          (+ .11)                   192.168.200.10
#   bob   192.0.2.66 ----- 192.0.2.65                    (gatehoused, dnsmasq)  10.0.1.10, 10.0.2.10
#
# The clients' only resolver is dnsmasq in gw (203.0.113.10), answering 203.0.113.10 for every
# name under clientvpn.us-east-1.gatehouse.internal (the profile's remote-random-hostname asks
# for <random>.cvpn-endpoint-<hex>.prod...). gatehoused listens for Client VPN on 203.0.113.10
# (config key client-vpn-address), and on 203.0.113.11 where a scenario needs two addresses. The VPC is 10.0.0.0/16 with subnets 10.0.1.0/24 (us-east-1a)
# and 10.0.2.0/24 (us-east-1b); vpchost has one address in each and NO route to any client
# CIDR, so a reply only comes back if gw translated the client's source to its own 10.0.1.1.
# 192.168.200.10 (also vpchost, routed by gw) stands for a network beyond the VPC.
# Client CIDRs: 172.16.0.0/22 (and 172.16.4.0/22 for a second endpoint). Every address exists
# only inside the namespaces of this run.

CVPN_SRV=203.0.113.10
CVPN_SRV2=203.0.113.11 # a second address of gw, for a second endpoint on the same port
CVPN_VPC=10.0.0.0/16
CVPN_LAN_GW=10.0.1.1
CVPN_HOST=10.0.1.10   # authorized in the scenarios
CVPN_HOST2=10.0.2.10  # inside the VPC (routed), not authorized unless a scenario says so
CVPN_HOST3=192.168.200.10 # beyond the VPC (gw routes it to vpchost): no endpoint route by default
CVPN_DOMAIN=clientvpn.us-east-1.gatehouse.internal
CVPN_ECHO_PORT=7777
PKI=$GH_TMP/pki

cvpn_topology() {
	ns_add alice
	ns_add bob
	ns_add rtr
	ns_add gw
	ns_add vpchost
	link_add alice eth0 192.0.2.2/26 rtr alice 192.0.2.1/26
	link_add bob eth0 192.0.2.66/26 rtr bob 192.0.2.65/26
	link_add rtr gw 203.0.113.1/24 gw wan $CVPN_SRV/24
	link_add gw lan $CVPN_LAN_GW/24 vpchost eth0 $CVPN_HOST/24
	addr_add gw lan 10.0.2.1/24
	addr_add gw wan $CVPN_SRV2/24
	addr_add vpchost eth0 $CVPN_HOST2/24
	addr_add vpchost eth0 $CVPN_HOST3/32
	nsx gw ip route add 192.168.200.0/24 via $CVPN_HOST
	# A default route on the clients, as on any laptop: redirect-gateway def1 needs one to
	# keep the server reachable outside the tunnel.
	nsx alice ip route add default via 192.0.2.1
	nsx bob ip route add default via 192.0.2.65
	nsx gw ip route add 192.0.2.0/24 via 203.0.113.1
	forwarding_on rtr
	forwarding_on gw # the daemon only warns when it is off (the client network is forwarded)
	ns_resolv alice $CVPN_SRV
	ns_resolv bob $CVPN_SRV
	ping_ok alice $CVPN_SRV || fail "topology: alice cannot reach $CVPN_SRV"
	nsx gw ping -c 1 -W 2 -q $CVPN_HOST2 >/dev/null || fail "topology: gw cannot reach $CVPN_HOST2"
	nsx gw ping -c 1 -W 2 -q $CVPN_HOST3 >/dev/null || fail "topology: gw cannot reach $CVPN_HOST3"
}

# dnsmasq in gw: the wildcard record the operator publishes for the endpoints' DNS names
# (extra dnsmasq options, e.g. a more specific --address=/<domain>/<addr>, after it).
cvpn_dns_start() { # [dnsmasq options...]
	bg gw "$GH_TMP/dnsmasq.log" dnsmasq --no-daemon --conf-file=/dev/null --no-resolv --no-hosts \
		--pid-file= --user=root --listen-address=$CVPN_SRV --bind-interfaces --log-queries \
		--log-facility=- --address=/$CVPN_DOMAIN/$CVPN_SRV "$@"
	wait_for 10 sh -c "ip netns exec $(ns_name gw) ss -lun | grep -q '$CVPN_SRV:53 '" ||
		fail "dnsmasq did not start: $(tail -3 "$GH_TMP/dnsmasq.log")"
}

# --- PKI (openssl): CA, server (serverAuth), clients alice and bob (clientAuth), CRL ------------
cvpn_pki() {
	mkdir -p "$PKI/db"
	cat >"$PKI/ca.cnf" <<CNF
[ ca ]
default_ca = gh
[ gh ]
database = $PKI/db/index.txt
crlnumber = $PKI/db/crlnumber
default_md = sha256
default_crl_days = 2
certificate = $PKI/ca.crt
private_key = $PKI/ca.key
[ req ]
distinguished_name = dn
[ dn ]
[ v3_ca ]
basicConstraints = critical,CA:true
keyUsage = critical,keyCertSign,cRLSign
[ server ]
basicConstraints = CA:false
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:server.gatehouse.internal
[ client ]
basicConstraints = CA:false
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
CNF
	: >"$PKI/db/index.txt"
	echo 1000 >"$PKI/db/crlnumber"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=Gatehouse cvpn test CA" \
		-keyout "$PKI/ca.key" -out "$PKI/ca.crt" -config "$PKI/ca.cnf" -extensions v3_ca \
		>/dev/null 2>&1 || fail "openssl: CA"
	cvpn_leaf server server
	cvpn_leaf alice client
	cvpn_leaf bob client
}

cvpn_leaf() { # CN EXTENSIONS
	openssl req -new -newkey rsa:2048 -nodes -subj "/CN=$1" -keyout "$PKI/$1.key" \
		-out "$PKI/$1.csr" -config "$PKI/ca.cnf" >/dev/null 2>&1 || fail "openssl req $1"
	openssl x509 -req -in "$PKI/$1.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial \
		-days 2 -extfile "$PKI/ca.cnf" -extensions "$2" -out "$PKI/$1.crt" >/dev/null 2>&1 ||
		fail "openssl x509 $1"
}

cvpn_crl_revoke() { # CN -> $PKI/crl.pem revoking CN
	openssl ca -batch -config "$PKI/ca.cnf" -revoke "$PKI/$1.crt" >/dev/null 2>&1 ||
		fail "openssl ca -revoke $1"
	openssl ca -batch -config "$PKI/ca.cnf" -gencrl -out "$PKI/crl.pem" >/dev/null 2>&1 ||
		fail "openssl ca -gencrl"
}

# --- the daemon and the API ------------------------------------------------------------------
# Write the config (api_setup + the Client VPN listen addresses, default $CVPN_SRV) and start
# gatehoused in gw.
cvpn_daemon_start() { # NAME [ADDR...]
	api_setup "$1"
	shift
	echo "client-vpn-address ${*:-$CVPN_SRV}" >>"$conf"
	daemon_start
}

# The seed's workflow up to the endpoint: certificates into ACM, a VPC with two subnets.
# Sets SERVER_ARN, CA_ARN, VPC, SUBNET_A (10.0.1.0/24), SUBNET_B (10.0.2.0/24).
cvpn_acm_vpc() {
	SERVER_ARN=$(aws_api acm import-certificate --certificate "fileb://$PKI/server.crt" \
		--private-key "fileb://$PKI/server.key" --certificate-chain "fileb://$PKI/ca.crt" \
		--query CertificateArn --output text) || fail "acm import-certificate (server)"
	CA_ARN=$(aws_api acm import-certificate --certificate "fileb://$PKI/ca.crt" \
		--private-key "fileb://$PKI/ca.key" --query CertificateArn --output text) ||
		fail "acm import-certificate (client CA)"
	VPC=$(aws_gw create-vpc --cidr-block $CVPN_VPC --query Vpc.VpcId --output text) || fail "create-vpc"
	SUBNET_A=$(aws_gw create-subnet --vpc-id "$VPC" --cidr-block 10.0.1.0/24 \
		--availability-zone us-east-1a --query Subnet.SubnetId --output text) || fail "create-subnet a"
	SUBNET_B=$(aws_gw create-subnet --vpc-id "$VPC" --cidr-block 10.0.2.0/24 \
		--availability-zone us-east-1b --query Subnet.SubnetId --output text) || fail "create-subnet b"
	pass "ACM import of the server certificate and client CA; $VPC with $SUBNET_A and $SUBNET_B"
}

# Create an endpoint (mutual authentication with the imported CA, status pending-associate);
# sets EID. Extra create-client-vpn-endpoint arguments after CIDR.
cvpn_endpoint_create() { # CLIENT_CIDR [extra create args...]
	local cidr=$1 st
	shift
	EID=$(aws_gw create-client-vpn-endpoint --client-cidr-block "$cidr" \
		--server-certificate-arn "$SERVER_ARN" \
		--authentication-options "Type=certificate-authentication,MutualAuthentication={ClientRootCertificateChainArn=$CA_ARN}" \
		--connection-log-options Enabled=false --vpc-id "$VPC" "$@" \
		--query ClientVpnEndpointId --output text) || fail "create-client-vpn-endpoint $cidr $*"
	st=$(cvpn_status "$EID")
	[ "$st" = pending-associate ] || fail "$EID: status $st after create, not pending-associate"
}

# Associate SUBNET_A (-> available; sets ASSOC) and authorize 10.0.1.0/24 for all groups.
cvpn_endpoint_open() { # EID
	local st
	ASSOC=$(aws_gw associate-client-vpn-target-network --client-vpn-endpoint-id "$1" \
		--subnet-id "$SUBNET_A" --query AssociationId --output text) ||
		fail "associate-client-vpn-target-network $1"
	st=$(cvpn_status "$1")
	[ "$st" = available ] || fail "$1: status $st after associate, not available"
	aws_gw authorize-client-vpn-ingress --client-vpn-endpoint-id "$1" \
		--target-network-cidr 10.0.1.0/24 --authorize-all-groups >/dev/null ||
		fail "authorize-client-vpn-ingress $1"
}

# Both: an endpoint clients can use (sets EID and ASSOC).
cvpn_endpoint() { # CLIENT_CIDR [extra create args...]
	cvpn_endpoint_create "$@"
	cvpn_endpoint_open "$EID"
}

cvpn_status() { # EID
	aws_gw describe-client-vpn-endpoints --client-vpn-endpoint-ids "$1" \
		--query 'ClientVpnEndpoints[0].Status.Code' --output text
}

# The exported profile, unchanged, plus the user's <cert> and <key> blocks (as AWS tells mutual
# authentication users to do). Checks the remote line against the endpoint. Sets PROFILE.
cvpn_profile() { # EID CN
	local f=$GH_TMP/$1-$2.ovpn port
	PROFILE=
	aws_gw export-client-vpn-client-configuration --client-vpn-endpoint-id "$1" \
		--query ClientConfiguration --output text >"$f.exported" || fail "export-client-vpn-client-configuration $1"
	port=$(aws_gw describe-client-vpn-endpoints --client-vpn-endpoint-ids "$1" \
		--query 'ClientVpnEndpoints[0].VpnPort' --output text)
	grep -qx "remote $1.prod.$CVPN_DOMAIN $port" "$f.exported" ||
		fail "profile of $1: no 'remote $1.prod.$CVPN_DOMAIN $port': $(grep remote "$f.exported")"
	grep -qx remote-random-hostname "$f.exported" || fail "profile of $1: no remote-random-hostname"
	{
		cat "$f.exported"
		echo "<cert>"
		cat "$PKI/$2.crt"
		echo "</cert>"
		echo "<key>"
		cat "$PKI/$2.key"
		echo "</key>"
	} >"$f"
	PROFILE=$f
}

# --- the stock client ---------------------------------------------------------------------------
# An --up script that records, per tunnel start, what the client received (foreign_option_N
# = the pushed dhcp-options, ifconfig_local): $GH_TMP/<cn>.up.<n>.
cvpn_up_script() {
	cat >"$GH_TMP/up.sh" <<'SH'
#!/bin/sh
n=1
while [ -e "$CVPN_UP.$n" ]; do n=$((n + 1)); done
env | grep -E '^(foreign_option_[0-9]+|ifconfig_local|ifconfig_netmask|dev)=' | sort >"$CVPN_UP.$n"
SH
	chmod 755 "$GH_TMP/up.sh"
}

# Start openvpn in namespace CN (alice or bob) with PROFILE; log $GH_TMP/CN.log (appended
# across starts), pid in CVPN_PID_<cn>. Extra openvpn options after PROFILE.
cvpn_client_start() { # CN PROFILE [extra openvpn args...]
	local cn=$1 prof=$2
	shift 2
	[ -x "$GH_TMP/up.sh" ] || cvpn_up_script
	ip netns exec "$(ns_name "$cn")" openvpn --config "$prof" --log-append "$GH_TMP/$cn.log" \
		--script-security 2 --setenv CVPN_UP "$GH_TMP/$cn.up" --up "$GH_TMP/up.sh" "$@" \
		>/dev/null 2>&1 </dev/null &
	GH_PIDS+=($!)
	eval "CVPN_PID_$cn=$!"
}

cvpn_client_pid() { eval "echo \$CVPN_PID_$1"; }
cvpn_client_running() { kill -0 "$(cvpn_client_pid "$1")" 2>/dev/null; }
cvpn_client_stop() { # CN
	local p
	p=$(cvpn_client_pid "$1")
	kill "$p" 2>/dev/null
	wait_for 10 sh -c "! kill -0 $p 2>/dev/null" || kill -9 "$p" 2>/dev/null
}

# How many times the client completed initialisation (one per session, restarts included).
cvpn_inits() { count "Initialization Sequence Completed" "$GH_TMP/$1.log"; }
count() { # FIXED-STRING FILE -> number of lines (0 when the file does not exist)
	local n
	n=$(grep -cF -- "$1" "$2" 2>/dev/null)
	echo "${n:-0}"
}
cvpn_inits_ge() { [ "$(cvpn_inits "$1")" -ge "$2" ]; }
cvpn_wait_up() { # CN N [SECONDS]: wait for the N-th initialisation
	wait_for "${3:-30}" cvpn_inits_ge "$1" "$2" ||
		fail "$1: session $2 not up: $(grep -E 'ERROR|error|TLS|AUTH|RESTART|HALT' "$GH_TMP/$1.log" | tail -5)"
}

cvpn_tun_addr() { nsx "$1" ip -4 -o addr show dev tun0 2>/dev/null | awk '{print $4}'; }

in_cidr() { # ADDR CIDR
	python3 -c 'import ipaddress, sys
sys.exit(0 if ipaddress.ip_address(sys.argv[1]) in ipaddress.ip_network(sys.argv[2]) else 1)' "$1" "$2"
}

# --- the LAN side: a UDP echo on vpchost that answers with the source address it saw and logs
# every datagram ("<dst> <src>") to $GH_TMP/echo.log, for both of vpchost's addresses ---------
cvpn_echo_start() {
	cat >"$GH_TMP/echo.py" <<'PY'
import select, socket, sys
log = open(sys.argv[1], "a", buffering=1)
socks = {}
for a in sys.argv[3:]:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((a, int(sys.argv[2])))
    socks[s] = a
print("READY", flush=True)
while True:
    r, _, _ = select.select(list(socks), [], [])
    for s in r:
        data, src = s.recvfrom(2048)
        log.write("%s %s\n" % (socks[s], src[0]))
        s.sendto(src[0].encode(), src)
PY
	bg vpchost "$GH_TMP/echo.out" python3 -u "$GH_TMP/echo.py" "$GH_TMP/echo.log" $CVPN_ECHO_PORT \
		$CVPN_HOST $CVPN_HOST2 $CVPN_HOST3
	wait_for 10 grep -q READY "$GH_TMP/echo.out" || fail "UDP echo did not start: $(cat "$GH_TMP/echo.out")"
}

# Send one datagram from NS to DST's echo; prints the source address the echo saw ("" if no answer).
cvpn_echo() { # NS DST
	nsx "$1" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(1.5)
for i in range(3):
    s.sendto(b"who am i", (sys.argv[1], '$CVPN_ECHO_PORT'))
    try:
        print(s.recv(100).decode()); break
    except socket.timeout:
        pass' "$2" 2>/dev/null
}
cvpn_echo_count() { count "$1 " "$GH_TMP/echo.log"; }

# --- DescribeClientVpnConnections ----------------------------------------------------------------
# One line per connection: "id status cn client-ip ingress-bytes egress-bytes ingress-packets
# egress-packets established end" (text output, tab -> space).
cvpn_conns() { # EID
	aws_gw describe-client-vpn-connections --client-vpn-endpoint-id "$1" --output text \
		--query 'Connections[].[ConnectionId,Status.Code,CommonName,ClientIp,IngressBytes,EgressBytes,IngressPackets,EgressPackets,ConnectionEstablishedTime,ConnectionEndTime]' |
		tr '\t' ' '
}
# Active connection ids of CN, space-separated.
cvpn_active_ids() { # EID CN
	cvpn_conns "$1" | awk -v cn="$2" '$2 == "active" && $3 == cn {print $1}' | sort | tr '\n' ' ' | sed 's/ $//'
}
cvpn_has_active() { [ -n "$(cvpn_active_ids "$1" "$2")" ]; }
cvpn_conn_field() { # EID CONNECTION-ID FIELD-NUMBER (1-based, as in cvpn_conns)
	cvpn_conns "$1" | awk -v id="$2" -v f="$3" '$1 == id {print $f}'
}
cvpn_conn_is() { [ "$(cvpn_conn_field "$1" "$2" 2)" = "$3" ]; }
cvpn_conn_counted() { # EID ID: ingress and egress bytes and packets all non-zero
	local l
	l=$(cvpn_conns "$1" | awk -v id="$2" '$1 == id')
	[ -n "$l" ] && echo "$l" | awk '{exit !($5 > 0 && $6 > 0 && $7 > 0 && $8 > 0)}'
}

# --- the end ---------------------------------------------------------------------------------
cvpn_dump() {
	local f
	for f in "$GH_TMP"/alice.log "$GH_TMP"/bob.log; do
		[ -e "$f" ] || continue
		echo "---- $(basename "$f") ----"
		tail -25 "$f"
	done
	echo "---- gatehoused (${GH_LOG:-}) ----"
	tail -60 "${GH_LOG:-/dev/null}" 2>/dev/null
	echo "---- dnsmasq ----"
	tail -5 "$GH_TMP/dnsmasq.log" 2>/dev/null
}
GH_FAIL_HOOK=cvpn_dump

# SIGTERM the daemon, fail on any sanitizer report, print the summary.
cvpn_finish() {
	local pid
	pid=$(daemon_pid)
	kill -TERM "$pid"
	wait_for 15 sh -c "! kill -0 $pid 2>/dev/null" || fail "gatehoused did not stop on SIGTERM"
	if grep -E 'AddressSanitizer|LeakSanitizer|runtime error:' "$GH_TMP"/gatehoused-*.log; then
		fail "sanitizer report in gatehoused's log"
	fi
	nsx gw nft list table ip gatehouse-cvpn >/dev/null 2>&1 &&
		fail "table ip gatehouse-cvpn left behind after SIGTERM"
	pass "SIGTERM: clean stop, NAT table removed"
	echo "all $GH_PASSES checks passed"
}
