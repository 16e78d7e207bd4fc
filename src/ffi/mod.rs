//! The C API: a small surface over [`Auditor`] for mail
//! gateways written in C (milters, Exim, rspamd). The header
//! `include/mailaudit.h` is generated from this module by cbindgen; every doc
//! comment here is copied into it, so each function says who owns what.
//!
//! The rules every entry point follows (learnt from rustls-ffi):
//! - every pointer argument is checked for null; a null where one is not
//!   allowed gives [`mailaudit_result::NullArgument`];
//! - no panic crosses into C: each body runs inside `catch_unwind`, and a
//!   panic becomes [`mailaudit_result::Panic`] (the release profile keeps
//!   `panic = "unwind"` for this). A gateway must never die because of one
//!   message;
//! - out-parameters are written only when the call returns
//!   [`mailaudit_result::Ok`];
//! - result codes are never renumbered or reused.
//!
//! Handles are opaque: C sees `struct mailaudit_auditor` and friends only
//! through pointers. Behind them are Rust values: an `Arc<Auditor>`, and
//! boxed report and session handles.
//!
//! Threads: an auditor may be used by any number of threads at once; a
//! report may be read by any number of threads at once; a session must be
//! used by one thread at a time (it may move between threads).

// The C names are the API: `mailaudit_auditor`, not `MailauditAuditor`.
#![allow(non_camel_case_types)]

mod handles;

use std::ffi::{c_char, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use crate::{Auditor, Envelope, Error, Policy};
use handles::{ReportHandle, SessionHandle};

/// Result of every fallible call. Values are stable: a code is never
/// renumbered or reused, new codes are only appended.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum mailaudit_result {
    /// Success; out-parameters have been written.
    Ok = 0,
    /// A pointer argument that must not be null was null.
    NullArgument = 1,
    /// An argument is out of range (a length over `PTRDIFF_MAX`).
    InvalidArgument = 2,
    /// The policy text is not valid (syntax, unknown key, bad value, not UTF-8).
    PolicyInvalid = 3,
    /// The message is empty or only whitespace.
    MessageEmpty = 4,
    /// The message is larger than the policy's `limits.max_message_bytes`.
    MessageTooLarge = 5,
    /// The input has no RFC 5322 header block.
    NotAMessage = 6,
    /// A violation index is not below the report's violation count.
    IndexOutOfRange = 7,
    /// The session has already been finished.
    SessionFinished = 8,
    /// The library panicked; the call had no effect. Please report it.
    Panic = 9,
    /// Any other internal error.
    Internal = 10,
    /// Memory for the message could not be allocated; the session stops
    /// buffering, as for `MESSAGE_TOO_LARGE`.
    OutOfMemory = 11,
}

/// The verdict of an audit, weakest to strongest.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum mailaudit_verdict {
    /// No violation asks for more than `allow`: deliver.
    Pass = 0,
    /// Deliver, flagged.
    Warn = 1,
    /// Hold for review.
    Quarantine = 2,
    /// Refuse the message.
    Reject = 3,
}

impl From<crate::Verdict> for mailaudit_verdict {
    fn from(v: crate::Verdict) -> Self {
        match v {
            crate::Verdict::Pass => mailaudit_verdict::Pass,
            crate::Verdict::Warn => mailaudit_verdict::Warn,
            crate::Verdict::Quarantine => mailaudit_verdict::Quarantine,
            crate::Verdict::Reject => mailaudit_verdict::Reject,
        }
    }
}

impl From<&Error> for mailaudit_result {
    fn from(e: &Error) -> Self {
        match e {
            Error::Empty => mailaudit_result::MessageEmpty,
            Error::TooLarge { .. } => mailaudit_result::MessageTooLarge,
            Error::NotAMessage => mailaudit_result::NotAMessage,
            Error::Policy(_) => mailaudit_result::PolicyInvalid,
            #[allow(unreachable_patterns)]
            _ => mailaudit_result::Internal,
        }
    }
}

/// An auditor: a compiled policy. Create with [`mailaudit_auditor_new`],
/// free with [`mailaudit_auditor_free`]. Thread-safe: one auditor serves any
/// number of threads at once.
pub struct mailaudit_auditor {
    _private: [u8; 0],
}

/// The result of one audit. Owned by the caller, freed with
/// [`mailaudit_report_free`]. Immutable: any number of threads may read one
/// report at once. It does not borrow from the auditor or the message.
pub struct mailaudit_report {
    _private: [u8; 0],
}

