//! Context words: every rule's vocabulary in one trie-shaped automaton,
//! looked up at word starts in the stretches around candidates; and the
//! header row of tabular text, whose cells label the columns below them.

use std::collections::HashMap;
use std::ops::Range;

use aho_corasick::automaton::Automaton;
use aho_corasick::{Anchored, MatchKind, StartKind};

use super::rules::{Rule, HEALTH_WORDS};

/// What a context word says, as bit sets over rule indexes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Meaning {
    /// Rules this word supports.
    pub(crate) positive: u32,
    /// Rules this word argues against.
    pub(crate) negative: u32,
    /// The word is health vocabulary.
    pub(crate) health: bool,
}

impl Meaning {
    fn merge(&mut self, other: Meaning) {
        self.positive |= other.positive;
        self.negative |= other.negative;
        self.health |= other.health;
    }
}

/// A context word found in the text.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Hit {
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) meaning: Meaning,
}

/// The compiled vocabulary.
#[derive(Debug)]
pub(crate) struct Vocabulary {
    words: Words,
    meanings: Vec<Meaning>,
    /// Health words alone, for one pass over a part that holds identifiers.
    health: Words,
}

/// A word list searched at word starts only.
///
/// A whole word begins where no letter precedes it, so only those places
/// are tried, each with an anchored walk of a trie-shaped DFA that stops at
/// the first byte no word continues with: most places cost one step. An
/// unanchored search would also stop inside longer words ("ni" in
/// "opinion", "st" in "first") only to reject each stop: for short words
/// that costs more than the text is long.
#[derive(Debug)]
struct Words {
    dfa: aho_corasick::dfa::DFA,
    /// Bit `a << 8 | b` is set when some word starts with bytes `a`, `b`
    /// (ASCII lower-cased); a one-byte word sets every `b` after its `a`.
    /// Most places are turned away by this table, without a walk.
    starts: Box<[u64; 1024]>,
    /// Every word starts with a letter, so only letters after non-letters
    /// need trying.
    letter_starts: bool,
}

