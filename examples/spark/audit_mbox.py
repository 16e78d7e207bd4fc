"""Audit a directory of mbox archives with PySpark and the mailaudit package.

The same code runs in local mode and on a cluster: only the master changes.

    python audit_mbox.py ARCHIVE_DIR OUT_DIR [--policy POLICY.toml] [--master local[*]]
    spark-submit audit_mbox.py ARCHIVE_DIR OUT_DIR          # master from spark-submit

How the job is laid out, and why:

1. ``binaryFiles`` reads each mbox file whole (one record per file); the
   files are split into messages by the Rust splitter (``mailaudit.split_mbox``),
   the same code ``mailaudit scan`` streams with, so counts agree with the CLI.
2. ``mapPartitions`` builds one ``Auditor`` per partition (compiling the policy
   is the expensive step) and audits the partition's messages in batches with
   ``audit_many_json``, which releases the GIL, uses the executor's cores and
   hands back JSON text (the JVM pulls ``verdict`` and ``error`` out of it).
   Each partition also fills one ``mailaudit.Summary``.
3. One action writes everything as Parquet, partitioned by ``kind``:
   ``rows/kind=report`` holds one row per message (location, verdict, error,
   the JSON report), ``rows/kind=summary`` one row per partition with that
   partition's summary. Writing both in one pass means the archive is audited
   once, and Spark's output commit keeps a retried task from counting twice.
4. The driver reads the small summary rows back, merges them with the Rust
   ``Summary.merge`` (so the totals are computed exactly as the CLI computes
   them), writes the aggregate as a table (``summary_table``: section, key,
   count) and returns it.

Limit: ``binaryFiles`` holds one file in an executor's memory at a time, so an
mbox file must fit in memory; split larger archives first (or stream them with
``mailaudit scan``, which reads mbox in constant memory).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any, Iterable, Iterator, Optional

import mailaudit

# Messages handed to ``audit_many`` at once: enough to keep the executor's
# cores busy, small enough to bound the memory of one batch.
BATCH_MESSAGES = 1024

ROW_SCHEMA_DDL = "kind STRING, location STRING, report STRING"


def split_file(path_and_bytes: tuple[str, bytes]) -> Iterator[tuple[str, bytes]]:
    """One mbox file -> (location, raw message) pairs, numbered from 1 as the CLI does."""
    path, data = path_and_bytes
    for index, raw in enumerate(mailaudit.split_mbox(bytes(data)), start=1):
        yield f"{path}#{index}", raw


def audit_partition(policy_toml: Optional[str]):
    """The ``mapPartitions`` function: one Auditor and one Summary per partition."""

    def run(messages: Iterable[tuple[str, bytes]]) -> Iterator[tuple]:
        auditor = mailaudit.Auditor(policy_toml)
        summary = mailaudit.Summary()
        batch: list[tuple[str, bytes]] = []

        def flush() -> Iterator[tuple]:
            # JSON text straight from Rust: no dicts built only to be
            # serialised again; the JVM extracts the columns it needs.
            reports = auditor.audit_many_json(
                [raw for _, raw in batch], errors="report", summary=summary
            )
            for (location, _), report in zip(batch, reports):
                yield ("report", location, report)
            batch.clear()

        for item in messages:
            batch.append(item)
            if len(batch) >= BATCH_MESSAGES:
                yield from flush()
        if batch:
            yield from flush()
        yield ("summary", None, summary.to_json())

    return run


def summary_rows(summary: dict[str, Any]) -> list[tuple[str, str, int]]:
    """The summary flattened into (section, key, count) rows: the aggregate table."""
    rows = [
        ("total", name, summary[name]) for name in ("messages", "errors", "incomplete", "bytes")
    ]
    rows += [("verdict", k, v) for k, v in summary["verdicts"].items()]
    for section in ("violations_by_rule", "findings_by_type", "findings_by_category"):
        rows += [(section, k, v) for k, v in summary[section].items()]
    rows += [
        ("top_sender_violations", f"{s['masked']} ({s['id']})", s["violations"])
        for s in summary["top_senders"]
    ]
    return rows


def audit_archive(spark, archive_dir: str, out_dir: str, policy_toml: Optional[str] = None) -> dict:
    """Audits every mbox file in ``archive_dir``; writes ``out_dir/rows``
    (Parquet) and ``out_dir/summary_table`` (JSON lines); returns the summary
    as a dict, in the shape of ``mailaudit scan --summary --format json``."""
    sc = spark.sparkContext
    # Imported as a module (not run as a script), this file's functions are
    # pickled by reference: the executors need the file itself.
    sc.addPyFile(os.path.abspath(__file__))
    if policy_toml is not None:
        mailaudit.Auditor(policy_toml)  # fail on the driver, before any task starts
    parallelism = sc.defaultParallelism
    files = sc.binaryFiles(archive_dir, minPartitions=parallelism)
    messages = files.flatMap(split_file)
    if messages.getNumPartitions() < parallelism:
        messages = messages.repartition(parallelism)
    rows = messages.mapPartitions(audit_partition(policy_toml))

    from pyspark.sql import functions as F

    is_report = F.col("kind") == "report"
    error = F.get_json_object("report", "$.error")
    rows_table = spark.createDataFrame(rows, ROW_SCHEMA_DDL).select(
        "kind",
        "location",
        F.when(is_report, F.get_json_object("report", "$.verdict")).alias("verdict"),
        F.when(is_report, error).alias("error"),
        F.when(error.isNull(), F.col("report")).alias("report"),
    )
    rows_dir = os.path.join(out_dir, "rows")
    rows_table.write.mode("overwrite").partitionBy("kind").parquet(rows_dir)

    total = mailaudit.Summary()
    partials = spark.read.parquet(rows_dir).where("kind = 'summary'").select("report")
    for row in partials.toLocalIterator():
        total.merge(mailaudit.Summary.from_json(row.report))
    summary = total.to_dict()

    table = spark.createDataFrame(summary_rows(summary), "section STRING, key STRING, count LONG")
    table.coalesce(1).write.mode("overwrite").json(os.path.join(out_dir, "summary_table"))
    return summary


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description="Audit a directory of mbox files with Spark.")
    parser.add_argument("archive_dir")
    parser.add_argument("out_dir")
    parser.add_argument("--policy", help="policy TOML file (only what differs from the default)")
    parser.add_argument("--master", help="Spark master, e.g. local[*] (default: from spark-submit)")
    args = parser.parse_args(argv)

    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName("mailaudit-mbox")
    if args.master:
        builder = builder.master(args.master)
    spark = builder.getOrCreate()
    try:
        policy = None
        if args.policy:
            with open(args.policy, encoding="utf-8") as f:
                policy = f.read()
        summary = audit_archive(spark, args.archive_dir, args.out_dir, policy)
    finally:
        spark.stop()
    json.dump(summary, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
