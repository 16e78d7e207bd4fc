//! The recipient analysis as it was before it was made cheaper (commit
//! e9509de): the reference the tests compare the faster one against.
//! Test-only.

use std::collections::{BTreeMap, BTreeSet};

use super::{domain_of, is_internal, Envelope, RecipientAnalysis, RecipientCounts, RecipientRules};
use crate::message::RawHeader;
use address::Entry;

pub(in crate::recipients) mod address {
    //! The address-list reader before it borrowed from the raw bytes.
    /// One entry of an address list.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub(in crate::recipients) enum Entry {
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
    pub(in crate::recipients) fn parse_address_list(
        raw: &[u8],
        max_entries: usize,
        out: &mut Vec<Entry>,
    ) -> bool {
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
    pub(in crate::recipients) fn validate_addr_spec(spec: &str) -> Entry {
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
    pub(in crate::recipients) fn is_valid_domain(domain: &str) -> bool {
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
}

/// Is `domain` one of the consumer mailbox providers?
pub(in crate::recipients) fn is_consumer(rules: &RecipientRules, domain: &str) -> bool {
    rules.consumer_exact.iter().any(|d| d == domain)
        || rules.consumer_prefixes.iter().any(|p| {
            domain
                .strip_prefix(p.as_str())
                .is_some_and(|rest| !rest.is_empty() && !rest.contains(".."))
        })
}

pub(in crate::recipients) fn analyse(
    rules: &RecipientRules,
    headers: &[RawHeader<'_>],
    envelope: Option<&Envelope>,
) -> RecipientAnalysis {
    let mut to = BTreeSet::new();
    let mut cc = BTreeSet::new();
    let mut bcc = BTreeSet::new();
    let mut from = Vec::new();
    let mut malformed = 0usize;
    let mut truncated = false;
    let mut read = 0usize;
    let mut origin: BTreeMap<String, &'static str> = BTreeMap::new();
    let mut entries = Vec::new();
    for header in headers {
        let name = header.name;
        let target = if name.eq_ignore_ascii_case("To") || name.eq_ignore_ascii_case("Resent-To") {
            &mut to
        } else if name.eq_ignore_ascii_case("Cc") || name.eq_ignore_ascii_case("Resent-Cc") {
            &mut cc
        } else if name.eq_ignore_ascii_case("Bcc") || name.eq_ignore_ascii_case("Resent-Bcc") {
            &mut bcc
        } else if name.eq_ignore_ascii_case("From") {
            entries.clear();
            address::parse_address_list(header.value, 16, &mut entries);
            from.extend(entries.drain(..).filter_map(|e| match e {
                Entry::Address(a) => Some(a),
                Entry::Malformed => None,
            }));
            continue;
        } else {
            continue;
        };
        entries.clear();
        let budget = rules.max_entries.saturating_sub(read);
        if !address::parse_address_list(header.value, budget, &mut entries) {
            truncated = true;
        }
        read += entries.len();
        let visible_header = !name.to_ascii_lowercase().ends_with("bcc");
        for entry in entries.drain(..) {
            match entry {
                Entry::Address(a) => {
                    if visible_header && !origin.contains_key(&a) {
                        origin.insert(a.clone(), canonical_header(name));
                    }
                    target.insert(a);
                }
                Entry::Malformed => malformed += 1,
            }
        }
    }

    let sender_domains: Vec<String> = from
        .iter()
        .map(String::as_str)
        .chain(envelope.and_then(|e| e.mail_from.as_deref()))
        .filter_map(domain_of)
        .map(str::to_ascii_lowercase)
        .collect();
    let internal = internal_domains(rules, &sender_domains);

    let mut visible: BTreeSet<&str> = BTreeSet::new();
    visible.extend(to.iter().map(String::as_str));
    visible.extend(cc.iter().map(String::as_str));
    let mut external = 0;
    let mut consumer = 0;
    let mut external_domains = BTreeSet::new();
    let mut visible_headers: Vec<&'static str> = Vec::new();
    for addr in &visible {
        let Some(domain) = domain_of(addr) else {
            continue;
        };
        if is_internal(domain, &internal) {
            continue;
        }
        external += 1;
        external_domains.insert(domain);
        if let Some(header) = origin.get(*addr) {
            if !visible_headers.contains(header) {
                visible_headers.push(header);
            }
        }
        if is_consumer(rules, domain) {
            consumer += 1;
        }
    }
    let mut external_recipient_domains = BTreeMap::new();
    let rcpt: Vec<String> = envelope.map_or_else(Vec::new, |e| {
        e.rcpt_to
            .iter()
            .map(|r| {
                r.trim()
                    .trim_start_matches('<')
                    .trim_end_matches('>')
                    .to_lowercase()
            })
            .collect()
    });
    let receivers = (to.iter().map(|a| (a.as_str(), "HEADER.To")))
        .chain(cc.iter().map(|a| (a.as_str(), "HEADER.Cc")))
        .chain(bcc.iter().map(|a| (a.as_str(), "HEADER.Bcc")))
        .chain(rcpt.iter().map(|a| (a.as_str(), "ENVELOPE.RCPT-TO")));
    for (addr, place) in receivers {
        if let Some(domain) = domain_of(addr) {
            let domain = domain.to_ascii_lowercase();
            if !is_internal(&domain, &internal) {
                external_recipient_domains.entry(domain).or_insert(place);
            }
        }
    }
    let envelope_only = rcpt
        .iter()
        .filter(|r| !visible.contains(r.as_str()))
        .collect::<BTreeSet<_>>()
        .len();

    RecipientAnalysis {
        counts: RecipientCounts {
            to: to.len(),
            cc: cc.len(),
            bcc: bcc.len(),
            visible: visible.len(),
            external,
            external_domains: external_domains.len(),
            consumer,
            malformed,
            envelope_only,
        },
        external_headers: visible_headers.into_iter().map(String::from).collect(),
        truncated,
        sender: from.first().cloned().or_else(|| {
            envelope
                .and_then(|e| e.mail_from.as_deref())
                .filter(|m| m.contains('@'))
                .map(|m| m.trim_matches(['<', '>']).to_lowercase())
        }),
        external_recipient_domains,
    }
}

/// The domains internal to a message from `sender_domains`: those of
/// every organisation a sender belongs to, or else the senders' own.
fn internal_domains(rules: &RecipientRules, sender_domains: &[String]) -> Vec<String> {
    let mut internal: Vec<String> = Vec::new();
    for org in &rules.organisations {
        if sender_domains.iter().any(|s| is_internal(s, org)) {
            internal.extend(org.iter().cloned());
        }
    }
    if internal.is_empty() {
        internal.extend(sender_domains.iter().cloned());
    }
    internal.sort();
    internal.dedup();
    internal
}

fn canonical_header(name: &str) -> &'static str {
    match name.to_ascii_lowercase().as_str() {
        "to" => "To",
        "cc" => "Cc",
        "resent-to" => "Resent-To",
        "resent-cc" => "Resent-Cc",
        _ => "To",
    }
}
