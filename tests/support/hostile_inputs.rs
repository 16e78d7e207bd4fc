//! Hostile messages, generated in code: shared by `tests/adversarial.rs`,
//! `tests/no_leak.rs` and `benches/hostile.rs`. Each generator takes a size
//! parameter `n`, and the message grows linearly in it.
#![allow(dead_code)] // each user takes a subset

use std::fmt::Write as _;

pub const HEAD: &str = "From: sender@tracewell.co.uk\r\nTo: one@example.org\r\nSubject: test\r\n";

pub fn with_body(content_type: &str, body: &[u8]) -> Vec<u8> {
    let mut m = format!("{HEAD}Content-Type: {content_type}\r\n\r\n").into_bytes();
    m.extend_from_slice(body);
    m.extend_from_slice(b"\r\n");
    m
}

/// A `To` header of `n` recipients, one per folded line, at ten domains.
pub fn many_recipients(n: usize) -> Vec<u8> {
    let mut m = String::from("From: sender@tracewell.co.uk\r\nTo: ");
    for i in 0..n {
        let sep = if i + 1 == n { "\r\n" } else { ",\r\n " };
        let _ = write!(m, "person{i}@domain{}.example{sep}", i % 10);
    }
    m.push_str("Subject: all of you\r\n\r\nHello.\r\n");
    m.into_bytes()
}

/// `n` multiparts nested in each other, each with its own boundary.
pub fn nested_multiparts(n: usize) -> Vec<u8> {
    let mut m = String::from(HEAD);
    for i in 0..n {
        let _ = write!(
            m,
            "Content-Type: multipart/mixed; boundary=\"b{i}\"\r\n\r\n--b{i}\r\n"
        );
    }
    m.push_str("Content-Type: text/plain\r\n\r\ninnermost@example.net\r\n");
    for i in (0..n).rev() {
        let _ = write!(m, "--b{i}--\r\n");
    }
    m.into_bytes()
}

/// `n` message/rfc822 parts nested in each other, inline.
pub fn nested_messages(n: usize) -> Vec<u8> {
    let mut m = String::from(HEAD);
    for _ in 0..n {
        m.push_str("Content-Type: message/rfc822\r\n\r\nFrom: x@example.org\r\n");
    }
    m.push_str("Content-Type: text/plain\r\n\r\nhello\r\n");
    m.into_bytes()
}

pub fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len() * 4 / 3 + data.len() / 38 + 4);
    for (i, chunk) in data.chunks(3).enumerate() {
        if i > 0 && i % 19 == 0 {
            out.push_str("\r\n");
        }
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for j in 0..4 {
            if j <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * j) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// `n` messages nested inline, wrapped in one base64 message/rfc822 part:
/// mail-parser decodes it and builds the nesting by recursion.
pub fn nested_messages_in_base64(n: usize) -> Vec<u8> {
    format!(
        "{HEAD}Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n",
        base64(&nested_messages(n))
    )
    .into_bytes()
}

/// One body line of `n` bytes (words and digits, no line break).
pub fn single_line(n: usize) -> Vec<u8> {
    let unit = b"lorem ipsum 0123456789 dolor@sit amet ";
    let body: Vec<u8> = unit.iter().copied().cycle().take(n).collect();
    with_body("text/plain", &body)
}

/// A text part and an attachment, both the base64 of `n` zero bytes.
pub fn base64_zeros(n: usize) -> Vec<u8> {
    let encoded = base64(&vec![0u8; n]);
    format!(
        "{HEAD}Content-Type: multipart/mixed; boundary=\"z\"\r\n\r\n\
         --z\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n{encoded}\r\n\
         --z\r\nContent-Type: application/octet-stream; name=\"zeros.csv\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n{encoded}\r\n--z--\r\n"
    )
    .into_bytes()
}

pub fn digit_run(n: usize) -> Vec<u8> {
    with_body("text/plain", &vec![b'7'; n])
}

pub fn at_run(n: usize) -> Vec<u8> {
    let mut m = format!("From: sender@tracewell.co.uk\r\nTo: {}\r\n", "@".repeat(n)).into_bytes();
    m.extend_from_slice(b"Subject: ats\r\n\r\n");
    m.extend(std::iter::repeat(b'@').take(n));
    m.extend_from_slice(b"\r\n");
    m
}

/// Bytes that are not UTF-8, under several declared charsets, with encoded
/// words in unknown and mismatched charsets.
pub fn bad_charsets(n: usize) -> Vec<u8> {
    let noise: Vec<u8> = (0..n).map(|i| 0x80 | (i * 37 % 128) as u8).collect();
    let mut m = format!(
        "{HEAD}X-Note: =?x-unknown?B?AAAA?= =?utf-8?Q?=FF=FE?= =?iso-2022-jp?B?GyRC?=\r\n\
         Content-Type: multipart/mixed; boundary=\"c\"\r\n\r\n"
    )
    .into_bytes();
    for charset in [
        "utf-8",
        "iso-8859-1",
        "shift_jis",
        "utf-16",
        "x-no-such",
        "gb2312",
    ] {
        m.extend_from_slice(
            format!("--c\r\nContent-Type: text/plain; charset={charset}\r\n\r\n").as_bytes(),
        );
        m.extend_from_slice(&noise);
        m.extend_from_slice(b"\r\n");
    }
    m.extend_from_slice(b"--c--\r\n");
    m
}

/// A multipart whose boundary never comes, and `n` bytes of unterminated
/// encoded words in the Subject.
pub fn unterminated(n: usize) -> Vec<u8> {
    let words = "=?utf-8?q?abc ".repeat(n / 14 + 1);
    format!(
        "From: sender@tracewell.co.uk\r\nTo: one@example.org\r\nSubject: {words}\r\n\
         Content-Type: multipart/mixed; boundary=\"never\"\r\n\r\n--never\r\n\
         Content-Type: text/plain\r\n\r\n{}\r\n",
        "body without an end ".repeat(n / 20 + 1)
    )
    .into_bytes()
}

pub fn nul_bytes(n: usize) -> Vec<u8> {
    let mut m = b"From: sender@tracewell.co.uk\r\nTo: one@example.org, \0\0@\0.org\r\nSubject: \0nul\r\n\r\n"
        .to_vec();
    for i in 0..n {
        m.push(if i % 3 == 0 { 0 } else { b'a' });
    }
    m.extend_from_slice(b"\r\n");
    m
}

/// An attachment whose file name is split into `n` RFC 2231 sections.
pub fn parameter_sections(n: usize) -> Vec<u8> {
    let mut m = format!("{HEAD}Content-Type: application/octet-stream");
    for i in 0..n {
        let _ = write!(m, ";\r\n name*{i}=\"abcdefgh\"");
    }
    m.push_str("\r\nContent-Disposition: attachment\r\n\r\nAAAA\r\n");
    m.into_bytes()
}

/// An address entry of `n` dotted words, an `@`, then `n` colons.
pub fn colons_after_at(n: usize) -> Vec<u8> {
    format!(
        "From: sender@tracewell.co.uk\r\nTo: {}@{}\r\nSubject: x\r\n\r\nx\r\n",
        "a.".repeat(n),
        ":".repeat(n)
    )
    .into_bytes()
}

/// An HTML body of `n` links to distinct addresses that its text does not
/// show (beyond the 1,000 targets kept, only the text grows).
pub fn mailto_links(n: usize) -> Vec<u8> {
    let body: String = (0..n)
        .map(|i| format!("<a href=\"mailto:p{i}@example.com\">mail {}</a> ", i % 7))
        .collect();
    with_body("text/html; charset=utf-8", body.as_bytes())
}
