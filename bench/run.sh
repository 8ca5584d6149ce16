#!/bin/sh
# bench/run.sh - what `make bench` runs: builds every bench/*.c program (make bench-crypto) into
# $BUILD/bench (default build/, optimised, no sanitizers) and runs each, then every other
# executable bench/*.sh script (tunnel.sh: site-to-site tunnels; cvpn.sh: Client VPN server vs
# openvpn --server). Each benchmark prints its own table; see bench/README.md.
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
make --no-print-directory BUILD="$BUILD" bench-crypto
status=0
for c in bench/*.c; do
	[ -e "$c" ] || continue
	prog="$BUILD/bench/$(basename "$c" .c)"
	echo "== $prog"
	"$prog" || status=1
done
for s in bench/*.sh; do
	[ "$s" = bench/run.sh ] && continue
	[ -x "$s" ] || continue
	echo "== $s"
	"$s" || status=1
done
exit $status
