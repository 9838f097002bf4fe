#!/usr/bin/env bash
# Fuzzes the protocol core with cargo-fuzz (libFuzzer): the P2P message decoder and handler
# entry, the transaction and block JSON decoders, every canonical binary decoder, and block
# validation with mutated blocks; the miner's SHA-256 kernels and the signature check against
# their references. docs/RELIABILITY.md ("Fuzzing") describes the targets.
#
#   scripts/fuzz.sh quick            each target for 10 s (FUZZ_QUICK_SECONDS) on its seed corpus
#   scripts/fuzz.sh long [seconds]   each target for [seconds] (default 300)
#
# Each run starts from a copy of fuzz/corpus/<target> in a temporary directory, so the repository
# is never changed; a crash leaves its input in fuzz/artifacts/<target>/ (ignored by git) and
# fails the script. One line per target gives the executions; the last line is
# "fuzz: N targets passed".
#
# Works on stable Rust: cargo-fuzz passes the sanitizer and coverage flags with -Z, which stable
# rustc accepts under RUSTC_BOOTSTRAP=1. AddressSanitizer works with the prebuilt standard
# library; FUZZ_SANITIZER=none builds without it (about twice the executions per second; the
# core has no unsafe code).
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-quick}
case "$mode" in
  quick) seconds=${FUZZ_QUICK_SECONDS:-10} ;;
  long) seconds=${2:-300} ;;
  *)
    echo "usage: scripts/fuzz.sh quick | long [seconds]" >&2
    exit 2
    ;;
esac
targets=(p2p_message transaction_json block_json binary_decoders mutated_block pow_kernels verify_differential)
sanitizer=${FUZZ_SANITIZER:-address}
export RUSTC_BOOTSTRAP=1

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "==> installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi

started=$(date +%s)
echo "==> building ${#targets[@]} fuzz targets (sanitizer: $sanitizer)"
nice -n 10 cargo fuzz build -s "$sanitizer"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for t in "${targets[@]}"; do
  mkdir -p "$work/$t"
  cp -R "fuzz/corpus/$t/." "$work/$t/"
  log="$work/$t.log"
  set +e
  # One process, one worker (the default); -timeout turns a hang into a failure.
  nice -n 10 cargo fuzz run -s "$sanitizer" "$t" "$work/$t" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 >"$log" 2>&1
  rc=$?
  set -e
  if [ "$rc" -ne 0 ]; then
    echo "fuzz: $t FAILED (exit $rc); the end of its log:"
    tail -n 60 "$log"
    echo "fuzz: the failing input is in fuzz/artifacts/$t/"
    exit 1
  fi
  execs=$(grep -Eo 'stat::number_of_executed_units: [0-9]+' "$log" | awk '{print $2}' | tail -n 1)
  took=$(grep -Eo 'Done [0-9]+ runs in [0-9]+ second' "$log" | awk '{print $5}' | tail -n 1)
  corpus=$(find "$work/$t" -type f | wc -l)
  rate=$(( ${execs:-0} / (${took:-1} > 0 ? ${took:-1} : 1) ))
  echo "fuzz: $t: ${execs:-0} executions in ${took:-?} s (${rate}/s), corpus ${corpus} inputs, no crash"
done
echo "fuzz: done in $(( $(date +%s) - started )) s"
echo "fuzz: ${#targets[@]} targets passed"
