//! The C API called as C would call it: through the `extern "C"` functions
//! and raw pointers. Null pointers, garbage bytes, sessions against whole
//! audits, ownership across threads.

use std::ffi::{c_char, CStr, CString};
use std::ptr;

use mailaudit::ffi::*;
use proptest::prelude::*;

const CONSUMER: [&str; 4] = ["gmail.com", "outlook.com", "yahoo.co.uk", "icloud.com"];

/// A message with `n` visible Cc recipients at consumer domains.
fn incident(n: usize) -> Vec<u8> {
    let mut raw = String::from(
        "From: office@harrowgate-dental.example\r\nTo: office@harrowgate-dental.example\r\nCc: ",
    );
    let cc: Vec<String> = (0..n)
        .map(|i| format!("patient{i}@{}", CONSUMER[i % CONSUMER.len()]))
        .collect();
    raw.push_str(&cc.join(",\r\n "));
    raw.push_str(
        "\r\nSubject: Surgery closed on Friday\r\n\r\nThe surgery is closed on Friday.\r\n",
    );
    raw.into_bytes()
}

fn clean() -> Vec<u8> {
    b"From: a@harrowgate-dental.example\r\nTo: b@harrowgate-dental.example\r\nSubject: lunch\r\n\r\nAt one?\r\n".to_vec()
}

/// An auditor from policy text (or the default); panics in the test on failure.
fn auditor(policy: Option<&str>) -> *const mailaudit_auditor {
    let mut out = ptr::null();
    let (p, len) = policy.map_or((ptr::null(), 0), |p| (p.as_ptr().cast::<c_char>(), p.len()));
    // SAFETY: valid pointer and length; `out` is writable.
    let rc = unsafe { mailaudit_auditor_new(p, len, ptr::null_mut(), 0, &mut out) };
    assert_eq!(rc, mailaudit_result::Ok);
    assert!(!out.is_null());
    out
}

fn audit(
    a: *const mailaudit_auditor,
    msg: &[u8],
) -> Result<*const mailaudit_report, mailaudit_result> {
    let mut report = ptr::null();
    // SAFETY: live auditor, valid slice, writable out-pointer.
    let rc = unsafe { mailaudit_audit(a, msg.as_ptr(), msg.len(), ptr::null(), &mut report) };
    if rc == mailaudit_result::Ok {
        Ok(report)
    } else {
        assert!(report.is_null(), "out-parameter written on failure");
        Err(rc)
    }
}

fn verdict(r: *const mailaudit_report) -> mailaudit_verdict {
    let mut v = mailaudit_verdict::Pass;
    // SAFETY: live report, writable out-pointer.
    assert_eq!(
        unsafe { mailaudit_report_verdict(r, &mut v) },
        mailaudit_result::Ok
    );
    v
}

/// The report's JSON with the timing removed (the only field that varies).
fn json_without_timing(r: *const mailaudit_report) -> serde_json::Value {
    let mut p = ptr::null();
    let mut len = 0usize;
    // SAFETY: live report, writable out-pointers.
    assert_eq!(
        unsafe { mailaudit_report_json(r, &mut p, &mut len) },
        mailaudit_result::Ok
    );
    // SAFETY: the report owns a NUL-terminated string of `len` bytes.
    let text = unsafe { CStr::from_ptr(p) };
    assert_eq!(text.to_bytes().len(), len);
    let mut value: serde_json::Value = serde_json::from_slice(text.to_bytes()).unwrap();
    value["stats"]["micros"] = serde_json::Value::Null;
    value
}

fn free_report(r: *const mailaudit_report) {
    // SAFETY: a report from this test, freed once.
    unsafe { mailaudit_report_free(r) }
}

fn free_auditor(a: *const mailaudit_auditor) {
    // SAFETY: an auditor from this test, freed once.
    unsafe { mailaudit_auditor_free(a) }
}

fn c_str<'a>(p: *const c_char) -> &'a str {
    assert!(!p.is_null());
    // SAFETY: the API returns NUL-terminated UTF-8 strings.
    unsafe { CStr::from_ptr(p) }.to_str().unwrap()
}

