//! Stage 1: raw bytes → a message view: the top-level header fields, and
//! every text-bearing part with a stable [`Location`].
//!
//! Parsing is mail-parser's; this module decides what is text, names each
//! part with its IMAP section number (RFC 3501 §6.4.5: `1`, `2.1`,
//! `3.HEADER.Subject`), counts `message/rfc822` nesting itself, and lists
//! every part it does not read as [`Unscanned`], with the reason.

use std::borrow::Cow;
use std::sync::{Arc, OnceLock};

use mail_parser::{HeaderName, Message, MessageParser, MessagePart, MimeHeaders, PartType};
use serde::Serialize;

mod html;

use crate::error::Error;
use crate::policy::Limits;

/// Where something was found: a MIME part, and optionally a byte range in
/// that part's decoded text.
///
/// The names are shared (`Arc<str>`): every finding in a part points at the
/// same strings, so a part with a hundred thousand findings holds its names
/// once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Location {
    /// IMAP section of the part: `1`, `2.1`, `HEADER.Subject`, `3.HEADER.From`.
    pub part: Arc<str>,
    /// The part's media type, lower-cased, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_type: Option<Arc<str>>,
    /// The attachment's file name, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filename: Option<Arc<str>>,
    /// Path inside a container attachment (`patients.xlsx/Sheet1!C7`), or
    /// `links` for the `mailto:` and `tel:` targets of an HTML part's links
    /// that its text does not show (one per line).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inner: Option<Arc<str>>,
    /// Byte offset where the item starts in the part's decoded text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<usize>,
    /// Byte offset just past the item in the part's decoded text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end: Option<usize>,
}

/// [`Location::inner`] of an HTML part's link targets.
pub(crate) const LINKS_INNER: &str = "links";

impl Location {
    pub(crate) fn part(part: impl Into<Arc<str>>) -> Location {
        Location {
            part: part.into(),
            content_type: None,
            filename: None,
            inner: None,
            start: None,
            end: None,
        }
    }

    /// The same part, narrowed to a byte range of its text.
    pub(crate) fn with_span(&self, start: usize, end: usize) -> Location {
        let mut location = self.clone();
        location.start = Some(start);
        location.end = Some(end);
        location
    }
}

/// A part that was not read, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unscanned {
    /// Where the part is.
    #[serde(flatten)]
    pub location: Location,
    /// Why it was not read: `binary`, `image`, `nesting-limit`, `part-limit`,
    /// `decoded-bytes-limit`, `unparseable-message`, `encrypted`, ...
    pub reason: String,
}

/// What kind of text a [`TextPart`] holds; detectors weigh context by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TextKind {
    /// A header field's decoded value (Subject, or a nested message's From/To).
    Header,
    /// A message body: text/plain, or text/html converted to text.
    Body,
    /// An attached file read as text (CSV, logs, ...).
    Attachment,
}

/// One piece of decoded text to scan.
#[derive(Debug)]
pub(crate) struct TextPart<'a> {
    pub(crate) location: Location,
    pub(crate) kind: TextKind,
    pub(crate) text: Cow<'a, str>,
    /// The part is an HTML body converted to text.
    pub(crate) from_html: bool,
}

/// A top-level header field, raw (undecoded, still folded).
#[derive(Debug, Clone, Copy)]
pub(crate) struct RawHeader<'a> {
    pub(crate) name: &'a str,
    pub(crate) value: &'a [u8],
}

/// The parsed message as the analyses see it.
#[derive(Debug)]
pub(crate) struct MessageView<'a> {
    pub(crate) headers: Vec<RawHeader<'a>>,
    pub(crate) texts: Vec<TextPart<'a>>,
    pub(crate) unscanned: Vec<Unscanned>,
    /// Limits that cut the walk short (`limits.max_parts`, ...).
    pub(crate) truncated: Vec<String>,
    pub(crate) part_count: usize,
    /// Cell maps of spreadsheet texts (attachments).
    pub(crate) cell_maps: crate::extract::CellMaps,
}

/// A parsed message, and which guard left its body unparsed, if one did.
pub(crate) struct Parsed<'a> {
    message: Message<'a>,
    body_skipped: Option<Guard>,
    /// Parameter sections were neutralised (see [`MAX_PARAMETER_SECTIONS`]).
    sections_neutralised: bool,
}

impl Parsed<'_> {
    /// The decoded Subject of the top-level message.
    pub(crate) fn subject(&self) -> Option<&str> {
        self.message.subject()
    }

    /// The day of the top-level message's `Date:` (in the sender's zone),
    /// when it holds a real calendar date.
    pub(crate) fn sent_on(&self) -> Option<crate::detect::Date> {
        let date = self.message.date()?;
        let plausible = (1971..=9999).contains(&date.year)
            && (1..=12).contains(&date.month)
            && (1..=31).contains(&date.day);
        plausible.then(|| crate::detect::Date {
            year: u32::from(date.year),
            month: u32::from(date.month),
            day: u32::from(date.day),
        })
    }
}

/// mail-parser 0.11 joins RFC 2231 parameter sections (`name*0=`,
/// `name*1=`, ...) by copying the joined value once per section: quadratic
/// (64,000 sections, 1.6 MB, took 6.8 s in a debug build). More sections than
/// this in one header field and that field's sections are neutralised
/// (`name*7=` read as a plain `name_7=`) before parsing. Real senders split
/// a long file name into a handful.
pub(crate) const MAX_PARAMETER_SECTIONS: usize = 64;

/// mail-parser 0.11 builds the messages nested in a message (`message/rfc822`,
/// `message/global`, the parts of a `multipart/digest`) without a depth
/// limit, then copies (`into_owned`) and frees them recursively: 1,000 nested
/// messages inside a base64 part overflow a 2 MiB thread stack. Each level of
/// nesting needs one of these words in a Content-Type, so counting them (in
/// the raw bytes and in every encoded layer the parser would decode) bounds
/// the depth before the parser sees the input.
const NESTED_MESSAGE_MARKERS: [&str; 3] = ["rfc822", "global", "digest"];

/// More nested-message markers than this and only the top-level header is
/// parsed. Fixed, not a policy setting: it protects the process, and no
/// real message comes near it (500 levels were measured safe on a 2 MiB
/// stack in a debug build, 250 on 256 KiB in release).
pub(crate) const MAX_NESTED_MESSAGE_MARKERS: usize = 256;