/// An incremental audit of one message fed in pieces (for milters). Create
/// with [`mailaudit_session_new`], free with [`mailaudit_session_free`]. Use
/// from one thread at a time; it may move between threads.
pub struct mailaudit_session {
    _private: [u8; 0],
}

/// The SMTP envelope of a message, as the gateway received it. All pointers
/// are borrowed for the duration of the call that takes the envelope; the
/// library copies what it keeps.
#[repr(C)]
pub struct mailaudit_envelope {
    /// The `MAIL FROM` address as a NUL-terminated string, with or without
    /// angle brackets; NULL or `""` when unknown (the null sender).
    pub mail_from: *const c_char,
    /// An array of `rcpt_to_count` NUL-terminated `RCPT TO` addresses (each
    /// with or without angle brackets). May be NULL when `rcpt_to_count` is 0.
    pub rcpt_to: *const *const c_char,
    /// Number of entries in `rcpt_to`.
    pub rcpt_to_count: usize,
}

// The thread-safety promises above, checked by the compiler: auditors and
// reports are shared between threads, sessions move between them.
const _: () = {
    const fn shared<T: Send + Sync>() {}
    const fn movable<T: Send>() {}
    shared::<Auditor>();
    shared::<ReportHandle>();
    movable::<SessionHandle>();
};

/// Runs `f`, turning a panic into [`mailaudit_result::Panic`].
pub(crate) fn guard(f: impl FnOnce() -> mailaudit_result) -> mailaudit_result {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or(mailaudit_result::Panic)
}

/// Runs `f`, turning a panic into `fallback`.
fn guard_or<T>(fallback: T, f: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or(fallback)
}

