//! ZIP containers: plain archives, read recursively, and the ZIP packages of
//! office formats, told apart by what they hold.
//!
//! Every entry is decompressed through a `take` bounded by what is left of
//! the container's expansion allowance and of `max_archive_bytes`: the sizes
//! in a ZIP's directory are claims, and a bomb lies about them.

use std::io::{self, Cursor, Read};

use zip::result::ZipError;
use zip::ZipArchive;

use super::{Extractor, Format, Reason};

pub(super) type Archive<'b> = ZipArchive<Cursor<&'b [u8]>>;

/// What one container may still inflate to under `max_expansion_ratio`.
pub(super) struct Allowance(u64);

impl Allowance {
    pub(super) fn for_container(ex: &Extractor<'_>, compressed_len: usize) -> Allowance {
        Allowance(ex.expansion_allowance(compressed_len))
    }
}

/// Opens `bytes` as a ZIP and reads it as what its contents say it is.
pub(super) fn extract_zip(
    ex: &mut Extractor<'_>,
    bytes: &[u8],
    inner: &str,
    depth: u32,
) -> Result<(), Reason> {
    let mut archive = ZipArchive::new(Cursor::new(bytes)).map_err(|_| Reason::Corrupt)?;
    let mut allowance = Allowance::for_container(ex, bytes.len());
    let kind = package_kind(&mut archive);
    match kind {
        #[cfg(feature = "office")]
        Some(Format::Xlsx) => super::sheet::extract_xlsx(ex, archive, bytes, &mut allowance, inner),
        #[cfg(feature = "office")]
        Some(Format::Ods) => super::sheet::extract_ods(ex, archive, &mut allowance, inner),
        #[cfg(feature = "office")]
        Some(kind @ (Format::Docx | Format::Pptx | Format::Odt)) => {
            super::document::extract(ex, archive, kind, &mut allowance, inner, depth)
        }
        #[cfg(feature = "archives")]
        None => extract_archive(ex, archive, &mut allowance, inner, depth),
        _ => Err(Reason::Unsupported),
    }
}

/// Office Open XML packages are known by their main part; OpenDocument ones
/// by the `mimetype` entry they must store first (ODF 1.2 part 3, §3.3).
fn package_kind(archive: &mut Archive<'_>) -> Option<Format> {
    let kind = archive.file_names().find_map(|name| match name {
        "xl/workbook.xml" | "xl/workbook.bin" => Some(Format::Xlsx),
        "word/document.xml" => Some(Format::Docx),
        "ppt/presentation.xml" => Some(Format::Pptx),
        _ => None,
    });
    if kind.is_some() {
        return kind;
    }
    let mut mimetype = String::new();
    let mut entry = archive.by_name("mimetype").ok()?;
    entry
        .by_ref()
        .take(100)
        .read_to_string(&mut mimetype)
        .ok()?;
    match mimetype.trim() {
        "application/vnd.oasis.opendocument.spreadsheet" => Some(Format::Ods),
        "application/vnd.oasis.opendocument.text"
        | "application/vnd.oasis.opendocument.presentation" => Some(Format::Odt),
        _ => None,
    }
}

/// An entry's name and flags, from the central directory (nothing is
/// decompressed).
#[cfg_attr(not(feature = "archives"), allow(dead_code))]
pub(super) struct EntryInfo {
    pub(super) name: String,
    pub(super) is_dir: bool,
    pub(super) encrypted: bool,
}

pub(super) fn entry_info(archive: &mut Archive<'_>, index: usize) -> Result<EntryInfo, Reason> {
    let file = archive.by_index_raw(index).map_err(|_| Reason::Corrupt)?;
    Ok(EntryInfo {
        name: file.name().to_string(),
        is_dir: file.is_dir(),
        encrypted: file.encrypted(),
    })
}