/// mail-parser decodes at most three layers of encoded nested messages.
const ENCODED_LAYERS: u32 = 3;

/// Why a message (or a nested one) was not handed to mail-parser whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Guard {
    /// Too many nested-message markers ([`MAX_NESTED_MESSAGE_MARKERS`]).
    Nesting,
    /// Too many parameter sections in one field of a part the parser would
    /// decode or of a nested message ([`MAX_PARAMETER_SECTIONS`]); those
    /// cannot be neutralised in place.
    Sections,
    /// The parser panicked on this input (an internal consistency check of
    /// mail-parser, compiled in only with debug assertions).
    ParserPanic,
}

impl Guard {
    /// The entry in the report's `truncated`.
    fn limit(self) -> &'static str {
        match self {
            Guard::Nesting => "limits.max_nesting_depth",
            Guard::Sections => "max_parameter_sections",
            Guard::ParserPanic => "parser",
        }
    }

    /// The `unscanned` reason of the part left unread.
    fn reason(self) -> &'static str {
        match self {
            Guard::Nesting => "nesting-limit",
            Guard::Sections => "parameter-sections",
            Guard::ParserPanic => "parser-failure",
        }
    }
}

/// Parses `raw` with mail-parser. The returned message borrows `raw`.
pub(crate) fn parse<'a>(raw: &'a [u8], limits: &Limits) -> Result<Parsed<'a>, Error> {
    if raw.len() as u64 > limits.max_message_bytes {
        return Err(Error::TooLarge {
            bytes: raw.len() as u64,
            limit: limits.max_message_bytes,
        });
    }
    if raw.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(Error::Empty);
    }
    let sections = excess_parameter_sections(raw);
    let sections_neutralised = !sections.is_empty();
    let (message, body_skipped) = if sections.is_empty() {
        parse_or_headers(raw)?
    } else {
        // The parser borrows its input: parse a neutralised copy, then take
        // the result out of the copy's lifetime.
        let mut copy = raw.to_vec();
        for at in sections {
            copy[at] = b'_';
        }
        let (message, body_skipped) = parse_or_headers(&copy)?;
        (message.into_owned(), body_skipped)
    };
    if message.parts.is_empty() || message.root_part().headers.is_empty() {
        return Err(Error::NotAMessage);
    }
    Ok(Parsed {
        message,
        body_skipped,
        sections_neutralised,
    })
}

/// Parses `raw` fully or, when a guard refuses it, its header only.
fn parse_or_headers(raw: &[u8]) -> Result<(Message<'_>, Option<Guard>), Error> {
    match parse_guarded(raw) {
        Ok(message) => Ok((message, None)),
        Err(guard) => Ok((
            without_panic(|| parser().parse_headers(raw))
                .flatten()
                .ok_or(Error::NotAMessage)?,
            Some(guard),
        )),
    }
}

/// mail-parser as with its defaults, except that address fields (and the
/// `List-*` URL lists) are kept raw. Their addresses are read from the raw
/// bytes by [`crate::recipients`], which counts what it cannot read;
/// mail-parser's own parsing of the same fields was a sixth of the audit's
/// instructions on mail with long recipient lists. Nested messages' address
/// fields are scanned as written.
///
/// Once one field has its own parser, mail-parser parses only the fields
/// named here (the rest raw), so every other field its defaults parse is
/// listed, with the same parser (`tests::parser_matches_defaults_but_addresses`).
/// Built once: its table is a hash map.
fn parser() -> &'static MessageParser {
    static PARSER: OnceLock<MessageParser> = OnceLock::new();
    PARSER.get_or_init(build_parser)
}

fn build_parser() -> MessageParser {
    let text = [
        HeaderName::Subject,
        HeaderName::Comments,
        HeaderName::ContentDescription,
        HeaderName::ContentLocation,
        HeaderName::ContentTransferEncoding,
    ];
    let ids = [
        HeaderName::MessageId,
        HeaderName::References,
        HeaderName::InReplyTo,
        HeaderName::ReturnPath,
        HeaderName::ContentId,
        HeaderName::ResentMessageId,
    ];
    let mut parser = MessageParser::new()
        .header_date(HeaderName::Date)
        .header_date(HeaderName::ResentDate)
        .header_comma_separated(HeaderName::Keywords)
        .header_comma_separated(HeaderName::ContentLanguage)
        .header_received(HeaderName::Received)
        .header_content_type(HeaderName::ContentType)
        .header_content_type(HeaderName::ContentDisposition)
        // Skipped: address fields and any other field mailaudit reads
        // itself, out of the input at mail-parser's offsets (reading them
        // raw cost a tenth of an audit on mail with long recipient lists).
        .default_header_ignore();
    for name in text {
        parser = parser.header_text(name);
    }
    for name in ids {
        parser = parser.header_id(name);
    }
    parser
}

/// Runs a mail-parser call, turning a panic into `None`.
///
/// mail-parser documents `parse` as never panicking, and in release builds it
/// does not: its internal consistency checks are `debug_assert!`s, which a
/// debug build of a service that uses this crate compiles in. A fuzzed input
/// trips one (a nested message whose boundary bookkeeping the parser loses),
/// and a library must not take its caller down for that. The message is
/// then read as its header only and reported as incompletely scanned. The
/// panic hook still runs; its payload is mail-parser's fixed text, never
/// message content. With `panic = "abort"` nothing can be caught, but such
/// builds are release builds, where the checks are compiled out.
fn without_panic<T>(parse: impl FnOnce() -> T) -> Option<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(parse)).ok()
}

/// Positions of the `*` of every RFC 2231 section marker (`*` then a digit,
/// with white space or comments between) in header fields that hold more
/// than [`MAX_PARAMETER_SECTIONS`] of them. A field is a line that does not
/// start with white space and its continuation lines; body lines count as
/// fields too, which can only over-count. Linear in `raw`.
fn excess_parameter_sections(raw: &[u8]) -> Vec<usize> {
    let mut excess = Vec::new();
    let mut field: Vec<usize> = Vec::new();
    let mut scanned = 0;
    for star in memchr::memchr_iter(b'*', raw) {
        // A line that starts with anything but white space starts a field.
        let new_field = memchr::memchr_iter(b'\n', &raw[scanned..star])
            .any(|newline| !matches!(raw.get(scanned + newline + 1), Some(b' ' | b'\t')));
        if new_field {
            if field.len() > MAX_PARAMETER_SECTIONS {
                excess.append(&mut field);
            }
            field.clear();
        }
        scanned = star;
        if starts_section_number(&raw[star + 1..]) {
            field.push(star);
        }
    }
    if field.len() > MAX_PARAMETER_SECTIONS {
        excess.append(&mut field);
    }
    excess
}

