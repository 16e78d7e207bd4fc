//! Stage 4: the analyses' results → violations → verdict.

use std::collections::BTreeSet;

use crate::extract::{cell_row, inner_within};
use crate::message::{Location, MessageView, TextKind};
use crate::policy::Policy;
use crate::recipients::RecipientAnalysis;
use crate::report::{DataType, Evidence, Finding, Verdict, Violation};

/// Everything the rules look at.
pub(crate) struct Facts<'a> {
    pub(crate) view: &'a MessageView<'a>,
    pub(crate) recipients: &'a RecipientAnalysis,
    pub(crate) findings: &'a [Finding],
    pub(crate) complete: bool,
    pub(crate) truncated: &'a [String],
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
            .visible_headers
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
    for part in &facts.view.texts {
        if part.kind == TextKind::Header && !part.location.part.contains('.') {
            continue; // the outer Subject
        }
        // Findings in this text: same part, and inside the same attachment
        // text (a sheet's findings name their cell below the sheet).
        let in_part = |f: &&Finding| {
            f.data_type == DataType::Email
                && f.location.part == part.location.part
                && inner_within(f.location.inner.as_deref(), part.location.inner.as_deref())
        };
        let distinct: BTreeSet<&str> = facts
            .findings
            .iter()
            .filter(in_part)
            .map(|f| f.masked.as_str())
            .collect();
        let rows: BTreeSet<u32> = facts
            .findings
            .iter()
            .filter(in_part)
            .filter_map(|f| f.location.inner.as_deref().and_then(cell_row))
            .collect();
        let count = facts
            .findings
            .iter()
            .filter(in_part)
            .filter_map(|f| f.location.start.zip(f.location.end))
            .filter_map(|(s, e)| part.text.get(s..e))
            .map(str::to_ascii_lowercase)
            .collect::<BTreeSet<_>>()
            .len()
            .max(distinct.len());
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
