"""Messages per second on one generated archive: the CLI on one core, the CLI
on all cores, the Python package in one process, and the Spark job in local
mode.

    python benchmark.py [--messages 50000] [--cli target/release/mailaudit] [--runs 3]

Each figure is the best of ``--runs`` runs (the machine is shared; the best
run is the least disturbed one). The Spark figure times ``audit_archive``
only, with the session already started (JVM start-up is reported apart).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import audit_mbox
import synth_archive


def best_of(runs: int, action) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=50000)
    parser.add_argument("--files", type=int, default=8)
    parser.add_argument("--cli", default="target/release/mailaudit")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--master", default="local[*]")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="mailaudit-bench-"))
    archive = work / "archive"
    synth_archive.write_archive(archive, args.messages, files=args.files)
    size_mb = sum(p.stat().st_size for p in archive.iterdir()) / 1e6
    print(f"archive: {args.messages} messages, {size_mb:.1f} MB in {args.files} files")

    def cli(*extra: str):
        def run():
            subprocess.run(
                [args.cli, "scan", "--summary", "--format", "json", "--quiet", *extra, str(archive)],
                stdout=subprocess.DEVNULL,
                check=False,
            )

        return run

    results = {}
    results["cli --jobs 1"] = best_of(args.runs, cli("--jobs", "1"))
    results[f"cli all cores ({os.cpu_count()})"] = best_of(args.runs, cli())

    import mailaudit

    def package():
        auditor, summary = mailaudit.Auditor(), mailaudit.Summary()
        for path in sorted(archive.iterdir()):
            messages = mailaudit.split_mbox(path.read_bytes())
            auditor.audit_many_json(messages, errors="report", summary=summary)

    results["python audit_many_json"] = best_of(args.runs, package)

    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    started = time.perf_counter()
    spark = (
        SparkSession.builder.master(args.master)
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    startup = time.perf_counter() - started
    out = str(work / "out")
    results[f"spark {args.master}"] = best_of(
        args.runs, lambda: audit_mbox.audit_archive(spark, str(archive), out)
    )
    spark.stop()

    for name, seconds in results.items():
        print(f"{name:24} {seconds:7.2f} s  {args.messages / seconds:9.0f} messages/s")
    print(f"spark session start-up  {startup:7.2f} s (not included above)")
    print(json.dumps({k: round(args.messages / v) for k, v in results.items()}))


if __name__ == "__main__":
    main()
