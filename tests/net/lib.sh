# tests/net/lib.sh - shared harness for scenario tests in network namespaces. Source it:
#
#   . "$(dirname "$0")/lib.sh"
#   ns_add cgw; ns_add gw
#   link_add cgw eth0 192.0.2.2/24 gw eth0 192.0.2.1/24
#   ss_start cgw            # strongSwan charon (kernel-libipsec) inside ns "cgw"
#   ...; pass "tunnel up"   # or: fail "why"  (exits)
#
# Every namespace is named "$GH_RUN_ID-<name>" so parallel runs cannot collide; everything
# created here (namespaces, processes, temp dirs) is removed by the EXIT trap, on every path.
# Addresses used inside the namespaces are documentation/private ranges that exist only there;
# nothing is sent outside the namespaces this file creates.
#
# Functions (NS = short name as given to ns_add):
#   ns_add NS                      create namespace (lo up, forwarding off)
#   ns_name NS                     full namespace name
#   nsx NS cmd...                  run cmd inside NS
#   link_add NS1 IF1 CIDR1 NS2 IF2 CIDR2   veth pair between two namespaces, up, addressed
#                                  (CIDR may be "-" for no address)
#   addr_add NS IF CIDR            add another address to an interface
#   route_add NS PREFIX VIA        static route
#   forwarding_on NS               enable IPv4 forwarding in NS
#   ns_resolv NS NAMESERVER        /etc/resolv.conf as NS's commands see it (nsx: ip netns exec
#                                  bind-mounts /etc/netns/<full name>/resolv.conf); removed on exit
#   bg NS LOG cmd...               start cmd in NS in the background, logged; pid tracked
#   wait_for SECONDS cmd...        poll cmd (every 0.2 s) until it succeeds; 1 on timeout
#   ss_start NS [charon-section-lines]   start charon in NS with its own /run, vici socket
#                                  and log under $GH_TMP/ss-NS; sets nothing global
#   ss_dir NS                      that directory (write swanctl.conf there, then ss_load)
#   ss_load NS                     swanctl --load-all from $(ss_dir NS)/swanctl.conf
#   swanctl_ns NS CMD args...      swanctl CMD against that charon (e.g. --list-sas)
#   ss_wait_child NS CHILD SECONDS wait until CHILD is INSTALLED
#   pki_ca NAME / pki_cert NAME CA EKU [CN]   a throwaway EC P-256 CA / leaf certificate
#                                  signed by CA, as $PKI/NAME.{crt,key} (set PKI first)
#   pass MSG / fail MSG / note MSG  test output; fail exits 1 (cleanup runs)
#   free_port                      a free TCP port on loopback

set -u
GH_RUN_ID=${GH_RUN_ID:-gh$$}
GH_TMP=$(mktemp -d "/tmp/$GH_RUN_ID-XXXXXX")
GH_NS_LIST=()
GH_ETC_DIRS=()
GH_PIDS=()
GH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
GH_PASSES=0

gh_cleanup() {
	local rc=$?
	local p ns
	for p in "${GH_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	sleep 0.2
	for p in "${GH_PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	for ns in "${GH_NS_LIST[@]}"; do
		# Anything still running inside the namespace goes with it.
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	for ns in "${GH_ETC_DIRS[@]}"; do rm -rf "$ns"; done
	if [ "$rc" -ne 0 ] && [ -n "${GH_KEEP_LOGS:-}" ]; then
		echo "logs kept in $GH_TMP"
	else
		rm -rf "$GH_TMP"
	fi
	exit "$rc"
}
trap gh_cleanup EXIT
trap 'exit 130' INT TERM

note() { echo "  .. $*"; }
pass() { GH_PASSES=$((GH_PASSES + 1)); echo "PASS: $*"; }
fail() {
	echo "FAIL: $*"
	if [ -n "${GH_FAIL_HOOK:-}" ]; then $GH_FAIL_HOOK; fi
	exit 1
}

ns_name() { echo "$GH_RUN_ID-$1"; }

ns_add() {
	local ns
	ns=$(ns_name "$1")
	ip netns add "$ns" || fail "cannot create namespace $ns"
	GH_NS_LIST+=("$ns")
	ip -n "$ns" link set lo up
}

nsx() {
	local ns
	ns=$(ns_name "$1")
	shift
	ip netns exec "$ns" "$@"
}

link_add() { # NS1 IF1 CIDR1 NS2 IF2 CIDR2
	local n1 n2
	n1=$(ns_name "$1") n2=$(ns_name "$4")
	ip link add "$2" netns "$n1" type veth peer name "$5" netns "$n2" ||
		fail "cannot create veth $1/$2 - $4/$5"
	[ "$3" = - ] || ip -n "$n1" addr add "$3" dev "$2"
	[ "$6" = - ] || ip -n "$n2" addr add "$6" dev "$5"
	ip -n "$n1" link set "$2" up
	ip -n "$n2" link set "$5" up
}

