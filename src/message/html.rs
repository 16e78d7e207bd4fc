//! HTML bodies → text for the detectors.
//!
//! mail-parser has a converter, but it joins adjacent table cells
//! (`<td>DOB</td><td>14/07/1983</td>` becomes `DOB14/07/1983`) and keeps
//! no-break spaces, which breaks the word boundaries every detector relies
//! on. Here block elements end a line, cells are separated by a tab, the
//! contents of `script`, `style`, `head` and comments are dropped, and
//! character references are decoded, with no-break spaces as plain spaces.
//! One pass, linear in the input.
//!
//! The same pass collects the targets of `mailto:` and `tel:` links: an
//! address behind "email me" is sent as surely as one in the text.

/// At most this many link targets are kept from one HTML part.
pub(crate) const MAX_LINKS: usize = 1000;
/// A link target longer than this is not an address or a number.
const MAX_TARGET_BYTES: usize = 256;

/// Converts an HTML document or fragment to plain text, and appends the
/// targets of its `mailto:` and `tel:` links to `links` (`mailto: a@b.example`,
/// `tel: +44 7700 900123`).
pub(crate) fn html_to_text(html: &str, links: &mut Links) -> String {
    let mut text = Text(String::with_capacity(html.len() / 2));
    walk(html, &mut text, links);
    text.0
}

/// `plain` says what `html` says: the two hold the same words once white
/// space is collapsed (`same_words(plain, &html_to_text(html))`), decided
/// without building the text, and stopping at the first word that differs.
/// When it does, `links` holds the targets of all the HTML's links (as
/// [`html_to_text`] appends them); otherwise some of them.
pub(crate) fn html_says(plain: &str, html: &str, links: &mut Links) -> bool {
    let mut compare = SameWords {
        plain,
        at: skip_space(plain, 0),
        started: false,
        space: false,
    };
    walk(html, &mut compare, links) && skip_space(plain, compare.at) == plain.len()
}

/// The targets of an HTML part's `mailto:` and `tel:` links, each once, in
/// document order, as `scheme: target` (the scheme labels the value for the
/// detectors, as `Tel:` would in text); at most [`MAX_LINKS`].
#[derive(Debug, Default)]
pub(crate) struct Links {
    targets: Vec<String>,
    seen: std::collections::HashSet<String>,
}

impl Links {
    fn push(&mut self, scheme: &str, target: &str) {
        if self.targets.len() >= MAX_LINKS {
            return;
        }
        let link = format!("{scheme}: {target}");
        if self.seen.insert(link.clone()) {
            self.targets.push(link);
        }
    }

    pub(crate) fn clear(&mut self) {
        self.targets.clear();
        self.seen.clear();
    }

    /// The targets, in document order.
    pub(crate) fn into_targets(self) -> Vec<String> {
        self.targets
    }

    /// Keeps only the targets that `text` does not already show: an
    /// address compared without regard to case, a number by its digits.
    /// One pass over the text for all the targets (an Aho-Corasick
    /// automaton), so the cost stays linear however many links a part has.
    pub(crate) fn keep_unshown(&mut self, text: &str) {
        if self.targets.is_empty() {
            return;
        }
        let wanted = |link: &str| -> String {
            let target = link.split_once(": ").map_or(link, |(_, target)| target);
            if target.contains('@') {
                target.to_string()
            } else {
                target.chars().filter(char::is_ascii_digit).collect()
            }
        };
        let wanted: Vec<String> = self.targets.iter().map(|link| wanted(link)).collect();
        let (addresses, numbers): (Vec<usize>, Vec<usize>) =
            (0..wanted.len()).partition(|&i| wanted[i].contains('@'));
        let mut shown = vec![false; wanted.len()];
        let mut mark = |which: &[usize], haystack: &[u8], caseless: bool| {
            let automaton = aho_corasick::AhoCorasick::builder()
                .ascii_case_insensitive(caseless)
                .build(which.iter().map(|&i| wanted[i].as_bytes()));
            // Should it not build, every target is kept: read twice at
            // worst, never missed.
            let Ok(automaton) = automaton else {
                return;
            };
            for found in automaton.find_overlapping_iter(haystack) {
                shown[which[found.pattern().as_usize()]] = true;
            }
        };
        if !addresses.is_empty() {
            mark(&addresses, text.as_bytes(), true);
        }
        if !numbers.is_empty() {
            let digits: Vec<u8> = text.bytes().filter(u8::is_ascii_digit).collect();
            mark(&numbers, &digits, false);
        }
        let mut index = 0;
        self.targets.retain(|_| {
            index += 1;
            !shown[index - 1]
        });
    }
}