/// `rest` (what follows a `*`) starts with a digit, after any white space
/// and parenthesised comments.
fn starts_section_number(rest: &[u8]) -> bool {
    let mut depth = 0usize;
    let mut i = 0;
    // Bounded look-ahead: a marker is short, and this keeps the scan linear.
    while let Some(&b) = rest.get(i).filter(|_| i < 256) {
        match b {
            b'(' => depth += 1,
            b')' if depth > 0 => depth -= 1,
            b'\\' if depth > 0 => i += 1,
            b' ' | b'\t' | b'\r' | b'\n' => {}
            _ if depth > 0 => {}
            b'0'..=b'9' => return true,
            _ => return false,
        }
        i += 1;
    }
    false
}

/// Parses `raw` fully, unless a guard refuses it (`Err`); a message with no
/// parts when it is not a message at all.
fn parse_guarded(raw: &[u8]) -> Result<Message<'_>, Guard> {
    if !excess_parameter_sections(raw).is_empty() {
        return Err(Guard::Sections);
    }
    let mut budget = MAX_NESTED_MESSAGE_MARKERS;
    let mut sections_ok = true;
    if !within_marker_budget(raw, ENCODED_LAYERS, &mut budget, &mut sections_ok) {
        return Err(Guard::Nesting);
    }
    if !sections_ok {
        return Err(Guard::Sections);
    }
    match without_panic(|| parser().parse(raw)) {
        Some(message) => Ok(message.unwrap_or_default()),
        None => Err(Guard::ParserPanic),
    }
}

/// Counts nested-message markers in `bytes` and in the layers a parser could
/// decode from it (base64 runs, quoted-printable), spending `budget`; false
/// once it is spent. Clears `sections_ok` when a decoded layer has a field
/// with too many parameter sections. Linear: each decoded layer is no larger
/// than its input, and there are at most `layers` of them.
fn within_marker_budget(
    bytes: &[u8],
    layers: u32,
    budget: &mut usize,
    sections_ok: &mut bool,
) -> bool {
    let mut found = 0usize;
    for _ in nested_message_markers(bytes) {
        if *budget == 0 {
            return false;
        }
        *budget -= 1;
        found += 1;
    }
    // mail-parser reads an encoded part as a message only when the part's
    // own (unencoded) Content-Type in this layer names one: a layer without
    // any marker has no nested message, so its encoded runs are never parsed
    // as headers and need no decoding here. (This pre-scan was a fifth of
    // the whole audit's instructions on ordinary mail.)
    if layers == 0 || found == 0 {
        return true;
    }
    if let Some(decoded) = decode_quoted_printable(bytes) {
        *sections_ok &= excess_parameter_sections(&decoded).is_empty();
        if !within_marker_budget(&decoded, layers - 1, budget, sections_ok) {
            return false;
        }
    }
    let decoded = decode_base64_runs(bytes);
    *sections_ok &= excess_parameter_sections(&decoded).is_empty();
    decoded.is_empty() || within_marker_budget(&decoded, layers - 1, budget, sections_ok)
}

/// Where `bytes` hold a media subtype that could make mail-parser read a part
/// as a nested message: one of [`NESTED_MESSAGE_MARKERS`], in any case,
/// after a `/` or after the `)` that closes a comment, with only white
/// space, line breaks, quotes or backslashes between. Its Content-Type reader
/// skips exactly those before a subtype and takes the subtype as one
/// contiguous slice of the input, so this finds every marker it acts on, and
/// more (any such text anywhere counts, not only in Content-Type fields).
///
/// memchr finds the anchors; the skipped run after one anchor never holds
/// another, so the whole scan reads each byte at most twice. (A
/// case-insensitive Aho-Corasick search for the bare words, which this
/// replaced, was a fifth of the audit's time on ordinary mail.)
fn nested_message_markers(bytes: &[u8]) -> impl Iterator<Item = usize> + '_ {
    memchr::memchr2_iter(b'/', b')', bytes).filter_map(move |anchor| {
        let mut at = anchor + 1;
        while let Some(b' ' | b'\t' | b'\r' | b'\n' | b'"' | b'\\') = bytes.get(at) {
            at += 1;
        }
        let word = bytes.get(at..at + 6)?;
        NESTED_MESSAGE_MARKERS
            .iter()
            .any(|marker| word.eq_ignore_ascii_case(marker.as_bytes()))
            .then_some(at)
    })
}

/// Decodes `=XX` escapes and soft line breaks, or `None` when there are none.
fn decode_quoted_printable(bytes: &[u8]) -> Option<Vec<u8>> {
    let escapes = memchr::memchr_iter(b'=', bytes).any(|i| {
        matches!(
            bytes.get(i + 1..i + 3),
            Some([a, b]) if a.is_ascii_hexdigit() && b.is_ascii_hexdigit()
        ) || matches!(bytes.get(i + 1), Some(b'\r' | b'\n'))
    });
    if !escapes {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'=' {
            match bytes.get(i + 1..i + 3) {
                Some([x, y]) if x.is_ascii_hexdigit() && y.is_ascii_hexdigit() => {
                    out.push(hex_value(*x) << 4 | hex_value(*y));
                    i += 3;
                    continue;
                }
                Some([b'\r', b'\n']) => {
                    i += 3;
                    continue;
                }
                _ if bytes.get(i + 1) == Some(&b'\n') => {
                    i += 2;
                    continue;
                }
                _ => {}
            }
        }
        out.push(b);
        i += 1;
    }
    Some(out)
}

fn hex_value(digit: u8) -> u8 {
    match digit {
        b'0'..=b'9' => digit - b'0',
        b'a'..=b'f' => digit - b'a' + 10,
        _ => digit.wrapping_sub(b'A').wrapping_add(10) & 0x0f,
    }
}

