//! Context words: one Aho-Corasick automaton over every rule's vocabulary,
//! run once per text part; and the header row of tabular text, whose cells
//! label the columns below them.

use std::ops::Range;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, Input, MatchKind};

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
    automaton: AhoCorasick,
    meanings: Vec<Meaning>,
    /// Health words alone, for one pass over a part that holds identifiers.
    health: AhoCorasick,
}

impl Vocabulary {
    pub(crate) fn new(rules: &[&Rule]) -> Result<Vocabulary, aho_corasick::BuildError> {
        let mut words: Vec<String> = Vec::new();
        let mut meanings: Vec<Meaning> = Vec::new();
        let mut add = |word: &str, meaning: Meaning| {
            let word = word.to_ascii_lowercase();
            match words.iter().position(|w| *w == word) {
                Some(i) => meanings[i].merge(meaning),
                None => {
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
                for (word, m) in words.iter().zip(&meanings) {
                    if word.len() < phrase.len() && contains_word(phrase, word) {
                        meaning.merge(*m);
                    }
                }
                meaning
            })
            .collect();
        let meanings = inherited;
        let build = |words: &[String]| {
            AhoCorasickBuilder::new()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::LeftmostLongest)
                // A few hundred words: a DFA costs some memory, once per
                // auditor, and searches faster than the default NFA.
                .kind(Some(AhoCorasickKind::DFA))
                .build(words)
        };
        let automaton = build(&words)?;
        let health_words: Vec<String> = HEALTH_WORDS.iter().map(|w| w.to_string()).collect();
        let health = build(&health_words)?;
        Ok(Vocabulary {
            automaton,
            meanings,
            health,
        })
    }

    /// Appends the whole-word context words in `text[range]` to `out`, in
    /// order, leaving out any that starts where or before the last one in
    /// `out` does (searches over overlapping stretches). Context is looked up only around candidates: short words
    /// ("ni", "ip", "ref") occur inside many longer ones, and rejecting
    /// those everywhere in a long text would cost more than the scan.
    pub(crate) fn find(&self, text: &str, range: Range<usize>, out: &mut Vec<Hit>) {
        let input = Input::new(text).range(range);
        let seen_to = out.last().map(|hit| hit.start);
        for m in self.automaton.find_iter(input) {
            let seen = seen_to.is_some_and(|last| last >= m.start());
            if !seen && whole_word(text, m.start(), m.end()) {
                out.push(Hit {
                    start: m.start(),
                    end: m.end(),
                    meaning: self.meanings[m.pattern().as_usize()],
                });
            }
        }
    }

    /// Appends where health words occur in `text[range]` to `out`, in order.
    pub(crate) fn find_health(&self, text: &str, range: Range<usize>, out: &mut Vec<usize>) {
        for m in self.health.find_iter(Input::new(text).range(range)) {
            let seen = out.last().is_some_and(|&last| last >= m.start());
            if !seen && whole_word(text, m.start(), m.end()) {
                out.push(m.start());
            }
        }
    }
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
    /// The last position looked up and its column, so that lookups in
    /// document order read each line once.
    cursor: Option<Cursor>,
}

#[derive(Debug, Clone, Copy)]
struct Cursor {
    at: usize,
    column: usize,
}

impl Table {
    /// Reads the header when `text` looks like a table: the first two lines
    /// split into the same number (at least two) of cells on one delimiter.
    /// `hits` is working memory.
    pub(crate) fn detect(
        text: &str,
        vocabulary: &Vocabulary,
        hits: &mut Vec<Hit>,
        table: &mut Table,
    ) -> bool {
        let bytes = text.as_bytes();
        let Some(first_end) = memchr::memchr(b'\n', bytes) else {
            return false;
        };
        let first = &bytes[..first_end];
        let second_end = memchr::memchr(b'\n', &bytes[first_end + 1..])
            .map_or(bytes.len(), |i| first_end + 1 + i);
        let second = &bytes[first_end + 1..second_end];
        let count = |line: &[u8], d: u8| line.iter().filter(|&&b| b == d).count();
        let Some(delimiter) = [b',', b'\t', b';', b'|']
            .into_iter()
            .filter(|&d| count(first, d) >= 1 && count(first, d) == count(second, d))
            .max_by_key(|&d| count(first, d))
        else {
            return false;
        };
        table.delimiter = delimiter;
        table.body_start = first_end + 1;
        table.columns.clear();
        table
            .columns
            .resize(count(first, delimiter) + 1, Meaning::default());
        table.health = false;
        table.cursor = None;
        hits.clear();
        vocabulary.find(text, 0..first_end, hits);
        for hit in hits.iter() {
            let column = count(&first[..hit.start], delimiter);
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
        let (from, mut column) = match self.cursor {
            Some(c) if c.at <= at => (c.at, c.column),
            _ => (0, 0),
        };
        // From the start of `at`'s line, or from the last lookup on it.
        let read = match memchr::memrchr(b'\n', &bytes[from..at]) {
            Some(i) => {
                column = 0;
                from + i + 1
            }
            None => from,
        };
        column += memchr::memchr_iter(self.delimiter, &bytes[read..at]).count();
        self.cursor = Some(Cursor { at, column });
        self.columns.get(column).copied()
    }
}

/// `word` occurs in `phrase` as whole words (or is the phrase).
fn contains_word(phrase: &str, word: &str) -> bool {
    phrase.match_indices(word).any(|(i, _)| {
        let before = phrase[..i].chars().next_back();
        let after = phrase[i + word.len()..].chars().next();
        !before.is_some_and(|c| c.is_ascii_alphabetic())
            && !after.is_some_and(|c| c.is_ascii_alphabetic())
    })
}
