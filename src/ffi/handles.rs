//! The Rust values behind the opaque C handles.

use std::ffi::CString;
use std::sync::{Arc, OnceLock};

use super::{mailaudit_report, mailaudit_result, mailaudit_session};
use crate::{Auditor, Envelope, Report};

/// What a `mailaudit_report *` points to: the report, plus NUL-terminated
/// copies of the strings C borrows from it, made once so that a borrowed
/// pointer stays valid until the report is freed.
pub(crate) struct ReportHandle {
    report: Report,
    rules: Vec<CString>,
    messages: Vec<CString>,
    // Built on first request; `OnceLock` keeps concurrent readers safe.
    json: OnceLock<CString>,
}

/// A C string from library text. Our texts contain no NUL; should one ever
/// appear, it is dropped rather than truncating the string or failing.
fn c_string(text: &str) -> CString {
    CString::new(text).unwrap_or_else(|_| {
        let cleaned: Vec<u8> = text.bytes().filter(|&b| b != 0).collect();
        CString::new(cleaned).unwrap_or_default()
    })
}

impl ReportHandle {
    pub(crate) fn new(report: Report) -> ReportHandle {
        let rules = report
            .violations()
            .iter()
            .map(|v| c_string(v.rule))
            .collect();
        let messages = report
            .violations()
            .iter()
            .map(|v| c_string(&v.message))
            .collect();
        ReportHandle {
            report,
            rules,
            messages,
            json: OnceLock::new(),
        }
    }

    pub(crate) fn report(&self) -> &Report {
        &self.report
    }

    pub(crate) fn rule(&self, index: usize) -> Option<*const std::ffi::c_char> {
        self.rules.get(index).map(|s| s.as_ptr())
    }

    pub(crate) fn message(&self, index: usize) -> Option<*const std::ffi::c_char> {
        self.messages.get(index).map(|s| s.as_ptr())
    }

    pub(crate) fn json(&self) -> &CString {
        self.json.get_or_init(|| c_string(&self.report.to_json()))
    }

    pub(crate) fn into_raw(self) -> *const mailaudit_report {
        Box::into_raw(Box::new(self)).cast_const().cast()
    }

    /// Takes back ownership of a handle made by `into_raw`.
    ///
    /// # Safety
    /// `raw` must come from [`ReportHandle::into_raw`] and not be used again.
    pub(crate) unsafe fn from_raw(raw: *const mailaudit_report) -> Box<ReportHandle> {
        // SAFETY: per the caller, it is a Box<ReportHandle> leaked by into_raw.
        unsafe { Box::from_raw(raw.cast_mut().cast::<ReportHandle>()) }
    }
}

#[derive(Clone, Copy)]
enum SessionState {
    /// Buffering.
    Open,
    /// The size limit was passed, or memory ran out; later bytes are
    /// dropped and `finish` repeats this error.
    Failed(mailaudit_result),
    /// `finish` was called.
    Finished,
}

/// What a `mailaudit_session *` points to: the message buffered up to the
/// policy's size limit. mail-parser needs the whole message, so buffering is
/// the honest way to give exactly the whole-message report; the limit
/// bounds the memory.
pub(crate) struct SessionHandle {
    auditor: Arc<Auditor>,
    envelope: Option<Envelope>,
    buffer: Vec<u8>,
    limit_bytes: u64,
    state: SessionState,
}

impl SessionHandle {
    pub(crate) fn new(auditor: Arc<Auditor>, envelope: Option<Envelope>) -> SessionHandle {
        let limit_bytes = auditor.policy().max_message_bytes();
        SessionHandle {
            auditor,
            envelope,
            buffer: Vec::new(),
            limit_bytes,
            state: SessionState::Open,
        }
    }

    pub(crate) fn write(&mut self, chunk: &[u8]) -> mailaudit_result {
        match self.state {
            SessionState::Finished => mailaudit_result::SessionFinished,
            SessionState::Failed(code) => code,
            SessionState::Open => {
                let total = (self.buffer.len() as u64).saturating_add(chunk.len() as u64);
                let code = if total > self.limit_bytes {
                    mailaudit_result::MessageTooLarge
                } else if self.buffer.try_reserve(chunk.len()).is_err() {
                    // A gateway must not be aborted by one large message.
                    mailaudit_result::OutOfMemory
                } else {
                    self.buffer.extend_from_slice(chunk);
                    return mailaudit_result::Ok;
                };
                self.state = SessionState::Failed(code);
                self.buffer = Vec::new();
                code
            }
        }
    }

    pub(crate) fn finish(&mut self) -> Result<Report, mailaudit_result> {
        match std::mem::replace(&mut self.state, SessionState::Finished) {
            SessionState::Finished => Err(mailaudit_result::SessionFinished),
            SessionState::Failed(code) => Err(code),
            SessionState::Open => {
                let raw = std::mem::take(&mut self.buffer);
                let result = match &self.envelope {
                    Some(env) => self.auditor.audit_with_envelope(&raw, env),
                    None => self.auditor.audit(&raw),
                };
                result.map_err(|e| mailaudit_result::from(&e))
            }
        }
    }

    pub(crate) fn into_raw(self) -> *mut mailaudit_session {
        Box::into_raw(Box::new(self)).cast()
    }

    /// Takes back ownership of a handle made by `into_raw`.
    ///
    /// # Safety
    /// `raw` must come from [`SessionHandle::into_raw`] and not be used again.
    pub(crate) unsafe fn from_raw(raw: *mut mailaudit_session) -> Box<SessionHandle> {
        // SAFETY: per the caller, it is a Box<SessionHandle> leaked by into_raw.
        unsafe { Box::from_raw(raw.cast::<SessionHandle>()) }
    }
}
