//! Stage 3: personal-data detectors over each text part.
//!
//! The [`Scanner`] is compiled once per [`Auditor`](crate::Auditor) and scans
//! each part's decoded text once.

use regex::Regex;

use crate::message::TextPart;
use crate::policy::{Policy, PolicyError};
use crate::report::mask::mask_email;
use crate::report::{Category, DataType, Finding, Level};

/// All detectors, compiled.
#[derive(Debug)]
pub(crate) struct Scanner {
    email: Regex,
}

impl Scanner {
    pub(crate) fn new(_policy: &Policy) -> Result<Scanner, PolicyError> {
        let email = Regex::new(
            r"(?i)\b[a-z0-9][a-z0-9._%+'-]{0,63}@[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*\.[a-z]{2,24}\b",
        )
        .map_err(|e| PolicyError::Semantic {
            path: "detectors.EMAIL".into(),
            message: e.to_string(),
        })?;
        Ok(Scanner { email })
    }

    /// Appends the findings of one text part to `out`.
    pub(crate) fn scan(&self, part: &TextPart<'_>, reveal_values: bool, out: &mut Vec<Finding>) {
        let text = part.text.as_ref();
        for m in self.email.find_iter(text) {
            out.push(Finding {
                data_type: DataType::Email,
                category: Category::Contact,
                confidence: 0.95,
                level: Level::High,
                location: part.location.with_span(m.start(), m.end()),
                masked: mask_email(m.as_str()),
                value: reveal_values.then(|| m.as_str().to_string()),
            });
        }
    }
}
