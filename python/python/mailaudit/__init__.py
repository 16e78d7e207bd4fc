"""Audit outbound e-mail for exposed recipient lists and personal data.

The auditing is done by the Rust library ``mailaudit``; this package is a thin
binding over it, so a report here is the same report ``mailaudit scan
--format json`` prints::

    import mailaudit

    auditor = mailaudit.Auditor()          # default policy; or Auditor(toml_text)
    report = auditor.audit(raw_bytes)      # dict: verdict, violations, findings...
    reports = auditor.audit_many(batch)    # parallel, GIL released

    summary = mailaudit.Summary()
    with open("sent.mbox", "rb") as f:
        messages = mailaudit.split_mbox(f.read())
    auditor.audit_many(messages, errors="report", summary=summary)
    print(summary.to_dict()["verdicts"])

Reports and errors never contain raw personal data: values are masked.
"""

from ._native import (
    DEFAULT_POLICY_TOML,
    Auditor,
    MailauditError,
    Summary,
    __version__,
    split_mbox,
)

__all__ = [
    "DEFAULT_POLICY_TOML",
    "Auditor",
    "MailauditError",
    "Summary",
    "__version__",
    "split_mbox",
]