/// Appends the target of the link tag `tag` (the text between `<` and `>`
/// of an `a` or `area` start tag) when it is a `mailto:` or `tel:` one:
/// character references and percent escapes decoded, query parts dropped,
/// each address of a `mailto:` list on its own.
fn link_target(tag: &str, links: &mut Links) {
    let Some(href) = attribute(tag, "href") else {
        return;
    };
    // Character references decoded as in text (white space collapsed).
    let mut decoded = Text(String::with_capacity(href.len()));
    walk_text(href, &mut decoded);
    let href = decoded.0;
    let href = href.trim();
    let scheme_end = match href.find(':') {
        Some(i) if i <= 6 => i,
        _ => return,
    };
    let scheme = &href[..scheme_end];
    let rest = &href[scheme_end + 1..];
    if scheme.eq_ignore_ascii_case("mailto") {
        let addresses = rest.split('?').next().unwrap_or_default();
        for address in percent_decoded(addresses).split(',') {
            let address = address.trim();
            if address.contains('@') && address.len() <= MAX_TARGET_BYTES {
                links.push("mailto", address);
            }
        }
    } else if ["tel", "callto", "sms"]
        .iter()
        .any(|s| scheme.eq_ignore_ascii_case(s))
    {
        let number = percent_decoded(rest.split([';', '?']).next().unwrap_or_default());
        let number = number.trim();
        let digits = number.bytes().filter(u8::is_ascii_digit).count();
        if digits >= 7 && number.len() <= MAX_TARGET_BYTES {
            links.push("tel", number);
        }
    }
}

/// The raw value of attribute `name` in a start tag's text (`a
/// href="..."`), quoted or not.
fn attribute<'t>(tag: &'t str, name: &str) -> Option<&'t str> {
    let bytes = tag.as_bytes();
    // Past the element's name.
    let mut i = tag
        .find(|c: char| c.is_ascii_whitespace() || c == '/')
        .unwrap_or(tag.len());
    while i < bytes.len() {
        while i < bytes.len() && (bytes[i].is_ascii_whitespace() || bytes[i] == b'/') {
            i += 1;
        }
        let name_start = i;
        while i < bytes.len() && !matches!(bytes[i], b'=' | b'/') && !bytes[i].is_ascii_whitespace()
        {
            i += 1;
        }
        let key = &tag[name_start..i];
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if bytes.get(i) != Some(&b'=') {
            if i == name_start {
                i += 1;
            }
            continue;
        }
        i += 1;
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let value = match bytes.get(i) {
            Some(&quote @ (b'"' | b'\'')) => {
                let end = memchr::memchr(quote, &bytes[i + 1..]).map_or(bytes.len(), |p| i + 1 + p);
                let value = &tag[i + 1..end];
                i = end + 1;
                value
            }
            _ => {
                let start = i;
                while i < bytes.len() && !bytes[i].is_ascii_whitespace() {
                    i += 1;
                }
                &tag[start..i]
            }
        };
        if key.eq_ignore_ascii_case(name) {
            return Some(value);
        }
    }
    None
}

/// `%40` and the like decoded; the text as it is when the result would not
/// be UTF-8.
fn percent_decoded(text: &str) -> String {
    if !text.contains('%') {
        return text.to_string();
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                let value = hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0);
                out.push(value as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| text.to_string())
}

/// What a walk over HTML meets, in document order.
trait Sink {
    /// Text holding no character reference. `false` ends the walk.
    fn text(&mut self, text: &str) -> bool;
    /// A decoded character reference (invisible ones are not reported).
    fn character(&mut self, c: char) -> bool;
    /// A start or end tag outside hidden elements.
    fn element(&mut self, kind: Element, closing: bool) -> bool;
}

/// How an element separates the text around it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Element {
    /// Ends a line (`p`, `br`, `tr`, ...).
    Block,
    /// A table cell: a tab before it.
    Cell,
    /// An image or input: a space before it.
    Replaced,
    /// Separates nothing (`b`, `span`, `a`, ...).
    Inline,
}

