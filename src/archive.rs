//! Mail archives: mbox files (mboxo and mboxrd) read as a stream of
//! messages, so an archive of any size is audited in constant memory.
//!
//! A message starts at a line beginning `From ` that opens the file or
//! follows an empty line. Body lines that mboxrd writers escaped as
//! `>From `, `>>From `, ... lose one `>`; mboxo's `>From ` is undone the same
//! way (mboxo cannot tell an escaped line from one that had a `>` already).
//!
//! ```
//! let mbox = b"From a@x Mon Jan  1 00:00:00 2024\nSubject: one\n\n>From here\n\nFrom b@y Mon Jan  1 00:00:01 2024\nSubject: two\n\nbody\n";
//! let messages = mailaudit::archive::split_mbox(mbox);
//! assert_eq!(messages.len(), 2);
//! assert_eq!(messages[0], b"Subject: one\n\nFrom here\n");
//! ```

use std::io::{self, BufRead};

/// Whether `head` (the first bytes of a file) looks like an mbox archive.
pub fn looks_like_mbox(head: &[u8]) -> bool {
    head.starts_with(b"From ")
}

/// Splits an mbox archive held in memory into its messages.
pub fn split_mbox(data: &[u8]) -> Vec<Vec<u8>> {
    MboxReader::new(data, u64::MAX)
        .filter_map(|item| match item {
            Ok(MboxItem::Message(bytes)) => Some(bytes),
            _ => None,
        })
        .collect()
}

/// One item read from an mbox.
#[derive(Debug)]
pub enum MboxItem {
    /// A message's bytes, separator removed and `>From` lines unquoted.
    Message(Vec<u8>),
    /// A message larger than the reader's limit: its bytes were skipped.
    TooLarge {
        /// How many bytes the message had.
        bytes: u64,
    },
}

/// Reads an mbox stream message by message.
///
/// Memory is bounded by the largest message kept (at most `max_message_bytes`);
/// larger messages are skipped and reported as [`MboxItem::TooLarge`].
#[derive(Debug)]
pub struct MboxReader<R> {
    reader: R,
    max_message_bytes: u64,
    line: Vec<u8>,
    /// The separator line of the next message has been read.
    started: bool,
    done: bool,
}

impl<R: BufRead> MboxReader<R> {
    /// A reader over `reader` keeping messages up to `max_message_bytes`.
    pub fn new(reader: R, max_message_bytes: u64) -> Self {
        MboxReader {
            reader,
            max_message_bytes,
            line: Vec::new(),
            started: false,
            done: false,
        }
    }

    /// Reads one line into `self.line`; `false` at the end of input.
    fn read_line(&mut self) -> io::Result<bool> {
        self.line.clear();
        Ok(self.reader.read_until(b'\n', &mut self.line)? > 0)
    }
}

fn is_blank(line: &[u8]) -> bool {
    line == b"\n" || line == b"\r\n"
}

/// `>From `, `>>From `, ...: an escaped body line.
fn is_escaped_from(line: &[u8]) -> bool {
    let quotes = line.iter().take_while(|&&b| b == b'>').count();
    quotes > 0 && line[quotes..].starts_with(b"From ")
}

impl<R: BufRead> Iterator for MboxReader<R> {
    type Item = io::Result<MboxItem>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        // Find the first separator (anything before it is not a message).
        while !self.started {
            match self.read_line() {
                Ok(true) if self.line.starts_with(b"From ") => self.started = true,
                Ok(true) => {}
                Ok(false) => {
                    self.done = true;
                    return None;
                }
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
        }
        let mut message = Vec::new();
        let mut size: u64 = 0;
        let mut previous_blank = false;
        // A blank line is held back: it belongs to the separator if a `From `
        // line follows it.
        let mut held_blank: Option<Vec<u8>> = None;
        loop {
            match self.read_line() {
                Ok(true) => {}
                Ok(false) => {
                    self.done = true;
                    break;
                }
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
            if previous_blank && self.line.starts_with(b"From ") {
                // Next message's separator: the held blank line is dropped.
                return Some(Ok(finish(message, size, self.max_message_bytes)));
            }
            if let Some(blank) = held_blank.take() {
                size += blank.len() as u64;
                if size <= self.max_message_bytes {
                    message.extend_from_slice(&blank);
                }
            }
            previous_blank = is_blank(&self.line);
            if previous_blank {
                held_blank = Some(self.line.clone());
                continue;
            }
            let line: &[u8] = if is_escaped_from(&self.line) {
                &self.line[1..]
            } else {
                &self.line
            };
            size += line.len() as u64;
            if size <= self.max_message_bytes {
                message.extend_from_slice(line);
            } else if !message.is_empty() {
                message = Vec::new(); // over the limit: stop keeping it
            }
        }
        // At the end of the file a trailing blank line is the separator's.
        Some(Ok(finish(message, size, self.max_message_bytes)))
    }
}

fn finish(message: Vec<u8>, size: u64, max: u64) -> MboxItem {
    if size > max {
        MboxItem::TooLarge { bytes: size }
    } else {
        MboxItem::Message(message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_and_unquotes() {
        let mbox = b"From a@x Mon Jan  1 00:00:00 2024\r\nSubject: 1\r\n\r\nline\r\n>From quoted\r\n>>From twice\r\n\r\nFrom b@y Tue Jan  2 00:00:00 2024\r\nSubject: 2\r\n\r\nbody\r\nFrom not a separator (no blank line before)\r\n";
        let messages = split_mbox(mbox);
        assert_eq!(messages.len(), 2);
        assert_eq!(
            messages[0],
            b"Subject: 1\r\n\r\nline\r\nFrom quoted\r\n>From twice\r\n".to_vec()
        );
        assert_eq!(
            messages[1],
            b"Subject: 2\r\n\r\nbody\r\nFrom not a separator (no blank line before)\r\n".to_vec()
        );
    }

    #[test]
    fn empty_and_preamble() {
        assert!(split_mbox(b"").is_empty());
        assert!(split_mbox(b"garbage\nmore\n").is_empty());
        assert_eq!(split_mbox(b"junk\nFrom a b\nX: 1\n\nbody").len(), 1);
    }

    #[test]
    fn blank_lines_inside_bodies_are_kept() {
        let messages =
            split_mbox(b"From a b\nX: 1\n\npara one\n\n\npara two\n\nFrom c d\nX: 2\n\nz\n");
        assert_eq!(messages[0], b"X: 1\n\npara one\n\n\npara two\n".to_vec());
    }

    #[test]
    fn oversized_messages_are_skipped_not_kept() {
        let big = format!(
            "From a b\nX: 1\n\n{}\n\nFrom c d\nX: 2\n\nsmall\n",
            "y".repeat(1000)
        );
        let items: Vec<MboxItem> = MboxReader::new(big.as_bytes(), 100)
            .map(Result::unwrap)
            .collect();
        assert!(matches!(items[0], MboxItem::TooLarge { bytes } if bytes > 1000));
        assert!(matches!(&items[1], MboxItem::Message(m) if m == b"X: 2\n\nsmall\n"));
    }
}
