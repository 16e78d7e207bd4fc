//! Attachments seen from inside: one generated document per format with a
//! planted e-mail address found at its inner location; bombs, deep nesting
//! and damaged files stopped by the limits or reported as not scanned.
#![cfg(all(feature = "archives", feature = "office", feature = "pdf"))]

#[path = "../src/extract/testdata.rs"]
mod testdata;

use mailaudit::{Auditor, Policy, Report};
use testdata::*;

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
const OCTET: &str = "application/octet-stream";

fn audit(raw: &[u8]) -> Report {
    audit_with(Policy::default(), raw)
}

fn audit_with(policy: Policy, raw: &[u8]) -> Report {
    let auditor = Auditor::new(policy).expect("policy compiles");
    auditor.audit(raw).expect("message parses")
}

fn policy(limits: &str) -> Policy {
    Policy::from_toml(&format!("version = 1\n[limits]\n{limits}\n")).expect("valid policy")
}

/// Inner paths of the e-mail findings in attachments.
fn email_inners(report: &Report) -> Vec<String> {
    report
        .findings()
        .iter()
        .filter(|f| f.data_type == mailaudit::DataType::Email)
        .filter_map(|f| f.location.inner.as_deref().map(str::to_string))
        .collect()
}

fn unscanned(report: &Report) -> Vec<(String, String)> {
    report
        .unscanned()
        .iter()
        .map(|u| {
            (
                u.location.inner.as_deref().unwrap_or_default().to_string(),
                u.reason.clone(),
            )
        })
        .collect()
}

#[test]
fn xlsx_findings_name_sheet_and_cell() {
    let book = xlsx(&[
        ("Summary", rows(&[&["Quarter", "Total"], &["Q1", "=12"]])),
        (
            "Patients",
            rows(&[
                &["Name", "NHS No", "Email"],
                &["A. Patel", "=9434765919", "a.patel@example.net"],
                &["B. Jones", "=4010232137", "b.jones@example.org"],
            ]),
        ),
    ]);
    let report = audit(&mail_with("patients.xlsx", XLSX, &book));
    let inners = email_inners(&report);
    assert_eq!(
        inners,
        ["patients.xlsx/Patients!C2", "patients.xlsx/Patients!C3"],
        "{report:?}"
    );
    let finding = &report.findings()[0];
    assert_eq!(&*finding.location.part, "2");
    assert_eq!(finding.location.filename.as_deref(), Some("patients.xlsx"));
    assert!(report.unscanned().is_empty(), "{:?}", unscanned(&report));
    assert!(report.is_complete());
}

#[test]
fn xlsx_sent_as_octet_stream_is_recognised_by_name_and_magic() {
    let book = xlsx(&[("S", rows(&[&["Email"], &["x.y@example.com"]]))]);
    let by_name = audit(&mail_with("list.xlsx", OCTET, &book));
    assert_eq!(email_inners(&by_name), ["list.xlsx/S!A2"]);
}

#[test]
fn sheet_of_addresses_is_a_recipient_list_with_a_row_count() {
    let mut sheet = rows(&[&["Name", "Email"]]);
    for i in 0..30 {
        sheet.push(vec![
            format!("Person {i}"),
            format!("person{i}@mail{}.example", i % 3),
        ]);
    }
    let book = xlsx(&[("Contacts", sheet), ("Notes", rows(&[&["nothing here"]]))]);
    let report = audit(&mail_with("contacts.xlsx", XLSX, &book));
    let violations: Vec<_> = report
        .violations()
        .iter()
        .filter(|v| v.rule == "recipient-list-in-content")
        .collect();
    assert_eq!(violations.len(), 1, "{violations:?}");
    let evidence = &violations[0].evidence[0];
    assert_eq!(
        evidence.location.inner.as_deref(),
        Some("contacts.xlsx/Contacts")
    );
    assert_eq!(evidence.detail, "30 addresses in 30 rows");
}

#[test]
fn ods_findings_name_the_cell() {
    let book = ods(
        "Staff",
        &rows(&[
            &["Name", "", "Email"],
            &["C. Wu", "=42", "c.wu@example.com"],
        ]),
    );
    let report = audit(&mail_with(
        "staff.ods",
        "application/vnd.oasis.opendocument.spreadsheet",
        &book,
    ));
    assert_eq!(email_inners(&report), ["staff.ods/Staff!C2"], "{report:?}");
}

#[test]
fn docx_body_and_comments_are_read() {
    let doc = docx(
        &[
            "Dear colleague,",
            "please call d.smith@example.co.uk today.",
        ],
        Some("cc e.brown@example.com"),
    );
    let report = audit(&mail_with(
        "letter.docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        &doc,
    ));
    assert_eq!(
        email_inners(&report),
        ["letter.docx", "letter.docx/comments"],
        "{report:?}"
    );
}

