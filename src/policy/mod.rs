//! The declarative policy: TOML text → [`Policy`] (validated) → compiled
//! pieces used by the [`Auditor`](crate::Auditor).
//!
//! A user's file holds only what differs from the embedded default
//! ([`DEFAULT_POLICY_TOML`]): tables merge key by key, arrays and plain values
//! replace. Unknown keys are errors, reported with their key path and the
//! line and column in the user's file.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

pub(crate) mod allow;
pub(crate) mod evaluate;
pub mod labels;
pub(crate) mod retention;
#[cfg(test)]
pub(crate) use retention::testing;

/// The embedded default policy, as printed by `mailaudit policy --print-default`.
pub const DEFAULT_POLICY_TOML: &str = include_str!("default.toml");

/// A policy that could not be loaded. Messages name keys and positions in the
/// policy file, never message content.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// The text is not valid TOML.
    #[error("policy is not valid TOML at line {line}, column {column}: {message}")]
    Syntax {
        /// 1-based line in the policy text.
        line: usize,
        /// 1-based column in the policy text.
        column: usize,
        /// What the TOML reader said.
        message: String,
    },
    /// A key is unknown, or a value has the wrong type.
    #[error("policy key `{path}`{}: {message}", position_suffix(*.line, *.column))]
    Invalid {
        /// Dotted key path, e.g. `recipients.min_external_domains`.
        path: String,
        /// 1-based line of the key in the user's file, when it is there.
        line: Option<usize>,
        /// 1-based column of the key in the user's file, when it is there.
        column: Option<usize>,
        /// What is wrong with it.
        message: String,
    },
    /// The values are well-typed but inconsistent (e.g. a zero threshold).
    #[error("policy key `{path}`: {message}")]
    Semantic {
        /// Dotted key path.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// `version` is not one this build understands.
    #[error("policy version {0} is not supported (this build reads version 1)")]
    UnsupportedVersion(i64),
}

fn position_suffix(line: Option<usize>, column: Option<usize>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!(" at line {l}, column {c}"),
        _ => String::new(),
    }
}

/// What a rule does when it fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Record the violation; the verdict stays `pass`.
    Allow,
    /// Deliver, flagged.
    Warn,
    /// Hold for review.
    Quarantine,
    /// Refuse the message.
    Reject,
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Action::Allow => "allow",
            Action::Warn => "warn",
            Action::Quarantine => "quarantine",
            Action::Reject => "reject",
        })
    }
}

/// How serious a violation is, for triage (the action decides the verdict).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Informational.
    Info,
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
    /// Critical.
    Critical,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        })
    }
}

/// A validated policy. Build one with [`Policy::from_toml`] or
/// [`Policy::default`] (the embedded default), then hand it to
/// [`Auditor::new`](crate::Auditor::new).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    pub(crate) version: i64,
    pub(crate) organisations: Vec<Organisation>,
    pub(crate) limits: Limits,
    pub(crate) recipients: RecipientRules,
    pub(crate) rules: BTreeMap<String, RuleSettings>,
    pub(crate) categories: retention::CategorySettings,
    pub(crate) labels: labels::LabelSettings,
    pub(crate) retention: retention::RetentionSettings,
    pub(crate) allow: allow::AllowSettings,
    #[serde(default)]
    pub(crate) detectors: DetectorSettings,
}

/// `[detectors]`: the lowest confidence band reported, and per type
/// (`[detectors.PHONE]`) whether it runs and its own minimum.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct DetectorSettings {
    pub(crate) min_level: crate::report::Level,
    #[serde(flatten)]
    pub(crate) types: BTreeMap<String, DetectorToggle>,
}

impl Default for DetectorSettings {
    fn default() -> Self {
        DetectorSettings {
            min_level: crate::report::Level::Medium,
            types: BTreeMap::new(),
        }
    }
}

/// Settings of one detector type.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DetectorToggle {
    #[serde(default = "enabled_by_default")]
    pub(crate) enabled: bool,
    pub(crate) min_level: Option<crate::report::Level>,
}

fn enabled_by_default() -> bool {
    true
}

/// An organisation the gateway sends for, with the domains it owns.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Organisation {
    pub(crate) name: String,
    pub(crate) domains: Vec<String>,
}