impl Element {
    fn of(name: &str) -> Element {
        const BLOCKS: &[&str] = &[
            "br",
            "p",
            "div",
            "tr",
            "li",
            "ul",
            "ol",
            "table",
            "h1",
            "h2",
            "h3",
            "h4",
            "h5",
            "h6",
            "blockquote",
            "pre",
            "hr",
            "section",
            "article",
            "header",
            "footer",
            "address",
            "dt",
            "dd",
            "thead",
            "tbody",
            "tfoot",
            "caption",
            "form",
            "fieldset",
        ];
        const CELLS: &[&str] = &["td", "th"];
        if BLOCKS.iter().any(|b| name.eq_ignore_ascii_case(b)) {
            Element::Block
        } else if CELLS.iter().any(|c| name.eq_ignore_ascii_case(c)) {
            Element::Cell
        } else if name.eq_ignore_ascii_case("img") || name.eq_ignore_ascii_case("input") {
            Element::Replaced
        } else {
            Element::Inline
        }
    }
}

/// One pass over `html`, linear in its length, appending link targets to
/// `links` (see [`link_target`]). `false` when the sink ended the walk.
fn walk<S: Sink>(html: &str, sink: &mut S, links: &mut Links) -> bool {
    let bytes = html.as_bytes();
    let mut i = 0;
    // Inside an element whose content is not text (`script`, `style`, ...).
    let mut skip_until: Option<&'static str> = None;
    loop {
        let lt = memchr::memchr(b'<', &bytes[i..]).map_or(bytes.len(), |p| i + p);
        if skip_until.is_none() && !walk_text(&html[i..lt], sink) {
            return false;
        }
        if lt == bytes.len() {
            return true;
        }
        i = lt;
        if html[i..].starts_with("<!--") {
            i = html[i + 4..]
                .find("-->")
                .map_or(bytes.len(), |p| i + 4 + p + 3);
            continue;
        }
        let end = tag_end(bytes, i + 1);
        let tag = &html[i + 1..end.min(bytes.len())];
        i = (end + 1).min(bytes.len());
        let (closing, name) = tag_name(tag);
        if let Some(until) = skip_until {
            if closing && name.eq_ignore_ascii_case(until) {
                skip_until = None;
            }
            continue;
        }
        if !closing {
            for hidden in ["script", "style", "head", "title", "template"] {
                if name.eq_ignore_ascii_case(hidden) && !tag.ends_with('/') {
                    skip_until = Some(hidden);
                }
            }
            if name.eq_ignore_ascii_case("a") || name.eq_ignore_ascii_case("area") {
                link_target(tag, links);
            }
        }
        if !sink.element(Element::of(name), closing) {
            return false;
        }
    }
}

/// A text run: character references decoded.
fn walk_text<S: Sink>(text: &str, sink: &mut S) -> bool {
    let mut rest = text;
    while let Some(amp) = memchr::memchr(b'&', rest.as_bytes()) {
        if !sink.text(&rest[..amp]) {
            return false;
        }
        rest = &rest[amp..];
        match decode_reference(rest) {
            Some((c, len)) => {
                if let Some(c) = c {
                    if !sink.character(c) {
                        return false;
                    }
                }
                rest = &rest[len..];
            }
            None => {
                if !sink.text("&") {
                    return false;
                }
                rest = &rest[1..];
            }
        }
    }
    sink.text(rest)
}

/// Index of the `>` closing a tag that starts at `from`, skipping quoted
/// attribute values.
fn tag_end(bytes: &[u8], from: usize) -> usize {
    let mut quote: Option<u8> = None;
    let mut i = from;
    while i < bytes.len() {
        let b = bytes[i];
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None if b == b'"' || b == b'\'' => quote = Some(b),
            None if b == b'>' => return i,
            None => {}
        }
        i += 1;
    }
    bytes.len()
}

fn tag_name(tag: &str) -> (bool, &str) {
    let (closing, rest) = match tag.strip_prefix('/') {
        Some(rest) => (true, rest),
        None => (false, tag),
    };
    let end = rest
        .find(|c: char| c.is_ascii_whitespace() || c == '/' || c == '>')
        .unwrap_or(rest.len());
    (closing, &rest[..end])
}

/// Builds the text: white space collapsed, elements separated.
struct Text(String);

