//! Property tests through the public API: whatever the label headers and
//! subject hold, an audit never panics, always reports, and never copies an
//! address from a label into the report.

use std::sync::OnceLock;

use mailaudit::{Auditor, Policy};
use proptest::prelude::*;

fn auditor() -> &'static Auditor {
    static AUDITOR: OnceLock<Auditor> = OnceLock::new();
    AUDITOR.get_or_init(|| Auditor::new(Policy::default()).unwrap())
}

const HEADERS: &[&str] = &[
    "X-Protective-Marking",
    "Sensitivity",
    "Expires",
    "Expiry-Date",
    "msip_labels",
    "X-Retention-Class",
    "X-Classification",
];

/// Text shaped like labels: their keys, values and separators, folding,
/// encoded words and a few non-ASCII characters.
fn label_text() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just("SEC=".to_string()),
            Just("OFFICIAL".to_string()),
            Just(":Sensitive".to_string()),
            Just("-SENSITIVE".to_string()),
            Just("UNOFFICIAL".to_string()),
            Just(", ".to_string()),
            Just("EXPIRES=2046-11-23".to_string()),
            Just("ACCESS=Personal-Privacy".to_string()),
            Just("MSIP_Label_f42aa342-8706-4288-bd11-ebb85995028c_Name=".to_string()),
            Just("; ".to_string()),
            Just("\r\n ".to_string()),
            Just("=?utf-8?q?SEC=3DPROTECTED?=".to_string()),
            Just("Thu, 23 Nov 2046 10:00:00 +0000".to_string()),
            Just("[".to_string()),
            Just("]".to_string()),
            Just("é".to_string()),
            "[ -~]{0,12}",
        ],
        0..16,
    )
    .prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn audit_with_arbitrary_labels_never_panics(
        header in 0..HEADERS.len(),
        value in label_text(),
        subject in label_text(),
    ) {
        let auditor = auditor();
        // Keep the header block well-formed: a folded line starts with a space.
        let value = value.replace("\r\n", "\r\n ").replace('\n', "\n ");
        let subject = subject.replace(['\r', '\n'], " ");
        let raw = format!(
            "From: a@x.example\r\nTo: b@y.example\r\nDate: Mon, 23 Nov 2026 09:30:00 +0000\r\n\
             Subject: {subject}\r\n{}: {value} ORIGIN=leak.me@secret.example\r\n\r\nbody\r\n",
            HEADERS[header]
        );
        if let Ok(report) = auditor.audit(raw.as_bytes()) {
            let json = report.to_json();
            prop_assert!(!json.contains("leak.me"), "{}", json);
            for label in report.labels().unrecognised() {
                prop_assert!(!label.reason.contains("leak.me"));
            }
        }
    }
}
