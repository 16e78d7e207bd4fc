//! Behaviour of the whole pipeline through the public API, over the example
//! messages in `examples/messages/` (written by `examples/generate-messages.py`).

use std::path::Path;

use mailaudit::{Auditor, Envelope, Error, Policy, Report, Verdict};

fn audit_example(name: &str) -> Report {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/messages")
        .join(name);
    let raw = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Auditor::new(Policy::default())
        .unwrap()
        .audit(&raw)
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn rules(report: &Report) -> Vec<&'static str> {
    report.violations().iter().map(|v| v.rule).collect()
}

#[test]
fn incident_is_an_exposed_recipient_list() {
    let report = audit_example("incident-cc-trainees.eml");
    let r = report.recipients();
    assert_eq!((r.to, r.cc, r.bcc), (1, 296, 0));
    assert_eq!((r.visible, r.external, r.external_domains), (297, 296, 14));
    assert_eq!(r.malformed, 0);
    assert_eq!(rules(&report), ["exposed-recipient-list"]);
    assert_eq!(report.verdict(), Verdict::Quarantine);
    let v = &report.violations()[0];
    assert!(
        v.message.contains("296 external recipients at 14 domains"),
        "{}",
        v.message
    );
    assert!(v.message.contains("Bcc"));
    let places: Vec<&str> = v.evidence.iter().map(|e| &*e.location.part).collect();
    assert_eq!(places, ["HEADER.Cc"]);
}

#[test]
fn same_mail_sent_with_bcc_passes() {
    let report = audit_example("newsletter-bcc.eml");
    assert_eq!(report.recipients().visible, 0);
    assert!(report.violations().is_empty());
    assert_eq!(report.verdict(), Verdict::Pass);
}

#[test]
fn internal_team_mail_passes() {
    let report = audit_example("internal-team.eml");
    let r = report.recipients();
    assert_eq!((r.visible, r.external), (24, 0));
    assert_eq!(report.verdict(), Verdict::Pass);
}

#[test]
fn leaked_bcc_header_is_flagged() {
    let report = audit_example("leaked-bcc.eml");
    assert_eq!(report.recipients().bcc, 3);
    assert_eq!(rules(&report), ["bcc-header-leak"]);
}

#[test]
fn one_partner_domain_is_not_exposed() {
    let report = audit_example("partner-thread.eml");
    let r = report.recipients();
    assert_eq!((r.external, r.external_domains), (14, 1));
    assert!(!report.has_violation("exposed-recipient-list"));
}

#[test]
fn lists_split_over_repeated_headers_and_groups_count_in_full() {
    let report = audit_example("split-cc-groups.eml");
    let r = report.recipients();
    assert_eq!((r.to, r.cc, r.visible, r.external), (3, 9, 12, 12));
    assert_eq!(r.malformed, 2);
    assert!(report.has_violation("exposed-recipient-list"));
}

#[test]
fn address_list_in_attachment_is_flagged_and_binary_parts_listed() {
    let report = audit_example("patient-list-attachment.eml");
    assert!(report.has_violation("recipient-list-in-content"));
    let v = report
        .violations()
        .iter()
        .find(|v| v.rule == "recipient-list-in-content")
        .unwrap();
    assert_eq!(&*v.evidence[0].location.part, "2");
    assert_eq!(
        v.evidence[0].location.filename.as_deref(),
        Some("attendees.csv")
    );
    assert_eq!(report.unscanned().len(), 1);
    assert_eq!(&*report.unscanned()[0].location.part, "3");
    assert_eq!(report.unscanned()[0].reason, "image");
}

#[test]
fn forwarded_message_headers_are_scanned() {
    let report = audit_example("forwarded-list.eml");
    let v = report
        .violations()
        .iter()
        .find(|v| v.rule == "recipient-list-in-content")
        .expect("list in forwarded headers");
    assert_eq!(&*v.evidence[0].location.part, "2.HEADER.Cc");
    // The nested HTML body was converted to text and scanned as part 2.1.
    assert!(report.stats().parts >= 3);
}