/// Resource limits; exceeding one gives an error or a report marked incomplete.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Limits {
    pub(crate) max_message_bytes: u64,
    pub(crate) max_nesting_depth: u32,
    pub(crate) max_parts: u32,
    pub(crate) max_recipients: u32,
    pub(crate) max_decoded_bytes: u64,
    pub(crate) max_findings: u32,
    pub(crate) max_header_fields: u32,
    pub(crate) max_header_line_bytes: u64,
    // attachments
    pub(crate) max_archive_depth: u32,
    pub(crate) max_archive_entries: u32,
    pub(crate) max_archive_bytes: u64,
    pub(crate) max_expansion_ratio: u32,
}

/// Thresholds of the recipient-exposure rules.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RecipientRules {
    pub(crate) min_external_recipients: u32,
    pub(crate) min_external_domains: u32,
    pub(crate) min_consumer_recipients: u32,
    pub(crate) consumer_domains: Vec<String>,
    pub(crate) min_addresses_in_content: u32,
}

/// Action and severity of one rule.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RuleSettings {
    pub(crate) action: Action,
    pub(crate) severity: Severity,
}

/// Rule ids this build knows; `[rules.<id>]` must name one of them.
pub(crate) const KNOWN_RULES: &[&str] = &[
    "exposed-recipient-list",
    "consumer-recipients-visible",
    "bcc-header-leak",
    "recipient-list-in-content",
    "incomplete-scan",
    "special-category-to-external",
    "label-forbids-category",
    "unlabelled-special-category",
    "under-classified",
    "expiry-exceeds-class",
    "retention-exceeds-category",
    "unrecognised-label",
];

impl Default for Policy {
    /// The embedded default policy.
    fn default() -> Self {
        // The embedded text is checked by a unit test, so this cannot fail in
        // a released build; fall back to a minimal policy rather than panic.
        Policy::from_toml(DEFAULT_POLICY_TOML).unwrap_or_else(|_| Policy::minimal())
    }
}

impl Policy {
    /// Loads a policy file: `text` is merged over the embedded default and
    /// validated.
    ///
    /// ```
    /// let policy = mailaudit::Policy::from_toml(r#"
    ///     version = 1
    ///     [[organisations]]
    ///     name = "Kestrel Retail"
    ///     domains = ["kestrelretail.co.uk", "kestrel-retail.com"]
    /// "#).unwrap();
    /// # let _ = policy;
    /// ```
    pub fn from_toml(text: &str) -> Result<Policy, PolicyError> {
        let user: toml::Table = toml::from_str(text).map_err(|e| syntax_error(text, &e))?;
        let mut merged: toml::Table =
            toml::from_str(DEFAULT_POLICY_TOML).map_err(|e| syntax_error(text, &e))?;
        merge_tables(&mut merged, user);
        let policy: Policy =
            serde_path_to_error::deserialize(toml::Value::Table(merged)).map_err(|e| {
                let message = e.inner().message().to_string();
                let path = name_unknown_map_key(e.path().to_string(), &message);
                let (line, column) = locate_key(text, &path);
                PolicyError::Invalid {
                    path,
                    line,
                    column,
                    message,
                }
            })?;
        policy.validate()?;
        retention::validate(&policy).map_err(|e| match e {
            PolicyError::Semantic { path, message } => {
                let (line, column) = locate_key(text, &path);
                PolicyError::Invalid {
                    path,
                    line,
                    column,
                    message,
                }
            }
            other => other,
        })?;
        Ok(policy)
    }

    /// `limits.max_message_bytes`: larger messages are refused.
    pub fn max_message_bytes(&self) -> u64 {
        self.limits.max_message_bytes
    }

