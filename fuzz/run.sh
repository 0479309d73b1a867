#!/usr/bin/env bash
# Runs every fuzz target for a fixed number of executions (default 100,000; the closing
# note's long runs used 10,000,000), on the nightly toolchain, with the corpus under
# fuzz/corpus/<target>. A crash stops the run and leaves its input in fuzz/artifacts/.
#   fuzz/run.sh [executions] [target…]
set -euo pipefail
cd "$(dirname "$0")"
runs="${1:-100000}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(photo id_number csv_import package package_signed notification session_token json_bodies)
fi
for target in "${targets[@]}"; do
  mkdir -p "corpus/$target"
  echo "== $target: $runs executions"
  log=$(mktemp)
  if ! cargo +nightly fuzz run "$target" "corpus/$target" -- -runs="$runs" -max_len=65536 >"$log" 2>&1; then
    grep -E "panicked|SUMMARY|Test unit|artifact" "$log" | head -20
    echo "== $target: CRASHED (input in fuzz/artifacts/$target/)"
    exit 1
  fi
  grep -E "^#[0-9]+\s+(DONE|INITED)|^Done" "$log" || true
  rm -f "$log"
done
