//! Stage 4: the analyses' results → violations → verdict.

use std::collections::BTreeSet;

use crate::extract::cell_row;
use crate::message::{Location, MessageView, TextKind};
use crate::policy::labels::Labels;
use crate::policy::{allow, retention, Policy};
use crate::recipients::RecipientAnalysis;
use crate::report::{DataType, Evidence, Finding, Verdict, Violation};

/// Everything the rules look at.
pub(crate) struct Facts<'a> {
    pub(crate) view: &'a MessageView<'a>,
    pub(crate) recipients: &'a RecipientAnalysis,
    pub(crate) findings: &'a [Finding],
    /// For each of `view.texts`, the range of `findings` found in it.
    pub(crate) part_findings: &'a [std::ops::Range<usize>],
    pub(crate) complete: bool,
    pub(crate) truncated: &'a [String],
    pub(crate) labels: &'a Labels,
}

/// Applies the policy's rules to the facts of one message.
pub(crate) fn evaluate(policy: &Policy, facts: &Facts<'_>) -> (Verdict, Vec<Violation>) {
    let mut violations = Vec::new();
    let mut fire = |rule: &'static str, message: String, evidence: Vec<Evidence>| {
        let settings = policy.rule(rule);
        violations.push(Violation {
            rule,
            severity: settings.severity,
            action: settings.action,
            message,
            evidence,
        });
    };

    let counts = &facts.recipients.counts;
    let thresholds = &policy.recipients;
    let header_evidence = |what: &str| -> Vec<Evidence> {
        facts
            .recipients
            .external_headers
            .iter()
            .map(|h| Evidence {
                location: Location::part(format!("HEADER.{h}")),
                detail: what.to_string(),
            })
            .collect()
    };

    let exposed = counts.external >= thresholds.min_external_recipients as usize
        && counts.external_domains >= thresholds.min_external_domains as usize;
    if exposed {
        fire(
            "exposed-recipient-list",
            format!(
                "{} external recipients at {} domains are visible to each other in To/Cc; \
                 send to them with Bcc (or a mailing tool) so no one sees the others' addresses",
                counts.external, counts.external_domains
            ),
            header_evidence("visible external recipients"),
        );
    } else if counts.consumer >= thresholds.min_consumer_recipients as usize {
        fire(
            "consumer-recipients-visible",
            format!(
                "{} recipients at personal mailbox providers are visible to each other in To/Cc; \
                 use Bcc for private individuals",
                counts.consumer
            ),
            header_evidence("visible personal mailboxes"),
        );
    }

    if counts.bcc > 0 && counts.visible > 0 {
        fire(
            "bcc-header-leak",
            format!(
                "the message carries a Bcc header with {} address(es) beside visible recipients; \
                 it would disclose the blind copies to everyone who receives it",
                counts.bcc
            ),
            vec![Evidence {
                location: Location::part("HEADER.Bcc"),
                detail: format!("{} address(es)", counts.bcc),
            }],
        );
    }

    // Address lists pasted into bodies and attachments, one violation per part.
    let min_in_content = thresholds.min_addresses_in_content as usize;
    for (part, range) in facts.view.texts.iter().zip(facts.part_findings) {
        if part.kind == TextKind::Header && !part.location.part.contains('.') {
            continue; // the outer Subject
        }
        let Some(findings) = facts.findings.get(range.clone()) else {
            continue;
        };
        let emails = || findings.iter().filter(|f| f.data_type == DataType::Email);
        // A sheet's findings name their cell: count the rows the list spans.
        let rows: BTreeSet<u32> = emails()
            .filter_map(|f| f.location.inner.as_deref().and_then(cell_row))
            .collect();
        let count = distinct_ignoring_case(
            emails()
                .filter_map(|f| f.location.start.zip(f.location.end))
                .filter_map(|(s, e)| part.text.get(s..e))
                .collect(),
        );
        if count >= min_in_content {
            fire(
                "recipient-list-in-content",
                format!(
                    "a list of {count} distinct e-mail addresses is in the content; \
                     remove it or send it only to those entitled to see it"
                ),
                vec![Evidence {
                    location: part.location.clone(),
                    detail: if rows.is_empty() {
                        format!("{count} addresses")
                    } else {
                        format!("{count} addresses in {} rows", rows.len())
                    },
                }],
            );
        }
    }

    let present = retention::present_categories(policy, facts.findings);

    // Special-category data (health, identity) leaving the organisation,
    // except to domains the policy allows for that category.
    for p in present
        .iter()
        .filter(|p| policy.categories.special.contains(&p.category))
    {
        let outside: Vec<(&String, &&str)> = facts
            .recipients
            .external_recipient_domains
            .iter()
            .filter(|(domain, _)| !allow::domain_may_receive(policy, domain, p.category))
            .collect();
        if outside.is_empty() {
            continue;
        }
        let mut evidence = vec![p.evidence()];
        evidence.extend(outside.iter().take(10).map(|(domain, place)| Evidence {
            location: Location::part(**place),
            detail: format!("recipient domain {}", mask_domain(domain)),
        }));
        fire(
            "special-category-to-external",
            format!(
                "the message carries {} data ({} finding(s)) and goes to {} external domain(s) \
                 not allowed to receive it; send it through an approved channel or remove the data",
                p.category.as_str(),
                p.count,
                outside.len()
            ),
            evidence,
        );
    }

    retention::check(policy, facts.labels, &present, &mut fire);

    for label in facts.labels.unrecognised() {
        fire(
            "unrecognised-label",
            format!(
                "a label is not recognised ({}); it was ignored, so the label rules could not use it: \
                 correct the label or the sending client",
                label.reason
            ),
            vec![Evidence {
                location: Location::part(label.location.clone()),
                detail: label.reason.clone(),
            }],
        );
    }

    if !facts.complete {
        fire(
            "incomplete-scan",
            format!(
                "the message was not fully scanned: it exceeds {}",
                facts.truncated.join(", ")
            ),
            Vec::new(),
        );
    }

    let verdict = violations
        .iter()
        .map(|v| Verdict::from_action(v.action))
        .max()
        .unwrap_or(Verdict::Pass);
    (verdict, violations)
}

