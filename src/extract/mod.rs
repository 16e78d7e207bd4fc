//! Stage 1b: the text inside attachments that are not text themselves:
//! spreadsheets, office documents, ZIP archives, PDFs and RTF.
//!
//! The MIME walk (`crate::message`) hands every binary part whose type or
//! file name it recognises ([`sniff`]) to [`extract`], which returns texts
//! named by an inner path (`export.zip/patients.xlsx/Sheet1`) and the pieces
//! it could not read, each with a reason (`encrypted`, `corrupt`,
//! `unsupported`, `expansion-limit`, ...).
//!
//! Containers are opened within the `[limits]` of the policy: how deep
//! containers nest (`max_archive_depth`), how many entries are looked at
//! (`max_archive_entries`), how many bytes are decompressed
//! (`max_archive_bytes`) and how much larger than its compressed size a
//! container may grow (`max_expansion_ratio`). Every decompression is bounded
//! *while* it runs, since the sizes a ZIP declares can lie.
//!
//! Spreadsheets are rendered as CSV, header row first, so detectors see the
//! column names; a [`CellMap`] per sheet turns a byte offset in that text back
//! into the cell it came from (`Sheet1!C7`).
//!
//! Formats sit behind cargo features (`archives`, `office`, `pdf`, all on by
//! default); a format whose feature is off is reported `unsupported`.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use crate::message::Location;
use crate::policy::Limits;
use crate::report::Finding;

#[cfg(feature = "office")]
mod document;
#[cfg(feature = "pdf")]
mod pdf;
mod rtf;
#[cfg(feature = "office")]
mod sheet;
#[cfg(all(test, feature = "office"))]
pub(crate) mod testdata;
#[cfg(any(feature = "archives", feature = "office"))]
mod zipped;

/// A file format [`extract`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// A ZIP archive (or a ZIP whose contents tell what it is).
    Zip,
    /// Office Open XML workbook: XLSX, XLSM.
    Xlsx,
    /// Legacy binary Excel workbook (BIFF in a compound file).
    Xls,
    /// OpenDocument spreadsheet.
    Ods,
    /// Office Open XML word-processing document: DOCX, DOCM.
    Docx,
    /// Office Open XML presentation: PPTX.
    Pptx,
    /// OpenDocument text or presentation: ODT, ODP.
    Odt,
    /// PDF.
    Pdf,
    /// Rich Text Format.
    Rtf,
    /// An OLE compound file of unknown kind (legacy Office, or an encrypted
    /// Office Open XML package).
    Compound,
}

impl Format {
    /// A name for an attachment that has none, for inner paths.
    pub(crate) fn default_name(self) -> &'static str {
        match self {
            Format::Zip => "attachment.zip",
            Format::Xlsx => "attachment.xlsx",
            Format::Xls => "attachment.xls",
            Format::Ods => "attachment.ods",
            Format::Docx => "attachment.docx",
            Format::Pptx => "attachment.pptx",
            Format::Odt => "attachment.odt",
            Format::Pdf => "attachment.pdf",
            Format::Rtf => "attachment.rtf",
            Format::Compound => "attachment.bin",
        }
    }

    /// Formats that hold other files, counted against `max_archive_depth`.
    fn is_container(self) -> bool {
        matches!(
            self,
            Format::Zip | Format::Xlsx | Format::Ods | Format::Docx | Format::Pptx | Format::Odt
        )
    }
}

const EXTENSIONS: &[(&str, Format)] = &[
    (".zip", Format::Zip),
    (".xlsx", Format::Xlsx),
    (".xlsm", Format::Xlsx),
    (".xltx", Format::Xlsx),
    (".xltm", Format::Xlsx),
    (".xls", Format::Xls),
    (".xlt", Format::Xls),
    (".ods", Format::Ods),
    (".docx", Format::Docx),
    (".docm", Format::Docx),
    (".dotx", Format::Docx),
    (".pptx", Format::Pptx),
    (".pptm", Format::Pptx),
    (".ppsx", Format::Pptx),
    (".odt", Format::Odt),
    (".odp", Format::Odt),
    (".pdf", Format::Pdf),
    (".rtf", Format::Rtf),
];

