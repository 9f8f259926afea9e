#!/usr/bin/env bash
# Runs the fuzz harnesses (make fuzz builds them, fuzz/seed.sh seeds them) one after the other,
# each for SECONDS (default 20), from the repository root: fuzz/run.sh [SECONDS] [HARNESS...].
# New coverage inputs grow build-fuzz/corpus/HARNESS/; a crash, leak or broken promise is
# written to build-fuzz/crashes/HARNESS/ and makes the run fail. Prints each harness's
# executions. FUZZ_FLAGS adds libFuzzer flags (for example -jobs=4 -workers=4).
set -uo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
shift || true
harnesses=("$@")
if [ ${#harnesses[@]} = 0 ]; then
    for f in build-fuzz/bin/*; do harnesses+=("$(basename "$f")"); done
fi
failed=0
for h in "${harnesses[@]}"; do
    mkdir -p "build-fuzz/corpus/$h" "build-fuzz/crashes/$h"
    log="build-fuzz/crashes/$h.log"
    # ASan's allocator_may_return_null: a harness that asks for too much memory gets NULL, as
    # the library would from malloc, instead of ASan stopping the run.
    ASAN_OPTIONS=${ASAN_OPTIONS:-allocator_may_return_null=1} \
        "build-fuzz/bin/$h" -max_total_time="$seconds" -timeout=60 -rss_limit_mb=4096 \
        -print_final_stats=1 -artifact_prefix="build-fuzz/crashes/$h/" ${FUZZ_FLAGS:-} \
        "build-fuzz/corpus/$h" > "$log" 2>&1
    rc=$?
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
    if [ $rc = 0 ]; then
        echo "fuzz $h: ${runs:-?} executions in ${seconds}s, no finding"
    else
        failed=1
        echo "fuzz $h: FAILED (exit $rc) after ${runs:-?} executions; see $log:"
        grep -E 'ERROR|SUMMARY|Test unit written|deadly signal' "$log" | head -5
    fi
done
exit $failed
