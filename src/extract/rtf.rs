//! Rich Text Format → plain text: a small reader of RTF 1.9.1's syntax
//! (groups, control words, `\'hh` and `\uN` escapes) that drops the
//! destinations holding no document text (font and colour tables, style
//! sheets, pictures, embedded objects, `\*` extensions).

/// Destinations whose content is not document text.
const SKIPPED: &[&[u8]] = &[
    b"fonttbl",
    b"colortbl",
    b"stylesheet",
    b"info",
    b"pict",
    b"object",
    b"themedata",
    b"colorschememapping",
    b"datastore",
    b"latentstyles",
    b"listtable",
    b"listoverridetable",
    b"rsidtbl",
    b"generator",
    b"xmlnstbl",
    b"filetbl",
    b"revtbl",
    b"fldinst",
];

/// Deeper groups share their parent's state instead of growing the stack.
const MAX_DEPTH: usize = 256;

#[derive(Clone, Copy)]
struct Group {
    skip: bool,
    /// `\ucN`: characters that follow a `\u` as its fallback.
    fallback: u32,
}

/// The text of an RTF document, at most `cap` bytes.
pub(super) fn to_text(rtf: &[u8], cap: usize) -> String {
    let mut out = String::new();
    let mut stack = vec![Group {
        skip: false,
        fallback: 1,
    }];
    let mut overflow = 0usize;
    let mut pending_skip = 0u32;
    let mut i = 0;
    while i < rtf.len() && out.len() < cap {
        let state = stack.last().copied().unwrap_or(Group {
            skip: false,
            fallback: 1,
        });
        let byte = rtf[i];
        i += 1;
        match byte {
            b'{' => {
                if stack.len() < MAX_DEPTH {
                    stack.push(state);
                } else {
                    overflow += 1;
                }
            }
            b'}' => {
                if overflow > 0 {
                    overflow -= 1;
                } else if stack.len() > 1 {
                    stack.pop();
                }
            }
            b'\\' => {
                let Some(&next) = rtf.get(i) else { break };
                if next.is_ascii_alphabetic() {
                    let start = i;
                    while i < rtf.len() && rtf[i].is_ascii_alphabetic() && i - start < 32 {
                        i += 1;
                    }
                    let word = &rtf[start..i];
                    let num_start = i;
                    if rtf.get(i) == Some(&b'-') {
                        i += 1;
                    }
                    while i < rtf.len() && rtf[i].is_ascii_digit() && i - num_start < 11 {
                        i += 1;
                    }
                    let param = std::str::from_utf8(&rtf[num_start..i])
                        .ok()
                        .and_then(|s| s.parse::<i64>().ok());
                    if rtf.get(i) == Some(&b' ') {
                        i += 1;
                    }
                    let top = stack.len() - 1;
                    match word {
                        b"par" | b"line" | b"sect" | b"page" | b"row" if !state.skip => {
                            out.push('\n')
                        }
                        b"tab" | b"cell" if !state.skip => out.push('\t'),
                        b"uc" => stack[top].fallback = param.unwrap_or(1).clamp(0, 8) as u32,
                        b"u" => {
                            if !state.skip {
                                let code = param.unwrap_or(0);
                                let code = if code < 0 { code + 65_536 } else { code };
                                out.push(char::from_u32(code as u32).unwrap_or('\u{FFFD}'));
                            }
                            pending_skip = state.fallback;
                            continue;
                        }
                        w if SKIPPED.contains(&w) => stack[top].skip = true,
                        _ => {}
                    }
                } else {
                    i += 1;
                    match next {
                        b'\'' => {
                            let hex = rtf.get(i..i + 2).and_then(|h| std::str::from_utf8(h).ok());
                            let value = hex.and_then(|h| u8::from_str_radix(h, 16).ok());
                            i += 2;
                            if pending_skip > 0 {
                                pending_skip -= 1;
                                continue;
                            }
                            if let (Some(value), false) = (value, state.skip) {
                                // Latin-1 for the common ANSI code page 1252.
                                out.push(char::from(value));
                            }
                        }
                        b'*' => {
                            let top = stack.len() - 1;
                            stack[top].skip = true;
                        }
                        b'\\' | b'{' | b'}' if !state.skip => out.push(char::from(next)),
                        b'~' if !state.skip => out.push(' '),
                        b'_' if !state.skip => out.push('-'),
                        b'\n' | b'\r' if !state.skip => out.push('\n'),
                        _ => {}
                    }
                }
                continue;
            }
            b'\r' | b'\n' => continue,
            _ if !state.skip => {
                if pending_skip > 0 {
                    pending_skip -= 1;
                    continue;
                }
                // Plain text is ASCII or, unescaped, the document's code page.
                out.push(char::from(byte));
            }
            _ => {}
        }
        pending_skip = 0;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_text_and_skips_tables() {
        let rtf = br"{\rtf1\ansi{\fonttbl{\f0 Arial;}}{\*\generator Foo;}\f0 Dear Ann,\par Caf\'e9 \u8364? ok\par}";
        assert_eq!(
            to_text(rtf, usize::MAX),
            "Dear Ann,\nCaf\u{e9} \u{20ac} ok\n"
        );
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let mut rtf = vec![b'{'; 100_000];
        rtf.extend_from_slice(b"x");
        rtf.extend(vec![b'}'; 100_000]);
        assert_eq!(to_text(&rtf, usize::MAX), "x");
    }
}