impl Sink for Text {
    fn text(&mut self, text: &str) -> bool {
        push_collapsed(&mut self.0, text);
        true
    }

    fn character(&mut self, c: char) -> bool {
        if c == '\u{a0}' || c.is_whitespace() {
            push_collapsed(&mut self.0, " ");
        } else {
            self.0.push(c);
        }
        true
    }

    fn element(&mut self, kind: Element, closing: bool) -> bool {
        let out = &mut self.0;
        match kind {
            Element::Block => {
                let kept = out.trim_end_matches([' ', '\t']).len();
                out.truncate(kept);
                if !out.ends_with('\n') && !out.is_empty() {
                    out.push('\n');
                }
            }
            // A closing inline or cell tag separates nothing.
            _ if closing => {}
            Element::Cell => {
                if !out.is_empty() && !out.ends_with(['\n', '\t']) {
                    out.push('\t');
                }
            }
            Element::Replaced => {
                if !out.is_empty() && !out.ends_with(char::is_whitespace) {
                    out.push(' ');
                }
            }
            Element::Inline => {}
        }
        true
    }
}

/// Compares the words of the walk with those of `plain`, as it goes.
struct SameWords<'p> {
    plain: &'p str,
    /// `plain[..at]` holds the words matched so far and ends after the last
    /// one's last character (or at the first word, before any match).
    at: usize,
    /// Some word has been matched.
    started: bool,
    /// White space in the HTML since the last matched character.
    space: bool,
}

impl Sink for SameWords<'_> {
    fn text(&mut self, text: &str) -> bool {
        let (tb, pb) = (text.as_bytes(), self.plain.as_bytes());
        let mut k = 0;
        while k < tb.len() {
            let width = space_at(text, k);
            if width > 0 {
                self.space |= self.started;
                k += width;
                continue;
            }
            if self.space {
                if self.at == pb.len() || space_at(self.plain, self.at) == 0 {
                    return false;
                }
                self.at = skip_space(self.plain, self.at);
                self.space = false;
            }
            self.started = true;
            // Bytes the same on both sides are passed together: they hold
            // the same words and the same white space. The stretch ends on
            // a whole character that is not white space, so the state after
            // it is simple (no white space pending).
            let mut common = common_prefix(&tb[k..], &pb[self.at..]);
            while !text.is_char_boundary(k + common) {
                common -= 1;
            }
            while let Some(last) = text[k..k + common].chars().next_back() {
                if !last.is_whitespace() {
                    break;
                }
                common -= last.len_utf8();
            }
            if common == 0 {
                return false;
            }
            k += common;
            self.at += common;
        }
        true
    }

    fn character(&mut self, c: char) -> bool {
        if c == '\u{a0}' || c.is_whitespace() {
            self.space |= self.started;
            true
        } else {
            self.text(c.encode_utf8(&mut [0; 4]))
        }
    }

    fn element(&mut self, kind: Element, closing: bool) -> bool {
        let separates = match kind {
            Element::Block => true,
            Element::Cell | Element::Replaced => !closing,
            Element::Inline => false,
        };
        self.space |= separates && self.started;
        true
    }
}

/// Appends `text` with each run of white space (no-break spaces included)
/// collapsed to one space, and none at the start of `out` or after white
/// space already there. Copies runs of other characters whole.
fn push_collapsed(out: &mut String, text: &str) {
    let bytes = text.as_bytes();
    let mut run_start = 0;
    let mut i = 0;
    while i < bytes.len() {
        // Most bytes are printable ASCII: pass over them in a tight loop.
        while bytes.get(i).is_some_and(|&b| b > b' ' && b < 0x7f) {
            i += 1;
        }
        if i >= bytes.len() {
            break;
        }
        let width = space_at(text, i);
        if width == 0 {
            // Another character (or a byte inside one): part of the run.
            i += 1;
            continue;
        }
        // One plain space between two other characters is already
        // collapsed: it stays in the run, copied with it.
        let single =
            bytes[i] == b' ' && i > run_start && i + 1 < bytes.len() && space_at(text, i + 1) == 0;
        if !single {
            out.push_str(&text[run_start..i]);
            if !out.is_empty() && !out.ends_with(char::is_whitespace) {
                out.push(' ');
            }
            run_start = i + width;
        }
        i += width;
    }
    out.push_str(&text[run_start..]);
}

