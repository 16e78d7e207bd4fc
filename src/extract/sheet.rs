//! Spreadsheets → one CSV text per sheet, header row first, with a
//! [`CellMap`] back to the cells.
//!
//! XLSX cells are streamed with calamine's cell reader, never through its
//! dense `Range`: a sheet with one cell in A1 and one in XFD1048576 would make
//! that range 17 billion cells. ODS is read here, with quick-xml, because
//! calamine expands `number-columns-repeated` without a bound. XLS goes
//! through calamine's `Range`, which its format caps at 65536 × 256 cells.

use std::borrow::Cow;
use std::io::Cursor;

use calamine::{Data, DataRef, ExcelDateTime, ExcelDateTimeType, Reader};
use quick_xml::events::{BytesStart, Event};

use super::zipped::{self, Allowance, Archive};
use super::{CellMap, Extractor, Reason};

/// A repeated ODS row or cell is written out at most this many times; the
/// row and column numbers after it still count every repetition.
const MAX_REPEAT: u32 = 64;

/// A sheet's non-empty cells: `(row, column, rendered value)`, zero-based.
type Cells = Vec<(u32, u32, String)>;

pub(super) fn extract_xlsx(
    ex: &mut Extractor<'_>,
    mut archive: Archive<'_>,
    bytes: &[u8],
    allowance: &mut Allowance,
    inner: &str,
) -> Result<(), Reason> {
    if archive.index_for_name("xl/workbook.bin").is_some() {
        return Err(Reason::Unsupported); // XLSB
    }
    // calamine inflates parts without a bound: count them first.
    zipped::dry_run(ex, &mut archive, allowance)?;
    drop(archive);
    let mut workbook = calamine::Xlsx::new(Cursor::new(bytes)).map_err(|e| match e {
        calamine::XlsxError::Password => Reason::Encrypted,
        _ => Reason::Corrupt,
    })?;
    for name in workbook.sheet_names() {
        let sheet_inner = format!("{inner}/{name}");
        let Ok(mut reader) = workbook.worksheet_cells_reader(&name) else {
            // Chart sheets and dangling relationships: nothing to read.
            continue;
        };
        let mut cells = Vec::new();
        let mut bytes_read = 0usize;
        let cap = ex.text_cap();
        let mut reason = None;
        loop {
            match reader.next_cell() {
                Ok(Some(cell)) => {
                    let (row, col) = cell.get_position();
                    if let Some(value) = render_ref(cell.get_value()) {
                        bytes_read += value.len() + 1;
                        if bytes_read > cap {
                            reason = Some(Reason::DecodedBytesLimit);
                            break;
                        }
                        cells.push((row, col, value.into_owned()));
                    }
                }
                Ok(None) => break,
                Err(_) => {
                    reason = Some(Reason::Corrupt);
                    break;
                }
            }
        }
        drop(reader);
        write_sheet(ex, sheet_inner, cells, reason);
    }
    Ok(())
}

pub(super) fn extract_xls(ex: &mut Extractor<'_>, bytes: &[u8], inner: &str) -> Result<(), Reason> {
    let mut workbook = calamine::Xls::new(Cursor::new(bytes)).map_err(|e| match e {
        calamine::XlsError::Password => Reason::Encrypted,
        _ => Reason::Corrupt,
    })?;
    for name in workbook.sheet_names() {
        let sheet_inner = format!("{inner}/{name}");
        let range = match workbook.worksheet_range(&name) {
            Ok(range) => range,
            Err(_) => {
                ex.skip(&sheet_inner, Reason::Corrupt);
                continue;
            }
        };
        let Some((row0, col0)) = range.start() else {
            continue;
        };
        let cap = ex.text_cap();
        let mut bytes_read = 0usize;
        let mut reason = None;
        let mut cells = Vec::new();
        for (row, col, value) in range.cells() {
            if let Some(value) = render(value) {
                bytes_read += value.len() + 1;
                if bytes_read > cap {
                    reason = Some(Reason::DecodedBytesLimit);
                    break;
                }
                cells.push((row0 + row as u32, col0 + col as u32, value.into_owned()));
            }
        }
        write_sheet(ex, sheet_inner, cells, reason);
    }
    Ok(())
}

