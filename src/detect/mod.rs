//! Stage 3: personal-data detectors over each text part.
//!
//! The rules ([`rules::RULES`]) are data: type, category, candidate
//! patterns, validator, context words and examples. [`Scanner::new`]
//! compiles every rule's patterns into one multi-pattern automaton
//! (regex-automata's meta regex) and every context word into one
//! Aho-Corasick automaton, once per [`Auditor`](crate::Auditor). Scanning a
//! part then reads its text once for candidates and once for context words,
//! runs the validator only where a pattern matched, weighs the context, and
//! resolves overlaps (a valid NHS number is one finding, not also a phone).
//!
//! Confidence starts at the rule's base for a valid value, rises when a
//! context word for the type is the nearest label before the value (or heads
//! its column in a table), and falls when the nearest label is a negative
//! one (order no., reference, version). Levels: high from 0.8, medium from
//! 0.5, low below; the policy's `[detectors]` table sets the minimum.

mod context;
mod engine;
mod prefilter;
mod rules;
pub(crate) mod validate;

use std::sync::Mutex;

use regex_automata::{Anchored, Input, PatternID, PatternSet};

use crate::message::{TextKind, TextPart};
use crate::policy::{DetectorSettings, Policy, PolicyError};
use crate::report::mask::Masked;
use crate::report::{Category, Finding, Level};

use context::{Hit, InlineTables, Table, Vocabulary};
use engine::{Caches, Engine, Stopped};
use prefilter::Prefilter;
use rules::{Check, Rule, RULES};
pub(crate) use validate::Date;
use validate::PhoneForm;

/// How far before a value its label may be, in bytes.
const CONTEXT_WINDOW: usize = 48;
/// How far from an identifier health words still make it health data.
const HEALTH_WINDOW: usize = 300;
/// The longest text an alternative pattern is tried over at one position.
const CANDIDATE_WINDOW: usize = 128;
/// How far incremental context searches back up over text already searched:
/// longer than any context word, so one that straddles the seam is found.
const SEAM: usize = 32;
/// Memory for each lazy DFA's cache of states (regex-automata's default is
/// 2 MiB). The patterns together need more states than that on text full of
/// numbers, and a cache that fills up is cleared and rebuilt; that rebuilding
/// was the scan's largest cost on such text.
const LAZY_DFA_CACHE: usize = 16 << 20;
/// At most this many patterns over all rules (checked by a test).
const MAX_PATTERNS: usize = 64;
/// How much a negative label lowers confidence.
const NEGATIVE_PENALTY: f32 = 0.45;

/// Checks the `[detectors]` table: every type it names exists.
pub(crate) fn check_settings(settings: &DetectorSettings) -> Result<(), PolicyError> {
    for name in settings.types.keys() {
        if !RULES.iter().any(|r| r.data_type.as_str() == name) {
            let mut known: Vec<&str> = RULES.iter().map(|r| r.data_type.as_str()).collect();
            known.dedup();
            return Err(PolicyError::Semantic {
                path: format!("detectors.{name}"),
                message: format!("unknown detector type; known types: {}", known.join(", ")),
            });
        }
    }
    Ok(())
}

/// A validated value before overlap resolution.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    rule: usize,
    start: usize,
    end: usize,
    confidence: f32,
    health: bool,
}

/// Per-scan working memory, reused across parts and messages.
#[derive(Debug)]
struct Scratch {
    /// Context words found so far in the part, in order.
    hits: Vec<Hit>,
    /// The text before this offset has been searched for context words.
    context_scanned_to: usize,
    /// Health words found so far, near identifiers.
    health_hits: Vec<usize>,
    /// The text before this offset has been searched for health words.
    health_scanned_to: usize,
    candidates: Vec<Candidate>,
    cluster: Vec<Candidate>,
    table: Table,
    /// Tables further into a part.
    inline_tables: InlineTables,
    patterns: PatternSet,
    /// The automata's caches.
    caches: Caches,
    /// Where candidates can be (see [`Prefilter`]).
    regions: Vec<std::ops::Range<usize>>,
    /// The day the message was sent: no one is born after it.
    sent: Option<Date>,
}

/// All detectors, compiled.
#[derive(Debug)]
pub(crate) struct Scanner {
    rules: Vec<&'static Rule>,
    /// Minimum level of each enabled rule (same order as `rules`).
    min_levels: Vec<Level>,
    /// Every pattern, compiled: where candidates are, and which patterns
    /// match at a candidate's start (so a failed or weak candidate can be
    /// read as another type).
    engine: Engine,
    /// Pattern id → rule index.
    pattern_rule: Vec<usize>,
    /// Where in a text candidates can start and end; `None` reads it all.
    prefilter: Option<Prefilter>,
    vocabulary: Vocabulary,
    scratch: Mutex<Vec<Scratch>>,
    /// `limits.max_findings`: findings kept per message, all parts together.
    max_findings: usize,
}

fn compile_error(message: String) -> PolicyError {
    PolicyError::Semantic {
        path: "detectors".into(),
        message,
    }
}

impl Scanner {
    pub(crate) fn new(policy: &Policy) -> Result<Scanner, PolicyError> {
        let settings = &policy.detectors;
        check_settings(settings)?;
        let mut rules = Vec::new();
        let mut min_levels = Vec::new();
        for rule in RULES {
            let toggle = settings.types.get(rule.data_type.as_str());
            if toggle.is_some_and(|t| !t.enabled) {
                continue;
            }
            rules.push(rule);
            min_levels.push(
                toggle
                    .and_then(|t| t.min_level)
                    .unwrap_or(settings.min_level),
            );
        }
        let mut patterns = Vec::new();
        let mut pattern_rule = Vec::new();
        for (i, rule) in rules.iter().enumerate() {
            for p in rule.patterns {
                patterns.push(*p);
                pattern_rule.push(i);
            }
        }
        let engine = Engine::new(&patterns, LAZY_DFA_CACHE).map_err(compile_error)?;
        let vocabulary = Vocabulary::new(&rules).map_err(|e| compile_error(e.to_string()))?;
        let prefilter = Prefilter::new(&patterns);
        Ok(Scanner {
            rules,
            min_levels,
            engine,
            pattern_rule,
            prefilter,
            vocabulary,
            scratch: Mutex::new(Vec::new()),
            max_findings: policy.limits.max_findings as usize,
        })
    }

