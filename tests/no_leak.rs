//! Nothing leaks: messages with planted personal values (addresses, and digit
//! strings shaped like NHS, card and phone numbers), and no planted value, nor
//! any fragment of it longer than a mask keeps (more than 4 consecutive
//! characters), appears in the JSON report, `Debug` output, error messages,
//! or the CLI's text and JSON output. The audit is deterministic, and the C
//! API's incremental session, fed the message split at random points, gives
//! the report a one-shot audit gives.

use std::fmt::Write as _;
use std::process::Command;

use mailaudit::{Auditor, Policy};
use proptest::prelude::*;

#[path = "support/hostile_inputs.rs"]
mod hostile_inputs;
use hostile_inputs::base64;

// The fuzz targets' bodies: the C-API session check, and `json_without_micros`.
include!("../fuzz/bodies.rs");

/// Letters rare in English and absent from the report's own vocabulary
/// together, so a 5-character window of a planted value cannot occur in the
/// output by chance.
const RARE: &str = "[jkqvxz]{5,10}";

/// A planted value, and how to find its fragments.
#[derive(Debug, Clone)]
struct Planted {
    values: Vec<String>,
}

impl Planted {
    /// Every window of 5 characters of every value.
    fn fragments(&self) -> Vec<String> {
        let mut out = Vec::new();
        for value in &self.values {
            // Every shortest run of the value holding 5 letters or digits:
            // a mask may show a 4-character tail with its separators
            // (`*** *** *919`, `**** 6756`), never 5 characters of the value.
            let chars: Vec<char> = value.chars().collect();
            for start in 0..chars.len() {
                let mut alnum = 0;
                for end in start..chars.len() {
                    if chars[end].is_alphanumeric() {
                        alnum += 1;
                    }
                    if alnum == 5 {
                        out.push(chars[start..=end].iter().collect());
                        break;
                    }
                }
            }
        }
        out
    }

    fn assert_absent(&self, what: &str, output: &str) {
        for fragment in self.fragments() {
            assert!(
                !output.contains(&fragment),
                "{what} contains `{fragment}` of a planted value"
            );
        }
    }
}

fn email() -> impl Strategy<Value = String> {
    (
        RARE,
        RARE,
        prop::sample::select(vec!["com", "org", "co.uk", "net"]),
    )
        .prop_map(|(local, domain, tld)| format!("{local}@{domain}.{tld}"))
}

/// Ten digits `ddd ddd dddd` (NHS), sixteen `dddd dddd dddd dddd` (card), or
/// a UK mobile `07ddd dddddd`. Digits only from 5 to 9, so that no run of
/// them occurs in sizes and offsets (the messages are small, so those are
/// short numbers; `micros` is removed before checking).
fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        "[5-9]{3} [5-9]{3} [5-9]{4}",
        "[5-9]{4} [5-9]{4} [5-9]{4} [5-9]{4}",
        "07[5-9]{3} [5-9]{6}",
        "[5-9]{10}",
    ]
}

/// A message carrying `emails` in its headers and everywhere in its parts,
/// and `numbers` in its parts, as plain text, HTML, CSV, base64 and a
/// nested message.
fn message(emails: &[String], numbers: &[String], line_end: &str) -> String {
    let mut body = String::new();
    for (i, value) in emails.iter().chain(numbers).enumerate() {
        let _ = write!(body, "item {i}: {value}; ");
    }
    let to = emails.join(", ");
    let csv: String = emails
        .iter()
        .zip(numbers.iter().cycle())
        .map(|(e, n)| format!("{e},{n}\r\n"))
        .collect();
    let m = format!(
        "From: sender@tracewell.co.uk\r\nTo: {to}\r\nCc: {first}\r\nBcc: {to}\r\n\
         Subject: about {body}\r\n\
         Content-Type: multipart/mixed; boundary=\"leak\"\r\n\r\n\
         --leak\r\nContent-Type: text/plain\r\n\r\n{body}\r\n\
         --leak\r\nContent-Type: text/html\r\n\r\n<p>{body}</p><a href=\"mailto:{first}\">x</a>\r\n\
         --leak\r\nContent-Type: text/csv; name=\"list.csv\"\r\n\
         Content-Disposition: attachment; filename=\"list.csv\"\r\n\r\n{csv}\r\n\
         --leak\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n{b64}\r\n\
         --leak\r\nContent-Type: message/rfc822\r\n\r\n\
         From: {first}\r\nTo: {to}\r\nSubject: fwd {body}\r\n\r\n{body}\r\n\
         --leak--\r\n",
        first = emails[0],
        b64 = base64(body.as_bytes()),
    );
    m.replace("\r\n", line_end)
}

