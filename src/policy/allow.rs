//! Allow-lists: values that are not personal data for this organisation (its
//! own switchboard number, a shared mailbox), and recipient domains allowed
//! to receive a data category (health identifiers to `nhs.net`).
//!
//! Allowed values are written in the policy as keyed hashes, so the policy
//! file itself lists no personal data: `sha256(hash_key + "\n" + normalised
//! value)` in lower-case hex. With a shell:
//!
//! ```sh
//! printf '%s\n%s' "$HASH_KEY" '442079460000' | sha256sum
//! ```
//!
//! Normalisation ([`normalise`]): e-mail addresses are trimmed and
//! lower-cased; phone numbers keep their digits (dropping a bracketed
//! `(0)`), with `00` dropped, a UK national `0` prefix written as `44` and a
//! 10-digit North American number given its `1`; everything else keeps its
//! letters and digits, upper-cased.

use regex::Regex;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{Policy, PolicyError};
use crate::message::TextPart;
use crate::report::{Category, DataType, Finding};

/// Keys shorter than this make the hashes easy to reverse by trying every
/// phone number; the policy refuses them.
const MIN_HASH_KEY_BYTES: usize = 16;

/// `[allow]` in the policy.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AllowSettings {
    /// The key mixed into every value hash.
    pub(crate) hash_key: String,
    /// Allowed values by keyed hash.
    pub(crate) values: Vec<AllowedValue>,
    /// Allowed values by pattern.
    pub(crate) patterns: Vec<AllowedPattern>,
    /// Recipient domains allowed to receive categories.
    pub(crate) recipient_domains: Vec<AllowedRecipients>,
}

/// `[[allow.values]]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AllowedValue {
    /// Lower-case hex SHA-256 of `hash_key + "\n" + normalised value`.
    pub(crate) sha256: String,
    /// Only findings of this type; any type when absent.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub(crate) data_type: Option<DataType>,
}

/// `[[allow.patterns]]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AllowedPattern {
    /// A regex matched against the value as found (anchor it to match whole values).
    pub(crate) pattern: String,
    /// Only findings of this type; any type when absent.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub(crate) data_type: Option<DataType>,
}

/// `[[allow.recipient_domains]]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AllowedRecipients {
    /// The categories these domains may receive.
    pub(crate) categories: Vec<Category>,
    /// The domains, subdomains included.
    pub(crate) domains: Vec<String>,
}

/// The value allow-list, compiled once per [`Auditor`](crate::Auditor).
#[derive(Debug, Default)]
pub(crate) struct AllowList {
    key: Vec<u8>,
    hashes: Vec<([u8; 32], Option<DataType>)>,
    patterns: Vec<(Regex, Option<DataType>)>,
}

impl AllowList {
    pub(crate) fn new(policy: &Policy) -> Result<AllowList, PolicyError> {
        let settings = &policy.allow;
        if !settings.values.is_empty() && settings.hash_key.len() < MIN_HASH_KEY_BYTES {
            return Err(PolicyError::Semantic {
                path: "allow.hash_key".to_string(),
                message: format!(
                    "allow.values needs a hash_key of at least {MIN_HASH_KEY_BYTES} characters"
                ),
            });
        }
        let mut hashes = Vec::with_capacity(settings.values.len());
        for (i, v) in settings.values.iter().enumerate() {
            let hash = parse_hex32(v.sha256.trim()).ok_or_else(|| PolicyError::Semantic {
                path: format!("allow.values[{i}].sha256"),
                message: "not 64 hexadecimal digits".to_string(),
            })?;
            hashes.push((hash, v.data_type));
        }
        let mut patterns = Vec::with_capacity(settings.patterns.len());
        for (i, p) in settings.patterns.iter().enumerate() {
            let re = regex::RegexBuilder::new(&p.pattern)
                .size_limit(1 << 20)
                .build()
                .map_err(|e| PolicyError::Semantic {
                    path: format!("allow.patterns[{i}].pattern"),
                    message: format!("not a valid regular expression: {e}"),
                })?;
            patterns.push((re, p.data_type));
        }
        for (i, r) in settings.recipient_domains.iter().enumerate() {
            if r.categories.is_empty() {
                return Err(PolicyError::Semantic {
                    path: format!("allow.recipient_domains[{i}].categories"),
                    message: "name at least one category".to_string(),
                });
            }
            for domain in &r.domains {
                if !crate::recipients::address::is_valid_domain(domain.trim_start_matches('.')) {
                    return Err(PolicyError::Semantic {
                        path: format!("allow.recipient_domains[{i}].domains"),
                        message: format!("`{domain}` is not a domain name"),
                    });
                }
            }
        }
        Ok(AllowList {
            key: settings.hash_key.as_bytes().to_vec(),
            hashes,
            patterns,
        })
    }

