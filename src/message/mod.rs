//! Stage 1: raw bytes → a [`MessageView`]: the top-level header fields, and
//! every text-bearing part with a stable [`Location`].
//!
//! Parsing is mail-parser's; this module decides what is text, names each
//! part with its IMAP section number (RFC 3501 §6.4.5: `1`, `2.1`,
//! `3.HEADER.Subject`), counts `message/rfc822` nesting itself, and lists
//! every part it does not read as [`Unscanned`], with the reason.

use std::borrow::Cow;

use mail_parser::{HeaderName, Message, MessageParser, MessagePart, MimeHeaders, PartType};
use serde::Serialize;

use crate::error::Error;
use crate::policy::Limits;

/// Where something was found: a MIME part, and optionally a byte range in
/// that part's decoded text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Location {
    /// IMAP section of the part: `1`, `2.1`, `HEADER.Subject`, `3.HEADER.From`.
    pub part: String,
    /// The part's media type, lower-cased, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// The attachment's file name, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filename: Option<String>,
    /// Path inside a container attachment (`patients.xlsx/Sheet1!C7`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inner: Option<String>,
    /// Byte offset where the item starts in the part's decoded text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<usize>,
    /// Byte offset just past the item in the part's decoded text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end: Option<usize>,
}

impl Location {
    pub(crate) fn part(part: impl Into<String>) -> Location {
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

/// Parses `raw` with mail-parser. The returned message borrows `raw`.
pub(crate) fn parse<'a>(raw: &'a [u8], limits: &Limits) -> Result<Message<'a>, Error> {
    if raw.len() as u64 > limits.max_message_bytes {
        return Err(Error::TooLarge {
            bytes: raw.len() as u64,
            limit: limits.max_message_bytes,
        });
    }
    if raw.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(Error::Empty);
    }
    let message = MessageParser::default()
        .parse(raw)
        .ok_or(Error::NotAMessage)?;
    if message.parts.is_empty() || message.root_part().headers.is_empty() {
        return Err(Error::NotAMessage);
    }
    Ok(message)
}

/// Walks a parsed message into a [`MessageView`].
pub(crate) fn view<'a>(message: &'a Message<'a>, limits: &Limits) -> MessageView<'a> {
    let raw = message.raw_message();
    let headers = message
        .headers()
        .iter()
        .map(|h| RawHeader {
            name: h.name.as_str(),
            value: slice(raw, h.offset_start, h.offset_end),
        })
        .collect();
    let mut walker = Walker {
        limits,
        view: MessageView {
            headers,
            texts: Vec::new(),
            unscanned: Vec::new(),
            truncated: Vec::new(),
            part_count: 0,
            cell_maps: Default::default(),
        },
        decoded_bytes: 0,
    };
    if let Some(subject) = message.subject() {
        walker.push_text(
            Location::part("HEADER.Subject"),
            TextKind::Header,
            Cow::Borrowed(subject),
            false,
        );
    }
    walker.walk_message(message, "", 0);
    walker.view
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
}

impl<'a> Walker<'_, 'a> {
    fn walk_message(&mut self, message: &'a Message<'a>, prefix: &str, depth: u32) {
        let Some(root) = message.parts.first() else {
            return;
        };
        match &root.body {
            PartType::Multipart(children) => {
                for (i, &child) in children.iter().enumerate() {
                    self.walk_part(message, child, format!("{prefix}{}", i + 1), depth);
                }
            }
            _ => self.walk_part(message, 0, format!("{prefix}1"), depth),
        }
    }

    fn walk_part(&mut self, message: &'a Message<'a>, id: u32, section: String, depth: u32) {
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
                for (i, &child) in children.iter().enumerate() {
                    self.walk_part(message, child, format!("{section}.{}", i + 1), depth);
                }
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
                let text = mail_parser::decoders::html::html_to_text(html);
                self.push_text(part_location(part, section), kind, Cow::Owned(text), true);
            }
            PartType::Message(nested) => self.walk_nested(part, nested, section, depth + 1),
            PartType::Binary(bytes) | PartType::InlineBinary(bytes) => {
                self.walk_binary(part, bytes, section, depth);
            }
        }
    }

    fn walk_nested(
        &mut self,
        part: &MessagePart<'_>,
        nested: &'a Message<'a>,
        section: String,
        depth: u32,
    ) {
        if depth > self.limits.max_nesting_depth {
            self.note_truncated("limits.max_nesting_depth");
            self.unscanned(part, section, "nesting-limit");
            return;
        }
        let raw = nested.raw_message();
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
                | HeaderName::Sender => Some(String::from_utf8_lossy(slice(
                    raw,
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
        self.walk_message(nested, &format!("{section}."), depth);
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
        };
        sub.walk_nested(part, nested, section, depth);
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
            match MessageParser::default().parse(bytes) {
                Some(nested) if !nested.parts.is_empty() => {
                    self.walk_detached(part, &nested, section, depth + 1);
                }
                _ => self.unscanned(part, section, "unparseable-message"),
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
            location.inner = Some(text.inner);
            if let Some(cells) = text.cells {
                self.view.cell_maps.insert(&location, cells);
            }
            self.push_text(location, TextKind::Attachment, Cow::Owned(text.text), false);
        }
        for skipped in extraction.skipped {
            let mut location = location.clone();
            location.inner = Some(skipped.inner);
            let reason = skipped.reason.as_str().to_string();
            self.view.unscanned.push(Unscanned { location, reason });
        }
        for limit in extraction.limits_hit {
            self.note_truncated(limit);
        }
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

fn media_type(part: &MessagePart<'_>) -> Option<String> {
    part.content_type().map(|ct| match ct.subtype() {
        Some(sub) => format!("{}/{}", ct.ctype(), sub).to_ascii_lowercase(),
        None => ct.ctype().to_ascii_lowercase(),
    })
}

fn part_location(part: &MessagePart<'_>, section: String) -> Location {
    Location {
        part: section,
        content_type: media_type(part),
        filename: part.attachment_name().map(str::to_string),
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