    fn take_scratch(&self) -> Scratch {
        let pooled = self.scratch.lock().ok().and_then(|mut pool| pool.pop());
        pooled.unwrap_or_else(|| Scratch {
            hits: Vec::new(),
            context_scanned_to: 0,
            health_hits: Vec::new(),
            health_scanned_to: 0,
            candidates: Vec::new(),
            cluster: Vec::new(),
            table: Table::default(),
            inline_tables: InlineTables::default(),
            patterns: PatternSet::new(self.engine.pattern_len()),
            caches: self.engine.caches(),
            regions: Vec::new(),
            sent: None,
        })
    }

    fn return_scratch(&self, scratch: Scratch) {
        if let Ok(mut pool) = self.scratch.lock() {
            if pool.len() < 64 {
                pool.push(scratch);
            }
        }
    }

    /// Appends the findings of one text part to `out`. `sent` is the day the
    /// message was sent (its `Date:`), when known: a later date is no one's
    /// date of birth.
    ///
    /// Returns `false` when `limits.max_findings` cut the scan short: `out`
    /// then holds exactly that many findings.
    pub(crate) fn scan(
        &self,
        part: &TextPart<'_>,
        reveal_values: bool,
        sent: Option<Date>,
        out: &mut Vec<Finding>,
    ) -> bool {
        let text = part.text.as_ref();
        let room = self.max_findings.saturating_sub(out.len());
        if room == 0 {
            return text.is_empty();
        }
        if text.is_empty() {
            return true;
        }
        let mut scratch = self.take_scratch();
        scratch.sent = sent;
        scratch.health_hits.clear();
        scratch.health_scanned_to = 0;
        scratch.candidates.clear();
        let tabular = part.kind != TextKind::Header
            && Table::detect(
                text,
                part.kind == TextKind::Body,
                &self.vocabulary,
                &mut scratch.hits,
                &mut scratch.table,
            );
        scratch.hits.clear();
        scratch.context_scanned_to = 0;
        scratch.inline_tables.clear();

        // Candidates are bounded too (overlap resolution may drop some, so
        // keep a margin): a part full of addresses must not hold millions.
        let candidate_cap = room.saturating_mul(2).max(64);
        let searched = self.find_candidates(text, tabular, candidate_cap, &mut scratch);
        resolve_overlaps(&mut scratch.candidates, &mut scratch.cluster);
        let complete = searched.is_ok()
            && scratch.candidates.len() <= room
            && scratch.candidates.len() < candidate_cap;

        for c in scratch.candidates.iter().take(room) {
            let rule = self.rules[c.rule];
            let value = &text[c.start..c.end];
            let masked = if rule.check == Check::Email {
                Masked::email(value)
            } else {
                Masked::tail(value, rule.keep_tail)
            };
            out.push(Finding {
                data_type: rule.data_type,
                category: if c.health {
                    Category::Health
                } else {
                    rule.category
                },
                confidence: c.confidence,
                level: level_of(c.confidence),
                location: part.location.with_span(c.start, c.end),
                masked,
                value: reveal_values.then(|| value.to_string()),
            });
        }
        self.return_scratch(scratch);
        complete
    }

