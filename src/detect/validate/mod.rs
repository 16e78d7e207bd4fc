//! Validators: the exact checks run on each candidate the patterns find.
//!
//! Each takes the candidate text as found (separators included) and says
//! whether it is a well-formed value of its kind. None allocates: digits are
//! read straight from the bytes.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

/// Separators people put inside numbers: space, no-break space, hyphen, dot.
fn is_separator(c: char) -> bool {
    matches!(c, ' ' | '\u{a0}' | '-' | '.' | '\t')
}

/// The ASCII digits of `text`, in order, skipping everything else.
fn digits(text: &str) -> impl Iterator<Item = u32> + '_ {
    text.bytes()
        .filter(u8::is_ascii_digit)
        .map(|b| u32::from(b - b'0'))
}

fn digit_count(text: &str) -> usize {
    text.bytes().filter(u8::is_ascii_digit).count()
}

/// Lengths of the digit groups, split at separators (at most 8 groups).
fn groups(text: &str) -> ([u8; 8], usize) {
    let mut lens = [0u8; 8];
    let mut n = 0;
    let mut current = 0u8;
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            current = current.saturating_add(1);
        } else if current > 0 {
            if n < lens.len() {
                lens[n] = current;
            }
            n += 1;
            current = 0;
        }
    }
    if current > 0 {
        if n < lens.len() {
            lens[n] = current;
        }
        n += 1;
    }
    (lens, n.min(lens.len()))
}

/// The separators used between groups are all the same one.
fn consistent_separators(text: &str) -> bool {
    let mut seen: Option<char> = None;
    for c in text.chars().filter(|c| is_separator(*c)) {
        let c = if c == '\u{a0}' { ' ' } else { c };
        match seen {
            None => seen = Some(c),
            Some(s) if s != c => return false,
            _ => {}
        }
    }
    true
}

/// NHS number: 10 digits, weights 10..2 on the first nine, check digit
/// `11 - (sum mod 11)`, where 11 means 0 and 10 means the number is invalid.
/// Ten equal digits pass the arithmetic but are never issued.
pub(crate) fn nhs_number(text: &str) -> bool {
    if digit_count(text) != 10 || !consistent_separators(text) {
        return false;
    }
    let mut d = [0u32; 10];
    for (slot, v) in d.iter_mut().zip(digits(text)) {
        *slot = v;
    }
    if d.iter().all(|&x| x == d[0]) {
        return false;
    }
    let sum: u32 = d[..9].iter().zip((2..=10).rev()).map(|(&x, w)| x * w).sum();
    let check = match 11 - sum % 11 {
        11 => 0,
        10 => return false,
        c => c,
    };
    check == d[9]
}

/// The Luhn (mod 10) check over all digits of `text`.
pub(crate) fn luhn(text: &str) -> bool {
    let n = digit_count(text);
    if n < 2 {
        return false;
    }
    let mut sum = 0;
    for (i, d) in digits(text).enumerate() {
        // Double every second digit counting from the right (the check digit is position 0).
        let from_right = n - 1 - i;
        sum += if from_right % 2 == 1 {
            let x = d * 2;
            if x > 9 {
                x - 9
            } else {
                x
            }
        } else {
            d
        };
    }
    sum % 10 == 0
}

/// A payment card number: issuer prefix and a length that issuer uses,
/// Luhn, and a grouping people write (compact, 4-4-4-4(-3), Amex 4-6-5,
/// Diners 4-6-4).
pub(crate) fn card_number(text: &str) -> bool {
    let n = digit_count(text);
    if !(12..=19).contains(&n) || !consistent_separators(text) {
        return false;
    }
    let (lens, count) = groups(text);
    let lens = &lens[..count];
    let grouping_ok = count == 1
        || lens[..count - 1].iter().all(|&l| l == 4) && lens[count - 1] <= 4
        || lens == [4, 6, 5]
        || lens == [4, 6, 4];
    if !grouping_ok {
        return false;
    }
    let mut prefix = 0u32;
    for d in digits(text).take(6) {
        prefix = prefix * 10 + d;
    }
    let p = |k: u32| prefix / 10u32.pow(6 - k);
    let issuer_ok = match p(1) {
        // Visa. The old 13-digit numbers are no longer issued, and 13 digits
        // is also EAN-13, the product barcode.
        4 => matches!(n, 16 | 19),
        // Mastercard 51-55 and the 2-series 2221-2720.
        5 if (51..=55).contains(&p(2)) => n == 16,
        2 => (2221..=2720).contains(&p(4)) && n == 16,
        // Amex 34, 37; Diners 36, 300-305, 38-39; JCB 3528-3589.
        3 => match p(2) {
            34 | 37 => n == 15,
            36 | 38 | 39 => (14..=19).contains(&n),
            30 => (300..=305).contains(&p(3)) && (14..=19).contains(&n),
            35 => (3528..=3589).contains(&p(4)) && (16..=19).contains(&n),
            _ => false,
        },
        // Discover 6011, 644-649, 65; UnionPay 62; Maestro 50, 56-69.
        6 => (12..=19).contains(&n),
        5 => matches!(p(2), 50 | 56..=59) && (12..=19).contains(&n),
        _ => false,
    };
    issuer_ok && luhn(text)
}

