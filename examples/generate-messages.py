#!/usr/bin/env python3
"""Writes the synthetic example messages in this folder.

Every name, address and number here is invented for mailaudit's examples and
tests; identifiers that must pass a checksum are computed, not copied.
Run from anywhere: python3 examples/generate-messages.py
"""
import base64
import os
import random

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "messages")
rng = random.Random(2020)

FIRST = ["amira", "ben", "chloe", "dev", "elena", "farid", "grace", "hugo", "isla", "jonah",
         "kasia", "liam", "maya", "nils", "olu", "priya", "quinn", "rosa", "sami", "tomas",
         "uma", "vik", "wren", "xander", "yusuf", "zara"]
LAST = ["adeyemi", "brook", "castell", "dunmore", "ellery", "fenwick", "garside", "holloway",
        "ibbotson", "jessop", "kershaw", "lomax", "marwood", "nuttall", "ormerod", "pickles",
        "quarmby", "rigby", "sowerby", "thwaite"]
CONSUMER = ["gmail.com", "outlook.com", "hotmail.co.uk", "yahoo.co.uk", "icloud.com",
            "btinternet.com", "sky.com", "virginmedia.com", "live.co.uk", "aol.com",
            "googlemail.com", "talktalk.net", "ntlworld.com", "protonmail.com"]


def person(i):
    first, last = FIRST[i % len(FIRST)], LAST[(i * 7) % len(LAST)]
    return f"{first.title()} {last.title()}", f"{first}.{last}{i}@{CONSUMER[i % len(CONSUMER)]}"


def fold(addresses):
    return ",\r\n ".join(addresses)


def nhs_number(seed):
    """A 10-digit number with a valid NHS mod-11 check digit."""
    r = random.Random(seed)
    while True:
        digits = [r.randint(0, 9) for _ in range(9)]
        if digits[0] == 0:
            continue
        total = sum(d * w for d, w in zip(digits, range(10, 1, -1)))
        check = 11 - total % 11
        if check == 11:
            check = 0
        if check != 10:
            return "".join(map(str, digits)) + str(check)


def write(name, headers, body):
    text = "\r\n".join(f"{k}: {v}" for k, v in headers) + "\r\n\r\n" + body
    with open(os.path.join(HERE, name), "w", newline="") as f:
        f.write(text.replace("\r\n", "\n").replace("\n", "\r\n"))


COMMON = [("Date", "Mon, 06 Jul 2020 09:12:44 +0100"), ("MIME-Version", "1.0")]

# 1. The incident: 296 new contact tracers in Cc instead of Bcc.
trainees = [person(i) for i in range(296)]
write("incident-cc-trainees.eml", [
    ("From", "Harbourline Recruitment <recruitment@harbourline.co.uk>"),
    ("To", "recruitment@harbourline.co.uk"),
    ("Cc", fold(f'"{n}" <{a}>' for n, a in trainees)),
    ("Subject", "Welcome to the contact tracing programme - training on Monday"),
    ("Message-ID", "<incident-0001@mail.harbourline.co.uk>"),
] + COMMON + [("Content-Type", "text/plain; charset=utf-8")],
    "Dear all,\r\n\r\nWelcome aboard. Your induction training is on Monday at 10:00.\r\n"
    "Join the call with meeting ID 842 1937 5520 and passcode 774213.\r\n\r\n"
    "Harbourline Recruitment\r\n")

# 2. The same message sent correctly: recipients only in the envelope.
write("newsletter-bcc.eml", [
    ("From", "Harbourline Recruitment <recruitment@harbourline.co.uk>"),
    ("To", "undisclosed-recipients:;"),
    ("Subject", "Welcome to the contact tracing programme - training on Monday"),
    ("Message-ID", "<newsletter-0002@mail.harbourline.co.uk>"),
] + COMMON + [("Content-Type", "text/plain; charset=utf-8")],
    "Dear all,\r\n\r\nWelcome aboard. Your induction training is on Monday at 10:00.\r\n")

# 3. An all-staff mail inside the organisation (sub-domains included).
staff = [f"{FIRST[i]}.{LAST[i % len(LAST)]}@{'harbourline.co.uk' if i % 3 else 'ops.harbourline.co.uk'}"
         for i in range(24)]
write("internal-team.eml", [
    ("From", "Operations <ops@harbourline.co.uk>"),
    ("To", fold(staff[:12])),
    ("Cc", fold(staff[12:])),
    ("Subject", "Rota for next week"),
    ("Message-ID", "<internal-0003@mail.harbourline.co.uk>"),
] + COMMON + [("Content-Type", "text/plain; charset=utf-8")],
    "Hi team,\r\n\r\nThe rota for next week is on the shared drive.\r\n")