const MEDIA_TYPES: &[(&str, Format)] = &[
    ("application/zip", Format::Zip),
    ("application/x-zip-compressed", Format::Zip),
    ("application/x-zip", Format::Zip),
    (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        Format::Xlsx,
    ),
    (
        "application/vnd.ms-excel.sheet.macroenabled.12",
        Format::Xlsx,
    ),
    ("application/vnd.ms-excel", Format::Xls),
    (
        "application/vnd.oasis.opendocument.spreadsheet",
        Format::Ods,
    ),
    (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        Format::Docx,
    ),
    (
        "application/vnd.ms-word.document.macroenabled.12",
        Format::Docx,
    ),
    (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        Format::Pptx,
    ),
    ("application/vnd.oasis.opendocument.text", Format::Odt),
    (
        "application/vnd.oasis.opendocument.presentation",
        Format::Odt,
    ),
    ("application/pdf", Format::Pdf),
    ("application/x-pdf", Format::Pdf),
    ("application/rtf", Format::Rtf),
    ("application/x-rtf", Format::Rtf),
    ("text/rtf", Format::Rtf),
];

/// See [`Extractor::expansion_allowance`].
#[cfg(any(feature = "archives", feature = "office", feature = "pdf"))]
const RATIO_FLOOR_BYTES: u64 = 1 << 20;

const CFB_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// Which format a part is, by file name, then media type, then magic bytes.
/// `None` for anything this module does not read (text, images, ...).
pub(crate) fn sniff(
    content_type: Option<&str>,
    filename: Option<&str>,
    bytes: &[u8],
) -> Option<Format> {
    let by_name = filename.and_then(|name| {
        let name = name.to_ascii_lowercase();
        EXTENSIONS
            .iter()
            .find(|(ext, _)| name.ends_with(ext))
            .map(|&(_, f)| f)
    });
    let by_type = || {
        content_type.and_then(|ct| {
            MEDIA_TYPES
                .iter()
                .find(|(t, _)| ct.eq_ignore_ascii_case(t))
                .map(|&(_, f)| f)
        })
    };
    let by_magic = || {
        if bytes.starts_with(b"%PDF-") {
            Some(Format::Pdf)
        } else if bytes.starts_with(b"{\\rtf") {
            Some(Format::Rtf)
        } else if bytes.starts_with(b"PK\x03\x04") {
            Some(Format::Zip)
        } else if bytes.starts_with(CFB_MAGIC) {
            Some(Format::Compound)
        } else {
            None
        }
    };
    // A vendor media type on a text file (a CSV sent as
    // `application/vnd.ms-excel`, Windows' default): the name and the bytes
    // both say text, and the file is read as such.
    if by_name.is_none() && by_magic().is_none() && crate::message::is_textual(None, filename) {
        return None;
    }
    let Some(format) = by_name.or_else(by_type) else {
        // Untyped parts (application/octet-stream without a known name).
        return match content_type {
            None | Some("application/octet-stream") | Some("application/x-download") => {
                by_magic().filter(|f| *f != Format::Compound)
            }
            _ => None,
        };
    };
    // The bytes outrank a name that does not fit them (a renamed file), but
    // only among the formats this module reads.
    Some(match (format, by_magic()) {
        (Format::Xls, Some(Format::Compound)) => Format::Xls,
        (_, Some(Format::Compound)) => Format::Compound,
        (Format::Xls, Some(Format::Zip)) => Format::Xlsx,
        (_, Some(Format::Pdf)) => Format::Pdf,
        (_, Some(Format::Rtf)) => Format::Rtf,
        (format, _) => format,
    })
}

/// Why a piece of an attachment was not read.
// With some formats compiled out, some reasons and budgets go unused.
#[cfg_attr(
    not(all(feature = "archives", feature = "office", feature = "pdf")),
    allow(dead_code)
)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reason {
    /// Password-protected or encrypted.
    Encrypted,
    /// Damaged or not what its name says.
    Corrupt,
    /// A format this build does not read.
    Unsupported,
    /// Decompressing it would exceed `max_archive_bytes` or `max_expansion_ratio`.
    ExpansionLimit,
    /// Nested deeper than `max_archive_depth`.
    DepthLimit,
    /// Past `max_archive_entries`.
    EntryLimit,
    /// Its text did not fit in `max_decoded_bytes`.
    DecodedBytesLimit,
    /// A document that holds no extractable text (a scanned PDF).
    NoText,
    /// An archive entry that is not text and not a known format.
    Binary,
}

