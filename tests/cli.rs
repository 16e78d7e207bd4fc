//! The command-line interface: formats, exit codes, inputs.

use std::io::Write;
use std::process::{Command, Stdio};

fn mailaudit() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mailaudit"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

fn run(args: &[&str]) -> (i32, String, String) {
    let out = mailaudit().args(args).output().expect("run mailaudit");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn exit_codes_follow_grep() {
    assert_eq!(
        run(&["scan", "-q", "examples/messages/internal-team.eml"]).0,
        0
    );
    assert_eq!(
        run(&["scan", "-q", "examples/messages/incident-cc-trainees.eml"]).0,
        1
    );
    assert_eq!(run(&["scan", "-q", "no/such/file.eml"]).0, 2);
    let (code, _, err) = run(&[
        "scan",
        "--policy",
        "no/such/policy.toml",
        "examples/messages",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot read policy"), "{err}");
}

#[test]
fn jsonl_has_one_message_line_per_file_with_the_scorer_keys() {
    let (code, out, _) = run(&[
        "scan",
        "--format",
        "jsonl",
        "examples/messages/incident-cc-trainees.eml",
        "examples/messages/leaked-bcc.eml",
    ]);
    assert_eq!(code, 1);
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let messages: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|l| l.get("verdict").is_some())
        .collect();
    assert_eq!(messages.len(), 2);
    assert_eq!(
        messages[0]["file"],
        "examples/messages/incident-cc-trainees.eml"
    );
    assert_eq!(messages[0]["recipient_exposure"], true);
    assert_eq!(messages[0]["recipients"]["cc"], 296);
    assert_eq!(messages[1]["recipient_exposure"], false);
    assert_eq!(messages[1]["violations"][0]["rule"], "bcc-header-leak");
}

#[test]
fn findings_carry_values_only_with_show_values() {
    let file = "examples/messages/patient-list-attachment.eml";
    let (_, plain, _) = run(&["scan", "--format", "jsonl", file]);
    let (_, shown, _) = run(&["scan", "--format", "jsonl", "--show-values", file]);
    let findings = |out: &str| -> Vec<serde_json::Value> {
        out.lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .filter(|v| v.get("type").is_some())
            .collect()
    };
    let plain = findings(&plain);
    let shown = findings(&shown);
    assert!(!plain.is_empty());
    assert_eq!(plain.len(), shown.len());
    assert!(plain
        .iter()
        .all(|f| f.get("value").is_none() && f.get("masked").is_some()));
    assert!(shown
        .iter()
        .all(|f| f["value"].as_str().is_some_and(|v| !v.is_empty())));
    assert!(shown
        .iter()
        .filter(|f| f["type"] == "EMAIL")
        .all(|f| f["value"].as_str().is_some_and(|v| v.contains('@'))));
}

#[test]
fn directories_are_recursed_in_stable_order_and_errors_do_not_stop_the_scan() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    std::fs::copy("examples/messages/leaked-bcc.eml", dir.path().join("b.eml")).unwrap();
    std::fs::copy(
        "examples/messages/internal-team.eml",
        dir.path().join("sub/a.eml"),
    )
    .unwrap();
    std::fs::write(dir.path().join("a-empty.eml"), b"").unwrap();
    let path = dir.path().to_str().unwrap();
    let (code, out, _) = run(&["scan", "--format", "jsonl", "--jobs", "2", path]);
    assert_eq!(code, 2, "an unreadable message makes the exit status 2");
    let files: Vec<String> = out
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v.get("verdict").is_some() || v.get("error").is_some())
        .map(|v| {
            v["file"]
                .as_str()
                .unwrap()
                .rsplit('/')
                .next()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(files, ["a-empty.eml", "b.eml", "a.eml"]);
}

#[test]
fn stdin_is_read_with_dash() {
    let mut child = mailaudit()
        .args(["scan", "--format", "json", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let raw = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/messages/incident-cc-trainees.eml"
    ))
    .unwrap();
    child.stdin.take().unwrap().write_all(&raw).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["messages"][0]["file"], "-");
    assert_eq!(doc["messages"][0]["report"]["verdict"], "quarantine");
    assert_eq!(doc["summary"]["verdicts"]["quarantine"], 1);
}

#[test]
fn text_report_explains_the_violation() {
    let (_, out, err) = run(&["scan", "examples/messages/incident-cc-trainees.eml"]);
    assert!(out.contains("QUARANTINE"));
    assert!(out.contains("exposed-recipient-list"));
    assert!(out.contains("296 external recipients"));
    assert!(!out.contains("@gmail.com"));
    assert!(err.contains("1 messages audited"), "{err}");
}

#[test]
fn policy_print_default_and_check() {
    let (code, out, _) = run(&["policy", "--print-default"]);
    assert_eq!(code, 0);
    assert_eq!(out, mailaudit::DEFAULT_POLICY_TOML);
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.toml");
    std::fs::write(&good, &out).unwrap();
    assert_eq!(run(&["policy", "--check", good.to_str().unwrap()]).0, 0);
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "version = 1\n[recipients]\nmin_external_domains = \"two\"\n",
    )
    .unwrap();
    let (code, _, err) = run(&["policy", "--check", bad.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        err.contains("recipients.min_external_domains") && err.contains("line 3"),
        "{err}"
    );
}

#[test]
fn mbox_and_maildir_archives_name_each_message_and_summarise() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    // An mbox of three examples, bodies escaped as an mboxrd writer would.
    let mut mbox = Vec::new();
    for name in [
        "incident-cc-trainees.eml",
        "internal-team.eml",
        "leaked-bcc.eml",
    ] {
        let raw = std::fs::read(format!(
            "{}/examples/messages/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        mbox.extend_from_slice(b"From someone@example Mon Jul  6 09:12:44 2020\n");
        mbox.extend_from_slice(&raw);
        mbox.extend_from_slice(b"\n");
    }
    std::fs::write(root.join("sent.mbox"), &mbox).unwrap();
    for sub in ["cur", "new", "tmp", ".Sent/cur", ".Sent/new", ".Sent/tmp"] {
        std::fs::create_dir_all(root.join("Maildir").join(sub)).unwrap();
    }
    let example = |n: &str| format!("{}/examples/messages/{n}", env!("CARGO_MANIFEST_DIR"));
    std::fs::copy(example("leaked-bcc.eml"), root.join("Maildir/cur/1.h:2,S")).unwrap();
    std::fs::copy(example("internal-team.eml"), root.join("Maildir/tmp/2.h")).unwrap();
    std::fs::copy(
        example("incident-cc-trainees.eml"),
        root.join("Maildir/.Sent/new/3.h"),
    )
    .unwrap();

    let (code, out, _) = run(&[
        "scan",
        "--summary",
        "--format",
        "jsonl",
        "-q",
        root.to_str().unwrap(),
    ]);
    assert_eq!(code, 1);
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let names: Vec<String> = lines
        .iter()
        .filter(|l| l.get("verdict").is_some())
        .map(|l| {
            l["file"]
                .as_str()
                .unwrap()
                .strip_prefix(root.to_str().unwrap())
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(
        names,
        [
            "/Maildir/.Sent/new/3.h",
            "/Maildir/cur/1.h:2,S",
            "/sent.mbox#1",
            "/sent.mbox#2",
            "/sent.mbox#3"
        ]
    );
    let summary = &lines.last().unwrap()["summary"];
    assert_eq!(summary["messages"], 5);
    assert_eq!(summary["verdicts"]["quarantine"], 4);
    assert_eq!(summary["verdicts"]["pass"], 1);
    assert_eq!(summary["violations_by_rule"]["exposed-recipient-list"], 2);
    assert_eq!(summary["violations_by_rule"]["bcc-header-leak"], 2);
    let top = summary["top_senders"].as_array().unwrap();
    assert_eq!(top[0]["violations"], 2);
    assert!(top
        .iter()
        .all(|s| !s["masked"].as_str().unwrap().contains("harbourline")));
}

#[test]
fn an_mbox_over_the_message_size_limit_is_streamed_and_a_message_over_it_refused() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let one = b"From: a@example.org\nTo: b@example.net\nSubject: s\n\nCall 020 7946 0958.\n";
    // Each message fits the limit; the archive (and the lone big message)
    // does not.
    let mut mbox = Vec::new();
    for _ in 0..40 {
        mbox.extend_from_slice(b"From someone@example Mon Jul  6 09:12:44 2020\n");
        mbox.extend_from_slice(one);
        mbox.extend_from_slice(b"\n");
    }
    std::fs::write(root.join("a.mbox"), &mbox).unwrap();
    let mut big = one.to_vec();
    big.extend(std::iter::repeat_n(b'x', 2000));
    std::fs::write(root.join("b.eml"), &big).unwrap();
    std::fs::write(
        root.join("policy.toml"),
        "[limits]\nmax_message_bytes = 1024\n",
    )
    .unwrap();
    let (code, out, _) = run(&[
        "scan",
        "--format",
        "jsonl",
        "-q",
        "--policy",
        root.join("policy.toml").to_str().unwrap(),
        root.join("a.mbox").to_str().unwrap(),
        root.join("b.eml").to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "{out}");
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let audited = lines.iter().filter(|l| l.get("verdict").is_some()).count();
    assert_eq!(audited, 40);
    let errors: Vec<&serde_json::Value> =
        lines.iter().filter(|l| l.get("error").is_some()).collect();
    assert_eq!(errors.len(), 1);
    assert!(errors[0]["file"].as_str().unwrap().ends_with("b.eml"));
    assert!(
        errors[0]["error"].as_str().unwrap().contains("1024"),
        "{:?}",
        errors[0]
    );
}