pub(super) fn extract_ods(
    ex: &mut Extractor<'_>,
    mut archive: Archive<'_>,
    allowance: &mut Allowance,
    inner: &str,
) -> Result<(), Reason> {
    if zipped::odf_encrypted(ex, &mut archive, allowance)? {
        return Err(Reason::Encrypted);
    }
    let index = archive
        .index_for_name("content.xml")
        .ok_or(Reason::Corrupt)?;
    if !ex.take_entry() {
        return Err(Reason::EntryLimit);
    }
    let xml = zipped::read_entry(ex, &mut archive, index, allowance, true)?;
    let cap = ex.text_cap();
    let mut reader = quick_xml::Reader::from_reader(xml.as_slice());
    let mut buf = Vec::new();
    let mut sheet: Option<(String, Cells)> = None;
    let mut bytes_read = 0usize;
    let (mut row, mut col, mut row_repeat) = (0u32, 0u32, 1u32);
    let mut row_cells: Cells = Vec::new();
    // The cell being read: repetitions, value from its attributes, text.
    let mut cell: Option<(u32, Option<String>, String)> = None;
    let mut reason = None;
    loop {
        let event = match reader.read_event_into(&mut buf) {
            Ok(Event::Eof) => break,
            Ok(event) => event,
            Err(_) => {
                reason = Some(Reason::Corrupt);
                break;
            }
        };
        let is_empty = matches!(event, Event::Empty(_));
        match event {
            Event::Start(e) if e.name().as_ref() == b"table:table" => {
                let name = attr(&e, b"table:name").unwrap_or_default();
                sheet = Some((name, Vec::new()));
                row = 0;
            }
            Event::End(e) if e.name().as_ref() == b"table:table" => {
                if let Some((name, cells)) = sheet.take() {
                    write_sheet(ex, format!("{inner}/{name}"), cells, reason.take());
                }
            }
            Event::Start(e) if e.name().as_ref() == b"table:table-row" => {
                row_repeat = repeat(&e, b"table:number-rows-repeated");
                row_cells.clear();
                col = 0;
            }
            Event::Empty(e) if e.name().as_ref() == b"table:table-row" => {
                row = row.saturating_add(repeat(&e, b"table:number-rows-repeated"));
            }
            Event::End(e) if e.name().as_ref() == b"table:table-row" => {
                if let Some((_, cells)) = sheet.as_mut() {
                    for k in 0..row_repeat.min(MAX_REPEAT) {
                        for (c, n, value) in &row_cells {
                            for j in 0..(*n).min(MAX_REPEAT) {
                                bytes_read += value.len() + 1;
                                cells.push((
                                    row.saturating_add(k),
                                    c.saturating_add(j),
                                    value.clone(),
                                ));
                            }
                        }
                    }
                }
                if bytes_read > cap {
                    reason = Some(Reason::DecodedBytesLimit);
                    break;
                }
                row = row.saturating_add(row_repeat);
            }
            Event::Start(e) | Event::Empty(e)
                if matches!(
                    e.name().as_ref(),
                    b"table:table-cell" | b"table:covered-table-cell"
                ) =>
            {
                let n = repeat(&e, b"table:number-columns-repeated");
                let value = ods_value(&e);
                cell = Some((n, value, String::new()));
                if is_empty {
                    finish_cell(&mut cell, &mut row_cells, &mut col);
                }
            }
            Event::End(e)
                if matches!(
                    e.name().as_ref(),
                    b"table:table-cell" | b"table:covered-table-cell"
                ) =>
            {
                finish_cell(&mut cell, &mut row_cells, &mut col);
            }
            Event::Text(t) => {
                if let Some((_, _, text)) = cell.as_mut() {
                    match t.unescape() {
                        Ok(s) => text.push_str(&s),
                        Err(_) => text.push_str(&String::from_utf8_lossy(&t)),
                    }
                }
            }
            Event::Start(e) | Event::Empty(e) => {
                if let Some((_, _, text)) = cell.as_mut() {
                    match e.local_name().as_ref() {
                        b"s" | b"tab" | b"line-break" => text.push(' '),
                        b"p" if !text.is_empty() => text.push(' '),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
        buf.clear();
    }
    if let Some((name, cells)) = sheet.take() {
        write_sheet(ex, format!("{inner}/{name}"), cells, reason.take());
    }
    match reason {
        Some(reason) => Err(reason),
        None => Ok(()),
    }
}

fn finish_cell(
    cell: &mut Option<(u32, Option<String>, String)>,
    row_cells: &mut Cells,
    col: &mut u32,
) {
    if let Some((n, value, text)) = cell.take() {
        let value = value.unwrap_or(text);
        let value = value.trim();
        if !value.is_empty() {
            row_cells.push((*col, n, value.to_string()));
        }
        *col = col.saturating_add(n);
    }
}

fn attr(e: &BytesStart<'_>, name: &[u8]) -> Option<String> {
    let attribute = e.try_get_attribute(name).ok()??;
    let raw = std::str::from_utf8(&attribute.value).ok()?;
    quick_xml::escape::unescape(raw).ok().map(Cow::into_owned)
}

fn repeat(e: &BytesStart<'_>, name: &[u8]) -> u32 {
    attr(e, name)
        .and_then(|v| v.parse::<u32>().ok())
        .unwrap_or(1)
        .max(1)
}

/// A typed ODS cell's value from its attributes (ODF 1.2 §19.385-19.391):
/// numbers as digits when integral, dates as written.
fn ods_value(e: &BytesStart<'_>) -> Option<String> {
    match attr(e, b"office:value-type")?.as_str() {
        "float" | "percentage" | "currency" => {
            let value = attr(e, b"office:value")?;
            Some(match value.parse::<f64>() {
                Ok(f) => number(f),
                Err(_) => value,
            })
        }
        "date" => attr(e, b"office:date-value"),
        "time" => attr(e, b"office:time-value"),
        "boolean" => attr(e, b"office:boolean-value").map(|v| v.to_ascii_uppercase()),
        _ => None,
    }
}

/// Renders a sheet's cells as CSV and hands it over with its cell map.
fn write_sheet(ex: &mut Extractor<'_>, inner: String, mut cells: Cells, reason: Option<Reason>) {
    // Cells come in document order, which is row order in files Excel writes.
    if !cells
        .windows(2)
        .all(|w| (w[0].0, w[0].1) <= (w[1].0, w[1].1))
    {
        cells.sort_by_key(|&(r, c, _)| (r, c));
    }
    let mut out = SheetText::default();
    for (row, col, value) in &cells {
        out.push(*row, *col, value);
    }
    if let Some(reason) = reason {
        if reason == Reason::DecodedBytesLimit {
            ex.hit("limits.max_decoded_bytes");
        }
        ex.skip(&inner, reason);
    }
    ex.push_text(inner, out.text, Some(out.cells));
}

/// One sheet as CSV (RFC 4180 quoting): a line per non-empty row, empty
/// cells kept as empty fields so columns line up with the header.
#[derive(Default)]
struct SheetText {
    text: String,
    cells: CellMap,
    row: Option<u32>,
    col: u32,
}

impl SheetText {
    fn push(&mut self, row: u32, col: u32, value: &str) {
        let separators = match self.row {
            Some(r) if r == row => col.saturating_sub(self.col).max(1),
            Some(_) => {
                self.text.push('\n');
                col
            }
            None => col,
        };
        for _ in 0..separators {
            self.text.push(',');
        }
        self.cells.push(self.text.len(), row, col);
        if value.contains([',', '"', '\n', '\r']) {
            self.text.push('"');
            self.text.push_str(&value.replace('"', "\"\""));
            self.text.push('"');
        } else {
            self.text.push_str(value);
        }
        self.row = Some(row);
        self.col = col;
    }
}

fn render(value: &Data) -> Option<Cow<'_, str>> {
    Some(match value {
        Data::Empty => return None,
        Data::String(s) => Cow::Borrowed(s.trim()),
        Data::Int(i) => Cow::Owned(i.to_string()),
        Data::Float(f) => Cow::Owned(number(*f)),
        Data::Bool(b) => Cow::Borrowed(if *b { "TRUE" } else { "FALSE" }),
        Data::DateTime(dt) => Cow::Owned(datetime(dt)),
        Data::DateTimeIso(s) | Data::DurationIso(s) => Cow::Borrowed(s.as_str()),
        Data::Error(e) => Cow::Owned(e.to_string()),
    })
    .filter(|s| !s.is_empty())
}

/// A streamed XLSX cell as text: shared strings borrowed, the rest as for
/// [`render`].
fn render_ref<'a>(value: &'a DataRef<'_>) -> Option<Cow<'a, str>> {
    match value {
        DataRef::SharedString(s) => Some(Cow::Borrowed(s.trim())).filter(|s| !s.is_empty()),
        other => render(&Data::from(other.clone())).map(|s| Cow::Owned(s.into_owned())),
    }
}

/// Spreadsheets store every number as an IEEE double, identifiers included
/// (an NHS number typed into Excel is the float 9434765919). Integral values
/// are written as digits, never `9434765919.0` or `9.43E+09`; 2^53 is where
/// doubles stop holding every integer.
pub(super) fn number(f: f64) -> String {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    if f.is_finite() && f.fract() == 0.0 && f.abs() <= EXACT {
        format!("{}", f as i64)
    } else {
        format!("{f}")
    }
}

/// An Excel serial date as ISO 8601. The 1900 system counts from
/// 1899-12-31 and keeps Lotus 1-2-3's phantom 1900-02-29 (serial 60); the
/// 1904 system counts from 1904-01-01. Durations stay numbers.
fn datetime(dt: &ExcelDateTime) -> String {
    let serial = dt.as_f64();
    // calamine keeps the date system private; equality with a rebuilt value
    // recovers it through the public constructor.
    let is_1904 = *dt == ExcelDateTime::new(serial, ExcelDateTimeType::DateTime, true);
    let is_duration = *dt == ExcelDateTime::new(serial, ExcelDateTimeType::TimeDelta, is_1904);
    if is_duration || !serial.is_finite() || !(0.0..3_000_000.0).contains(&serial) {
        return number(serial);
    }
    let days = serial.floor() as i64;
    let seconds = ((serial - serial.floor()) * 86_400.0).round() as i64;
    // Days from 1970-01-01.
    let unix_days = if is_1904 {
        days - 24_107
    } else if days >= 61 {
        days - 25_569
    } else {
        days - 25_568
    };
    let time = format!(
        "{:02}:{:02}:{:02}",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    );
    if days == 0 && !is_1904 {
        return time;
    }
    let (y, m, d) = civil_from_days(unix_days);
    if seconds == 0 {
        format!("{y:04}-{m:02}-{d:02}")
    } else {
        format!("{y:04}-{m:02}-{d:02} {time}")
    }
}

/// Proleptic Gregorian date of a day count from 1970-01-01 (H. Hinnant,
/// "chrono-Compatible Low-Level Date Algorithms").
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::super::testdata::{ods, rows, xlsx};
    use super::super::{extract, Format};
    use super::*;
    use crate::policy::Policy;

    fn sheet_texts(bytes: &[u8], format: Format, name: &str) -> Vec<(String, String)> {
        let policy = Policy::default();
        let out = extract(bytes, format, name, &policy.limits, u64::MAX);
        assert!(out.skipped.is_empty(), "{:?}", out.skipped);
        out.texts.into_iter().map(|t| (t.inner, t.text)).collect()
    }

    #[test]
    fn xlsx_sheet_is_csv_with_header_first_and_digits() {
        let book = xlsx(&[(
            "Patients",
            rows(&[
                &["", "", ""],
                &["Name", "NHS No", "DOB, UK"],
                &["Ann", "=9434765919", "=9.434765919E9"],
                &["Bo \"B\"", "=0.25", ""],
            ]),
        )]);
        assert_eq!(
            sheet_texts(&book, Format::Xlsx, "p.xlsx"),
            [(
                "p.xlsx/Patients".to_string(),
                "Name,NHS No,\"DOB, UK\"\nAnn,9434765919,9434765919\n\"Bo \"\"B\"\"\",0.25"
                    .to_string()
            )]
        );
    }

    #[test]
    fn xlsx_inline_strings_booleans_and_dates_render() {
        let sheet = r#"<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="2"><c r="B2" t="inlineStr"><is><t>Flag</t></is></c><c r="C2" t="b"><v>1</v></c><c r="D2" t="e"><v>#N/A</v></c></row></sheetData></worksheet>"#;
        let book = super::super::testdata::zip_of(&[
            ("xl/workbook.xml", br#"<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>"#.as_slice()),
            ("xl/_rels/workbook.xml.rels", br#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#.as_slice()),
            ("xl/worksheets/sheet1.xml", sheet.as_bytes()),
        ]);
        assert_eq!(
            sheet_texts(&book, Format::Xlsx, "s.xlsx"),
            [("s.xlsx/S".to_string(), ",Flag,TRUE,#N/A".to_string())]
        );
    }

    #[test]
    fn ods_sheet_is_csv_with_digits() {
        let book = ods("T", &rows(&[&["NHS No", "Name"], &["=9434765919", "Ann"]]));
        assert_eq!(
            sheet_texts(&book, Format::Ods, "t.ods"),
            [(
                "t.ods/T".to_string(),
                "NHS No,Name\n9434765919,Ann".to_string()
            )]
        );
    }

    #[test]
    fn ods_repeats_are_bounded() {
        let content = r#"<office:document-content xmlns:office="o" xmlns:table="t" xmlns:text="x"><office:body><office:spreadsheet><table:table table:name="R"><table:table-row table:number-rows-repeated="1000000000"><table:table-cell table:number-columns-repeated="1000000000" office:value-type="string"><text:p>v</text:p></table:table-cell></table:table-row></table:table></office:spreadsheet></office:body></office:document-content>"#;
        let book = super::super::testdata::zip_of(&[
            (
                "mimetype",
                b"application/vnd.oasis.opendocument.spreadsheet".as_slice(),
            ),
            ("content.xml", content.as_bytes()),
        ]);
        let texts = sheet_texts(&book, Format::Ods, "r.ods");
        assert_eq!(texts.len(), 1);
        assert!(texts[0].1.len() <= 2 * 64 * 64, "{}", texts[0].1.len());
    }

    #[test]
    fn integral_numbers_are_digits() {
        assert_eq!(number(9_434_765_919.0), "9434765919");
        assert_eq!(number(-3.0), "-3");
        assert_eq!(number(0.5), "0.5");
        assert_eq!(number(1e20), "100000000000000000000");
    }

    #[test]
    fn serial_dates_become_iso() {
        let date = |serial, is_1904| {
            datetime(&ExcelDateTime::new(
                serial,
                ExcelDateTimeType::DateTime,
                is_1904,
            ))
        };
        assert_eq!(date(25_569.0, false), "1970-01-01");
        assert_eq!(date(30_758.0, false), "1984-03-17");
        assert_eq!(date(1.0, false), "1900-01-01");
        assert_eq!(date(61.0, false), "1900-03-01");
        assert_eq!(date(0.0, true), "1904-01-01");
        assert_eq!(date(44_484.5, false), "2021-10-15 12:00:00");
        assert_eq!(date(0.25, false), "06:00:00");
    }

    #[test]
    fn sheet_text_keeps_columns_and_quotes() {
        let mut sheet = SheetText::default();
        sheet.push(0, 0, "Name");
        sheet.push(0, 2, "Email");
        sheet.push(3, 1, "Smith, J");
        sheet.push(3, 2, "a@b.example");
        assert_eq!(sheet.text, "Name,,Email\n,\"Smith, J\",a@b.example");
        let at = sheet.text.find("a@b").unwrap_or(0);
        assert_eq!(sheet.cells.cell_at(at).as_deref(), Some("C4"));
    }
}