    /// One pass over `text`: every position where some pattern matches is
    /// read as each type whose pattern matches there. Only the prefilter's
    /// regions are read; every match lies inside one, so the matches are
    /// those of a search over the whole text.
    fn find_candidates(
        &self,
        text: &str,
        tabular: bool,
        cap: usize,
        scratch: &mut Scratch,
    ) -> Result<(), Stopped> {
        let mut regions = std::mem::take(&mut scratch.regions);
        regions.clear();
        match &self.prefilter {
            Some(prefilter) => prefilter.regions(text, &mut regions),
            None => regions.push(0..text.len()),
        }
        let mut at = 0;
        let mut searched = Ok(());
        'regions: for region in &regions {
            at = at.max(region.start);
            while at < region.end && scratch.candidates.len() < cap {
                match self.candidates_at(text, at..region.end, tabular, scratch) {
                    Ok(Some(next)) => at = next,
                    Ok(None) => break,
                    Err(stopped) => {
                        searched = Err(stopped);
                        break 'regions;
                    }
                }
            }
        }
        scratch.regions = regions;
        searched
    }

    /// Reads the first match in `range` as each type whose pattern matches
    /// there; returns where the search goes on, or `None` when the range
    /// holds no match.
    fn candidates_at(
        &self,
        text: &str,
        range: std::ops::Range<usize>,
        tabular: bool,
        scratch: &mut Scratch,
    ) -> Result<Option<usize>, Stopped> {
        let len = text.len();
        let Some(m) = self
            .engine
            .find(&mut scratch.caches, &Input::new(text).range(range))?
        else {
            return Ok(None);
        };
        let start = m.start();
        let window_end = (start + CANDIDATE_WINDOW).min(len);
        let primary_rule = self.pattern_rule[m.pattern().as_usize()];
        // The first rule whose pattern matches here reads the candidate;
        // other readings are looked for only when it fails or is too weak
        // to report (a spaced ten-digit number with no phone label is then
        // tried as an NHS number).
        let primary = self.evaluate(text, primary_rule, start, m.end(), tabular, scratch);
        if let Some(candidate) = primary {
            if level_of(candidate.confidence) >= self.min_levels[primary_rule] {
                scratch.candidates.push(candidate);
                // Past the value (an IBAN may end before the match does).
                return Ok(Some(candidate.end));
            }
        }
        scratch.patterns.clear();
        self.engine.which_match(
            &mut scratch.caches,
            &Input::new(text)
                .range(start..window_end)
                .anchored(Anchored::Yes),
            &mut scratch.patterns,
        )?;
        // Copied out so that evaluating can use the rest of the scratch.
        let mut matched = [PatternID::ZERO; MAX_PATTERNS];
        let mut count = 0;
        for pid in scratch.patterns.iter().take(MAX_PATTERNS) {
            matched[count] = pid;
            count += 1;
        }
        let mut furthest = primary.map(|_| m.end());
        for &pid in &matched[..count] {
            if pid == m.pattern() {
                continue;
            }
            let input = Input::new(text)
                .range(start..window_end)
                .anchored(Anchored::Pattern(pid));
            let Some(end) = self
                .engine
                .find(&mut scratch.caches, &input)?
                .map(|alt| alt.end())
            else {
                continue;
            };
            let rule = self.pattern_rule[pid.as_usize()];
            if let Some(candidate) = self.evaluate(text, rule, start, end, tabular, scratch) {
                furthest = furthest.max(Some(end));
                if level_of(candidate.confidence) >= self.min_levels[rule] {
                    scratch.candidates.push(candidate);
                }
            }
        }
        Ok(Some(match furthest {
            Some(end) => end,
            None => next_char(text, start),
        }))
    }

    /// Validates one candidate and weighs its context; `None` when invalid.
    fn evaluate(
        &self,
        text: &str,
        rule_index: usize,
        start: usize,
        end: usize,
        tabular: bool,
        scratch: &mut Scratch,
    ) -> Option<Candidate> {
        let rule = self.rules[rule_index];
        // Where the pattern's match and the value differ.
        let (start, end) = match rule.check {
            Check::Iban => (start, start + validate::iban_extent(&text[start..end])?),
            Check::Email => (international_local_part(text, start), end),
            _ => (start, end),
        };
        let value = &text[start..end];
        if !boundaries_ok(text, start, end, rule.check) {
            return None;
        }
        let base = base_confidence(rule, value, scratch.sent)?;
        let bit = 1u32 << rule_index;
        // A column decides before a label beside the value, unless the
        // table is one prose could be mistaken for (commas, pipes, spaces):
        // then the label does.
        let (column, health_column, column_first) = if tabular {
            let table = &mut scratch.table;
            (table.column_at(text, start), table.health, table.binding)
        } else {
            match scratch
                .inline_tables
                .column_at(text, start, &self.vocabulary)
            {
                Some((meaning, health, split)) => (Some(meaning), health, split.binding()),
                None => (None, false, true),
            }
        };
        let column_support = column.map_or(0, |m| {
            if m.positive & bit != 0 {
                1
            } else if m.negative & bit != 0 {
                -1
            } else {
                0
            }
        });
        let mut support = if column_first { column_support } else { 0 };
        if support == 0 {
            // Search only the windows before candidates, each stretch once
            // (dense candidates share their windows). Stretches overlap by
            // a word's length, so a word across the seam is seen whole.
            if scratch.context_scanned_to < start {
                let mut from = start
                    .saturating_sub(CONTEXT_WINDOW)
                    .max(scratch.context_scanned_to.saturating_sub(SEAM));
                while !text.is_char_boundary(from) {
                    from -= 1;
                }
                self.vocabulary.find(text, from..start, &mut scratch.hits);
                scratch.context_scanned_to = start;
            }
            support = if rule.check == Check::BirthDate {
                i32::from(labelled_birth_date(text, start, &scratch.hits, bit))
            } else {
                nearest_label(text, start, &scratch.hits, bit)
            };
            if support == 0 {
                support = column_support;
            }
        }
        let confidence = match support {
            1 => base + rule.context_boost,
            -1 => base - NEGATIVE_PENALTY,
            _ => base,
        }
        .clamp(0.0, 0.99);
        // Health context makes identifiers (who the patient is) health data.
        let health = rule.category == Category::Identity
            && (health_column || {
                // Search only around identifiers, each stretch once.
                // Stretches overlap by a word's length, so a word across
                // the seam is seen whole.
                let mut from = start
                    .saturating_sub(HEALTH_WINDOW)
                    .max(scratch.health_scanned_to.saturating_sub(SEAM));
                let mut to = (end + HEALTH_WINDOW).min(text.len());
                while !text.is_char_boundary(from) {
                    from -= 1;
                }
                while !text.is_char_boundary(to) {
                    to += 1;
                }
                if scratch.health_scanned_to < to {
                    self.vocabulary
                        .find_health(text, from..to, &mut scratch.health_hits);
                    scratch.health_scanned_to = to;
                }
                near(&scratch.health_hits, start, HEALTH_WINDOW)
            });
        Some(Candidate {
            rule: rule_index,
            start,
            end,
            confidence,
            health,
        })
    }
}

fn level_of(confidence: f32) -> Level {
    if confidence >= 0.8 {
        Level::High
    } else if confidence >= 0.5 {
        Level::Medium
    } else {
        Level::Low
    }
}

fn next_char(text: &str, at: usize) -> usize {
    let mut next = at + 1;
    while next < text.len() && !text.is_char_boundary(next) {
        next += 1;
    }
    next
}

/// Where an address starts whose local part has letters beyond ASCII
/// (`josé.núñez@…`, RFC 6531): the pattern matches from after the last
/// of them, and the whole local part is the address. Reads back at most a
/// local part's 64 bytes.
fn international_local_part(text: &str, start: usize) -> usize {
    let local = |c: char| c.is_alphanumeric() || "._%+'-".contains(c);
    let mut from = start;
    let mut international = false;
    for (i, c) in text[..start].char_indices().rev() {
        if !local(c) {
            break;
        }
        if start - i > 64 {
            // Longer than a local part may be (RFC 5321): not an address.
            return start;
        }
        international |= !c.is_ascii();
        from = i;
    }
    if international {
        from
    } else {
        start
    }
}

