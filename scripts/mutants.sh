#!/usr/bin/env bash
# Mutation testing of the code that decides, with cargo-mutants.
#
#   scripts/mutants.sh [GROUP…] [-- extra cargo-mutants arguments]
#
# Groups (default: all of them):
#   core   the aggregate, the pending object, Vault, the limits and the REST
#          surface (routing, query and body parsing, dispatch)
#   x5c    chain decoding and all three validation levels
#   store  the server's store write path (load, the write with its revision
#          check, the key and job changes it carries), run against the
#          server's unit tests and the store suite on memory, redb and
#          PostgreSQL
#
# Each group writes target/mutants-out/GROUP/mutants.out (caught.txt, missed.txt,
# timeout.txt, unviable.txt, outcomes.json); the summary of every group run
# is printed at the end. Every mutant is built in the `mutants` profile (the
# test profile without debug info) and has a fixed time limit. `store` needs
# PostgreSQL's binaries (`.ci/setup` installs them).
set -euo pipefail
cd "$(dirname "$0")/.."

version=27.1.0
if ! cargo mutants --version 2>/dev/null | grep -qx "cargo-mutants $version"; then
    cargo install --locked cargo-mutants --version "$version"
fi

groups=()
extra=()
while (($#)); do
    if [[ $1 == -- ]]; then
        shift
        extra=("$@")
        break
    fi
    groups+=("$1")
    shift
done
((${#groups[@]})) || groups=(core x5c store)

common=(--profile mutants --timeout 120 --build-timeout 600 --jobs "${MUTANTS_JOBS:-2}" --no-shuffle)

run() {
    local group=$1
    shift
    echo "== $group" >&2
    mkdir -p "target/mutants-out/$group"
    # cargo-mutants exits non-zero when a mutant is missed; the summary says so.
    cargo mutants "${common[@]}" --output "target/mutants-out/$group" "$@" "${extra[@]}" || true
}

for group in "${groups[@]}"; do
    case $group in
    core)
        run core --package pending-certificate \
            -f src/certificate.rs -f src/pending.rs -f src/vault.rs -f src/limits.rs -f 'src/rest/*.rs' \
            --cargo-test-arg=--tests
        ;;
    x5c)
        # The tests that reach chains: the three levels, the peer suite,
        # CSRs, and merge and import through the domain API and REST. The
        # survivors are worth a second run with every test
        # (`-- --iterate --cargo-test-arg=--tests`).
        x5c_tests=()
        for t in x5c x5c_levels limbo csr operations rest hostile replay; do
            x5c_tests+=(--cargo-test-arg=--test="$t")
        done
        run x5c --package pending-certificate -f 'src/x5c/*.rs' --cargo-test-arg=--lib "${x5c_tests[@]}"
        ;;
    store)
        run store --package pending-certificate-server \
            -f server/src/store/mod.rs -f server/src/store/memory.rs -f server/src/store/redb.rs \
            -f server/src/store/postgres.rs \
            --re '(::write|write_name|write_groups|key_changes|::load)( |$)' \
            --cargo-test-arg=--lib --cargo-test-arg=--test=store
        ;;
    *)
        echo "unknown group: $group (core, x5c, store)" >&2
        exit 2
        ;;
    esac
done

echo
printf '%-6s %8s %8s %8s %8s %8s\n' group caught missed timeout unviable score
for group in "${groups[@]}"; do
    out=target/mutants-out/$group/mutants.out
    [[ -d $out ]] || continue
    count() { if [[ -f $out/$1.txt ]]; then grep -c . "$out/$1.txt" || true; else echo 0; fi; }
    caught=$(count caught) missed=$(count missed) timeout=$(count timeout) unviable=$(count unviable)
    viable=$((caught + missed + timeout))
    score=$(awk -v c="$caught" -v v="$viable" 'BEGIN { if (v) printf "%.1f%%", 100 * c / v; else print "-" }')
    printf '%-6s %8s %8s %8s %8s %8s\n' "$group" "$caught" "$missed" "$timeout" "$unviable" "$score"
done
