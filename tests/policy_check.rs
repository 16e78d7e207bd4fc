//! Policy files with errors in the label, retention, category and allow-list
//! sections: the library returns a typed error naming the key and its line
//! and column, and `mailaudit policy --check` prints them.

use std::process::Command;

use mailaudit::{Policy, PolicyError};

/// The error's key path and position.
fn error_at(text: &str) -> (String, Option<usize>, Option<usize>) {
    match Policy::from_toml(text) {
        Err(PolicyError::Invalid {
            path, line, column, ..
        }) => (path, line, column),
        Err(other) => panic!("expected an Invalid error, got {other:?}"),
        Ok(_) => panic!("policy accepted:\n{text}"),
    }
}

#[test]
fn unknown_key_in_an_array_of_tables() {
    let text = "version = 1\n\
                [[retention.map]]\n\
                label = \"sec\"\n\
                equals = \"OFFICIAL\"\n\
                class = \"standard\"\n\
                \n\
                [[retention.map]]\n\
                label = \"uk\"\n\
                equal = \"OFFICIAL\"\n\
                class = \"standard\"\n";
    assert_eq!(
        error_at(text),
        ("retention.map[1].equal".to_string(), Some(9), Some(1))
    );
}

#[test]
fn unknown_category_names_the_array_element() {
    let text = "version = 1\n[categories]\nspecial = [\"health\", \"helth\"]\n";
    assert_eq!(
        error_at(text),
        ("categories.special[1]".to_string(), Some(3), Some(22))
    );
    let text = "version = 1\n[categories.max_retention_days]\nhealth = 30\nwealth = 30\n";
    assert_eq!(
        error_at(text),
        (
            "categories.max_retention_days.wealth".to_string(),
            Some(4),
            Some(1)
        )
    );
}

#[test]
fn unknown_label_kind() {
    let text =
        "version = 1\n[labels]\nunrestricted = [\n  { label = \"colour\", equals = \"red\" },\n]\n";
    let (path, line, _) = error_at(text);
    assert_eq!(path, "labels.unrestricted[0].label");
    assert_eq!(line, Some(4));
}

#[test]
fn mapping_to_a_missing_class() {
    let text = "version = 1\n\n[[retention.map]]\nlabel = \"sec\"\nequals = \"PROTECTED\"\nclass = \"forever\"\n";
    assert_eq!(
        error_at(text),
        ("retention.map[0].class".to_string(), Some(6), Some(1))
    );
}

#[test]
fn selector_needs_exactly_one_test() {
    let text = "version = 1\n[[retention.map]]\nlabel = \"sec\"\nclass = \"standard\"\n";
    let (path, line, _) = error_at(text);
    assert_eq!((path.as_str(), line), ("retention.map[0]", Some(2)));
}

#[test]
fn bad_regex_names_the_pattern() {
    let text = "version = 1\n[[allow.patterns]]\npattern = \"(unclosed\"\n";
    assert_eq!(
        error_at(text),
        ("allow.patterns[0].pattern".to_string(), Some(3), Some(1))
    );
}

#[test]
fn class_values_are_checked() {
    let text = "version = 1\n[retention.classes.brief]\nmax_days = 0\n";
    assert_eq!(
        error_at(text),
        (
            "retention.classes.brief.max_days".to_string(),
            Some(3),
            Some(1)
        )
    );
    let text =
        "version = 1\n[retention.classes.odd]\nmax_days = 5\npermitted = [\"health\"]\nforbidden = [\"health\"]\n";
    assert_eq!(
        error_at(text),
        (
            "retention.classes.odd.forbidden".to_string(),
            Some(5),
            Some(1)
        )
    );
}

#[test]
fn short_hash_key() {
    let text = format!(
        "version = 1\n[allow]\nhash_key = \"abc\"\n[[allow.values]]\nsha256 = \"{}\"\n",
        "ab".repeat(32)
    );
    assert_eq!(
        error_at(&text),
        ("allow.hash_key".to_string(), Some(3), Some(1))
    );
}

#[test]
fn a_valid_policy_with_every_new_section() {
    let text = r#"
version = 1

[categories]
special = ["health"]
restricted = ["health", "identity"]
[categories.min_count]
contact = 5
[categories.max_retention_days]
health = 365

[labels]
retention_header = "X-Kestrel-Retention"
classification_headers = ["X-Classification"]
unrestricted = [{ label = "msip-name", equals = "Public" }]

[retention]
require_class_for = ["health"]
[retention.classes.clinical]
max_days = 365
permitted = ["health", "contact", "identity"]

[[retention.map]]
label = "msip-name"
pattern = "(?i)clinical"
class = "clinical"

[allow]
hash_key = "kestrel-2026-allow-list"
[[allow.values]]
type = "PHONE"
sha256 = "0000000000000000000000000000000000000000000000000000000000000000"
[[allow.recipient_domains]]
categories = ["health"]
domains = ["nhs.net"]
"#;
    let policy = Policy::from_toml(text).expect("valid");
    // The effective policy round-trips through TOML.
    let again = Policy::from_toml(&policy.to_toml()).expect("round trip");
    assert_eq!(again.to_toml(), policy.to_toml());
}

#[test]
fn cli_check_prints_path_and_position() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(
        &path,
        "version = 1\n[categories]\nspecial = [\"health\", \"helth\"]\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_mailaudit"))
        .args(["policy", "--check"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("categories.special[1]") && stderr.contains("line 3, column 22"),
        "{stderr}"
    );

    std::fs::write(&path, mailaudit::DEFAULT_POLICY_TOML).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_mailaudit"))
        .args(["policy", "--check"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