addr_add() { ip -n "$(ns_name "$1")" addr add "$3" dev "$2"; }
route_add() { ip -n "$(ns_name "$1")" route add "$2" via "$3"; }
forwarding_on() { nsx "$1" sysctl -qw net.ipv4.ip_forward=1; }

ns_resolv() { # NS NAMESERVER
	local d
	d=/etc/netns/$(ns_name "$1")
	mkdir -p "$d" || fail "cannot create $d"
	GH_ETC_DIRS+=("$d")
	printf 'nameserver %s\noptions timeout:1 attempts:2\n' "$2" >"$d/resolv.conf"
}

bg() { # NS LOG cmd...
	local ns=$1 log=$2
	shift 2
	nsx "$ns" "$@" >"$log" 2>&1 &
	GH_PIDS+=($!)
}

wait_for() { # SECONDS cmd...
	local deadline=$(($(date +%s%N) / 1000000 + $1 * 1000))
	shift
	while ! "$@" >/dev/null 2>&1; do
		[ $(($(date +%s%N) / 1000000)) -lt $deadline ] || return 1
		sleep 0.2
	done
	return 0
}

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# --- strongSwan (charon + kernel-libipsec), one instance per namespace -------------------------

SS_CHARON=${SS_CHARON:-/usr/lib/ipsec/charon}

ss_dir() { echo "$GH_TMP/ss-$1"; }

ss_start() { # NS [extra lines for the charon section]
	local ns=$1 dir
	dir=$(ss_dir "$ns")
	mkdir -p "$dir"
	cat >"$dir/strongswan.conf" <<CONF
charon {
  load = random nonce openssl kdf hmac sha1 sha2 aes gmp pem pkcs1 pkcs8 x509 revocation constraints pubkey kernel-libipsec kernel-netlink socket-default vici updown
  install_routes = yes
  routing_table = 220
  retransmit_timeout = 1.0
  retransmit_base = 1.4
  retransmit_tries = 3
  ${2:-}
  plugins {
    kernel-libipsec {
      load = yes
    }
    vici {
      socket = unix://$dir/charon.vici
    }
  }
  filelog {
    log {
      path = $dir/charon.log
      time_format = %H:%M:%S
      default = 1
      ike = 2
      cfg = 2
      knl = 1
      esp = 1
    }
  }
}
swanctl {
  socket = unix://$dir/charon.vici
}
CONF
	# ip netns exec gives the command its own mount namespace: a private /run keeps charon's
	# pid file and sockets apart from other instances.
	nsx "$ns" env STRONGSWAN_CONF="$dir/strongswan.conf" sh -c \
		"mount -t tmpfs none /run && exec $SS_CHARON" >"$dir/charon.out" 2>&1 &
	GH_PIDS+=($!)
	wait_for 10 test -S "$dir/charon.vici" || fail "charon in $ns did not start: $(tail -5 "$dir/charon.out" "$dir/charon.log" 2>/dev/null)"
}

swanctl_ns() { # NS COMMAND [args...]   (swanctl wants the command first)
	local ns=$1 cmd=$2 dir
	dir=$(ss_dir "$ns")
	shift 2
	nsx "$ns" env STRONGSWAN_CONF="$dir/strongswan.conf" swanctl "$cmd" --uri "unix://$dir/charon.vici" "$@"
}

ss_load() { # NS
	local dir
	dir=$(ss_dir "$1")
	swanctl_ns "$1" --load-all --file "$dir/swanctl.conf" >"$dir/load.out" 2>&1 ||
		fail "swanctl --load-all in $1 failed: $(cat "$dir/load.out")"
}

ss_child_installed() { # NS CHILD
	swanctl_ns "$1" --list-sas 2>/dev/null | grep -A3 "$2:" | grep -q INSTALLED
}

ss_wait_child() { # NS CHILD SECONDS
	wait_for "$3" ss_child_installed "$1" "$2"
}

pki_ca() { # NAME
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
		-keyout "$PKI/$1.key" -out "$PKI/$1.crt" -subj "/CN=$1" \
		-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
		2>/dev/null || fail "openssl CA $1"
}

pki_cert() { # NAME CA EKU [CN]
	local n=$1 ca=$2 eku=$3 cn=${4:-$1}
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$PKI/$n.key" \
		-subj "/CN=$cn" -out "$PKI/$n.csr" 2>/dev/null || fail "openssl req $n"
	printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyAgreement\nextendedKeyUsage=%s\n' \
		"$eku" >"$PKI/$n.ext"
	openssl x509 -req -in "$PKI/$n.csr" -CA "$PKI/$ca.crt" -CAkey "$PKI/$ca.key" -CAcreateserial \
		-days 2 -extfile "$PKI/$n.ext" -out "$PKI/$n.crt" 2>/dev/null || fail "openssl x509 $n"
}
