//! Aggregates over many reports: what a compliance team asks of an archive.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::report::{Report, Verdict};

/// Counts over many audited messages. Merge summaries from parallel workers
/// with [`Summary::merge`]; the result does not depend on the order.
///
/// It deserialises from its own JSON (the `top_senders` list is ignored; the
/// full sender tallies travel in `senders`), so partial summaries can cross
/// process boundaries, e.g. from Spark or Ray workers back to the driver.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Summary {
    /// Messages audited.
    pub messages: u64,
    /// Inputs that could not be audited.
    pub errors: u64,
    /// Messages per verdict.
    pub verdicts: VerdictCounts,
    /// Messages not fully scanned (a limit was reached).
    pub incomplete: u64,
    /// Raw bytes audited.
    pub bytes: u64,
    /// Violations per rule id.
    pub violations_by_rule: BTreeMap<String, u64>,
    /// Findings per data type.
    pub findings_by_type: BTreeMap<String, u64>,
    /// Findings per data category.
    pub findings_by_category: BTreeMap<String, u64>,
    /// Violations per sender, keyed by the sender's stable id.
    senders: BTreeMap<String, SenderTally>,
}

/// Messages per verdict.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct VerdictCounts {
    /// `pass`
    pub pass: u64,
    /// `warn`
    pub warn: u64,
    /// `quarantine`
    pub quarantine: u64,
    /// `reject`
    pub reject: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct SenderTally {
    masked: String,
    messages: u64,
    violations: u64,
}

/// One row of [`Summary::top_senders`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SenderRow {
    /// Stable id of the sender address (see [`Report::sender`]).
    pub id: String,
    /// The masked address.
    pub masked: String,
    /// Messages from this sender with at least one violation.
    pub messages: u64,
    /// Violations in those messages.
    pub violations: u64,
}

/// The serialised form: the counts plus the top senders.
#[derive(Serialize)]
struct SummaryJson<'a> {
    #[serde(flatten)]
    summary: &'a Summary,
    top_senders: Vec<SenderRow>,
}

impl Summary {
    /// How many senders [`Summary::top_senders`] lists in JSON and text.
    pub const TOP_SENDERS: usize = 10;

    /// Counts one report.
    pub fn add(&mut self, report: &Report) {
        self.messages += 1;
        self.bytes += report.stats().bytes as u64;
        match report.verdict() {
            Verdict::Pass => self.verdicts.pass += 1,
            Verdict::Warn => self.verdicts.warn += 1,
            Verdict::Quarantine => self.verdicts.quarantine += 1,
            Verdict::Reject => self.verdicts.reject += 1,
        }
        if !report.is_complete() {
            self.incomplete += 1;
        }
        for v in report.violations() {
            bump(&mut self.violations_by_rule, v.rule);
        }
        for f in report.findings() {
            bump(&mut self.findings_by_type, f.data_type.as_str());
            bump(&mut self.findings_by_category, f.category.as_str());
        }
        if let (Some(sender), false) = (report.sender(), report.violations().is_empty()) {
            let tally = self.senders.entry(sender.id.clone()).or_default();
            tally.masked.clone_from(&sender.masked);
            tally.messages += 1;
            tally.violations += report.violations().len() as u64;
        }
    }

    /// Counts an input that could not be audited.
    pub fn add_error(&mut self) {
        self.errors += 1;
    }

    /// Adds another summary's counts to this one.
    pub fn merge(&mut self, other: Summary) {
        self.messages += other.messages;
        self.errors += other.errors;
        self.incomplete += other.incomplete;
        self.bytes += other.bytes;
        self.verdicts.pass += other.verdicts.pass;
        self.verdicts.warn += other.verdicts.warn;
        self.verdicts.quarantine += other.verdicts.quarantine;
        self.verdicts.reject += other.verdicts.reject;
        for (maps, theirs) in [
            (&mut self.violations_by_rule, other.violations_by_rule),
            (&mut self.findings_by_type, other.findings_by_type),
            (&mut self.findings_by_category, other.findings_by_category),
        ] {
            for (k, v) in theirs {
                *maps.entry(k).or_default() += v;
            }
        }
        for (id, tally) in other.senders {
            let mine = self.senders.entry(id).or_default();
            mine.masked = tally.masked;
            mine.messages += tally.messages;
            mine.violations += tally.violations;
        }
    }

