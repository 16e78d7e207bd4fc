#!/usr/bin/env bash
# Builds the Python package (python/) into a venv and runs its pytest suite,
# including the Spark example against the CLI's --summary.
#
# Needs: python3 (3.9+, with venv), Java 17+ for PySpark, cargo. Installs what
# is missing on Debian with apt-get. Run from anywhere: bash ci/python.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
VENV=$ROOT/target/py-venv

apt_install() {
    if command -v apt-get >/dev/null; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
    else
        echo "ci/python.sh: missing $* and no apt-get" >&2
        exit 1
    fi
}

if ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
    apt_install python3-venv
fi
# PySpark 4 needs Java 17 or later.
if ! java -version 2>&1 | grep -Eq 'version "(1[7-9]|[2-9][0-9])'; then
    apt_install openjdk-17-jre-headless
fi

if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install -q --disable-pip-version-check 'maturin>=1.5,<2' pytest pyspark

# The CLI the Spark test compares against, then the wheel. The wheel gets its
# own target directory: the root package is a cdylib, so its rlib has no hash
# in its file name and two workspaces sharing one directory overwrite each
# other's copy (rustc then sees two serde_core builds).
cargo build --release --bin mailaudit
rm -f "$ROOT"/target/wheels/mailaudit-*.whl
(cd python && CARGO_TARGET_DIR="$ROOT/target/python" "$VENV/bin/maturin" build --release \
    --interpreter "$VENV/bin/python" --out "$ROOT/target/wheels")
"$VENV/bin/pip" install -q --disable-pip-version-check --force-reinstall --no-deps \
    "$ROOT"/target/wheels/mailaudit-*.whl

# Fail, not skip, when the CLI or PySpark is missing.
export MAILAUDIT_REQUIRE=cli,spark
export MAILAUDIT_CLI=$ROOT/target/release/mailaudit
export PYSPARK_PYTHON=$VENV/bin/python
cd python
"$VENV/bin/python" -m pytest -q -p no:cacheprovider tests
