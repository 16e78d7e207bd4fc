//! Audit throughput against mail-parser's parse alone, on the same input:
//! a ~50 KB typical business message and a message carrying a 5 MB CSV.
//! The goal is audit >= 50% of parse-only throughput (detection costs no
//! more than the parse itself). A last group times building an auditor.
//!
//! The CSV holds about 266,000 items, more than the default policy's
//! `limits.max_findings` (100,000), at which the default audit stops
//! reading: `audit` raises the limit so that the whole file is scanned, and
//! `audit-default-limits` shows the default policy's cut scan.
//! `findings-copy` times copying (and freeing) the whole audit's findings:
//! a floor under any audit that reports each item on its own.

use std::fmt::Write as _;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use mail_parser::MessageParser;
use mailaudit::{Auditor, Policy};

/// A deterministic generator, so runs compare like with like.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn digits(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b'0' + (self.next() % 10) as u8))
            .collect()
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() as usize) % items.len()]
    }
}

const NAMES: &[&str] = &[
    "Jane Doe",
    "Amir Khan",
    "Siobhan Kelly",
    "Tomasz Nowak",
    "Grace Okafor",
    "Li Wei",
    "Oliver Hughes",
    "Zoë Şahin",
    "Priya Patel",
    "Connor Walsh",
];
const PROSE: &[&str] = &[
    "Thanks for the update on the quarterly figures; the board will review them on Thursday.",
    "Please find below the notes from this morning's meeting, with actions for each team.",
    "We have moved the training session to the larger room on the second floor.",
    "The supplier confirmed delivery for next week, subject to the usual checks at goods-in.",
    "Could you check the attached schedule and let me know of any clashes before Friday?",
    "Our new intranet release 4.2 goes live on Monday; the old links will redirect.",
];

fn nhs_number(rng: &mut Lcg) -> String {
    loop {
        let body: Vec<u32> = (0..9).map(|_| (rng.next() % 10) as u32).collect();
        let sum: u32 = body.iter().zip((2..=10).rev()).map(|(d, w)| d * w).sum();
        let check = match 11 - sum % 11 {
            11 => 0,
            10 => continue,
            c => c,
        };
        let s: String = body
            .iter()
            .chain([check].iter())
            .map(|d| char::from(b'0' + *d as u8))
            .collect();
        return format!("{} {} {}", &s[..3], &s[3..6], &s[6..]);
    }
}

/// About 50 KB: prose paragraphs with a signature, a few identifiers, a
/// quoted thread, and an HTML alternative.
fn typical_message() -> Vec<u8> {
    let mut rng = Lcg(7);
    let mut body = String::new();
    while body.len() < 24_000 {
        for _ in 0..4 {
            body.push_str(rng.pick(PROSE));
            body.push(' ');
        }
        body.push_str("\r\n\r\n");
        if rng.next() % 4 == 0 {
            let name = rng.pick(NAMES);
            let _ = write!(
                body,
                "Patient: {name}\r\nDOB: {:02}/{:02}/19{}\r\nNHS number: {}\r\nTel: 07{} {}\r\n\r\n",
                1 + rng.next() % 28,
                1 + rng.next() % 12,
                rng.digits(2),
                nhs_number(&mut rng),
                rng.digits(3),
                rng.digits(6)
            );
        }
        let _ = write!(
            body,
            "Order ORD-2024-{} shipped; ticket INC{}; build 6.{}.3.{}\r\n\r\n",
            rng.digits(6),
            rng.digits(7),
            rng.next() % 30,
            rng.next() % 300
        );
    }
    let html = body
        .split("\r\n\r\n")
        .map(|p| format!("<p>{}</p>", p.replace("\r\n", "<br>")))
        .collect::<String>();
    let mut raw = String::from(
        "From: Jane Doe <jane.doe@example.org>\r\nTo: team@example.org\r\n\
         Cc: partner@example.net\r\nSubject: Weekly update\r\n\
         Message-ID: <abc123@example.org>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/alternative; boundary=\"b1\"\r\n\r\n--b1\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\n",
    );
    raw.push_str(&body);
    raw.push_str("\r\n--b1\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><body>");
    raw.push_str(&html);
    raw.push_str("</body></html>\r\n--b1--\r\n");
    raw.into_bytes()
}