/// IBAN lengths by country (ISO 13616 registry).
const IBAN_LENGTHS: &[(&[u8; 2], u8)] = &[
    (b"AD", 24),
    (b"AE", 23),
    (b"AL", 28),
    (b"AT", 20),
    (b"AZ", 28),
    (b"BA", 20),
    (b"BE", 16),
    (b"BG", 22),
    (b"BH", 22),
    (b"BR", 29),
    (b"BY", 28),
    (b"CH", 21),
    (b"CR", 22),
    (b"CY", 28),
    (b"CZ", 24),
    (b"DE", 22),
    (b"DK", 18),
    (b"DO", 28),
    (b"EE", 20),
    (b"EG", 29),
    (b"ES", 24),
    (b"FI", 18),
    (b"FO", 18),
    (b"FR", 27),
    (b"GB", 22),
    (b"GE", 22),
    (b"GI", 23),
    (b"GL", 18),
    (b"GR", 27),
    (b"GT", 28),
    (b"HR", 21),
    (b"HU", 28),
    (b"IE", 22),
    (b"IL", 23),
    (b"IQ", 23),
    (b"IS", 26),
    (b"IT", 27),
    (b"JO", 30),
    (b"KW", 30),
    (b"KZ", 20),
    (b"LB", 28),
    (b"LC", 32),
    (b"LI", 21),
    (b"LT", 20),
    (b"LU", 20),
    (b"LV", 21),
    (b"MC", 27),
    (b"MD", 24),
    (b"ME", 22),
    (b"MK", 19),
    (b"MR", 27),
    (b"MT", 31),
    (b"MU", 30),
    (b"NL", 18),
    (b"NO", 15),
    (b"PK", 24),
    (b"PL", 28),
    (b"PS", 29),
    (b"PT", 25),
    (b"QA", 29),
    (b"RO", 24),
    (b"RS", 22),
    (b"SA", 24),
    (b"SC", 31),
    (b"SE", 24),
    (b"SI", 19),
    (b"SK", 24),
    (b"SM", 27),
    (b"ST", 25),
    (b"SV", 28),
    (b"TL", 23),
    (b"TN", 24),
    (b"TR", 26),
    (b"UA", 29),
    (b"VA", 22),
    (b"VG", 24),
    (b"XK", 20),
];

/// How many bytes of `text`, which starts with an IBAN's country code, the
/// IBAN takes: its country's length in letters and digits. The pattern's
/// last group can swallow a word after an IBAN whose length is a multiple of
/// four (`BE63 0631 5391 8072 today`); the IBAN ends where its country says,
/// if a space follows there. `None` when the country is unknown, the text is
/// shorter, or the cut falls inside a group.
pub(crate) fn iban_extent(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let country = [
        bytes.first()?.to_ascii_uppercase(),
        bytes.get(1)?.to_ascii_uppercase(),
    ];
    let &(_, expected) = IBAN_LENGTHS.iter().find(|(c, _)| **c == country)?;
    let mut seen = 0;
    for (i, b) in bytes.iter().enumerate() {
        if b.is_ascii_alphanumeric() {
            seen += 1;
            if seen == usize::from(expected) {
                let end = i + 1;
                let rest = &text[end..];
                let separated = rest.is_empty() || rest.starts_with([' ', '\u{a0}']);
                return separated.then_some(end);
            }
        }
    }
    None
}

/// IBAN: the country's length and the ISO 7064 mod-97 check (the first four
/// characters moved to the end, letters as 10..35, remainder 1).
pub(crate) fn iban(text: &str) -> bool {
    let mut len = 0usize;
    let mut country = [0u8; 2];
    for b in text.bytes().filter(u8::is_ascii_alphanumeric) {
        if len < 2 {
            country[len] = b.to_ascii_uppercase();
        }
        len += 1;
    }
    let Some(&(_, expected)) = IBAN_LENGTHS.iter().find(|(c, _)| **c == country) else {
        return false;
    };
    if len != usize::from(expected) {
        return false;
    }
    let chars = || text.bytes().filter(u8::is_ascii_alphanumeric);
    let mut rem: u32 = 0;
    for b in chars().skip(4).chain(chars().take(4)) {
        let b = b.to_ascii_uppercase();
        rem = match b {
            b'0'..=b'9' => (rem * 10 + u32::from(b - b'0')) % 97,
            b'A'..=b'Z' => (rem * 100 + u32::from(b - b'A') + 10) % 97,
            _ => return false,
        };
    }
    rem == 1
}

