#!/usr/bin/env bash
# C API checks: the committed header matches the code, the C examples build
# against the shared and the static library, run clean under valgrind
# memcheck (no errors, nothing definitely or indirectly lost), and one
# auditor shared by many pthreads gives the same answers as one thread.
#
# Usage: bash ci/ffi.sh        (from the repository root; installs what it
#                               needs with cargo/apt-get when missing)
set -euo pipefail
cd "$(dirname "$0")/.."

CBINDGEN_VERSION=0.29.2
step() { printf '\n== %s\n' "$*"; }
fail() { printf 'ffi.sh: FAIL: %s\n' "$*" >&2; exit 1; }

apt_install() {
    local missing=()
    for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
    if [ "${#missing[@]}" -gt 0 ]; then
        step "apt-get install ${missing[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
}

step "tools"
apt_install gcc make valgrind
if ! cbindgen --version 2>/dev/null | grep -qx "cbindgen $CBINDGEN_VERSION"; then
    cargo install cbindgen --locked --version "$CBINDGEN_VERSION"
fi

step "header drift (include/mailaudit.h vs src/ffi)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cbindgen --quiet --config cbindgen.toml --output "$work/mailaudit.h"
if ! diff -u include/mailaudit.h "$work/mailaudit.h"; then
    fail "include/mailaudit.h is stale: run cbindgen --config cbindgen.toml --output include/mailaudit.h"
fi
echo "header up to date"

step "cargo build --release --lib"
cargo build --release --lib
for lib in target/release/libmailaudit.so target/release/libmailaudit.a; do
    [ -f "$lib" ] || fail "$lib was not built"
done
# The panic boundary needs unwinding: a build with panic=abort would make
# every catch_unwind useless.
grep -A3 '^\[profile.release\]' Cargo.toml | grep -q 'panic *= *"unwind"' \
    || fail 'release profile must keep panic = "unwind"'

step "build C examples (shared + static)"
make -s -C examples/c OUT="$work/c" all

messages=(examples/c/testdata/*)
if compgen -G "examples/messages/*.eml" >/dev/null; then
    messages+=(examples/messages/*.eml)
fi

step "expected verdicts"
"$work/c/audit_files" examples/c/testdata/*.eml | tee "$work/verdicts.txt"
grep -qx 'examples/c/testdata/clean-internal.eml: pass' "$work/verdicts.txt" || fail "clean message not pass"
grep -qx 'examples/c/testdata/incident-cc-300.eml: quarantine' "$work/verdicts.txt" || fail "incident not quarantined"
grep -q '\] exposed-recipient-list: ' "$work/verdicts.txt" || fail "rule id missing"
# The static build and a chunked session give the same output.
"$work/c/audit_files_static" --chunk 61 examples/c/testdata/*.eml > "$work/verdicts-static.txt"
diff -u "$work/verdicts.txt" "$work/verdicts-static.txt" || fail "static/chunked output differs"

vg() {
    valgrind --tool=memcheck --error-exitcode=99 --leak-check=full \
        --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
        --track-origins=yes -q "$@"
}

step "valgrind: audit_files (shared library)"
vg "$work/c/audit_files" "${messages[@]}" >/dev/null
vg "$work/c/audit_files" --json --chunk 113 "${messages[@]}" >/dev/null
echo "no errors, no leaks"

step "valgrind: audit_files (static library)"
vg "$work/c/audit_files_static" "${messages[@]}" >/dev/null
echo "no errors, no leaks"

step "valgrind: error paths (bad policy, size limit)"
printf 'version = 1\n[limits]\nmax_message_bytes = "big"\n' > "$work/bad.toml"
set +e
vg "$work/c/audit_files" --policy "$work/bad.toml" examples/c/testdata/clean-internal.eml 2> "$work/bad.err"
rc=$?
set -e
[ "$rc" -eq 2 ] || fail "bad policy: expected exit 2, got $rc"
grep -q 'max_message_bytes' "$work/bad.err" || fail "policy error does not name the key"
printf 'version = 1\n[limits]\nmax_message_bytes = 2000\n' > "$work/small.toml"
vg "$work/c/audit_files" --policy "$work/small.toml" --chunk 500 "${messages[@]}" > "$work/small.txt" || true
grep -q 'incident-cc-300.eml: error: the message is larger' "$work/small.txt" || fail "size limit not enforced"
echo "no errors, no leaks"

step "valgrind: robustness (NULLs, misuse, 300 random messages whole vs chunked)"
vg "$work/c/robustness" 300

step "valgrind: threads (4 threads, one auditor)"
vg "$work/c/threads" 4 3 "${messages[@]}"

step "natively: robustness (5000 random messages), threads (8 threads x 200 rounds)"
"$work/c/robustness" 5000
"$work/c/threads" 8 200 "${messages[@]}"

step "build the milter"
apt_install libmilter-dev
make -s -C examples/milter OUT="$work/milter"
[ -x "$work/milter/mailaudit-milter" ] || fail "milter not built"

printf '\nffi.sh: all C API checks passed\n'
