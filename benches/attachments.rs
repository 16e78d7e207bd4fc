//! Throughput of auditing a message that carries a 5 MB XLSX workbook of
//! contact rows (generated here: names, e-mail addresses, NHS numbers as
//! numbers, dates, free text), the attachment size gateways see most.
//!
//! `cargo bench --bench attachments`

#[path = "../src/extract/testdata.rs"]
mod testdata;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use mailaudit::{Auditor, Policy};

/// A small xorshift generator: varied cell text, so the workbook
/// compresses like a real one rather than like repeated rows.
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn word(&mut self, len: usize) -> String {
        (0..len)
            .map(|_| (b'a' + (self.next() % 26) as u8) as char)
            .collect()
    }
}

/// A workbook of about `target_bytes`, and its rows (header first).
fn workbook(target_bytes: usize) -> (Vec<u8>, Vec<Vec<String>>) {
    let mut noise = Noise(0x9E37_79B9_7F4A_7C15);
    let mut rows = vec![["Name", "Email", "NHS No", "DOB", "Postcode", "Notes"]
        .iter()
        .map(|s| s.to_string())
        .collect::<Vec<_>>()];
    // About 110 compressed bytes per row; grow until the target is met.
    let mut count = target_bytes / 110;
    loop {
        while rows.len() <= count {
            let first = noise.word(6);
            let last = noise.word(8);
            rows.push(vec![
                format!("{first} {last}"),
                format!("{first}.{last}@{}.example", noise.word(5)),
                format!("={}", 4_000_000_000 + noise.next() % 5_999_999_999),
                format!("={}", 20_000 + noise.next() % 20_000),
                format!(
                    "{}{} {}{}",
                    noise.word(2),
                    noise.next() % 20,
                    noise.next() % 10,
                    noise.word(2)
                ),
                format!("{} {} {}", noise.word(7), noise.word(4), noise.word(9)),
            ]);
        }
        let book = testdata::xlsx(&[("Contacts", rows.clone())]);
        if book.len() >= target_bytes {
            return (book, rows);
        }
        count = count * target_bytes / book.len() + 100;
    }
}

fn xlsx_attachment(c: &mut Criterion) {
    let (book, rows) = workbook(5 << 20);
    let row_count = rows.len() - 1;
    let raw = testdata::mail_with(
        "contacts.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &book,
    );
    let auditor = Auditor::new(Policy::default()).expect("default policy");
    let report = auditor.audit(&raw).expect("audit");
    eprintln!(
        "xlsx: {} bytes, {row_count} rows, message {} bytes, {} findings, {} text bytes, complete: {}",
        book.len(),
        raw.len(),
        report.findings().len(),
        report.stats().text_bytes,
        report.is_complete()
    );
    // The same message with the workbook unread (an opaque binary part),
    // and with the same rows sent as CSV text: what is left of the time is
    // the cost of opening the workbook.
    let opaque = testdata::mail_with("contacts.bin", "application/x-unknown", &book);
    let csv: String = rows
        .iter()
        .map(|row| {
            row.iter()
                .map(|c| c.trim_start_matches('='))
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect::<Vec<_>>()
        .join("\n");
    let as_csv = testdata::mail_with("contacts.csv", "text/csv", csv.as_bytes());

    let mut group = c.benchmark_group("attachments");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(book.len() as u64));
    group.bench_function("audit_5mb_xlsx", |b| {
        b.iter(|| auditor.audit(&raw).expect("audit"))
    });
    group.bench_function("audit_5mb_xlsx_unread", |b| {
        b.iter(|| auditor.audit(&opaque).expect("audit"))
    });
    group.bench_function("audit_same_rows_as_csv", |b| {
        b.iter(|| auditor.audit(&as_csv).expect("audit"))
    });
    group.finish();
}

criterion_group!(benches, xlsx_attachment);
criterion_main!(benches);
