//! Where in a text a candidate can be, so that the automaton reads only
//! there.
//!
//! Most of a message is prose, and every detector's pattern needs a digit,
//! a `:` or an `@` to match. [`Prefilter::new`] proves that from the
//! patterns themselves (their syntax trees): each pattern either
//!
//! - holds a byte of `0`–`9` or `:` in every match, with at most
//!   `before` bytes ahead of the first such byte, at most `after` bytes
//!   past the last, and at most `gap` bytes between two of them, or
//! - holds an `@` in every match, and is made of bytes from a known set,
//!   so a match lies inside the run of such bytes around its `@`.
//!
//! [`Prefilter::regions`] then marks the stretches around those bytes. Every
//! match lies wholly inside one region, so searching region by region finds
//! exactly the matches a search of the whole text finds. When some pattern
//! fits neither shape, there is no prefilter and the whole text is read.

use std::ops::Range;

use regex_syntax::hir::{Class, Hir, HirKind};

/// How much text is read before deciding that it is too dense with numbers
/// for regions to pay.
const DENSE_SAMPLE: usize = 4096;

/// A byte that every numeric-shaped match holds: `0`–`9` or `:`.
fn is_digit_anchor(b: u8) -> bool {
    b.wrapping_sub(b'0') <= 10
}

/// Compiled knowledge of where matches can be.
#[derive(Debug, Clone)]
pub(crate) struct Prefilter {
    /// The most bytes of a numeric-shaped match before its first anchor.
    before: usize,
    /// How far a region reaches past an anchor: enough for the most bytes
    /// after a match's last anchor, and for regions of two anchors of one
    /// match to meet (at most `gap` bytes apart).
    reach: usize,
    /// Bytes an `@`-shaped match is made of (`None`: no such pattern).
    around_at: Option<[bool; 256]>,
}

/// What a pattern's matches look like with respect to a set of bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Shape {
    /// The longest match holding none of the bytes (`None`: every match
    /// holds one). `usize::MAX` stands for unbounded.
    free: Option<usize>,
    /// Among matches holding one, the most bytes before the first
    /// (`None`: no match holds one).
    lead: Option<usize>,
    /// Among matches holding one, the most bytes after the last.
    trail: Option<usize>,
    /// Among matches holding two or more, the most bytes between two
    /// consecutive ones (`None`: no match holds two).
    gap: Option<usize>,
}

impl Shape {
    /// Only the empty match.
    const EMPTY: Shape = Shape {
        free: Some(0),
        lead: None,
        trail: None,
        gap: None,
    };
    /// No match at all.
    const NONE: Shape = Shape {
        free: None,
        lead: None,
        trail: None,
        gap: None,
    };
}

/// `a + b` when both are possible.
fn add_option(a: Option<usize>, b: Option<usize>) -> Option<usize> {
    Some(a?.saturating_add(b?))
}

fn max_option(a: Option<usize>, b: Option<usize>) -> Option<usize> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

