//! Stage 5: the [`Report`]: verdict, violations with their evidence, masked
//! findings, parts not scanned, and statistics. Its JSON shape is stable and
//! documented in the README. Nothing in it is a raw personal value: addresses
//! and data appear masked or as counts.

pub mod mask;

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::message::{Location, Unscanned};
use crate::policy::labels::Labels;
use crate::policy::{Action, Severity};
use crate::recipients::RecipientCounts;

/// The outcome of an audit: the strongest action among the violations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// No violation asks for more than `allow`.
    Pass,
    /// Deliver, flagged.
    Warn,
    /// Hold for review.
    Quarantine,
    /// Refuse.
    Reject,
}

impl Verdict {
    pub(crate) fn from_action(action: Action) -> Verdict {
        match action {
            Action::Allow => Verdict::Pass,
            Action::Warn => Verdict::Warn,
            Action::Quarantine => Verdict::Quarantine,
            Action::Reject => Verdict::Reject,
        }
    }

    /// The lower-case name used in JSON and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Warn => "warn",
            Verdict::Quarantine => "quarantine",
            Verdict::Reject => "reject",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A piece of evidence for a violation: where, and a masked detail.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evidence {
    /// Where the evidence is.
    pub location: Location,
    /// What is there, masked (`j***@g***.com`) or counted.
    pub detail: String,
}

/// A rule of the policy that fired.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Violation {
    /// The rule's stable id, e.g. `exposed-recipient-list`.
    pub rule: &'static str,
    /// From the policy.
    pub severity: Severity,
    /// From the policy.
    pub action: Action,
    /// A sentence for people: what was found and what to do.
    pub message: String,
    /// Where it was found.
    pub evidence: Vec<Evidence>,
}

/// Kinds of personal data the detectors report. Names match the shared
/// evaluation kit's entity types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum DataType {
    /// An e-mail address.
    Email,
    /// A UK or North American telephone number.
    Phone,
    /// A UK NHS number (mod 11).
    NhsNumber,
    /// A UK National Insurance number.
    UkNino,
    /// A payment card number (Luhn).
    CreditCard,
    /// An IBAN (mod 97).
    Iban,
    /// A UK postcode.
    UkPostcode,
    /// A date of birth (a date the text says is one).
    Dob,
    /// An IPv4 or IPv6 address.
    IpAddress,
    /// A US Social Security number.
    UsSsn,
    /// A UK passport number.
    UkPassport,
    /// A UK driving licence number.
    UkDrivingLicence,
    /// A UK bank sort code with an account number.
    UkBankAccount,
}

impl DataType {
    /// The name used in reports (`NHS_NUMBER`).
    pub fn as_str(self) -> &'static str {
        match self {
            DataType::Email => "EMAIL",
            DataType::Phone => "PHONE",
            DataType::NhsNumber => "NHS_NUMBER",
            DataType::UkNino => "UK_NINO",
            DataType::CreditCard => "CREDIT_CARD",
            DataType::Iban => "IBAN",
            DataType::UkPostcode => "UK_POSTCODE",
            DataType::Dob => "DOB",
            DataType::IpAddress => "IP_ADDRESS",
            DataType::UsSsn => "US_SSN",
            DataType::UkPassport => "UK_PASSPORT",
            DataType::UkDrivingLicence => "UK_DRIVING_LICENCE",
            DataType::UkBankAccount => "UK_BANK_ACCOUNT",
        }
    }
}

/// Data categories, as policies and retention classes name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Category {
    /// Addresses and numbers to reach a person.
    Contact,
    /// Identifiers issued to a person (NHS, NINO, passport, SSN, DOB).
    Identity,
    /// Payment and bank data.
    Financial,
    /// Health data (GDPR Art. 9 special category).
    Health,
    /// Where a person lives or is.
    Location,
    /// Online identifiers (IP addresses).
    Online,
}

impl Category {
    /// The lower-case name used in reports and policies.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Contact => "contact",
            Category::Identity => "identity",
            Category::Financial => "financial",
            Category::Health => "health",
            Category::Location => "location",
            Category::Online => "online",
        }
    }
}

/// Confidence bands.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Plausible; shape only.
    Low,
    /// Shape and some support (context or checksum).
    Medium,
    /// Validated and supported.
    High,
}

impl Level {
    /// The lower-case name used in JSON (`high`).
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Low => "low",
            Level::Medium => "medium",
            Level::High => "high",
        }
    }
}