# 4. A Bcc header left in the outgoing message.
write("leaked-bcc.eml", [
    ("From", "Harbourline HR <hr@harbourline.co.uk>"),
    ("To", "Payroll Bureau <payroll@bureau-services.co.uk>"),
    ("Bcc", "ceo@harbourline.co.uk, " + person(300)[1] + ", " + person(301)[1]),
    ("Subject", "Starter forms"),
    ("Message-ID", "<leaked-bcc-0004@mail.harbourline.co.uk>"),
] + COMMON + [("Content-Type", "text/plain; charset=utf-8")],
    "Please find the starter forms on the portal.\r\n")

# 5. A partner firm's team: many people, one external domain -> not exposed.
partner = [f"{FIRST[i]}.{LAST[i]}@northgate-legal.co.uk" for i in range(14)]
write("partner-thread.eml", [
    ("From", "Harbourline Legal <legal@harbourline.co.uk>"),
    ("To", fold(partner[:4])),
    ("Cc", fold(partner[4:])),
    ("Subject", "Re: contract review"),
    ("Message-ID", "<partner-0005@mail.harbourline.co.uk>"),
] + COMMON + [("Content-Type", "text/plain; charset=utf-8")],
    "Thanks all, comments attached by end of day.\r\n")

# 6. A list split over repeated Cc headers, a group, folding, comments and
#    RFC 2047 names: every occurrence counts.
volunteers = [person(400 + i) for i in range(12)]
write("split-cc-groups.eml", [
    ("From", "=?utf-8?q?Harbourline_B=C3=A9n=C3=A9voles?= <volunteers@harbourline.co.uk>"),
    ("To", "Volunteers: " + fold(a for _, a in volunteers[:3]) + ";"),
    ("Cc", fold(f"=?utf-8?b?{base64.b64encode(n.encode()).decode()}?= <{a}>" for n, a in volunteers[3:7])),
    ("Cc", fold(f"{a} (home)" for _, a in volunteers[7:12])),
    ("Cc", "not-an-address, also broken@"),
    ("Subject", "Volunteer briefing"),
    ("Message-ID", "<split-0006@mail.harbourline.co.uk>"),
] + COMMON + [("Content-Type", "text/plain; charset=utf-8")],
    "Briefing notes below.\r\n")

# 7. A patient list attached to a message to an outside address.
rows = ["name,email,nhs_number,test_result"]
for i in range(15):
    n, a = person(500 + i)
    nhs = nhs_number(i)
    rows.append(f"{n},{a},{nhs[:3]} {nhs[3:6]} {nhs[6:]},{'positive' if i % 4 == 0 else 'negative'}")
csv = base64.encodebytes("\r\n".join(rows).encode() + b"\r\n").decode().replace("\n", "\r\n")
write("patient-list-attachment.eml", [
    ("From", "Clinic Admin <admin@harbourline.co.uk>"),
    ("To", "Events Team <events@greenfield-venues.co.uk>"),
    ("Subject", "Room booking for Thursday"),
    ("Message-ID", "<patients-0007@mail.harbourline.co.uk>"),
] + COMMON + [("Content-Type", 'multipart/mixed; boundary="b7"')],
    "--b7\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
    "Hi, attendee list attached for the room booking.\r\n"
    "--b7\r\nContent-Type: text/csv; name=\"attendees.csv\"\r\n"
    "Content-Disposition: attachment; filename=\"attendees.csv\"\r\n"
    "Content-Transfer-Encoding: base64\r\n\r\n" + csv +
    "--b7\r\nContent-Type: image/png; name=\"logo.png\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==\r\n"
    "--b7--\r\n")

# 8. A forwarded message (message/rfc822) whose own headers expose a list.
inner_cc = fold(a for _, a in (person(600 + i) for i in range(11)))
inner = ("From: Event Office <events@harbourline.co.uk>\r\nTo: speakers@harbourline.co.uk\r\n"
         f"Cc: {inner_cc}\r\nSubject: Speaker list\r\n"
         "Content-Type: text/html; charset=utf-8\r\n\r\n"
         "<html><body><p>Dear&nbsp;speakers,</p><p>Call me on 020&nbsp;7946&nbsp;0321.</p></body></html>\r\n")
write("forwarded-list.eml", [
    ("From", "Event Office <events@harbourline.co.uk>"),
    ("To", "Venue <bookings@greenfield-venues.co.uk>"),
    ("Subject", "Fwd: Speaker list"),
    ("Message-ID", "<fwd-0008@mail.harbourline.co.uk>"),
] + COMMON + [("Content-Type", 'multipart/mixed; boundary="f8"')],
    "--f8\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSee below.\r\n"
    "--f8\r\nContent-Type: message/rfc822\r\n\r\n" + inner + "--f8--\r\n")
