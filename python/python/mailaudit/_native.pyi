"""Type stubs for the compiled part of ``mailaudit``."""

from typing import Any, Iterable, Literal, Optional

__version__: str
DEFAULT_POLICY_TOML: str
"""The embedded default policy, as TOML."""

Report = dict[str, Any]
"""A report: the JSON document of ``mailaudit scan --format json``, as a dict."""

class MailauditError(Exception):
    """Raised when a policy is invalid or a message cannot be audited at all.

    The message names the problem (for a policy: the key, line and column) and
    never contains message content, so it is safe to log.
    """

class Auditor:
    """Audits raw RFC 5322 messages against a policy.

    Build one per process (or per Spark partition) and reuse it: compiling the
    policy is the expensive part. It is thread-safe.
    """

    def __init__(self, policy_toml: Optional[str] = None) -> None:
        """Compiles ``policy_toml`` (only what differs from the default; ``None``
        for the default policy). Raises ``MailauditError`` if it is invalid."""

    def audit(self, raw: bytes) -> Report:
        """Audits one raw message and returns its report. Raises
        ``MailauditError`` if the input is not a message (empty, too large,
        no header)."""

    def audit_many(
        self,
        messages: Iterable[bytes],
        *,
        errors: Literal["raise", "report"] = "raise",
        summary: Optional[Summary] = None,
    ) -> list[Report]:
        """Audits every message in parallel with the GIL released; reports come
        back in input order.

        ``errors="raise"`` raises ``MailauditError`` for the first message that
        cannot be audited (naming its index); ``errors="report"`` puts
        ``{"error": "..."}`` in its place. A ``summary`` counts every report and
        error."""

    def audit_many_json(
        self,
        messages: Iterable[bytes],
        *,
        errors: Literal["raise", "report"] = "raise",
        summary: Optional[Summary] = None,
    ) -> list[str]:
        """Like ``audit_many``, but each report (or ``{"error": "..."}``) comes
        back as its JSON text, for writing straight to storage."""

    def policy_toml(self) -> str:
        """The policy this auditor enforces, as complete TOML."""

class Summary:
    """Aggregate counts over many audits, computed by the library (the numbers
    of ``mailaudit scan --summary``). Picklable, so partial summaries can be
    sent from workers to a driver and merged."""

    def __init__(self) -> None:
        """An empty summary."""

    def merge(self, other: Summary) -> None:
        """Adds everything counted in ``other`` to this summary."""

    def to_json(self) -> str:
        """The summary as JSON (the shape of ``scan --summary --format json``)."""

    def to_dict(self) -> dict[str, Any]:
        """The summary as a dict."""

    @staticmethod
    def from_json(json: str) -> Summary:
        """Rebuilds a summary from ``to_json`` output. Raises ``MailauditError``
        if the document does not parse."""

def split_mbox(data: bytes) -> list[bytes]:
    """Splits an mbox archive (mboxrd or mboxo) into raw messages, the way
    ``mailaudit scan`` reads it, so counts agree with the command line."""