/// Decodes every run of lines that look like base64 (a MIME body, a nested
/// part's body) and concatenates the results. Runs are joined with a line
/// break, so markers cannot be forged across two runs.
fn decode_base64_runs(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut quad = [0u8; 4];
    let mut filled = 0;
    let mut in_run = false;
    for line in bytes.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let is_base64 = line.len() >= 4
            && line
                .iter()
                .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='));
        if !is_base64 {
            if in_run {
                flush_base64(&quad, filled, &mut out);
                filled = 0;
                out.push(b'\n');
                in_run = false;
            }
            continue;
        }
        in_run = true;
        for &b in line {
            let value = match b {
                b'A'..=b'Z' => b - b'A',
                b'a'..=b'z' => b - b'a' + 26,
                b'0'..=b'9' => b - b'0' + 52,
                b'+' => 62,
                b'/' => 63,
                _ => {
                    // Padding ends a group.
                    flush_base64(&quad, filled, &mut out);
                    filled = 0;
                    continue;
                }
            };
            quad[filled] = value;
            filled += 1;
            if filled == 4 {
                flush_base64(&quad, filled, &mut out);
                filled = 0;
            }
        }
    }
    flush_base64(&quad, filled, &mut out);
    out
}

/// Appends the bytes of the first `filled` sextets of `quad`.
fn flush_base64(quad: &[u8; 4], filled: usize, out: &mut Vec<u8>) {
    let bytes = [
        quad[0] << 2 | quad[1] >> 4,
        quad[1] << 4 | quad[2] >> 2,
        quad[2] << 6 | quad[3],
    ];
    out.extend_from_slice(&bytes[..filled.saturating_sub(1)]);
}

/// Walks a parsed message into a [`MessageView`].
pub(crate) fn view<'a>(parsed: &'a Parsed<'a>, limits: &Limits) -> MessageView<'a> {
    let message = &parsed.message;
    let raw = message.raw_message();
    let mut truncated = Vec::new();
    let all = message.headers();
    let kept = &all[..all.len().min(limits.max_header_fields as usize)];
    if kept.len() < all.len() {
        truncated.push("limits.max_header_fields".to_string());
    }
    let mut line_cut = false;
    let headers = kept
        .iter()
        .map(|h| {
            let (value, cut) = cut_long_line(
                slice(raw, h.offset_start, h.offset_end),
                limits.max_header_line_bytes,
            );
            line_cut |= cut;
            RawHeader {
                name: h.name.as_str(),
                value,
            }
        })
        .collect();
    let mut walker = Walker {
        limits,
        view: MessageView {
            headers,
            texts: Vec::new(),
            unscanned: Vec::new(),
            truncated,
            part_count: 0,
            cell_maps: Default::default(),
        },
        decoded_bytes: 0,
        buffers: vec![raw],
    };
    if let Some(subject) = message.subject() {
        let mut cut = usize::try_from(limits.max_header_line_bytes)
            .unwrap_or(usize::MAX)
            .min(subject.len());
        while !subject.is_char_boundary(cut) {
            cut -= 1;
        }
        line_cut |= cut < subject.len();
        walker.push_text(
            Location::part("HEADER.Subject"),
            TextKind::Header,
            Cow::Borrowed(&subject[..cut]),
            false,
        );
    }
    if line_cut {
        walker.note_truncated("limits.max_header_line_bytes");
    }
    if parsed.sections_neutralised {
        // Not a policy setting: a fixed guard (see MAX_PARAMETER_SECTIONS).
        walker.note_truncated("max_parameter_sections");
    }
    if let Some(guard) = parsed.body_skipped {
        walker.note_truncated(guard.limit());
        walker.view.unscanned.push(Unscanned {
            location: Location::part("1"),
            reason: guard.reason().to_string(),
        });
    } else {
        walker.walk_message(message, "", 0);
    }
    walker.view
}

/// `value` up to the first line longer than `max_line_bytes` (cut at that
/// many bytes into the line), and whether anything was cut.
fn cut_long_line(value: &[u8], max_line_bytes: u64) -> (&[u8], bool) {
    let max = usize::try_from(max_line_bytes).unwrap_or(usize::MAX);
    let mut start = 0;
    for end in memchr::memchr_iter(b'\n', value).chain([value.len()]) {
        let line = &value[start..end];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.len() > max {
            return (&value[..start + max], true);
        }
        start = end + 1;
    }
    (value, false)
}

/// The section holding `section` (`1.2` for `1.2.3`; `""` at the top).
fn parent_section(section: &str) -> &str {
    section.rsplit_once('.').map_or("", |(parent, _)| parent)
}

/// A header field's value as written: white space around it trimmed, as
/// mail-parser's raw reading does, and invalid UTF-8 replaced.
fn raw_value(value: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(value.trim_ascii())
}

fn slice(raw: &[u8], start: u32, end: u32) -> &[u8] {
    let (start, end) = (start as usize, end as usize);
    if start <= end && end <= raw.len() {
        &raw[start..end]
    } else {
        &[]
    }
}

struct Walker<'l, 'a> {
    limits: &'l Limits,
    view: MessageView<'a>,
    decoded_bytes: u64,
    /// The buffers mail-parser read messages from: the input, and the
    /// decoded body of each encoded nested message. A nested message's
    /// header offsets count from the start of the buffer that holds it.
    buffers: Vec<&'a [u8]>,
}

/// A part waiting to be walked. The walk keeps its own stack of these
/// rather than recursing: a message of 10,000 nested multiparts must not
/// exhaust the thread's stack (a gateway may run audits on small stacks).
struct PendingPart<'a> {
    message: &'a Message<'a>,
    id: u32,
    section: String,
    depth: u32,
}

