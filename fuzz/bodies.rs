// The bodies of the fuzz targets, shared by `fuzz/fuzz_targets/*.rs` and by
// `tests/fuzz_seeds.rs` (which runs them over the seed corpus in plain
// `cargo test`) through `include!`. Each checks invariants and panics when
// one breaks: a panic here is a crash to the fuzzer.

/// An auditor with the default policy, built once per process.
#[allow(dead_code)]
pub fn default_auditor() -> &'static mailaudit::Auditor {
    static AUDITOR: std::sync::OnceLock<mailaudit::Auditor> = std::sync::OnceLock::new();
    AUDITOR.get_or_init(|| {
        mailaudit::Auditor::new(mailaudit::Policy::default()).expect("default policy")
    })
}

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

/// One header line's worth of `data`: line breaks become spaces.
#[allow(dead_code)]
fn header_value(data: &[u8]) -> Vec<u8> {
    data.iter()
        .map(|&b| if b == b'\n' || b == b'\r' { b' ' } else { b })
        .collect()
}

/// Puts arbitrary bytes in every header the label readers look at
/// (protective markings, Sensitivity, expiry dates, MSIP labels, the
/// Subject's markings). The audit completes and is deterministic.
#[allow(dead_code)]
pub fn fuzz_label_headers(auditor: &mailaudit::Auditor, data: &[u8]) {
    let value = header_value(data);
    let mut raw = b"From: sender@tracewell.co.uk\r\nTo: one@example.org\r\n".to_vec();
    for name in [
        &b"X-Protective-Marking"[..],
        b"Sensitivity",
        b"Expires",
        b"Expiry-Date",
        b"msip_labels",
        b"Subject",
    ] {
        raw.extend_from_slice(name);
        raw.extend_from_slice(b": ");
        raw.extend_from_slice(&value);
        raw.extend_from_slice(b"\r\n");
    }
    raw.extend_from_slice(b"\r\nbody\r\n");
    let report = auditor.audit(&raw).expect("a message with headers audits");
    let _ = format!("{:?}", report.labels());
    let again = auditor.audit(&raw).expect("the same input audits the same way");
    assert_eq!(report.without_timing(), again.without_timing());
}

/// The report's JSON without `"micros":N`, the one field that varies.
#[allow(dead_code)]
fn json_without_micros(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    let mut rest = json;
    while let Some(at) = rest.find("\"micros\":") {
        out.push_str(&rest[..at]);
        rest = rest[at + 9..].trim_start_matches(|c: char| c.is_ascii_digit());
    }
    out.push_str(rest);
    out
}

/// A C-API call sequence on one auditor: a session fed `data` (after its
/// first byte) in chunks whose sizes the first byte seeds, finish, a second
/// finish, free. The session's outcome equals a one-shot `mailaudit_audit` of the
/// same bytes, report for report.
#[allow(dead_code)]
pub fn fuzz_c_api_session(data: &[u8]) {
    use mailaudit::ffi::*;
    use std::ptr::{null, null_mut};

    let Some((&seed, message)) = data.split_first() else {
        return;
    };
    // One auditor for the process (compiling one per input would leave the
    // fuzzer a few inputs a second); it is never freed.
    static AUDITOR: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    let auditor = *AUDITOR.get_or_init(|| {
        let mut auditor: *const mailaudit_auditor = null();
        // SAFETY: NULL policy with length 0 asks for the default; no error
        // buffer; `auditor` is writable.
        let code = unsafe { mailaudit_auditor_new(null(), 0, null_mut(), 0, &mut auditor) };
        assert_eq!(code, mailaudit_result::Ok);
        auditor as usize
    }) as *const mailaudit_auditor;

    let mut session: *mut mailaudit_session = null_mut();
    // SAFETY: a live auditor, no envelope, writable out-pointer.
    let code = unsafe { mailaudit_session_new(auditor, null(), &mut session) };
    assert_eq!(code, mailaudit_result::Ok);
    let mut state = u32::from(seed) | 0x100;
    let mut rest = message;
    while !rest.is_empty() {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let take = (state as usize % (usize::from(seed) * 4 + 2)).min(rest.len());
        let (chunk, tail) = rest.split_at(take);
        // SAFETY: a live session on this thread; `chunk` is readable.
        let code = unsafe { mailaudit_session_write(session, chunk.as_ptr(), chunk.len()) };
        assert!(
            matches!(code, mailaudit_result::Ok | mailaudit_result::MessageTooLarge),
            "{code:?}"
        );
        rest = tail;
    }
    let mut from_session: *const mailaudit_report = null();
    // SAFETY: a live session on this thread; writable out-pointer.
    let finished = unsafe { mailaudit_session_finish(session, &mut from_session) };
    let mut one_shot: *const mailaudit_report = null();
    // SAFETY: a live auditor; `message` is readable; writable out-pointer.
    let direct = unsafe {
        mailaudit_audit(auditor, message.as_ptr(), message.len(), null(), &mut one_shot)
    };
    assert_eq!(finished, direct);
    if finished == mailaudit_result::Ok {
        let json = |report: *const mailaudit_report| {
            let mut text: *const std::ffi::c_char = null();
            let mut len = 0usize;
            // SAFETY: a live report; writable out-pointers.
            let code = unsafe { mailaudit_report_json(report, &mut text, &mut len) };
            assert_eq!(code, mailaudit_result::Ok);
            // SAFETY: the report owns `len` bytes of UTF-8 at `text`.
            let bytes = unsafe { std::slice::from_raw_parts(text.cast::<u8>(), len) };
            json_without_micros(&String::from_utf8_lossy(bytes))
        };
        assert_eq!(json(from_session), json(one_shot));
        // SAFETY: both reports are live and freed once.
        unsafe {
            mailaudit_report_free(from_session);
            mailaudit_report_free(one_shot);
        }
    }
    let mut again: *const mailaudit_report = null();
    // SAFETY: the session is still live (finished, not freed).
    let code = unsafe { mailaudit_session_finish(session, &mut again) };
    assert_eq!(code, mailaudit_result::SessionFinished);
    // SAFETY: a live session, freed once.
    unsafe { mailaudit_session_free(session) };
}
