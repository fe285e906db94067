#!/usr/bin/env bash
# Runs the cargo-fuzz targets in fuzz/ for a bounded time each and prints a markdown table of
# executions per target. Not part of CI's default path; needs the nightly toolchain and
# cargo-fuzz (`cargo install cargo-fuzz --locked`).
#
#   FUZZ_SECONDS=60 scripts/fuzz.sh                 # every target, 60 s each
#   FUZZ_SECONDS=300 scripts/fuzz.sh csv_import     # some targets only
#
# Environment:
#   FUZZ_SECONDS      seconds per target (default 60)
#   FUZZ_TIMEOUT      seconds one input may run before it counts as a hang (default 25)
#   FUZZ_WORK_DIR     where the growing corpus, logs and the report go (default fuzz/work,
#                     git-ignored); the seeds in fuzz/corpus/<target> are only read
#   FUZZ_BUILD_FLAGS  extra `cargo fuzz build/run` flags, e.g. "-s none" to drop AddressSanitizer
#   CARGO_TARGET_DIR  honoured (default fuzz/target)
#
# Crash inputs are written to fuzz/artifacts/<target>/ (git-ignored); reproduce one with
#   cargo +nightly fuzz run <target> fuzz/artifacts/<target>/<file>
# The script exits 1 when any target crashed (panic, hang or out-of-memory) or failed to run.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$(pwd)

seconds=${FUZZ_SECONDS:-60}
timeout=${FUZZ_TIMEOUT:-25}
work=${FUZZ_WORK_DIR:-fuzz/work}
read -r -a build_flags <<<"${FUZZ_BUILD_FLAGS:-}"
all_targets=(filter_expression schema csv_import json_requests scoped_requests)
if [ $# -gt 0 ]; then targets=("$@"); else targets=("${all_targets[@]}"); fi

if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    echo "fuzz.sh: cargo-fuzz on the nightly toolchain is required: cargo install cargo-fuzz --locked" >&2
    exit 2
fi

mkdir -p "$work/logs"
echo "Building fuzz targets (cargo +nightly fuzz build ${build_flags[*]:-})..." >&2
# `cargo fuzz build` takes one target or none (all of them).
one_target=()
if [ ${#targets[@]} -eq 1 ]; then one_target=("${targets[0]}"); fi
cargo +nightly fuzz build "${build_flags[@]}" "${one_target[@]}" >&2

rows=()
failed=0
for t in "${targets[@]}"; do
    mkdir -p "$work/corpus/$t" "fuzz/artifacts/$t"
    log="$work/logs/$t.log"
    echo "Fuzzing $t for ${seconds}s (log: $log)..." >&2
    start=$(date +%s)
    set +e
    # The first corpus directory receives new inputs; the seeds are only read.
    cargo +nightly fuzz run "${build_flags[@]}" "$t" "$work/corpus/$t" "fuzz/corpus/$t" -- \
        -max_total_time="$seconds" -timeout="$timeout" -print_final_stats=1 >"$log" 2>&1
    rc=$?
    set -e
    elapsed=$(( $(date +%s) - start ))

    execs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$log" | tail -n 1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *\([0-9]*\).*/\1/p' "$log" | tail -n 1)
    if [ -z "$execs" ]; then
        # No final stats (killed early): fall back to the last status line, `#N ...`.
        execs=$(sed -n 's/^#\([0-9][0-9]*\)[[:space:]].*/\1/p' "$log" | tail -n 1)
    fi
    execs=${execs:-?}
    if [ -z "$rate" ] && [ "$execs" != "?" ] && [ "$elapsed" -gt 0 ]; then
        rate=$(( execs / elapsed ))
    fi
    rate=${rate:-?}

    crash=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
    if [ "$rc" -ne 0 ]; then
        failed=1
        if [ -n "$crash" ]; then
            crash=${crash#"$root/"}
            crash=${crash#"./"}
            [[ "$crash" == artifacts/* ]] && crash="fuzz/$crash"
            crash_cell="1: \`$crash\`"
        else
            crash_cell="failed (exit $rc, see \`$log\`)"
        fi
        echo "---- $t crashed; from $log:" >&2
        grep -E -m 5 -A 3 "panicked at|ERROR: libFuzzer|==ERROR|SUMMARY" "$log" >&2 || tail -n 30 "$log" >&2
    else
        crash_cell="0"
    fi
    rows+=("| \`$t\` | $seconds | $execs | $rate | $crash_cell |")
done

report="$work/report.md"
{
    echo "| target | seconds | executions | exec/s | crashes |"
    echo "|---|---:|---:|---:|---|"
    printf '%s\n' "${rows[@]}"
} >"$report"
cat "$report"
exit "$failed"
