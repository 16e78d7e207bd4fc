//! Panic messages without their payloads.
//!
//! mailaudit's own code never puts message content in a panic message, but a
//! panic inside a parser it uses (MIME, spreadsheet, PDF) may quote the bytes
//! it choked on, and the default hook prints that payload to standard error.
//! The C API and the CLI catch panics; this hook makes sure the one line a
//! panic still prints names only the place in the code.

use std::sync::Once;

static INSTALL: Once = Once::new();

/// Replaces the process's panic hook, once, with one that prints where a
/// panic happened and never what it said. The C API installs it before its
/// first call; the CLI at start. A Rust service may call it too, or keep its
/// own hook.
pub fn redact_panic_messages() {
    INSTALL.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            let place = info
                .location()
                .map(|l| format!(" at {}:{}", l.file(), l.line()))
                .unwrap_or_default();
            eprintln!(
                "mailaudit: internal error{place} (message withheld: it may quote message content)"
            );
        }));
    });
}