/// UK National Insurance number (HMRC NIM39110): two prefix letters, six
/// digits, suffix A-D. D, F, I, Q, U, V never appear in the prefix; O is
/// never second; BG, GB, KN, NK, NT, TN and ZZ are not allocated.
pub(crate) fn nino(text: &str) -> bool {
    let compact = text.bytes().filter(u8::is_ascii_alphanumeric);
    let mut buf = [0u8; 9];
    let mut n = 0;
    for b in compact {
        if n == 9 {
            return false;
        }
        buf[n] = b.to_ascii_uppercase();
        n += 1;
    }
    if n != 9 {
        return false;
    }
    let (a, b) = (buf[0], buf[1]);
    const NEVER: &[u8] = b"DFIQUV";
    if !a.is_ascii_uppercase()
        || !b.is_ascii_uppercase()
        || NEVER.contains(&a)
        || NEVER.contains(&b)
    {
        return false;
    }
    if b == b'O' {
        return false;
    }
    if matches!(
        &buf[..2],
        b"BG" | b"GB" | b"KN" | b"NK" | b"NT" | b"TN" | b"ZZ"
    ) {
        return false;
    }
    buf[2..8].iter().all(u8::is_ascii_digit) && (b'A'..=b'D').contains(&buf[8])
}

/// US Social Security number: area not 000, 666 or 900-999; group not 00;
/// serial not 0000.
pub(crate) fn us_ssn(text: &str) -> bool {
    if digit_count(text) != 9 || !consistent_separators(text) {
        return false;
    }
    let mut d = [0u32; 9];
    for (slot, v) in d.iter_mut().zip(digits(text)) {
        *slot = v;
    }
    let area = d[0] * 100 + d[1] * 10 + d[2];
    let group = d[3] * 10 + d[4];
    let serial = d[5] * 1000 + d[6] * 100 + d[7] * 10 + d[8];
    area != 0 && area != 666 && area < 900 && group != 0 && serial != 0
}

/// How a telephone number was written, which sets how much it is trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PhoneForm {
    /// Not a valid number.
    Invalid,
    /// International form (`+44`, `0044`, `+1`) or a UK mobile: distinctive.
    Strong,
    /// A national form with a valid prefix and length.
    National,
    /// Ten digits in three space-separated groups, or in one: also how NHS
    /// numbers and references are written, so it needs telephone context.
    Ambiguous,
}

/// A UK national significant number (after the 0 or +44): length and
/// prefix ranges of the Ofcom numbering plan.
fn uk_nsn(d: &[u8]) -> bool {
    let n = d.len();
    match d.first() {
        // Geographic: 01 numbers have 9 or 10 digits, 02 numbers 10, and
        // only 020, 023, 024, 028 and 029 are in use.
        Some(1) => n == 9 || n == 10,
        Some(2) => n == 10 && matches!(d.get(1), Some(0 | 3 | 4 | 8 | 9)),
        // Non-geographic 03 and corporate 05 ranges.
        Some(3) => n == 10 && matches!(d.get(1), Some(0 | 3 | 4 | 7)),
        Some(5) => n == 10 && matches!(d.get(1), Some(5 | 6)),
        // Mobiles and personal numbers; 076 is pagers except 07624.
        Some(7) => n == 10 && (d.get(1) != Some(&6) || d.get(1..4) == Some(&[6, 2, 4])),
        // Freephone 0800 (9 or 10 digits), 0808, 084x, 087x.
        Some(8) => match (d.get(1), d.get(2)) {
            (Some(0), Some(0)) => n == 9 || n == 10,
            (Some(0), Some(8)) | (Some(4), _) | (Some(7), _) => n == 10,
            _ => false,
        },
        Some(9) => n == 10,
        _ => false,
    }
}

/// A North American number (NANP): area code and exchange both start 2-9,
/// the area code is not an N11 service code, not 555, and its middle digit
/// is not 9 (reserved for expansion). Exchanges ending 11 are assigned in
/// some areas, so they pass; so do 555-01xx numbers: reserved for fiction,
/// but libphonenumber counts them valid (its own US example is one), and a
/// number written so in a message is still a phone number.
fn nanp(d: &[u8]) -> bool {
    if d.len() != 10 {
        return false;
    }
    d[0] >= 2 && d[1] != 9 && !(d[1] == 1 && d[2] == 1) && d[3] >= 2 && d[0..3] != [5, 5, 5]
}