impl<'a> Walker<'_, 'a> {
    fn walk_message(&mut self, message: &'a Message<'a>, prefix: &str, depth: u32) {
        let mut stack = Vec::new();
        push_root(&mut stack, message, prefix, depth);
        while let Some(next) = stack.pop() {
            self.walk_part(next, &mut stack);
        }
    }

    fn walk_part(&mut self, pending: PendingPart<'a>, stack: &mut Vec<PendingPart<'a>>) {
        let PendingPart {
            message,
            id,
            section,
            depth,
        } = pending;
        let Some(part) = message.part(id) else {
            return;
        };
        self.view.part_count += 1;
        if self.view.part_count > self.limits.max_parts as usize {
            self.note_truncated("limits.max_parts");
            self.unscanned(part, section, "part-limit");
            return;
        }
        match &part.body {
            PartType::Multipart(children) => {
                push_children(stack, message, children, &format!("{section}."), depth);
            }
            PartType::Text(text) => {
                let kind = if is_attachment(part) {
                    TextKind::Attachment
                } else {
                    TextKind::Body
                };
                self.push_text(
                    part_location(part, section),
                    kind,
                    Cow::Borrowed(text.as_ref()),
                    false,
                );
            }
            PartType::Html(html) => {
                let kind = if is_attachment(part) {
                    TextKind::Attachment
                } else {
                    TextKind::Body
                };
                let mut links = html::Links::default();
                let plain = if kind == TextKind::Body {
                    self.plain_sibling(&section)
                } else {
                    None
                };
                if let Some(plain) = plain {
                    if html::html_says(plain, html, &mut links) {
                        // The usual text/html alternative of a text/plain
                        // body: the same text, scanned once, at the plain
                        // part; only link targets the plain text does not
                        // show are left to read.
                        links.keep_unshown(plain);
                        self.push_links(part, section, kind, links);
                        return;
                    }
                    links.clear();
                }
                let text = html::html_to_text(html, &mut links);
                links.keep_unshown(&text);
                if let Some(plain) = plain {
                    links.keep_unshown(plain);
                }
                self.push_text(
                    part_location(part, section.clone()),
                    kind,
                    Cow::Owned(text),
                    true,
                );
                self.push_links(part, section, kind, links);
            }
            PartType::Message(nested) => {
                self.walk_nested(part, nested, section, depth + 1, stack);
            }
            PartType::Binary(bytes) | PartType::InlineBinary(bytes) => {
                self.walk_binary(part, bytes, section, depth);
            }
        }
    }

    /// Reads a nested message's header texts and queues its parts on `stack`.
    fn walk_nested(
        &mut self,
        part: &MessagePart<'_>,
        nested: &'a Message<'a>,
        section: String,
        depth: u32,
        stack: &mut Vec<PendingPart<'a>>,
    ) {
        if depth > self.limits.max_nesting_depth {
            self.note_truncated("limits.max_nesting_depth");
            self.unscanned(part, section, "nesting-limit");
            return;
        }
        let own = nested.raw_message();
        let holds = |buffer: &[u8]| {
            let start = buffer.as_ptr() as usize;
            let at = own.as_ptr() as usize;
            at >= start && at + own.len() <= start + buffer.len()
        };
        let buffer = match self.buffers.iter().find(|buffer| holds(buffer)) {
            Some(buffer) => *buffer,
            None => {
                self.buffers.push(own);
                own
            }
        };
        for header in nested.headers() {
            let name = header.name.as_str();
            let text: Option<Cow<'a, str>> = match header.name {
                HeaderName::Subject | HeaderName::Comments | HeaderName::Keywords => {
                    header.value.as_text().map(Cow::Borrowed)
                }
                HeaderName::From
                | HeaderName::To
                | HeaderName::Cc
                | HeaderName::Bcc
                | HeaderName::ReplyTo
                // The value as written, out of the buffer that holds it (see
                // `parser`: mail-parser skips these fields).
                | HeaderName::Sender => Some(raw_value(slice(
                    buffer,
                    header.offset_start,
                    header.offset_end,
                ))),
                _ => None,
            };
            if let Some(text) = text {
                self.push_text(
                    Location::part(format!("{section}.HEADER.{name}")),
                    TextKind::Header,
                    text,
                    false,
                );
            }
        }
        push_root(stack, nested, &format!("{section}."), depth);
    }

    /// Walks a nested message parsed here (not by mail-parser's own
    /// recursion): its texts are copied out, since it lives only in this call.
    fn walk_detached(
        &mut self,
        part: &MessagePart<'_>,
        nested: &Message<'_>,
        section: String,
        depth: u32,
    ) {
        let mut sub = Walker {
            limits: self.limits,
            view: MessageView {
                headers: Vec::new(),
                texts: Vec::new(),
                unscanned: Vec::new(),
                truncated: Vec::new(),
                part_count: self.view.part_count,
                cell_maps: Default::default(),
            },
            decoded_bytes: self.decoded_bytes,
            buffers: Vec::new(),
        };
        let mut stack = Vec::new();
        sub.walk_nested(part, nested, section, depth, &mut stack);
        while let Some(next) = stack.pop() {
            sub.walk_part(next, &mut stack);
        }
        self.decoded_bytes = sub.decoded_bytes;
        self.view.part_count = sub.view.part_count;
        for text in sub.view.texts {
            self.view.texts.push(TextPart {
                location: text.location,
                kind: text.kind,
                text: Cow::Owned(text.text.into_owned()),
                from_html: text.from_html,
            });
        }
        self.view.unscanned.extend(sub.view.unscanned);
        self.view.cell_maps.extend(sub.view.cell_maps);
        for limit in sub.view.truncated {
            self.note_truncated(&limit);
        }
    }

    fn walk_binary(
        &mut self,
        part: &MessagePart<'_>,
        bytes: &'a [u8],
        section: String,
        depth: u32,
    ) {
        let content_type = media_type(part);
        let filename = part.attachment_name().map(str::to_ascii_lowercase);
        if content_type.as_deref() == Some("message/rfc822")
            || content_type.as_deref() == Some("message/global")
        {
            // mail-parser stops recursing into nested messages after a fixed
            // depth and hands the rest over as bytes; the limit is ours.
            if depth + 1 > self.limits.max_nesting_depth {
                self.note_truncated("limits.max_nesting_depth");
                self.unscanned(part, section, "nesting-limit");
                return;
            }
            match parse_guarded(bytes) {
                Ok(nested) if !nested.parts.is_empty() => {
                    self.walk_detached(part, &nested, section, depth + 1);
                }
                Ok(_) => self.unscanned(part, section, "unparseable-message"),
                Err(guard) => {
                    self.note_truncated(guard.limit());
                    self.unscanned(part, section, guard.reason());
                }
            }
            return;
        }
        if let Some(format) =
            crate::extract::sniff(content_type.as_deref(), filename.as_deref(), bytes)
        {
            self.walk_extracted(part, bytes, format, section);
            return;
        }
        if is_textual(content_type.as_deref(), filename.as_deref()) {
            let text = String::from_utf8_lossy(bytes);
            self.push_text(
                part_location(part, section),
                TextKind::Attachment,
                text,
                false,
            );
            return;
        }
        let reason = match content_type.as_deref() {
            Some(ct) if ct.starts_with("image/") => "image",
            Some(ct) if ct.starts_with("audio/") || ct.starts_with("video/") => "media",
            Some(ct) if ct.contains("encrypted") || ct.contains("pkcs7") || ct.contains("pgp") => {
                "encrypted"
            }
            _ => "binary",
        };
        self.unscanned(part, section, reason);
    }

    /// Reads the files and text inside a document or archive attachment
    /// (`crate::extract`); their locations name the inner path.
    fn walk_extracted(
        &mut self,
        part: &MessagePart<'_>,
        bytes: &[u8],
        format: crate::extract::Format,
        section: String,
    ) {
        let location = part_location(part, section);
        let name = location
            .filename
            .as_deref()
            .unwrap_or(format.default_name());
        let budget = self
            .limits
            .max_decoded_bytes
            .saturating_sub(self.decoded_bytes);
        let extraction = crate::extract::extract(bytes, format, name, self.limits, budget);
        for text in extraction.texts {
            let mut location = location.clone();
            location.inner = Some(text.inner.into());
            if let Some(cells) = text.cells {
                self.view.cell_maps.insert(&location, cells);
            }
            self.push_text(location, TextKind::Attachment, Cow::Owned(text.text), false);
        }
        for skipped in extraction.skipped {
            let mut location = location.clone();
            location.inner = Some(skipped.inner.into());
            let reason = skipped.reason.as_str().to_string();
            self.view.unscanned.push(Unscanned { location, reason });
        }
        for limit in extraction.limits_hit {
            self.note_truncated(limit);
        }
    }

    /// The text of the last part read when it is a plain body part and a
    /// sibling of `section`.
    fn plain_sibling(&self, section: &str) -> Option<&str> {
        self.view
            .texts
            .last()
            .filter(|last| {
                last.kind == TextKind::Body
                    && !last.from_html
                    && last.location.inner.is_none()
                    && parent_section(&last.location.part) == parent_section(section)
            })
            .map(|last| last.text.as_ref())
    }

    /// Queues the `mailto:` and `tel:` targets of an HTML part's links that
    /// its text does not show, one per line, as a text of their own: the
    /// part's location with `inner` set to `links`.
    fn push_links(
        &mut self,
        part: &MessagePart<'_>,
        section: String,
        kind: TextKind,
        links: html::Links,
    ) {
        let links = links.into_targets();
        if links.is_empty() {
            return;
        }
        let mut location = part_location(part, section);
        location.inner = Some(LINKS_INNER.into());
        self.push_text(location, kind, Cow::Owned(links.join("\n")), true);
    }

    fn push_text(
        &mut self,
        location: Location,
        kind: TextKind,
        text: Cow<'a, str>,
        from_html: bool,
    ) {
        let budget = self
            .limits
            .max_decoded_bytes
            .saturating_sub(self.decoded_bytes);
        if budget == 0 {
            self.note_truncated("limits.max_decoded_bytes");
            self.view.unscanned.push(Unscanned {
                location,
                reason: "decoded-bytes-limit".to_string(),
            });
            return;
        }
        let text = if text.len() as u64 > budget {
            self.note_truncated("limits.max_decoded_bytes");
            let mut cut = budget as usize;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            Cow::Owned(text[..cut].to_string())
        } else {
            text
        };
        self.decoded_bytes += text.len() as u64;
        self.view.texts.push(TextPart {
            location,
            kind,
            text,
            from_html,
        });
    }

    fn unscanned(&mut self, part: &MessagePart<'_>, section: String, reason: &str) {
        self.view.unscanned.push(Unscanned {
            location: part_location(part, section),
            reason: reason.to_string(),
        });
    }

    fn note_truncated(&mut self, limit: &str) {
        if !self.view.truncated.iter().any(|l| l == limit) {
            self.view.truncated.push(limit.to_string());
        }
    }
}