#[test]
fn incident_is_quarantined_with_rule_and_message() {
    let a = auditor(None);
    let r = audit(a, &incident(300)).unwrap();
    assert_eq!(verdict(r), mailaudit_verdict::Quarantine);
    // SAFETY: live report.
    let n = unsafe { mailaudit_report_violation_count(r) };
    assert!(n >= 1);
    let mut rules = Vec::new();
    for i in 0..n {
        let (mut rule, mut message, mut action) =
            (ptr::null(), ptr::null(), mailaudit_verdict::Pass);
        // SAFETY: live report, index below count, writable out-pointers.
        unsafe {
            assert_eq!(
                mailaudit_report_violation_rule(r, i, &mut rule),
                mailaudit_result::Ok
            );
            assert_eq!(
                mailaudit_report_violation_message(r, i, &mut message),
                mailaudit_result::Ok
            );
            assert_eq!(
                mailaudit_report_violation_action(r, i, &mut action),
                mailaudit_result::Ok
            );
        }
        assert!(!c_str(message).is_empty());
        // No raw address in a violation message.
        assert!(!c_str(message).contains("patient1@"), "raw address leaked");
        rules.push((c_str(rule).to_string(), action));
    }
    assert!(rules.contains(&(
        "exposed-recipient-list".to_string(),
        mailaudit_verdict::Quarantine
    )));
    // Past the end: an error, and the out-parameter untouched.
    let mut rule = ptr::null();
    // SAFETY: live report; index out of range is handled.
    assert_eq!(
        unsafe { mailaudit_report_violation_rule(r, n, &mut rule) },
        mailaudit_result::IndexOutOfRange
    );
    assert!(rule.is_null());
    let json = json_without_timing(r);
    assert_eq!(json["verdict"], "quarantine");
    free_report(r);
    free_auditor(a);
}

#[test]
fn policy_text_changes_the_verdict_and_errors_are_described() {
    let a = auditor(Some(
        "version = 1\n[rules.exposed-recipient-list]\naction = \"reject\"\n",
    ));
    let r = audit(a, &incident(50)).unwrap();
    assert_eq!(verdict(r), mailaudit_verdict::Reject);
    free_report(r);
    free_auditor(a);

    let bad = "version = 1\n[recipients]\nmin_external_recipientz = 3\n";
    let mut buf = [0 as c_char; 256];
    let mut out = ptr::null();
    // SAFETY: valid pointers and lengths.
    let rc = unsafe {
        mailaudit_auditor_new(
            bad.as_ptr().cast(),
            bad.len(),
            buf.as_mut_ptr(),
            buf.len(),
            &mut out,
        )
    };
    assert_eq!(rc, mailaudit_result::PolicyInvalid);
    assert!(out.is_null());
    let text = c_str(buf.as_ptr());
    assert!(text.contains("min_external_recipientz"), "{text}");
    assert!(text.contains("line 3"), "{text}");

    // Not UTF-8; and a buffer of one byte gets just the NUL.
    let mut one = [b'x' as c_char; 1];
    // SAFETY: valid pointers and lengths.
    let rc = unsafe {
        mailaudit_auditor_new(
            b"\xff\xfe".as_ptr().cast(),
            2,
            one.as_mut_ptr(),
            1,
            &mut out,
        )
    };
    assert_eq!(rc, mailaudit_result::PolicyInvalid);
    assert_eq!(one[0], 0);
}