impl Words {
    fn new(words: &[String]) -> Result<Words, aho_corasick::BuildError> {
        let dfa = aho_corasick::dfa::DFA::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostLongest)
            .start_kind(StartKind::Anchored)
            .build(words)?;
        let mut starts = Box::new([0u64; 1024]);
        let mut set = |a: u8, b: u8| {
            let bit = pair(a, b);
            starts[bit / 64] |= 1 << (bit % 64);
        };
        for word in words {
            match word.as_bytes() {
                [] => {}
                [a] => (0..=255).for_each(|b| set(*a, b)),
                [a, b, ..] => set(*a, *b),
            }
        }
        let letter_starts = words
            .iter()
            .all(|w| w.as_bytes().first().is_some_and(u8::is_ascii_alphabetic));
        Ok(Words {
            dfa,
            starts,
            letter_starts,
        })
    }

    /// Some word may start with `a`, `b`.
    #[inline]
    fn may_start(&self, a: u8, b: u8) -> bool {
        let bit = pair(a, b);
        self.starts[bit / 64] & (1 << (bit % 64)) != 0
    }

    /// Tries a word start at `at`: when a word starts there (and ends by
    /// `end`), reports it through `found` and returns its end.
    #[inline(always)]
    fn try_at(
        &self,
        bytes: &[u8],
        at: usize,
        end: usize,
        found: &mut impl FnMut(usize, usize, usize),
    ) -> Option<usize> {
        let next = bytes.get(at + 1).copied().unwrap_or(0);
        if !self.may_start(bytes[at], next) {
            return None;
        }
        let (word_end, word) = self.longest_at(bytes, at, end)?;
        found(at, word_end, word);
        Some(word_end)
    }

    /// The longest word that starts at `at` and ends by `end`: its end and
    /// index.
    fn longest_at(&self, bytes: &[u8], at: usize, end: usize) -> Option<(usize, usize)> {
        let dfa = &self.dfa;
        // Built for anchored searches, so a start state exists.
        let mut sid = dfa.start_state(Anchored::Yes).ok()?;
        let mut longest = None;
        for (i, &byte) in (at..).zip(&bytes[at..end]) {
            sid = dfa.next_state(Anchored::Yes, sid, byte);
            if dfa.is_special(sid) {
                if dfa.is_dead(sid) {
                    break;
                }
                if dfa.is_match(sid) {
                    let word = dfa.match_pattern(sid, 0);
                    // A match state may also carry a shorter word that ends
                    // here but starts later: only words from `at` count.
                    if i + 1 - dfa.pattern_len(word) == at {
                        longest = Some((i + 1, word.as_usize()));
                    }
                }
            }
        }
        longest
    }

    /// Calls `found(start, end, word)` for each word that starts in `range`
    /// where no letter precedes it, the longest one at each place, left to
    /// right and not overlapping (a word found, whole or not, is stepped
    /// over). `end` may be glued to a letter: callers judge that.
    fn each(&self, text: &str, range: Range<usize>, mut found: impl FnMut(usize, usize, usize)) {
        if !self.letter_starts {
            return self.each_bytewise(text, range, found);
        }
        let bytes = text.as_bytes();
        let end = range.end.min(bytes.len());
        let mut at = range.start.min(end);
        let mut after_letter = at > 0 && bytes[at - 1].is_ascii_alphabetic();
        // Eight bytes at a time: the letters that follow a non-letter.
        'chunks: while at < end {
            let chunk_end = (at + 8).min(end);
            let chunk = match bytes[at..].first_chunk::<8>() {
                Some(whole) if chunk_end == at + 8 => *whole,
                _ => {
                    let mut short = [0u8; 8];
                    short[..chunk_end - at].copy_from_slice(&bytes[at..chunk_end]);
                    short
                }
            };
            let letters = letter_mask(u64::from_le_bytes(chunk));
            let mut starts = letters & !(letters << 8 | u64::from(after_letter) << 7);
            while starts != 0 {
                let i = at + (starts.trailing_zeros() / 8) as usize;
                starts &= starts - 1;
                if let Some(word_end) = self.try_at(bytes, i, end, &mut found) {
                    after_letter = bytes[word_end - 1].is_ascii_alphabetic();
                    at = word_end;
                    continue 'chunks;
                }
            }
            after_letter = letters >> ((chunk_end - at - 1) * 8 + 7) & 1 == 1;
            at = chunk_end;
        }
    }

    /// [`Words::each`] a byte at a time: for words that may begin with a
    /// non-letter, and as the reference the fast path is tested against.
    fn each_bytewise(
        &self,
        text: &str,
        range: Range<usize>,
        mut found: impl FnMut(usize, usize, usize),
    ) {
        let bytes = text.as_bytes();
        let end = range.end.min(bytes.len());
        let mut at = range.start.min(end);
        let mut after_letter = at > 0 && bytes[at - 1].is_ascii_alphabetic();
        while at < end {
            if !after_letter {
                if let Some(word_end) = self.try_at(bytes, at, end, &mut found) {
                    after_letter = bytes[word_end - 1].is_ascii_alphabetic();
                    at = word_end;
                    continue;
                }
            }
            after_letter = bytes[at].is_ascii_alphabetic();
            at += 1;
        }
    }
}

/// Bit 7 of each byte of `x` is set when that byte is an ASCII letter.
#[inline]
fn letter_mask(x: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = ONES * 0x80;
    // Folded to lower case, seven bits: no byte's sum below carries over.
    let folded = (x | (ONES * 0x20)) & !HIGH;
    let from_a = folded + ONES * (0x80 - u64::from(b'a'));
    let past_z = folded + ONES * (0x80 - u64::from(b'z') - 1);
    from_a & !past_z & !x & HIGH
}