/// The shape of `hir`'s matches with respect to the bytes `set` accepts
/// (ASCII bytes only: a character of two or more bytes is never in it).
fn shape(hir: &Hir, set: &dyn Fn(u8) -> bool) -> Shape {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => Shape::EMPTY,
        HirKind::Literal(literal) => {
            let bytes = &literal.0;
            let anchors: Vec<usize> = (0..bytes.len()).filter(|&i| set(bytes[i])).collect();
            match (anchors.first(), anchors.last()) {
                (Some(&first), Some(&last)) => Shape {
                    free: None,
                    lead: Some(first),
                    trail: Some(bytes.len() - 1 - last),
                    gap: anchors.windows(2).map(|w| w[1] - w[0] - 1).max(),
                },
                _ => Shape {
                    free: Some(bytes.len()),
                    ..Shape::NONE
                },
            }
        }
        HirKind::Class(Class::Bytes(class)) => {
            let bytes = class.ranges().iter().flat_map(|r| r.start()..=r.end());
            let (mut inside, mut outside) = (false, false);
            for b in bytes {
                if set(b) {
                    inside = true;
                } else {
                    outside = true;
                }
            }
            Shape {
                free: outside.then_some(1),
                lead: inside.then_some(0),
                trail: inside.then_some(0),
                gap: None,
            }
        }
        HirKind::Class(Class::Unicode(class)) => {
            let (mut inside, mut free) = (false, None);
            for range in class.ranges() {
                for c in range.start()..=range.end().min('\u{7f}') {
                    if set(c as u8) {
                        inside = true;
                    } else {
                        free = max_option(free, Some(1));
                    }
                }
                if range.end() > '\u{7f}' {
                    free = max_option(free, Some(range.end().len_utf8()));
                }
            }
            Shape {
                free,
                lead: inside.then_some(0),
                trail: inside.then_some(0),
                gap: None,
            }
        }
        HirKind::Capture(capture) => shape(&capture.sub, set),
        HirKind::Concat(items) => items
            .iter()
            .fold(Shape::EMPTY, |acc, item| then(acc, shape(item, set))),
        HirKind::Alternation(items) => items.iter().fold(Shape::NONE, |acc, item| {
            let s = shape(item, set);
            Shape {
                free: max_option(acc.free, s.free),
                lead: max_option(acc.lead, s.lead),
                trail: max_option(acc.trail, s.trail),
                gap: max_option(acc.gap, s.gap),
            }
        }),
        HirKind::Repetition(rep) => {
            let s = shape(&rep.sub, set);
            let copies = rep.max.map_or(usize::MAX, |m| m as usize);
            if copies == 0 {
                return Shape::EMPTY;
            }
            let times = |f: usize, n: usize| {
                if f == 0 || n == 0 {
                    0
                } else if n == usize::MAX {
                    usize::MAX
                } else {
                    f.saturating_mul(n)
                }
            };
            let free = match s.free {
                Some(f) => Some(times(f, copies)),
                None if rep.min == 0 => Some(0),
                None => None,
            };
            // The first anchor is in some copy, after copies without one;
            // the last likewise before such copies.
            let free_copies = |n: usize| s.free.map_or(0, |f| times(f, n));
            let lead = s
                .lead
                .map(|l| free_copies(copies.saturating_sub(1)).saturating_add(l));
            let trail = s
                .trail
                .map(|t| free_copies(copies.saturating_sub(1)).saturating_add(t));
            // Two anchors in consecutive copies, or copies apart with
            // anchor-free copies between.
            let across = if copies >= 2 {
                add_option(s.trail, s.lead)
                    .map(|g| g.saturating_add(free_copies(copies.saturating_sub(2))))
            } else {
                None
            };
            Shape {
                free,
                lead,
                trail,
                gap: max_option(s.gap, across),
            }
        }
    }
}

/// The shape of `a` followed by `b`.
fn then(a: Shape, b: Shape) -> Shape {
    Shape {
        free: add_option(a.free, b.free),
        // The first anchor is in `a`, or in `b` after an anchor-free `a`.
        lead: max_option(a.lead, add_option(a.free, b.lead)),
        trail: max_option(b.trail, add_option(a.trail, b.free)),
        gap: max_option(max_option(a.gap, b.gap), add_option(a.trail, b.lead)),
    }
}

/// Every byte `hir` can match (any byte of 0x80 and above stands for all of
/// them).
fn bytes_of(hir: &Hir, out: &mut [bool; 256]) {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => {}
        HirKind::Literal(literal) => {
            for &b in literal.0.iter() {
                out[usize::from(b)] = true;
            }
        }
        HirKind::Class(Class::Bytes(class)) => {
            for range in class.ranges() {
                for b in range.start()..=range.end() {
                    out[usize::from(b)] = true;
                }
            }
        }
        HirKind::Class(Class::Unicode(class)) => {
            for range in class.ranges() {
                for c in range.start()..=range.end().min('\u{7f}') {
                    out[c as usize] = true;
                }
                if range.end() > '\u{7f}' {
                    out[0x80..].fill(true);
                }
            }
        }
        HirKind::Capture(capture) => bytes_of(&capture.sub, out),
        HirKind::Repetition(rep) => bytes_of(&rep.sub, out),
        HirKind::Concat(items) | HirKind::Alternation(items) => {
            for item in items {
                bytes_of(item, out);
            }
        }
    }
}

