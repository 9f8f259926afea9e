#!/usr/bin/env bash
# Load test of `finecat serve` with wrk on loopback: starts the server, warms it up, drives it
# for a bounded time, and reports requests/s, p50/p99 latency, errors (non-2xx answers and
# socket errors) and the server's RSS at the start and end (memory growth), sampled every 5 s.
# Exits 1 when any request failed, the server grew by more than 10% + 8 MiB, or it did not
# exit 0 on SIGTERM.
#
# Usage: bench/load.sh [--model DIR] [--duration SECONDS] [--connections N] [--threads N]
#                      [--mix mix|predict|zero-shot|check] [--bin PATH] [-- SERVE_OPTIONS...]
# Defaults: the tiny-mean fixture model, 60 s, 64 connections, 2 wrk threads, a mix of the
# three POST endpoints, build/finecat. Needs wrk (Debian package wrk) and curl.
set -euo pipefail

model=tests/fixtures/modernbert/tiny-mean
duration=60
connections=64
wrk_threads=2
mix=mix
bin=build/finecat
serve_args=()
while [ $# -gt 0 ]; do
    case "$1" in
        --model) model=$2; shift 2 ;;
        --duration) duration=$2; shift 2 ;;
        --connections) connections=$2; shift 2 ;;
        --threads) wrk_threads=$2; shift 2 ;;
        --mix) mix=$2; shift 2 ;;
        --bin) bin=$2; shift 2 ;;
        --) shift; serve_args=("$@"); break ;;
        -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "load.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
command -v wrk >/dev/null || { echo "load.sh: wrk not found (apt-get install wrk)" >&2; exit 2; }
[ -x "$bin" ] || { echo "load.sh: $bin not built (make)" >&2; exit 2; }

here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
server_pid=
cleanup() {
    [ -n "$server_pid" ] && kill -KILL "$server_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# The server, on a free port; its "listening on" line names the port.
: >"$work/serve.err"
"$bin" serve --model "$model" --port 0 --max-concurrent-requests 1024 "${serve_args[@]}" \
    2>"$work/serve.err" &
server_pid=$!
port=
for _ in $(seq 1 300); do
    port=$(sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/serve.err" || true)
    [ -n "$port" ] && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/serve.err" >&2; exit 1; }
    sleep 0.1
done
[ -n "$port" ] || { echo "load.sh: the server did not start" >&2; exit 1; }
url=http://127.0.0.1:$port

rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$server_pid/status"; }

# Warm-up: a few seconds of the same load, so that buffers reach their working size before
# the start RSS is read.
LOAD_MIX=$mix wrk -t "$wrk_threads" -c "$connections" -d 5s --timeout 10s \
    -s "$here/load.lua" "$url" >/dev/null
rss_start=$(rss_kib)

# The run, with the RSS sampled every 5 s.
( while kill -0 "$server_pid" 2>/dev/null; do rss_kib >>"$work/rss.txt" || true; sleep 5; done ) &
sampler=$!
LOAD_MIX=$mix timeout $((duration + 30)) wrk -t "$wrk_threads" -c "$connections" \
    -d "${duration}s" --timeout 10s --latency -s "$here/load.lua" "$url" >"$work/wrk.txt"
kill "$sampler" 2>/dev/null || true
rss_end=$(rss_kib)
curl -s "$url/metrics" >"$work/metrics.txt"

kill -TERM "$server_pid"
exit_status=0
wait "$server_pid" || exit_status=$?
server_pid=

value() { awk -v k="$1" '$1 == "LOAD" && $2 == k {print $3}' "$work/wrk.txt"; }
forwards=$(awk '$1 == "finecat_forwards_total" {print $2}' "$work/metrics.txt")
sequences=$(awk '$1 == "finecat_sequences_total" {print $2}' "$work/metrics.txt")
echo "finecat serve load test: $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) CPUs"
echo "  model          $model"
echo "  load           wrk, $connections connections, $wrk_threads threads, ${duration} s, mix: $mix"
echo "  requests       $(value requests) in $(value duration_s) s = $(value requests_per_s) requests/s"
echo "  latency        p50 $(value p50_ms) ms, p99 $(value p99_ms) ms, max $(value max_ms) ms"
echo "  errors         $(value errors_status) non-2xx, $(value errors_socket) socket errors"
echo "  batching       $sequences pairs in $forwards forwards (warm-up included)"
echo "  server RSS     start $((rss_start / 1024)) MiB, end $((rss_end / 1024)) MiB," \
     "samples (MiB): $(awk '{printf "%d ", $1/1024}' "$work/rss.txt")"
echo "  SIGTERM        exit status $exit_status"

failed=0
[ "$(value errors_status)" = 0 ] && [ "$(value errors_socket)" = 0 ] || failed=1
[ "$exit_status" = 0 ] || failed=1
# Growth allowance: allocator noise and thread stacks, not a leak per request.
[ "$rss_end" -le $((rss_start + rss_start / 10 + 8192)) ] || { echo "  RSS grew"; failed=1; }
exit $failed
