#!/usr/bin/env bash
# Builds the fuzz targets in fuzz/ and runs each for a bounded time; a crash
# (or a leak, timeout or out-of-memory reported by libFuzzer) fails the run.
#
#   ci/fuzz.sh [SECONDS_PER_TARGET]      (default 30; also $FUZZ_SECONDS)
#
# $FUZZ_SANITIZER (default `none`): the library is safe Rust but for
# src/ffi, which c_api_session drives; `address` checks those unsafe blocks
# for memory errors too, at about twice the build time on a 2-core machine.
#
# Stable Rust: RUSTC_BOOTSTRAP=1 lets cargo-fuzz pass the sanitizer flags it
# needs. Crash inputs land in fuzz/artifacts/<target>/; copy each one into
# fuzz/regressions/<target>/ once fixed, so `cargo test --test fuzz_seeds`
# replays it forever.
set -euo pipefail

cd "$(dirname "$0")/.."
seconds="${1:-${FUZZ_SECONDS:-30}}"
sanitizer="${FUZZ_SANITIZER:-none}"
targets=(audit_bytes address_headers label_headers c_api_session policy_toml)
# Pinned: builds on Rust 1.95.
cargo_fuzz_version="0.13.1"

export RUSTC_BOOTSTRAP=1
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "ci/fuzz.sh: installing cargo-fuzz ${cargo_fuzz_version}"
    cargo install cargo-fuzz --version "${cargo_fuzz_version}" --locked
fi

# Seed corpora: example messages and policies, and the kept regressions.
for target in "${targets[@]}"; do
    corpus="fuzz/corpus/${target}"
    mkdir -p "${corpus}"
    case "${target}" in
        policy_toml) pattern='*.toml' ;;
        *) pattern='*.eml' ;;
    esac
    if [ -d examples ]; then
        find examples -type f -name "${pattern}" -exec cp -t "${corpus}" {} +
    fi
    if [ -d "fuzz/regressions/${target}" ]; then
        find "fuzz/regressions/${target}" -type f -exec cp -t "${corpus}" {} +
    fi
    if [ "${target}" = policy_toml ]; then
        cp src/policy/default.toml "${corpus}/default.toml"
    fi
done

# One build of all targets. `--release` stops cargo-fuzz from adding
# -Cdebug-assertions for every crate; debug assertions and overflow checks
# come from fuzz/Cargo.toml's release profile instead (on for mailaudit, off
# for mail-parser, whose known debug_assert! would stop every run).
cargo fuzz build --release --sanitizer "${sanitizer}" 2>&1 | tail -n 3 || {
    echo "ci/fuzz.sh: building the fuzz targets failed" >&2
    exit 1
}

status=0
for target in "${targets[@]}"; do
    echo "ci/fuzz.sh: fuzzing ${target} for ${seconds}s"
    # -rss_limit_mb: the audit must stay far below this on any input;
    # -timeout: one input taking this long is a failure (not linear).
    if ! cargo fuzz run --release --sanitizer "${sanitizer}" "${target}" "fuzz/corpus/${target}" -- \
        -max_total_time="${seconds}" -rss_limit_mb=2048 -timeout=10 \
        -max_len=262144 -print_final_stats=1 2>&1 | tail -n 25; then
        echo "ci/fuzz.sh: ${target} FAILED; inputs in fuzz/artifacts/${target}/" >&2
        status=1
    fi
done
exit "${status}"