/// `a` and `b` hold the same characters once every run of white space (no-
/// break spaces included) counts as one space and leading and trailing
/// white space is ignored. Compares bytes, decoding only the non-ASCII
/// characters that could be white space.
#[cfg(test)]
fn same_words(a: &str, b: &str) -> bool {
    let (mut i, mut j) = (skip_space(a, 0), skip_space(b, 0));
    loop {
        // Identical bytes need no reading: skip them in blocks.
        let common = common_prefix(&a.as_bytes()[i..], &b.as_bytes()[j..]);
        i += common;
        j += common;
        // Back to a character boundary (the bytes passed are the same on
        // both sides, so both move back alike).
        while !a.is_char_boundary(i) {
            i -= 1;
            j -= 1;
        }
        if i == a.len() || j == b.len() {
            return skip_space(a, i) == a.len() && skip_space(b, j) == b.len();
        }
        // The texts differ here: only in how much white space they hold, or
        // not at all.
        let (space_a, space_b) = (space_at(a, i) > 0, space_at(b, j) > 0);
        let in_run = a[..i].chars().next_back().is_some_and(char::is_whitespace);
        if !(space_a && space_b || (space_a || space_b) && in_run) {
            return false;
        }
        i = skip_space(a, i);
        j = skip_space(b, j);
    }
}

/// How many leading bytes `a` and `b` share.
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    const BLOCK: usize = 16;
    let n = a.len().min(b.len());
    let mut k = 0;
    while k + BLOCK <= n && a[k..k + BLOCK] == b[k..k + BLOCK] {
        k += BLOCK;
    }
    while k < n && a[k] == b[k] {
        k += 1;
    }
    k
}

/// The length of the white-space character at byte `i` of `s`, or 0. `i`
/// may be inside a character: a continuation byte is never white space.
fn space_at(s: &str, i: usize) -> usize {
    match s.as_bytes()[i] {
        b' ' | b'\t' | b'\n' | b'\r' | b'\x0b' | b'\x0c' => 1,
        b if b >= 0xc0 => s
            .get(i..)
            .and_then(|rest| rest.chars().next())
            .filter(|c| c.is_whitespace())
            .map_or(0, char::len_utf8),
        _ => 0,
    }
}

/// The first byte at or after `i` that does not start white space.
fn skip_space(s: &str, mut i: usize) -> usize {
    while i < s.len() {
        match space_at(s, i) {
            0 => break,
            n => i += n,
        }
    }
    i
}

/// Decodes `&name;`, `&#123;` or `&#x1F;` at the start of `s`: the character
/// (`None` for invisible ones) and the length of the reference.
fn decode_reference(s: &str) -> Option<(Option<char>, usize)> {
    let end = s[1..].find(';').map(|p| p + 1).filter(|&p| p <= 12)?;
    let body = &s[1..end];
    let c = if let Some(num) = body.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse().ok()?,
        };
        char::from_u32(code).unwrap_or('\u{fffd}')
    } else {
        match body {
            "nbsp" => '\u{a0}',
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            "pound" => '£',
            "euro" => '€',
            "copy" => '©',
            "reg" => '®',
            "ndash" => '–',
            "mdash" => '—',
            "lsquo" => '‘',
            "rsquo" => '’',
            "ldquo" => '“',
            "rdquo" => '”',
            "hellip" => '…',
            "bull" => '•',
            "middot" => '·',
            "ensp" | "emsp" | "thinsp" => ' ',
            // Invisible: decoded to nothing.
            "zwnj" | "zwj" | "shy" => return Some((None, end + 1)),
            _ => return None,
        }
    };
    Some((Some(c), end + 1))
}

#[cfg(test)]
mod tests {
    fn html_to_text(html: &str) -> String {
        super::html_to_text(html, &mut super::Links::default())
    }

    fn links(html: &str) -> Vec<String> {
        let mut links = super::Links::default();
        super::html_to_text(html, &mut links);
        links.into_targets()
    }

    fn unshown(text: &str, targets: &[String]) -> Vec<String> {
        let mut links = super::Links::default();
        for target in targets {
            let (scheme, target) = target.split_once(": ").expect("scheme");
            links.push(scheme, target);
        }
        links.keep_unshown(text);
        links.into_targets()
    }

