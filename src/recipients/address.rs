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

/// One entry of an address list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Entry {
    /// A syntactically valid address, lower-cased (`local@domain`).
    Address(String),
    /// Something that stands where an address should and is not one.
    Malformed,
}

/// Reads every entry of an address-list header value.
///
/// Group syntax (`Team: a@x, b@y;`) yields the group's members; an empty
/// group (`undisclosed-recipients:;`) yields nothing. Empty list elements
/// (`a@x,,b@y`) are skipped, as RFC 5322's obsolete syntax allows.
pub(crate) fn parse_address_list(raw: &[u8], max_entries: usize, out: &mut Vec<Entry>) -> bool {
    let mut reader = Reader { raw, pos: 0 };
    let mut current = Pending::default();
    let mut truncated = false;
    while let Some(token) = reader.next_token() {
        match token {
            Token::Comma | Token::Semicolon => {
                if let Some(entry) = std::mem::take(&mut current).finish() {
                    if out.len() >= max_entries {
                        truncated = true;
                        break;
                    }
                    out.push(entry);
                }
            }
            Token::Colon if current.angle.is_none() && !current.has_at() => {
                // A group's display name ends here; what came before was a phrase.
                current = Pending::default();
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
        if let Some(entry) = current.finish() {
            if out.len() >= max_entries {
                truncated = true;
            } else {
                out.push(entry);
            }
        }
    }
    !truncated
}

#[derive(Debug, Clone)]
enum WordPiece {
    Atom(String),
    Quoted(String),
    Literal(String),
    Special(u8),
}

#[derive(Default)]
struct Pending {
    words: Vec<WordPiece>,
    angle: Option<String>,
    malformed: bool,
    /// An `@` is among `words`. Kept, not searched for: a search on every
    /// `:` made `a.a.….a@::…:` quadratic.
    at: bool,
}

impl Pending {
    fn has_at(&self) -> bool {
        self.at
    }

    fn push(&mut self, word: WordPiece) {
        self.at |= matches!(word, WordPiece::Special(b'@'));
        self.words.push(word);
    }

    fn finish(self) -> Option<Entry> {
        if self.malformed {
            return Some(Entry::Malformed);
        }
        if let Some(inner) = self.angle {
            // name-addr: the display name is whatever words precede it.
            if inner.trim().is_empty() {
                // `<>` is the null reverse-path, not a recipient.
                return if self.words.is_empty() {
                    None
                } else {
                    Some(Entry::Malformed)
                };
            }
            return Some(validate_addr_spec(strip_route(inner.trim())));
        }
        if self.words.is_empty() {
            return None;
        }
        // addr-spec: join the pieces without the folding white space.
        let mut joined = String::new();
        for piece in &self.words {
            match piece {
                WordPiece::Atom(s) | WordPiece::Literal(s) => joined.push_str(s),
                WordPiece::Quoted(s) => {
                    joined.push('"');
                    joined.push_str(s);
                    joined.push('"');
                }
                WordPiece::Special(c) => joined.push(char::from(*c)),
            }
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
        Some(validate_addr_spec(&joined))
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
pub(crate) fn validate_addr_spec(spec: &str) -> Entry {
    let Some(at) = spec.rfind('@') else {
        return Entry::Malformed;
    };
    let (local, domain) = (&spec[..at], &spec[at + 1..]);
    if local.is_empty() || local.len() > 64 || domain.is_empty() || domain.len() > 255 {
        return Entry::Malformed;
    }
    let local_ok = if local.starts_with('"') && local.ends_with('"') && local.len() >= 2 {
        true
    } else {
        !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local.bytes().all(is_local_byte)
    };
    if !local_ok || !is_valid_domain(domain) {
        return Entry::Malformed;
    }
    Entry::Address(spec.to_lowercase())
}

fn is_local_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b >= 0x80 || b"!#$%&'*+-/=?^_`{|}~.".contains(&b)
}

/// A domain in a recipient address: dot-separated labels of letters, digits
/// and hyphens (or UTF-8, for internationalised names), at least two labels,
/// or a bracketed address literal.
pub(crate) fn is_valid_domain(domain: &str) -> bool {
    if domain.starts_with('[') && domain.ends_with(']') {
        return domain.len() > 2;
    }
    let mut labels = 0;
    for label in domain.split('.') {
        if label.is_empty()
            || label.len() > 63
            || label.starts_with('-')
            || label.ends_with('-')
            || !label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b >= 0x80)
        {
            return false;
        }
        labels += 1;
    }
    labels >= 2
}

enum Token {
    Comma,
    Semicolon,
    Colon,
    Angle(String),
    Word(WordPiece),
    Special(u8),
}

struct Reader<'a> {
    raw: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn next_token(&mut self) -> Option<Token> {
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

    fn read_quoted(&mut self) -> String {
        self.pos += 1;
        let mut out = Vec::new();
        while let Some(&b) = self.raw.get(self.pos) {
            self.pos += 1;
            match b {
                b'\\' => {
                    if let Some(&next) = self.raw.get(self.pos) {
                        out.push(next);
                        self.pos += 1;
                    }
                }
                b'"' => break,
                b'\r' | b'\n' => {}
                _ => out.push(b),
            }
        }
        String::from_utf8_lossy(&out).into_owned()
    }

    fn read_literal(&mut self) -> String {
        let start = self.pos;
        while let Some(&b) = self.raw.get(self.pos) {
            self.pos += 1;
            if b == b']' {
                break;
            }
        }
        String::from_utf8_lossy(&self.raw[start..self.pos]).into_owned()
    }

    /// The inside of `<...>`, with comments and folding removed.
    fn read_angle(&mut self) -> String {
        self.pos += 1;
        let mut out = Vec::new();
        while let Some(&b) = self.raw.get(self.pos) {
            match b {
                b'>' => {
                    self.pos += 1;
                    break;
                }
                b'(' => self.skip_comment(),
                b'"' => {
                    let quoted = self.read_quoted();
                    out.push(b'"');
                    out.extend_from_slice(quoted.as_bytes());
                    out.push(b'"');
                }
                b' ' | b'\t' | b'\r' | b'\n' => self.pos += 1,
                // A list separator inside an unclosed angle: stop so the rest
                // of the list is still read.
                b',' | b';' => break,
                _ => {
                    out.push(b);
                    self.pos += 1;
                }
            }
        }
        String::from_utf8_lossy(&out).into_owned()
    }

    fn read_atom(&mut self) -> String {
        let start = self.pos;
        while let Some(&b) = self.raw.get(self.pos) {
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
        String::from_utf8_lossy(&self.raw[start..self.pos]).into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Vec<Entry> {
        let mut out = Vec::new();
        assert!(parse_address_list(s.as_bytes(), usize::MAX, &mut out));
        out
    }

    fn addrs(s: &str) -> Vec<String> {
        parse(s)
            .into_iter()
            .filter_map(|e| match e {
                Entry::Address(a) => Some(a),
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