impl Prefilter {
    /// The prefilter for these patterns, or `None` when some pattern fits
    /// neither shape (or does not parse: the automaton reports that).
    pub(crate) fn new(patterns: &[&str]) -> Option<Prefilter> {
        let mut before = 0;
        let mut after = 0;
        let mut gap = 0;
        let mut around_at: Option<[bool; 256]> = None;
        for pattern in patterns {
            let hir = regex_syntax::parse(pattern).ok()?;
            let numeric = shape(&hir, &is_digit_anchor);
            match numeric {
                Shape {
                    free: None,
                    lead: Some(lead),
                    trail: Some(trail),
                    gap: pair,
                } if lead.max(trail).max(pair.unwrap_or(0)) < usize::MAX => {
                    before = before.max(lead);
                    after = after.max(trail);
                    gap = gap.max(pair.unwrap_or(0));
                }
                _ => {
                    if shape(&hir, &|b| b == b'@').free.is_some() {
                        return None;
                    }
                    let set = around_at.get_or_insert([false; 256]);
                    bytes_of(&hir, set);
                }
            }
        }
        Some(Prefilter {
            before,
            reach: after.max(gap.saturating_sub(before)).saturating_add(1),
            around_at,
        })
    }

    /// Appends to `out`, in order and not overlapping, the stretches of
    /// `text` (on character boundaries) that hold every match.
    pub(crate) fn regions(&self, text: &str, out: &mut Vec<Range<usize>>) {
        let bytes = text.as_bytes();
        let len = bytes.len();
        let first = out.len();
        // The region being grown, not yet in `out` (empty: none).
        let mut current = 0..0;
        // The `@`-shaped stretches found so far end here: a later `@` inside
        // one needs no walk of its own.
        let mut walked_to = 0;
        let mut i = 0;
        // Bytes in the regions closed so far.
        let mut covered = 0;
        while let Some(at) = next_anchor(bytes, i) {
            // Text dense with numbers (a CSV of patients) is nearly all
            // regions: past a first stretch, read the rest whole.
            if at > DENSE_SAMPLE && (covered + current.len()) * 4 > at * 3 && !current.is_empty() {
                current.end = len;
                break;
            }
            i = at + 1;
            let region = if is_digit_anchor(bytes[at]) {
                let start = at.saturating_sub(self.before);
                let end = at.saturating_add(self.reach).min(len);
                // The usual case, in a stretch dense with numbers.
                if current.contains(&start) || start == current.end && !current.is_empty() {
                    current.end = current.end.max(end);
                    i = self.extend_dense(bytes, &mut current, i);
                    continue;
                }
                start..end
            } else {
                let Some(set) = &self.around_at else {
                    continue;
                };
                if at < walked_to {
                    continue;
                }
                let inside = |b: u8| set[usize::from(b)];
                let start = bytes[..at]
                    .iter()
                    .rposition(|&b| !inside(b))
                    .map_or(0, |p| p + 1);
                let end = bytes[at..]
                    .iter()
                    .position(|&b| !inside(b))
                    .map_or(len, |p| at + p);
                walked_to = end;
                start..end
            };
            if current.is_empty() || region.start > current.end {
                if !current.is_empty() {
                    covered += current.len();
                    out.push(current);
                }
                current = region;
            } else {
                current = current.start.min(region.start)..current.end.max(region.end);
            }
            // A walk back from an `@` may reach regions already closed:
            // they join this one.
            while out.len() > first && out.last().is_some_and(|last| last.end >= current.start) {
                if let Some(last) = out.pop() {
                    covered -= last.len();
                    current.start = current.start.min(last.start);
                }
            }
        }
        if !current.is_empty() {
            out.push(current);
        }
        for region in &mut out[first..] {
            while !text.is_char_boundary(region.start) {
                region.start -= 1;
            }
            while !text.is_char_boundary(region.end) {
                region.end += 1;
            }
        }
    }