#[test]
fn pptx_slides_are_read_in_order() {
    let deck = pptx(&["Agenda", "Contact f.green@example.org"]);
    let report = audit(&mail_with("deck.pptx", OCTET, &deck));
    assert_eq!(email_inners(&report), ["deck.pptx/slide2"], "{report:?}");
}

#[test]
fn odt_text_is_read() {
    let doc = odt(&["Minutes", "Action: g.hall@example.net"]);
    let report = audit(&mail_with(
        "minutes.odt",
        "application/vnd.oasis.opendocument.text",
        &doc,
    ));
    assert_eq!(email_inners(&report), ["minutes.odt"], "{report:?}");
}

#[test]
fn pdf_text_is_read() {
    let doc = pdf(&["Referral letter", "Reply to h.khan@example.org"], &[], "");
    let report = audit(&mail_with("referral.pdf", "application/pdf", &doc));
    assert_eq!(email_inners(&report), ["referral.pdf"], "{report:?}");
}

#[test]
fn rtf_text_is_read() {
    let doc = br"{\rtf1\ansi{\fonttbl{\f0 Arial;}}\f0 Write to i.ng@example.com\par}";
    let report = audit(&mail_with("note.rtf", "application/rtf", doc));
    assert_eq!(email_inners(&report), ["note.rtf"], "{report:?}");
}

#[test]
fn zip_entries_are_read_recursively_with_their_paths() {
    let book = xlsx(&[("Sheet1", rows(&[&["Email"], &["j.lee@example.com"]]))]);
    let inner_zip = zip_of(&[("notes.txt", b"ping k.ali@example.org".as_slice())]);
    let archive = zip_of(&[
        ("exports/patients.xlsx", &book),
        ("inner.zip", &inner_zip),
        ("photo.jpg", b"\xff\xd8\xff\xe0 not really"),
    ]);
    let report = audit(&mail_with("export.zip", "application/zip", &archive));
    assert_eq!(
        email_inners(&report),
        [
            "export.zip/exports/patients.xlsx/Sheet1!A2",
            "export.zip/inner.zip/notes.txt"
        ],
        "{report:?}"
    );
    assert_eq!(
        unscanned(&report),
        [("export.zip/photo.jpg".to_string(), "binary".to_string())]
    );
}

#[test]
fn deep_nesting_stops_at_the_depth_limit() {
    let mut archive = zip_of(&[("secret.txt", b"l.roe@example.com".as_slice())]);
    for level in (0..6).rev() {
        archive = zip_of(&[(&format!("level{level}.zip"), &archive)]);
    }
    let raw = mail_with("deep.zip", "application/zip", &archive);

    let report = audit(&raw);
    assert!(email_inners(&report).is_empty());
    let skipped = unscanned(&report);
    assert_eq!(skipped.len(), 1, "{skipped:?}");
    assert_eq!(skipped[0].1, "archive-depth-limit");
    assert_eq!(
        skipped[0].0,
        "deep.zip/level0.zip/level1.zip/level2.zip/level3.zip"
    );
    assert!(!report.is_complete());
    assert!(report
        .truncated()
        .contains(&"limits.max_archive_depth".to_string()));
    assert!(report.has_violation("incomplete-scan"));

    let report = audit_with(policy("max_archive_depth = 10"), &raw);
    assert_eq!(email_inners(&report).len(), 1, "{report:?}");
    assert!(report.is_complete());
}

#[test]
fn zip_bomb_is_stopped_by_the_expansion_ratio() {
    let zeros = vec![0u8; 24 << 20];
    let archive = zip_of(&[
        ("a.txt", b"m.fox@example.com".as_slice()),
        ("bomb.csv", &zeros),
        ("z.txt", b"never read".as_slice()),
    ]);
    assert!(archive.len() < 200_000);
    let report = audit(&mail_with("bomb.zip", "application/zip", &archive));
    assert_eq!(email_inners(&report), ["bomb.zip/a.txt"]);
    assert_eq!(
        unscanned(&report),
        [(
            "bomb.zip/bomb.csv".to_string(),
            "expansion-limit".to_string()
        )]
    );
    assert!(report
        .truncated()
        .contains(&"limits.max_expansion_ratio".to_string()));
}

#[test]
fn bomb_inside_a_workbook_is_stopped_before_the_reader_sees_it() {
    // A worksheet of 30 MB of repeated empty rows compresses ~1000:1.
    let filler = "<row/>".repeat(5 << 20);
    let sheet = format!(
        r#"<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{filler}</sheetData></worksheet>"#
    );
    let book = xlsx_with_sheet_xml(&sheet);
    let report = audit(&mail_with("bomb.xlsx", XLSX, &book));
    assert_eq!(
        unscanned(&report),
        [("bomb.xlsx".to_string(), "expansion-limit".to_string())]
    );
}