/// Queues `children` as sections `{prefix}1`, `{prefix}2`, ...: reversed, so
/// that the stack pops them in document order.
fn push_children<'a>(
    stack: &mut Vec<PendingPart<'a>>,
    message: &'a Message<'a>,
    children: &[u32],
    prefix: &str,
    depth: u32,
) {
    for (i, &child) in children.iter().enumerate().rev() {
        stack.push(PendingPart {
            message,
            id: child,
            section: format!("{prefix}{}", i + 1),
            depth,
        });
    }
}

/// Queues the top-level parts of `message`, last first.
fn push_root<'a>(
    stack: &mut Vec<PendingPart<'a>>,
    message: &'a Message<'a>,
    prefix: &str,
    depth: u32,
) {
    let Some(root) = message.parts.first() else {
        return;
    };
    match &root.body {
        PartType::Multipart(children) => push_children(stack, message, children, prefix, depth),
        _ => stack.push(PendingPart {
            message,
            id: 0,
            section: format!("{prefix}1"),
            depth,
        }),
    }
}

fn media_type(part: &MessagePart<'_>) -> Option<String> {
    part.content_type().map(|ct| match ct.subtype() {
        Some(sub) => format!("{}/{}", ct.ctype(), sub).to_ascii_lowercase(),
        None => ct.ctype().to_ascii_lowercase(),
    })
}

fn part_location(part: &MessagePart<'_>, section: String) -> Location {
    Location {
        part: section.into(),
        content_type: media_type(part).map(Into::into),
        filename: part.attachment_name().map(Into::into),
        inner: None,
        start: None,
        end: None,
    }
}

fn is_attachment(part: &MessagePart<'_>) -> bool {
    part.content_disposition()
        .is_some_and(|cd| cd.ctype().eq_ignore_ascii_case("attachment"))
        || part.attachment_name().is_some()
}