    /// Senders with the most violations, most first (ties by id).
    pub fn top_senders(&self, n: usize) -> Vec<SenderRow> {
        let mut rows: Vec<SenderRow> = self
            .senders
            .iter()
            .map(|(id, t)| SenderRow {
                id: id.clone(),
                masked: t.masked.clone(),
                messages: t.messages,
                violations: t.violations,
            })
            .collect();
        rows.sort_by(|a, b| {
            b.violations
                .cmp(&a.violations)
                .then_with(|| a.id.cmp(&b.id))
        });
        rows.truncate(n);
        rows
    }

    /// The summary as JSON, with the top senders.
    pub fn to_json(&self) -> String {
        serde_json::to_string(&SummaryJson {
            summary: self,
            top_senders: self.top_senders(Self::TOP_SENDERS),
        })
        .unwrap_or_else(|_| String::from("{}"))
    }

    /// The summary as a few lines of text.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let v = &self.verdicts;
        let _ = writeln!(
            out,
            "summary: {} messages ({:.1} MB), {} errors, {} incomplete",
            self.messages,
            self.bytes as f64 / 1e6,
            self.errors,
            self.incomplete
        );
        let _ = writeln!(
            out,
            "  verdicts: {} pass, {} warn, {} quarantine, {} reject",
            v.pass, v.warn, v.quarantine, v.reject
        );
        for (title, map) in [
            ("violations by rule", &self.violations_by_rule),
            ("findings by type", &self.findings_by_type),
            ("findings by category", &self.findings_by_category),
        ] {
            if !map.is_empty() {
                let items: Vec<String> = map.iter().map(|(k, n)| format!("{k} {n}")).collect();
                let _ = writeln!(out, "  {title}: {}", items.join(", "));
            }
        }
        let top = self.top_senders(Self::TOP_SENDERS);
        if !top.is_empty() {
            let _ = writeln!(out, "  top senders by violations:");
            for row in top {
                let _ = writeln!(
                    out,
                    "    {} ({}): {} violations in {} messages",
                    row.masked, row.id, row.violations, row.messages
                );
            }
        }
        out
    }
}

/// Adds one to `key`'s count, allocating the key only the first time.
fn bump(counts: &mut BTreeMap<String, u64>, key: &str) {
    match counts.get_mut(key) {
        Some(count) => *count += 1,
        None => {
            counts.insert(key.to_string(), 1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Auditor, Policy};

    #[test]
    fn json_round_trip_keeps_sender_tallies() {
        let auditor = Auditor::new(Policy::default()).expect("default policy");
        let mut raw = String::from("From: boss@tracewell.co.uk\r\nTo: ");
        for i in 0..12 {
            raw.push_str(&format!("p{i}@{}, ", ["gmail.com", "outlook.com"][i % 2]));
        }
        raw.push_str("q@yahoo.com\r\nSubject: s\r\n\r\nbody\r\n");
        let mut summary = Summary::default();
        summary.add(&auditor.audit(raw.as_bytes()).expect("audit"));
        summary.add_error();
        assert_eq!(summary.top_senders(10).len(), 1);

        let back: Summary = serde_json::from_str(&summary.to_json()).expect("parse");
        assert_eq!(back, summary);
        let mut merged = back.clone();
        merged.merge(back);
        assert_eq!(merged.messages, 2);
        assert_eq!(merged.top_senders(10)[0].messages, 2);
    }
}
