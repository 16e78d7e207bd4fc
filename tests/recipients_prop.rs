//! Property: any list of distinct generated addresses, rendered into To and
//! Cc in any of the ways senders write them, is counted exactly.

use mailaudit::{Auditor, Policy};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Style {
    Bare,
    Named,
    Quoted,
    Encoded,
    Commented,
}

fn style() -> impl Strategy<Value = Style> {
    prop_oneof![
        Just(Style::Bare),
        Just(Style::Named),
        Just(Style::Quoted),
        Just(Style::Encoded),
        Just(Style::Commented),
    ]
}

fn render(addr: &str, style: &Style, i: usize) -> String {
    match style {
        Style::Bare => addr.to_string(),
        Style::Named => format!("Person {i} <{addr}>"),
        Style::Quoted => format!("\"Last, First {i}\" <{addr}>"),
        Style::Encoded => format!("=?utf-8?q?J=C3=B6rg_{i}?= <{addr}>"),
        Style::Commented => format!("{addr} (desk {i})"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]
    #[test]
    fn counts_are_exact(
        n_to in 0usize..15,
        n_cc in 0usize..40,
        styles in proptest::collection::vec(style(), 55),
        domains in 1usize..6,
        group_to in any::<bool>(),
        split_cc in 1usize..4,
        fold in any::<bool>(),
    ) {
        let addrs: Vec<String> = (0..n_to + n_cc)
            .map(|i| format!("user{i}@d{}.example", i % domains))
            .collect();
        let sep = if fold { ",\r\n\t" } else { ", " };
        let rendered: Vec<String> = addrs.iter().enumerate().map(|(i, a)| render(a, &styles[i], i)).collect();
        let mut raw = String::from("From: sender@org.example\r\n");
        if n_to > 0 || group_to {
            let list = rendered[..n_to].join(sep);
            if group_to {
                raw.push_str(&format!("To: Team {n_to}: {list};\r\n"));
            } else {
                raw.push_str(&format!("To: {list}\r\n"));
            }
        }
        let cc = &rendered[n_to..];
        let chunk = cc.len().div_ceil(split_cc).max(1);
        for piece in cc.chunks(chunk) {
            raw.push_str(&format!("Cc: {}\r\n", piece.join(sep)));
        }
        raw.push_str("Subject: test\r\n\r\nbody\r\n");

        let report = Auditor::new(Policy::default()).unwrap().audit(raw.as_bytes()).unwrap();
        let r = report.recipients();
        prop_assert_eq!(r.to, n_to);
        prop_assert_eq!(r.cc, n_cc);
        prop_assert_eq!(r.visible, n_to + n_cc);
        prop_assert_eq!(r.external, n_to + n_cc);
        prop_assert_eq!(r.external_domains, domains.min(n_to + n_cc));
        prop_assert_eq!(r.malformed, 0);
        let exposed = n_to + n_cc >= 10 && domains.min(n_to + n_cc) >= 2;
        prop_assert_eq!(report.has_violation("exposed-recipient-list"), exposed);
    }
}
