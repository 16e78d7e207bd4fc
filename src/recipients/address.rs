//! A lenient RFC 5322 `address-list` reader over the raw header value.
//!
//! mail-parser decodes address headers, but it drops entries it cannot read
//! and offers no count of them; an auditor must count a malformed entry
//! rather than lose it. So the raw bytes of each address header are read
//! here, with the grammar of RFC 5322 §3.4 (mailbox, name-addr, angle-addr,
//! group, CFWS, quoted-string, domain-literal) and the obsolete forms real
//! senders still produce (route addresses, empty list elements).
//!
//! Encoded words (RFC 2047) only occur in display names and comments; they
//! contain no specials, so reading the raw value gives the same addresses as
//! reading the decoded one, without trusting a decoder with structure.

use std::borrow::Cow;

/// One entry of an address list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Entry<'a> {
    /// A syntactically valid address, lower-cased (`local@domain`): borrowed
    /// from the header value when it is written in lower case already.
    Address(Cow<'a, str>),
    /// Something that stands where an address should and is not one.
    Malformed,
}

impl Entry<'_> {
    /// The same entry, owning its address.
    fn into_owned(self) -> Entry<'static> {
        match self {
            Entry::Address(address) => Entry::Address(Cow::Owned(address.into_owned())),
            Entry::Malformed => Entry::Malformed,
        }
    }
}

/// Reads every entry of an address-list header value.
///
/// Group syntax (`Team: a@x, b@y;`) yields the group's members; an empty
/// group (`undisclosed-recipients:;`) yields nothing. Empty list elements
/// (`a@x,,b@y`) are skipped, as RFC 5322's obsolete syntax allows.
pub(crate) fn parse_address_list<'a>(
    raw: &'a [u8],
    max_entries: usize,
    out: &mut Vec<Entry<'a>>,
) -> bool {
    let mut reader = Reader { raw, pos: 0 };
    // One pending entry and one join buffer for the whole list: their
    // allocations are reused from entry to entry.
    let mut current = Pending::default();
    let mut joined = String::new();
    let mut truncated = false;
    while let Some(token) = reader.next_token() {
        match token {
            Token::Comma | Token::Semicolon => {
                if let Some(entry) = current.take_entry(&mut joined) {
                    if out.len() >= max_entries {
                        truncated = true;
                        break;
                    }
                    out.push(entry);
                }
            }
            Token::Colon if current.angle.is_none() && !current.has_at() => {
                // A group's display name ends here; what came before was a phrase.
                current.reset();
            }
            Token::Angle(inner) => {
                if current.angle.is_some() {
                    current.malformed = true;
                }
                current.angle = Some(inner);
            }
            Token::Word(word) => current.push(word),
            Token::Special(c) => current.push(WordPiece::Special(c)),
            Token::Colon => current.push(WordPiece::Special(b':')),
        }
    }
    if !truncated {
        if let Some(entry) = current.take_entry(&mut joined) {
            if out.len() >= max_entries {
                truncated = true;
            } else {
                out.push(entry);
            }
        }
    }
    !truncated
}