/// The candidate is a whole token: not glued to letters or digits, and not
/// one piece of a longer dotted or dashed number (an ISBN, a version).
fn boundaries_ok(text: &str, start: usize, end: usize, check: Check) -> bool {
    let bytes = text.as_bytes();
    let before = start.checked_sub(1).map(|i| bytes[i]);
    let before2 = start.checked_sub(2).map(|i| bytes[i]);
    let after = bytes.get(end).copied();
    let after2 = bytes.get(end + 1).copied();
    let digit = |b: Option<u8>| b.is_some_and(|b| b.is_ascii_digit());
    let alnum = |b: Option<u8>| b.is_some_and(|b| b.is_ascii_alphanumeric());
    match check {
        Check::Email => {
            let local = |b: Option<u8>| {
                b.is_some_and(|b| b.is_ascii_alphanumeric() || b"._%+'-@".contains(&b))
            };
            let glued = local(before) || after == Some(b'-') || alnum(after);
            !glued
        }
        Check::Ipv6 => {
            let hexish = |b: Option<u8>| b.is_some_and(|b| b.is_ascii_alphanumeric() || b == b':');
            let glued = hexish(before) || hexish(after) || before == Some(b'.') && alnum(before2);
            !glued
        }
        _ => {
            let joiner = |b: Option<u8>| b.is_some_and(|b| b"./-".contains(&b));
            // An IPv4 address may carry a prefix length (`10.0.0.0/8`).
            let cidr = check == Check::Ipv4 && after == Some(b'/');
            let glued = alnum(before)
                || alnum(after)
                || joiner(before) && digit(before2)
                || joiner(after) && digit(after2) && !cidr
                || before == Some(b'+') && check != Check::Phone;
            !glued
        }
    }
}

/// The rule's confidence for a valid value, `None` when the value fails its
/// validator.
fn base_confidence(rule: &Rule, value: &str, sent: Option<Date>) -> Option<f32> {
    // Bytes first: nearly every value is ASCII, and a char-set search
    // costs more to set up than such a value takes to read.
    let separated = value.bytes().any(|b| b == b' ' || b == b'-')
        || !value.is_ascii() && value.contains('\u{a0}');
    // Letters are written in capitals in these identifiers; in lower case
    // the shape is common enough in other tokens that only a label makes
    // them one.
    let lower_case = value.bytes().any(|b| b.is_ascii_lowercase());
    let base = rule.base;
    match rule.check {
        Check::Email => {
            // Message-IDs and Content-IDs have long machine-made local parts
            // (`8bcf39468f6a3307.386@mail.example.org`); people's do not.
            let (local, domain) = value.rsplit_once('@')?;
            if local.len() > 64 || domain.split('.').any(|label| label.len() > 63) {
                return None;
            }
            let machine_made = local.len() >= 12
                && local
                    .bytes()
                    .all(|b| b.is_ascii_hexdigit() || b == b'.' || b == b'-' || b == b'_')
                && local.bytes().filter(u8::is_ascii_digit).count() >= 6;
            Some(if machine_made { base - 0.5 } else { base })
        }
        Check::Phone => match validate::phone(value) {
            PhoneForm::Invalid => None,
            PhoneForm::Strong => Some(base + 0.1),
            PhoneForm::National => Some(base),
            PhoneForm::Ambiguous => Some(base - 0.25),
        },
        Check::NhsNumber => {
            if !validate::nhs_number(value) {
                None
            } else if separated {
                Some(base)
            } else {
                // Compact ten digits are also how epoch timestamps and
                // references look: without an NHS label, not enough.
                Some(base - 0.2)
            }
        }
        Check::Nino => validate::nino(value).then_some(if lower_case { base - 0.3 } else { base }),
        Check::Card => validate::card_number(value).then_some(base),
        Check::Iban => validate::iban(value).then_some(if lower_case { base - 0.45 } else { base }),
        Check::Postcode => validate::uk_postcode(value).then_some(
            if value.contains([' ', '\u{a0}']) {
                base
            } else {
                base - 0.25
            } - if lower_case { 0.3 } else { 0.0 },
        ),
        Check::BirthDate => {
            // Numeric dates use one separator throughout (14/07/1983).
            let mut separators = value.bytes().filter(|b| b"/.-".contains(b));
            let first = separators.next();
            if value.as_bytes()[0].is_ascii_digit()
                && value.bytes().filter(u8::is_ascii_alphabetic).count() == 0
                && separators.any(|b| Some(b) != first)
            {
                return None;
            }
            validate::birth_date(value)
                .filter(|born| !sent.is_some_and(|sent| *born > sent))
                .map(|_| base)
        }
        Check::Ipv4 => validate::ipv4(value).then_some(base),
        Check::Ipv6 => validate::ipv6(value).then_some(base),
        Check::Ssn => validate::us_ssn(value).then_some(if value.contains('-') {
            base
        } else if separated {
            base - 0.25
        } else {
            // Nine bare digits: an SSN only where the text says so.
            base - 0.3
        }),
        Check::Passport => validate::uk_passport(value).then_some(base),
        Check::DrivingLicence => validate::uk_driving_licence(value).then_some(base),
        Check::BankAccount => validate::uk_bank_account(value).then_some(base),
    }
}

/// The nearest context word before `start` (within the window) that speaks
/// to this rule: 1 when it supports it, -1 when it argues against it.
fn nearest_label(text: &str, start: usize, hits: &[Hit], bit: u32) -> i32 {
    let from = start.saturating_sub(CONTEXT_WINDOW);
    let upto = hits.partition_point(|h| h.end <= start);
    for hit in hits[..upto].iter().rev() {
        if hit.end < from {
            break;
        }
        // A label two lines up belongs to another value.
        let gap = &text.as_bytes()[hit.end..start];
        if memchr::memchr_iter(b'\n', gap).count() > 1 {
            break;
        }
        if hit.meaning.negative & bit != 0 {
            return -1;
        }
        if hit.meaning.positive & bit != 0 {
            return 1;
        }
    }
    0
}

/// Words that make the date after a birth-date label the day its record
/// changed: "DOB updated 03/11/2024", "date of birth amended on ...".
const RECORD_CHANGED: [&str; 7] = [
    "updated",
    "changed",
    "amended",
    "modified",
    "edited",
    "corrected",
    "revised",
];