    /// The policy as TOML (the merged, effective settings).
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_default()
    }

    fn validate(&self) -> Result<(), PolicyError> {
        if self.version != 1 {
            return Err(PolicyError::UnsupportedVersion(self.version));
        }
        for id in self.rules.keys() {
            if !KNOWN_RULES.contains(&id.as_str()) {
                return Err(PolicyError::Semantic {
                    path: format!("rules.{id}"),
                    message: format!("unknown rule; known rules: {}", KNOWN_RULES.join(", ")),
                });
            }
        }
        let positive = [
            (
                "recipients.min_external_recipients",
                self.recipients.min_external_recipients,
            ),
            (
                "recipients.min_external_domains",
                self.recipients.min_external_domains,
            ),
            (
                "recipients.min_consumer_recipients",
                self.recipients.min_consumer_recipients,
            ),
            (
                "recipients.min_addresses_in_content",
                self.recipients.min_addresses_in_content,
            ),
            ("limits.max_parts", self.limits.max_parts),
            ("limits.max_findings", self.limits.max_findings),
            ("limits.max_recipients", self.limits.max_recipients),
            ("limits.max_header_fields", self.limits.max_header_fields),
            (
                "limits.max_expansion_ratio",
                self.limits.max_expansion_ratio,
            ),
        ];
        for (path, value) in positive {
            if value == 0 {
                return Err(PolicyError::Semantic {
                    path: path.to_string(),
                    message: "must be at least 1".to_string(),
                });
            }
        }
        crate::detect::check_settings(&self.detectors)?;
        for (i, org) in self.organisations.iter().enumerate() {
            for domain in &org.domains {
                if !crate::recipients::address::is_valid_domain(domain.trim_start_matches('.')) {
                    return Err(PolicyError::Semantic {
                        path: format!("organisations[{i}].domains"),
                        message: format!("`{domain}` is not a domain name"),
                    });
                }
            }
        }
        Ok(())
    }

    /// Settings of a rule; every known rule has an entry in the merged policy.
    pub(crate) fn rule(&self, id: &str) -> RuleSettings {
        self.rules.get(id).cloned().unwrap_or(RuleSettings {
            action: Action::Warn,
            severity: Severity::Medium,
        })
    }

    fn minimal() -> Policy {
        Policy {
            version: 1,
            organisations: Vec::new(),
            limits: Limits {
                max_message_bytes: 64 << 20,
                max_nesting_depth: 8,
                max_parts: 2000,
                max_recipients: 100_000,
                max_decoded_bytes: 128 << 20,
                max_findings: 100_000,
                max_header_fields: 1000,
                max_header_line_bytes: 1 << 20,
                max_archive_depth: 4,
                max_archive_entries: 10_000,
                max_archive_bytes: 256 << 20,
                max_expansion_ratio: 100,
            },
            recipients: RecipientRules {
                min_external_recipients: 10,
                min_external_domains: 2,
                min_consumer_recipients: 4,
                consumer_domains: Vec::new(),
                min_addresses_in_content: 10,
            },
            rules: BTreeMap::new(),
            categories: Default::default(),
            labels: Default::default(),
            retention: Default::default(),
            allow: Default::default(),
            detectors: DetectorSettings::default(),
        }
    }
}

/// Merges `overlay` into `base`: tables recursively, everything else replaced.
fn merge_tables(base: &mut toml::Table, overlay: toml::Table) {
    for (key, value) in overlay {
        match (base.get_mut(&key), value) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge_tables(b, o),
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

fn syntax_error(text: &str, e: &toml::de::Error) -> PolicyError {
    let (line, column) = e
        .span()
        .map(|span| line_column(text, span.start))
        .unwrap_or((1, 1));
    PolicyError::Syntax {
        line,
        column,
        message: e.message().to_string(),
    }
}

fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text.as_bytes()[..offset];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let column = offset
        - before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1)
        + 1;
    (line, column)
}

/// Finds where the key of a dotted path (`retention.map[2].class`) is written
/// in the user's file: exactly, through the TOML parser's spans, or else by
/// the last key's name. A key written only in the default has no position.
fn locate_key(text: &str, path: &str) -> (Option<usize>, Option<usize>) {
    if let Some(offset) = locate_path(text, path) {
        let (line, column) = line_column(text, offset);
        return (Some(line), Some(column));
    }
    let Some(last) = path
        .rsplit('.')
        .next()
        .map(|k| k.split('[').next().unwrap_or(k))
        .filter(|k| !k.is_empty())
    else {
        return (None, None);
    };
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        let bare = trimmed.trim_start_matches('[').trim_start_matches('"');
        let key_here = bare.starts_with(last)
            && bare[last.len()..]
                .trim_start_matches('"')
                .trim_start()
                .starts_with(['=', ']', '.']);
        if key_here {
            let column = indent + (trimmed.len() - bare.len()) + 1;
            return (Some(i + 1), Some(column));
        }
    }
    (None, None)
}

/// A map key that fails to deserialise (`[categories.min_count] wealth = 1`)
/// appears in the path as `?`; the error message names it.
fn name_unknown_map_key(path: String, message: &str) -> String {
    let Some(parent) = path.strip_suffix(".?") else {
        return path;
    };
    match message
        .strip_prefix("unknown variant `")
        .and_then(|rest| rest.split_once('`'))
    {
        Some((key, _)) => format!("{parent}.{key}"),
        None => path,
    }
}