/// Binary parts whose bytes are text in practice: CSV and logs are often
/// sent as `application/octet-stream` or with a vendor type.
pub(crate) fn is_textual(content_type: Option<&str>, filename: Option<&str>) -> bool {
    const TEXT_TYPES: &[&str] = &[
        "application/csv",
        "application/json",
        "application/xml",
        "application/x-yaml",
        "application/yaml",
        "application/x-csv",
        "application/vnd.ms-excel.csv",
        "application/ld+json",
        "application/x-ndjson",
        "application/sql",
        "application/x-sh",
        "application/javascript",
    ];
    const TEXT_EXTENSIONS: &[&str] = &[
        ".csv", ".tsv", ".txt", ".log", ".json", ".ndjson", ".jsonl", ".xml", ".yaml", ".yml",
        ".vcf", ".ics", ".md", ".sql", ".eml", ".html", ".htm", ".ini", ".conf",
    ];
    if let Some(ct) = content_type {
        if ct.starts_with("text/") || TEXT_TYPES.contains(&ct) {
            return true;
        }
        if ct.starts_with("image/") || ct.starts_with("audio/") || ct.starts_with("video/") {
            return false;
        }
    }
    filename.is_some_and(|name| TEXT_EXTENSIONS.iter().any(|ext| name.ends_with(ext)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use mail_parser::HeaderValue;

    #[test]
    fn base64_runs_decode_with_padding_and_breaks() {
        assert_eq!(decode_base64_runs(b"aGVsbG8="), b"hello");
        assert_eq!(
            decode_base64_runs(b"Subject: x\r\n\r\naGVs\r\nbG8=\r\n--b\r\nd29y\r\n"),
            b"hello\nwor\n"
        );
        assert!(decode_base64_runs(b"no base64 here\r\n").is_empty());
    }

    #[test]
    fn quoted_printable_decodes_escapes_and_soft_breaks() {
        assert_eq!(
            decode_quoted_printable(b"message/=72fc8=\r\n22").as_deref(),
            Some(&b"message/rfc822"[..])
        );
        assert_eq!(decode_quoted_printable(b"a=\"b\" c==d"), None);
    }

    #[test]
    fn parser_matches_defaults_but_addresses() {
        let raw = b"From: =?utf-8?q?Zo=C3=AB?= <zoe@example.org>\r\nTo: a@example.net, b@example.net\r\n\
            Cc: c@example.net\r\nReply-To: r@example.org\r\nList-Post: <mailto:l@example.org>\r\n\
            Subject: =?utf-8?q?Caf=C3=A9?= list\r\nComments: =?utf-8?q?x=C3=A9?=\r\n\
            Keywords: a, b\r\nDate: Mon, 06 Jul 2020 09:12:44 +0100\r\n\
            Message-ID: <m1@example.org>\r\nReferences: <m0@example.org>\r\n\
            Received: from a.example.org by b.example.org; Mon, 06 Jul 2020 09:12:44 +0100\r\n\
            X-Protective-Marking: OFFICIAL-SENSITIVE\r\nSensitivity: Private\r\n\
            MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n\
            --b\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\
            Content-Language: en, fr\r\nContent-Description: =?utf-8?q?d=C3=A9?=\r\n\r\nb=C3=A9\r\n\
            --b\r\nContent-Type: text/csv; name=\"p.csv\"\r\nContent-Disposition: attachment; filename=\"p.csv\"\r\n\
            Content-ID: <c1@example.org>\r\nContent-Location: p.csv\r\n\r\na,b\r\n--b--\r\n";
        let ours = parser().parse(&raw[..]).expect("parsed");
        let defaults = MessageParser::default().parse(&raw[..]).expect("parsed");
        assert_eq!(ours.parts.len(), defaults.parts.len());
        for (mine, theirs) in ours.parts.iter().zip(&defaults.parts) {
            assert_eq!(mine.body, theirs.body);
            assert_eq!(mine.headers.len(), theirs.headers.len());
            for (a, b) in mine.headers.iter().zip(&theirs.headers) {
                assert_eq!(a.name, b.name);
                // Every field is where the defaults put it: skipped fields
                // are read there.
                assert_eq!(
                    (a.offset_start, a.offset_end),
                    (b.offset_start, b.offset_end)
                );
                let name = b.name.as_str();
                if a.value == HeaderValue::Empty && b.value != HeaderValue::Empty {
                    // Skipped: addresses, and fields nothing reads parsed.
                    let read = [
                        "Subject",
                        "Comments",
                        "Keywords",
                        "Date",
                        "Message-ID",
                        "References",
                        "Received",
                        "Content-Type",
                        "Content-Disposition",
                        "Content-Transfer-Encoding",
                        "Content-Description",
                        "Content-Language",
                        "Content-ID",
                        "Content-Location",
                    ];
                    assert!(!read.iter().any(|r| r.eq_ignore_ascii_case(name)), "{name}");
                    let written = raw_value(slice(&raw[..], a.offset_start, a.offset_end));
                    if let Some(text) = b.value.as_text() {
                        assert_eq!(written, text, "{name}");
                    }
                } else {
                    assert_eq!(a.value, b.value, "{name}");
                }
            }
        }
    }

    #[test]
    fn nested_address_fields_are_read_from_the_buffer_that_holds_them() {
        // Inline nesting two deep (offsets count from the input), and a
        // base64-encoded message (offsets count from its decoded body).
        let deep =
            "From: Deep <deep@example.com>\r\nTo: d2@example.net\r\nSubject: deep\r\n\r\nx\r\n";
        let inner = format!(
            "From: Jo <jo@example.com>\r\nTo: Al <al@example.net>\r\nSubject: hi\r\n\
             Content-Type: multipart/mixed; boundary=YY\r\n\r\n--YY\r\n\
             Content-Type: message/rfc822\r\n\r\n{deep}--YY--\r\n"
        );
        // "From: B <b64@example.com>\r\nCc:  c64@example.net \r\n\r\nbody\r\n"
        let encoded =
            "RnJvbTogQiA8YjY0QGV4YW1wbGUuY29tPg0KQ2M6ICBjNjRAZXhhbXBsZS5uZXQgDQoNCmJvZHkNCg==";
        let raw = format!(
            "From: a@example.org\r\nTo: b@example.net\r\nSubject: Fw\r\n\
             Content-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\n\
             Content-Type: message/rfc822\r\n\r\n{inner}\r\n--XX\r\n\
             Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n\
             {encoded}\r\n--XX--\r\n"
        );
        let parsed = parse(raw.as_bytes(), &crate::Policy::default().limits).expect("parsed");
        let view = view(&parsed, &crate::Policy::default().limits);
        let headers: Vec<(&str, &str)> = view
            .texts
            .iter()
            .filter(|t| t.location.part.contains(".HEADER."))
            .map(|t| (&*t.location.part, t.text.as_ref()))
            .collect();
        for expected in [
            ("1.HEADER.From", "Jo <jo@example.com>"),
            ("1.HEADER.To", "Al <al@example.net>"),
            ("1.1.HEADER.From", "Deep <deep@example.com>"),
            ("1.1.HEADER.To", "d2@example.net"),
            ("2.HEADER.From", "B <b64@example.com>"),
            ("2.HEADER.Cc", "c64@example.net"),
        ] {
            assert!(
                headers.contains(&expected),
                "{expected:?} not in {headers:?}"
            );
        }
    }

    #[test]
    fn subtype_markers_follow_a_slash_or_a_comment() {
        let count = |b: &[u8]| nested_message_markers(b).count();
        assert_eq!(count(b"Content-Type: message/rfc822"), 1);
        assert_eq!(count(b"Content-Type: MESSAGE/Global;"), 1);
        assert_eq!(count(b"Content-Type: multipart/ \"digest\""), 1);
        assert_eq!(count(b"Content-Type: message/\r\n\trfc822"), 1);
        assert_eq!(count(b"Content-Type: message/(a (b) c) rfc822"), 1);
        assert_eq!(count(b"Content-Type: message/\\rfc822"), 1);
        assert_eq!(count(b"Content-Type: message/rfc"), 0);
        // The words elsewhere are not subtypes.
        assert_eq!(count(b"see RFC822 and the global digest"), 0);
    }

    /// What may stand around a media type's `/` in a Content-Type field.
    const JUNK: [&str; 10] = [
        " ",
        "\t",
        "\r\n ",
        "\"",
        "\\",
        "(c)",
        "(a (b) c)",
        "x",
        ";",
        "(",
    ];

    proptest::proptest! {
        /// Whatever Content-Type field mail-parser reads as a nested-message
        /// or digest subtype, the marker scan has counted.
        #[test]
        fn every_subtype_mail_parser_reads_is_counted(
            media_type in proptest::sample::select(vec!["message", "multipart", "x", ""]),
            before in proptest::collection::vec(proptest::sample::select(JUNK.to_vec()), 0..4),
            after in proptest::collection::vec(proptest::sample::select(JUNK.to_vec()), 0..4),
            subtype in proptest::sample::select(vec!["rfc822", "RFC822", "gLoBaL", "digest", "rfc"]),
            tail in proptest::collection::vec(proptest::sample::select(JUNK.to_vec()), 0..3),
        ) {
            let pieces = [vec![media_type], before, vec!["/"], after, vec![subtype], tail].concat();
            let field: String = pieces.concat();
            let raw = format!("Content-Type: {field}\r\nSubject: s\r\n\r\nbody\r\n");
            let counted = nested_message_markers(raw.as_bytes()).count();
            if let Some(message) = MessageParser::default().parse(raw.as_bytes()) {
                if let Some(subtype) = message.root_part().content_type().and_then(|c| c.subtype()) {
                    let marker = NESTED_MESSAGE_MARKERS
                        .iter()
                        .any(|m| subtype.eq_ignore_ascii_case(m));
                    proptest::prop_assert!(!marker || counted > 0, "{:?} -> {:?}", field, subtype);
                }
            }
        }
    }

    #[test]
    fn markers_are_found_in_every_encoded_layer() {
        let plain = b"Content-Type: Message/RFC822\r\n".repeat(3);
        let mut budget = 10;
        assert!(within_marker_budget(&plain, 0, &mut budget, &mut true));
        assert_eq!(budget, 7);
        // "Type: message/rfc822 xyz" base64-encoded, then quoted-printable-
        // encoded, inside a part that declares a nested message: found in
        // the decoded layers (the count may include the same marker by
        // several decodings)...
        let hidden = b"Content-Type: message/rfc822\r\n\r\nVHlwZTogbWVzc2Fn=5AS9yZmM4MjIgeHl6\r\n";
        let mut budget = 10;
        assert!(within_marker_budget(hidden, 0, &mut budget, &mut true));
        assert_eq!(budget, 9);
        assert!(within_marker_budget(hidden, 3, &mut budget, &mut true));
        assert!(budget < 8);
        // ...and not decoded where nothing declares one: mail-parser parses
        // an encoded part as a message only when the part's own Content-Type
        // (never encoded) says message/rfc822 or message/global, or it sits
        // in a multipart/digest.
        let mut budget = 10;
        assert!(within_marker_budget(
            b"VHlwZTogbWVzc2Fn=5AS9yZmM4MjIgeHl6\r\n",
            3,
            &mut budget,
            &mut true
        ));
        assert_eq!(budget, 10);
        let mut budget = 2;
        assert!(!within_marker_budget(&plain, 0, &mut budget, &mut true));
    }

    #[test]
    fn parameter_sections_are_counted_per_field() {
        let many: String = (0..70).map(|i| format!(";\r\n n*{i}*=x")).collect();
        let raw = format!("Content-Type: text/plain{many}\r\nX: a*1=b\r\n\r\n2*3=6\r\n");
        let excess = excess_parameter_sections(raw.as_bytes());
        assert_eq!(excess.len(), 70);
        assert!(excess.iter().all(|&at| raw.as_bytes()[at] == b'*'));
        // Comments and white space between `*` and the number still count.
        assert!(starts_section_number(b" (c (nested)) 12="));
        assert!(!starts_section_number(b"=utf-8''x"));
        // 64 sections in each of many fields is fine: the cost is per field.
        let fields: String = (0..10)
            .map(|_| {
                let sections: String = (0..64).map(|i| format!("; n*{i}=x")).collect();
                format!("Content-Disposition: attachment{sections}\r\n")
            })
            .collect();
        assert!(excess_parameter_sections(fields.as_bytes()).is_empty());
    }

    #[test]
    fn long_header_lines_are_cut_at_the_limit() {
        assert_eq!(
            cut_long_line(b"a, b,\r\n c", 5),
            (&b"a, b,\r\n c"[..], false)
        );
        assert_eq!(
            cut_long_line(b"a,\r\n bbbbbbb", 5),
            (&b"a,\r\n bbbb"[..], true)
        );
    }
}