impl Vocabulary {
    pub(crate) fn new(rules: &[&Rule]) -> Result<Vocabulary, aho_corasick::BuildError> {
        let mut words: Vec<String> = Vec::new();
        let mut meanings: Vec<Meaning> = Vec::new();
        // Each word's index in `words`.
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut add = |word: &str, meaning: Meaning| {
            let word = word.to_ascii_lowercase();
            match index.get(&word) {
                Some(&i) => meanings[i].merge(meaning),
                None => {
                    index.insert(word.clone(), words.len());
                    words.push(word);
                    meanings.push(meaning);
                }
            }
        };
        for (i, rule) in rules.iter().enumerate() {
            let bit = 1u32 << i;
            for word in rule.context {
                add(
                    word,
                    Meaning {
                        positive: bit,
                        ..Meaning::default()
                    },
                );
            }
            for word in rule.negative {
                add(
                    word,
                    Meaning {
                        negative: bit,
                        ..Meaning::default()
                    },
                );
            }
        }
        for word in HEALTH_WORDS {
            add(
                word,
                Meaning {
                    health: true,
                    ..Meaning::default()
                },
            );
        }
        // A phrase means what its words mean too: "order number" argues
        // against whatever "order" argues against, even though the automaton
        // reports only the longer phrase.
        let inherited: Vec<Meaning> = words
            .iter()
            .zip(&meanings)
            .map(|(phrase, own)| {
                let mut meaning = *own;
                // Only a phrase of several words holds another word whole.
                if phrase.bytes().all(|b| b.is_ascii_alphabetic()) {
                    return meaning;
                }
                for i in whole_word_spans(phrase) {
                    if let Some(&w) = index.get(&phrase[i]) {
                        meaning.merge(meanings[w]);
                    }
                }
                meaning
            })
            .collect();
        let meanings = inherited;
        let health_words: Vec<String> = HEALTH_WORDS.iter().map(|w| w.to_string()).collect();
        Ok(Vocabulary {
            words: Words::new(&words)?,
            meanings,
            health: Words::new(&health_words)?,
        })
    }

    /// Appends the whole-word context words in `text[range]` to `out`, in
    /// order, leaving out any that starts where or before the last one in
    /// `out` does (searches over overlapping stretches).
    pub(crate) fn find(&self, text: &str, range: Range<usize>, out: &mut Vec<Hit>) {
        let seen_to = out.last().map(|hit| hit.start);
        self.words.each(text, range, |start, end, word| {
            let seen = seen_to.is_some_and(|last| last >= start);
            if !seen && whole_word(text, start, end) {
                out.push(Hit {
                    start,
                    end,
                    meaning: self.meanings[word],
                });
            }
        });
    }

    /// Appends where health words occur in `text[range]` to `out`, in order.
    pub(crate) fn find_health(&self, text: &str, range: Range<usize>, out: &mut Vec<usize>) {
        self.health.each(text, range, |start, end, _| {
            let seen = out.last().is_some_and(|&last| last >= start);
            if !seen && whole_word(text, start, end) {
                out.push(start);
            }
        });
    }
}

/// The index of a byte pair in [`Words::starts`], ASCII case folded.
#[inline]
fn pair(a: u8, b: u8) -> usize {
    usize::from(a.to_ascii_lowercase()) << 8 | usize::from(b.to_ascii_lowercase())
}

/// No letter touches either end ("ref" is not in "referral"). Digits may:
/// some HTML converters glue a label to the value after it.
fn whole_word(text: &str, start: usize, end: usize) -> bool {
    let bytes = text.as_bytes();
    let before = start.checked_sub(1).map(|i| bytes[i]);
    let after = bytes.get(end).copied();
    !(before.is_some_and(|b| b.is_ascii_alphabetic())
        || after.is_some_and(|b| b.is_ascii_alphabetic()))
}

/// The header row of tabular text (CSV, TSV): each column's meaning.
#[derive(Debug, Default)]
pub(crate) struct Table {
    pub(crate) delimiter: u8,
    /// Byte offset just past the header line.
    pub(crate) body_start: usize,
    pub(crate) columns: Vec<Meaning>,
    /// Some column is health vocabulary (e.g. "Condition").
    pub(crate) health: bool,
    /// A column decides before a label beside the value: not so for a
    /// table of commas (or semicolons, pipes) in a message body, which
    /// could be prose.
    pub(crate) binding: bool,
    /// The last position looked up and its column, so that lookups in
    /// document order read each line once.
    cursor: Option<Cursor>,
}

/// How many lines without a delimiter (a title, a blank line) may come
/// before a table's header.
const MAX_TITLE_LINES: usize = 3;

#[derive(Debug, Clone, Copy)]
struct Cursor {
    at: usize,
    column: usize,
    /// `at` is inside a quoted cell.
    quoted: bool,
}

