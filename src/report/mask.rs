//! Masking: how a personal value appears in a report. At most a short tail
//! survives (2 to 4 characters), never enough to recover the value.

use std::fmt;
use std::ops::Deref;

use compact_str::CompactString;
use serde::{Serialize, Serializer};

/// A masked value, as reports show it (`*** *** *919`, `j***@g***.com`).
/// Values up to 24 bytes (nearly all) are held inline, so a finding's mask
/// costs no allocation: a table can hold hundreds of thousands of them.
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Masked(CompactString);

/// The longest text a [`Masked`] holds without allocating.
const INLINE: usize = 24;

impl Masked {
    /// Masks an e-mail address (see [`mask_email`]).
    pub fn email(address: &str) -> Masked {
        let Some((local, domain)) = address.rsplit_once('@') else {
            return Masked::tail(address, 2);
        };
        let tld = domain.rsplit_once('.').map(|(_, t)| t).unwrap_or("");
        // A long top-level label is not a public suffix but part of the name.
        let tld = if tld.len() <= 6 && tld.bytes().all(|b| b.is_ascii_alphabetic()) {
            tld
        } else {
            "***"
        };
        let mut masked = CompactString::default();
        masked.extend(local.chars().next());
        masked.push_str("***@");
        masked.extend(domain.chars().next());
        masked.push_str("***.");
        masked.push_str(tld);
        Masked(masked)
    }

    /// Masks every letter and digit but the last `keep` (see [`mask_tail`]).
    pub fn tail(value: &str, keep: usize) -> Masked {
        let keep = keep.min(4);
        if value.len() <= INLINE && value.is_ascii() {
            return Masked::ascii_tail(value.as_bytes(), keep);
        }
        Masked::any_tail(value, keep)
    }

    /// [`Masked::tail`] of any value, character by character.
    fn any_tail(value: &str, keep: usize) -> Masked {
        let alnum = value.chars().filter(|c| c.is_alphanumeric()).count();
        // Short values keep less, so that at most half of one is ever shown.
        let hidden = alnum - keep.min(alnum / 2);
        let mut seen = 0;
        let masked = value
            .chars()
            .map(|c| {
                if !c.is_alphanumeric() {
                    return c;
                }
                seen += 1;
                if seen > hidden {
                    c
                } else {
                    '*'
                }
            })
            .collect();
        Masked(masked)
    }

    /// [`Masked::tail`] of a short ASCII value, built on the stack.
    fn ascii_tail(value: &[u8], keep: usize) -> Masked {
        let alnum = value.iter().filter(|b| b.is_ascii_alphanumeric()).count();
        let hidden = alnum - keep.min(alnum / 2);
        let mut out = [0u8; INLINE];
        let mut seen = 0;
        for (o, &b) in out.iter_mut().zip(value) {
            *o = b;
            if b.is_ascii_alphanumeric() {
                seen += 1;
                if seen <= hidden {
                    *o = b'*';
                }
            }
        }
        // ASCII in, ASCII and `*` out.
        let text = std::str::from_utf8(&out[..value.len()]).unwrap_or_default();
        Masked(CompactString::new(text))
    }

    /// The masked text.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl Deref for Masked {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Masked {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for Masked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Masked {
    /// Masked already: shown as it is.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl Serialize for Masked {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl PartialEq<str> for Masked {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Masked {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for Masked {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other.as_str()
    }
}

impl From<Masked> for String {
    fn from(masked: Masked) -> String {
        masked.0.into_string()
    }
}

/// Masks an e-mail address as `j***@g***.com`: the first character of the
/// local part and of the domain, and the top-level domain.
pub fn mask_email(address: &str) -> String {
    Masked::email(address).into()
}

/// Masks every letter and digit but the last `keep` ones (at most 4),
/// keeping separators so the shape stays readable: `*** *** *919`.
pub fn mask_tail(value: &str, keep: usize) -> String {
    Masked::tail(value, keep).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_masks_keep_initials_and_tld() {
        assert_eq!(mask_email("jane.doe@gmail.com"), "j***@g***.com");
        assert_eq!(mask_email("x@nhs.net"), "x***@n***.net");
        assert_eq!(mask_email("noatsign"), "******gn");
        assert_eq!(mask_email("zoë@bücher.de"), "z***@b***.de");
        assert_eq!(mask_email("a@b.c0m"), "a***@b***.***");
        assert_eq!(mask_email("@x"), "***@x***.");
    }

    #[test]
    fn tail_masks_keep_separators() {
        assert_eq!(mask_tail("943 476 5919", 3), "*** *** *919");
        assert_eq!(mask_tail("AB 12 34 56 C", 2), "** ** ** *6 C");
        assert_eq!(mask_tail("12", 4), "*2");
        assert_eq!(mask_tail("", 4), "");
        assert_eq!(mask_tail("Zoë 12", 4), "*** 12");
        assert_eq!(mask_tail("GB29 NWBK 6016", 4), "**** **** 6016");
    }

    proptest::proptest! {
        #[test]
        fn the_ascii_shortcut_masks_as_the_general_way(value in "[ -~]{0,24}", keep in 0usize..5) {
            proptest::prop_assert_eq!(
                Masked::ascii_tail(value.as_bytes(), keep),
                Masked::any_tail(&value, keep)
            );
        }
    }

    #[test]
    fn common_masks_need_no_allocation() {
        for masked in [
            Masked::tail("943 476 5919", 3),
            Masked::tail("4111 1111 1111 1111", 4),
            Masked::tail("+44 20 7946 0958", 4),
            Masked::email("jane.doe@gmail.com"),
            Masked::email("ö@bücher.museum"),
        ] {
            assert!(!masked.0.is_heap_allocated(), "{masked}");
        }
        // Longer ones still work, on the heap.
        let iban = Masked::tail("GB29 NWBK 6016 1331 9268 19", 4);
        assert_eq!(iban, "**** **** **** **** **68 19");
        assert_eq!(String::from(iban.clone()), iban.as_str());
        assert_eq!(
            serde_json::to_string(&iban).ok().as_deref(),
            Some("\"**** **** **** **** **68 19\"")
        );
    }
}
