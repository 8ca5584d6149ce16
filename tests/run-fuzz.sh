#!/usr/bin/env bash
# Run every built libFuzzer target over its committed corpus (fuzz/corpus/<target>/) and then
# for a short bounded time. Any crash, leak or sanitizer report fails the run.
set -u
dir=${1:-build-fuzz}
secs=${GH_FUZZ_SECONDS:-20}
rc=0
for f in "$dir"/fuzz_*; do
	[ -x "$f" ] || continue
	n=$(basename "$f")
	corpus=fuzz/corpus/$n
	work=$(mktemp -d)
	[ -d "$corpus" ] && cp -r "$corpus"/. "$work"/ 2>/dev/null
	if "$f" -print_final_stats=1 -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 "$work" >"$work.log" 2>&1; then
		echo "  $n: ok ($(grep -o 'stat::number_of_executed_units: [0-9]*' "$work.log" | awk '{print $2}') runs)"
		# The short run's execs are printed as "#N DONE"; keep the log only on failure.
	else
		echo "  $n: FAILED"; tail -40 "$work.log"; rc=1
	fi
	rm -rf "$work" "$work.log"
done
exit $rc
