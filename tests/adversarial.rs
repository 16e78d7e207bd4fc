//! Hostile input, generated here (no stored blobs): every case completes with
//! a report or a typed error, each limit of the policy has its test, and time
//! and peak memory grow at most linearly with the input.
//!
//! Peak memory is counted by this binary's global allocator, per thread, so
//! tests running side by side do not disturb each other's figures.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use mailaudit::{Auditor, Error, Policy, Report, Verdict};

// ---------------------------------------------------------------------------
// A counting allocator: live and peak bytes of the current thread.

struct Counting;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn record(delta: isize) {
    // `try_with`: during thread teardown the slots may be gone already.
    let _ = LIVE.try_with(|live| {
        let now = live.get() + delta;
        live.set(now);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
    });
}

// SAFETY: every call is forwarded unchanged to the system allocator; the
// counters only observe sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as ours.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            record(layout.size() as isize);
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as ours.
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            record(layout.size() as isize);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) };
        record(-(layout.size() as isize));
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: same contract as ours.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            record(new_size as isize - layout.size() as isize);
        }
        new
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Runs `f`, returning its result and the most bytes it had allocated at
/// once on this thread (beyond what was live when it started).
fn peak_bytes<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let base = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(base));
    let out = f();
    let peak = PEAK.with(Cell::get);
    (out, (peak - base).max(0) as usize)
}

#[path = "support/hostile_inputs.rs"]
mod hostile_inputs;
use hostile_inputs::*;

fn auditor() -> Auditor {
    Auditor::new(Policy::default()).expect("default policy")
}

fn auditor_with(toml: &str) -> Auditor {
    Auditor::new(Policy::from_toml(toml).expect("test policy")).expect("auditor")
}

fn is_limit(report: &Report, limit: &str) -> bool {
    !report.is_complete() && report.truncated().iter().any(|l| l == limit)
}

// ---------------------------------------------------------------------------
// Each hostile shape completes.

#[test]
fn hundred_thousand_recipients() {
    let report = auditor().audit(&many_recipients(100_000)).expect("report");
    assert_eq!(report.recipients().to, 100_000);
    assert_eq!(report.recipients().external_domains, 10);
    assert!(report.has_violation("exposed-recipient-list"));
    assert!(report.is_complete());
}

#[test]
fn ten_thousand_nested_multiparts() {
    // Run on a 256 KiB stack: a gateway may audit on small worker stacks.
    let handle = std::thread::Builder::new()
        .stack_size(256 << 10)
        .spawn(|| {
            let report = auditor().audit(&nested_multiparts(10_000)).expect("report");
            assert!(is_limit(&report, "limits.max_parts"), "{report:?}");
            let generous = auditor_with("version = 1\n[limits]\nmax_parts = 20000\n");
            let report = generous.audit(&nested_multiparts(10_000)).expect("report");
            assert!(report.is_complete(), "{:?}", report.truncated());
            assert_eq!(report.findings().len(), 1);
        })
        .expect("thread");
    handle.join().expect("no stack overflow, no panic");
}

#[test]
fn deeply_nested_messages_do_not_reach_the_parser() {
    let handle = std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(|| {
            for raw in [nested_messages(10_000), nested_messages_in_base64(10_000)] {
                let report = auditor().audit(&raw).expect("report");
                assert!(is_limit(&report, "limits.max_nesting_depth"), "{report:?}");
                assert_eq!(report.verdict(), Verdict::Warn);
                assert!(report.has_violation("incomplete-scan"));
            }
        })
        .expect("thread");
    handle.join().expect("no stack overflow, no panic");
}

#[test]
fn hundred_megabyte_single_line() {
    let raw = single_line(100 << 20);
    // Over the default limit: refused before parsing, with a typed error.
    let started = Instant::now();
    assert!(matches!(
        auditor().audit(&raw),
        Err(Error::TooLarge { limit, .. }) if limit == 64 << 20
    ));
    assert!(started.elapsed() < Duration::from_secs(1));
    // Raised limit: read, and cut at the decoded-text limit.
    let generous = auditor_with(
        "version = 1\n[limits]\nmax_message_bytes = 134217728\nmax_decoded_bytes = 16777216\n",
    );
    let report = generous.audit(&raw).expect("report");
    assert!(is_limit(&report, "limits.max_decoded_bytes"));
    assert!(report.stats().text_bytes <= 16 << 20);
}

#[test]
fn base64_of_zeros() {
    let report = auditor().audit(&base64_zeros(1 << 20)).expect("report");
    assert!(report.is_complete());
    assert!(report.findings().is_empty());
    // Two parts of 1 MiB of NULs each (and their line ends).
    assert!((2 << 20..(2 << 20) + 16).contains(&report.stats().text_bytes));
}