/// Borrows `len` bytes at `ptr`. `(NULL, 0)` is the empty slice.
///
/// # Safety
/// Unless null, `ptr` must point to `len` readable bytes that stay valid and
/// unchanged for `'a`.
unsafe fn bytes_arg<'a>(ptr: *const u8, len: usize) -> Result<&'a [u8], mailaudit_result> {
    if len == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() {
        return Err(mailaudit_result::NullArgument);
    }
    // `slice::from_raw_parts` requires the size to fit in isize.
    if len > isize::MAX as usize {
        return Err(mailaudit_result::InvalidArgument);
    }
    // SAFETY: non-null, length checked against isize::MAX; the caller
    // promises `len` readable bytes valid for 'a.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// Copies a C envelope into an [`Envelope`].
///
/// # Safety
/// `env` must be null or point to a valid `mailaudit_envelope` whose
/// pointers follow its documented contract.
unsafe fn envelope_arg(
    env: *const mailaudit_envelope,
) -> Result<Option<Envelope>, mailaudit_result> {
    if env.is_null() {
        return Ok(None);
    }
    // SAFETY: non-null; the caller promises a valid envelope struct.
    let env = unsafe { &*env };
    // SAFETY: the caller promises a NUL-terminated string or null.
    let mail_from = unsafe { address_arg(env.mail_from) }.filter(|a| !a.is_empty());
    let mut rcpt_to = Vec::new();
    if env.rcpt_to_count > 0 {
        if env.rcpt_to.is_null() {
            return Err(mailaudit_result::NullArgument);
        }
        if env.rcpt_to_count > isize::MAX as usize / std::mem::size_of::<*const c_char>() {
            return Err(mailaudit_result::InvalidArgument);
        }
        // SAFETY: non-null, size fits isize; the caller promises
        // `rcpt_to_count` readable pointers.
        let list = unsafe { std::slice::from_raw_parts(env.rcpt_to, env.rcpt_to_count) };
        rcpt_to.reserve(list.len());
        for &p in list {
            // SAFETY: each entry is a NUL-terminated string or null.
            match unsafe { address_arg(p) } {
                Some(a) if !a.is_empty() => rcpt_to.push(a),
                Some(_) => {}
                None => return Err(mailaudit_result::NullArgument),
            }
        }
    }
    Ok(Some(Envelope { mail_from, rcpt_to }))
}

/// Reads an SMTP path: NUL-terminated, any bytes (invalid UTF-8 is replaced),
/// surrounding whitespace and one pair of angle brackets removed.
///
/// # Safety
/// `p` must be null or a NUL-terminated string.
unsafe fn address_arg(p: *const c_char) -> Option<String> {
    if p.is_null() {
        return None;
    }
    // SAFETY: non-null and NUL-terminated per the caller.
    let raw = unsafe { CStr::from_ptr(p) }.to_bytes();
    let text = String::from_utf8_lossy(raw);
    let trimmed = text.trim();
    let inner = trimmed
        .strip_prefix('<')
        .and_then(|t| t.strip_suffix('>'))
        .unwrap_or(trimmed);
    Some(inner.trim().to_string())
}

/// Writes `value` through `out`.
///
/// # Safety
/// `out` must be non-null, aligned and writable.
unsafe fn write_out<T>(out: *mut T, value: T) {
    // SAFETY: per the caller; `write` does not drop the old (uninitialised) value.
    unsafe { out.write(value) }
}

/// Copies `message` into `buf` (capacity `buf_len`, at least 1), truncated
/// at a character boundary and NUL-terminated.
///
/// # Safety
/// `buf` must point to `buf_len` writable bytes.
unsafe fn write_error(buf: *mut c_char, buf_len: usize, message: &str) {
    if buf.is_null() || buf_len == 0 {
        return;
    }
    let mut n = message.len().min(buf_len - 1);
    while !message.is_char_boundary(n) {
        n -= 1;
    }
    // A NUL inside would end the C string early; none of our messages has one.
    let bytes = &message.as_bytes()[..n];
    // SAFETY: `buf` has `buf_len > n` writable bytes per the caller, and the
    // source is a distinct Rust allocation.
    unsafe {
        std::ptr::copy_nonoverlapping(bytes.as_ptr(), buf.cast::<u8>(), n);
        buf.add(n).write(0);
    }
}

/// Builds an auditor from a policy.
///
/// `policy` is TOML text of `policy_len` bytes (need not be NUL-terminated),
/// merged over the embedded default policy as `mailaudit policy` documents;
/// pass NULL (and 0) for the embedded default.
///
/// `error_buf` may be NULL. When it is not, it must hold `error_buf_len`
/// bytes; if the policy is invalid, a NUL-terminated description (key path,
/// line and column; truncated to fit) is written there. It is written only
/// on failure.
///
/// On success, `*auditor_out` receives a new auditor owned by the caller,
/// to be freed with `mailaudit_auditor_free`.
///
/// # Safety
/// Pointers must be valid for the lengths given; `auditor_out` must be a
/// valid pointer to writable storage.
#[no_mangle]
pub unsafe extern "C" fn mailaudit_auditor_new(
    policy: *const c_char,
    policy_len: usize,
    error_buf: *mut c_char,
    error_buf_len: usize,
    auditor_out: *mut *const mailaudit_auditor,
) -> mailaudit_result {
    guard(|| {
        if auditor_out.is_null() {
            return mailaudit_result::NullArgument;
        }
        let fail = |code: mailaudit_result, message: &str| {
            // SAFETY: the caller promises error_buf_len writable bytes.
            unsafe { write_error(error_buf, error_buf_len, message) };
            code
        };
        let policy = if policy.is_null() {
            if policy_len != 0 {
                return mailaudit_result::NullArgument;
            }
            Policy::default()
        } else {
            // SAFETY: the caller promises `policy_len` readable bytes.
            let bytes = match unsafe { bytes_arg(policy.cast::<u8>(), policy_len) } {
                Ok(b) => b,
                Err(code) => return code,
            };
            let Ok(text) = std::str::from_utf8(bytes) else {
                return fail(
                    mailaudit_result::PolicyInvalid,
                    "the policy is not UTF-8 text",
                );
            };
            match Policy::from_toml(text) {
                Ok(p) => p,
                Err(e) => return fail(mailaudit_result::PolicyInvalid, &e.to_string()),
            }
        };
        match Auditor::new(policy) {
            Ok(auditor) => {
                let raw = Arc::into_raw(Arc::new(auditor));
                // SAFETY: checked non-null above; the caller promises it is writable.
                unsafe { write_out(auditor_out, raw.cast::<mailaudit_auditor>()) };
                mailaudit_result::Ok
            }
            Err(e) => {
                let code = mailaudit_result::from(&e);
                fail(code, &e.to_string())
            }
        }
    })
}

/// Frees an auditor. NULL is ignored. Call it once, after every call that
/// uses this auditor has returned. Reports made by it stay valid, and
/// sessions made by it keep it alive until they are freed.
///
/// # Safety
/// `auditor` must be NULL or a pointer from `mailaudit_auditor_new` not yet freed.
#[no_mangle]
pub unsafe extern "C" fn mailaudit_auditor_free(auditor: *const mailaudit_auditor) {
    guard_or((), || {
        if auditor.is_null() {
            return;
        }
        // SAFETY: it came from Arc::into_raw in mailaudit_auditor_new and the
        // caller gives up this reference.
        drop(unsafe { Arc::from_raw(auditor.cast::<Auditor>()) });
    })
}

/// Borrows the auditor behind a handle.
///
/// # Safety
/// `auditor` must be non-null and live.
unsafe fn auditor_ref<'a>(auditor: *const mailaudit_auditor) -> &'a Auditor {
    // SAFETY: per the caller, it points to the Auditor inside a live Arc.
    unsafe { &*auditor.cast::<Auditor>() }
}

/// Audits one whole message.
///
/// `message` points to `message_len` bytes of raw RFC 5322 message (headers,
/// blank line, body; any bytes). `envelope` may be NULL; it is read during
/// the call only. Thread-safe: many threads may audit with one auditor at
/// once.
///
/// On success, `*report_out` receives a new report owned by the caller, to
/// be freed with `mailaudit_report_free`. Errors: `MESSAGE_EMPTY`,
/// `MESSAGE_TOO_LARGE`, `NOT_A_MESSAGE` (problems inside a readable message
/// are not errors: they are in the report).
///
/// # Safety
/// `auditor` must be a live auditor; `message` must point to `message_len`
/// readable bytes; `envelope` must be NULL or valid; `report_out` must be
/// writable.
#[no_mangle]
pub unsafe extern "C" fn mailaudit_audit(
    auditor: *const mailaudit_auditor,
    message: *const u8,
    message_len: usize,
    envelope: *const mailaudit_envelope,
    report_out: *mut *const mailaudit_report,
) -> mailaudit_result {
    guard(|| {
        if auditor.is_null() || report_out.is_null() {
            return mailaudit_result::NullArgument;
        }
        // SAFETY: checked non-null; the caller promises a live auditor.
        let auditor = unsafe { auditor_ref(auditor) };
        // SAFETY: the caller promises `message_len` readable bytes.
        let raw = match unsafe { bytes_arg(message, message_len) } {
            Ok(b) => b,
            Err(code) => return code,
        };
        // SAFETY: the caller promises a valid envelope or null.
        let envelope = match unsafe { envelope_arg(envelope) } {
            Ok(e) => e,
            Err(code) => return code,
        };
        let result = match &envelope {
            Some(env) => auditor.audit_with_envelope(raw, env),
            None => auditor.audit(raw),
        };
        match result {
            Ok(report) => {
                let handle = ReportHandle::new(report).into_raw();
                // SAFETY: checked non-null; the caller promises it is writable.
                unsafe { write_out(report_out, handle) };
                mailaudit_result::Ok
            }
            Err(e) => mailaudit_result::from(&e),
        }
    })
}

/// Borrows the report behind a handle.
///
/// # Safety
/// `report` must be non-null and live.
unsafe fn report_ref<'a>(report: *const mailaudit_report) -> &'a ReportHandle {
    // SAFETY: per the caller, it came from ReportHandle::into_raw and is not freed.
    unsafe { &*report.cast::<ReportHandle>() }
}

/// Writes the report's verdict to `*verdict_out`.
///
/// # Safety
/// `report` must be a live report; `verdict_out` must be writable.
#[no_mangle]
pub unsafe extern "C" fn mailaudit_report_verdict(
    report: *const mailaudit_report,
    verdict_out: *mut mailaudit_verdict,
) -> mailaudit_result {
    guard(|| {
        if report.is_null() || verdict_out.is_null() {
            return mailaudit_result::NullArgument;
        }
        // SAFETY: checked non-null; the caller promises a live report.
        let report = unsafe { report_ref(report) };
        // SAFETY: checked non-null; the caller promises it is writable.
        unsafe { write_out(verdict_out, report.report().verdict().into()) };
        mailaudit_result::Ok
    })
}

/// The number of violations (rules that fired) in the report; 0 for NULL.
///
/// # Safety
/// `report` must be NULL or a live report.
#[no_mangle]
pub unsafe extern "C" fn mailaudit_report_violation_count(
    report: *const mailaudit_report,
) -> usize {
    guard_or(0, || {
        if report.is_null() {
            return 0;
        }
        // SAFETY: checked non-null; the caller promises a live report.
        unsafe { report_ref(report) }.report().violations().len()
    })
}

/// Writes to `*rule_out` the id of violation `index` (e.g.
/// `"exposed-recipient-list"`), a NUL-terminated string borrowed from the
/// report: valid until the report is freed; do not free it.
///
/// # Safety
/// `report` must be a live report; `rule_out` must be writable.
#[no_mangle]
pub unsafe extern "C" fn mailaudit_report_violation_rule(
    report: *const mailaudit_report,
    index: usize,
    rule_out: *mut *const c_char,
) -> mailaudit_result {
    violation_field(report, index, rule_out, |h, i| h.rule(i))
}

/// Writes to `*message_out` the human-readable message of violation
/// `index`: one sentence, masked values only, a NUL-terminated UTF-8 string
/// borrowed from the report: valid until the report is freed; do not free it.
///
/// # Safety
/// `report` must be a live report; `message_out` must be writable.
#[no_mangle]
pub unsafe extern "C" fn mailaudit_report_violation_message(
    report: *const mailaudit_report,
    index: usize,
    message_out: *mut *const c_char,
) -> mailaudit_result {
    violation_field(report, index, message_out, |h, i| h.message(i))
}

/// Writes to `*action_out` what violation `index` asks for (its rule's
/// action in the policy, as a verdict).
///
/// # Safety
/// `report` must be a live report; `action_out` must be writable.
#[no_mangle]
pub unsafe extern "C" fn mailaudit_report_violation_action(
    report: *const mailaudit_report,
    index: usize,
    action_out: *mut mailaudit_verdict,
) -> mailaudit_result {
    violation_field(report, index, action_out, |h, i| {
        h.report()
            .violations()
            .get(i)
            .map(|v| crate::Verdict::from_action(v.action).into())
    })
}

fn violation_field<T>(
    report: *const mailaudit_report,
    index: usize,
    out: *mut T,
    get: impl FnOnce(&ReportHandle, usize) -> Option<T>,
) -> mailaudit_result {
    guard(|| {
        if report.is_null() || out.is_null() {
            return mailaudit_result::NullArgument;
        }
        // SAFETY: checked non-null; the caller of the entry point promises a
        // live report.
        let report = unsafe { report_ref(report) };
        match get(report, index) {
            Some(value) => {
                // SAFETY: checked non-null; the caller promises it is writable.
                unsafe { write_out(out, value) };
                mailaudit_result::Ok
            }
            None => mailaudit_result::IndexOutOfRange,
        }
    })
}

/// Writes to `*json_out` the report as JSON (the shape `mailaudit scan
/// --format json` prints, masked values only) and to `*json_len_out` its
/// length in bytes without the terminating NUL. The string is
/// NUL-terminated UTF-8 borrowed from the report: valid until the report is
/// freed; do not free it.
///
/// # Safety
/// `report` must be a live report; both out-pointers must be writable.
#[no_mangle]
pub unsafe extern "C" fn mailaudit_report_json(
    report: *const mailaudit_report,
    json_out: *mut *const c_char,
    json_len_out: *mut usize,
) -> mailaudit_result {
    guard(|| {
        if report.is_null() || json_out.is_null() || json_len_out.is_null() {
            return mailaudit_result::NullArgument;
        }
        // SAFETY: checked non-null; the caller promises a live report.
        let json = unsafe { report_ref(report) }.json();
        // SAFETY: checked non-null; the caller promises both are writable.
        unsafe {
            write_out(json_out, json.as_ptr());
            write_out(json_len_out, json.as_bytes().len());
        }
        mailaudit_result::Ok
    })
}

/// Frees a report and every string borrowed from it. NULL is ignored.
///
/// # Safety
/// `report` must be NULL or a report not yet freed, and no other thread may
/// be using it.
#[no_mangle]
pub unsafe extern "C" fn mailaudit_report_free(report: *const mailaudit_report) {
    guard_or((), || {
        if report.is_null() {
            return;
        }
        // SAFETY: it came from ReportHandle::into_raw and the caller gives it up.
        drop(unsafe { ReportHandle::from_raw(report) });
    })
}

/// Starts an incremental audit of one message, for callers that receive it
/// in pieces (a milter). `envelope` may be NULL; it is copied, so it need
/// not outlive this call. The session holds a reference to the auditor, so
/// freeing the auditor first is safe.
///
/// Feed the raw message with `mailaudit_session_write`, then call
/// `mailaudit_session_finish` once. The report equals what `mailaudit_audit`
/// gives for the concatenated bytes. The session buffers the message, at
/// most the policy's `limits.max_message_bytes`.
///
/// On success, `*session_out` receives a new session owned by the caller,
/// to be freed with `mailaudit_session_free`.
///
/// # Safety
/// `auditor` must be a live auditor; `envelope` NULL or valid;
/// `session_out` writable.
#[no_mangle]
pub unsafe extern "C" fn mailaudit_session_new(
    auditor: *const mailaudit_auditor,
    envelope: *const mailaudit_envelope,
    session_out: *mut *mut mailaudit_session,
) -> mailaudit_result {
    guard(|| {
        if auditor.is_null() || session_out.is_null() {
            return mailaudit_result::NullArgument;
        }
        // SAFETY: the caller promises a valid envelope or null.
        let envelope = match unsafe { envelope_arg(envelope) } {
            Ok(e) => e,
            Err(code) => return code,
        };
        let raw = auditor.cast::<Auditor>();
        // SAFETY: `raw` came from Arc::into_raw and is live per the caller;
        // the session takes a new strong reference of its own.
        let shared = unsafe {
            Arc::increment_strong_count(raw);
            Arc::from_raw(raw)
        };
        let handle = SessionHandle::new(shared, envelope).into_raw();
        // SAFETY: checked non-null; the caller promises it is writable.
        unsafe { write_out(session_out, handle) };
        mailaudit_result::Ok
    })
}

/// Borrows the session behind a handle, mutably.
///
/// # Safety
/// `session` must be non-null, live, and used by no other thread now.
unsafe fn session_mut<'a>(session: *mut mailaudit_session) -> &'a mut SessionHandle {
    // SAFETY: per the caller, it came from SessionHandle::into_raw, is not
    // freed, and this call has exclusive use of it.
    unsafe { &mut *session.cast::<SessionHandle>() }
}

/// Appends `chunk_len` bytes of the raw message to the session. The bytes
/// are copied. `(NULL, 0)` is allowed and does nothing.
///
/// Returns `MESSAGE_TOO_LARGE` once the total passes the policy's
/// `limits.max_message_bytes`; the session then stops buffering, and
/// `mailaudit_session_finish` returns `MESSAGE_TOO_LARGE` too. If memory
/// for the chunk cannot be allocated it returns `OUT_OF_MEMORY` (and so does
/// `mailaudit_session_finish`) instead of aborting the process. Returns
/// `SESSION_FINISHED` after `mailaudit_session_finish`.
///
/// # Safety
/// `session` must be a live session used by no other thread now; `chunk`
/// must point to `chunk_len` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn mailaudit_session_write(
    session: *mut mailaudit_session,
    chunk: *const u8,
    chunk_len: usize,
) -> mailaudit_result {
    guard(|| {
        if session.is_null() {
            return mailaudit_result::NullArgument;
        }
        // SAFETY: the caller promises `chunk_len` readable bytes.
        let chunk = match unsafe { bytes_arg(chunk, chunk_len) } {
            Ok(b) => b,
            Err(code) => return code,
        };
        // SAFETY: checked non-null; the caller promises a live session used
        // by this thread only.
        unsafe { session_mut(session) }.write(chunk)
    })
}

