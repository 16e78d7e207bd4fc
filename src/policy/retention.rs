//! Retention classes, data-category settings, and the rules that compare a
//! message's labels with the personal data found in it.
//!
//! A retention class (`[retention.classes.<name>]`) says how long a message
//! may be kept and which data categories it may carry. Labels resolve to a
//! class (see [`labels`](super::labels)); these rules then explain every
//! mismatch:
//!
//! | rule | fires when |
//! |---|---|
//! | `label-forbids-category` | the class forbids (or does not permit) a category found |
//! | `unlabelled-special-category` | a category in `retention.require_class_for` is found and no class resolves |
//! | `under-classified` | a label claims unrestricted handling and a category in `categories.restricted` is found |
//! | `expiry-exceeds-class` | an `Expires` / `Expiry-Date` / `EXPIRES=` lies further from the message date than the class keeps mail |
//! | `retention-exceeds-category` | the class (or an expiry date) keeps the message longer than `categories.max_retention_days` allows for a category found |

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::labels::{LabelKind, Labels};
use super::{Policy, PolicyError};
use crate::message::Location;
use crate::report::{Category, Evidence, Finding};

const SECONDS_PER_DAY: i64 = 86_400;

/// `[categories]` in the policy.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CategorySettings {
    /// `special-category-to-external` looks at these.
    pub(crate) special: Vec<Category>,
    /// `under-classified` looks at these.
    pub(crate) restricted: Vec<Category>,
    /// A category counts as present with at least this many findings (default 1).
    pub(crate) min_count: BTreeMap<Category, u32>,
    /// Storage limitation: the longest a message with the category may be kept.
    pub(crate) max_retention_days: BTreeMap<Category, u32>,
}

/// `[retention]` in the policy.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RetentionSettings {
    /// Categories that need a retention class (`unlabelled-special-category`).
    pub(crate) require_class_for: Vec<Category>,
    /// Retention classes by name.
    pub(crate) classes: BTreeMap<String, RetentionClass>,
    /// Label → class, first match wins.
    pub(crate) map: Vec<LabelMapping>,
}

/// One retention class.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RetentionClass {
    /// Longest retention, in days.
    pub(crate) max_days: u32,
    /// When not empty, the only categories the class may carry.
    #[serde(default)]
    pub(crate) permitted: Vec<Category>,
    /// Categories the class must not carry.
    #[serde(default)]
    pub(crate) forbidden: Vec<Category>,
}

impl RetentionClass {
    /// Why the class rejects `category`, if it does.
    fn rejects(&self, category: Category) -> Option<&'static str> {
        if self.forbidden.contains(&category) {
            Some("forbids")
        } else if !self.permitted.is_empty() && !self.permitted.contains(&category) {
            Some("does not permit")
        } else {
            None
        }
    }
}

/// `[[retention.map]]`: a label selector and the class it gives. It repeats
/// [`LabelSelector`](super::labels::LabelSelector)'s fields rather than
/// flattening it, because serde's `flatten` disables `deny_unknown_fields`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LabelMapping {
    pub(crate) label: LabelKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) equals: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) pattern: Option<String>,
    pub(crate) class: String,
}

/// Checks the settings of this module and of [`labels`](super::labels) and
/// [`allow`](super::allow) that serde cannot: references, ranges, regexes.
pub(crate) fn validate(policy: &Policy) -> Result<(), PolicyError> {
    let semantic = |path: String, message: &str| PolicyError::Semantic {
        path,
        message: message.to_string(),
    };
    for (name, class) in &policy.retention.classes {
        if class.max_days == 0 {
            return Err(semantic(
                format!("retention.classes.{name}.max_days"),
                "must be at least 1",
            ));
        }
        if let Some(c) = class.permitted.iter().find(|c| class.forbidden.contains(c)) {
            return Err(PolicyError::Semantic {
                path: format!("retention.classes.{name}.forbidden"),
                message: format!("`{}` is both permitted and forbidden", c.as_str()),
            });
        }
    }
    for (i, m) in policy.retention.map.iter().enumerate() {
        if !policy.retention.classes.contains_key(&m.class) {
            return Err(PolicyError::Semantic {
                path: format!("retention.map[{i}].class"),
                message: format!(
                    "`{}` is not a class of [retention.classes] (known: {})",
                    m.class,
                    policy
                        .retention
                        .classes
                        .keys()
                        .map(String::as_str)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            });
        }
    }
    for (category, days) in &policy.categories.max_retention_days {
        if *days == 0 {
            return Err(semantic(
                format!("categories.max_retention_days.{}", category.as_str()),
                "must be at least 1",
            ));
        }
    }
    for (category, count) in &policy.categories.min_count {
        if *count == 0 {
            return Err(semantic(
                format!("categories.min_count.{}", category.as_str()),
                "must be at least 1",
            ));
        }
    }
    let header = policy.labels.retention_header.trim();
    if !header.is_empty() && !is_header_name(header) {
        return Err(semantic(
            "labels.retention_header".to_string(),
            "not a header field name",
        ));
    }
    for (i, h) in policy.labels.classification_headers.iter().enumerate() {
        if !is_header_name(h.trim()) {
            return Err(semantic(
                format!("labels.classification_headers[{i}]"),
                "not a header field name",
            ));
        }
    }
    // Compiling checks the selectors' regexes and the allow-list.
    super::labels::LabelReader::new(policy)?;
    super::allow::AllowList::new(policy)?;
    Ok(())
}

/// RFC 5322 field name: printable ASCII except colon.
fn is_header_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| (33..=126).contains(&b) && b != b':')
}