#[test]
fn runs_of_digits_and_at_signs() {
    let report = auditor().audit(&digit_run(1 << 20)).expect("report");
    assert!(report.findings().is_empty());
    let report = auditor().audit(&at_run(1 << 18)).expect("report");
    assert!(report.findings().is_empty());
    assert_eq!(report.recipients().to, 0);
    assert!(report.recipients().malformed > 0);
}

#[test]
fn colons_after_an_at_sign() {
    // Regression: each `:` after an `@` re-scanned the entry's words for an
    // `@` (quadratic: 16,000 bytes took 1 s in a debug build).
    let report = auditor().audit(&colons_after_at(200_000)).expect("report");
    assert_eq!(report.recipients().to, 0);
    assert_eq!(report.recipients().malformed, 1);
}

#[test]
fn invalid_utf8_and_mixed_charsets() {
    let report = auditor().audit(&bad_charsets(4096)).expect("report");
    assert_eq!(report.stats().parts, 6);
}

#[test]
fn unterminated_boundaries_and_encoded_words() {
    let report = auditor().audit(&unterminated(1 << 16)).expect("report");
    assert_eq!(report.recipients().to, 1);
}

#[test]
fn nul_bytes_anywhere() {
    let report = auditor().audit(&nul_bytes(4096)).expect("report");
    assert_eq!(report.recipients().to, 1);
    assert_eq!(report.recipients().malformed, 1);
}

#[test]
fn many_parameter_sections() {
    // mail-parser joins RFC 2231 sections in quadratic time: 64,000 of them
    // took 6.8 s (debug) before they were neutralised.
    let started = Instant::now();
    let report = auditor()
        .audit(&parameter_sections(64_000))
        .expect("report");
    assert!(started.elapsed() < Duration::from_secs(20));
    assert!(report
        .truncated()
        .iter()
        .any(|l| l == "max_parameter_sections"));
    assert!(report.has_violation("incomplete-scan"));
    // Inside a base64 message/rfc822 part, which mail-parser decodes and
    // parses itself, they cannot be neutralised: the body is not read.
    let inner = parameter_sections(64_000);
    let raw = format!(
        "{HEAD}Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n",
        base64(&inner)
    );
    let report = auditor().audit(raw.as_bytes()).expect("report");
    assert!(report
        .truncated()
        .iter()
        .any(|l| l == "max_parameter_sections"));
    assert!(report
        .unscanned()
        .iter()
        .any(|u| u.reason == "parameter-sections"));
    // A few sections, as real senders write them, are read as usual.
    let report = auditor().audit(&parameter_sections(5)).expect("report");
    assert!(report.is_complete());
    assert_eq!(
        report
            .unscanned()
            .first()
            .and_then(|u| u.location.filename.as_deref()),
        Some("abcdefghabcdefghabcdefghabcdefghabcdefgh")
    );
}

#[test]
fn crlf_and_lf_give_the_same_report() {
    let crlf = many_recipients(30);
    let lf: Vec<u8> = crlf.iter().copied().filter(|&b| b != b'\r').collect();
    let a = auditor().audit(&crlf).expect("crlf");
    let b = auditor().audit(&lf).expect("lf");
    assert_eq!(a.recipients(), b.recipients());
    assert_eq!(a.verdict(), b.verdict());
    assert_eq!(a.violations().len(), b.violations().len());
    // Bare CR line ends are not line ends: still a report, not a panic.
    let cr: Vec<u8> = lf
        .iter()
        .map(|&b| if b == b'\n' { b'\r' } else { b })
        .collect();
    let _ = auditor().audit(&cr);
}

#[test]
fn empty_and_headerless_input_are_typed_errors() {
    assert!(matches!(auditor().audit(b""), Err(Error::Empty)));
    assert!(matches!(auditor().audit(b" \r\n\t"), Err(Error::Empty)));
    for junk in [&b"\0\0\0"[..], b"\r\n\r\nbody only", b":", b"\xff\xfe"] {
        match auditor().audit(junk) {
            Ok(_) | Err(Error::NotAMessage) => {}
            Err(other) => panic!("unexpected error {other}"),
        }
    }
}

// ---------------------------------------------------------------------------
// Each limit, exceeded.

#[test]
fn limit_message_bytes() {
    let raw = single_line(2000);
    let small = auditor_with("version = 1\n[limits]\nmax_message_bytes = 1000\n");
    match small.audit(&raw) {
        Err(e @ Error::TooLarge { .. }) => {
            assert!(e.to_string().contains("over the limit of 1000 bytes"));
        }
        other => panic!("expected TooLarge, got {other:?}"),
    }
}

#[test]
fn limit_nesting_depth() {
    let raw = nested_messages(5);
    let report = auditor_with("version = 1\n[limits]\nmax_nesting_depth = 2\n")
        .audit(&raw)
        .expect("report");
    assert!(is_limit(&report, "limits.max_nesting_depth"));
    assert!(report
        .unscanned()
        .iter()
        .any(|u| u.reason == "nesting-limit"));
    let report = auditor().audit(&raw).expect("report");
    assert!(report.is_complete());
}