/// Audits the bytes written so far and ends the session (it can then only
/// be freed). On success, `*report_out` receives a new report owned by the
/// caller, to be freed with `mailaudit_report_free`. Errors are those of
/// `mailaudit_audit`, or `SESSION_FINISHED` on a second call.
///
/// # Safety
/// `session` must be a live session used by no other thread now;
/// `report_out` writable.
#[no_mangle]
pub unsafe extern "C" fn mailaudit_session_finish(
    session: *mut mailaudit_session,
    report_out: *mut *const mailaudit_report,
) -> mailaudit_result {
    guard(|| {
        if session.is_null() || report_out.is_null() {
            return mailaudit_result::NullArgument;
        }
        // SAFETY: checked non-null; the caller promises a live session used
        // by this thread only.
        match unsafe { session_mut(session) }.finish() {
            Ok(report) => {
                let handle = ReportHandle::new(report).into_raw();
                // SAFETY: checked non-null; the caller promises it is writable.
                unsafe { write_out(report_out, handle) };
                mailaudit_result::Ok
            }
            Err(code) => code,
        }
    })
}

/// Frees a session (finished or not) and its buffer. NULL is ignored.
///
/// # Safety
/// `session` must be NULL or a session not yet freed, used by no other thread.
#[no_mangle]
pub unsafe extern "C" fn mailaudit_session_free(session: *mut mailaudit_session) {
    guard_or((), || {
        if session.is_null() {
            return;
        }
        // SAFETY: it came from SessionHandle::into_raw and the caller gives it up.
        drop(unsafe { SessionHandle::from_raw(session) });
    })
}