/// A date is a birth date when a birth-date label directly precedes it:
/// only punctuation, a format hint or a couple of filler words between, and
/// no other number. Filler that dates an event instead (a record change, or
/// "on" after any label but "born": "DOB verified on 03/11/2024") says the
/// date is not the birth date.
fn labelled_birth_date(text: &str, start: usize, hits: &[Hit], bit: u32) -> bool {
    let upto = hits.partition_point(|h| h.end <= start);
    let Some(hit) = hits[..upto]
        .iter()
        .rev()
        .take_while(|h| h.end + 40 >= start)
        .find(|h| h.meaning.positive & bit != 0)
    else {
        return false;
    };
    let gap = &text[hit.end..start];
    if gap.bytes().any(|b| b.is_ascii_digit())
        || memchr::memchr_iter(b'\n', gap.as_bytes()).count() > 1
    {
        return false;
    }
    let is = |word: &str, list: &[&str]| list.iter().any(|w| word.eq_ignore_ascii_case(w));
    let mut count = 0;
    let mut last = "";
    for word in gap.split(|c: char| !c.is_ascii_alphabetic()) {
        if word.is_empty() || is(word, &["dd", "mm", "yyyy", "yy"]) {
            continue;
        }
        if is(word, &RECORD_CHANGED) {
            return false;
        }
        count += 1;
        last = word;
    }
    let born = text[hit.start..hit.end].eq_ignore_ascii_case("born");
    count <= 2 && (born || !last.eq_ignore_ascii_case("on"))
}

/// Some position in the sorted `positions` lies within `window` of `at`.
fn near(positions: &[usize], at: usize, window: usize) -> bool {
    let i = positions.partition_point(|&p| p + window < at);
    positions.get(i).is_some_and(|&p| p <= at + window)
}

