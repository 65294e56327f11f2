#!/usr/bin/env bash
# Fuzzing with cargo-fuzz (libFuzzer) on the stable toolchain.
#
#   scripts/fuzz.sh [TARGET…]            run each target (default: every one)
#   FUZZ_RUNS=N scripts/fuzz.sh …        executions per target (default 10 000 000)
#   FUZZ_SECONDS=S scripts/fuzz.sh …     a time limit per target instead (or as
#                                        well, when FUZZ_RUNS is also given)
#   scripts/fuzz.sh --cmin [TARGET…]     minimize the committed corpora
#   FUZZ_JOB=K scripts/fuzz.sh TARGET    one of several runs of a target at once
#                                        (one per core; its own log, the same corpus)
#
# Each run starts from fuzz/corpus/TARGET (the committed corpus
# tests/fuzz_corpus.rs replays) and what earlier runs found
# (target/fuzz-corpus/TARGET, where it adds what it finds), stops at the
# first crash, panic, timeout (10 s for one input) or failed invariant,
# leaving the input in fuzz/artifacts/TARGET/, and appends its executions
# to target/fuzz-runs.tsv (date, target, executions, seconds, result).
# `--cmin` merges both into the smallest set of the committed corpus's
# files and the finds that covers as much, and writes it to fuzz/corpus/.
# Built without a sanitizer: the project's code forbids `unsafe`, and the
# executions count.
set -euo pipefail
cd "$(dirname "$0")/.."

version=0.13.2
if ! cargo fuzz --version 2>/dev/null | grep -qx "cargo-fuzz $version"; then
    cargo install --locked cargo-fuzz --version "$version"
fi
# cargo-fuzz passes flags only nightly takes; this lets stable take them.
export RUSTC_BOOTSTRAP=1

cmin=false
if [[ ${1:-} == --cmin ]]; then
    cmin=true
    shift
fi
targets=("$@")
if ((${#targets[@]} == 0)); then
    mapfile -t targets < <(cd fuzz && cargo fuzz list)
fi

build=(--sanitizer none --release)
mkdir -p target
log=target/fuzz-runs.tsv
for target in "${targets[@]}"; do
    found=../target/fuzz-corpus/$target
    mkdir -p "fuzz/$found"
    if $cmin; then
        merged=../target/fuzz-merged/$target
        rm -rf "fuzz/$merged" && mkdir -p "fuzz/$merged"
        (cd fuzz && cargo fuzz run "${build[@]}" "$target" -- -merge=1 "$merged" "corpus/$target" "$found")
        rm -rf "fuzz/corpus/$target" && mv "fuzz/$merged" "fuzz/corpus/$target"
        echo "$target: $(find "fuzz/corpus/$target" -type f | wc -l) files" >&2
        continue
    fi
    limit=()
    [[ -n ${FUZZ_SECONDS:-} ]] && limit+=(-max_total_time="$FUZZ_SECONDS")
    [[ -n ${FUZZ_RUNS:-} || -z ${FUZZ_SECONDS:-} ]] && limit+=(-runs="${FUZZ_RUNS:-10000000}")
    out=target/fuzz-$target${FUZZ_JOB:+-$FUZZ_JOB}.log
    start=$(date +%s)
    result=ok
    (cd fuzz && cargo fuzz run "${build[@]}" "$target" "$found" "corpus/$target" -- \
        "${limit[@]}" -timeout=10 -rss_limit_mb=4096 -max_len=65536 -print_final_stats=1) 2>"$out" || result=failed
    seconds=$(($(date +%s) - start))
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$out" | grep -o '[0-9]*$' | tail -1 || true)
    printf '%s\t%s\t%s\t%s\t%s\n' "$(date -u +%F)" "$target" "${execs:-0}" "$seconds" "$result" | tee -a "$log"
    if [[ $result != ok ]]; then
        tail -40 "$out" >&2
        exit 1
    fi
done