/// A recipient domain in evidence: its first letter and top-level domain
/// (`n***.net`), as e-mail addresses are masked.
fn mask_domain(domain: &str) -> String {
    crate::report::mask::mask_email(&format!("x@{domain}"))
        .split_once('@')
        .map_or_else(String::new, |(_, d)| d.to_string())
}

/// How many different strings `items` holds, ASCII case ignored. Hashes the
/// borrowed slices: no lower-cased copies (a sheet can hold hundreds of
/// thousands of addresses), and no sort.
fn distinct_ignoring_case(items: Vec<&str>) -> usize {
    items
        .into_iter()
        .map(Caseless)
        .collect::<std::collections::HashSet<_>>()
        .len()
}

/// A string compared and hashed with ASCII case ignored.
#[derive(Debug, Clone, Copy)]
struct Caseless<'a>(&'a str);

impl PartialEq for Caseless<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.0.eq_ignore_ascii_case(other.0)
    }
}

impl Eq for Caseless<'_> {}

impl std::hash::Hash for Caseless<'_> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        // Eight lower-cased bytes at a time: one hasher call for each.
        let mut chunks = self.0.as_bytes().chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            for (w, b) in word.iter_mut().zip(chunk) {
                *w = b.to_ascii_lowercase();
            }
            state.write_u64(u64::from_le_bytes(word));
        }
        let mut tail = [0u8; 8];
        for (w, b) in tail.iter_mut().zip(chunks.remainder()) {
            *w = b.to_ascii_lowercase();
        }
        state.write_u64(u64::from_le_bytes(tail));
        state.write_usize(self.0.len());
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::*;

    #[test]
    fn distinct_addresses_ignore_case_only() {
        let items = vec!["A@x.org", "a@X.org", "b@x.org", "a@x.org ", "B@X.ORG"];
        assert_eq!(distinct_ignoring_case(items), 3);
        let long = vec![
            "Jo.Bloggs.Long@Example.ORG",
            "jo.bloggs.long@example.org",
            "jo.bloggs.lonG@example.org",
            "jo.bloggs.long@example.org\0",
        ];
        assert_eq!(distinct_ignoring_case(long), 2);
        assert_eq!(distinct_ignoring_case(Vec::new()), 0);
    }

    proptest::proptest! {
        #[test]
        fn distinct_counts_lower_cased_strings(items in proptest::collection::vec("[aAbB@.]{0,12}", 0..24)) {
            let lower: std::collections::BTreeSet<String> =
                items.iter().map(|s| s.to_ascii_lowercase()).collect();
            let borrowed: Vec<&str> = items.iter().map(String::as_str).collect();
            proptest::prop_assert_eq!(distinct_ignoring_case(borrowed), lower.len());
        }
    }

    use crate::message::TextPart;
    use crate::policy::labels::LabelReader;
    use crate::policy::testing::finding;
    use crate::recipients::{Envelope, RecipientRules};
    use crate::report::Category;

    /// The rule ids that fire for a message with these headers and findings.
    fn fired(
        extra: &str,
        headers: &[(&str, &str)],
        envelope: Option<&Envelope>,
        findings: &[Finding],
    ) -> Vec<&'static str> {
        let policy = Policy::from_toml(&format!("version = 1\n{extra}")).unwrap();
        let raw = crate::policy::testing::raw_headers(headers);
        let recipients = RecipientRules::new(&policy).analyse(&raw, envelope);
        let labels = LabelReader::new(&policy).unwrap().read(&raw, None);
        let view = MessageView {
            headers: raw.clone(),
            texts: vec![TextPart {
                location: Location::part("1"),
                kind: TextKind::Body,
                text: Cow::Borrowed("943 476 5919 results"),
                from_html: false,
            }],
            unscanned: Vec::new(),
            truncated: Vec::new(),
            part_count: 1,
            cell_maps: Default::default(),
        };
        let part_findings = vec![std::ops::Range {
            start: 0,
            end: findings.len(),
        }];
        let (verdict, violations) = evaluate(
            &policy,
            &Facts {
                view: &view,
                recipients: &recipients,
                findings,
                part_findings: &part_findings,
                complete: true,
                truncated: &[],
                labels: &labels,
            },
        );
        let strongest = violations
            .iter()
            .map(|v| Verdict::from_action(v.action))
            .max();
        assert_eq!(verdict, strongest.unwrap_or(Verdict::Pass));
        violations.iter().map(|v| v.rule).collect()
    }

    const LABELLED: (&str, &str) = ("X-Retention-Class", "sensitive");

    #[test]
    fn special_category_to_external() {
        let health = [finding(Category::Health)];
        let to_gmail = [
            ("From", "gp@surgery.example"),
            ("To", "patient@gmail.com"),
            LABELLED,
        ];
        assert_eq!(
            fired("", &to_gmail, None, &health),
            ["special-category-to-external"]
        );
        // Identity too; contact data does not count.
        assert_eq!(
            fired("", &to_gmail, None, &[finding(Category::Identity)]),
            ["special-category-to-external"]
        );
        assert!(fired("", &to_gmail, None, &[finding(Category::Contact)]).is_empty());
        // Internal recipients only.
        let internal = [
            ("From", "gp@surgery.example"),
            ("To", "nurse@surgery.example"),
            LABELLED,
        ];
        assert!(fired("", &internal, None, &health).is_empty());
        // Blind copies and envelope recipients receive it too.
        let bcc = [
            ("From", "gp@surgery.example"),
            ("To", "nurse@surgery.example"),
            ("Bcc", "x@gmail.com"),
            LABELLED,
        ];
        assert!(fired("", &bcc, None, &health).contains(&"special-category-to-external"));
        let envelope = Envelope::new(Some("gp@surgery.example"), ["someone@example.net"]);
        assert_eq!(
            fired("", &internal, Some(&envelope), &health),
            ["special-category-to-external"]
        );
    }

    #[test]
    fn recipient_domain_allow_list() {
        let allow =
            "[[allow.recipient_domains]]\ncategories = [\"health\"]\ndomains = [\"nhs.net\"]\n";
        let health = [finding(Category::Health)];
        let to_nhs = [
            ("From", "gp@surgery.example"),
            ("To", "consultant@nhs.net, ward@trust.nhs.net"),
            LABELLED,
        ];
        assert!(fired(allow, &to_nhs, None, &health).is_empty());
        assert_eq!(
            fired("", &to_nhs, None, &health),
            ["special-category-to-external"]
        );
        // Allowed for health only, not identity.
        assert_eq!(
            fired(allow, &to_nhs, None, &[finding(Category::Identity)]),
            ["special-category-to-external"]
        );
        // One recipient outside the list is enough.
        let mixed = [
            ("From", "gp@surgery.example"),
            ("To", "consultant@nhs.net, p@notnhs.net"),
            LABELLED,
        ];
        assert_eq!(
            fired(allow, &mixed, None, &health),
            ["special-category-to-external"]
        );
    }

    #[test]
    fn unrecognised_labels_are_violations_not_errors() {
        let headers = [("From", "a@x.example"), ("Sensitivity", "Secretish")];
        assert_eq!(fired("", &headers, None, &[]), ["unrecognised-label"]);
    }

    #[test]
    fn domain_masking() {
        assert_eq!(mask_domain("nhs.net"), "n***.net");
        assert_eq!(mask_domain("smith-family.example"), "s***.***");
    }
}