#[test]
fn archive_byte_limit_applies_across_entries() {
    let text = "n.ola@example.com ".repeat(40_000); // ~720 KB, compresses well
    let archive = zip_of(&[("a.txt", text.as_bytes()), ("b.txt", text.as_bytes())]);
    let report = audit_with(
        policy("max_archive_bytes = 1000000\nmax_expansion_ratio = 100000"),
        &mail_with("two.zip", "application/zip", &archive),
    );
    assert_eq!(
        unscanned(&report),
        [("two.zip/b.txt".to_string(), "expansion-limit".to_string())]
    );
    assert!(report
        .truncated()
        .contains(&"limits.max_archive_bytes".to_string()));
}

#[test]
fn entry_limit_stops_wide_archives() {
    let names: Vec<String> = (0..20).map(|i| format!("f{i:02}.txt")).collect();
    let entries: Vec<(&str, &[u8])> = names
        .iter()
        .map(|n| (n.as_str(), b"o.kim@example.com".as_slice()))
        .collect();
    let archive = zip_of(&entries);
    let report = audit_with(
        policy("max_archive_entries = 5"),
        &mail_with("wide.zip", "application/zip", &archive),
    );
    assert_eq!(email_inners(&report).len(), 5);
    assert_eq!(
        unscanned(&report),
        [(
            "wide.zip/f05.txt".to_string(),
            "archive-entry-limit".to_string()
        )]
    );
    assert!(report
        .truncated()
        .contains(&"limits.max_archive_entries".to_string()));
}

#[test]
fn encrypted_zip_entries_are_reported_encrypted() {
    let archive = mark_encrypted(zip_of(&[("payroll.csv", b"p.q@example.com".as_slice())]));
    let report = audit(&mail_with("payroll.zip", "application/zip", &archive));
    assert!(email_inners(&report).is_empty());
    assert_eq!(
        unscanned(&report),
        [(
            "payroll.zip/payroll.csv".to_string(),
            "encrypted".to_string()
        )]
    );
}

#[test]
fn password_protected_office_file_is_reported_encrypted() {
    // An encrypted OOXML file is an OLE compound file holding a stream
    // named EncryptedPackage (MS-OFFCRYPTO); only the name matters here.
    let mut cfb = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    cfb.resize(1024, 0);
    cfb.extend("EncryptedPackage".encode_utf16().flat_map(u16::to_le_bytes));
    cfb.resize(2048, 0);
    let report = audit(&mail_with("salaries.xlsx", XLSX, &cfb));
    assert_eq!(
        unscanned(&report),
        [("salaries.xlsx".to_string(), "encrypted".to_string())]
    );
}

#[test]
fn encrypted_encrypted_workbook_inside_zip_is_encrypted_at_its_path() {
    let mut cfb = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    cfb.extend("EncryptedPackage".encode_utf16().flat_map(u16::to_le_bytes));
    let archive = zip_of(&[("hr/pay.docx", &cfb)]);
    let report = audit(&mail_with("hr.zip", "application/zip", &archive));
    assert_eq!(
        unscanned(&report),
        [("hr.zip/hr/pay.docx".to_string(), "encrypted".to_string())]
    );
}

#[test]
fn password_protected_pdf_is_reported_encrypted() {
    // RC4 40-bit security handler with a user password: the /U entry does
    // not match the empty password, so nothing can be decrypted.
    let encrypt = "<< /Filter /Standard /V 1 /R 2 /Length 40 /P -4 \
                   /O <0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef> \
                   /U <fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210> >>";
    let doc = pdf(
        &["q.r@example.com"],
        &[encrypt],
        "/Encrypt 6 0 R /ID [<00112233445566778899aabbccddeeff> <00112233445566778899aabbccddeeff>]",
    );
    let report = audit(&mail_with("locked.pdf", "application/pdf", &doc));
    assert!(email_inners(&report).is_empty(), "{report:?}");
    assert_eq!(
        unscanned(&report),
        [("locked.pdf".to_string(), "encrypted".to_string())]
    );
}

#[test]
fn pdf_stream_bomb_is_stopped_before_parsing() {
    use std::io::Write;
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(&vec![b' '; 40 << 20]).expect("compress");
    let bomb = encoder.finish().expect("compress");
    let mut doc = pdf(&["s.t@example.com"], &[], "");
    doc.extend_from_slice(
        format!(
            "7 0 obj\n<< /Length {} /Filter /FlateDecode >>\nstream\n",
            bomb.len()
        )
        .as_bytes(),
    );
    doc.extend_from_slice(&bomb);
    doc.extend_from_slice(b"\nendstream\nendobj\n");
    let report = audit(&mail_with("big.pdf", "application/pdf", &doc));
    assert_eq!(
        unscanned(&report),
        [("big.pdf".to_string(), "expansion-limit".to_string())]
    );
}