    /// Whether a value of `data_type`, as found, is allowed.
    pub(crate) fn allows(&self, data_type: DataType, raw: &str) -> bool {
        let type_fits = |t: &Option<DataType>| t.map_or(true, |t| t == data_type);
        if self
            .patterns
            .iter()
            .any(|(re, t)| type_fits(t) && re.is_match(raw))
        {
            return true;
        }
        if self.hashes.is_empty() {
            return false;
        }
        let hash = keyed_hash(&self.key, &normalise(data_type, raw));
        self.hashes.iter().any(|(h, t)| type_fits(t) && *h == hash)
    }

    /// Drops the findings whose value is allowed. The value is read back from
    /// the part's text by the finding's byte range.
    pub(crate) fn retain(&self, texts: &[TextPart<'_>], findings: &mut Vec<Finding>) {
        if self.hashes.is_empty() && self.patterns.is_empty() {
            return;
        }
        findings.retain(|f| {
            let raw = texts
                .iter()
                .find(|t| t.location.part == f.location.part)
                .zip(f.location.start.zip(f.location.end))
                .and_then(|(t, (s, e))| t.text.get(s..e));
            raw.map_or(true, |raw| !self.allows(f.data_type, raw))
        });
    }
}

/// Whether `policy` allows `domain` to receive `category` data.
pub(crate) fn domain_may_receive(policy: &Policy, domain: &str, category: Category) -> bool {
    policy
        .allow
        .recipient_domains
        .iter()
        .filter(|r| r.categories.contains(&category))
        .flat_map(|r| &r.domains)
        .any(|d| crate::recipients::within_domain(domain, d))
}

/// The normal form of a value before hashing (see the module docs).
pub(crate) fn normalise(data_type: DataType, raw: &str) -> String {
    match data_type {
        DataType::Email => raw.trim().to_lowercase(),
        DataType::Phone => {
            // `+44 (0)20 ...`: the bracketed trunk prefix is not dialled.
            let digits: String = raw
                .replace("(0)", "")
                .chars()
                .filter(char::is_ascii_digit)
                .collect();
            if let Some(international) = digits.strip_prefix("00") {
                international.to_string()
            } else if let Some(national) = digits.strip_prefix('0') {
                format!("44{national}")
            } else if digits.len() == 10 && !raw.trim_start().starts_with('+') {
                format!("1{digits}")
            } else {
                digits
            }
        }
        _ => raw
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_uppercase())
            .collect(),
    }
}

fn keyed_hash(key: &[u8], normalised: &str) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(key);
    hasher.update(b"\n");
    hasher.update(normalised.as_bytes());
    hasher.finalize().into()
}

fn parse_hex32(hex: &str) -> Option<[u8; 32]> {
    let bytes = hex.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    let nibble = |b: u8| (b as char).to_digit(16);
    let mut out = [0u8; 32];
    for (i, pair) in bytes.chunks_exact(2).enumerate() {
        out[i] = u8::try_from(nibble(pair[0])? * 16 + nibble(pair[1])?).ok()?;
    }
    Some(out)
}

