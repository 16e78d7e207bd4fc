//! The candidate automata: regex-automata's lazy DFAs, used directly.
//!
//! A dense table holds hundreds of thousands of candidates, and each is one
//! search. The meta regex's strategy layer (its cache pool, its choice of
//! engine, its fallbacks) costs little once but adds up over that many
//! searches, and mailaudit needs none of it: every pattern is
//! ASCII-bounded (`(?-u:\b)`), so the lazy DFA never meets a byte it must
//! quit on, and its cache is never given up on. The caches live in the
//! scanner's per-scan working memory instead of a pool.

use regex_automata::hybrid::{dfa, regex};
use regex_automata::nfa::thompson;
use regex_automata::util::syntax;
use regex_automata::{Input, Match, MatchKind, PatternSet};

/// Both automata over the same patterns.
#[derive(Debug)]
pub(crate) struct Engine {
    /// Leftmost-first: where the next candidate is and which pattern
    /// reads it; anchored per pattern: how far another pattern reaches.
    first: regex::Regex,
    /// All-matches: which patterns match at a candidate's start.
    all: dfa::DFA,
}

/// Each automaton's cache of states, one per scan in flight.
#[derive(Debug, Clone)]
pub(crate) struct Caches {
    first: regex::Cache,
    all: dfa::Cache,
}

/// The automata stopped short. Not expected with the shipped rules (a test
/// checks they cannot quit); the scan then reports the part incomplete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stopped;

impl Engine {
    /// Compiles `patterns` with `cache_capacity` bytes for each lazy DFA.
    pub(crate) fn new(patterns: &[&str], cache_capacity: usize) -> Result<Engine, String> {
        let dfa_config = |kind: MatchKind| {
            dfa::Config::new()
                .match_kind(kind)
                .cache_capacity(cache_capacity)
                .starts_for_each_pattern(true)
                // ASCII word boundaries only: no byte makes the DFA quit.
                .unicode_word_boundary(false)
        };
        // Each pattern is parsed once, and the forward NFA compiled once for
        // both forward automata: parsing and compiling are most of the cost
        // of building an auditor, which a short-lived process pays each run.
        let hirs = syntax::parse_many_with(patterns, &syntax::Config::new().utf8(true))
            .map_err(|e| e.to_string())?;
        let nfa = |reverse: bool| {
            thompson::Compiler::new()
                .configure(
                    thompson::Config::new()
                        .utf8(true)
                        .reverse(reverse)
                        .which_captures(thompson::WhichCaptures::None),
                )
                .build_many_from_hir(&hirs)
                .map_err(|e| e.to_string())
        };
        let forward_nfa = nfa(false)?;
        let build = |config: dfa::Config, nfa: thompson::NFA| {
            dfa::Builder::new()
                .configure(config)
                .build_from_nfa(nfa)
                .map_err(|e| e.to_string())
        };
        let forward = build(dfa_config(MatchKind::LeftmostFirst), forward_nfa.clone())?;
        // As regex-automata's own regex builder configures the reverse half.
        let reverse = build(
            dfa_config(MatchKind::All)
                .prefilter(None)
                .specialize_start_states(false),
            nfa(true)?,
        )?;
        let first = regex::Builder::new().build_from_dfas(forward, reverse);
        let all = build(dfa_config(MatchKind::All), forward_nfa)?;
        Ok(Engine { first, all })
    }

    pub(crate) fn pattern_len(&self) -> usize {
        self.all.pattern_len()
    }

    pub(crate) fn caches(&self) -> Caches {
        Caches {
            first: self.first.create_cache(),
            all: self.all.create_cache(),
        }
    }

    /// The leftmost-first match in `input`.
    #[inline]
    pub(crate) fn find(
        &self,
        caches: &mut Caches,
        input: &Input<'_>,
    ) -> Result<Option<Match>, Stopped> {
        self.first
            .try_search(&mut caches.first, input)
            .map_err(|_| Stopped)
    }

    /// Adds to `set` every pattern that matches in `input`.
    pub(crate) fn which_match(
        &self,
        caches: &mut Caches,
        input: &Input<'_>,
        set: &mut PatternSet,
    ) -> Result<(), Stopped> {
        self.all
            .try_which_overlapping_matches(&mut caches.all, input, set)
            .map_err(|_| Stopped)
    }
}

#[cfg(test)]
mod tests {
    use regex_automata::{meta, Anchored};

    use super::*;
    use crate::detect::rules::RULES;

    fn patterns() -> Vec<&'static str> {
        RULES
            .iter()
            .flat_map(|r| r.patterns.iter().copied())
            .collect()
    }

    #[test]
    fn a_pattern_that_could_make_the_automaton_quit_is_refused() {
        // A Unicode word boundary needs look-around the lazy DFA cannot do
        // on non-ASCII bytes; it would quit there. Refused when built.
        assert!(Engine::new(&[r"\bx\b"], 1 << 20).is_err());
        assert!(Engine::new(&[r"(?-u:\b)x(?-u:\b)"], 1 << 20).is_ok());
    }

    proptest::proptest! {
        /// The same matches as the meta regex (the general engine) finds,
        /// unanchored, anchored and per pattern.
        #[test]
        fn finds_what_the_meta_regex_finds(
            text in "([0-9]{1,5}|[A-Za-z]{1,6}|[ .,:;@/+()\\-]|\u{a0}|é|\n|jo.x@ex.com|GB82 WEST |2001:db8::|14 July 19){0,32}",
            from in 0usize..40,
        ) {
            let patterns = patterns();
            let engine = Engine::new(&patterns, 1 << 20).expect("rules compile");
            let mut caches = engine.caches();
            let first = meta::Builder::new()
                .configure(meta::Config::new().match_kind(MatchKind::LeftmostFirst))
                .build_many(&patterns)
                .expect("rules compile");
            let all = meta::Builder::new()
                .configure(meta::Config::new().match_kind(MatchKind::All))
                .build_many(&patterns)
                .expect("rules compile");
            let mut from = from.min(text.len());
            while !text.is_char_boundary(from) {
                from -= 1;
            }
            let input = Input::new(&text).range(from..);
            proptest::prop_assert_eq!(engine.find(&mut caches, &input), Ok(first.search(&input)));
            let anchored = input.clone().anchored(Anchored::Yes);
            let (mut ours, mut theirs) = (PatternSet::new(patterns.len()), PatternSet::new(patterns.len()));
            proptest::prop_assert!(engine.which_match(&mut caches, &anchored, &mut ours).is_ok());
            all.which_overlapping_matches(&anchored, &mut theirs);
            proptest::prop_assert_eq!(ours.iter().collect::<Vec<_>>(), theirs.iter().collect::<Vec<_>>());
            for pid in ours.iter() {
                let one = input.clone().anchored(Anchored::Pattern(pid));
                proptest::prop_assert_eq!(engine.find(&mut caches, &one), Ok(first.search(&one)));
            }
        }
    }
}