    /// Grows `current` over a stretch dense with numbers without visiting
    /// each digit: every digit before `current.end + before` only extends
    /// the region, and the last of them decides how far. Returns where the
    /// search for anchors goes on. Leaves any `@` to the caller.
    fn extend_dense(&self, bytes: &[u8], current: &mut Range<usize>, mut from: usize) -> usize {
        loop {
            let reach = current
                .end
                .saturating_add(self.before)
                .saturating_add(1)
                .min(bytes.len());
            let Some(window) = bytes.get(from..reach) else {
                return from;
            };
            if memchr::memchr(b'@', window).is_some() {
                return from;
            }
            match window.iter().rposition(|&b| is_digit_anchor(b)) {
                Some(p) => {
                    let last = from + p;
                    current.end = current
                        .end
                        .max(last.saturating_add(self.reach).min(bytes.len()));
                    from = last + 1;
                }
                None => return reach.max(from),
            }
        }
    }
}

/// Some byte of the eight in `x` is a digit, `:` or `@` (bit tricks from
/// "Bit Twiddling Hacks": `hasbetween` and `haszero`).
fn word_has_anchor(x: u64) -> bool {
    const ONES: u64 = u64::MAX / 255;
    const HIGH: u64 = ONES * 0x80;
    let low = x & (ONES * 0x7f);
    // A byte strictly between 0x2f and 0x3b: `0`-`9` and `:`.
    let digit =
        (ONES * (127 + 0x3b)).wrapping_sub(low) & !x & low.wrapping_add(ONES * (127 - 0x2f)) & HIGH;
    let at = x ^ (ONES * u64::from(b'@'));
    let at = at.wrapping_sub(ONES) & !at & HIGH;
    digit | at != 0
}

