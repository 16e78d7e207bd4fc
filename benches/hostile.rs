//! Records how the audit's time grows on hostile input: each shape of
//! `tests/adversarial.rs` at a base size and at 10 times that size. Linear
//! growth shows as equal throughput (bytes/s) at both sizes.
//!
//! `cargo bench --bench hostile`

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use mailaudit::{Auditor, Policy};

#[path = "../tests/support/hostile_inputs.rs"]
mod hostile_inputs;
use hostile_inputs::*;

type Generator = fn(usize) -> Vec<u8>;

const SHAPES: [(&str, Generator, usize); 14] = [
    ("recipients", many_recipients, 10_000),
    ("nested_multiparts", nested_multiparts, 150),
    ("nested_messages", nested_messages, 20),
    ("nested_messages_base64", nested_messages_in_base64, 1_000),
    ("single_line", single_line, 1 << 20),
    ("base64_zeros", base64_zeros, 1 << 19),
    ("digits", digit_run, 1 << 20),
    ("at_signs", at_run, 1 << 18),
    ("charsets", bad_charsets, 1 << 17),
    ("unterminated", unterminated, 1 << 18),
    ("nul_bytes", nul_bytes, 1 << 20),
    ("parameter_sections", parameter_sections, 10_000),
    ("colons_after_at", colons_after_at, 10_000),
    ("mailto_links", mailto_links, 10_000),
];

fn hostile(c: &mut Criterion) {
    let auditor = Auditor::new(Policy::default()).expect("default policy");
    let mut group = c.benchmark_group("hostile");
    group.sample_size(10);
    for (name, generate, n) in SHAPES {
        for scale in [1, 10] {
            let raw = generate(n * scale);
            group.throughput(Throughput::Bytes(raw.len() as u64));
            group.bench_with_input(
                BenchmarkId::new(name, format!("x{scale}")),
                &raw,
                |b, raw| b.iter(|| auditor.audit(raw).map(|r| r.verdict())),
            );
        }
    }
    group.finish();
}

criterion_group!(benches, hostile);
criterion_main!(benches);
