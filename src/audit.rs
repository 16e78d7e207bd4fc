//! The [`Auditor`]: built once from a [`Policy`], audits many messages.

use std::time::Instant;

use crate::detect::Scanner;
use crate::error::Error;
use crate::message;
use crate::policy::allow::AllowList;
use crate::policy::evaluate::{evaluate, Facts};
use crate::policy::labels::LabelReader;
use crate::policy::Policy;
use crate::recipients::{Envelope, RecipientRules};
use crate::report::{Report, SenderRef, Stats};

/// Options that change what an [`Auditor`] puts in its reports.
#[derive(Debug, Clone, Copy, Default)]
#[non_exhaustive]
pub struct AuditOptions {
    /// Keep each finding's raw value, readable with
    /// [`Finding::revealed_value`](crate::Finding::revealed_value). Off by
    /// default: it reveals personal data. Reports never serialise it.
    pub reveal_values: bool,
}

impl AuditOptions {
    /// Options with `reveal_values` set.
    pub fn revealing_values() -> AuditOptions {
        AuditOptions {
            reveal_values: true,
        }
    }
}

/// Audits messages against a compiled policy. Build it once (everything
/// expensive is compiled here); it is `Send + Sync`, so one auditor serves
/// every thread.
///
/// ```
/// let auditor = mailaudit::Auditor::new(mailaudit::Policy::default()).unwrap();
/// let report = auditor
///     .audit(b"From: a@example.org\r\nTo: b@example.net\r\nSubject: hi\r\n\r\nHello\r\n")
///     .unwrap();
/// assert_eq!(report.verdict(), mailaudit::Verdict::Pass);
/// ```
#[derive(Debug)]
pub struct Auditor {
    policy: Policy,
    recipients: RecipientRules,
    scanner: Scanner,
    options: AuditOptions,
    labels: LabelReader,
    allow: AllowList,
}

impl Auditor {
    /// Compiles `policy` into an auditor.
    pub fn new(policy: Policy) -> Result<Auditor, Error> {
        Auditor::with_options(policy, AuditOptions::default())
    }

    /// Compiles `policy` into an auditor with non-default options.
    pub fn with_options(policy: Policy, options: AuditOptions) -> Result<Auditor, Error> {
        let recipients = RecipientRules::new(&policy);
        let scanner = Scanner::new(&policy)?;
        let labels = LabelReader::new(&policy)?;
        let allow = AllowList::new(&policy)?;
        Ok(Auditor {
            policy,
            recipients,
            scanner,
            options,
            labels,
            allow,
        })
    }

    /// The policy this auditor enforces.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Audits one raw RFC 5322 message.
    pub fn audit(&self, raw: &[u8]) -> Result<Report, Error> {
        self.audit_inner(raw, None)
    }

    /// Audits one raw message with its SMTP envelope, which a gateway knows
    /// and the headers may not show (the sender's organisation, blind copies).
    pub fn audit_with_envelope(&self, raw: &[u8], envelope: &Envelope) -> Result<Report, Error> {
        self.audit_inner(raw, Some(envelope))
    }

    fn audit_inner(&self, raw: &[u8], envelope: Option<&Envelope>) -> Result<Report, Error> {
        let started = Instant::now();
        let limits = &self.policy.limits;
        let parsed = message::parse(raw, limits)?;
        let view = message::view(&parsed, limits);
        let recipients = self.recipients.analyse(&view.headers, envelope);

        let sent = parsed.sent_on();
        let mut findings = Vec::new();
        let mut part_findings = Vec::with_capacity(view.texts.len());
        let mut findings_cut = false;
        let mut text_bytes = 0;
        for part in &view.texts {
            text_bytes += part.text.len();
            let first = findings.len();
            let whole = self
                .scanner
                .scan(part, self.options.reveal_values, sent, &mut findings);
            findings_cut |= !whole;
            view.cell_maps
                .name_cells(&part.location, &mut findings[first..]);
            part_findings.push(first..findings.len());
        }

        self.allow.retain(&view.texts, &mut findings);
        let labels = self.labels.read(&view.headers, parsed.subject());

        let mut truncated = view.truncated.clone();
        if recipients.truncated {
            truncated.push("limits.max_recipients".to_string());
        }
        if findings_cut {
            truncated.push("limits.max_findings".to_string());
        }
        let complete = truncated.is_empty();
        let (verdict, violations) = evaluate(
            &self.policy,
            &Facts {
                view: &view,
                recipients: &recipients,
                findings: &findings,
                part_findings: &part_findings,
                complete,
                truncated: &truncated,
                labels: &labels,
            },
        );
        Ok(Report {
            verdict,
            complete,
            truncated,
            sender: recipients.sender.as_deref().map(SenderRef::new),
            recipients: recipients.counts,
            violations,
            findings,
            unscanned: view.unscanned,
            stats: Stats {
                bytes: raw.len(),
                parts: view.part_count,
                text_bytes,
                micros: started.elapsed().as_micros() as u64,
            },
            labels,
        })
    }
}
