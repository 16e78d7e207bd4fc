"""Writes a synthetic archive of sent mail as mbox files, for tests and benchmarks.

Every message is made up here from a seeded random generator: fictitious
people at reserved or well-known consumer domains, no real data. The mix is
meant to exercise each recipient rule and the archive reader:

- private mail to one or two people (passes);
- announcements with many visible external recipients, some at consumer
  domains (exposed recipient lists);
- messages that still carry a ``Bcc:`` header;
- bodies that paste an address list, or carry phone numbers and postcodes;
- body lines starting with ``From `` (escaped as ``>From `` in the mbox, the
  mboxrd way) and a few inputs that are not messages at all (errors).

Usage: ``python synth_archive.py OUT_DIR [--messages N] [--files F] [--seed S]``
"""

from __future__ import annotations

import argparse
import random
import re
from pathlib import Path

ORG = "tracewell.example"
PARTNERS = ["northwind.example", "contoso.example", "fabrikam.example", "adatum.example"]
CONSUMER = ["gmail.com", "outlook.com", "yahoo.co.uk", "hotmail.com", "icloud.com"]
FIRST = ["ann", "bob", "chloe", "dev", "ellis", "farah", "george", "hana", "ivan", "jo"]
LAST = ["smith", "okafor", "nguyen", "patel", "jones", "kowalski", "garcia", "brown"]
SUBJECTS = ["Minutes", "Rota for next week", "Invoice query", "Welcome", "Reminder", "Update"]

_FROM_LINE = re.compile(rb"^(>*From )", re.MULTILINE)


def _person(rng: random.Random, domain: str) -> str:
    return f"{rng.choice(FIRST)}.{rng.choice(LAST)}{rng.randrange(100)}@{domain}"


def _external(rng: random.Random, consumer_share: float) -> str:
    pool = CONSUMER if rng.random() < consumer_share else PARTNERS
    return _person(rng, rng.choice(pool))


def make_message(rng: random.Random, index: int) -> bytes:
    """One synthetic message (LF line endings, as mbox files store them)."""
    sender = f"{FIRST[index % len(FIRST)]}.{LAST[index % len(LAST)]}@{ORG}"
    kind = rng.random()
    to: list[str] = []
    cc: list[str] = []
    bcc: list[str] = []
    body: list[str] = ["Hello,", "", "Please see below."]
    if kind < 0.45:
        to = [_external(rng, 0.3) for _ in range(rng.randint(1, 2))]
    elif kind < 0.65:
        to = [_person(rng, ORG)]
        cc = [_external(rng, 0.5) for _ in range(rng.randint(8, 25))]
    elif kind < 0.75:
        to = [_external(rng, 0.9) for _ in range(rng.randint(3, 6))]
    elif kind < 0.85:
        to = [_person(rng, ORG)]
        bcc = [_external(rng, 0.4) for _ in range(rng.randint(1, 5))]
    else:
        to = [_person(rng, rng.choice(PARTNERS))]
        body.append("Attendees:")
        body.extend(_external(rng, 0.5) for _ in range(rng.randint(5, 20)))
    if rng.random() < 0.2:
        body.append(f"Call me on 07700 900{rng.randrange(1000):03d} or at our SW1A {rng.randint(1, 9)}AA office.")
    if rng.random() < 0.1:
        body.append("From the desk of the secretary: this line starts with From.")
    body.extend(["", "Regards,", sender.split("@")[0]])

    headers = [f"From: {sender}", f"To: {', '.join(to)}"]
    if cc:
        headers.append(f"Cc: {', '.join(cc)}")
    if bcc:
        headers.append(f"Bcc: {', '.join(bcc)}")
    headers += [
        f"Subject: {rng.choice(SUBJECTS)} {index}",
        f"Message-ID: <{index}.{rng.randrange(10**9)}@{ORG}>",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
    ]
    return ("\n".join(headers) + "\n\n" + "\n".join(body) + "\n").encode()


def mbox_entry(raw: bytes, sender: str = "MAILER-DAEMON") -> bytes:
    """The message as an mboxrd entry: separator line, ``From `` lines quoted."""
    quoted = _FROM_LINE.sub(rb">\1", raw)
    if not quoted.endswith(b"\n"):
        quoted += b"\n"
    return f"From {sender} Mon Jan  1 00:00:00 2024\n".encode() + quoted + b"\n"


def write_archive(out_dir: Path, messages: int, files: int = 4, seed: int = 9) -> int:
    """Writes ``messages`` entries spread over ``files`` mbox files; returns the
    number of entries written. About one entry in 500 is not a message."""
    rng = random.Random(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    handles = [open(out_dir / f"sent-{n:02d}.mbox", "wb") for n in range(files)]
    try:
        for index in range(messages):
            if index % 500 == 499:
                raw = b"this entry has no header block at all\n"
            else:
                raw = make_message(rng, index)
            handles[index % files].write(mbox_entry(raw))
    finally:
        for handle in handles:
            handle.close()
    return messages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--files", type=int, default=4)
    parser.add_argument("--seed", type=int, default=9)
    args = parser.parse_args()
    n = write_archive(args.out_dir, args.messages, args.files, args.seed)
    print(f"wrote {n} messages to {args.out_dir}")


if __name__ == "__main__":
    main()
