//! Runs the fuzz targets' bodies (`fuzz/bodies.rs`) over the seed corpus in
//! plain `cargo test`: every file under `examples/`, the crash inputs kept
//! in `fuzz/regressions/<target>/`, and a few seeds built here.

use std::fs;
use std::path::{Path, PathBuf};

use mailaudit::DEFAULT_POLICY_TOML;

include!("../fuzz/bodies.rs");

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            files_under(&path, out);
        } else if path.is_file() {
            out.push(path);
        }
    }
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Files of `examples/` with one of `extensions`, then the target's
/// regression inputs.
fn seeds(target: &str, extensions: &[&str]) -> Vec<(String, Vec<u8>)> {
    let mut paths = Vec::new();
    files_under(&root().join("examples"), &mut paths);
    paths.retain(|p| {
        p.extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| extensions.contains(&e))
    });
    files_under(&root().join("fuzz/regressions").join(target), &mut paths);
    paths
        .into_iter()
        .filter_map(|p| Some((p.display().to_string(), fs::read(&p).ok()?)))
        .collect()
}

fn built_in_messages() -> Vec<Vec<u8>> {
    vec![
        b"From: a@example.org\r\nTo: b@example.net\r\nSubject: hi\r\n\r\nHello\r\n".to_vec(),
        b"From: a@example.org\nTo: x\nContent-Type: multipart/mixed; boundary=q\n\n--q\nContent-Type: message/rfc822\n\nFrom: c@d.org\n\n--q--\n"
            .to_vec(),
        b"Subject: =?utf-8?B?AAAA?=\r\n\r\n".to_vec(),
        Vec::new(),
    ]
}

#[test]
fn audit_bytes_over_seeds() {
    let auditor = default_auditor();
    for raw in built_in_messages() {
        fuzz_audit_bytes(auditor, &raw);
    }
    for (name, raw) in seeds("audit_bytes", &["eml"]) {
        eprintln!("seed {name}");
        fuzz_audit_bytes(auditor, &raw);
    }
}

#[test]
fn address_headers_over_seeds() {
    let auditor = default_auditor();
    for value in [
        &b"a@x.org, \"Smith, J\" <j@y.org>, Team: b@z.org;"[..],
        b"<<<@@@>>>,,;;::",
        b"(unterminated comment a@x.org",
    ] {
        fuzz_address_headers(auditor, value);
    }
    for (name, raw) in seeds("address_headers", &["eml"]) {
        eprintln!("seed {name}");
        fuzz_address_headers(auditor, &raw);
    }
}

#[test]
fn policy_toml_over_seeds() {
    fuzz_policy_toml(DEFAULT_POLICY_TOML.as_bytes());
    fuzz_policy_toml(b"version = 1\n[limits]\nmax_parts = 3\n");
    fuzz_policy_toml(b"version = 1\n[[organisations]]\nname = \"x\"\ndomains = [\"a.b\"]\n");
    for (name, raw) in seeds("policy_toml", &["toml"]) {
        eprintln!("seed {name}");
        fuzz_policy_toml(&raw);
    }
}

#[test]
fn label_headers_over_seeds() {
    let auditor = default_auditor();
    for value in [
        &b"[SEC=OFFICIAL:Sensitive, ACCESS=Legal-Privilege, EXPIRES=2030-01-01]"[..],
        b"Company-Confidential",
        b"MSIP_Label_0000_Enabled=true; MSIP_Label_0000_Name=x;",
        b"[SEC=[SEC=[SEC=",
        b"2024-13-45T99:99:99Z",
    ] {
        fuzz_label_headers(auditor, value);
    }
    for (name, raw) in seeds("label_headers", &["eml"]) {
        eprintln!("seed {name}");
        fuzz_label_headers(auditor, &raw);
    }
}

#[test]
fn c_api_session_over_seeds() {
    for raw in built_in_messages() {
        for seed in [0u8, 1, 7, 255] {
            let mut data = vec![seed];
            data.extend_from_slice(&raw);
            fuzz_c_api_session(&data);
        }
    }
    for (name, raw) in seeds("c_api_session", &["eml"]) {
        eprintln!("seed {name}");
        for seed in [0u8, 3, 200] {
            let mut data = vec![seed];
            data.extend_from_slice(&raw);
            fuzz_c_api_session(&data);
        }
    }
}