#[test]
fn null_pointers_are_refused_not_followed() {
    let a = auditor(None);
    let msg = clean();
    let mut report = ptr::null();
    let mut session = ptr::null_mut();
    let mut verdict_out = mailaudit_verdict::Pass;
    let mut s = ptr::null();
    let mut len = 0usize;
    // SAFETY: every call below passes at least one NULL where a pointer is
    // required; the API must check before touching anything.
    unsafe {
        assert_eq!(
            mailaudit_auditor_new(ptr::null(), 0, ptr::null_mut(), 0, ptr::null_mut()),
            mailaudit_result::NullArgument
        );
        assert_eq!(
            mailaudit_auditor_new(ptr::null(), 5, ptr::null_mut(), 0, &mut ptr::null()),
            mailaudit_result::NullArgument
        );
        assert_eq!(
            mailaudit_audit(
                ptr::null(),
                msg.as_ptr(),
                msg.len(),
                ptr::null(),
                &mut report
            ),
            mailaudit_result::NullArgument
        );
        assert_eq!(
            mailaudit_audit(a, ptr::null(), 10, ptr::null(), &mut report),
            mailaudit_result::NullArgument
        );
        assert_eq!(
            mailaudit_audit(a, msg.as_ptr(), msg.len(), ptr::null(), ptr::null_mut()),
            mailaudit_result::NullArgument
        );
        assert_eq!(
            mailaudit_audit(a, ptr::null(), 0, ptr::null(), &mut report),
            mailaudit_result::MessageEmpty
        );
        assert!(report.is_null());
        assert_eq!(
            mailaudit_report_verdict(ptr::null(), &mut verdict_out),
            mailaudit_result::NullArgument
        );
        assert_eq!(mailaudit_report_violation_count(ptr::null()), 0);
        assert_eq!(
            mailaudit_report_violation_rule(ptr::null(), 0, &mut s),
            mailaudit_result::NullArgument
        );
        assert_eq!(
            mailaudit_report_violation_message(ptr::null(), 0, &mut s),
            mailaudit_result::NullArgument
        );
        assert_eq!(
            mailaudit_report_json(ptr::null(), &mut s, &mut len),
            mailaudit_result::NullArgument
        );
        assert_eq!(
            mailaudit_session_new(ptr::null(), ptr::null(), &mut session),
            mailaudit_result::NullArgument
        );
        assert_eq!(
            mailaudit_session_new(a, ptr::null(), ptr::null_mut()),
            mailaudit_result::NullArgument
        );
        assert_eq!(
            mailaudit_session_write(ptr::null_mut(), msg.as_ptr(), msg.len()),
            mailaudit_result::NullArgument
        );
        assert_eq!(
            mailaudit_session_finish(ptr::null_mut(), &mut report),
            mailaudit_result::NullArgument
        );
        // Freeing NULL is a no-op.
        mailaudit_report_free(ptr::null());
        mailaudit_session_free(ptr::null_mut());
        mailaudit_auditor_free(ptr::null());

        // A real report with NULL out-pointers.
        let r = audit(a, &msg).unwrap();
        assert_eq!(
            mailaudit_report_verdict(r, ptr::null_mut()),
            mailaudit_result::NullArgument
        );
        assert_eq!(
            mailaudit_report_json(r, &mut s, ptr::null_mut()),
            mailaudit_result::NullArgument
        );
        assert_eq!(
            mailaudit_report_json(r, ptr::null_mut(), &mut len),
            mailaudit_result::NullArgument
        );
        assert!(s.is_null());
        free_report(r);

        // An envelope whose recipient array is NULL, or holds a NULL.
        let env = mailaudit_envelope {
            mail_from: ptr::null(),
            rcpt_to: ptr::null(),
            rcpt_to_count: 2,
        };
        assert_eq!(
            mailaudit_audit(a, msg.as_ptr(), msg.len(), &env, &mut report),
            mailaudit_result::NullArgument
        );
        let list = [c"x@example.net".as_ptr(), ptr::null()];
        let env = mailaudit_envelope {
            mail_from: ptr::null(),
            rcpt_to: list.as_ptr(),
            rcpt_to_count: 2,
        };
        assert_eq!(
            mailaudit_audit(a, msg.as_ptr(), msg.len(), &env, &mut report),
            mailaudit_result::NullArgument
        );
        assert_eq!(
            mailaudit_session_new(a, &env, &mut session),
            mailaudit_result::NullArgument
        );
        assert!(report.is_null() && session.is_null());
    }
    free_auditor(a);
}

#[test]
fn errors_map_to_their_codes() {
    let a = auditor(None);
    assert_eq!(
        audit(a, b" \r\n\t").unwrap_err(),
        mailaudit_result::MessageEmpty
    );
    match audit(a, &[0xffu8; 64]) {
        Ok(r) => free_report(r),
        Err(code) => assert_eq!(code, mailaudit_result::NotAMessage),
    }
    free_auditor(a);
    let small = auditor(Some("version = 1\n[limits]\nmax_message_bytes = 100\n"));
    assert_eq!(
        audit(small, &incident(20)).unwrap_err(),
        mailaudit_result::MessageTooLarge
    );
    free_auditor(small);
}

#[test]
fn envelope_recipients_reach_the_report() {
    let a = auditor(None);
    let msg = clean();
    let hidden: Vec<CString> = (0..3)
        .map(|i| CString::new(format!("<hidden{i}@gmail.com>")).unwrap())
        .collect();
    let list: Vec<*const c_char> = hidden.iter().map(|s| s.as_ptr()).collect();
    let env = mailaudit_envelope {
        mail_from: c"<a@harrowgate-dental.example>".as_ptr(),
        rcpt_to: list.as_ptr(),
        rcpt_to_count: list.len(),
    };
    let mut r = ptr::null();
    // SAFETY: valid envelope and pointers.
    assert_eq!(
        unsafe { mailaudit_audit(a, msg.as_ptr(), msg.len(), &env, &mut r) },
        mailaudit_result::Ok
    );
    assert_eq!(json_without_timing(r)["recipients"]["envelope_only"], 3);
    free_report(r);
    free_auditor(a);
}