/// One item of personal data found in the message. Carries the masked value
/// only, unless the auditor was built to reveal values (see
/// [`AuditOptions::reveal_values`](crate::AuditOptions)).
#[derive(Clone, PartialEq, Serialize)]
pub struct Finding {
    /// What kind of data.
    #[serde(rename = "type")]
    pub data_type: DataType,
    /// Its category (health when health context surrounds an identifier).
    pub category: Category,
    /// 0 to 1.
    pub confidence: f32,
    /// Band of `confidence`.
    pub level: Level,
    /// Where it is.
    pub location: Location,
    /// The masked value (`*** *** *919`).
    pub masked: mask::Masked,
    #[serde(skip)]
    pub(crate) value: Option<String>,
}

impl Finding {
    /// The raw value as found in the decoded text. `None` unless the auditor
    /// was built with [`AuditOptions::reveal_values`](crate::AuditOptions):
    /// this reveals personal data, so keep it out of logs.
    pub fn revealed_value(&self) -> Option<&str> {
        self.value.as_deref()
    }
}

impl fmt::Debug for Finding {
    /// Never prints the raw value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Finding")
            .field("data_type", &self.data_type)
            .field("category", &self.category)
            .field("confidence", &self.confidence)
            .field("level", &self.level)
            .field("location", &self.location)
            .field("masked", &self.masked)
            .finish_non_exhaustive()
    }
}

/// Size and timing of an audit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    /// Size of the raw message.
    pub bytes: usize,
    /// MIME parts walked.
    pub parts: usize,
    /// Decoded text scanned, in bytes.
    pub text_bytes: usize,
    /// Wall-clock time of the audit. The only field that varies between runs.
    pub micros: u64,
}

/// Who sent a message, without the address: masked, with a stable id so
/// archives can be grouped by sender.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SenderRef {
    /// The masked From address (`j***@h***.uk`).
    pub masked: String,
    /// 16 hex digits of a 64-bit FNV-1a hash of the lower-cased address:
    /// the same for every message from that address, in every run.
    pub id: String,
}

impl SenderRef {
    pub(crate) fn new(address: &str) -> SenderRef {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for b in address.to_lowercase().bytes() {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        SenderRef {
            masked: mask::mask_email(address),
            id: format!("{hash:016x}"),
        }
    }
}

/// The result of auditing one message. Serialises to the stable JSON shape
/// documented in the README.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub(crate) verdict: Verdict,
    pub(crate) complete: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) truncated: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) sender: Option<SenderRef>,
    pub(crate) recipients: RecipientCounts,
    pub(crate) violations: Vec<Violation>,
    pub(crate) findings: Vec<Finding>,
    pub(crate) unscanned: Vec<Unscanned>,
    pub(crate) stats: Stats,
    #[serde(skip_serializing_if = "Labels::is_empty")]
    pub(crate) labels: Labels,
}

impl Report {
    /// The strongest action among the violations.
    pub fn verdict(&self) -> Verdict {
        self.verdict
    }

    /// Whether every part within the limits was read. `false` when a limit
    /// cut the scan short (see [`Report::truncated`]).
    pub fn is_complete(&self) -> bool {
        self.complete
    }

    /// The policy limits that cut the scan short (`limits.max_parts`, ...).
    pub fn truncated(&self) -> &[String] {
        &self.truncated
    }

    /// The sender (From, else the envelope's MAIL FROM), masked.
    pub fn sender(&self) -> Option<&SenderRef> {
        self.sender.as_ref()
    }

    /// Recipient counts.
    pub fn recipients(&self) -> &RecipientCounts {
        &self.recipients
    }

    /// The rules that fired, in a stable order.
    pub fn violations(&self) -> &[Violation] {
        &self.violations
    }

    /// Whether the rule with this id fired.
    pub fn has_violation(&self, rule: &str) -> bool {
        self.violations.iter().any(|v| v.rule == rule)
    }

    /// Personal data found, in document order.
    pub fn findings(&self) -> &[Finding] {
        &self.findings
    }

    /// Parts that were not read, with the reason.
    pub fn unscanned(&self) -> &[Unscanned] {
        &self.unscanned
    }

    /// The sensitivity, classification and retention labels the message
    /// carries, and the retention class they resolve to.
    pub fn labels(&self) -> &Labels {
        &self.labels
    }

    /// Size and timing.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// The report as JSON (the documented shape).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| String::from("{}"))
    }

    /// A copy with the timing zeroed: equal for equal inputs and policies.
    pub fn without_timing(&self) -> Report {
        let mut copy = self.clone();
        copy.stats.micros = 0;
        copy
    }
}