fn run_cli(args: &[&str], path: &std::path::Path) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_mailaudit"))
        .args(args)
        .arg(path)
        .output()
        .expect("run mailaudit");
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    json_without_micros(&text)
}

fn planted() -> impl Strategy<Value = (Vec<String>, Vec<String>, bool)> {
    (
        prop::collection::vec(email(), 1..12),
        prop::collection::vec(number(), 1..6),
        any::<bool>(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn library_output_never_holds_a_planted_value((emails, numbers, lf) in planted()) {
        let planted = Planted { values: emails.iter().chain(&numbers).cloned().collect() };
        let raw = message(&emails, &numbers, if lf { "\n" } else { "\r\n" });
        let auditor = Auditor::new(Policy::default()).unwrap();
        let report = auditor.audit(raw.as_bytes()).unwrap();
        prop_assert!(!report.findings().is_empty());
        let report = report.without_timing();
        planted.assert_absent("the JSON report", &report.to_json());
        planted.assert_absent("the report's Debug", &format!("{report:?}"));
        planted.assert_absent("the report's pretty Debug", &format!("{report:#?}"));
        for finding in report.findings() {
            prop_assert!(finding.revealed_value().is_none());
        }

        // Deterministic: same auditor, and a fresh one.
        let again = auditor.audit(raw.as_bytes()).unwrap().without_timing();
        prop_assert_eq!(&report, &again);
        let fresh = Auditor::new(Policy::default()).unwrap();
        prop_assert_eq!(&report, &fresh.audit(raw.as_bytes()).unwrap().without_timing());

        // Errors: over a limit, and no header at all.
        let small = Auditor::new(
            Policy::from_toml("version = 1\n[limits]\nmax_message_bytes = 100\n").unwrap(),
        )
        .unwrap();
        let error = small.audit(raw.as_bytes()).unwrap_err();
        planted.assert_absent("an error message", &error.to_string());
        planted.assert_absent("an error's Debug", &format!("{error:?}"));
        let body_only = format!("\r\n\r\n{}", raw);
        if let Err(error) = auditor.audit(body_only.as_bytes()) {
            planted.assert_absent("an error message", &error.to_string());
            planted.assert_absent("an error's Debug", &format!("{error:?}"));
        }

        // Limits that cut the scan must not change what is shown.
        let cut = Auditor::new(
            Policy::from_toml(
                "version = 1\n[limits]\nmax_decoded_bytes = 300\nmax_parts = 2\n\
                 max_header_line_bytes = 40\nmax_recipients = 3\n",
            )
            .unwrap(),
        )
        .unwrap();
        let report = cut.audit(raw.as_bytes()).unwrap().without_timing();
        prop_assert!(!report.is_complete());
        planted.assert_absent("a truncated report", &report.to_json());
    }
}

proptest! {
    // Each case starts the binary three times: fewer cases.
    #![proptest_config(ProptestConfig::with_cases(12))]

    #[test]
    fn cli_output_never_holds_a_planted_value((emails, numbers, lf) in planted()) {
        let planted = Planted { values: emails.iter().chain(&numbers).cloned().collect() };
        let raw = message(&emails, &numbers, if lf { "\n" } else { "\r\n" });
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("message.eml");
        std::fs::write(&path, &raw).unwrap();
        for format in ["text", "json", "jsonl"] {
            let output = run_cli(&["scan", "--quiet", "--format", format], &path);
            prop_assert!(output.contains("message.eml"), "{}", output);
            planted.assert_absent(&format!("CLI {format} output"), &output);
        }
        // An error path: the body without its header.
        let bad = dir.path().join("bad.eml");
        std::fs::write(&bad, format!("\r\n\r\n{raw}")).unwrap();
        let output = run_cli(&["scan", "--quiet", "--format", "text"], &bad);
        planted.assert_absent("CLI error output", &output);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn c_api_session_split_anywhere_gives_the_same_report(
        (emails, numbers, lf) in planted(),
        seed in any::<u8>(),
    ) {
        let raw = message(&emails, &numbers, if lf { "\n" } else { "\r\n" });
        let mut data = vec![seed];
        data.extend_from_slice(raw.as_bytes());
        // Chunk sizes drawn from the seed; asserts the session's report JSON
        // equals the one-shot audit's.
        fuzz_c_api_session(&data);
    }
}