#[test]
fn limit_parts() {
    let raw = nested_multiparts(20);
    let report = auditor_with("version = 1\n[limits]\nmax_parts = 5\n")
        .audit(&raw)
        .expect("report");
    assert!(is_limit(&report, "limits.max_parts"));
    assert!(report.unscanned().iter().any(|u| u.reason == "part-limit"));
}

#[test]
fn limit_header_fields() {
    let mut raw = String::from("From: sender@tracewell.co.uk\r\n");
    for i in 0..50 {
        let _ = write!(raw, "X-Filler-{i}: {i}\r\n");
    }
    raw.push_str("Bcc: hidden@example.net\r\nTo: one@example.org\r\n\r\nHi\r\n");
    let small = auditor_with("version = 1\n[limits]\nmax_header_fields = 20\n");
    let report = small.audit(raw.as_bytes()).expect("report");
    assert!(is_limit(&report, "limits.max_header_fields"));
    assert_eq!(
        report.recipients().visible,
        0,
        "fields past the limit are not read"
    );
    // Fail closed: the operator makes an incomplete scan a quarantine.
    let closed = auditor_with(
        "version = 1\n[limits]\nmax_header_fields = 20\n\
         [rules.incomplete-scan]\naction = \"quarantine\"\n",
    );
    assert_eq!(
        closed.audit(raw.as_bytes()).expect("report").verdict(),
        Verdict::Quarantine
    );
    let report = auditor().audit(raw.as_bytes()).expect("report");
    assert!(report.is_complete());
    assert!(report.has_violation("bcc-header-leak"));
}

#[test]
fn limit_header_line_bytes() {
    let mut raw = String::from("From: sender@tracewell.co.uk\r\nTo: ");
    for i in 0..40 {
        let _ = write!(raw, "p{i}@d{}.example, ", i % 4);
    }
    raw.push_str("last@d0.example\r\nSubject: ");
    raw.push_str(&"long subject ".repeat(100));
    raw.push_str("\r\n\r\nHi\r\n");
    let small = auditor_with("version = 1\n[limits]\nmax_header_line_bytes = 200\n");
    let report = small.audit(raw.as_bytes()).expect("report");
    assert!(is_limit(&report, "limits.max_header_line_bytes"));
    assert!(
        report.recipients().to < 41,
        "only the start of the line is read"
    );
    assert!(report.recipients().to > 5);
    let report = auditor().audit(raw.as_bytes()).expect("report");
    assert!(report.is_complete());
    assert_eq!(report.recipients().to, 41);
}

#[test]
fn limit_recipients() {
    let raw = many_recipients(100);
    let report = auditor_with("version = 1\n[limits]\nmax_recipients = 30\n")
        .audit(&raw)
        .expect("report");
    assert!(is_limit(&report, "limits.max_recipients"));
    assert_eq!(report.recipients().to, 30);
}

#[test]
fn limit_decoded_bytes_bounds_small_parts_that_expand() {
    // 64 KiB of base64 zeros per part, in two parts: 128 KiB decoded from a
    // 180 KiB message; a 100 KiB limit cuts the second part.
    let raw = base64_zeros(64 << 10);
    let report = auditor_with("version = 1\n[limits]\nmax_decoded_bytes = 102400\n")
        .audit(&raw)
        .expect("report");
    assert!(is_limit(&report, "limits.max_decoded_bytes"));
    assert!(report.stats().text_bytes <= 102_400);
    // Invalid UTF-8 becomes three bytes of U+FFFD per byte: still bounded.
    let report = auditor_with("version = 1\n[limits]\nmax_decoded_bytes = 10000\n")
        .audit(&bad_charsets(8192))
        .expect("report");
    assert!(is_limit(&report, "limits.max_decoded_bytes"));
    assert!(report.stats().text_bytes <= 10_000);
}

#[test]
fn limit_settings_are_validated() {
    for key in [
        "max_parts",
        "max_recipients",
        "max_header_fields",
        "max_expansion_ratio",
    ] {
        let err = Policy::from_toml(&format!("version = 1\n[limits]\n{key} = 0\n"))
            .expect_err("zero is refused");
        assert!(err.to_string().contains(key), "{err}");
    }
    let err = Policy::from_toml("version = 1\n[limits]\nmax_expansion_ratio = -1\n")
        .expect_err("negative is refused");
    assert!(
        err.to_string().contains("limits.max_expansion_ratio"),
        "{err}"
    );
}

// ---------------------------------------------------------------------------
// Linear growth: a 10x input costs at most a bounded multiple of the 1x one.