/// Telephone numbers, UK and North American, in national and international
/// forms.
pub(crate) fn phone(text: &str) -> PhoneForm {
    let mut buf = [0u8; 16];
    let mut n = 0;
    for d in text.bytes().filter(u8::is_ascii_digit) {
        if n == buf.len() {
            return PhoneForm::Invalid;
        }
        buf[n] = d - b'0';
        n += 1;
    }
    let d = &buf[..n];
    let trimmed = text.trim_start();
    let plus = trimmed.starts_with('+');
    // A byte window, not `str::contains`: its searcher costs more to set
    // up than this short value takes to read.
    let has_trunk_zero = text.as_bytes().windows(3).any(|w| w == b"(0)");
    let international = plus || trimmed.starts_with("00");
    if international {
        let rest = if plus { d } else { &d[2..] };
        return match rest {
            [4, 4, rest @ ..] => {
                let rest = if has_trunk_zero {
                    rest.strip_prefix(&[0]).unwrap_or(rest)
                } else {
                    rest
                };
                if uk_nsn(rest) {
                    PhoneForm::Strong
                } else {
                    PhoneForm::Invalid
                }
            }
            [1, rest @ ..] if nanp(rest) => PhoneForm::Strong,
            _ => PhoneForm::Invalid,
        };
    }
    match d {
        [0, rest @ ..] => {
            if !uk_nsn(rest) {
                PhoneForm::Invalid
            } else if rest.first() == Some(&7) {
                PhoneForm::Strong
            } else {
                PhoneForm::National
            }
        }
        // The country code before a national number: 1-617-220-8436,
        // 1 (617) 220-8436.
        [1, rest @ ..]
            if text
                .strip_prefix('1')
                .is_some_and(|r| r.starts_with([' ', '\u{a0}', '.', '-']))
                && nanp(rest) =>
        {
            PhoneForm::National
        }
        _ if nanp(d) => {
            let bracketed = trimmed.starts_with('(');
            let (_, count) = groups(text);
            let spaced_only = !text.contains(['-', '.']) && !bracketed;
            if count == 1 || (count == 3 && spaced_only) {
                PhoneForm::Ambiguous
            } else if count == 3 || bracketed {
                PhoneForm::National
            } else {
                PhoneForm::Invalid
            }
        }
        _ => PhoneForm::Invalid,
    }
}

/// IPv4 in dotted-quad form: four octets 0-255, no leading zeros.
pub(crate) fn ipv4(text: &str) -> bool {
    let Ok(addr) = Ipv4Addr::from_str(text) else {
        return false;
    };
    // 0.x.x.x is not an address a host uses; version strings often start 0.
    addr.octets()[0] != 0
}

/// IPv6, full or compressed (`2001:db8::1`), as the standard library reads it.
pub(crate) fn ipv6(text: &str) -> bool {
    // At least three groups or a `::`, so `12:30` and `05:16:00` are not addresses.
    let colons = text.bytes().filter(|&b| b == b':').count();
    if colons < 2 || !(text.contains("::") || colons == 7) {
        return false;
    }
    Ipv6Addr::from_str(text).is_ok()
}

/// UK postcode areas (the letters of the outward code), sorted.
const POSTCODE_AREAS: &[&str] = &[
    "AB", "AL", "B", "BA", "BB", "BD", "BF", "BH", "BL", "BN", "BR", "BS", "BT", "BX", "CA", "CB",
    "CF", "CH", "CM", "CO", "CR", "CT", "CV", "CW", "DA", "DD", "DE", "DG", "DH", "DL", "DN", "DT",
    "DY", "E", "EC", "EH", "EN", "EX", "FK", "FY", "G", "GL", "GU", "GY", "HA", "HD", "HG", "HP",
    "HR", "HS", "HU", "HX", "IG", "IM", "IP", "IV", "JE", "KA", "KT", "KW", "KY", "L", "LA", "LD",
    "LE", "LL", "LN", "LS", "LU", "M", "ME", "MK", "ML", "N", "NE", "NG", "NN", "NP", "NR", "NW",
    "OL", "OX", "PA", "PE", "PH", "PL", "PO", "PR", "RG", "RH", "RM", "S", "SA", "SE", "SG", "SK",
    "SL", "SM", "SN", "SO", "SP", "SR", "SS", "ST", "SW", "SY", "TA", "TD", "TF", "TN", "TQ", "TR",
    "TS", "TW", "UB", "W", "WA", "WC", "WD", "WF", "WN", "WR", "WS", "WV", "YO", "ZE",
];