#[test]
fn envelope_sender_decides_the_organisation() {
    let policy = Policy::from_toml(
        "version = 1\n[[organisations]]\nname = \"H\"\ndomains = [\"harbourline.co.uk\", \"harbourline.org\"]\n",
    )
    .unwrap();
    let auditor = Auditor::new(policy).unwrap();
    let mut raw = String::from("From: News <news@mailer.example>\r\nTo: ");
    let list: Vec<String> = (0..12)
        .map(|i| format!("p{i}@harbourline.org, x{i}@{}.example", i % 3))
        .collect();
    raw.push_str(&list.join(", "));
    raw.push_str("\r\nSubject: s\r\n\r\nbody\r\n");
    let envelope = Envelope::new(Some("bounce@harbourline.co.uk"), Vec::<String>::new());
    let report = auditor
        .audit_with_envelope(raw.as_bytes(), &envelope)
        .unwrap();
    assert_eq!(report.recipients().external, 12);
    assert_eq!(report.recipients().external_domains, 3);
}

#[test]
fn bad_input_gives_typed_errors_or_reports() {
    let auditor = Auditor::new(Policy::default()).unwrap();
    assert!(matches!(auditor.audit(b""), Err(Error::Empty)));
    assert!(matches!(auditor.audit(b" \r\n\t"), Err(Error::Empty)));
    // Headers without a body, truncated MIME, 8-bit headers, binary garbage:
    // each is a report or a typed error, never a panic.
    let cases: [&[u8]; 5] = [
        b"From: a@x.example\r\nTo: b@y.example\r\n",
        b"From: a@x.example\r\nContent-Type: multipart/mixed; boundary=zz\r\n\r\n--zz\r\nContent-Type: text/plain\r\n\r\nhalf",
        b"From: \xc3\xa9l\xe9ve <a@x.example>\r\nTo: \xff\xfe <b@y.example>\r\n\r\nbody",
        b"\x00\x01\x02\xff\xfe\x00garbage\x00",
        b"To: undisclosed-recipients:;\r\n\r\n",
    ];
    for raw in cases {
        let _ = auditor.audit(raw);
    }
    let report = auditor.audit(cases[2]).unwrap();
    assert_eq!(report.recipients().to, 1);
}

#[test]
fn message_size_limit_is_a_typed_error() {
    let policy = Policy::from_toml("version = 1\n[limits]\nmax_message_bytes = 100\n").unwrap();
    let auditor = Auditor::new(policy).unwrap();
    let raw = format!("From: a@x.example\r\n\r\n{}", "x".repeat(200));
    match auditor.audit(raw.as_bytes()) {
        Err(Error::TooLarge { bytes, limit }) => {
            assert_eq!((bytes, limit), (raw.len() as u64, 100))
        }
        other => panic!("expected TooLarge, got {other:?}"),
    }
}

#[test]
fn report_json_has_the_documented_shape_and_no_raw_addresses() {
    let report = audit_example("incident-cc-trainees.eml");
    let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    for key in [
        "verdict",
        "complete",
        "recipients",
        "violations",
        "findings",
        "unscanned",
        "stats",
    ] {
        assert!(json.get(key).is_some(), "missing {key}");
    }
    for key in [
        "to",
        "cc",
        "bcc",
        "visible",
        "external",
        "external_domains",
        "malformed",
    ] {
        assert!(
            json["recipients"].get(key).is_some(),
            "missing recipients.{key}"
        );
    }
    assert_eq!(json["verdict"], "quarantine");
    let text = report.to_json() + &format!("{report:?}");
    assert!(!text.contains("@gmail.com"), "a raw address leaked");
}

#[test]
fn auditor_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Auditor>();
    assert_send_sync::<Report>();
}

#[test]
fn findings_limit_cuts_the_scan_and_says_so() {
    let policy = Policy::from_toml("version = 1\n[limits]\nmax_findings = 5\n").unwrap();
    let auditor = Auditor::new(policy).unwrap();
    let mut raw = String::from("From: a@org.example\r\nTo: b@org.example\r\nSubject: list\r\n\r\n");
    for i in 0..40 {
        raw.push_str(&format!("person{i}@mail{i}.example\r\n"));
    }
    let report = auditor.audit(raw.as_bytes()).unwrap();
    assert_eq!(report.findings().len(), 5);
    assert!(!report.is_complete());
    assert_eq!(report.truncated(), ["limits.max_findings"]);
    assert!(report.has_violation("incomplete-scan"));
    // Under the default limit the same message is complete.
    let report = Auditor::new(Policy::default())
        .unwrap()
        .audit(raw.as_bytes())
        .unwrap();
    assert_eq!(report.findings().len(), 40);
    assert!(report.is_complete());
}