/// Cost of auditing `raw`: minimum wall time, and peak bytes.
#[derive(Clone, Copy)]
struct Cost {
    time: Duration,
    peak: usize,
}

fn measure_once(auditor: &Auditor, raw: &[u8]) -> Cost {
    let started = Instant::now();
    let (result, peak) = peak_bytes(|| auditor.audit(raw).map(|r| r.verdict()));
    let time = started.elapsed();
    assert!(result.is_ok(), "audit failed");
    Cost { time, peak }
}

/// Growth from `small` to `large`: small and large runs interleaved, the
/// minimum of each taken, so a burst of load on a shared machine does not
/// land on one side only.
fn growth(auditor: &Auditor, small: &[u8], large: &[u8], reps: usize) -> (Cost, Cost) {
    let mut best = (
        Cost {
            time: Duration::MAX,
            peak: 0,
        },
        Cost {
            time: Duration::MAX,
            peak: 0,
        },
    );
    for _ in 0..reps {
        for (raw, slot) in [(small, &mut best.0), (large, &mut best.1)] {
            let cost = measure_once(auditor, raw);
            slot.time = slot.time.min(cost.time);
            slot.peak = cost.peak;
        }
    }
    best
}

#[test]
fn time_and_memory_grow_linearly() {
    type Generator = fn(usize) -> Vec<u8>;
    // Sizes where the 10x input stays within every limit, so both inputs
    // take the same path (more parts allowed, to grow the nesting further).
    let cases: [(&str, Generator, usize); 13] = [
        ("recipients", many_recipients, 1_000),
        ("nested multiparts", nested_multiparts, 300),
        ("nested messages", nested_messages, 20),
        ("single line", single_line, 100_000),
        ("base64 zeros", base64_zeros, 50_000),
        ("digits", digit_run, 100_000),
        ("at signs", at_run, 20_000),
        ("charsets", bad_charsets, 10_000),
        ("unterminated", unterminated, 40_000),
        ("nul bytes", nul_bytes, 100_000),
        ("parameter sections", parameter_sections, 2_000),
        ("colons after @", colons_after_at, 2_000),
        ("mailto links", mailto_links, 2_000),
    ];
    let auditor = auditor_with("version = 1\n[limits]\nmax_parts = 10000\n");
    let mut failures = Vec::new();
    for (name, generate, n) in cases {
        let small = generate(n);
        let large = generate(n * 10);
        // A failing ratio is measured again (up to three rounds): only growth
        // that persists fails the test.
        let mut verdict = String::new();
        for _round in 0..3 {
            let (s, l) = growth(&auditor, &small, &large, 3);
            // Floors absorb scheduler noise and the fixed cost of tiny inputs.
            let time_ratio = l.time.as_secs_f64() / s.time.as_secs_f64().max(5e-3);
            let memory_ratio = l.peak as f64 / s.peak.max(64 << 10) as f64;
            eprintln!(
                "{name}: {} -> {} bytes; time {:?} -> {:?} (x{time_ratio:.1}); \
                 peak {} -> {} bytes (x{memory_ratio:.1})",
                small.len(),
                large.len(),
                s.time,
                l.time,
                s.peak,
                l.peak
            );
            verdict.clear();
            if time_ratio > 30.0 || memory_ratio > 20.0 {
                verdict = format!("{name}: time x{time_ratio:.1}, memory x{memory_ratio:.1}");
            } else {
                break;
            }
        }
        if !verdict.is_empty() {
            failures.push(verdict);
        }
    }
    assert!(failures.is_empty(), "super-linear growth: {failures:?}");
}

#[test]
fn a_panic_inside_the_parser_leaves_a_header_only_report() {
    // Found by fuzzing: a nested message whose own body is a second nested
    // message without a boundary, both closed by the outer boundary, after
    // a header line ended by a bare CR. mail-parser's boundary bookkeeping
    // loses the parent part there; in builds with debug assertions (as these
    // tests are) its `debug_assert!` panics, in release builds it recovers.
    let raw = b"From: a@example.org\r\n\
        Content-Type: multipart/mixed; boundary=\"f8\"\r\n\r\n\
        preamble\r\n\
        --f8\r\n\
        Content-Type: message/rfc822\r\n\r\n\
        From: b@example.org\r8\r\n\
        Content-Type: message/rfc822\r\n\r\n\
        From: c@example.org\r\n\
        --f8--\r\n\r\n\
        epilogue --f8--\r\n";
    let report = auditor()
        .audit(raw)
        .expect("a report, not a panic or error");
    if cfg!(debug_assertions) {
        assert!(is_limit(&report, "parser"), "{:?}", report.truncated());
        assert!(
            report
                .unscanned()
                .iter()
                .any(|u| u.reason == "parser-failure"),
            "{:?}",
            report.unscanned()
        );
    } else {
        assert!(report.truncated().is_empty(), "{:?}", report.truncated());
    }
}