impl Reason {
    /// The reason as reports spell it.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Reason::Encrypted => "encrypted",
            Reason::Corrupt => "corrupt",
            Reason::Unsupported => "unsupported",
            Reason::ExpansionLimit => "expansion-limit",
            Reason::DepthLimit => "archive-depth-limit",
            Reason::EntryLimit => "archive-entry-limit",
            Reason::DecodedBytesLimit => "decoded-bytes-limit",
            Reason::NoText => "no-text",
            Reason::Binary => "binary",
        }
    }
}

/// Text read from inside an attachment.
#[derive(Debug)]
pub(crate) struct ExtractedText {
    /// Inner path: `export.zip/patients.xlsx/Sheet1`.
    pub(crate) inner: String,
    pub(crate) text: String,
    /// For a sheet: which cell each byte of `text` came from.
    pub(crate) cells: Option<CellMap>,
}

/// A piece of an attachment that was not read.
#[derive(Debug)]
pub(crate) struct Skipped {
    pub(crate) inner: String,
    pub(crate) reason: Reason,
}

/// Everything read from one attachment.
#[derive(Debug, Default)]
pub(crate) struct Extraction {
    pub(crate) texts: Vec<ExtractedText>,
    pub(crate) skipped: Vec<Skipped>,
    /// Policy limits that cut the extraction short (`limits.max_archive_depth`).
    pub(crate) limits_hit: Vec<&'static str>,
}

/// Reads the text inside one attachment. `name` starts every inner path;
/// `text_budget` is what is left of `max_decoded_bytes`. Never panics: a
/// panic inside a format reader is caught and reported as `corrupt`.
pub(crate) fn extract(
    bytes: &[u8],
    format: Format,
    name: &str,
    limits: &Limits,
    text_budget: u64,
) -> Extraction {
    let mut extractor = Extractor {
        limits,
        entries_left: limits.max_archive_entries as u64,
        archive_bytes_left: limits.max_archive_bytes,
        text_bytes_left: text_budget,
        out: Extraction::default(),
    };
    extractor.extract(bytes, format, name, 1);
    extractor.out
}

/// The state of one attachment's extraction: what is left of each budget.
// With some formats compiled out, some reasons and budgets go unused.
#[cfg_attr(
    not(all(feature = "archives", feature = "office", feature = "pdf")),
    allow(dead_code)
)]
pub(crate) struct Extractor<'l> {
    limits: &'l Limits,
    entries_left: u64,
    archive_bytes_left: u64,
    text_bytes_left: u64,
    out: Extraction,
}

