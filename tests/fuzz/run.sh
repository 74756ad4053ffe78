#!/bin/bash
# run.sh BUILD SECONDS NAME...: run each libFuzzer harness BUILD/fuzz/fuzz_NAME
# for SECONDS, starting from the seeds in tests/fuzz/corpus/NAME (read only)
# plus what earlier runs found (BUILD/corpus/NAME, where new inputs go).
# Prints one line per harness with the executions run; a crash, a sanitizer
# report or a broken invariant (abort) fails the script, leaving the input
# in BUILD/artifacts/.
# With FUZZ_RUNS=N set (make fuzz-smoke, CI), each harness runs exactly N inputs
# from a fixed random seed (FUZZ_SEED, default 1) instead of SECONDS: the same
# commit then fuzzes the same inputs on every machine, so CI is repeatable and
# a failure it reports can be replayed.  Open-ended searching is `make fuzz`.
set -uo pipefail
cd "$(dirname "$0")/../.."
build=$1 secs=$2
shift 2
status=0
mkdir -p "$build/artifacts"
# libxlutil's own leaks on a bad config (tests/lsan.supp)
export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
for name in "$@"; do
    bin=$build/fuzz/fuzz_$name
    work=$build/corpus/$name
    if [ -n "${FUZZ_RUNS:-}" ]; then       # repeatable: start from the seeds alone
        work=$build/corpus-smoke/$name
        rm -rf "$work"
    fi
    log=$build/artifacts/fuzz_$name.log
    mkdir -p "$work"
    if [ -n "${FUZZ_RUNS:-}" ]; then
        limit=(-runs="$FUZZ_RUNS" -seed="${FUZZ_SEED:-1}")
        what="$FUZZ_RUNS inputs, seed ${FUZZ_SEED:-1}"
    else
        limit=(-max_total_time="$secs")
        what="${secs}s"
    fi
    "$bin" "${limit[@]}" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$build/artifacts/${name}-" "$work" "tests/fuzz/corpus/$name" \
        >"$log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
    printf 'fuzz_%-6s %10s executions (%s; %s, corpus %s files)\n' "$name" "${execs:-?}" \
        "$what" "${cov:-cov: ?}" "$(ls "$work" | wc -l)"
    if [ $rc -ne 0 ]; then
        echo "fuzz_$name FAILED (exit $rc); log: $log" >&2
        grep -m20 -E 'ERROR|SUMMARY|runtime error|invariant|Test unit written' "$log" >&2
        status=1
    fi
done
exit $status
