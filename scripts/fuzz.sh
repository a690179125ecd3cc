#!/usr/bin/env bash
# Runs the cargo-fuzz targets in fuzz/ against crates/core, one after another.
#
#   scripts/fuzz.sh [seconds] [target...]     # default: 30 s each, every target
#   FUZZ_RUNS=10000000 scripts/fuzz.sh 1800   # stop each target at 10 M executions or 30 min
#
# Needs nightly Rust and cargo-fuzz (`cargo install cargo-fuzz`). Each target runs at nice 19 (it
# never competes with tests or benchmarks) with a 2 GiB RSS limit and a 10 s per-input timeout.
# The working corpus grows in fuzz/corpus/<target> (not committed); it is seeded from
# fuzz/seeds/<target> and, for the image targets, from the image fixtures under 64 KiB.
# Findings land in fuzz/artifacts/<target>/, logs in fuzz/artifacts/<target>.log. Exits non-zero
# when a target found a crash, hang or OOM; prints each target's execution count.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

seconds="${1:-30}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(hash_parse image_metadata image_pipeline image_encode image_geometry decompress json_scan)
max_runs="${FUZZ_RUNS:-0}"
if ! [[ "$seconds" =~ ^[1-9][0-9]*$ ]] || ! [[ "$max_runs" =~ ^[0-9]+$ ]]; then
  echo "usage: scripts/fuzz.sh [seconds] [target...]" >&2
  exit 2
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  echo "fuzz.sh: needs nightly Rust and cargo-fuzz (rustup toolchain install nightly; cargo install cargo-fuzz)" >&2
  exit 2
fi

# Optimised, with debug assertions and overflow checks, under AddressSanitizer (the default).
# One target given: build only that one.
only=()
[ ${#targets[@]} -eq 1 ] && only=("${targets[0]}")
(cd fuzz && nice -n 19 cargo +nightly fuzz build --release --debug-assertions "${only[@]}")
bin_dir="$root/fuzz/target/$(rustc +nightly -vV | sed -n 's/^host: //p')/release"

# Image seeds: the fixtures under 64 KiB (the pipeline's inputs), copied into a temporary directory;
# image_encode's inputs start with a selector byte, cycled over the files.
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/images" "$tmp/images-encode"
n=0
while IFS= read -r -d '' f; do
  case "$f" in
    *.md | *.txt | *.toml | *.jsonl | *LICENSE* | *README*) continue ;;
  esac
  cp "$f" "$tmp/images/$n"
  sel=$(((n * 37) & 255))
  { printf "\\x$(printf %02x "$sel")"; cat "$f"; } >"$tmp/images-encode/$n"
  n=$((n + 1))
done < <(find __test__/fixtures/images -type f -size -64k -print0 | sort -z)

failed=0
summary=()
for t in "${targets[@]}"; do
  seeds=()
  extra=()
  case "$t" in
    hash_parse) seeds=(fuzz/seeds/hash_parse) extra=(-dict=fuzz/hash_parse.dict -max_len=1100) ;;
    decompress) seeds=(fuzz/seeds/decompress) extra=(-max_len=8192) ;;
    json_scan) seeds=(crates/core/tests/fuzz-regressions/json_scan) extra=(-dict=fuzz/json.dict -max_len=4096) ;;
    image_metadata | image_pipeline) seeds=("$tmp/images") extra=(-max_len=65536) ;;
    image_encode) seeds=("$tmp/images-encode") extra=(-max_len=65537) ;;
    image_geometry) seeds=(crates/core/tests/fuzz-regressions/image_geometry) extra=(-max_len=32) ;;
    *)
      echo "fuzz.sh: unknown target '$t'" >&2
      exit 2
      ;;
  esac
  mkdir -p "fuzz/corpus/$t" "fuzz/artifacts/$t"
  log="fuzz/artifacts/$t.log"
  echo "== $t: ${seconds}s (log: $log)"
  : >"$log"
  start=$(date +%s)
  execs=0
  result=ok
  # libFuzzer's -timeout counts wall time, and at nice 19 on a busy machine a fast input can wait
  # longer than that for a CPU. A timeout whose input replays within 10 s of CPU time is such a
  # stall: it is set aside (spurious-*) and fuzzing resumes for the time left.
  while left=$((seconds - ($(date +%s) - start))) && [ "$left" -gt 0 ]; do
    runs=()
    if [ "$max_runs" -gt 0 ]; then
      [ "$execs" -lt "$max_runs" ] || break
      runs=(-runs=$((max_runs - execs)))
    fi
    rc=0
    nice -n 19 "$bin_dir/$t" "fuzz/corpus/$t" "${seeds[@]}" "${extra[@]}" "${runs[@]}" \
      -max_total_time="$left" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
      -artifact_prefix="fuzz/artifacts/$t/" >"$log.part" 2>&1 || rc=$?
    cat "$log.part" >>"$log"
    n=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log.part" | tail -1)
    execs=$((execs + ${n:-0}))
    [ "$rc" -eq 0 ] && break
    artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log.part" | tail -1)
    if [ "$rc" -eq 70 ] && [ -n "$artifact" ] && grep -q 'libFuzzer: timeout' "$log.part"; then
      TIMEFORMAT='%3U %3S'
      cpu=$({ time nice -n 19 timeout 600 "$bin_dir/$t" "$artifact" >/dev/null 2>&1; } 2>&1) && replay=0 || replay=$?
      if [ "$replay" -eq 0 ] && awk -v t="$cpu" 'BEGIN { split(t, a, " "); exit !(a[1] + a[2] < 10) }'; then
        echo "   spurious timeout (the input replays in ${cpu% *}s of user CPU): $artifact, resuming"
        mv "$artifact" "$(dirname "$artifact")/spurious-$(basename "$artifact")"
        continue
      fi
    fi
    result="FAILED (exit $rc)"
    failed=1
    grep -E '^(==[0-9]+==ERROR|SUMMARY|thread .* panicked|artifact_prefix|Test unit written)' "$log.part" | head -20 || true
    break
  done
  rm -f "$log.part"
  took=$(($(date +%s) - start))
  line="$t: $execs execs in ${took}s, $result"
  echo "$line"
  summary+=("$line")
done

echo "== summary"
printf '%s\n' "${summary[@]}"
exit "$failed"
