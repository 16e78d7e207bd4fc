//! A panic's payload never reaches standard error once the redacting hook
//! is installed. The test runs itself as a child process to capture stderr.

use std::process::Command;

const SECRET: &str = "943 476 5919 jane.doe@example.org";

#[test]
fn panic_payload_is_withheld() {
    if std::env::var_os("MAILAUDIT_PANIC_CHILD").is_some() {
        mailaudit::redact_panic_messages();
        panic!("parser choked on {SECRET}");
    }
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "panic_payload_is_withheld",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env("MAILAUDIT_PANIC_CHILD", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "the child must panic");
    assert!(stderr.contains("mailaudit: internal error at"), "{stderr}");
    assert!(
        !stderr.contains("5919") && !stderr.contains("jane.doe"),
        "{stderr}"
    );
    assert!(
        !stdout.contains("5919") && !stdout.contains("jane.doe"),
        "{stdout}"
    );
}