/// UK postcode: a known area, an outward code of the form A9, A99, AA9,
/// AA99, A9A or AA9A, and an inward code 9AA whose letters avoid C I K M O V.
pub(crate) fn uk_postcode(text: &str) -> bool {
    let mut buf = [0u8; 8];
    let mut n = 0;
    for b in text.bytes().filter(u8::is_ascii_alphanumeric) {
        if n == buf.len() {
            return false;
        }
        buf[n] = b.to_ascii_uppercase();
        n += 1;
    }
    if !(5..=7).contains(&n) {
        return false;
    }
    let (outward, inward) = buf[..n].split_at(n - 3);
    let inward_ok = inward[0].is_ascii_digit()
        && inward[1..]
            .iter()
            .all(|b| b.is_ascii_uppercase() && !b"CIKMOV".contains(b));
    let letters = outward
        .iter()
        .take_while(|b| b.is_ascii_uppercase())
        .count();
    let area = &outward[..letters];
    let district = &outward[letters..];
    let area_ok = POSTCODE_AREAS
        .binary_search_by(|a| a.as_bytes().cmp(area))
        .is_ok();
    let district_ok = match district {
        [d] => d.is_ascii_digit(),
        [d, e] => d.is_ascii_digit() && (e.is_ascii_digit() || e.is_ascii_uppercase()),
        _ => false,
    };
    inward_ok && area_ok && district_ok
}

/// A calendar date read from the text, for date-of-birth checks. Ordered
/// by year, then month, then day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Date {
    pub(crate) year: u32,
    pub(crate) month: u32,
    pub(crate) day: u32,
}

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// A month's name or its abbreviation (at least three letters: `Jul`, `Sept`).
fn month_from_name(word: &str) -> Option<u32> {
    if word.len() < 3 {
        return None;
    }
    let idx = MONTHS.iter().position(|m| {
        m.len() >= word.len() && m.as_bytes()[..word.len()].eq_ignore_ascii_case(word.as_bytes())
    })?;
    Some(idx as u32 + 1)
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 0,
    }
}

fn valid(year: u32, month: u32, day: u32) -> Option<Date> {
    (day >= 1 && day <= days_in_month(year, month)).then_some(Date { year, month, day })
}

/// Two-digit years in a birth date: 00-29 mean 2000s, others 1900s.
fn full_year(y: u32, digits: usize) -> u32 {
    match digits {
        2 if y < 30 => 2000 + y,
        2 => 1900 + y,
        _ => y,
    }
}

/// A plausible birth date in any of the written forms: d/m/y or m/d/y with
/// `/ . -`, ISO `y-m-d`, `14 July 1983`, `14th of July 1983`, `July 14, 1983`,
/// `14-Jul-1983`, `14-Jul-83`. The year must lie between 1900 and 2026 (two
/// digits: 00-29 are 2000-2029, the rest 1900s).
pub(crate) fn birth_date(text: &str) -> Option<Date> {
    // Compact ISO 8601: `19830714`.
    if text.len() == 8 && text.bytes().all(|b| b.is_ascii_digit()) {
        let number = |range: std::ops::Range<usize>| text[range].parse::<u32>().ok();
        let date = valid(number(0..4)?, number(4..6)?, number(6..8)?)?;
        return (1900..=2026).contains(&date.year).then_some(date);
    }
    let mut nums = [(0u32, 0usize); 3];
    let mut n_nums = 0;
    let mut month_name = None;
    for token in text
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|t| !t.is_empty())
    {
        if token.bytes().all(|b| b.is_ascii_digit()) {
            if n_nums == 3 || token.len() > 4 {
                return None;
            }
            nums[n_nums] = (token.parse().ok()?, token.len());
            n_nums += 1;
        } else if let Some(m) = month_from_name(token) {
            if month_name.is_some() {
                return None;
            }
            month_name = Some(m);
        } else if token.len() > 2 && token[..token.len() - 2].bytes().all(|b| b.is_ascii_digit()) {
            // An ordinal: 14th, 1st, 22nd, 3rd.
            let (num, suffix) = token.split_at(token.len() - 2);
            if !["st", "nd", "rd", "th"]
                .iter()
                .any(|s| s.eq_ignore_ascii_case(suffix))
                || n_nums == 3
            {
                return None;
            }
            nums[n_nums] = (num.parse().ok()?, num.len());
            n_nums += 1;
        } else if !token.eq_ignore_ascii_case("of") {
            return None;
        }
    }
    let date = match (month_name, n_nums) {
        (Some(month), 2) => {
            let (day, year) = if nums[0].1 == 4 {
                (nums[1], nums[0])
            } else {
                (nums[0], nums[1])
            };
            if year.1 != 4 && year.1 != 2 {
                return None;
            }
            valid(full_year(year.0, year.1), month, day.0)
        }
        (None, 3) => {
            let [a, b, c] = nums;
            if a.1 == 4 {
                valid(a.0, b.0, c.0)
            } else if c.1 == 4 || c.1 == 2 {
                let year = full_year(c.0, c.1);
                // Day first (UK), else month first (US).
                valid(year, b.0, a.0).or_else(|| valid(year, a.0, b.0))
            } else {
                None
            }
        }
        _ => None,
    }?;
    (1900..=2026).contains(&date.year).then_some(date)
}

