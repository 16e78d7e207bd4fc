// The bodies of the fuzz targets, shared by `fuzz/fuzz_targets/*.rs` and by
// `tests/fuzz_seeds.rs` (which runs them over the seed corpus in plain
// `cargo test`) through `include!`. Each checks invariants and panics when
// one breaks: a panic here is a crash to the fuzzer.

/// Audits raw bytes: never a panic; a report is self-consistent, its JSON
/// parses, and a second audit gives the same report.
#[allow(dead_code)]
pub fn fuzz_audit_bytes(auditor: &mailaudit::Auditor, data: &[u8]) {
    let first = match auditor.audit(data) {
        Ok(report) => report,
        Err(error) => {
            let _ = error.to_string();
            return;
        }
    };
    assert_eq!(first.is_complete(), first.truncated().is_empty());
    assert_eq!(first.stats().bytes, data.len());
    assert!(
        first.is_complete() || first.has_violation("incomplete-scan"),
        "an incomplete scan must say so"
    );
    let json = first.to_json();
    assert!(json.starts_with('{') && json.ends_with('}'));
    let second = auditor.audit(data).expect("the same input audits the same way");
    assert_eq!(first.without_timing(), second.without_timing());
}

/// Loads arbitrary text as a policy: an error or a policy that compiles,
/// prints, and loads again from its own printout.
#[allow(dead_code)]
pub fn fuzz_policy_toml(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match mailaudit::Policy::from_toml(text) {
        Err(error) => {
            let _ = error.to_string();
        }
        Ok(policy) => {
            let printed = policy.to_toml();
            mailaudit::Policy::from_toml(&printed).expect("a printed policy loads again");
            let _ = mailaudit::Auditor::new(policy);
        }
    }
}

/// Puts arbitrary bytes in the address headers of a small message. The
/// counts stay consistent and no more addresses are found than `@` signs.
// TODO: fuzz the retention-label parsers (src/policy/labels.rs) once they
// are on main.
#[allow(dead_code)]
pub fn fuzz_address_headers(auditor: &mailaudit::Auditor, data: &[u8]) {
    let value: Vec<u8> = data
        .iter()
        .map(|&b| if b == b'\n' || b == b'\r' { b' ' } else { b })
        .collect();
    let mut raw = b"From: sender@tracewell.co.uk\r\nTo: ".to_vec();
    raw.extend_from_slice(&value);
    raw.extend_from_slice(b"\r\nCc: ");
    raw.extend_from_slice(&value);
    raw.extend_from_slice(b"\r\nBcc: ");
    raw.extend_from_slice(&value);
    raw.extend_from_slice(b"\r\nSubject: fuzz\r\n\r\nbody\r\n");
    let report = auditor.audit(&raw).expect("a message with headers audits");
    let counts = report.recipients();
    let ats = value.iter().filter(|&&b| b == b'@').count();
    assert!(counts.to <= ats && counts.cc <= ats && counts.bcc <= ats);
    assert_eq!(counts.to, counts.cc);
    assert_eq!(counts.visible, counts.to);
    assert!(counts.external <= counts.visible);
    assert!(counts.consumer <= counts.external);
    assert!(counts.external_domains <= counts.external);
}