/// Decompresses entry `index`, within the container's allowance and
/// `max_archive_bytes`. With `keep` false the bytes are only counted (a
/// dry run before handing the archive to a reader that does not bound its
/// own decompression).
pub(super) fn read_entry(
    ex: &mut Extractor<'_>,
    archive: &mut Archive<'_>,
    index: usize,
    allowance: &mut Allowance,
    keep: bool,
) -> Result<Vec<u8>, Reason> {
    let cap = allowance.0.min(ex.archive_bytes_left);
    let file = archive.by_index(index).map_err(|e| match e {
        ZipError::UnsupportedArchive(m) if m == ZipError::PASSWORD_REQUIRED => Reason::Encrypted,
        ZipError::InvalidPassword => Reason::Encrypted,
        ZipError::UnsupportedArchive(_) => Reason::Unsupported,
        _ => Reason::Corrupt,
    })?;
    let declared = file.size();
    let mut limited = file.take(cap.saturating_add(1));
    let mut data = Vec::new();
    let read = if keep {
        // Trust the declared size only as a capacity hint, within the cap.
        data.reserve(declared.min(cap).min(64 << 20) as usize);
        limited.read_to_end(&mut data).map(|n| n as u64)
    } else {
        io::copy(&mut limited, &mut io::sink())
    };
    let read = read.map_err(|_| Reason::Corrupt)?;
    if read > cap {
        ex.hit(if cap == ex.archive_bytes_left {
            "limits.max_archive_bytes"
        } else {
            "limits.max_expansion_ratio"
        });
        ex.archive_bytes_left = ex.archive_bytes_left.saturating_sub(cap);
        allowance.0 = 0;
        return Err(Reason::ExpansionLimit);
    }
    ex.archive_bytes_left -= read;
    allowance.0 -= read;
    Ok(data)
}

/// Counts every entry and decompresses each into nothing, so that a reader
/// that inflates without bounds (calamine) is only given archives known to
/// stay within the limits.
#[cfg(feature = "office")]
pub(super) fn dry_run(
    ex: &mut Extractor<'_>,
    archive: &mut Archive<'_>,
    allowance: &mut Allowance,
) -> Result<(), Reason> {
    for index in 0..archive.len() {
        if !ex.take_entry() {
            return Err(Reason::EntryLimit);
        }
        let info = entry_info(archive, index)?;
        if info.encrypted {
            return Err(Reason::Encrypted);
        }
        if !info.is_dir {
            read_entry(ex, archive, index, allowance, false)?;
        }
    }
    Ok(())
}

/// Reads a plain archive: each entry as text, as a format this module reads
/// (one container deeper), or lists it as not scanned.
#[cfg(feature = "archives")]
fn extract_archive(
    ex: &mut Extractor<'_>,
    mut archive: Archive<'_>,
    allowance: &mut Allowance,
    inner: &str,
    depth: u32,
) -> Result<(), Reason> {
    for index in 0..archive.len() {
        let info = match entry_info(&mut archive, index) {
            Ok(info) => info,
            Err(reason) => {
                ex.skip(&format!("{inner}/#{index}"), reason);
                continue;
            }
        };
        if info.is_dir {
            continue;
        }
        let entry_inner = format!("{inner}/{}", info.name);
        if !ex.take_entry() {
            ex.skip(&entry_inner, Reason::EntryLimit);
            return Ok(());
        }
        if info.encrypted {
            ex.skip(&entry_inner, Reason::Encrypted);
            continue;
        }
        let data = match read_entry(ex, &mut archive, index, allowance, true) {
            Ok(data) => data,
            Err(Reason::ExpansionLimit) => {
                // A bomb: the rest of this container is not worth inflating.
                ex.skip(&entry_inner, Reason::ExpansionLimit);
                return Ok(());
            }
            Err(reason) => {
                ex.skip(&entry_inner, reason);
                continue;
            }
        };
        extract_entry(ex, &data, &info.name, &entry_inner, depth);
    }
    Ok(())
}

/// Reads one file taken out of a container.
pub(super) fn extract_entry(
    ex: &mut Extractor<'_>,
    data: &[u8],
    name: &str,
    inner: &str,
    depth: u32,
) {
    let lower = name.to_ascii_lowercase();
    if let Some(format) = super::sniff(None, Some(&lower), data) {
        ex.extract(data, format, inner, depth + 1);
    } else if crate::message::is_textual(None, Some(&lower)) {
        let text = String::from_utf8_lossy(data).into_owned();
        ex.push_text(inner.to_string(), text, None);
    } else {
        ex.skip(inner, Reason::Binary);
    }
}

/// OpenDocument encrypts entries itself, not with ZIP encryption: the
/// manifest then describes the cipher (ODF 1.2 part 3, §4.8.4).
#[cfg(feature = "office")]
pub(super) fn odf_encrypted(
    ex: &mut Extractor<'_>,
    archive: &mut Archive<'_>,
    allowance: &mut Allowance,
) -> Result<bool, Reason> {
    let Some(index) = archive.index_for_name("META-INF/manifest.xml") else {
        return Ok(false);
    };
    if !ex.take_entry() {
        return Err(Reason::EntryLimit);
    }
    let manifest = read_entry(ex, archive, index, allowance, true)?;
    Ok(memchr::memmem::find(&manifest, b"encryption-data").is_some())
}