/// A category present in the message: how many findings, and the first.
pub(crate) struct Present<'a> {
    pub(crate) category: Category,
    pub(crate) count: usize,
    pub(crate) first: &'a Finding,
}

impl Present<'_> {
    pub(crate) fn evidence(&self) -> Evidence {
        Evidence {
            location: self.first.location.clone(),
            detail: format!(
                "{} {} ({} {} finding(s))",
                self.first.data_type.as_str(),
                self.first.masked,
                self.count,
                self.category.as_str()
            ),
        }
    }
}

/// The categories found at least `categories.min_count` times, in category order.
pub(crate) fn present_categories<'a>(policy: &Policy, findings: &'a [Finding]) -> Vec<Present<'a>> {
    let mut by_category: BTreeMap<Category, (usize, &Finding)> = BTreeMap::new();
    for f in findings {
        by_category.entry(f.category).or_insert((0, f)).0 += 1;
    }
    by_category
        .into_iter()
        .filter(|(c, (n, _))| {
            *n >= policy.categories.min_count.get(c).copied().unwrap_or(1) as usize
        })
        .map(|(category, (count, first))| Present {
            category,
            count,
            first,
        })
        .collect()
}

/// Applies the retention and label rules.
pub(crate) fn check(
    policy: &Policy,
    labels: &Labels,
    present: &[Present<'_>],
    fire: &mut dyn FnMut(&'static str, String, Vec<Evidence>),
) {
    let class = labels
        .retention_class()
        .and_then(|r| policy.retention.classes.get(&r.name).map(|c| (r, c)));
    let label_evidence = |location: &str, what: &str| -> Evidence {
        Evidence {
            location: Location::part(location),
            detail: what.to_string(),
        }
    };

    if let Some((resolved, class)) = class {
        for p in present {
            if let Some(how) = class.rejects(p.category) {
                fire(
                    "label-forbids-category",
                    format!(
                        "the message carries {} data, which its retention class `{}` (from {}) {how}; \
                         remove the data or give the message a class made for it",
                        p.category.as_str(),
                        resolved.name,
                        resolved.from
                    ),
                    vec![label_evidence(&resolved.location, &resolved.from), p.evidence()],
                );
            }
        }
    } else {
        for p in present
            .iter()
            .filter(|p| policy.retention.require_class_for.contains(&p.category))
        {
            let why = if labels.is_labelled() {
                "has labels that map to no retention class"
            } else {
                "has no label"
            };
            fire(
                "unlabelled-special-category",
                format!(
                    "the message carries {} data but {why}; the policy requires a retention class \
                     for {} data (set one, e.g. with the `{}` header)",
                    p.category.as_str(),
                    p.category.as_str(),
                    if policy.labels.retention_header.is_empty() {
                        "X-Retention-Class"
                    } else {
                        policy.labels.retention_header.as_str()
                    }
                ),
                vec![p.evidence()],
            );
        }
    }

    if let Some((claim, location)) = &labels.unrestricted_by {
        for p in present
            .iter()
            .filter(|p| policy.categories.restricted.contains(&p.category))
        {
            fire(
                "under-classified",
                format!(
                    "the message is labelled {claim}, which claims unrestricted handling, but carries \
                     {} data; classify it for sensitive handling (e.g. OFFICIAL:Sensitive or \
                     OFFICIAL-SENSITIVE) or remove the data",
                    p.category.as_str()
                ),
                vec![label_evidence(location, claim), p.evidence()],
            );
        }
    }

    let sent = labels
        .sent
        .map(|d| d.unix_seconds())
        .unwrap_or_else(now_unix_seconds);
    let expiries: Vec<(i64, String)> = labels
        .expiry_dates()
        .into_iter()
        .map(|(date, location)| {
            (
                (date.unix_seconds() - sent).div_euclid(SECONDS_PER_DAY),
                location,
            )
        })
        .collect();

    if let Some((resolved, class)) = class {
        for (days, location) in &expiries {
            if *days > i64::from(class.max_days) {
                fire(
                    "expiry-exceeds-class",
                    format!(
                        "the expiry date in {location} lies {days} days after the message date, \
                         beyond the {} days its retention class `{}` allows",
                        class.max_days, resolved.name
                    ),
                    vec![Evidence {
                        location: Location::part(location.clone()),
                        detail: format!("{days} days"),
                    }],
                );
            }
        }
    }

    // How long the message may be kept: its class's maximum, or the furthest
    // expiry date when one lies beyond it (the label asks to keep it so long).
    let class_days = class.map(|(_, c)| i64::from(c.max_days));
    let expiry_days = expiries.iter().map(|(d, _)| *d).max();
    let Some(kept_days) = class_days.max(expiry_days) else {
        return;
    };
    let furthest_expiry = expiries.iter().max_by_key(|(d, _)| *d);
    let (kept_by, kept_where) = match (class, furthest_expiry) {
        (Some((r, c)), Some((e, location))) if *e > i64::from(c.max_days) => (
            format!("its expiry date (class `{}`: {} days)", r.name, c.max_days),
            location.as_str(),
        ),
        (Some((r, _)), _) => (
            format!("its retention class `{}`", r.name),
            r.location.as_str(),
        ),
        (None, Some((_, location))) => ("its expiry date".to_string(), location.as_str()),
        (None, None) => return,
    };
    for p in present {
        let Some(&max) = policy.categories.max_retention_days.get(&p.category) else {
            continue;
        };
        if kept_days > i64::from(max) {
            fire(
                "retention-exceeds-category",
                format!(
                    "the message may be kept {kept_days} days by {kept_by}, longer than the {max} days \
                     the policy allows for {} data (storage limitation, GDPR Art. 5(1)(e)); \
                     shorten its retention or remove the data",
                    p.category.as_str()
                ),
                vec![label_evidence(kept_where, &format!("{kept_days} days")), p.evidence()],
            );
        }
    }
}

fn now_unix_seconds() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::labels::LabelReader;

    const DATE: (&str, &str) = ("Date", "Mon, 23 Nov 2026 10:00:00 +0000");

    use crate::policy::testing::finding;

    /// The rules that fire for these labels and findings, under the default
    /// policy with `extra` merged over it.
    fn fired(
        extra: &str,
        headers: &[(&str, &str)],
        subject: Option<&str>,
        categories: &[Category],
    ) -> Vec<&'static str> {
        let policy = Policy::from_toml(&format!("version = 1\n{extra}")).unwrap();
        let reader = LabelReader::new(&policy).unwrap();
        let raw = crate::policy::testing::raw_headers(headers);
        let labels = reader.read(&raw, subject);
        let findings: Vec<Finding> = categories.iter().map(|c| finding(*c)).collect();
        let present = present_categories(&policy, &findings);
        let mut rules = Vec::new();
        check(
            &policy,
            &labels,
            &present,
            &mut |rule, message, evidence| {
                assert!(!message.is_empty() && !evidence.is_empty(), "{rule}");
                assert!(!message.contains("943"), "raw value in {message}");
                rules.push(rule);
            },
        );
        rules
    }

    use Category::{Contact, Financial, Health, Identity};

    #[test]
    fn label_forbids_category() {
        let unofficial = Some("Lunch [SEC=UNOFFICIAL]");
        assert!(fired("", &[DATE], unofficial, &[Health]).contains(&"label-forbids-category"));
        assert!(!fired("", &[DATE], unofficial, &[Contact]).contains(&"label-forbids-category"));
        let standard = [DATE, ("X-Retention-Class", "standard")];
        assert_eq!(
            fired("", &standard, None, &[Identity]),
            ["label-forbids-category"]
        );
        assert!(fired("", &standard, None, &[Financial, Contact]).is_empty());
        let sensitive = [DATE, ("Sensitivity", "Company-Confidential")];
        assert!(fired("", &sensitive, None, &[Health, Identity]).is_empty());
    }

    #[test]
    fn unlabelled_special_category() {
        assert_eq!(
            fired("", &[DATE], None, &[Health]),
            ["unlabelled-special-category"]
        );
        assert_eq!(
            fired("", &[DATE], Some("hello"), &[Identity, Contact]),
            ["unlabelled-special-category"]
        );
        assert!(fired("", &[DATE], None, &[Contact, Financial]).is_empty());
        // Labelled with a class: no longer unlabelled.
        let labelled = [
            DATE,
            (
                "X-Protective-Marking",
                "VER=2018.1, NS=gov.au, SEC=PROTECTED",
            ),
        ];
        assert!(fired("", &labelled, None, &[Health]).is_empty());
        // Below the category's minimum count, health is not present.
        let two = "[categories.min_count]\nhealth = 3\n";
        assert!(fired(two, &[DATE], None, &[Health, Health]).is_empty());
        assert_eq!(
            fired(two, &[DATE], None, &[Health, Health, Health]).len(),
            1
        );
        // A policy that requires no class.
        assert!(fired(
            "[retention]\nrequire_class_for = []\n",
            &[DATE],
            None,
            &[Health]
        )
        .is_empty());
    }

    #[test]
    fn under_classified() {
        let fires = |subject: &str, categories: &[Category]| {
            fired("", &[DATE], Some(subject), categories).contains(&"under-classified")
        };
        assert!(fires("Results [SEC=UNOFFICIAL]", &[Health]));
        assert!(fires("OFFICIAL: case list", &[Identity]));
        assert!(!fires("Results [SEC=UNOFFICIAL]", &[Contact]));
        assert!(!fires("OFFICIAL-SENSITIVE: case list", &[Health]));
        assert!(!fires("Results [SEC=OFFICIAL:Sensitive]", &[Health]));
        let headers = [DATE, ("Sensitivity", "Personal")];
        assert!(!fired("", &headers, None, &[Health]).contains(&"under-classified"));
    }

    #[test]
    fn expiry_exceeds_class() {
        let marking = "VER=2018.1, NS=gov.au, SEC=OFFICIAL:Sensitive, EXPIRES=2046-11-23";
        let rules = fired(
            "",
            &[DATE, ("X-Protective-Marking", marking)],
            None,
            &[Contact],
        );
        assert!(rules.contains(&"expiry-exceeds-class"), "{rules:?}");
        let headers = [
            DATE,
            ("Sensitivity", "Private"),
            ("Expires", "Wed, 1 Sep 2027 00:00:00 +0000"),
        ];
        assert!(fired("", &headers, None, &[Contact]).is_empty());
        let headers = [
            DATE,
            ("Sensitivity", "Private"),
            ("Expiry-Date", "Sat, 1 Dec 2029 00:00:00 +0000"),
        ];
        assert_eq!(fired("", &headers, None, &[]), ["expiry-exceeds-class"]);
        // No class, no class maximum to exceed.
        let headers = [DATE, ("Expires", "Sat, 1 Dec 2029 00:00:00 +0000")];
        assert!(!fired("", &headers, None, &[Contact]).contains(&"expiry-exceeds-class"));
    }

    #[test]
    fn retention_exceeds_category() {
        let archive = [DATE, ("X-Retention-Class", "archive")];
        assert_eq!(
            fired("", &archive, None, &[Health]),
            ["retention-exceeds-category"]
        );
        assert_eq!(fired("", &archive, None, &[Health, Contact]).len(), 2);
        let sensitive = [DATE, ("X-Retention-Class", "sensitive")];
        assert!(fired("", &sensitive, None, &[Health]).is_empty());
        // The example: health data, Expires twenty years ahead, and
        // no other label.
        let twenty_years = [DATE, ("Expires", "Thu, 23 Nov 2046 10:00:00 +0000")];
        let rules = fired("", &twenty_years, None, &[Health]);
        assert!(rules.contains(&"retention-exceeds-category"), "{rules:?}");
        // A policy allowing health data longer.
        let longer = "[categories.max_retention_days]\nhealth = 9000\n";
        assert!(
            !fired(longer, &twenty_years, None, &[Health]).contains(&"retention-exceeds-category")
        );
    }

    #[test]
    fn permitted_and_forbidden() {
        let class = RetentionClass {
            max_days: 10,
            permitted: vec![Contact],
            forbidden: vec![Health],
        };
        assert_eq!(class.rejects(Health), Some("forbids"));
        assert_eq!(class.rejects(Financial), Some("does not permit"));
        assert_eq!(class.rejects(Contact), None);
    }
}

/// Helpers shared by the policy modules' tests.
#[cfg(test)]
pub(crate) mod testing {
    use crate::message::{Location, RawHeader};
    use crate::report::{Category, DataType, Finding, Level};

    /// Header fields from `(name, value)` pairs.
    pub(crate) fn raw_headers<'a>(pairs: &'a [(&'a str, &'a str)]) -> Vec<RawHeader<'a>> {
        pairs
            .iter()
            .map(|(name, value)| RawHeader {
                name,
                value: value.as_bytes(),
            })
            .collect()
    }

    /// A high-confidence finding of `category` in part 1, of a type typical
    /// of the category.
    pub(crate) fn finding(category: Category) -> Finding {
        let data_type = match category {
            Category::Health => DataType::NhsNumber,
            Category::Identity => DataType::UkNino,
            Category::Financial => DataType::Iban,
            _ => DataType::Email,
        };
        Finding {
            data_type,
            category,
            confidence: 0.99,
            level: Level::High,
            location: Location::part("1").with_span(0, 12),
            masked: crate::report::mask::Masked::tail("943 476 5919", 3),
            value: None,
        }
    }
}
