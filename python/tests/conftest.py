"""Shared fixtures: where the repository, the CLI and the Spark example are."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SPARK_EXAMPLE = REPO / "examples" / "spark"
sys.path.insert(0, str(SPARK_EXAMPLE))


def required(name: str) -> bool:
    """ci/python.sh sets MAILAUDIT_REQUIRE=cli,spark so a missing piece fails
    there instead of being skipped."""
    return name in os.environ.get("MAILAUDIT_REQUIRE", "").split(",")


@pytest.fixture(scope="session")
def cli() -> Path:
    """The release CLI (built by ci/python.sh), or MAILAUDIT_CLI."""
    path = Path(os.environ.get("MAILAUDIT_CLI", REPO / "target" / "release" / "mailaudit"))
    if not path.is_file():
        if required("cli"):
            pytest.fail(f"CLI not found at {path}")
        pytest.skip(f"CLI not built at {path} (cargo build --release)")
    return path