/// A word of an entry, as bytes borrowed from the raw header value unless
/// unescaping or folding changed them. Most words belong to display names and
/// are never read as text, so they are only decoded when joined.
#[derive(Debug, Clone)]
enum WordPiece<'a> {
    Atom(&'a [u8]),
    Quoted(Cow<'a, [u8]>),
    Literal(&'a [u8]),
    Special(u8),
}

#[derive(Default)]
struct Pending<'a> {
    words: Vec<WordPiece<'a>>,
    angle: Option<Cow<'a, str>>,
    malformed: bool,
    /// An `@` is among `words`. Kept, not searched for: a search on every
    /// `:` made `a.a.….a@::…:` quadratic.
    at: bool,
}

impl<'a> Pending<'a> {
    fn has_at(&self) -> bool {
        self.at
    }

    fn push(&mut self, word: WordPiece<'a>) {
        self.at |= matches!(word, WordPiece::Special(b'@'));
        self.words.push(word);
    }

    /// Forgets the pending entry, keeping the words' allocation.
    fn reset(&mut self) {
        self.words.clear();
        self.angle = None;
        self.malformed = false;
        self.at = false;
    }

    /// The entry read so far, if any; leaves `self` empty for the next one.
    /// `joined` is scratch space.
    fn take_entry(&mut self, joined: &mut String) -> Option<Entry<'a>> {
        let entry = self.entry(joined);
        self.reset();
        entry
    }

    /// The entry of a name-addr, from the trimmed inside of its `<...>`.
    fn angle_entry<'s>(&self, inner: &'s str) -> Option<Entry<'s>> {
        if inner.is_empty() {
            // `<>` is the null reverse-path, not a recipient.
            return if self.words.is_empty() {
                None
            } else {
                Some(Entry::Malformed)
            };
        }
        Some(validate_addr_spec(strip_route(inner)))
    }

    fn entry(&self, joined: &mut String) -> Option<Entry<'a>> {
        if self.malformed {
            return Some(Entry::Malformed);
        }
        if let Some(inner) = &self.angle {
            // name-addr: the display name is whatever words precede it.
            return match inner {
                Cow::Borrowed(inner) => self.angle_entry(inner.trim()),
                Cow::Owned(inner) => self.angle_entry(inner.trim()).map(Entry::into_owned),
            };
        }
        if self.words.is_empty() {
            return None;
        }
        // Two atoms side by side (`John Smith`) are a phrase with no address.
        let atoms_adjacent = self.words.windows(2).any(|w| {
            matches!(
                (&w[0], &w[1]),
                (
                    WordPiece::Atom(_) | WordPiece::Quoted(_),
                    WordPiece::Atom(_) | WordPiece::Quoted(_)
                )
            )
        });
        if atoms_adjacent {
            return Some(Entry::Malformed);
        }
        // addr-spec: join the pieces without the folding white space.
        joined.clear();
        for piece in &self.words {
            match piece {
                // Each piece decoded on its own, as when pieces were text.
                WordPiece::Atom(s) | WordPiece::Literal(s) => joined.push_str(&text(s)),
                WordPiece::Quoted(s) => {
                    joined.push('"');
                    joined.push_str(&text(s));
                    joined.push('"');
                }
                WordPiece::Special(c) => joined.push(char::from(*c)),
            }
        }
        Some(validate_addr_spec(joined).into_owned())
    }
}

/// Drops an obsolete source route: `<@a.example,@b.example:user@c.example>`.
fn strip_route(inner: &str) -> &str {
    if inner.starts_with('@') {
        if let Some(colon) = inner.find(':') {
            return &inner[colon + 1..];
        }
    }
    inner
}

/// Checks `local@domain` and lower-cases it.
pub(crate) fn validate_addr_spec(spec: &str) -> Entry<'_> {
    let Some(at) = spec.bytes().rposition(|b| b == b'@') else {
        return Entry::Malformed;
    };
    let (local, domain) = (&spec[..at], &spec[at + 1..]);
    if local.is_empty() || local.len() > 64 || domain.is_empty() || domain.len() > 255 {
        return Entry::Malformed;
    }
    let local_ok = if local.starts_with('"') && local.ends_with('"') && local.len() >= 2 {
        true
    } else {
        is_dot_atom(local)
    };
    if !local_ok || !is_valid_domain(domain) {
        return Entry::Malformed;
    }
    Entry::Address(lower_case(spec))
}

/// `spec.to_lowercase()`, borrowed when that changes nothing.
fn lower_case(spec: &str) -> Cow<'_, str> {
    if spec.bytes().all(|b| has_class(b, LOWER)) {
        Cow::Borrowed(spec)
    } else if !spec.is_ascii() {
        Cow::Owned(spec.to_lowercase())
    } else {
        // Same result as `to_lowercase` on ASCII, without its per-character work.
        Cow::Owned(spec.to_ascii_lowercase())
    }
}

/// Local-part characters separated by single dots, with no dot first or
/// last: one pass over the bytes.
fn is_dot_atom(local: &str) -> bool {
    // Starting as if after a dot rejects a leading one.
    let mut after_dot = true;
    for b in local.bytes() {
        if b == b'.' {
            if after_dot {
                return false;
            }
            after_dot = true;
        } else if is_local_byte(b) {
            after_dot = false;
        } else {
            return false;
        }
    }
    !after_dot
}

/// The byte may stand in a dot-atom local part (`.` included).
const LOCAL: u8 = 1;
/// The byte may stand in a domain label: letter, digit, `-` or UTF-8.
const LABEL: u8 = 2;
/// Lower-casing leaves the byte as it is: ASCII, not an upper-case letter.
const LOWER: u8 = 4;

