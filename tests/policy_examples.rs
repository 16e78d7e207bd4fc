//! The example policies and labelled messages in `examples/` (walked through
//! in `docs/policy.md`): each message under each policy fires the rules the
//! walk-through says it does, and the report's labels read as described.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use mailaudit::{Auditor, Policy, Report, Verdict};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
}

fn policy(name: &str) -> Policy {
    if name == "default" {
        return Policy::default();
    }
    let path = root().join("policies").join(format!("{name}.toml"));
    let text = std::fs::read_to_string(&path).unwrap();
    Policy::from_toml(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn audit(policy_name: &str, message: &str) -> Report {
    let raw = std::fs::read(root().join("labelled").join(message)).unwrap();
    Auditor::new(policy(policy_name))
        .unwrap()
        .audit(&raw)
        .unwrap()
}

fn rules(report: &Report) -> BTreeSet<&'static str> {
    report.violations().iter().map(|v| v.rule).collect()
}

/// Policy, message, rules that must fire, rules that must not, lowest verdict.
type Case = (
    &'static str,
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
    Verdict,
);

const CASES: &[Case] = &[
    (
        "default",
        "au-sensitive-expires-20y.eml",
        &["expiry-exceeds-class", "retention-exceeds-category"],
        &[
            "under-classified",
            "label-forbids-category",
            "unrecognised-label",
        ],
        Verdict::Warn,
    ),
    (
        "default",
        "uk-official-archive.eml",
        &["retention-exceeds-category"],
        &["expiry-exceeds-class", "unrecognised-label"],
        Verdict::Warn,
    ),
    (
        "default",
        "malformed-labels.eml",
        &["unrecognised-label"],
        &["expiry-exceeds-class"],
        Verdict::Warn,
    ),
    (
        "default",
        "unlabelled-personal.eml",
        &[],
        &["unlabelled-special-category", "unrecognised-label"],
        Verdict::Pass,
    ),
    (
        "au-agency",
        "au-unofficial-personal.eml",
        &["under-classified"],
        &["unrecognised-label"],
        Verdict::Reject,
    ),
    (
        "au-agency",
        "au-sensitive-expires-20y.eml",
        &["expiry-exceeds-class"],
        &["under-classified"],
        Verdict::Warn,
    ),
    (
        "nhs-trust",
        "nhs-referral-to-nhsnet.eml",
        &[],
        &["special-category-to-external", "unrecognised-label"],
        Verdict::Pass,
    ),
    (
        "nhs-trust",
        "nhs-referral-to-gmail.eml",
        &["special-category-to-external"],
        &["unrecognised-label"],
        Verdict::Reject,
    ),
    (
        "records-schedule",
        "msip-public-with-personal.eml",
        &["label-forbids-category"],
        &["unlabelled-special-category", "unrecognised-label"],
        Verdict::Quarantine,
    ),
    (
        "records-schedule",
        "unlabelled-personal.eml",
        &["unlabelled-special-category"],
        &["label-forbids-category"],
        Verdict::Quarantine,
    ),
];

#[test]
fn each_example_fires_its_rules() {
    for (policy_name, message, fire, quiet, verdict) in CASES {
        let report = audit(policy_name, message);
        let fired = rules(&report);
        for rule in *fire {
            assert!(
                fired.contains(rule),
                "{policy_name} / {message}: {rule} did not fire: {fired:?}"
            );
        }
        for rule in *quiet {
            assert!(
                !fired.contains(rule),
                "{policy_name} / {message}: {rule} fired"
            );
        }
        assert!(
            report.verdict() >= *verdict,
            "{policy_name} / {message}: verdict {} below {verdict}",
            report.verdict()
        );
        // Every violation explains itself and points somewhere.
        for v in report.violations() {
            assert!(v.message.len() > 40, "{}", v.rule);
            assert!(!v.evidence.is_empty(), "{}", v.rule);
        }
    }
}

#[test]
fn every_example_file_is_covered() {
    let used: BTreeSet<&str> = CASES.iter().map(|c| c.1).collect();
    for entry in std::fs::read_dir(root().join("labelled")).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        assert!(used.contains(name.as_str()), "{name} has no test case");
    }
    let used: BTreeSet<&str> = CASES.iter().map(|c| c.0).collect();
    for entry in std::fs::read_dir(root().join("policies")).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        let stem = name.trim_end_matches(".toml");
        assert!(used.contains(stem), "{name} has no test case");
        policy(stem);
    }
}

#[test]
fn labels_are_read_as_the_walk_through_says() {
    let report = audit("default", "au-sensitive-expires-20y.eml");
    let labels = report.labels();
    let marking = labels.protective_marking().unwrap();
    assert_eq!(marking.classification.as_str(), "OFFICIAL:Sensitive");
    assert_eq!(marking.access, ["Personal-Privacy"]);
    assert_eq!(
        marking.expires.map(|d| d.to_rfc3339()).as_deref(),
        Some("2046-11-23T00:00:00Z")
    );
    assert_eq!(labels.retention_class().unwrap().name, "sensitive");

    let report = audit("default", "uk-official-archive.eml");
    let labels = report.labels();
    assert_eq!(
        labels.uk_classification().unwrap().level.as_str(),
        "OFFICIAL"
    );
    assert_eq!(labels.retention_header(), Some("archive"));
    assert_eq!(labels.retention_class().unwrap().name, "archive");

    // An RFC 2047 encoded subject.
    let report = audit("nhs-trust", "nhs-referral-to-nhsnet.eml");
    let uk = report.labels().uk_classification().unwrap();
    assert_eq!(uk.level.as_str(), "OFFICIAL-SENSITIVE");
    assert_eq!(uk.descriptors, ["PERSONAL"]);
    assert_eq!(report.labels().retention_class().unwrap().name, "clinical");
    // The trust's shared mailbox is on the allow-list; the patient's address is not.
    assert_eq!(report.findings().len(), 1);

    let report = audit("records-schedule", "msip-public-with-personal.eml");
    let msip = &report.labels().msip()[0];
    assert_eq!(msip.name.as_deref(), Some("Public"));
    assert!(msip.enabled);
    assert_eq!(report.labels().retention_class().unwrap().name, "press");

    let report = audit("default", "malformed-labels.eml");
    assert_eq!(report.labels().unrecognised().len(), 4);
    assert!(report.labels().protective_marking().is_none());
}

#[test]
fn reports_carry_labels_but_no_raw_addresses() {
    let report = audit("au-agency", "au-unofficial-personal.eml");
    let json = report.to_json();
    assert!(json.contains("\"labels\""), "{json}");
    assert!(json.contains("\"classification\":\"UNOFFICIAL\""), "{json}");
    for raw in ["priya.raman", "t.okafor", "casework@"] {
        assert!(!json.contains(raw), "{raw} in {json}");
    }
    let report = audit("default", "au-sensitive-expires-20y.eml");
    assert!(!report.to_json().contains("records@examples.gov.au"));
    // No labels, no `labels` key: reports of unlabelled mail keep their shape.
    let report = audit("default", "unlabelled-personal.eml");
    assert!(!report.to_json().contains("\"labels\""));
}