impl Extractor<'_> {
    /// Reads `bytes` as `format`; `depth` counts containers, the attachment
    /// being 1.
    fn extract(&mut self, bytes: &[u8], format: Format, inner: &str, depth: u32) {
        if format.is_container() && depth > self.limits.max_archive_depth {
            self.hit("limits.max_archive_depth");
            self.skip(inner, Reason::DepthLimit);
            return;
        }
        // calamine and lopdf are not written for hostile input; a panic in
        // one must cost this attachment, not the audit.
        let texts_before = self.out.texts.len();
        let result = catch_unwind(AssertUnwindSafe(|| {
            self.extract_format(bytes, format, inner, depth)
        }));
        match result {
            Ok(Ok(())) => {}
            Ok(Err(reason)) => self.skip(inner, reason),
            Err(_) => {
                self.out.texts.truncate(texts_before);
                self.skip(inner, Reason::Corrupt);
            }
        }
    }

    fn extract_format(
        &mut self,
        bytes: &[u8],
        format: Format,
        inner: &str,
        depth: u32,
    ) -> Result<(), Reason> {
        if bytes.starts_with(CFB_MAGIC) && format != Format::Xls {
            return Err(compound_reason(bytes));
        }
        match format {
            Format::Rtf => {
                let text = rtf::to_text(bytes, self.text_cap());
                self.push_text(inner.to_string(), text, None);
                Ok(())
            }
            Format::Compound => Err(compound_reason(bytes)),
            #[cfg(any(feature = "archives", feature = "office"))]
            Format::Zip
            | Format::Xlsx
            | Format::Docx
            | Format::Pptx
            | Format::Odt
            | Format::Ods => zipped::extract_zip(self, bytes, inner, depth),
            #[cfg(feature = "office")]
            Format::Xls => {
                if bytes.starts_with(CFB_MAGIC) && compound_reason(bytes) == Reason::Encrypted {
                    return Err(Reason::Encrypted);
                }
                sheet::extract_xls(self, bytes, inner)
            }
            #[cfg(feature = "pdf")]
            Format::Pdf => pdf::extract(self, bytes, inner),
            #[allow(unreachable_patterns)]
            _ => {
                let _ = depth;
                Err(Reason::Unsupported)
            }
        }
    }

    /// What a container of `compressed_len` bytes may inflate to under
    /// `max_expansion_ratio`. Below [`RATIO_FLOOR_BYTES`] nothing counts as a
    /// bomb: small XML parts routinely compress 100:1.
    #[cfg(any(feature = "archives", feature = "office", feature = "pdf"))]
    fn expansion_allowance(&self, compressed_len: usize) -> u64 {
        (compressed_len as u64)
            .saturating_mul(self.limits.max_expansion_ratio as u64)
            .max(RATIO_FLOOR_BYTES)
    }

    /// Bytes of text that may still be produced.
    fn text_cap(&self) -> usize {
        usize::try_from(self.text_bytes_left).unwrap_or(usize::MAX)
    }

    fn push_text(&mut self, inner: String, text: String, cells: Option<CellMap>) {
        if text.trim().is_empty() {
            return;
        }
        self.text_bytes_left = self.text_bytes_left.saturating_sub(text.len() as u64);
        self.out.texts.push(ExtractedText { inner, text, cells });
    }

    fn skip(&mut self, inner: &str, reason: Reason) {
        self.out.skipped.push(Skipped {
            inner: inner.to_string(),
            reason,
        });
    }

    fn hit(&mut self, limit: &'static str) {
        if !self.out.limits_hit.contains(&limit) {
            self.out.limits_hit.push(limit);
        }
    }

    /// Counts one archive entry; `false` once `max_archive_entries` is spent.
    #[cfg(any(feature = "archives", feature = "office"))]
    fn take_entry(&mut self) -> bool {
        if self.entries_left == 0 {
            self.hit("limits.max_archive_entries");
            return false;
        }
        self.entries_left -= 1;
        true
    }
}

/// An OLE compound file is either a legacy Office document (which this
/// module does not read, bar XLS) or an encrypted Office Open XML package,
/// whose payload sits in a stream named `EncryptedPackage` (MS-OFFCRYPTO
/// §2.3.4.4). Directory entry names are UTF-16LE.
fn compound_reason(bytes: &[u8]) -> Reason {
    let needle: Vec<u8> = "EncryptedPackage"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    if memchr::memmem::find(bytes, &needle).is_some() {
        Reason::Encrypted
    } else {
        Reason::Unsupported
    }
}

/// Where each cell of a rendered sheet starts in its text.
#[derive(Debug, Default)]
pub(crate) struct CellMap {
    /// `(byte offset, row, column)`, zero-based, sorted by offset.
    starts: Vec<(usize, u32, u32)>,
}

impl CellMap {
    #[cfg(feature = "office")]
    fn push(&mut self, offset: usize, row: u32, col: u32) {
        self.starts.push((offset, row, col));
    }

    /// The cell that holds byte `offset`, as `C7`.
    fn cell_at(&self, offset: usize) -> Option<String> {
        let i = self
            .starts
            .partition_point(|&(start, _, _)| start <= offset);
        let &(_, row, col) = self.starts.get(i.checked_sub(1)?)?;
        Some(cell_ref(row, col))
    }
}

/// `A1`-style name of a zero-based cell position.
pub(crate) fn cell_ref(row: u32, col: u32) -> String {
    let mut letters = Vec::new();
    let mut n = col as u64 + 1;
    while n > 0 {
        let rem = ((n - 1) % 26) as u8;
        letters.push(b'A' + rem);
        n = (n - 1) / 26;
    }
    letters.reverse();
    let mut out = String::from_utf8(letters).unwrap_or_default();
    out.push_str(&(row as u64 + 1).to_string());
    out
}

/// The row number (1-based) of an inner path that ends in a cell, `…!C7`.
pub(crate) fn cell_row(inner: &str) -> Option<u32> {
    let (_, cell) = inner.rsplit_once('!')?;
    let digits = cell.trim_start_matches(|c: char| c.is_ascii_uppercase());
    if digits.len() == cell.len() {
        return None;
    }
    digits.parse().ok()
}

