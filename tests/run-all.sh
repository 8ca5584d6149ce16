#!/usr/bin/env bash
# Every test Gatehouse has, in order from fast to real:
#   1. unit tests (tests/unit) under ASan+UBSan, leaks fatal
#   2. fuzz smoke: every libFuzzer target over its committed corpus plus a short run
#   3. scenario tests (tests/net/*.sh, tests/api/test_*.py): real peers and real clients, in
#      network namespaces named with a per-run prefix
# Closes with one "N passed, N failed" line and exits non-zero on any failure.
# GH_TESTS=pattern runs only the scenario tests whose file name contains the pattern.
set -u
cd "$(dirname "$0")/.."
export GH_RUN_ID=${GH_RUN_ID:-gh$$}
jobs=$(nproc 2>/dev/null || echo 2)
pass=0 fail=0 failed=()

record() { # name rc
	if [ "$2" -eq 0 ]; then pass=$((pass + 1)); echo "PASS $1"; else fail=$((fail + 1)); failed+=("$1"); echo "FAIL $1"; fi
}

echo "== build"
if ! make -j"$jobs" --no-print-directory all >/tmp/gh-build-$$.log 2>&1 ||
	! make -j"$jobs" --no-print-directory SAN=1 all tests >>/tmp/gh-build-$$.log 2>&1; then
	cat /tmp/gh-build-$$.log
	echo "build: 0 passed, 1 failed"
	exit 1
fi

echo "== unit tests (ASan+UBSan)"
out=$(tests/run-unit.sh build-san/tests 2>&1); rc=$?
printf '%s\n' "$out"
line=$(printf '%s\n' "$out" | tail -1)
pass=$((pass + $(echo "$line" | awk '{print $2}'))); fail=$((fail + $(echo "$line" | awk '{print $4}')))
[ $rc -eq 0 ] || failed+=("unit")

if [ -n "$(ls fuzz/fuzz_*.c 2>/dev/null)" ] && [ -z "${GH_TESTS:-}" ]; then
	echo "== fuzz smoke"
	if make --no-print-directory fuzz-build >/tmp/gh-fuzz-$$.log 2>&1; then
		tests/run-fuzz.sh build-fuzz; record fuzz-smoke $?
	else
		cat /tmp/gh-fuzz-$$.log; record fuzz-build 1
	fi
fi

echo "== scenario tests"
for t in tests/net/*.sh tests/api/test_*.py; do
	[ -e "$t" ] || continue
	case "$t" in */lib.sh) continue ;; esac # the harness, sourced by the tests
	case "$t" in *"${GH_TESTS:-}"*) ;; *) continue ;; esac
	name=$(basename "$t")
	log=/tmp/gh-test-$GH_RUN_ID-$name.log
	start=$(date +%s)
	case "$t" in
	*.py) timeout 900 python3 "$t" >"$log" 2>&1 ;;
	*) timeout 900 bash "$t" >"$log" 2>&1 ;;
	esac
	rc=$?
	echo "   ($name: $(( $(date +%s) - start ))s)"
	[ $rc -eq 0 ] || tail -40 "$log"
	record "$name" $rc
done

[ ${#failed[@]} -eq 0 ] || echo "failed: ${failed[*]}"
echo "all: $pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ ${#failed[@]} -eq 0 ]