/// The next byte at or after `from` that can anchor a match: a digit, `:`
/// or `@`.
fn next_anchor(bytes: &[u8], from: usize) -> Option<usize> {
    let anchor = |b: u8| is_digit_anchor(b) | (b == b'@');
    // Numbers come in runs: the next byte is the likeliest.
    if bytes.get(from).is_some_and(|&b| anchor(b)) {
        return Some(from);
    }
    let mut i = from;
    // Prose holds few anchors: rule out eight bytes at a time.
    while let Some(word) = bytes.get(i..i + 8) {
        let word: [u8; 8] = word.try_into().ok()?;
        if word_has_anchor(u64::from_le_bytes(word)) {
            break;
        }
        i += 8;
    }
    bytes
        .get(i..)?
        .iter()
        .position(|&b| anchor(b))
        .map(|p| i + p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numeric(pattern: &str) -> Shape {
        shape(
            &regex_syntax::parse(pattern).expect("pattern"),
            &is_digit_anchor,
        )
    }

    #[test]
    fn word_test_agrees_with_the_byte_test() {
        for b in 0..=255u8 {
            for pos in 0..8 {
                let mut word = *b"abcdefgh";
                word[pos] = b;
                let expected = is_digit_anchor(b) || b == b'@';
                assert_eq!(
                    word_has_anchor(u64::from_le_bytes(word)),
                    expected,
                    "{b} at {pos}"
                );
                assert_eq!(next_anchor(&word, 0), expected.then_some(pos));
            }
        }
    }

    #[test]
    fn shapes_of_small_patterns() {
        assert_eq!(
            numeric("[0-9]{3}"),
            Shape {
                free: None,
                lead: Some(0),
                trail: Some(0),
                gap: Some(0),
            }
        );
        assert_eq!(numeric("[0-9]").gap, None);
        // `SW1A 1AA`: two letters after the last digit, three between.
        let postcode = numeric(r"[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2}");
        assert_eq!(
            (postcode.lead, postcode.trail, postcode.gap),
            (Some(2), Some(2), Some(2))
        );
        let dated = numeric(r"[0-9]{1,2} (?:Jan|March)(?: [0-9]{4})?");
        assert_eq!((dated.trail, dated.gap), (Some(6), Some(7)));
        assert_eq!(numeric(r"(?:[0-9]x{0,3}){2,}").gap, Some(3));
        assert_eq!(numeric(r"(?:[0-9]|x){2,5}").gap, Some(3));
        assert_eq!(numeric(r"[0-9]+").gap, Some(0));
        assert_eq!(numeric(r"a1b2cc").trail, Some(2));
        assert_eq!(numeric(r"a1b2cc").gap, Some(1));
        assert_eq!(numeric(r"(?:\+|00)44").lead, Some(1));
        assert_eq!(numeric(r"[A-Z]{2}[0-9]").lead, Some(2));
        // Case folding: `s` also matches `ſ`, two bytes long.
        assert_eq!(numeric(r"(?i:jan|sept)\.? [0-9]").lead, Some(7));
        assert_eq!(numeric(r"[a-z]*[0-9]").lead, Some(usize::MAX));
        assert_eq!(numeric(r"[a-z]+").free, Some(usize::MAX));
        assert_eq!(numeric(r"[0-9]?x").free, Some(1));
        assert_eq!(numeric(r"(?:ab[0-9]?){2}").lead, Some(4));
        assert!(numeric(r"é[0-9]").lead == Some(2));
        assert!(
            numeric(r"\d").free.is_some(),
            "Unicode digits are not anchors"
        );
    }

    #[test]
    fn patterns_without_an_anchor_get_no_prefilter() {
        assert!(Prefilter::new(&[r"[0-9]{4}", r"[a-z]+@[a-z]+\.com"]).is_some());
        assert!(Prefilter::new(&[r"[0-9]{4}", r"[A-Z]{2}"]).is_none());
        assert!(Prefilter::new(&[r"[a-z]*[0-9]"]).is_none());
    }

    #[test]
    fn regions_cover_the_stretches_around_anchors() {
        let filter = Prefilter::new(&[r"[A-Z]{2}[0-9]{2}", r"[a-z0-9.]+@[a-z.]+"]).expect("filter");
        let pieces = |text: &'static str| {
            let mut out = Vec::new();
            filter.regions(text, &mut out);
            out.iter().map(|r| &text[r.clone()]).collect::<Vec<_>>()
        };
        assert_eq!(
            pieces("some prose AB12 then more prose, mail jo.x@ex.org ok"),
            vec!["AB12", "jo.x@ex.org"]
        );
        // A walk back from `@` joins the regions it reaches, closed or not.
        let text = "ab1cdefghijk2mn@x y";
        assert_eq!(pieces(text), vec!["ab1cdefghijk2mn@x"]);
        assert!(pieces("no anchors here").is_empty());
        // Text dense with numbers is read whole past the first stretch.
        let dense = "AB12 34 ".repeat(2000);
        let mut out = Vec::new();
        filter.regions(&dense, &mut out);
        assert!(out.len() < 700, "{}", out.len());
        assert_eq!(out.last().map(|r| r.end), Some(dense.len()));
        assert!(out.windows(2).all(|w| w[0].end < w[1].start));
        // Bounds stay on character boundaries.
        let filter = Prefilter::new(&[r"[A-Z]{3}[0-9]"]).expect("filter");
        let mut out = Vec::new();
        filter.regions("éé1", &mut out);
        assert_eq!(out, vec![0.."éé1".len()]);
    }
}