/// How many delimiters `line` holds outside quoted cells, and whether its
/// end is inside one, given whether its start is. A `"` opens or closes a
/// quoted cell (an escaped `""` does both). A line break always ends a cell:
/// a quoted cell that runs over lines (an address) costs only its own row.
fn delimiters(line: &[u8], delimiter: u8, mut quoted: bool) -> (usize, bool) {
    if !quoted && memchr::memchr(b'"', line).is_none() {
        return (memchr::memchr_iter(delimiter, line).count(), false);
    }
    let mut count = 0;
    for i in memchr::memchr2_iter(delimiter, b'"', line) {
        if line[i] == b'"' {
            quoted = !quoted;
        } else if !quoted {
            count += 1;
        }
    }
    (count, quoted)
}

impl Table {
    /// Reads the header when `text` looks like a table: its first two lines
    /// split into the same number (at least two) of cells on one delimiter,
    /// counted outside double quotes (`"Khan, Amir"` is one cell). Up to
    /// [`MAX_TITLE_LINES`] lines without a delimiter may come first; the
    /// header then needs three cells or more. In a message body (`prose`),
    /// a header split by anything but tabs must also read as column names
    /// ([`names_columns`]): a letter's first lines often hold a comma each.
    /// `hits` is working memory.
    pub(crate) fn detect(
        text: &str,
        prose: bool,
        vocabulary: &Vocabulary,
        hits: &mut Vec<Hit>,
        table: &mut Table,
    ) -> bool {
        let bytes = text.as_bytes();
        const DELIMITERS: [u8; 4] = [b',', b'\t', b';', b'|'];
        let count = |line: &[u8], d: u8| delimiters(line, d, false).0;
        // A title or a blank line may come first (`Patient export 23/11`):
        // the header is the first line with a delimiter, among the first few.
        let mut header_start = 0;
        let mut first_end = None;
        for _ in 0..MAX_TITLE_LINES + 1 {
            let Some(end) = memchr::memchr(b'\n', &bytes[header_start..]) else {
                return false;
            };
            let line = &bytes[header_start..header_start + end];
            if DELIMITERS.iter().any(|&d| count(line, d) > 0) {
                first_end = Some(header_start + end);
                break;
            }
            header_start += end + 1;
        }
        let Some(first_end) = first_end else {
            return false;
        };
        let first = &bytes[header_start..first_end];
        let second_end = memchr::memchr(b'\n', &bytes[first_end + 1..])
            .map_or(bytes.len(), |i| first_end + 1 + i);
        let second = &bytes[first_end + 1..second_end];
        let Some(delimiter) = DELIMITERS
            .into_iter()
            // Past a title, a header of three columns or more: prose has
            // lines with one comma each more often.
            .filter(|&d| count(first, d) > usize::from(header_start > 0))
            .filter(|&d| count(first, d) == count(second, d))
            .max_by_key(|&d| count(first, d))
        else {
            return false;
        };
        // A header names its columns; a first line with a cell of mostly
        // digits is data (a log line's time stamp, a table without a header).
        if holds_data(first, delimiter) {
            return false;
        }
        if prose && delimiter != b'\t' {
            let first = String::from_utf8_lossy(first);
            if !names_columns(first.split(char::from(delimiter))) {
                return false;
            }
        }
        table.delimiter = delimiter;
        table.binding = !prose || delimiter == b'\t';
        table.body_start = first_end + 1;
        table.columns.clear();
        table
            .columns
            .resize(count(first, delimiter) + 1, Meaning::default());
        table.health = false;
        table.cursor = None;
        hits.clear();
        vocabulary.find(text, header_start..first_end, hits);
        for hit in hits.iter() {
            let column = count(&first[..hit.start - header_start], delimiter);
            if let Some(slot) = table.columns.get_mut(column) {
                slot.merge(hit.meaning);
            }
            table.health |= hit.meaning.health;
        }
        true
    }