    #[test]
    fn mailto_and_tel_link_targets_are_collected() {
        let html = "<p>Mail <a class=x HREF = 'mailto:jane.rowe%40example.com?subject=Hi&amp;cc=z'>Jane</a>, \
                    <A href=\"MAILTO:a@b.example,c@d.example\">both</a>, call \
                    <a href=tel:+447700900111;ext=2>her</a> or \
                    <area href=\"callto:07700&#32;900222\">. \
                    <a href=\"https://example.com/?mailto:x@y.z\">web</a> \
                    <a href=\"tel:12\">short</a> <a title=\"mailto:q@r.s\">no href</a> \
                    <a href=\"mailto:a@b.example\">again</a></p>";
        assert_eq!(
            links(html),
            vec![
                "mailto: jane.rowe@example.com",
                "mailto: a@b.example",
                "mailto: c@d.example",
                "tel: +447700900111",
                "tel: 07700 900222",
            ]
        );
        // Hidden elements hold no links; broken markup none either.
        assert!(links("<script><a href=\"mailto:a@b.c\"></script><a href=\"mailto:").is_empty());
    }

    #[test]
    fn only_targets_the_text_does_not_show_are_kept() {
        let found = [
            "mailto: Jane.Rowe@Example.com".to_string(),
            "mailto: other@example.com".to_string(),
            "tel: +44 7700 900111".to_string(),
            "tel: 07700 900222".to_string(),
        ];
        assert_eq!(
            unshown("Write to jane.rowe@example.com or +447700900111.", &found),
            vec!["mailto: other@example.com", "tel: 07700 900222"]
        );
        // Many links, one pass: the text shows every even one.
        let many: Vec<String> = (0..super::MAX_LINKS)
            .map(|i| format!("mailto: person{i:04}@example.com"))
            .collect();
        let text: String = (0..super::MAX_LINKS)
            .step_by(2)
            .map(|i| format!("PERSON{i:04}@EXAMPLE.COM "))
            .collect();
        let left = unshown(&text, &many);
        assert_eq!(left.len(), super::MAX_LINKS / 2);
        assert_eq!(
            left[..2],
            [
                "mailto: person0001@example.com",
                "mailto: person0003@example.com"
            ]
        );
        // Each target once, and no more than the limit.
        let mut links = super::Links::default();
        for i in 0..3 * super::MAX_LINKS {
            links.push("tel", &format!("0770090{:04}", i % (2 * super::MAX_LINKS)));
        }
        assert_eq!(links.into_targets().len(), super::MAX_LINKS);
        let mut links = super::Links::default();
        for _ in 0..5 {
            links.push("tel", "07700900111");
        }
        assert_eq!(links.into_targets(), ["tel: 07700900111"]);
    }

    #[test]
    fn table_cells_and_blocks_stay_apart() {
        let html = "<table><tr><td>NHS&nbsp;No</td><td>943&nbsp;476&nbsp;5919</td></tr>\
                    <tr><th>DOB</th><td>14/07/1983</td></tr></table><p>Call&#160;020 7946 0958</p>";
        assert_eq!(
            html_to_text(html),
            "NHS No\t943 476 5919\nDOB\t14/07/1983\nCall 020 7946 0958\n"
        );
    }

    #[test]
    fn hidden_content_and_comments_are_dropped() {
        let html = "<html><head><title>t</title><style>p{}</style></head><body>\
                    <!-- 123-45-6789 --><script>var x = '4111111111111111';</script>a &amp; b &lt;c&gt;</body></html>";
        assert_eq!(html_to_text(html), "a & b <c>");
    }

    #[test]
    fn attributes_with_angle_brackets_and_broken_markup() {
        assert_eq!(
            html_to_text("<a title=\"x > y\" href='z'>link</a> text"),
            "link text"
        );
        assert_eq!(html_to_text("unterminated <b"), "unterminated ");
        assert_eq!(
            html_to_text("&unknown; &#xZZ; & &#65;"),
            "&unknown; &#xZZ; & A"
        );
        assert_eq!(html_to_text("<!-- never closed"), "");
    }

    #[test]
    fn white_space_of_every_kind_collapses_to_one_space() {
        assert_eq!(
            html_to_text("a \t\r\n b\u{a0}\u{a0}c\u{2003}d\u{3000} e\u{b}f"),
            "a b c d e f"
        );
        assert_eq!(html_to_text(" \u{a0} lead"), "lead");
        assert_eq!(
            html_to_text("Zoë Şahin 07700 900123"),
            "Zoë Şahin 07700 900123"
        );
    }