/// UK passport number: nine digits, or two letters and seven digits.
pub(crate) fn uk_passport(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 9
        && (b.iter().all(u8::is_ascii_digit)
            || b[..2].iter().all(u8::is_ascii_uppercase) && b[2..].iter().all(u8::is_ascii_digit))
}

/// UK driving licence number (DVLA): five surname characters (padded with
/// 9), the birth date coded as YMMDDY with 5 or 6 added to the month tens
/// for women, two initials (9 padded), a digit and two check letters.
pub(crate) fn uk_driving_licence(text: &str) -> bool {
    let bytes = text.as_bytes();
    if bytes.len() != 16 {
        return false;
    }
    let surname_ok = bytes[0].is_ascii_uppercase()
        && bytes[1..5]
            .iter()
            .all(|c| c.is_ascii_uppercase() || *c == b'9');
    let digits_ok = bytes[5..11].iter().all(u8::is_ascii_digit);
    let month_tens = bytes[6].wrapping_sub(b'0');
    let month_ones = bytes[7].wrapping_sub(b'0');
    let month = u32::from(month_tens % 5) * 10 + u32::from(month_ones);
    let day = u32::from(bytes[8].wrapping_sub(b'0')) * 10 + u32::from(bytes[9].wrapping_sub(b'0'));
    let date_ok =
        matches!(month_tens, 0 | 1 | 5 | 6) && (1..=12).contains(&month) && (1..=31).contains(&day);
    let tail_ok = bytes[11..13]
        .iter()
        .all(|c| c.is_ascii_uppercase() || *c == b'9')
        && bytes[13].is_ascii_digit()
        && bytes[14..16].iter().all(u8::is_ascii_uppercase);
    surname_ok && digits_ok && date_ok && tail_ok
}