    /// The meaning of the column that holds byte `at` of `text`. Linear over
    /// a part when called in document order: each call reads only the text
    /// since the previous one.
    pub(crate) fn column_at(&mut self, text: &str, at: usize) -> Option<Meaning> {
        if at < self.body_start {
            return None;
        }
        let bytes = text.as_bytes();
        let (from, mut column, mut quoted) = match self.cursor {
            Some(c) if c.at <= at => (c.at, c.column, c.quoted),
            _ => (0, 0, false),
        };
        if at - from <= 64 {
            // Candidates in a table are a few bytes apart: read those bytes
            // one by one rather than set up three searches.
            for &b in &bytes[from..at] {
                if b == b'\n' {
                    column = 0;
                    quoted = false;
                } else if b == b'"' {
                    quoted = !quoted;
                } else if b == self.delimiter && !quoted {
                    column += 1;
                }
            }
        } else {
            // From the start of `at`'s line, or from the last lookup on it.
            let read = match memchr::memrchr(b'\n', &bytes[from..at]) {
                Some(i) => {
                    column = 0;
                    quoted = false;
                    from + i + 1
                }
                None => from,
            };
            let (more, still_quoted) = delimiters(&bytes[read..at], self.delimiter, quoted);
            column += more;
            quoted = still_quoted;
        }
        self.cursor = Some(Cursor { at, column, quoted });
        self.columns.get(column).copied()
    }
}

/// Tables inside a text that does not start with one: an HTML table (its
/// cells become tabs, its rows lines), cells pasted from a spreadsheet
/// (tabs), a Markdown table (`|`), CSV pasted under a paragraph (commas), or
/// a table aligned with spaces. A run of lines split the same way into the
/// same number of cells is a table whose first line, if it names its
/// columns (no cell of mostly digits), is the header.
///
/// Prose has lines with a comma or two, and wrapped paragraphs put several
/// such lines together, so tables of commas, pipes or spaces need more: at
/// least three cells (two pipes for a Markdown row), a header of short
/// cells, and their column weighs less than a label beside the value (see
/// [`Split::binding`]).
///
/// Lookups come in document order; each line is read a bounded number of
/// times (the line in hand is remembered, a table's rows are confirmed one
/// line at a time, and the walk up to a header goes at most
/// [`MAX_HEADER_WALK`] lines), so a part costs linear time.
#[derive(Debug, Default)]
pub(crate) struct InlineTables {
    /// The line last looked up.
    line: Option<LineSplit>,
    block: Option<InlineBlock>,
    columns: Vec<Meaning>,
    hits: Vec<Hit>,
}

/// A line of a text and how it splits into cells.
#[derive(Debug, Clone, Copy)]
struct LineSplit {
    start: usize,
    end: usize,
    split: Option<(Split, usize)>,
}

/// How the cells of a line inside a text are separated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Split {
    /// Tabs.
    Tab,
    /// `|`.
    Pipe,
    /// `,`.
    Comma,
    /// Two spaces or more between cells.
    Gap,
}

impl Split {
    /// How `line` splits into cells, and how many separators it holds:
    /// tabs if any, else two or more pipes, commas or gaps.
    fn of(line: &[u8]) -> Option<(Split, usize)> {
        let (mut tabs, mut pipes, mut commas) = (0, 0, 0);
        for i in memchr::memchr3_iter(b'\t', b'|', b',', line) {
            match line[i] {
                b'\t' => tabs += 1,
                b'|' => pipes += 1,
                _ => commas += 1,
            }
        }
        if tabs > 0 {
            Some((Split::Tab, tabs))
        } else if pipes >= 2 {
            Some((Split::Pipe, pipes))
        } else if commas >= 2 {
            Some((Split::Comma, commas))
        } else if memchr::memmem::find(line, b"  ").is_some() {
            let gaps = Split::Gap.count(line);
            (gaps >= 2).then_some((Split::Gap, gaps))
        } else {
            None
        }
    }

    /// Separators in `line`. A gap counts when a character other than a
    /// space comes before and after it, so pass the line up to and
    /// including a value's first byte to get the value's column.
    fn count(self, line: &[u8]) -> usize {
        match self {
            Split::Tab => memchr::memchr_iter(b'\t', line).count(),
            Split::Pipe => memchr::memchr_iter(b'|', line).count(),
            Split::Comma => memchr::memchr_iter(b',', line).count(),
            Split::Gap => {
                let mut gaps = 0;
                let mut run = 0;
                let mut after_text = false;
                for &b in line {
                    if b == b' ' {
                        run += 1;
                        continue;
                    }
                    let cell_byte = !b.is_ascii_whitespace();
                    if cell_byte && after_text && run >= 2 {
                        gaps += 1;
                    }
                    run = 0;
                    after_text = cell_byte;
                }
                gaps
            }
        }
    }