/// The cell maps of every sheet in a message, by part and inner path.
#[derive(Debug, Default)]
pub(crate) struct CellMaps {
    maps: Vec<(Arc<str>, Arc<str>, CellMap)>,
}

impl CellMaps {
    pub(crate) fn insert(&mut self, location: &Location, map: CellMap) {
        if let Some(inner) = &location.inner {
            self.maps.push((location.part.clone(), inner.clone(), map));
        }
    }

    pub(crate) fn extend(&mut self, other: CellMaps) {
        self.maps.extend(other.maps);
    }

    /// Narrows the inner path of findings in a sheet's text from the sheet
    /// (`patients.xlsx/Sheet1`) to the cell (`patients.xlsx/Sheet1!C7`).
    pub(crate) fn name_cells(&self, text: &Location, findings: &mut [Finding]) {
        let Some(inner) = &text.inner else {
            return;
        };
        let Some((_, _, map)) = self
            .maps
            .iter()
            .find(|(part, i, _)| *part == text.part && i == inner)
        else {
            return;
        };
        for finding in findings {
            let location = &mut finding.location;
            if location.part != text.part || location.inner.as_ref() != Some(inner) {
                continue;
            }
            if let Some(cell) = location.start.and_then(|start| map.cell_at(start)) {
                location.inner = Some(format!("{inner}!{cell}").into());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cell_refs_use_bijective_base_26() {
        assert_eq!(cell_ref(0, 0), "A1");
        assert_eq!(cell_ref(6, 2), "C7");
        assert_eq!(cell_ref(0, 25), "Z1");
        assert_eq!(cell_ref(0, 26), "AA1");
        assert_eq!(cell_ref(1_048_575, 16_383), "XFD1048576");
    }

    #[test]
    fn cell_rows_come_from_inner_paths() {
        assert_eq!(cell_row("a.zip/p.xlsx/Sheet1!C7"), Some(7));
        assert_eq!(cell_row("p.xlsx/Sheet1"), None);
        assert_eq!(cell_row("p.xlsx/Wow!"), None);
    }

    #[test]
    fn cell_map_finds_the_cell_before_an_offset() {
        let map = CellMap {
            starts: vec![(0, 0, 0), (5, 0, 1), (9, 1, 0)],
        };
        assert_eq!(map.cell_at(0).as_deref(), Some("A1"));
        assert_eq!(map.cell_at(7).as_deref(), Some("B1"));
        assert_eq!(map.cell_at(40).as_deref(), Some("A2"));
    }

    #[test]
    fn sniff_prefers_magic_over_a_misleading_name() {
        assert_eq!(sniff(None, Some("x.xlsx"), b"%PDF-1.4"), Some(Format::Pdf));
        assert_eq!(
            sniff(None, Some("X.XLSX"), b"PK\x03\x04"),
            Some(Format::Xlsx)
        );
        assert_eq!(
            sniff(Some("application/octet-stream"), None, b"PK\x03\x04"),
            Some(Format::Zip)
        );
        assert_eq!(sniff(Some("image/png"), None, b"PK\x03\x04"), None);
        assert_eq!(sniff(Some("text/plain"), Some("notes.txt"), b"hello"), None);
        assert_eq!(sniff(None, Some("old.xls"), CFB_MAGIC), Some(Format::Xls));
        assert_eq!(
            sniff(None, Some("x.docx"), CFB_MAGIC),
            Some(Format::Compound)
        );
    }

    #[test]
    fn a_text_file_under_a_spreadsheet_media_type_is_text() {
        let excel = Some("application/vnd.ms-excel");
        assert_eq!(sniff(excel, Some("patients.csv"), b"Name,DOB\n"), None);
        // A real workbook under that type, or one without a name, is not.
        assert_eq!(
            sniff(excel, Some("patients.csv"), CFB_MAGIC),
            Some(Format::Xls)
        );
        assert_eq!(sniff(excel, None, b"Name,DOB\n"), Some(Format::Xls));
        assert_eq!(
            sniff(excel, Some("book.xls"), b"Name,DOB\n"),
            Some(Format::Xls)
        );
    }
}