#[test]
fn result_messages_and_version_are_static_strings() {
    assert_eq!(c_str(mailaudit_version()), env!("CARGO_PKG_VERSION"));
    assert_eq!(c_str(mailaudit_result_message(0)), "ok");
    assert_eq!(
        c_str(mailaudit_result_message(u32::MAX)),
        "unknown result code"
    );
    assert_eq!(mailaudit_result::NullArgument as u32, 1);
    assert_eq!(mailaudit_result::Panic as u32, 9);
}

/// Runs a session over `msg` cut at `cuts` and returns its outcome.
fn session_audit(
    a: *const mailaudit_auditor,
    msg: &[u8],
    cuts: &[usize],
) -> Result<*const mailaudit_report, mailaudit_result> {
    let mut s = ptr::null_mut();
    // SAFETY: live auditor, writable out-pointer.
    assert_eq!(
        unsafe { mailaudit_session_new(a, ptr::null(), &mut s) },
        mailaudit_result::Ok
    );
    let mut start = 0;
    let mut failed = None;
    for &cut in cuts.iter().chain(std::iter::once(&msg.len())) {
        let cut = cut.clamp(start, msg.len());
        let chunk = &msg[start..cut];
        // SAFETY: live session, valid chunk.
        let rc = unsafe { mailaudit_session_write(s, chunk.as_ptr(), chunk.len()) };
        if rc != mailaudit_result::Ok {
            failed.get_or_insert(rc);
        }
        start = cut;
    }
    let mut r = ptr::null();
    // SAFETY: live session, writable out-pointer.
    let rc = unsafe { mailaudit_session_finish(s, &mut r) };
    // A second finish is refused.
    let mut again = ptr::null();
    // SAFETY: the session is still live (finished, not freed).
    assert_eq!(
        unsafe { mailaudit_session_finish(s, &mut again) },
        mailaudit_result::SessionFinished
    );
    // SAFETY: as above.
    assert_eq!(
        unsafe { mailaudit_session_write(s, b"x".as_ptr(), 1) },
        mailaudit_result::SessionFinished
    );
    // SAFETY: freed once.
    unsafe { mailaudit_session_free(s) };
    if let Some(code) = failed {
        assert_eq!(rc, code, "finish must repeat the write error");
    }
    if rc == mailaudit_result::Ok {
        Ok(r)
    } else {
        Err(rc)
    }
}

#[test]
fn session_enforces_the_size_limit() {
    let a = auditor(Some("version = 1\n[limits]\nmax_message_bytes = 1000\n"));
    let msg = incident(100);
    assert!(msg.len() > 1000);
    assert_eq!(
        session_audit(a, &msg, &[10, 500, 900]).unwrap_err(),
        mailaudit_result::MessageTooLarge
    );
    let small = clean();
    let r = session_audit(a, &small, &[3, 40]).unwrap();
    assert_eq!(verdict(r), mailaudit_verdict::Pass);
    free_report(r);
    free_auditor(a);
}

#[test]
fn session_outlives_a_freed_auditor() {
    let a = auditor(None);
    let mut s = ptr::null_mut();
    let msg = incident(30);
    // SAFETY: live auditor; then the session keeps its own reference, so the
    // auditor handle may be freed before the session is used.
    unsafe {
        assert_eq!(
            mailaudit_session_new(a, ptr::null(), &mut s),
            mailaudit_result::Ok
        );
        mailaudit_auditor_free(a);
        assert_eq!(
            mailaudit_session_write(s, msg.as_ptr(), msg.len()),
            mailaudit_result::Ok
        );
        let mut r = ptr::null();
        assert_eq!(mailaudit_session_finish(s, &mut r), mailaudit_result::Ok);
        mailaudit_session_free(s);
        assert_eq!(verdict(r), mailaudit_verdict::Quarantine);
        free_report(r);
    }
}

#[test]
fn one_auditor_many_threads() {
    struct Shared(*const mailaudit_auditor);
    // SAFETY: the API documents auditors as usable from any thread at once.
    unsafe impl Send for Shared {}
    // SAFETY: as above.
    unsafe impl Sync for Shared {}
    let a = Shared(auditor(None));
    let expected = {
        let r = audit(a.0, &incident(40)).unwrap();
        let j = json_without_timing(r);
        free_report(r);
        j
    };
    std::thread::scope(|scope| {
        for t in 0..4 {
            let a = &a;
            let expected = &expected;
            scope.spawn(move || {
                for i in 0..25 {
                    let msg = if (t + i) % 2 == 0 {
                        incident(40)
                    } else {
                        clean()
                    };
                    let r = audit(a.0, &msg).unwrap();
                    if (t + i) % 2 == 0 {
                        assert_eq!(&json_without_timing(r), expected);
                    } else {
                        assert_eq!(verdict(r), mailaudit_verdict::Pass);
                    }
                    free_report(r);
                }
            });
        }
    });
    free_auditor(a.0);
}