/// The byte offset of the key (or array element) a dotted path names.
fn locate_path(text: &str, path: &str) -> Option<usize> {
    use toml::de::{DeTable, DeValue};
    let root = DeTable::parse(text).ok()?;
    let mut table = root.get_ref();
    let mut value: Option<&toml::Spanned<DeValue<'_>>> = None;
    let mut offset = None;
    for segment in path.split('.') {
        if let Some(v) = value.take() {
            match v.get_ref() {
                DeValue::Table(t) => table = t,
                _ => return None,
            }
        }
        let (key, indices) = match segment.find('[') {
            Some(i) => (&segment[..i], &segment[i..]),
            None => (segment, ""),
        };
        let (k, v) = table.iter().find(|(k, _)| k.get_ref() == key)?;
        offset = Some(k.span().start);
        let mut current = v;
        for index in indices.split('[').filter(|s| !s.is_empty()) {
            let i: usize = index.trim_end_matches(']').parse().ok()?;
            match current.get_ref() {
                DeValue::Array(items) => current = items.get(i)?,
                _ => return None,
            }
            offset = Some(current.span().start);
        }
        value = Some(current);
    }
    offset
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_default_is_valid_and_complete() {
        let policy = Policy::from_toml(DEFAULT_POLICY_TOML).expect("default policy");
        for id in KNOWN_RULES {
            assert!(policy.rules.contains_key(*id), "default lacks rule {id}");
        }
        assert_eq!(policy.recipients.min_external_recipients, 10);
        assert_eq!(policy.recipients.min_external_domains, 2);
    }

    #[test]
    fn minimal_user_file_is_a_complete_policy() {
        let policy = Policy::from_toml(
            "version = 1\n[[organisations]]\nname = \"Kestrel Retail\"\ndomains = [\"kestrelretail.co.uk\", \"kestrel-retail.com\"]\n",
        )
        .unwrap();
        assert_eq!(policy.organisations.len(), 1);
        assert_eq!(policy.limits.max_message_bytes, 64 << 20);
        assert_eq!(policy.rule("bcc-header-leak").action, Action::Quarantine);
    }

    #[test]
    fn tables_merge_and_values_replace() {
        let policy =
            Policy::from_toml("version = 1\n[rules.exposed-recipient-list]\naction = \"reject\"\n")
                .unwrap();
        let rule = policy.rule("exposed-recipient-list");
        assert_eq!(rule.action, Action::Reject);
        assert_eq!(rule.severity, Severity::High);
    }

    #[test]
    fn unknown_key_names_path_and_position() {
        let err =
            Policy::from_toml("version = 1\n\n[recipients]\nmin_externals = 3\n").unwrap_err();
        match err {
            PolicyError::Invalid {
                path, line, column, ..
            } => {
                assert_eq!(path, "recipients.min_externals");
                assert_eq!((line, column), (Some(4), Some(1)));
            }
            other => panic!("unexpected error {other:?}"),
        }
        let err = Policy::from_toml("version = 1\n[recipients]\nmin_external_domains = \"two\"\n")
            .unwrap_err();
        match err {
            PolicyError::Invalid {
                path, line, column, ..
            } => {
                assert_eq!(path, "recipients.min_external_domains");
                assert_eq!((line, column), (Some(3), Some(1)));
            }
            other => panic!("unexpected error {other:?}"),
        }
    }

    #[test]
    fn syntax_error_has_line_and_column() {
        let err = Policy::from_toml("version = 1\n[recipients\n").unwrap_err();
        assert!(
            matches!(err, PolicyError::Syntax { line: 2, .. }),
            "{err:?}"
        );
    }

    #[test]
    fn semantic_errors() {
        assert!(matches!(
            Policy::from_toml("version = 2").unwrap_err(),
            PolicyError::UnsupportedVersion(2)
        ));
        assert!(matches!(
            Policy::from_toml(
                "version = 1\n[rules.no-such-rule]\naction = \"warn\"\nseverity = \"low\"\n"
            )
            .unwrap_err(),
            PolicyError::Semantic { .. }
        ));
        assert!(matches!(
            Policy::from_toml("version = 1\n[recipients]\nmin_external_domains = 0\n").unwrap_err(),
            PolicyError::Semantic { .. }
        ));
    }
}
