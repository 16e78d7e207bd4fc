//! Word-processing documents and presentations (DOCX, PPTX, ODT, ODP): the
//! text runs of their XML parts, one text per part (`letter.docx`,
//! `letter.docx/comments`, `deck.pptx/slide3`).

use quick_xml::events::Event;

use super::zipped::{self, Allowance, Archive};
use super::{Extractor, Format, Reason};

/// Where an embedded file (a workbook pasted into a letter) lives.
const EMBEDDINGS: &[&str] = &["word/embeddings/", "ppt/embeddings/", "xl/embeddings/"];

pub(super) fn extract(
    ex: &mut Extractor<'_>,
    mut archive: Archive<'_>,
    kind: Format,
    allowance: &mut Allowance,
    inner: &str,
    depth: u32,
) -> Result<(), Reason> {
    if kind == Format::Odt && zipped::odf_encrypted(ex, &mut archive, allowance)? {
        return Err(Reason::Encrypted);
    }
    // (sort key, entry index, label), label "" for the main text.
    let mut parts: Vec<((u8, u32), usize, String)> = Vec::new();
    let mut embedded: Vec<(usize, String)> = Vec::new();
    let names: Vec<String> = archive.file_names().map(str::to_string).collect();
    for name in names {
        let Some(index) = archive.index_for_name(&name) else {
            continue;
        };
        if let Some(part) = text_part(kind, &name) {
            parts.push((part.0, index, part.1));
        } else if EMBEDDINGS.iter().any(|dir| name.starts_with(dir)) {
            embedded.push((index, name));
        }
    }
    if parts.is_empty() {
        return Err(Reason::Corrupt);
    }
    parts.sort();
    for (_, index, label) in parts {
        let part_inner = if label.is_empty() {
            inner.to_string()
        } else {
            format!("{inner}/{label}")
        };
        if !ex.take_entry() {
            ex.skip(&part_inner, Reason::EntryLimit);
            return Ok(());
        }
        let xml = zipped::read_entry(ex, &mut archive, index, allowance, true)?;
        match xml_text(&xml, ex.text_cap()) {
            Ok(text) => ex.push_text(part_inner, text, None),
            Err(reason) => ex.skip(&part_inner, reason),
        }
    }
    for (index, name) in embedded {
        let entry_inner = format!("{inner}/{name}");
        if !ex.take_entry() {
            ex.skip(&entry_inner, Reason::EntryLimit);
            return Ok(());
        }
        match zipped::read_entry(ex, &mut archive, index, allowance, true) {
            Ok(data) => zipped::extract_entry(ex, &data, &name, &entry_inner, depth),
            Err(reason) => ex.skip(&entry_inner, reason),
        }
    }
    Ok(())
}

/// The XML parts that hold a document's text, with an order and a label.
fn text_part(kind: Format, name: &str) -> Option<((u8, u32), String)> {
    let numbered = |prefix: &str| -> Option<u32> {
        name.strip_prefix(prefix)?
            .strip_suffix(".xml")?
            .parse()
            .ok()
    };
    match kind {
        Format::Docx => {
            let stem = name.strip_prefix("word/")?.strip_suffix(".xml")?;
            if stem == "document" {
                return Some(((0, 0), String::new()));
            }
            let order = ["header", "footer", "footnotes", "endnotes", "comments"]
                .iter()
                .position(|p| {
                    stem.strip_prefix(p)
                        .is_some_and(|n| n.chars().all(|c| c.is_ascii_digit()))
                })?;
            Some(((order as u8 + 1, 0), stem.to_string()))
        }
        Format::Pptx => {
            if let Some(n) = numbered("ppt/slides/slide") {
                Some(((0, n), format!("slide{n}")))
            } else {
                numbered("ppt/notesSlides/notesSlide").map(|n| ((1, n), format!("notes{n}")))
            }
        }
        Format::Odt => match name {
            "content.xml" => Some(((0, 0), String::new())),
            "styles.xml" => Some(((1, 0), "styles".to_string())),
            _ => None,
        },
        _ => None,
    }
}

/// The character data of an XML part, with paragraphs, table rows and
/// breaks as newlines and cells and tabs as tabs. Every text node counts:
/// deleted revisions and field codes are still in the file that leaves.
pub(super) fn xml_text(xml: &[u8], cap: usize) -> Result<String, Reason> {
    let mut reader = quick_xml::Reader::from_reader(xml);
    let mut buf = Vec::new();
    let mut text = String::new();
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Eof) => break,
            Ok(Event::Text(t)) => match t.unescape() {
                Ok(s) => text.push_str(&s),
                Err(_) => text.push_str(&String::from_utf8_lossy(&t)),
            },
            Ok(Event::CData(t)) => text.push_str(&String::from_utf8_lossy(&t)),
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) => match e.local_name().as_ref() {
                b"tab" => text.push('\t'),
                b"br" | b"cr" | b"line-break" => text.push('\n'),
                b"s" => text.push(' '),
                _ => {}
            },
            Ok(Event::End(e)) => match e.local_name().as_ref() {
                b"p" | b"h" | b"tr" | b"table-row" => text.push('\n'),
                b"tc" | b"table-cell" => text.push('\t'),
                _ => {}
            },
            Ok(_) => {}
            Err(_) if !text.is_empty() => break,
            Err(_) => return Err(Reason::Corrupt),
        }
        if text.len() > cap {
            let mut cut = cap;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            text.truncate(cut);
            break;
        }
        buf.clear();
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_runs_keep_paragraphs_and_cells_apart() {
        let xml = br#"<w:document xmlns:w="w"><w:body>
<w:p><w:r><w:t>Dear</w:t></w:r><w:r><w:tab/><w:t xml:space="preserve">Ann &amp; Bo</w:t></w:r></w:p>
<w:tbl><w:tr><w:tc><w:p><w:r><w:t>a</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>b</w:t></w:r></w:p></w:tc></w:tr></w:tbl>
</w:body></w:document>"#;
        let text = xml_text(xml, usize::MAX).unwrap_or_default();
        assert!(text.contains("Dear\tAnn & Bo\n"), "{text:?}");
        assert!(text.contains("a\n\tb\n\t\n"), "{text:?}");
    }

    #[test]
    fn docx_and_pptx_parts_are_labelled() {
        assert_eq!(
            text_part(Format::Docx, "word/document.xml"),
            Some(((0, 0), String::new()))
        );
        assert_eq!(
            text_part(Format::Docx, "word/footer2.xml").map(|p| p.1),
            Some("footer2".to_string())
        );
        assert_eq!(text_part(Format::Docx, "word/styles.xml"), None);
        assert_eq!(
            text_part(Format::Pptx, "ppt/slides/slide12.xml"),
            Some(((0, 12), "slide12".to_string()))
        );
    }
}
