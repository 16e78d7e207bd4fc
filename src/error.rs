//! Typed errors of the library. No variant carries message content: an error
//! message can be logged without becoming a leak.

use thiserror::Error;

pub use crate::policy::PolicyError;

/// Why a message could not be audited at all.
///
/// Problems *inside* a message that could still be read (a part that cannot be
/// decoded, a limit that cut the scan short) are not errors: they appear in the
/// [`Report`](crate::Report) as unscanned parts or truncation notes.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    /// The input was empty (or only whitespace).
    #[error("the message is empty")]
    Empty,
    /// The input is larger than the policy's `limits.max_message_bytes`.
    #[error("the message is {bytes} bytes, over the limit of {limit} bytes")]
    TooLarge {
        /// Size of the input in bytes.
        bytes: u64,
        /// The configured limit in bytes.
        limit: u64,
    },
    /// No RFC 5322 header block could be found in the input.
    #[error("the input is not an RFC 5322 message: no header fields found")]
    NotAMessage,
    /// The policy could not be loaded or compiled.
    #[error(transparent)]
    Policy(#[from] PolicyError),
}