    /// The column decides before a label beside the value does: tabs come
    /// from HTML tables and spreadsheets, not from prose.
    pub(crate) fn binding(self) -> bool {
        self == Split::Tab
    }

    /// `line`, the first of a run, can name columns: for separators that
    /// prose also holds, only if its cells are short ([`names_columns`]).
    fn can_head(self, line: &[u8]) -> bool {
        match self {
            Split::Tab => true,
            Split::Gap => {
                let text = String::from_utf8_lossy(line);
                names_columns(text.trim().split("  ").filter(|c| !c.trim().is_empty()))
            }
            Split::Pipe => {
                let text = String::from_utf8_lossy(line);
                names_columns(text.trim().trim_matches('|').split('|'))
            }
            Split::Comma => names_columns(String::from_utf8_lossy(line).split(',')),
        }
    }

    /// The byte that separates cells when there is one.
    fn byte(self) -> u8 {
        match self {
            Split::Tab => b'\t',
            Split::Pipe => b'|',
            Split::Comma => b',',
            Split::Gap => b' ',
        }
    }
}

/// Cells that read as column names, not as a sentence cut at its commas:
/// none empty, none longer than four words or 32 bytes, none ending a
/// sentence.
fn names_columns<'a>(mut cells: impl Iterator<Item = &'a str>) -> bool {
    cells.all(|cell| {
        let cell = cell.trim();
        !cell.is_empty()
            && cell.len() <= 32
            && cell.split_whitespace().count() <= 4
            && !cell.ends_with(['.', '?', '!'])
    })
}

#[derive(Debug, Clone, Copy)]
struct InlineBlock {
    /// Start of the line after the header.
    body_start: usize,
    /// End of the last line known to be a row.
    rows_end: usize,
    split: Split,
    separators: usize,
    /// The header names columns (`columns` holds them).
    named: bool,
    /// Some column is health vocabulary.
    health: bool,
}

/// How many lines above a value the search for its table's header reads.
const MAX_HEADER_WALK: usize = 1000;

/// A line of data, not of column names: some cell is mostly digits.
fn holds_data(line: &[u8], delimiter: u8) -> bool {
    line.split(|&b| b == delimiter).any(|cell| {
        let digits = cell.iter().filter(|b| b.is_ascii_digit()).count();
        let letters = cell.iter().filter(|b| b.is_ascii_alphabetic()).count();
        digits >= 4 && digits > letters
    })
}

/// The end of the line that starts at `from`.
fn line_end(bytes: &[u8], from: usize) -> usize {
    memchr::memchr(b'\n', &bytes[from..]).map_or(bytes.len(), |i| from + i)
}

impl InlineTables {
    /// Forgets the previous part.
    pub(crate) fn clear(&mut self) {
        self.line = None;
        self.block = None;
    }

    /// The meaning of the column that holds byte `at`, whether its table
    /// has a health column, and how the table splits; `None` outside a
    /// table with a named header.
    pub(crate) fn column_at(
        &mut self,
        text: &str,
        at: usize,
        vocabulary: &Vocabulary,
    ) -> Option<(Meaning, bool, Split)> {
        let bytes = text.as_bytes();
        let LineSplit { start, end, split } = match self.line {
            Some(line) if line.start <= at && at <= line.end => line,
            _ => {
                let start = memchr::memrchr(b'\n', &bytes[..at]).map_or(0, |i| i + 1);
                let end = line_end(bytes, at);
                let line = LineSplit {
                    start,
                    end,
                    split: Split::of(&bytes[start..end]),
                };
                self.line = Some(line);
                line
            }
        };
        let split = split?;
        // Confirm the rows between the known ones and this line.
        if let Some(block) = &mut self.block {
            while block.rows_end < start && (block.split, block.separators) == split {
                let next = block.rows_end + 1;
                let next_end = line_end(bytes, next);
                if Split::of(&bytes[next..next_end]) != Some(split) {
                    break;
                }
                block.rows_end = next_end;
            }
            if !(block.body_start <= start && start <= block.rows_end) {
                self.block = None;
            }
        }
        if self.block.is_none() {
            self.block = self.find_header(text, start, end, split, vocabulary);
        }
        let block = self.block?;
        if !block.named || start < block.body_start {
            return None;
        }
        let through = (at + 1).min(bytes.len());
        let column = block.split.count(&bytes[start..through]);
        Some((
            self.columns.get(column).copied()?,
            block.health,
            block.split,
        ))
    }