/// Keeps, among overlapping candidates, the most confident (then the
/// longest); candidates that do not overlap are all kept. Leaves the
/// survivors in document order.
fn resolve_overlaps(candidates: &mut Vec<Candidate>, cluster: &mut Vec<Candidate>) {
    candidates.sort_by(|a, b| a.start.cmp(&b.start).then(b.end.cmp(&a.end)));
    let mut kept = 0;
    let mut i = 0;
    while i < candidates.len() {
        // A cluster: candidates chained by overlap.
        let mut j = i + 1;
        let mut cluster_end = candidates[i].end;
        while j < candidates.len() && candidates[j].start < cluster_end {
            cluster_end = cluster_end.max(candidates[j].end);
            j += 1;
        }
        if j == i + 1 {
            candidates[kept] = candidates[i];
            kept += 1;
        } else {
            cluster.clear();
            cluster.extend_from_slice(&candidates[i..j]);
            cluster.sort_by(|a, b| {
                b.confidence
                    .total_cmp(&a.confidence)
                    .then((b.end - b.start).cmp(&(a.end - a.start)))
                    .then(a.rule.cmp(&b.rule))
            });
            let first_kept = kept;
            for c in cluster.iter() {
                let clash = candidates[first_kept..kept]
                    .iter()
                    .any(|k| k.start < c.end && c.start < k.end);
                if !clash {
                    candidates[kept] = *c;
                    kept += 1;
                }
            }
            candidates[first_kept..kept].sort_by_key(|c| c.start);
        }
        i = j;
    }
    candidates.truncate(kept);
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::message::Location;
    use crate::report::DataType;
    use std::borrow::Cow;

    /// Scans `text` as one part of the given kind.
    pub(super) fn scan_part(
        policy: &Policy,
        text: &str,
        kind: TextKind,
        reveal_values: bool,
    ) -> Vec<Finding> {
        let scanner = Scanner::new(policy).expect("scanner");
        scan_with_scanner(&scanner, text, kind, reveal_values)
    }

    fn scan_with_scanner(
        scanner: &Scanner,
        text: &str,
        kind: TextKind,
        reveal_values: bool,
    ) -> Vec<Finding> {
        let part = TextPart {
            location: Location::part("1"),
            kind,
            text: Cow::Borrowed(text),
            from_html: false,
        };
        let mut out = Vec::new();
        scanner.scan(&part, reveal_values, None, &mut out);
        out
    }

    /// The default policy's scanner, built once for the property tests.
    fn default_scanner() -> &'static Scanner {
        static SCANNER: std::sync::OnceLock<Scanner> = std::sync::OnceLock::new();
        SCANNER.get_or_init(|| Scanner::new(&Policy::default()).expect("scanner"))
    }

    fn scan_with(policy: &Policy, text: &str) -> Vec<Finding> {
        scan_part(policy, text, TextKind::Body, true)
    }

    fn scan(text: &str) -> Vec<Finding> {
        scan_with(&Policy::default(), text)
    }

    fn types(findings: &[Finding]) -> Vec<DataType> {
        findings.iter().map(|f| f.data_type).collect()
    }

    #[test]
    fn valid_nhs_number_is_one_finding_not_also_a_phone() {
        let found = scan("NHS number: 943 476 5919");
        assert_eq!(types(&found), vec![DataType::NhsNumber]);
        let found = scan("Phone: 943-476-5919");
        assert_eq!(types(&found), vec![DataType::Phone]);
    }

    #[test]
    fn country_code_and_dotted_forms_are_found_whole() {
        for (text, value, data_type) in [
            (
                "Boston: 1 (617) 220-8436.",
                "1 (617) 220-8436",
                DataType::Phone,
            ),
            ("call 1.800.234.5678 now", "1.800.234.5678", DataType::Phone),
            (
                "client ::ffff:192.0.2.128 connected",
                "::ffff:192.0.2.128",
                DataType::IpAddress,
            ),
            (
                "ip=64:ff9b::203.0.113.9",
                "64:ff9b::203.0.113.9",
                DataType::IpAddress,
            ),
            (
                "card 4111.1111.1111.1111",
                "4111.1111.1111.1111",
                DataType::CreditCard,
            ),
        ] {
            let found = scan(text);
            assert_eq!(types(&found), vec![data_type], "{text}");
            assert_eq!(found[0].value.as_deref(), Some(value), "{text}");
        }
        // A numbered list item is not a country code.
        let found = scan("Contacts: 2 (617) 220-8436");
        assert_eq!(found[0].value.as_deref(), Some("(617) 220-8436"));
    }

    #[test]
    fn an_international_local_part_is_read_whole() {
        for (text, value) in [
            ("email: josé.núñez@example.es", "josé.núñez@example.es"),
            ("write to zoë.brown@example.com.", "zoë.brown@example.com"),
            ("(Ærøskøbing-info@example.dk)", "Ærøskøbing-info@example.dk"),
        ] {
            let found = scan(text);
            assert_eq!(types(&found), vec![DataType::Email], "{text}");
            assert_eq!(found[0].value.as_deref(), Some(value), "{text}");
        }
    }

    #[test]
    fn an_iban_ends_at_its_country_length_not_in_the_next_word() {
        // Belgian (16) and Spanish (24) IBANs are whole groups of four: the
        // pattern's last group reaches into the word after them.
        for (text, value) in [
            ("IBAN BE63 0631 5391 8072 today", "BE63 0631 5391 8072"),
            (
                "Please pay to IBAN BE63063153918072 by Friday.",
                "BE63063153918072",
            ),
            (
                "IBAN: ES83 2038 1234 6020 0045 6781 Santander",
                "ES83 2038 1234 6020 0045 6781",
            ),
        ] {
            let found = scan(text);
            assert_eq!(types(&found), vec![DataType::Iban], "{text}");
            assert_eq!(found[0].value.as_deref(), Some(value), "{text}");
        }
        // Glued digits are not cut off: no IBAN.
        assert!(scan("IBAN BE630631539180721234 today").is_empty());
    }

    #[test]
    fn pattern_count_fits() {
        let count: usize = RULES.iter().map(|r| r.patterns.len()).sum();
        assert!(count <= MAX_PATTERNS);
        assert!(RULES.len() <= 32, "rule bit sets are u32");
    }

    #[test]
    fn every_context_word_is_shorter_than_the_seam() {
        let words = RULES
            .iter()
            .flat_map(|r| r.context.iter().chain(r.negative))
            .chain(rules::HEALTH_WORDS);
        for word in words {
            assert!(word.len() < SEAM, "{word}");
        }
    }

    #[test]
    fn labels_count_for_dense_candidates_and_across_search_seams() {
        // Each value's own label, however close the values sit.
        let text = "NHS number: 943 476 5919, phone: 020 7946 0958, NHS number: 401 023 2137";
        let found = scan(text);
        assert_eq!(
            types(&found),
            vec![DataType::NhsNumber, DataType::Phone, DataType::NhsNumber]
        );
        // A label is found even when the earlier candidate's search ended
        // inside it.
        let text = format!("ref 12345678 {} date of birth: 14/07/1983", "x".repeat(40));
        let found = scan(&text);
        assert!(types(&found).contains(&DataType::Dob), "{found:?}");
    }

    #[test]
    fn card_is_not_a_phone() {
        let found = scan("card 4111 1111 1111 1111 thanks");
        assert_eq!(types(&found), vec![DataType::CreditCard]);
    }

    #[test]
    fn values_are_masked_and_revealed_only_on_request() {
        let found = scan("NHS number: 943 476 5919");
        assert_eq!(found[0].masked, "*** *** *919");
        assert_eq!(found[0].revealed_value(), Some("943 476 5919"));
        let out = scan_part(
            &Policy::default(),
            "NHS number: 943 476 5919",
            TextKind::Body,
            false,
        );
        assert_eq!(out[0].revealed_value(), None);
        assert!(!format!("{:?}", out[0]).contains("476 5919"));
    }

    #[test]
    fn health_context_sets_the_category() {
        let found = scan("Patient tested positive. NHS number: 943 476 5919");
        assert_eq!(found[0].category, Category::Health);
        let found = scan("NHS number: 943 476 5919");
        assert_eq!(found[0].category, Category::Identity);
    }

    #[test]
    fn csv_header_labels_the_column() {
        let text = "Name,Date of birth,Joined\nJo Bloggs,14/07/1983,01/02/2020\n";
        let out = scan_part(&Policy::default(), text, TextKind::Attachment, true);
        let dobs: Vec<_> = out.iter().filter_map(|f| f.revealed_value()).collect();
        assert_eq!(dobs, vec!["14/07/1983"]);
    }

    #[test]
    fn quoted_cells_with_delimiters_do_not_shift_the_columns() {
        let text = "\"Name, full\",Date of birth,Joined\n\
                    \"Khan, Amir\",1971-09-19,01/02/2020\n\
                    \"O\"\"Neil, Jo\",14/07/1983,2021-03-04\n\
                    Plain Name,03/03/1985,05/06/2022\n";
        let out = scan_part(&Policy::default(), text, TextKind::Attachment, true);
        let dobs: Vec<_> = out.iter().filter_map(|f| f.revealed_value()).collect();
        assert_eq!(dobs, vec!["1971-09-19", "14/07/1983", "03/03/1985"]);
    }

    #[test]
    fn tab_separated_tables_further_into_a_part_label_their_columns() {
        // An HTML table's text, or cells pasted from a spreadsheet, after prose.
        let text = "Hi, the list you asked for (DOB 1 Jan? no):\n\
                    Name\tDate of birth\tPostcode\tLast seen\n\
                    Jane Rowe\t04/05/1966\tLS6 2AB\t01/02/2024\n\
                    Amir Khan\t19/09/1971\tM1 1AE\t03/04/2024\n\
                    \n\
                    Seen on\t05/06/2024\n\
                    Thanks\n";
        for kind in [TextKind::Body, TextKind::Attachment] {
            let out = scan_part(&Policy::default(), text, kind, true);
            let dobs: Vec<_> = out
                .iter()
                .filter(|f| f.data_type == DataType::Dob)
                .filter_map(|f| f.revealed_value())
                .collect();
            assert_eq!(dobs, vec!["04/05/1966", "19/09/1971"], "{kind:?}");
        }
        // A first row of data names no columns.
        let text = "Notes\nJane Rowe\t04/05/1966\nAmir Khan\t19/09/1971\n";
        assert!(scan(text).iter().all(|f| f.data_type != DataType::Dob));
    }

    /// The findings of one type in a message body.
    fn body_findings(text: &str, data_type: DataType) -> Vec<Finding> {
        let mut found = scan_part(&Policy::default(), text, TextKind::Body, true);
        found.retain(|f| f.data_type == data_type);
        found
    }

    /// The birth dates found in a message body, as written.
    fn dobs(text: &str) -> Vec<String> {
        body_findings(text, DataType::Dob)
            .iter()
            .filter_map(|f| f.revealed_value().map(str::to_string))
            .collect()
    }

    #[test]
    fn pipe_comma_and_space_aligned_tables_in_a_body_label_their_columns() {
        let expected = vec!["04/05/1966".to_string(), "19/09/1971".to_string()];
        let markdown = "Hi team,\n\n| Name | Birthdate | Seen |\n| --- | --- | --- |\n\
                        | Jane Rowe | 04/05/1966 | 01/02/2024 |\n\
                        | Amir Khan | 19/09/1971 | 03/04/2024 |\n";
        assert_eq!(dobs(markdown), expected);
        let pasted = "Hi team, here they are:\n\nName,DOB,Postcode\n\
                      Jane Rowe,04/05/1966,LS6 2AB\nAmir Khan,19/09/1971,HU1 2AA\n";
        assert_eq!(dobs(pasted), expected);
        let aligned = "Hi team,\n\n  Name        Date of birth   Town\n\
                       Jane Rowe   04/05/1966      Leeds\n\
                       Amir Khan   19/09/1971      Hull\n";
        assert_eq!(dobs(aligned), expected);
        // Without the header line, the same rows say nothing of birth.
        let headless = "Hi team,\n\nJane Rowe,04/05/1966,LS6 2AB\nAmir Khan,19/09/1971,HU1 2AA\n";
        assert!(dobs(headless).is_empty());
    }

    #[test]
    fn wrapped_prose_with_commas_is_not_a_table_that_overrides_labels() {
        let nhs = |text: &str| -> Vec<Level> {
            body_findings(text, DataType::NhsNumber)
                .iter()
                .map(|f| f.level)
                .collect()
        };
        // At the start of a body or further in.
        for opening in ["", "Hi Jane, hope you are well\n\n"] {
            // Lines of a paragraph with two commas each: the first has long
            // cells, so its "order ref" heads no column, and the unlabelled
            // number below it keeps its own weight.
            let wrapped = format!(
                "{opening}We checked the ledger, the invoices for March, and the order ref list\n\
                 for the patient we saw in clinic on Monday morning, and then, 943 476 5919\n"
            );
            assert_eq!(nhs(&wrapped), vec![Level::Medium], "{wrapped}");
            // A short first line may head a table of commas, but the label
            // beside the value outweighs its column.
            let short = format!(
                "{opening}Notes, invoice, order ref\nseen Monday, ok, NHS number 943 476 5919\n"
            );
            assert_eq!(nhs(&short), vec![Level::High], "{short}");
            // In a tab-separated table the column decides.
            let tabbed = format!(
                "{opening}Notes\tinvoice\torder ref\nseen Monday\tok\tNHS number 943 476 5919\n"
            );
            assert!(
                nhs(&tabbed).iter().all(|&level| level < Level::High),
                "{tabbed}"
            );
        }
    }

    #[test]
    fn a_title_may_come_before_the_header() {
        let text = "Patient export generated 23/11/2026\n\nName,Date of birth,Postcode\n\
                    Jane Rowe,04/05/1966,LS6 2AB\n";
        let out = scan_part(&Policy::default(), text, TextKind::Attachment, true);
        let found: Vec<_> = out
            .iter()
            .map(|f| (f.data_type, f.revealed_value()))
            .collect();
        assert_eq!(
            found,
            vec![
                (DataType::Dob, Some("04/05/1966")),
                (DataType::UkPostcode, Some("LS6 2AB"))
            ]
        );
    }

    #[test]
    fn a_first_line_of_data_is_not_a_header() {
        // Python's logging puts a comma before the milliseconds: two "cells"
        // a line. The first line's words must not label the others.
        let log = "2026-11-23 10:15:02,118 INFO login ok user=jrowe ip=203.0.113.21\n\
                   2026-11-23 10:15:09,502 INFO build 4.12.0.7 deployed\n\
                   2026-11-23 10:16:12,007 WARN login failed from 198.51.100.66\n";
        let out = scan_part(&Policy::default(), log, TextKind::Attachment, true);
        let ips: Vec<_> = out.iter().filter_map(|f| f.revealed_value()).collect();
        assert_eq!(ips, vec!["203.0.113.21", "198.51.100.66"]);
    }

    #[test]
    fn dates_are_birth_dates_only_with_context() {
        assert!(scan("Start date: 14/07/2024").is_empty());
        assert_eq!(types(&scan("DOB 14/07/1983")), vec![DataType::Dob]);
    }

    #[test]
    fn a_record_change_after_the_label_is_not_the_birth_date() {
        for text in [
            "Date of birth updated on 03/11/2024 by admin.",
            "DOB (amended 03/11/2024)",
            "DOB verified on 3 November 2024",
            "Date of birth last changed: 2024-11-03",
        ] {
            assert!(dobs(text).is_empty(), "{text}");
        }
        for (text, date) in [
            ("Born on 14 July 1983 in Leeds", "14 July 1983"),
            ("DOB verified: 14/07/1983", "14/07/1983"),
            ("Date of birth (dd/mm/yyyy): 14/07/1983", "14/07/1983"),
        ] {
            assert_eq!(dobs(text), vec![date.to_string()], "{text}");
        }
    }

    #[test]
    fn policy_switches_detectors_and_levels() {
        let policy =
            Policy::from_toml("version = 1\n[detectors.PHONE]\nenabled = false\n").expect("policy");
        assert!(scan_with(&policy, "Tel: 020 7946 0958").is_empty());
        let policy =
            Policy::from_toml("version = 1\n[detectors]\nmin_level = \"high\"\n").expect("policy");
        assert!(scan_with(&policy, "Ref 943 476 5919").is_empty());
        assert!(Policy::from_toml("version = 1\n[detectors.NOPE]\nenabled = false\n").is_err());
    }

    proptest::proptest! {
        #[test]
        fn scanning_never_panics_and_never_shows_a_value(
            text in "[0-9A-Za-z @.:/()+\\-\u{a0}\né,]{0,160}"
        ) {
            for kind in [TextKind::Body, TextKind::Attachment, TextKind::Header] {
                let found = scan_with_scanner(default_scanner(), &text, kind, false);
                for f in &found {
                    let (start, end) = (f.location.start.unwrap_or(0), f.location.end.unwrap_or(0));
                    proptest::prop_assert!(start < end && end <= text.len());
                    let value = &text[start..end];
                    let shown = f.masked.chars().filter(|c| c.is_alphanumeric()).count();
                    let hidden_needed = value.chars().filter(|c| c.is_alphanumeric()).count() > 4;
                    proptest::prop_assert!(!hidden_needed || f.masked != value);
                    proptest::prop_assert!(f.data_type == DataType::Email || shown <= 4);
                    proptest::prop_assert!(f.revealed_value().is_none());
                }
            }
        }
    }

    #[test]
    fn the_rules_get_a_prefilter() {
        // Every pattern needs a digit, `:` or `@`: if a new pattern does
        // not, the whole text is read again and this says so.
        let prefilter = default_scanner().prefilter.as_ref();
        assert!(prefilter.is_some());
    }

    /// The default scanner reading whole texts, for comparison.
    fn unfiltered_scanner() -> &'static Scanner {
        static SCANNER: std::sync::OnceLock<Scanner> = std::sync::OnceLock::new();
        SCANNER.get_or_init(|| {
            let mut scanner = Scanner::new(&Policy::default()).expect("scanner");
            scanner.prefilter = None;
            scanner
        })
    }

    proptest::proptest! {
        #[test]
        fn the_prefilter_changes_no_finding(
            text in "([0-9]{1,5}|[A-Za-z]{1,7}|[ .,:;@/+()\\-]|\u{a0}|é|\n|NHS number: |DOB |Tel |jo.x@ex.com|GB82 WEST |GB82 WEST ABCD EFGH IJKL MNOP QRST |14 July 19|July |Sept\\. |\\+44 |2001:db8::|[a-f]{1,4}:|[A-Z]{2}[0-9]{2} ){0,48}"
        ) {
            for kind in [TextKind::Body, TextKind::Attachment] {
                let found = scan_with_scanner(default_scanner(), &text, kind, true);
                let expected = scan_with_scanner(unfiltered_scanner(), &text, kind, true);
                proptest::prop_assert_eq!(found, expected);
            }
            // The reason: every match of every pattern, valid or not, lies
            // inside one region.
            let scanner = default_scanner();
            let mut regions = Vec::new();
            if let Some(prefilter) = &scanner.prefilter {
                prefilter.regions(&text, &mut regions);
            }
            let mut set = PatternSet::new(scanner.engine.pattern_len());
            let mut caches = scanner.engine.caches();
            for start in (0..text.len()).filter(|&i| text.is_char_boundary(i)) {
                set.clear();
                let from = Input::new(&text).range(start..).anchored(Anchored::Yes);
                scanner.engine.which_match(&mut caches, &from, &mut set).expect("searched");
                for pid in set.iter() {
                    let input = Input::new(&text).range(start..).anchored(Anchored::Pattern(pid));
                    let end = scanner.engine.find(&mut caches, &input).expect("searched").map_or(start, |m| m.end());
                    proptest::prop_assert!(
                        regions.iter().any(|r| r.start <= start && end <= r.end),
                        "{:?} outside {:?}", &text[start..end], regions
                    );
                }
            }
        }
    }

    #[test]
    fn findings_are_in_document_order_and_unique() {
        let found = scan("a@b.com then Tel: 020 7946 0958 then c@d.org");
        let starts: Vec<_> = found.iter().filter_map(|f| f.location.start).collect();
        let mut sorted = starts.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(starts, sorted);
        assert_eq!(found.len(), 3);
    }
}