/// UK sort code (`12-34-56`) optionally followed by an eight-digit account.
pub(crate) fn uk_bank_account(text: &str) -> bool {
    let n = digit_count(text);
    n == 6 || n == 14
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn nhs_examples() {
        assert!(nhs_number("943 476 5919"));
        assert!(nhs_number("9434765919"));
        assert!(nhs_number("943-476-5919"));
        assert!(!nhs_number("943 476 5918"));
        assert!(!nhs_number("943-476 5919"));
        assert!(!nhs_number("1111111111"));
        assert!(!nhs_number("943 476 591"));
    }

    #[test]
    fn card_examples() {
        assert!(card_number("4111 1111 1111 1111"));
        assert!(card_number("5555555555554444"));
        assert!(card_number("2223 0031 2200 3222"));
        assert!(card_number("3782 822463 10005"));
        assert!(!card_number("4111 1111 1111 1112"));
        assert!(!card_number("1234 5678 9012 3452"));
        assert!(!card_number("4111-1111 1111-1111"));
    }

    #[test]
    fn iban_examples() {
        assert!(iban("GB82 WEST 1234 5698 7654 32"));
        assert!(iban("GB82WEST12345698765432"));
        assert!(iban("DE89 3704 0044 0532 0130 00"));
        assert!(!iban("GB82 WEST 1234 5698 7654 33"));
        assert!(!iban("GB82 WEST 1234 5698 7654"));
        assert!(!iban("XX82 WEST 1234 5698 7654 32"));
    }

    #[test]
    fn iban_extent_cuts_a_swallowed_word() {
        let swallowed = "BE63 0631 5391 8072 toda y";
        assert_eq!(iban_extent(swallowed), Some(19));
        assert!(iban(&swallowed[..19]));
        assert_eq!(iban_extent("BE63063153918072 by"), Some(16));
        assert_eq!(iban_extent("GB82 WEST 1234 5698 7654 32"), Some(27));
        assert_eq!(iban_extent("be63\u{a0}0631 5391 8072\u{a0}mon"), Some(20));
        // Glued on: no cut.
        assert_eq!(iban_extent("BE630631539180721234"), None);
        assert_eq!(iban_extent("BE63 0631 5391 80"), None);
        assert_eq!(iban_extent("XX63 0631 5391 8072"), None);
        assert_eq!(iban_extent("B"), None);
    }

    #[test]
    fn nino_examples() {
        assert!(nino("AB 12 34 56 C"));
        assert!(nino("JE428213C"));
        assert!(!nino("GB 12 34 56 C"));
        assert!(!nino("DA123456A"));
        assert!(!nino("AO123456A"));
        assert!(!nino("AB123456E"));
    }

    #[test]
    fn ssn_examples() {
        assert!(us_ssn("123-45-6789"));
        assert!(!us_ssn("000-45-6789"));
        assert!(!us_ssn("666-45-6789"));
        assert!(!us_ssn("912-45-6789"));
        assert!(!us_ssn("123-00-6789"));
        assert!(!us_ssn("123-45-0000"));
    }

    #[test]
    fn phone_examples() {
        assert_eq!(phone("07700 900123"), PhoneForm::Strong);
        assert_eq!(phone("+44 7700 900123"), PhoneForm::Strong);
        assert_eq!(phone("+44 (0)20 7946 0958"), PhoneForm::Strong);
        assert_eq!(phone("020 7946 0958"), PhoneForm::National);
        assert_eq!(phone("0117 306 9764"), PhoneForm::National);
        assert_eq!(phone("(617) 220-8436"), PhoneForm::National);
        assert_eq!(phone("773-657-1640"), PhoneForm::National);
        assert_eq!(phone("+1 773 657 1640"), PhoneForm::Strong);
        assert_eq!(phone("773 657 1640"), PhoneForm::Ambiguous);
        assert_eq!(phone("7736571640"), PhoneForm::Ambiguous);
        assert_eq!(phone("1736571640"), PhoneForm::Invalid);
        assert_eq!(phone("021 7946 0958"), PhoneForm::Invalid);
        assert_eq!(phone("173-657-1640"), PhoneForm::Invalid);
        assert_eq!(phone("911-657-1640"), PhoneForm::Invalid);
        assert_eq!(phone("646-911-8009"), PhoneForm::National);
        assert_eq!(phone("0770 090"), PhoneForm::Invalid);
        // Fiction's 555-01xx is valid to libphonenumber; area code 555,
        // x9x area codes and exchanges starting 0 or 1 are not.
        assert_eq!(phone("(201) 555-0123"), PhoneForm::National);
        assert_eq!(phone("+1 201 555 0123"), PhoneForm::Strong);
        assert_eq!(phone("555-234-5678"), PhoneForm::Invalid);
        assert_eq!(phone("292-234-5678"), PhoneForm::Invalid);
        assert_eq!(phone("201-155-0123"), PhoneForm::Invalid);
    }

    #[test]
    fn ip_examples() {
        assert!(ipv4("203.0.113.7"));
        assert!(!ipv4("256.1.1.1"));
        assert!(!ipv4("01.2.3.4"));
        assert!(ipv6("2001:db8::1"));
        assert!(ipv6("2001:db8:a24b::d8f9:bc65:5e91"));
        assert!(ipv6("fe80:0:0:0:0:0:0:1"));
        assert!(!ipv6("05:16:00"));
        assert!(!ipv6("12:30"));
    }

    #[test]
    fn postcode_examples() {
        assert!(uk_postcode("LS6 2AB"));
        assert!(uk_postcode("SW1A 1AA"));
        assert!(uk_postcode("EC1V 9HX"));
        assert!(uk_postcode("W1A 3EX"));
        assert!(!uk_postcode("QQ1 2AB"));
        assert!(!uk_postcode("LS6 2AC"));
        assert!(!uk_postcode("LS 2AB"));
    }

    #[test]
    fn postcode_areas_are_sorted() {
        assert!(POSTCODE_AREAS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn date_examples() {
        let d = |y, m, day| {
            Some(Date {
                year: y,
                month: m,
                day,
            })
        };
        assert_eq!(birth_date("14/07/1983"), d(1983, 7, 14));
        assert_eq!(birth_date("07/14/1983"), d(1983, 7, 14));
        assert_eq!(birth_date("1983-07-14"), d(1983, 7, 14));
        assert_eq!(birth_date("14.07.83"), d(1983, 7, 14));
        assert_eq!(birth_date("14 July 1983"), d(1983, 7, 14));
        assert_eq!(birth_date("14th of July 1983"), d(1983, 7, 14));
        assert_eq!(birth_date("July 14, 1983"), d(1983, 7, 14));
        assert_eq!(birth_date("14-Jul-1983"), d(1983, 7, 14));
        assert_eq!(birth_date("31/02/1983"), None);
        assert_eq!(birth_date("14/07/1783"), None);
        assert_eq!(birth_date("14 Julyish 1983"), None);
        assert_eq!(birth_date("19830714"), d(1983, 7, 14));
        assert_eq!(birth_date("19831407"), None);
        assert_eq!(birth_date("18991231"), None);
        assert_eq!(birth_date("19830230"), None);
    }

    #[test]
    fn other_examples() {
        assert!(uk_passport("123456789"));
        assert!(uk_passport("AB1234567"));
        assert!(!uk_passport("12345678"));
        assert!(uk_driving_licence("MORGA753116SM9IJ"));
        assert!(!uk_driving_licence("MORGA793116SM9IJ"));
        assert!(uk_bank_account("12-34-56 12345678"));
    }

    fn nhs_check_digit(first9: &[u32]) -> Option<u32> {
        let sum: u32 = first9.iter().zip((2..=10).rev()).map(|(d, w)| d * w).sum();
        match 11 - sum % 11 {
            11 => Some(0),
            10 => None,
            c => Some(c),
        }
    }

    fn luhn_check_digit(body: &[u32]) -> u32 {
        let mut sum = 0;
        for (i, &d) in body.iter().rev().enumerate() {
            sum += if i % 2 == 0 {
                let x = d * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                d
            };
        }
        (10 - sum % 10) % 10
    }

    fn render(digits: &[u32]) -> String {
        digits.iter().map(|d| char::from(b'0' + *d as u8)).collect()
    }

    proptest! {
        #[test]
        fn nhs_valid_accepted_and_single_changes_rejected(
            first9 in proptest::collection::vec(0u32..10, 9),
            pos in 0usize..10,
            delta in 1u32..10,
        ) {
            if let Some(check) = nhs_check_digit(&first9) {
                let mut all = first9.clone();
                all.push(check);
                if all.iter().any(|&d| d != all[0]) {
                    prop_assert!(nhs_number(&render(&all)));
                }
                let mut changed = all.clone();
                changed[pos] = (changed[pos] + delta) % 10;
                prop_assert!(!nhs_number(&render(&changed)));
            }
        }

        #[test]
        fn luhn_valid_accepted_and_single_changes_rejected(
            body in proptest::collection::vec(0u32..10, 11..18),
            pos in 0usize..19,
            delta in 1u32..10,
        ) {
            let mut all = body.clone();
            all.push(luhn_check_digit(&body));
            prop_assert!(luhn(&render(&all)));
            let pos = pos % all.len();
            let mut changed = all.clone();
            changed[pos] = (changed[pos] + delta) % 10;
            prop_assert!(!luhn(&render(&changed)));
        }

        #[test]
        fn iban_valid_accepted_and_single_changes_rejected(
            bank in "[A-Z]{4}",
            account in proptest::collection::vec(0u32..10, 14),
            pos in 4usize..22,
            delta in 1u32..10,
        ) {
            // Compute the check digits for GB: rearranged with "00", 98 - mod.
            let bban = format!("{bank}{}", render(&account));
            let mut rem = 0u32;
            for b in bban.bytes().chain(*b"GB00") {
                rem = if b.is_ascii_digit() {
                    (rem * 10 + u32::from(b - b'0')) % 97
                } else {
                    (rem * 100 + u32::from(b - b'A') + 10) % 97
                };
            }
            let check = 98 - rem;
            let value = format!("GB{check:02}{bban}");
            prop_assert!(iban(&value));
            let mut bytes = value.into_bytes();
            // Change one digit (positions 2-3 are check digits, 8.. the account).
            let pos = if (4..8).contains(&pos) { pos + 4 } else { pos };
            let pos = pos.min(21);
            if bytes[pos].is_ascii_digit() {
                bytes[pos] = b'0' + ((bytes[pos] - b'0') as u32 + delta) as u8 % 10;
                let changed = String::from_utf8(bytes).unwrap_or_default();
                prop_assert!(!iban(&changed));
            }
        }

        #[test]
        fn validators_never_panic(s in "\\PC{0,40}") {
            let _ = nhs_number(&s);
            let _ = card_number(&s);
            let _ = iban(&s);
            let _ = nino(&s);
            let _ = us_ssn(&s);
            let _ = phone(&s);
            let _ = ipv4(&s);
            let _ = ipv6(&s);
            let _ = uk_postcode(&s);
            let _ = birth_date(&s);
            let _ = uk_passport(&s);
            let _ = uk_driving_licence(&s);
        }
    }
}