#[test]
fn borrowed_strings_stay_put_until_the_report_is_freed() {
    let a = auditor(None);
    let r = audit(a, &incident(60)).unwrap();
    let (mut rule, mut json, mut len) = (ptr::null(), ptr::null(), 0usize);
    // SAFETY: live report, writable out-pointers.
    unsafe {
        assert_eq!(
            mailaudit_report_violation_rule(r, 0, &mut rule),
            mailaudit_result::Ok
        );
        assert_eq!(
            mailaudit_report_json(r, &mut json, &mut len),
            mailaudit_result::Ok
        );
    }
    // Other work in between (another audit, another report freed) must not
    // move or free what this report lent out.
    let other = audit(a, &clean()).unwrap();
    free_report(other);
    let (mut rule2, mut json2, mut len2) = (ptr::null(), ptr::null(), 0usize);
    // SAFETY: as above.
    unsafe {
        assert_eq!(
            mailaudit_report_violation_rule(r, 0, &mut rule2),
            mailaudit_result::Ok
        );
        assert_eq!(
            mailaudit_report_json(r, &mut json2, &mut len2),
            mailaudit_result::Ok
        );
    }
    assert_eq!((rule, json, len), (rule2, json2, len2));
    assert_eq!(c_str(rule), "exposed-recipient-list");
    assert!(c_str(json).starts_with('{'));
    free_report(r);
    free_auditor(a);
}

/// Messages with the bytes MIME cares about, so the parser gets exercised.
fn message_like() -> impl Strategy<Value = Vec<u8>> {
    let pieces = prop::sample::select(vec![
        &b"From: a@x.example\r\n"[..],
        b"To: b@gmail.com, c@outlook.com\r\n",
        b"Cc: d@yahoo.fr,\r\n e@icloud.com\r\n",
        b"Content-Type: multipart/mixed; boundary=\"b\"\r\n",
        b"--b\r\n",
        b"--b--\r\n",
        b"Content-Transfer-Encoding: base64\r\n",
        b"\r\n",
        b"\n",
        b"=?utf-8?B?w6k=?=",
        b"hello world ",
        b"\x00\xff\xfe",
    ]);
    prop::collection::vec(pieces, 0..40).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn garbage_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let a = auditor(None);
        match audit(a, &bytes) {
            Ok(r) => free_report(r),
            Err(code) => prop_assert!(matches!(code,
                mailaudit_result::MessageEmpty | mailaudit_result::NotAMessage), "{code:?}"),
        }
        free_auditor(a);
    }

    #[test]
    fn any_policy_bytes_give_an_auditor_or_a_described_error(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let mut buf = [0 as c_char; 128];
        let mut out = ptr::null();
        // SAFETY: valid pointers and lengths.
        let rc = unsafe { mailaudit_auditor_new(bytes.as_ptr().cast(), bytes.len(), buf.as_mut_ptr(), buf.len(), &mut out) };
        match rc {
            mailaudit_result::Ok => free_auditor(out),
            mailaudit_result::PolicyInvalid => {
                prop_assert!(out.is_null());
                prop_assert!(!c_str(buf.as_ptr()).is_empty());
            }
            other => prop_assert!(false, "unexpected {other:?}"),
        }
    }

    #[test]
    fn session_equals_whole_audit(msg in message_like(), cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..6)) {
        let a = auditor(None);
        let mut cuts: Vec<usize> = cuts.iter().map(|i| i.index(msg.len() + 1)).collect();
        cuts.sort_unstable();
        let whole = audit(a, &msg);
        let pieces = session_audit(a, &msg, &cuts);
        match (whole, pieces) {
            (Ok(w), Ok(p)) => {
                prop_assert_eq!(json_without_timing(w), json_without_timing(p));
                free_report(w);
                free_report(p);
            }
            (Err(w), Err(p)) => prop_assert_eq!(w, p),
            (w, p) => prop_assert!(false, "whole {:?} vs session {:?}", w.is_ok(), p.is_ok()),
        }
        free_auditor(a);
    }

    #[test]
    fn incident_split_anywhere_gives_the_same_report(cut in 0usize..4000, cut2 in 0usize..4000) {
        let a = auditor(None);
        let msg = incident(120);
        let mut cuts = [cut, cut2];
        cuts.sort_unstable();
        let w = audit(a, &msg).unwrap();
        let p = session_audit(a, &msg, &cuts).unwrap();
        prop_assert_eq!(json_without_timing(w), json_without_timing(p));
        free_report(w);
        free_report(p);
        free_auditor(a);
    }
}