#[test]
fn no_one_is_born_after_the_message_was_sent() {
    let auditor = Auditor::new(Policy::default()).unwrap();
    let message = |date: &str| {
        format!(
            "From: a@example.org\r\nTo: b@example.net\r\n{date}Subject: x\r\n\r\n\
             Happy birthday! Your birthday voucher expires 31/12/2026.\r\n\
             Patient DOB: 14/07/1983\r\n"
        )
    };
    let dobs = |raw: String| -> Vec<String> {
        let report = auditor.audit(raw.as_bytes()).unwrap();
        report
            .findings()
            .iter()
            .filter(|f| f.data_type == mailaudit::DataType::Dob)
            .map(|f| f.masked.to_string())
            .collect()
    };
    // Sent before the voucher date: only the patient's date of birth.
    let sent = dobs(message("Date: Mon, 23 Nov 2026 09:12:44 +0000\r\n"));
    assert_eq!(sent, vec!["**/**/**83"]);
    // The voucher date is a birth date only to a message from after it.
    assert_eq!(
        dobs(message("Date: Fri, 1 Jan 2027 09:00:00 +0000\r\n")).len(),
        2
    );
    assert_eq!(dobs(message("")).len(), 2);
}

#[test]
fn an_html_table_header_labels_its_column() {
    let raw = "From: a@example.org\r\nTo: b@example.net\r\nSubject: list\r\n\
               MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n\
               <p>Hi, the list:</p><table>\
               <tr><th>Name</th><th>Date of birth</th><th>Postcode</th></tr>\
               <tr><td>Jane Rowe</td><td>04/05/1966</td><td>LS6 2AB</td></tr>\
               <tr><td>Amir Khan</td><td>19/09/1971</td><td>M1 1AE</td></tr>\
               </table><p>Thanks</p>\r\n";
    let report = Auditor::new(Policy::default())
        .unwrap()
        .audit(raw.as_bytes())
        .unwrap();
    let dobs = report
        .findings()
        .iter()
        .filter(|f| f.data_type == mailaudit::DataType::Dob)
        .count();
    assert_eq!(dobs, 2);
}

#[test]
fn mailto_and_tel_links_are_read_once() {
    let html = "<p>Please contact <a href=\"mailto:priya.raman@example.co.uk\">Priya</a> \
                or call <a href=\"tel:+447700900654\">her mobile</a>; \
                <a href=\"mailto:tom.hughes@example.net\">tom.hughes@example.net</a></p>";
    let found = |raw: String| -> Vec<(mailaudit::DataType, Option<String>)> {
        let report = Auditor::new(Policy::default())
            .unwrap()
            .audit(raw.as_bytes())
            .unwrap();
        report
            .findings()
            .iter()
            .map(|f| (f.data_type, f.location.inner.as_deref().map(str::to_string)))
            .collect()
    };
    let links = Some("links".to_string());
    let html_only = format!(
        "From: a@example.org\r\nTo: b@example.net\r\nSubject: contact\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n{html}\r\n"
    );
    assert_eq!(
        found(html_only),
        vec![
            (mailaudit::DataType::Email, None),
            (mailaudit::DataType::Email, links.clone()),
            (mailaudit::DataType::Phone, links.clone()),
        ]
    );
    // A plain alternative that says the same: the text is read there, the
    // link targets it does not show from the HTML part.
    let alternative = |plain: &str| {
        format!(
            "From: a@example.org\r\nTo: b@example.net\r\nSubject: contact\r\n\
             MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=\"b\"\r\n\r\n\
             --b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{plain}\r\n\
             --b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n{html}\r\n--b--\r\n"
        )
    };
    let same = "Please contact Priya or call her mobile; tom.hughes@example.net";
    assert_eq!(
        found(alternative(same)),
        vec![
            (mailaudit::DataType::Email, None),
            (mailaudit::DataType::Email, links.clone()),
            (mailaudit::DataType::Phone, links.clone()),
        ]
    );
    // One that says more (the number): both texts are read, and of the
    // links only the address that neither shows.
    let more = format!("{same}\r\nMobile: +44 7700 900654");
    assert_eq!(
        found(alternative(&more)),
        vec![
            (mailaudit::DataType::Email, None),
            (mailaudit::DataType::Phone, None),
            (mailaudit::DataType::Email, None),
            (mailaudit::DataType::Email, links),
        ]
    );
}