#[test]
fn damaged_files_are_corrupt_not_panics() {
    let book = xlsx(&[("S", rows(&[&["Email"], &["u.v@example.com"]]))]);
    let cases: Vec<(&str, &str, Vec<u8>)> = vec![
        ("cut.xlsx", XLSX, book[..book.len() / 2].to_vec()),
        ("noise.xlsx", XLSX, b"PK\x03\x04 this is not a zip".to_vec()),
        ("noise.docx", OCTET, vec![0x5a; 4000]),
        (
            "noise.pdf",
            "application/pdf",
            b"%PDF-1.7\n1 0 obj << /Type".to_vec(),
        ),
        (
            "cut.zip",
            "application/zip",
            zip_of(&[("a.txt", b"abc".as_slice())])[..30].to_vec(),
        ),
        (
            "old.xls",
            "application/vnd.ms-excel",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1garbage".to_vec(),
        ),
        ("empty.ods", OCTET, Vec::new()),
    ];
    for (name, content_type, bytes) in cases {
        let report = audit(&mail_with(name, content_type, &bytes));
        let skipped = unscanned(&report);
        assert_eq!(skipped.len(), 1, "{name}: {skipped:?}");
        assert_eq!(skipped[0].0, name);
        assert!(
            ["corrupt", "unsupported"].contains(&skipped[0].1.as_str()),
            "{name}: {skipped:?}"
        );
    }
}

#[test]
fn every_truncation_of_a_workbook_is_handled() {
    let book = xlsx(&[("S", rows(&[&["Email"], &["w.x@example.com"]]))]);
    for cut in (0..book.len()).step_by(97) {
        let report = audit(&mail_with("cut.xlsx", XLSX, &book[..cut]));
        assert!(report.findings().len() + report.unscanned().len() >= 1);
    }
}

mod never_panics {
    use super::*;
    use proptest::prelude::*;

    const KNOWN_REASONS: &[&str] = &[
        "encrypted",
        "corrupt",
        "unsupported",
        "no-text",
        "binary",
        "expansion-limit",
        "archive-depth-limit",
        "archive-entry-limit",
        "decoded-bytes-limit",
    ];

    const NAMES: &[(&str, &str)] = &[
        ("a.xlsx", XLSX),
        ("a.xls", "application/vnd.ms-excel"),
        ("a.ods", OCTET),
        ("a.docx", OCTET),
        ("a.pptx", OCTET),
        ("a.odt", OCTET),
        ("a.zip", "application/zip"),
        ("a.pdf", "application/pdf"),
        ("a.rtf", "application/rtf"),
    ];

    fn valid_documents() -> Vec<Vec<u8>> {
        vec![
            xlsx(&[("S", rows(&[&["Email"], &["y.z@example.com"]]))]),
            docx(&["y.z@example.com"], Some("note")),
            ods("T", &rows(&[&["a", "=1"]])),
            pdf(&["y.z@example.com"], &[], ""),
            zip_of(&[("in.txt", b"y.z@example.com".as_slice())]),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn arbitrary_bytes_under_any_name(
            which in 0..NAMES.len(),
            magic in prop::sample::select(vec![&b""[..], b"PK\x03\x04", b"%PDF-1.7\n", b"{\\rtf1 ", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"]),
            body in prop::collection::vec(any::<u8>(), 0..2048),
        ) {
            let (name, content_type) = NAMES[which];
            let mut bytes = magic.to_vec();
            bytes.extend_from_slice(&body);
            let report = audit(&mail_with(name, content_type, &bytes));
            prop_assert!(report.unscanned().len() <= 64);
            for (_, reason) in unscanned(&report) {
                prop_assert!(KNOWN_REASONS.contains(&reason.as_str()), "{}", reason);
            }
        }

        #[test]
        fn damaged_documents(
            which in 0..5usize,
            flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        ) {
            let mut bytes = valid_documents().swap_remove(which);
            for (at, value) in flips {
                let i = at.index(bytes.len());
                bytes[i] ^= value | 1;
            }
            let (name, content_type) = [NAMES[0], NAMES[3], NAMES[2], NAMES[7], NAMES[6]][which];
            let report = audit(&mail_with(name, content_type, &bytes));
            for (_, reason) in unscanned(&report) {
                prop_assert!(KNOWN_REASONS.contains(&reason.as_str()), "{}", reason);
            }
        }
    }
}
