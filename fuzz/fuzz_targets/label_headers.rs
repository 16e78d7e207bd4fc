#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

include!("../bodies.rs");

fuzz_target!(|data: &[u8]| {
    static AUDITOR: OnceLock<mailaudit::Auditor> = OnceLock::new();
    let auditor = AUDITOR.get_or_init(|| {
        mailaudit::Auditor::new(mailaudit::Policy::default()).expect("default policy")
    });
    fuzz_label_headers(auditor, data);
});
