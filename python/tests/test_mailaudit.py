"""The Python API: same reports as the library, typed errors, batches, summaries."""

from __future__ import annotations

import json
import pickle
import threading
import time

import pytest

import mailaudit
from mailaudit import Auditor, MailauditError, Summary, split_mbox


def message(cc: list[str], body: str = "See you Monday.", bcc: str = "") -> bytes:
    head = "From: trainer@tracewell.example\r\nTo: office@tracewell.example\r\n"
    if cc:
        head += f"Cc: {', '.join(cc)}\r\n"
    if bcc:
        head += f"Bcc: {bcc}\r\n"
    return (head + f"Subject: Welcome\r\n\r\n{body}\r\n").encode()


EXPOSED = message([f"trainee{i}@{['gmail.com', 'outlook.com'][i % 2]}" for i in range(12)])
PRIVATE = message([])


def test_audit_returns_the_json_report_as_a_dict():
    report = Auditor().audit(EXPOSED)
    assert report["verdict"] == "quarantine"
    assert "exposed-recipient-list" in {v["rule"] for v in report["violations"]}
    assert report["recipients"]["cc"] == 12
    assert report["sender"]["masked"] != "trainer@tracewell.example"
    assert Auditor().audit(PRIVATE)["verdict"] == "pass"


def test_reports_never_contain_raw_addresses():
    raw = message([f"person{i}@gmail.com" for i in range(12)], bcc="hidden@yahoo.com")
    text = repr(Auditor().audit(raw))
    assert "person3@gmail.com" not in text
    assert "hidden@yahoo.com" not in text


def test_policy_changes_the_verdict():
    strict = Auditor('version = 1\n[rules.exposed-recipient-list]\naction = "reject"\n')
    assert strict.audit(EXPOSED)["verdict"] == "reject"
    assert 'action = "reject"' in strict.policy_toml()
    assert "[recipients]" in mailaudit.DEFAULT_POLICY_TOML


def test_bad_policy_raises_a_typed_error_with_position():
    with pytest.raises(MailauditError, match=r"recipients\.bogus.*line 3"):
        Auditor("version = 1\n[recipients]\nbogus = 1\n")
    with pytest.raises(MailauditError):
        Auditor("version = [")
    assert issubclass(MailauditError, Exception)


def test_unreadable_input_raises_without_echoing_it():
    with pytest.raises(MailauditError, match="empty"):
        Auditor().audit(b"")
    secret = b"no headers here, just jane.doe@gmail.com and text"
    try:
        Auditor().audit(secret)
    except MailauditError as e:
        assert "jane.doe" not in str(e)
    with pytest.raises(TypeError):
        Auditor().audit("a str is not bytes")  # type: ignore[arg-type]


def test_audit_many_matches_audit_and_keeps_order():
    auditor = Auditor()
    batch = [EXPOSED, PRIVATE] * 3000  # more than one internal batch
    reports = auditor.audit_many(iter(batch))
    assert len(reports) == len(batch)
    assert [r["verdict"] for r in reports[:4]] == ["quarantine", "pass"] * 2
    single = auditor.audit(EXPOSED)
    for key in ("verdict", "violations", "findings", "recipients"):
        assert reports[0][key] == single[key]


def test_audit_many_errors_raise_or_report():
    auditor = Auditor()
    with pytest.raises(MailauditError, match="message 1"):
        auditor.audit_many([PRIVATE, b"", PRIVATE])
    reports = auditor.audit_many([PRIVATE, b"", PRIVATE], errors="report")
    assert reports[1] == {"error": "the message is empty"}
    assert reports[2]["verdict"] == "pass"
    with pytest.raises(ValueError):
        auditor.audit_many([PRIVATE], errors="ignore")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        auditor.audit_many([PRIVATE, "text"])  # type: ignore[list-item]


def test_audit_many_json_gives_the_same_reports_as_text():
    auditor = Auditor()
    summary = Summary()
    texts = auditor.audit_many_json([EXPOSED, b"", PRIVATE], errors="report", summary=summary)
    assert all(isinstance(t, str) for t in texts)
    dicts = auditor.audit_many([EXPOSED, b"", PRIVATE], errors="report")
    for text, expected in zip(texts, dicts):
        got = json.loads(text)
        got.get("stats", {}).pop("micros", None)
        expected.get("stats", {}).pop("micros", None)
        assert got == expected
    assert summary.to_dict()["errors"] == 1


def test_audit_many_releases_the_gil():
    # A thread that needs the GIL for a moment every half millisecond keeps
    # ticking only if audit_many lets go of it while auditing. The batch is
    # dominated by scanning (large bodies), not by building the result dicts,
    # during which the GIL is held.
    body = " ".join(f"word{i}" for i in range(40000))
    batch = [message([], body=body)] * 400
    auditor = Auditor()
    ticks = 0
    done = threading.Event()

    def tick():
        nonlocal ticks
        while not done.wait(0.0005):
            ticks += 1

    ticker = threading.Thread(target=tick)
    ticker.start()
    try:
        before = ticks
        started = time.monotonic()
        auditor.audit_many(batch)
        elapsed = time.monotonic() - started
        during = ticks - before
    finally:
        done.set()
        ticker.join()
    # Held for the whole call, the GIL would let the ticker in only at the
    # interpreter's 5 ms switch interval while dicts are built.
    assert elapsed < 0.05 or during > 20, (elapsed, during)


def test_summary_counts_merges_and_pickles():
    auditor = Auditor()
    first, second = Summary(), Summary()
    auditor.audit_many([EXPOSED, PRIVATE, b""], errors="report", summary=first)
    auditor.audit_many([EXPOSED], summary=second)
    first.merge(second)
    d = first.to_dict()
    assert (d["messages"], d["errors"]) == (3, 1)
    assert d["verdicts"] == {"pass": 1, "warn": 0, "quarantine": 2, "reject": 0}
    assert d["violations_by_rule"]["exposed-recipient-list"] == 2
    assert d["top_senders"][0]["messages"] == 2

    doubled = Summary.from_json(first.to_json())
    doubled.merge(doubled)
    assert doubled.to_dict()["messages"] == 6

    again = pickle.loads(pickle.dumps(first))
    assert again.to_dict() == d
    assert Summary.from_json(first.to_json()).to_dict() == d
    with pytest.raises(MailauditError):
        Summary.from_json("[1, 2")


def test_split_mbox_separates_and_unquotes():
    mbox = (
        b"From a@x Mon Jan  1 00:00:00 2024\nSubject: one\n\n>From here\n\n"
        b"From b@y Mon Jan  1 00:00:01 2024\nSubject: two\n\nbody\n"
    )
    messages = split_mbox(mbox)
    assert len(messages) == 2
    assert messages[0] == b"Subject: one\n\nFrom here\n"
    assert all(isinstance(m, bytes) for m in messages)
    assert split_mbox(b"") == []


def test_everything_public_has_a_docstring():
    for name in mailaudit.__all__:
        obj = getattr(mailaudit, name)
        if callable(obj):
            assert obj.__doc__, name
    for method in (Auditor.audit, Auditor.audit_many, Summary.merge, Summary.to_dict):
        assert method.__doc__
