//! PDF text, with lopdf: each page's text-showing operators decoded through
//! its fonts' encodings. Scanned pages hold no text and are reported
//! `no-text`; a document that needs a password is `encrypted`.

use std::io::{self, Read};

use super::{Extractor, Reason};

pub(super) fn extract(ex: &mut Extractor<'_>, bytes: &[u8], inner: &str) -> Result<(), Reason> {
    check_expansion(ex, bytes)?;
    let document = lopdf::Document::load_mem(bytes).map_err(|e| match e {
        lopdf::Error::Decryption(_) => Reason::Encrypted,
        _ => Reason::Corrupt,
    })?;
    // lopdf decrypts on load when the user password is empty, which is how
    // "no copying" PDFs are protected; what stays encrypted needs a password.
    if document.is_encrypted() && document.encryption_state.is_none() {
        return Err(Reason::Encrypted);
    }
    let cap = ex.text_cap();
    let mut text = String::new();
    let mut failed_pages = 0usize;
    for page in document.get_pages().into_keys() {
        match document.extract_text(&[page]) {
            Ok(page_text) => {
                text.push_str(&page_text);
                text.push('\n');
            }
            Err(_) => failed_pages += 1,
        }
        if text.len() > cap {
            ex.hit("limits.max_decoded_bytes");
            break;
        }
    }
    if text.trim().is_empty() {
        return Err(if failed_pages > 0 {
            Reason::Unsupported
        } else {
            Reason::NoText
        });
    }
    ex.push_text(inner.to_string(), text, None);
    Ok(())
}

/// lopdf inflates streams without a bound. Before it runs, every
/// FlateDecode stream is inflated here into nothing, within the same
/// allowance as a ZIP container: a `stream` keyword followed by zlib data
/// is all it takes to be counted, so no stream can hide behind a malformed
/// dictionary.
fn check_expansion(ex: &mut Extractor<'_>, bytes: &[u8]) -> Result<(), Reason> {
    let allowance = ex.expansion_allowance(bytes.len());
    let cap = allowance.min(ex.archive_bytes_left);
    let mut total = 0u64;
    for found in memchr::memmem::find_iter(bytes, b"stream") {
        if found >= 3 && &bytes[found - 3..found] == b"end" {
            continue;
        }
        let mut start = found + b"stream".len();
        if bytes.get(start) == Some(&b'\r') {
            start += 1;
        }
        if bytes.get(start) != Some(&b'\n') {
            continue;
        }
        start += 1;
        let Some(data) = bytes.get(start..) else {
            continue;
        };
        if data.len() < 2 || (u16::from(data[0]) << 8 | u16::from(data[1])) % 31 != 0 {
            continue; // not a zlib header (RFC 1950 §2.2)
        }
        let left = cap - total;
        let decoder = flate2::read::ZlibDecoder::new(data);
        // Damaged streams count what they produced before the damage.
        let mut counter = CountingSink(0);
        let _ = io::copy(&mut decoder.take(left + 1), &mut counter);
        total += counter.0;
        if total > cap {
            ex.hit(if cap == ex.archive_bytes_left {
                "limits.max_archive_bytes"
            } else {
                "limits.max_expansion_ratio"
            });
            ex.archive_bytes_left -= cap;
            return Err(Reason::ExpansionLimit);
        }
    }
    ex.archive_bytes_left -= total;
    Ok(())
}

struct CountingSink(u64);

impl io::Write for CountingSink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
