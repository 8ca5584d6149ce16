#!/usr/bin/env bash
# Run every unit-test program in a folder; print one closing "N passed, N failed" line.
set -u
dir=${1:-build-san/tests}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
total_pass=0 total_fail=0 bad_progs=()
for t in "$dir"/test_*; do
	[ -x "$t" ] || continue
	out=$("$t" 2>&1); rc=$?
	line=$(printf '%s\n' "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -1)
	p=$(echo "$line" | awk '{print $1}'); f=$(echo "$line" | awk '{print $3}')
	p=${p:-0}; f=${f:-0}
	if [ $rc -ne 0 ] && [ "$f" = 0 ]; then f=1; fi   # crashed, leaked or sanitizer report
	total_pass=$((total_pass + p)); total_fail=$((total_fail + f))
	if [ $rc -ne 0 ]; then
		bad_progs+=("$(basename "$t")")
		printf '%s\n' "$out" | grep -vE '^ok ' | head -60
	fi
	printf '  %-32s %s\n' "$(basename "$t")" "${line:-no result (rc=$rc)}"
done
[ ${#bad_progs[@]} -eq 0 ] || echo "failing unit programs: ${bad_progs[*]}"
echo "unit: $total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