    #[test]
    fn same_words_ignores_only_white_space() {
        use super::same_words;
        assert!(same_words(
            "Dear Jo,\r\n\r\nNHS 943 476 5919\r\n",
            "Dear Jo,\nNHS 943\u{a0}476 5919"
        ));
        assert!(same_words("", " \n"));
        assert!(!same_words("NHS 943 476 5919", "NHS 9434765919"));
        assert!(!same_words("a b", "a b c"));
        assert!(same_words("x \u{2003}", "x"));
        assert!(!same_words("ab", "a b"));
        assert!(same_words("Zoë\u{a0}Şahin", " Zoë Şahin\n"));
        assert!(!same_words("Zoë", "Zoe"));
    }

    proptest::proptest! {
        #[test]
        fn same_words_agrees_with_splitting(
            a in "[ ab\u{a0}\u{2003}\u{2009}\u{2026}é\n]{0,12}",
            b in "[ ab\u{a0}\u{2003}\u{2009}\u{2026}é\n]{0,12}",
        ) {
            let words = |s: &str| {
                s.split(char::is_whitespace)
                    .filter(|w| !w.is_empty())
                    .map(str::to_string)
                    .collect::<Vec<_>>()
            };
            proptest::prop_assert_eq!(super::same_words(&a, &b), words(&a) == words(&b));
            proptest::prop_assert!(super::same_words(&a, &a));
        }

        #[test]
        fn collapsing_matches_the_char_by_char_definition(s in "[ ab\u{a0}\u{2003}é\t\n\u{b}]{0,24}") {
            let mut expected = String::from("x");
            for c in s.chars() {
                if c.is_whitespace() {
                    if !expected.ends_with(char::is_whitespace) {
                        expected.push(' ');
                    }
                } else {
                    expected.push(c);
                }
            }
            let mut out = String::from("x");
            super::push_collapsed(&mut out, &s);
            proptest::prop_assert_eq!(out, expected);
        }

        #[test]
        fn html_says_agrees_with_comparing_the_text(
            html in "(<(/?)(p|b|td|br|img|script|x)>|&(nbsp|amp|#32|#x41|zwnj|bogus);|[ab \u{a0}\u{2003}é\t\n&<]{0,6}|<!--|-->){0,24}",
            edit in 0usize..5,
            at in 0usize..64,
        ) {
            let text = html_to_text(&html);
            let plain = match edit {
                0 => text.clone(),
                // The same words, other white space.
                1 => text.split_whitespace().collect::<Vec<_>>().join("\r\n "),
                2 => format!(" \u{a0}{}\n\n", text.replace(' ', "  ")),
                // One character gone, or one more.
                3 => {
                    let mut t = text.clone();
                    if let Some((i, _)) = t.char_indices().nth(at % (t.chars().count() + 1)) {
                        t.remove(i);
                    }
                    t
                }
                _ => {
                    let mut t = text.clone();
                    let i = t.char_indices().map(|(i, _)| i).nth(at).unwrap_or(t.len());
                    t.insert(i, if at % 2 == 0 { 'a' } else { ' ' });
                    t
                }
            };
            proptest::prop_assert_eq!(
                super::html_says(&plain, &html, &mut super::Links::default()),
                super::same_words(&plain, &text),
                "plain {:?}, text {:?}", plain, text
            );
        }

        #[test]
        fn link_attributes_never_panic(tag in "a( |=|\"|'|/|href|mailto:|tel:|%[0-9a-f]{0,2}|&#?[a-z0-9]{0,4};?|[a-zé@0-9.,?;]{0,6}){0,16}") {
            let mut found = super::Links::default();
            super::link_target(&tag, &mut found);
            proptest::prop_assert!(found.into_targets().len() <= 16);
        }

        #[test]
        fn never_panics_and_never_grows_much(s in "(<[a-z/!-]{0,6}|&#?[a-z0-9]{0,6};?|[^<&]{0,8}|-->|>){0,40}") {
            let text = html_to_text(&s);
            proptest::prop_assert!(text.len() <= s.len() * 2 + 8);
        }
    }
}