    /// The table of the line `start..end` (split as `split`): walks up
    /// while the lines above split the same way. `None` when the line is
    /// the first of its run (a header, or a line on its own).
    fn find_header(
        &mut self,
        text: &str,
        start: usize,
        end: usize,
        (split, separators): (Split, usize),
        vocabulary: &Vocabulary,
    ) -> Option<InlineBlock> {
        let bytes = text.as_bytes();
        let mut top = start;
        let mut walked = 0;
        while top > 0 && walked < MAX_HEADER_WALK {
            let above = memchr::memrchr(b'\n', &bytes[..top - 1]).map_or(0, |i| i + 1);
            if Split::of(&bytes[above..top - 1]) != Some((split, separators)) {
                break;
            }
            top = above;
            walked += 1;
        }
        let header_end = line_end(bytes, top);
        let mut block = InlineBlock {
            body_start: (header_end + 1).min(bytes.len()),
            rows_end: end,
            split,
            separators,
            named: false,
            health: false,
        };
        if top == start {
            return None;
        }
        let header = &bytes[top..header_end];
        if holds_data(header, split.byte()) || !split.can_head(header) {
            return Some(block);
        }
        self.columns.clear();
        self.columns.resize(separators + 1, Meaning::default());
        self.hits.clear();
        vocabulary.find(text, top..header_end, &mut self.hits);
        for hit in &self.hits {
            let through = (hit.start + 1).min(bytes.len());
            if let Some(slot) = self.columns.get_mut(split.count(&bytes[top..through])) {
                slot.merge(hit.meaning);
                block.named = true;
            }
            block.health |= hit.meaning.health;
        }
        Some(block)
    }
}

/// The stretches of `phrase` shorter than it that are whole words: no
/// ASCII letter just before or just after (a phrase's words, and runs of
/// them). Quadratic in the phrase's length: run once per phrase of the
/// vocabulary when an auditor is built, over a few dozen bytes each.
fn whole_word_spans(phrase: &str) -> impl Iterator<Item = Range<usize>> + '_ {
    let edges = || (0..=phrase.len()).filter(|&i| phrase.is_char_boundary(i));
    edges().flat_map(move |start| {
        edges()
            .filter(move |&end| end > start && end - start < phrase.len())
            .filter(move |&end| whole_word(phrase, start, end))
            .map(move |end| start..end)
    })
}

#[cfg(test)]
mod tests {
    use aho_corasick::{AhoCorasick, Input};
    use proptest::prelude::*;

    use super::*;

    const WORDS: &[&str] = &[
        "ni",
        "ni number",
        "dob",
        "date of birth",
        "ref",
        "x",
        "patient",
    ];

    fn words() -> Words {
        let words: Vec<String> = WORDS.iter().map(|w| w.to_string()).collect();
        Words::new(&words).expect("builds")
    }

    fn found(words: &Words, text: &str, bytewise: bool) -> Vec<(usize, usize, usize)> {
        let mut out = Vec::new();
        let push = |s, e, w| out.push((s, e, w));
        if bytewise {
            words.each_bytewise(text, 0..text.len(), push);
        } else {
            words.each(text, 0..text.len(), push);
        }
        out
    }