/// What each byte may be, looked up once per byte instead of a chain of
/// comparisons: the address checks run on every recipient.
static BYTE_CLASS: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0usize;
    while b < 256 {
        let byte = b as u8;
        let alphanumeric = byte.is_ascii_alphanumeric();
        let mut class = 0;
        if alphanumeric || byte >= 0x80 || is_local_special(byte) {
            class |= LOCAL;
        }
        if alphanumeric || byte == b'-' || byte >= 0x80 {
            class |= LABEL;
        }
        if byte.is_ascii() && !byte.is_ascii_uppercase() {
            class |= LOWER;
        }
        table[b] = class;
        b += 1;
    }
    table
};

fn has_class(b: u8, class: u8) -> bool {
    BYTE_CLASS[usize::from(b)] & class != 0
}

fn is_local_byte(b: u8) -> bool {
    has_class(b, LOCAL)
}

/// The specials RFC 5322 allows in an atom, and the dot of a dot-atom.
const fn is_local_special(b: u8) -> bool {
    matches!(
        b,
        b'!' | b'#'
            | b'$'
            | b'%'
            | b'&'
            | b'\''
            | b'*'
            | b'+'
            | b'-'
            | b'/'
            | b'='
            | b'?'
            | b'^'
            | b'_'
            | b'`'
            | b'{'
            | b'|'
            | b'}'
            | b'~'
            | b'.'
    )
}

/// A domain in a recipient address: dot-separated labels of letters, digits
/// and hyphens (or UTF-8, for internationalised names), at least two labels,
/// or a bracketed address literal.
pub(crate) fn is_valid_domain(domain: &str) -> bool {
    if domain.starts_with('[') && domain.ends_with(']') {
        return domain.len() > 2;
    }
    // One pass over the bytes; a label ends at a `.` or at the end.
    let mut labels = 0usize;
    let mut label_len = 0usize;
    let mut previous = b'.';
    for &b in domain.as_bytes() {
        if b == b'.' {
            if label_len == 0 || previous == b'-' {
                return false;
            }
            labels += 1;
            label_len = 0;
        } else {
            if !has_class(b, LABEL) || (label_len == 0 && b == b'-') {
                return false;
            }
            label_len += 1;
            if label_len > 63 {
                return false;
            }
        }
        previous = b;
    }
    label_len > 0 && previous != b'-' && labels >= 1
}

