"""The Spark example on a generated archive: its totals must equal the CLI's."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import required

try:
    import pyspark  # noqa: F401
except ImportError:
    if required("spark"):
        raise
    pytest.skip("pyspark is not installed", allow_module_level=True)

import audit_mbox  # examples/spark, put on sys.path by conftest
import synth_archive

MESSAGES = 3000


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("archive")
    synth_archive.write_archive(out, MESSAGES, files=4, seed=9)
    return out


@pytest.fixture(scope="module")
def spark():
    from pyspark.sql import SparkSession

    # Workers must run this interpreter, the one with mailaudit installed.
    os.environ["PYSPARK_PYTHON"] = sys.executable
    session = (
        SparkSession.builder.master("local[2]")
        .appName("mailaudit-test")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def cli_summary(cli: Path, archive: Path) -> dict:
    run = subprocess.run(
        [str(cli), "scan", "--summary", "--format", "json", "--quiet", str(archive)],
        capture_output=True,
        check=False,
    )
    # Exit status 1: rules fired; 2: some inputs were errors. Both expected here.
    assert run.returncode in (0, 1, 2), run.stderr.decode(errors="replace")
    return json.loads(run.stdout)["summary"]


def test_spark_totals_equal_the_cli_summary(spark, archive, cli, tmp_path):
    expected = cli_summary(cli, archive)
    summary = audit_mbox.audit_archive(spark, str(archive), str(tmp_path / "out"))

    assert summary == expected
    # The archive exercises every path: a real mix, not an empty match.
    assert summary["messages"] + summary["errors"] == MESSAGES
    assert summary["errors"] == MESSAGES // 500
    for rule in ("exposed-recipient-list", "bcc-header-leak", "recipient-list-in-content"):
        assert summary["violations_by_rule"][rule] > 0, rule
    assert summary["verdicts"]["pass"] > 0 and summary["top_senders"]

    rows = spark.read.parquet(str(tmp_path / "out" / "rows"))
    reports = rows.where("kind = 'report'")
    assert reports.count() == MESSAGES
    assert reports.where("error IS NOT NULL").count() == summary["errors"]
    quarantined = reports.where("verdict = 'quarantine'").count()
    assert quarantined == summary["verdicts"]["quarantine"]
    one = json.loads(reports.where("verdict = 'quarantine'").first().report)
    assert one["violations"]

    table = {
        (r.section, r.key): r["count"]
        for r in spark.read.json(str(tmp_path / "out" / "summary_table")).collect()
    }
    assert table[("total", "messages")] == summary["messages"]
    assert table[("verdict", "warn")] == summary["verdicts"]["warn"]


def test_python_split_and_audit_equal_the_cli(archive, cli):
    # Without Spark: the package alone gives the CLI's numbers too.
    import mailaudit

    auditor, summary = mailaudit.Auditor(), mailaudit.Summary()
    for path in sorted(archive.iterdir()):
        auditor.audit_many(mailaudit.split_mbox(path.read_bytes()), errors="report", summary=summary)
    assert summary.to_dict() == cli_summary(cli, archive)


def test_partition_function_uses_the_policy_and_ends_with_its_summary():
    # The mapPartitions body on its own, with a policy that rejects exposed lists.
    import mailaudit

    entries = [synthetic_entry(i) for i in range(40)]
    mbox = b"".join(synth_archive.mbox_entry(raw) for raw in entries)
    messages = list(audit_mbox.split_file(("file:/a/sent.mbox", mbox)))
    assert [loc for loc, _ in messages[:2]] == ["file:/a/sent.mbox#1", "file:/a/sent.mbox#2"]

    policy = 'version = 1\n[rules.exposed-recipient-list]\naction = "reject"\n'
    rows = list(audit_mbox.audit_partition(policy)(iter(messages)))
    assert [kind for kind, _, _ in rows] == ["report"] * 40 + ["summary"]
    summary = mailaudit.Summary.from_json(rows[-1][2]).to_dict()
    assert summary["messages"] == 40
    reports = [json.loads(text) for _, _, text in rows[:-1]]
    exposed = [r for r in reports if any(v["rule"] == "exposed-recipient-list" for v in r["violations"])]
    assert exposed and all(r["verdict"] == "reject" for r in exposed)
    assert summary["verdicts"]["reject"] == len(exposed)


def synthetic_entry(index: int) -> bytes:
    import random

    return synth_archive.make_message(random.Random(index), index)