impl Policy {
    /// The `sha256` to list under `[[allow.values]]` for `value`, a value of
    /// `data_type` as it appears in mail: the keyed hash of its normal form
    /// under this policy's `allow.hash_key`. `None` when the policy has no
    /// key.
    ///
    /// ```
    /// use mailaudit::{DataType, Policy};
    /// let policy = Policy::from_toml(
    ///     "version = 1\n[allow]\nhash_key = \"kestrel-2026-allow-list\"\n",
    /// ).unwrap();
    /// let a = policy.allow_value_hash(DataType::Phone, "+44 20 7946 0000").unwrap();
    /// let b = policy.allow_value_hash(DataType::Phone, "020 7946 0000").unwrap();
    /// assert_eq!(a, b);
    /// assert_eq!(a.len(), 64);
    /// ```
    pub fn allow_value_hash(&self, data_type: DataType, value: &str) -> Option<String> {
        if self.allow.hash_key.is_empty() {
            return None;
        }
        let hash = keyed_hash(self.allow.hash_key.as_bytes(), &normalise(data_type, value));
        Some(hash.iter().map(|b| format!("{b:02x}")).collect())
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::*;
    use crate::message::{Location, TextKind};
    use crate::report::Level;

    const KEY: &str = "kestrel-2026-allow-list";

    #[test]
    fn normal_forms() {
        for (raw, expected) in [
            ("+44 20 7946 0000", "442079460000"),
            ("020 7946 0000", "442079460000"),
            ("0044 (0)20 7946 0000", "442079460000"),
            ("(415) 555-0100", "14155550100"),
            ("+1 415 555 0100", "14155550100"),
        ] {
            assert_eq!(normalise(DataType::Phone, raw), expected, "{raw}");
        }
        assert_eq!(
            normalise(DataType::Email, " Info@Kestrel.Example "),
            "info@kestrel.example"
        );
        assert_eq!(normalise(DataType::UkNino, "qq 12 34 56 c"), "QQ123456C");
    }

    #[test]
    fn keyed_hash_matches_the_documented_recipe() {
        // printf '%s\n%s' 'kestrel-2026-allow-list' '442079460000' | sha256sum
        let hash = keyed_hash(KEY.as_bytes(), "442079460000");
        let mut hasher = Sha256::new();
        hasher.update(format!("{KEY}\n442079460000").as_bytes());
        let expected: [u8; 32] = hasher.finalize().into();
        assert_eq!(hash, expected);
        assert_ne!(
            hash,
            keyed_hash(b"another-key-of-some-length", "442079460000")
        );
        // The example in docs/policy.md, computed there with printf | sha256sum.
        let policy = policy_allowing("");
        assert_eq!(
            policy
                .allow_value_hash(DataType::Phone, "01632 960000")
                .as_deref(),
            Some("9155e4f1077cd3c365b106c00d6109e98631f9a9984065fe98d8766a6e6f91b7")
        );
    }

    fn policy_allowing(extra: &str) -> Policy {
        Policy::from_toml(&format!(
            "version = 1\n[allow]\nhash_key = \"{KEY}\"\n{extra}"
        ))
        .unwrap()
    }

    #[test]
    fn values_by_hash_and_pattern() {
        let base = policy_allowing("");
        let hash = base
            .allow_value_hash(DataType::Phone, "+44 20 7946 0000")
            .unwrap();
        let policy = policy_allowing(&format!(
            "[[allow.values]]\ntype = \"PHONE\"\nsha256 = \"{hash}\"\n\
             [[allow.patterns]]\ntype = \"EMAIL\"\npattern = \"^(info|reception)@kestrel\\\\.example$\"\n"
        ));
        let list = AllowList::new(&policy).unwrap();
        assert!(list.allows(DataType::Phone, "020 7946 0000"));
        assert!(list.allows(DataType::Phone, "+44 (20) 7946-0000"));
        assert!(!list.allows(DataType::Phone, "020 7946 0001"));
        // Typed entries apply to their type only.
        assert!(!list.allows(DataType::UkBankAccount, "020 7946 0000"));
        assert!(list.allows(DataType::Email, "info@kestrel.example"));
        assert!(!list.allows(DataType::Email, "jane@kestrel.example"));
        assert!(!list.allows(DataType::Phone, "info@kestrel.example"));
        assert_eq!(
            Policy::default().allow_value_hash(DataType::Phone, "1"),
            None
        );
    }

    #[test]
    fn retain_drops_allowed_findings_by_their_text() {
        let policy =
            policy_allowing("[[allow.patterns]]\npattern = \"^info@kestrel\\\\.example$\"\n");
        let list = AllowList::new(&policy).unwrap();
        let text = "write to info@kestrel.example or jane@kestrel.example";
        let texts = [TextPart {
            location: Location::part("1"),
            kind: TextKind::Body,
            text: Cow::Borrowed(text),
            from_html: false,
        }];
        let finding = |start: usize, end: usize| Finding {
            data_type: DataType::Email,
            category: Category::Contact,
            confidence: 0.95,
            level: Level::High,
            location: Location::part("1").with_span(start, end),
            masked: crate::report::mask::Masked::default(),
            value: None,
        };
        let mut findings = vec![finding(9, 29), finding(33, 53)];
        list.retain(&texts, &mut findings);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].location.start, Some(33));
    }

    #[test]
    fn bad_settings_are_refused() {
        let short_key = Policy::from_toml(&format!(
            "version = 1\n[allow]\nhash_key = \"short\"\n[[allow.values]]\nsha256 = \"{}\"\n",
            "0".repeat(64)
        ));
        assert!(short_key.is_err());
        let bad_hex = Policy::from_toml(&format!(
            "version = 1\n[allow]\nhash_key = \"{KEY}\"\n[[allow.values]]\nsha256 = \"xyz\"\n"
        ));
        assert!(bad_hex.is_err());
        let bad_domain = Policy::from_toml(
            "version = 1\n[[allow.recipient_domains]]\ncategories = [\"health\"]\ndomains = [\"not a domain\"]\n",
        );
        assert!(bad_domain.is_err());
    }

    #[test]
    fn recipient_domains_include_subdomains() {
        let policy = Policy::from_toml(
            "version = 1\n[[allow.recipient_domains]]\ncategories = [\"health\"]\ndomains = [\"nhs.net\"]\n",
        )
        .unwrap();
        assert!(domain_may_receive(&policy, "nhs.net", Category::Health));
        assert!(domain_may_receive(
            &policy,
            "trust.NHS.net",
            Category::Health
        ));
        assert!(!domain_may_receive(&policy, "notnhs.net", Category::Health));
        assert!(!domain_may_receive(&policy, "nhs.net", Category::Identity));
    }
}