#[cfg(test)]
mod pipeline_tests {
    use crate::{AuditOptions, Auditor, DataType, Policy};

    fn audit(raw: &str) -> Vec<(DataType, String)> {
        let auditor =
            Auditor::with_options(Policy::default(), AuditOptions::revealing_values()).unwrap();
        let report = auditor.audit(raw.as_bytes()).unwrap();
        report
            .findings()
            .iter()
            .map(|f| (f.data_type, f.revealed_value().unwrap_or("").to_string()))
            .collect()
    }

    #[test]
    fn html_table_cells_stay_apart() {
        let raw = "From: a@example.org\r\nTo: b@example.net\r\nSubject: x\r\n\
                   Content-Type: text/html\r\n\r\n<table><tr><td><b>DOB</b></td>\
                   <td>10/07/2000</td></tr><tr><td><b>Email</b></td>\
                   <td>jo@example.com</td></tr></table>\r\n";
        let found = audit(raw);
        assert!(
            found.contains(&(DataType::Dob, "10/07/2000".to_string())),
            "{found:?}"
        );
        assert!(
            found.contains(&(DataType::Email, "jo@example.com".to_string())),
            "{found:?}"
        );
    }

    #[test]
    fn forwarded_headers_are_scanned() {
        let raw = "From: a@example.org\r\nTo: b@example.net\r\nSubject: Fw\r\n\
                   Content-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\n\
                   Content-Type: text/plain\r\n\r\nsee below\r\n--XX\r\n\
                   Content-Type: message/rfc822\r\n\r\nFrom: Jo <jo@example.com>\r\n\
                   To: Al <al@example.net>\r\nSubject: hi\r\n\r\nbody\r\n--XX--\r\n";
        let found = audit(raw);
        assert!(
            found.contains(&(DataType::Email, "jo@example.com".to_string())),
            "{found:?}"
        );
        assert!(
            found.contains(&(DataType::Email, "al@example.net".to_string())),
            "{found:?}"
        );
    }
}
