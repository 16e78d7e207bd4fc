//! Masking: how a personal value appears in a report. At most a short tail
//! survives (2 to 4 characters), never enough to recover the value.

/// Masks an e-mail address as `j***@g***.com`: the first character of the
/// local part and of the domain, and the top-level domain.
pub fn mask_email(address: &str) -> String {
    let Some((local, domain)) = address.rsplit_once('@') else {
        return mask_tail(address, 2);
    };
    let tld = domain.rsplit_once('.').map(|(_, t)| t).unwrap_or("");
    // A long top-level label is not a public suffix but part of the name.
    let tld = if tld.len() <= 6 && tld.bytes().all(|b| b.is_ascii_alphabetic()) {
        tld
    } else {
        "***"
    };
    let mut masked = String::with_capacity(16 + tld.len());
    masked.extend(local.chars().next());
    masked.push_str("***@");
    masked.extend(domain.chars().next());
    masked.push_str("***.");
    masked.push_str(tld);
    masked
}

/// Masks every letter and digit but the last `keep` ones (at most 4),
/// keeping separators so the shape stays readable: `*** *** *919`.
pub fn mask_tail(value: &str, keep: usize) -> String {
    let keep = keep.min(4);
    if value.is_ascii() {
        return mask_ascii_tail(value.as_bytes(), keep);
    }
    let alnum = value.chars().filter(|c| c.is_alphanumeric()).count();
    // Short values keep less, so that at most half of one is ever shown.
    let keep = keep.min(alnum / 2);
    let hidden = alnum - keep;
    let mut masked = String::with_capacity(value.len());
    let mut seen = 0;
    for c in value.chars() {
        if c.is_alphanumeric() {
            seen += 1;
            masked.push(if seen > hidden { c } else { '*' });
        } else {
            masked.push(c);
        }
    }
    masked
}

/// [`mask_tail`] for ASCII text, byte by byte.
fn mask_ascii_tail(value: &[u8], keep: usize) -> String {
    let alnum = value.iter().filter(|b| b.is_ascii_alphanumeric()).count();
    let hidden = alnum - keep.min(alnum / 2);
    let mut seen = 0;
    let masked: Vec<u8> = value
        .iter()
        .map(|&b| {
            if b.is_ascii_alphanumeric() {
                seen += 1;
                if seen > hidden {
                    return b;
                }
                return b'*';
            }
            b
        })
        .collect();
    // Only ASCII bytes went in, and `*`: always valid UTF-8.
    String::from_utf8(masked).unwrap_or_default()
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
}
