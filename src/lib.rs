//! mailaudit audits outbound e-mail before it leaves an organisation and says
//! where personal data is exposed: visible recipient lists, personal data in
//! bodies and attachments, and messages whose retention label does not fit
//! what they carry. Reports show masked values only, so an audit log never
//! becomes a second leak.
//!
//! ```
//! use mailaudit::{Auditor, Policy, Verdict};
//!
//! let auditor = Auditor::new(Policy::default())?;
//! let mut raw = String::from("From: trainer@tracewell.co.uk\r\nCc: ");
//! for i in 0..12 {
//!     raw.push_str(&format!("trainee{i}@{}, ", ["gmail.com", "outlook.com"][i % 2]));
//! }
//! raw.push_str("x@yahoo.com\r\nSubject: Welcome\r\n\r\nSee you Monday.\r\n");
//! let report = auditor.audit(raw.as_bytes())?;
//! assert!(report.has_violation("exposed-recipient-list"));
//! assert_eq!(report.verdict(), Verdict::Quarantine);
//! # Ok::<(), mailaudit::Error>(())
//! ```
//!
//! The pipeline, one module per stage:
//! - [`message`]: raw bytes → header fields and text-bearing parts (mail-parser);
//! - `recipients`: who can see whom ([`RecipientCounts`]);
//! - `detect`: personal-data detectors over each part ([`Finding`]);
//! - [`policy`]: TOML → [`Policy`]; rules → violations → [`Verdict`];
//! - [`report`]: the [`Report`], with masking.
#![deny(missing_docs)]
#![deny(unsafe_code)]

pub mod archive;
mod audit;
mod detect;
mod error;
mod extract;
#[allow(unsafe_code)]
pub mod ffi;
pub mod message;
pub mod policy;
mod recipients;
pub mod report;
mod summary;

pub use audit::{AuditOptions, Auditor};
pub use error::Error;
pub use message::{Location, Unscanned};
pub use policy::labels::Labels;
pub use policy::{Action, Policy, PolicyError, Severity, DEFAULT_POLICY_TOML};
pub use recipients::{Envelope, RecipientCounts};
pub use report::{
    Category, DataType, Evidence, Finding, Level, Report, SenderRef, Stats, Verdict, Violation,
};
pub use summary::{SenderRow, Summary, VerdictCounts};