    proptest! {
        /// A phrase's whole-word stretches are exactly the shorter words it
        /// holds with no ASCII letter on either side, wherever they occur
        /// (overlapping occurrences too).
        #[test]
        fn whole_word_spans_are_the_words_a_phrase_holds(
            phrase in "([a-c]{1,3}|[ .:#/-]|é){1,8}",
            word in "([a-c]{1,3}|[ .:#/-]|é){1,4}",
        ) {
            let letter = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphabetic());
            let expected = word.len() < phrase.len()
                && (0..phrase.len()).any(|i| {
                    phrase.is_char_boundary(i)
                        && phrase[i..].starts_with(word.as_str())
                        && !letter(phrase[..i].chars().next_back())
                        && !letter(phrase[i + word.len()..].chars().next())
                });
            let found = whole_word_spans(&phrase).any(|r| phrase[r] == *word);
            prop_assert_eq!(found, expected);
        }
    }

    proptest! {
        /// Looked up in document order, at any spacing (short steps are read
        /// byte by byte, long ones with searches), each position's column is
        /// the number of delimiters outside quotes since its line began.
        #[test]
        fn column_lookups_count_delimiters_outside_quotes(
            text in "([a-z]{1,30}|,|\"|\n|[0-9]{1,12}){0,60}",
            steps in proptest::collection::vec(1usize..120, 1..40),
        ) {
            let mut table = Table {
                delimiter: b',',
                body_start: 0,
                columns: (0..64u32).map(|i| Meaning { positive: i, ..Meaning::default() }).collect(),
                ..Table::default()
            };
            let mut at = 0;
            for step in steps {
                at += step;
                if at > text.len() {
                    break;
                }
                let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
                let mut quoted = false;
                let mut column = 0u32;
                for b in text[line_start..at].bytes() {
                    match b {
                        b'"' => quoted = !quoted,
                        b',' if !quoted => column += 1,
                        _ => {}
                    }
                }
                let found = table.column_at(&text, at).map(|m| m.positive);
                prop_assert_eq!(found, (column < 64).then_some(column), "at {}", at);
            }
        }
    }

    #[test]
    fn letters_are_what_std_says_they_are() {
        for byte in 0..=255u8 {
            for lane in 0..8 {
                let x =
                    u64::from(byte) << (lane * 8) | 0x4142_2020_7a5b_6040 & !(0xff << (lane * 8));
                let got = letter_mask(x) >> (lane * 8 + 7) & 1 == 1;
                assert_eq!(
                    got,
                    byte.is_ascii_alphabetic(),
                    "byte {byte:#04x} lane {lane}"
                );
            }
        }
    }

    #[test]
    fn words_start_where_no_letter_precedes_them() {
        let words = words();
        let text = "Opinion: NI number AB, dob; xref ref Ni patients, patient.";
        let got: Vec<&str> = found(&words, text, false)
            .iter()
            .map(|&(s, e, _)| &text[s..e])
            .collect();
        // "ni" inside "opinion" is not tried; "x" starts "xref" and is
        // found, "ref" inside it is stepped over; "patient" in "patients" is
        // found too (whether an end is glued is the caller's to judge).
        assert_eq!(
            got,
            ["NI number", "dob", "x", "ref", "Ni", "patient", "patient"]
        );
        // Ranges past the end find nothing (and do not panic).
        let mut none = Vec::new();
        let past = text.len() + 5..text.len() + 9;
        words.each(text, past.clone(), |s, _, _| none.push(s));
        words.each_bytewise(text, past, |s, _, _| none.push(s));
        assert!(none.is_empty());
    }

    proptest! {
        /// The eight-bytes-at-a-time path finds what the byte loop finds,
        /// and each find is the longest word an anchored Aho-Corasick search
        /// reports there.
        #[test]
        fn chunked_search_matches_the_byte_loop(
            pieces in proptest::collection::vec(
                prop_oneof![
                    Just("ni"), Just("NI number"), Just("dob"), Just("Date of Birth"),
                    Just("ref"), Just("x"), Just("patient"), Just(" "), Just(","),
                    Just("a"), Just("é"), Just("7"), Just("\n"), Just("date of"),
                ],
                0..40,
            ),
            cut in 0usize..8,
        ) {
            let text: String = pieces.concat();
            let words = words();
            let fast = found(&words, &text, false);
            prop_assert_eq!(&fast, &found(&words, &text, true));
            let reference = AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::LeftmostLongest)
                .start_kind(StartKind::Anchored)
                .build(WORDS)
                .expect("builds");
            for &(start, end, word) in &fast {
                let m = reference
                    .find(Input::new(&text).range(start..).anchored(Anchored::Yes))
                    .expect("a word starts there");
                prop_assert_eq!((m.start(), m.end(), m.pattern().as_usize()), (start, end, word));
            }
            // A range that starts and ends inside the text agrees too.
            let from = cut.min(text.len());
            if text.is_char_boundary(from) {
                let mut a = Vec::new();
                let mut b = Vec::new();
                words.each(&text, from..text.len(), |s, e, w| a.push((s, e, w)));
                words.each_bytewise(&text, from..text.len(), |s, e, w| b.push((s, e, w)));
                prop_assert_eq!(a, b);
            }
        }
    }
}