/// The bytes as text: borrowed when they are UTF-8 (checked without the
/// cost of the lossy decoder), else with U+FFFD for each invalid sequence.
fn text(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(valid) => Cow::Borrowed(valid),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

enum Token<'a> {
    Comma,
    Semicolon,
    Colon,
    Angle(Cow<'a, str>),
    Word(WordPiece<'a>),
    Special(u8),
}

struct Reader<'a> {
    raw: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn next_token(&mut self) -> Option<Token<'a>> {
        loop {
            let b = *self.raw.get(self.pos)?;
            match b {
                b' ' | b'\t' | b'\r' | b'\n' => self.pos += 1,
                b'(' => self.skip_comment(),
                b',' => {
                    self.pos += 1;
                    return Some(Token::Comma);
                }
                b';' => {
                    self.pos += 1;
                    return Some(Token::Semicolon);
                }
                b':' => {
                    self.pos += 1;
                    return Some(Token::Colon);
                }
                b'<' => return Some(Token::Angle(self.read_angle())),
                b'"' => return Some(Token::Word(WordPiece::Quoted(self.read_quoted()))),
                b'[' => return Some(Token::Word(WordPiece::Literal(self.read_literal()))),
                b'@' | b'.' | b'>' | b')' | b'\\' | b']' => {
                    self.pos += 1;
                    return Some(Token::Special(b));
                }
                _ => return Some(Token::Word(WordPiece::Atom(self.read_atom()))),
            }
        }
    }

    /// Comments nest (RFC 5322 §3.2.2); an unterminated one runs to the end.
    fn skip_comment(&mut self) {
        let mut depth = 0usize;
        while let Some(&b) = self.raw.get(self.pos) {
            self.pos += 1;
            match b {
                b'\\' => self.pos += 1,
                b'(' => depth += 1,
                b')' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return;
                    }
                }
                _ => {}
            }
        }
    }

    /// The content of a quoted string, unescaped and unfolded; the opening
    /// quote is at `pos`.
    fn read_quoted(&mut self) -> Cow<'a, [u8]> {
        let raw = self.raw;
        self.pos += 1;
        let start = self.pos;
        // Fast path: with no escape or line break before the closing quote,
        // the content is the raw bytes.
        while let Some(&b) = raw.get(self.pos) {
            match b {
                b'"' => {
                    let content = &raw[start..self.pos];
                    self.pos += 1;
                    return Cow::Borrowed(content);
                }
                b'\\' | b'\r' | b'\n' => break,
                _ => self.pos += 1,
            }
        }
        let mut out = raw.get(start..self.pos).unwrap_or_default().to_vec();
        while let Some(&b) = raw.get(self.pos) {
            self.pos += 1;
            match b {
                b'\\' => {
                    if let Some(&next) = raw.get(self.pos) {
                        out.push(next);
                        self.pos += 1;
                    }
                }
                b'"' => break,
                b'\r' | b'\n' => {}
                _ => out.push(b),
            }
        }
        Cow::Owned(out)
    }

    fn read_literal(&mut self) -> &'a [u8] {
        let raw = self.raw;
        let start = self.pos;
        while let Some(&b) = raw.get(self.pos) {
            self.pos += 1;
            if b == b']' {
                break;
            }
        }
        raw.get(start..self.pos).unwrap_or_default()
    }

    /// The inside of `<...>`, with comments and folding removed.
    fn read_angle(&mut self) -> Cow<'a, str> {
        let raw = self.raw;
        self.pos += 1;
        let start = self.pos;
        // Fast path: `<local@domain>` with no comment, quote or white space
        // inside is the raw bytes.
        while let Some(&b) = raw.get(self.pos) {
            match b {
                b'>' => {
                    let inner = &raw[start..self.pos];
                    self.pos += 1;
                    return text(inner);
                }
                // A list separator inside an unclosed angle: stop so the rest
                // of the list is still read.
                b',' | b';' => return text(&raw[start..self.pos]),
                b'(' | b'"' | b' ' | b'\t' | b'\r' | b'\n' => break,
                _ => self.pos += 1,
            }
        }
        let mut out = raw.get(start..self.pos).unwrap_or_default().to_vec();
        while let Some(&b) = raw.get(self.pos) {
            match b {
                b'>' => {
                    self.pos += 1;
                    break;
                }
                b'(' => self.skip_comment(),
                b'"' => {
                    let quoted = self.read_quoted();
                    out.push(b'"');
                    out.extend_from_slice(text(&quoted).as_bytes());
                    out.push(b'"');
                }
                b' ' | b'\t' | b'\r' | b'\n' => self.pos += 1,
                b',' | b';' => break,
                _ => {
                    out.push(b);
                    self.pos += 1;
                }
            }
        }
        Cow::Owned(String::from_utf8_lossy(&out).into_owned())
    }

    fn read_atom(&mut self) -> &'a [u8] {
        let raw = self.raw;
        let start = self.pos;
        while let Some(&b) = raw.get(self.pos) {
            if matches!(
                b,
                b' ' | b'\t'
                    | b'\r'
                    | b'\n'
                    | b'('
                    | b')'
                    | b'<'
                    | b'>'
                    | b'@'
                    | b','
                    | b';'
                    | b':'
                    | b'\\'
                    | b'"'
                    | b'.'
                    | b'['
                    | b']'
            ) {
                break;
            }
            self.pos += 1;
        }
        if self.pos == start {
            // Defensive: never loop without progress.
            self.pos += 1;
        }
        raw.get(start..self.pos).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recipients::reference;

    fn parse(s: &str) -> Vec<Entry<'_>> {
        let mut out = Vec::new();
        assert!(parse_address_list(s.as_bytes(), usize::MAX, &mut out));
        out
    }

    fn addrs(s: &str) -> Vec<String> {
        parse(s)
            .into_iter()
            .filter_map(|e| match e {
                Entry::Address(a) => Some(a.into_owned()),
                Entry::Malformed => None,
            })
            .collect()
    }

    fn malformed(s: &str) -> usize {
        parse(s)
            .iter()
            .filter(|e| matches!(e, Entry::Malformed))
            .count()
    }

    #[test]
    fn plain_and_named_addresses() {
        assert_eq!(
            addrs("a@x.org, \"Smith, John\" <J.Smith@Example.COM>, Bob <bob@y.net>"),
            ["a@x.org", "j.smith@example.com", "bob@y.net"]
        );
    }

    #[test]
    fn groups_count_their_members() {
        assert!(addrs("undisclosed-recipients:;").is_empty());
        assert_eq!(addrs("Team: a@x.org, b@y.org;"), ["a@x.org", "b@y.org"]);
        assert_eq!(
            addrs("Team: a@x.org;, c@z.org, Other: d@w.org;"),
            ["a@x.org", "c@z.org", "d@w.org"]
        );
    }

    #[test]
    fn encoded_words_and_comments() {
        assert_eq!(
            addrs("=?utf-8?q?Smith=2C_J=C3=B6rg?= <js@x.org> (work), b@y.org (Bob, home)"),
            ["js@x.org", "b@y.org"]
        );
        assert_eq!(addrs("(nested (comment)) a@x.org"), ["a@x.org"]);
    }

    #[test]
    fn folding_and_empty_elements() {
        assert_eq!(
            addrs("a@x.org,\r\n\tb@y.org,, ,\r\n c@z.org"),
            ["a@x.org", "b@y.org", "c@z.org"]
        );
    }

    #[test]
    fn malformed_entries_are_counted_not_dropped() {
        assert_eq!(malformed("John Smith, a@x.org"), 1);
        assert_eq!(malformed("a@, @x.org, a@b, <a@@x.org>"), 4);
        assert_eq!(malformed("a@x.org, <broken@x.org"), 0);
        assert_eq!(
            addrs("a@x.org, <broken@x.org, c@z.org"),
            ["a@x.org", "broken@x.org", "c@z.org"]
        );
    }

    #[test]
    fn route_and_literal() {
        assert_eq!(
            addrs("<@relay.example:user@host.example>"),
            ["user@host.example"]
        );
        assert_eq!(addrs("user@[192.0.2.1]"), ["user@[192.0.2.1]"]);
    }

    #[test]
    fn borrowed_and_rebuilt_tokens_give_the_same_entries() {
        // Fast path (borrowed) against the paths that unescape or unfold.
        let same = [
            ("<a@x.org>", "< a@x.org >"),
            ("<a@x.org>", "<a@x.org (work)>"),
            ("<a@x.org>", "<a@\r\n x.org>"),
            ("<\"a b\"@x.org>", "<\"a\\ b\"@x.org>"),
            ("\"a b\"@x.org", "\"a \\b\"@x.org"),
            ("\"a b\"@x.org", "\"a b\r\n\"@x.org"),
            // A bare line feed is dropped too, not kept by the fast path.
            ("\"ab\"@x.org", "\"a\nb\"@x.org"),
            ("<A@X.org>", "<a@x.org>"),
            ("a@x.org", "a @ x . org"),
        ];
        for (fast, slow) in same {
            assert_eq!(parse(fast), parse(slow), "{fast:?} / {slow:?}");
        }
        assert!(matches!(
            parse("<a@x.org>")[0],
            Entry::Address(Cow::Borrowed(_))
        ));
        assert!(matches!(
            parse("<A@x.org>")[0],
            Entry::Address(Cow::Owned(_))
        ));
        assert_eq!(addrs("<J\u{d6}RG@x.org>"), ["j\u{f6}rg@x.org"]);
    }

    /// Bytes that steer the reader: specials, folding, quoting, escapes,
    /// UTF-8 and invalid UTF-8.
    const PIECES: [&[u8]; 29] = [
        b"a",
        b"Bob",
        b"x",
        b"ORG",
        b".",
        b"@",
        b"<",
        b">",
        b"(",
        b")",
        b"\"",
        b"\\",
        b",",
        b";",
        b":",
        b"[",
        b"]",
        b" ",
        b"\r\n ",
        b"\n",
        b"\r",
        b"\t",
        "\u{e9}".as_bytes(),
        "\u{130}".as_bytes(),
        b"\xff",
        b"\xc3",
        b"-",
        b"org",
        b"=?utf-8?q?J=C3=B6rg?=",
    ];

    fn lower_reference(entries: Vec<reference::address::Entry>) -> Vec<Entry<'static>> {
        entries
            .into_iter()
            .map(|e| match e {
                reference::address::Entry::Address(a) => Entry::Address(Cow::Owned(a)),
                reference::address::Entry::Malformed => Entry::Malformed,
            })
            .collect()
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2048))]
        /// The reader gives exactly the entries the one before it gave.
        #[test]
        fn same_entries_as_reference(
            pieces in proptest::collection::vec(0usize..PIECES.len(), 0..40),
            max_entries in proptest::prop_oneof![0usize..4, proptest::strategy::Just(usize::MAX)],
        ) {
            let raw: Vec<u8> = pieces.iter().flat_map(|&i| PIECES[i].iter().copied()).collect();
            let mut new = Vec::new();
            let complete = parse_address_list(&raw, max_entries, &mut new);
            let mut old = Vec::new();
            let old_complete = reference::address::parse_address_list(&raw, max_entries, &mut old);
            proptest::prop_assert_eq!(complete, old_complete);
            proptest::prop_assert_eq!(new, lower_reference(old));
        }

        /// The same for addresses as senders write them.
        #[test]
        fn same_entries_as_reference_on_lists(
            list in concat!(
                r#"("#,
                r#"("[a-zA-Z ,\\\r\n]{0,6}"|[a-zA-Z]{1,5})@[a-zA-Z]{1,3}\.[a-zA-Z]{1,3}"#,
                r#"|("[a-zA-Z ,\\\r\n]{0,6}"|[a-zA-Z]{0,5}) ?"#,
                r#"<[ (\r\n]{0,2}[a-zA-Z"\\]{1,4}[ \r\n]?@[ (\r\n]?[a-zA-Z]{1,3}\.[a-zA-Z]{1,3}[ )\r\n]{0,2}>"#,
                r#"|[a-zA-Z.]{1,6}@[a-zA-Z.]{1,8}( \([a-z]{0,3}\))?"#,
                r#")(, ?"#,
                r#"("[a-zA-Z ,\\\r\n]{0,6}"|[a-zA-Z]{0,5}) ?<[ (\r\n]{0,2}[a-zA-Z"\\]{1,4}@[a-zA-Z]{1,3}\.[a-zA-Z]{1,3}[ )]{0,2}>"#,
                r#"|("[a-zA-Z ,\\\r\n]{0,6}"|[a-zA-Z]{1,5})@[a-zA-Z]{1,3}\.[a-zA-Z]{1,3}"#,
                r#"){0,6}"#,
            ),
        ) {
            let mut new = Vec::new();
            let complete = parse_address_list(list.as_bytes(), usize::MAX, &mut new);
            let mut old = Vec::new();
            let old_complete =
                reference::address::parse_address_list(list.as_bytes(), usize::MAX, &mut old);
            proptest::prop_assert_eq!(complete, old_complete);
            proptest::prop_assert_eq!(new, lower_reference(old));
        }
    }

    proptest::proptest! {
        #[test]
        fn same_domains_as_reference(domain in "[a-zA-Z0-9.\\-\u{e9}\\[\\] ]{0,12}|[a-z]{60,66}\\.[a-z]{1,3}") {
            proptest::prop_assert_eq!(
                is_valid_domain(&domain),
                reference::address::is_valid_domain(&domain)
            );
        }
    }

    #[test]
    fn byte_classes_match_their_definitions() {
        for b in 0..=u8::MAX {
            let local =
                b.is_ascii_alphanumeric() || b >= 0x80 || b"!#$%&'*+-/=?^_`{|}~.".contains(&b);
            assert_eq!(has_class(b, LOCAL), local, "{b:#x}");
            let label = b.is_ascii_alphanumeric() || b == b'-' || b >= 0x80;
            assert_eq!(has_class(b, LABEL), label, "{b:#x}");
            let lower = b.is_ascii() && !b.is_ascii_uppercase();
            assert_eq!(has_class(b, LOWER), lower, "{b:#x}");
        }
    }

    #[test]
    fn entry_limit_is_reported() {
        let mut out = Vec::new();
        assert!(!parse_address_list(
            b"a@x.org, b@x.org, c@x.org",
            2,
            &mut out
        ));
        assert_eq!(out.len(), 2);
    }
}