/// The library version, e.g. `"0.1.0"`: a static NUL-terminated string;
/// do not free it.
#[no_mangle]
pub extern "C" fn mailaudit_version() -> *const c_char {
    const VERSION: &CStr =
        match CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
            Ok(v) => v,
            Err(_) => c"unknown",
        };
    VERSION.as_ptr()
}

/// The lower-case name of a verdict (a `mailaudit_verdict` value), as the
/// JSON report and the CLI spell it: `"pass"`, `"warn"`, `"quarantine"`,
/// `"reject"`; `"unknown"` for other values. A static NUL-terminated string;
/// do not free it.
#[no_mangle]
pub extern "C" fn mailaudit_verdict_name(verdict: u32) -> *const c_char {
    let text: &'static CStr = match verdict {
        0 => c"pass",
        1 => c"warn",
        2 => c"quarantine",
        3 => c"reject",
        _ => c"unknown",
    };
    text.as_ptr()
}

/// A short English description of a result code (a `mailaudit_result`
/// value): a static NUL-terminated string; do not free it. Unknown codes
/// give `"unknown result code"`.
#[no_mangle]
pub extern "C" fn mailaudit_result_message(code: u32) -> *const c_char {
    let text: &'static CStr = match code {
        0 => c"ok",
        1 => c"a required pointer argument was NULL",
        2 => c"an argument is out of range",
        3 => c"the policy is invalid",
        4 => c"the message is empty",
        5 => c"the message is larger than the policy's limits.max_message_bytes",
        6 => c"the input is not an RFC 5322 message",
        7 => c"violation index out of range",
        8 => c"the session is already finished",
        9 => c"internal error: the library panicked",
        10 => c"internal error",
        11 => c"out of memory",
        _ => c"unknown result code",
    };
    text.as_ptr()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_a_result_code() {
        assert_eq!(guard(|| panic!("boom")), mailaudit_result::Panic);
        assert_eq!(guard_or(7usize, || panic!("boom")), 7);
    }

    #[test]
    fn every_code_has_its_own_message() {
        let mut seen = std::collections::BTreeSet::new();
        for code in 0..=11u32 {
            // SAFETY: static NUL-terminated strings.
            let text = unsafe { CStr::from_ptr(mailaudit_result_message(code)) };
            assert!(
                seen.insert(text.to_owned()),
                "code {code} repeats a message"
            );
        }
        // The numbering is a promise to C callers.
        assert_eq!(mailaudit_result::Internal as u32, 10);
        assert_eq!(mailaudit_result::OutOfMemory as u32, 11);
        assert_eq!(mailaudit_verdict::Reject as u32, 3);
    }

    #[test]
    fn error_buffer_is_truncated_on_a_char_boundary() {
        let mut buf = [1 as c_char; 5];
        // SAFETY: buf has 5 writable bytes.
        unsafe { write_error(buf.as_mut_ptr(), buf.len(), "ab\u{e9}cd") };
        // "ab" + 2-byte é = 4 bytes fits exactly, then NUL.
        // SAFETY: write_error NUL-terminated it.
        let s = unsafe { CStr::from_ptr(buf.as_ptr()) };
        assert_eq!(s.to_str().unwrap(), "ab\u{e9}");
        let mut small = [1 as c_char; 4];
        // SAFETY: small has 4 writable bytes.
        unsafe { write_error(small.as_mut_ptr(), small.len(), "ab\u{e9}cd") };
        // SAFETY: NUL-terminated.
        let s = unsafe { CStr::from_ptr(small.as_ptr()) };
        assert_eq!(s.to_str().unwrap(), "ab");
    }
}