/// A short message with a 5 MB patient-list CSV, base64-encoded.
fn csv_message() -> Vec<u8> {
    let mut rng = Lcg(11);
    let mut csv = String::from("Name,Email,Mobile,NHS No,DOB,Postcode,Condition,Last review\r\n");
    while csv.len() < 5 * 1024 * 1024 {
        let name = rng.pick(NAMES);
        let _ = write!(
            csv,
            "{name},{}{}@example.com,07{} {},{},{:02}/{:02}/19{},LS{} {}AB,{},{:02}/{:02}/2024\r\n",
            name.split(' ').next().unwrap_or("x").to_lowercase(),
            rng.digits(3),
            rng.digits(3),
            rng.digits(6),
            nhs_number(&mut rng),
            1 + rng.next() % 28,
            1 + rng.next() % 12,
            rng.digits(2),
            1 + rng.next() % 20,
            rng.next() % 10,
            rng.pick(&["Asthma", "COPD", "Diabetes", "None"]),
            1 + rng.next() % 28,
            1 + rng.next() % 12,
        );
    }
    let mut raw = String::from(
        "From: a@example.org\r\nTo: b@example.net\r\nSubject: Patient list\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n\
         --b1\r\nContent-Type: text/plain\r\n\r\nList attached.\r\n--b1\r\n\
         Content-Type: text/csv; name=\"patients.csv\"\r\n\
         Content-Disposition: attachment; filename=\"patients.csv\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n",
    );
    let encoded = base64(csv.as_bytes());
    for line in encoded.as_bytes().chunks(76) {
        raw.push_str(std::str::from_utf8(line).unwrap_or(""));
        raw.push_str("\r\n");
    }
    raw.push_str("--b1--\r\n");
    raw.into_bytes()
}

fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len() * 4 / 3 + 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn bench(c: &mut Criterion) {
    let auditor = Auditor::new(Policy::default()).expect("default policy");
    let whole = Policy::from_toml("[limits]\nmax_findings = 10000000\n").expect("policy");
    let whole = Auditor::new(whole).expect("policy");
    let inputs = [
        ("typical-50KB", typical_message()),
        ("csv-5MB", csv_message()),
    ];
    for (name, raw) in &inputs {
        let mut group = c.benchmark_group(*name);
        group.throughput(Throughput::Bytes(raw.len() as u64));
        if raw.len() > 1_000_000 {
            group.sample_size(10);
        }
        group.bench_with_input(BenchmarkId::new("parse-only", raw.len()), raw, |b, raw| {
            b.iter(|| {
                MessageParser::default()
                    .parse(raw.as_slice())
                    .map(|m| m.parts.len())
            })
        });
        group.bench_with_input(BenchmarkId::new("audit", raw.len()), raw, |b, raw| {
            b.iter(|| whole.audit(raw).map(|r| r.findings().len()))
        });
        if raw.len() > 1_000_000 {
            group.bench_with_input(
                BenchmarkId::new("audit-default-limits", raw.len()),
                raw,
                |b, raw| b.iter(|| auditor.audit(raw).map(|r| r.findings().len())),
            );
            // What holding the findings costs at the least, whatever finds
            // them: a copy of the report's findings, made and freed.
            if let Ok(report) = whole.audit(raw) {
                let findings = report.findings();
                group.bench_with_input(
                    BenchmarkId::new("findings-copy", raw.len()),
                    findings,
                    |b, findings| b.iter(|| findings.to_vec()),
                );
            }
        }
        group.finish();
    }
}

/// Building an auditor: what a short-lived process (the CLI, a milter
/// child) pays before its first message.
fn startup(c: &mut Criterion) {
    c.bench_function("auditor-new/default-policy", |b| {
        b.iter(|| Auditor::new(Policy::default()).is_ok())
    });
}

criterion_group!(benches, bench, startup);
criterion_main!(benches);
