//! Stage 2: who can see whom. Reads every occurrence of every address header
//! (RFC 5322 allows one `To` and one `Cc`; real senders repeat them, and a list
//! split over several `Cc:` lines must not hide), decides which addresses are
//! internal, and counts what the exposure rules need.

pub(crate) mod address;

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::message::RawHeader;
use crate::policy::Policy;
use address::Entry;

/// The SMTP envelope of a message, as a gateway knows it.
#[derive(Debug, Clone, Default)]
pub struct Envelope {
    /// The `MAIL FROM` reverse-path (without angle brackets), if known.
    pub mail_from: Option<String>,
    /// The `RCPT TO` forward-paths.
    pub rcpt_to: Vec<String>,
}

impl Envelope {
    /// An envelope from a `MAIL FROM` address and `RCPT TO` addresses.
    pub fn new(
        mail_from: Option<impl Into<String>>,
        rcpt_to: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        Envelope {
            mail_from: mail_from.map(Into::into),
            rcpt_to: rcpt_to.into_iter().map(Into::into).collect(),
        }
    }
}

/// Recipient counts in a [`Report`](crate::Report). Counts are of distinct
/// addresses (compared case-insensitively).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RecipientCounts {
    /// Distinct addresses in `To` (and `Resent-To`).
    pub to: usize,
    /// Distinct addresses in `Cc` (and `Resent-Cc`).
    pub cc: usize,
    /// Distinct addresses in `Bcc` (and `Resent-Bcc`) header fields.
    pub bcc: usize,
    /// Distinct addresses in To and Cc together: what every recipient sees.
    pub visible: usize,
    /// Visible addresses outside the sender's organisation.
    pub external: usize,
    /// Distinct domains of the external visible addresses.
    pub external_domains: usize,
    /// Visible external addresses at consumer mailbox providers.
    pub consumer: usize,
    /// Entries in address headers that are not valid addresses.
    pub malformed: usize,
    /// `RCPT TO` addresses in the envelope that appear in no header (blind copies).
    pub envelope_only: usize,
}

/// The outcome of the recipient analysis.
#[derive(Debug, Clone, Default)]
pub(crate) struct RecipientAnalysis {
    pub(crate) counts: RecipientCounts,
    /// Which visible headers carried external recipients (`To`, `Cc`, ...).
    pub(crate) external_headers: Vec<String>,
    /// The entry limit cut the reading short.
    pub(crate) truncated: bool,
    /// The first From address, else the envelope's MAIL FROM.
    pub(crate) sender: Option<String>,
    /// Every external domain that receives the message (To, Cc, Bcc and the
    /// envelope's RCPT TO), with the first place it appears.
    pub(crate) external_recipient_domains: BTreeMap<String, &'static str>,
}

/// Compiled recipient settings: built once per [`Auditor`](crate::Auditor).
#[derive(Debug)]
pub(crate) struct RecipientRules {
    organisations: Vec<Vec<String>>,
    consumer_exact: Vec<String>,
    consumer_prefixes: Vec<String>,
    max_entries: usize,
}

impl RecipientRules {
    pub(crate) fn new(policy: &Policy) -> RecipientRules {
        let organisations = policy
            .organisations
            .iter()
            .map(|org| {
                org.domains
                    .iter()
                    .map(|d| d.trim().trim_start_matches('.').to_ascii_lowercase())
                    .collect()
            })
            .collect();
        let mut consumer_exact = Vec::new();
        let mut consumer_prefixes = Vec::new();
        for domain in &policy.recipients.consumer_domains {
            let domain = domain.trim().to_ascii_lowercase();
            match domain.strip_suffix(".*") {
                Some(prefix) => consumer_prefixes.push(format!("{prefix}.")),
                None => consumer_exact.push(domain),
            }
        }
        RecipientRules {
            organisations,
            consumer_exact,
            consumer_prefixes,
            max_entries: policy.limits.max_recipients as usize,
        }
    }

    /// Is `domain` one of the consumer mailbox providers?
    pub(crate) fn is_consumer(&self, domain: &str) -> bool {
        self.consumer_exact.iter().any(|d| d == domain)
            || self.consumer_prefixes.iter().any(|p| {
                domain
                    .strip_prefix(p.as_str())
                    .is_some_and(|rest| !rest.is_empty() && !rest.contains(".."))
            })
    }

    pub(crate) fn analyse(
        &self,
        headers: &[RawHeader<'_>],
        envelope: Option<&crate::Envelope>,
    ) -> RecipientAnalysis {
        let mut to = BTreeSet::new();
        let mut cc = BTreeSet::new();
        let mut bcc = BTreeSet::new();
        let mut from = Vec::new();
        let mut malformed = 0usize;
        let mut truncated = false;
        let mut read = 0usize;
        let mut origin: BTreeMap<String, &'static str> = BTreeMap::new();
        let mut entries = Vec::new();
        for header in headers {
            let name = header.name;
            let target = if name.eq_ignore_ascii_case("To")
                || name.eq_ignore_ascii_case("Resent-To")
            {
                &mut to
            } else if name.eq_ignore_ascii_case("Cc") || name.eq_ignore_ascii_case("Resent-Cc") {
                &mut cc
            } else if name.eq_ignore_ascii_case("Bcc") || name.eq_ignore_ascii_case("Resent-Bcc") {
                &mut bcc
            } else if name.eq_ignore_ascii_case("From") {
                entries.clear();
                address::parse_address_list(header.value, 16, &mut entries);
                from.extend(entries.drain(..).filter_map(|e| match e {
                    Entry::Address(a) => Some(a),
                    Entry::Malformed => None,
                }));
                continue;
            } else {
                continue;
            };
            entries.clear();
            let budget = self.max_entries.saturating_sub(read);
            if !address::parse_address_list(header.value, budget, &mut entries) {
                truncated = true;
            }
            read += entries.len();
            let visible_header = !name.to_ascii_lowercase().ends_with("bcc");
            for entry in entries.drain(..) {
                match entry {
                    Entry::Address(a) => {
                        if visible_header && !origin.contains_key(&a) {
                            origin.insert(a.clone(), canonical_header(name));
                        }
                        target.insert(a);
                    }
                    Entry::Malformed => malformed += 1,
                }
            }
        }

        let sender_domains: Vec<String> = from
            .iter()
            .map(String::as_str)
            .chain(envelope.and_then(|e| e.mail_from.as_deref()))
            .filter_map(domain_of)
            .map(str::to_ascii_lowercase)
            .collect();
        let internal = self.internal_domains(&sender_domains);

        let mut visible: BTreeSet<&str> = BTreeSet::new();
        visible.extend(to.iter().map(String::as_str));
        visible.extend(cc.iter().map(String::as_str));
        let mut external = 0;
        let mut consumer = 0;
        let mut external_domains = BTreeSet::new();
        let mut visible_headers: Vec<&'static str> = Vec::new();
        for addr in &visible {
            let Some(domain) = domain_of(addr) else {
                continue;
            };
            if is_internal(domain, &internal) {
                continue;
            }
            external += 1;
            external_domains.insert(domain);
            if let Some(header) = origin.get(*addr) {
                if !visible_headers.contains(header) {
                    visible_headers.push(header);
                }
            }
            if self.is_consumer(domain) {
                consumer += 1;
            }
        }
        let mut external_recipient_domains = BTreeMap::new();
        let rcpt: Vec<String> = envelope.map_or_else(Vec::new, |e| {
            e.rcpt_to
                .iter()
                .map(|r| {
                    r.trim()
                        .trim_start_matches('<')
                        .trim_end_matches('>')
                        .to_lowercase()
                })
                .collect()
        });
        let receivers = (to.iter().map(|a| (a.as_str(), "HEADER.To")))
            .chain(cc.iter().map(|a| (a.as_str(), "HEADER.Cc")))
            .chain(bcc.iter().map(|a| (a.as_str(), "HEADER.Bcc")))
            .chain(rcpt.iter().map(|a| (a.as_str(), "ENVELOPE.RCPT-TO")));
        for (addr, place) in receivers {
            if let Some(domain) = domain_of(addr) {
                let domain = domain.to_ascii_lowercase();
                if !is_internal(&domain, &internal) {
                    external_recipient_domains.entry(domain).or_insert(place);
                }
            }
        }
        let envelope_only = rcpt
            .iter()
            .filter(|r| !visible.contains(r.as_str()))
            .collect::<BTreeSet<_>>()
            .len();

        RecipientAnalysis {
            counts: RecipientCounts {
                to: to.len(),
                cc: cc.len(),
                bcc: bcc.len(),
                visible: visible.len(),
                external,
                external_domains: external_domains.len(),
                consumer,
                malformed,
                envelope_only,
            },
            external_headers: visible_headers.into_iter().map(String::from).collect(),
            truncated,
            sender: from.first().cloned().or_else(|| {
                envelope
                    .and_then(|e| e.mail_from.as_deref())
                    .filter(|m| m.contains('@'))
                    .map(|m| m.trim_matches(['<', '>']).to_lowercase())
            }),
            external_recipient_domains,
        }
    }

    /// The domains internal to a message from `sender_domains`: those of
    /// every organisation a sender belongs to, or else the senders' own.
    fn internal_domains(&self, sender_domains: &[String]) -> Vec<String> {
        let mut internal: Vec<String> = Vec::new();
        for org in &self.organisations {
            if sender_domains.iter().any(|s| is_internal(s, org)) {
                internal.extend(org.iter().cloned());
            }
        }
        if internal.is_empty() {
            internal.extend(sender_domains.iter().cloned());
        }
        internal.sort();
        internal.dedup();
        internal
    }
}

fn canonical_header(name: &str) -> &'static str {
    match name.to_ascii_lowercase().as_str() {
        "to" => "To",
        "cc" => "Cc",
        "resent-to" => "Resent-To",
        "resent-cc" => "Resent-Cc",
        _ => "To",
    }
}

/// The domain of `local@domain`, if there is one.
pub(crate) fn domain_of(addr: &str) -> Option<&str> {
    addr.rsplit_once('@')
        .map(|(_, d)| d.trim_end_matches('>'))
        .filter(|d| !d.is_empty())
}

/// `domain` equals one of `internal` or is a subdomain of one.
fn is_internal(domain: &str, internal: &[String]) -> bool {
    internal.iter().any(|d| within_domain(domain, d))
}

/// `domain` is `parent` or a subdomain of it (`mail.x.org` is within
/// `x.org`, `notx.org` is not), compared case-insensitively.
pub(crate) fn within_domain(domain: &str, parent: &str) -> bool {
    let parent = parent.trim().trim_start_matches('.');
    match domain.len().checked_sub(parent.len()) {
        Some(0) => domain.eq_ignore_ascii_case(parent),
        // The byte before the suffix is a `.`, so the suffix starts on a
        // character boundary.
        Some(cut) => {
            domain.as_bytes()[cut - 1] == b'.' && domain[cut..].eq_ignore_ascii_case(parent)
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(policy: &str) -> RecipientRules {
        RecipientRules::new(&Policy::from_toml(policy).unwrap())
    }

    fn header<'a>(name: &'a str, value: &'a str) -> RawHeader<'a> {
        RawHeader {
            name,
            value: value.as_bytes(),
        }
    }

    #[test]
    fn repeated_headers_all_count() {
        let r = rules("version = 1");
        let a = r.analyse(
            &[
                header("From", "me@org.example"),
                header("To", "a@x.example"),
                header("Cc", "b@y.example, c@z.example"),
                header("Cc", "d@w.example"),
                header("CC", "a@x.example"),
            ],
            None,
        );
        assert_eq!(a.counts.to, 1);
        assert_eq!(a.counts.cc, 4);
        assert_eq!(a.counts.visible, 4);
        assert_eq!(a.counts.external, 4);
        assert_eq!(a.counts.external_domains, 4);
    }

    #[test]
    fn subdomains_of_sender_are_internal_without_organisations() {
        let r = rules("version = 1");
        let a = r.analyse(
            &[
                header("From", "Me <me@org.example>"),
                header("To", "a@org.example, b@mail.org.example, c@notorg.example"),
            ],
            None,
        );
        assert_eq!(a.counts.external, 1);
    }

    #[test]
    fn organisation_domains_are_internal_together() {
        let r = rules(
            "version = 1\n[[organisations]]\nname = \"K\"\ndomains = [\"kestrelretail.co.uk\", \"kestrel-retail.com\"]\n",
        );
        let a = r.analyse(
            &[
                header("From", "x@kestrelretail.co.uk"),
                header(
                    "To",
                    "a@kestrel-retail.com, b@shop.kestrel-retail.com, c@gmail.com",
                ),
            ],
            None,
        );
        assert_eq!(a.counts.external, 1);
        assert_eq!(a.counts.consumer, 1);
        // The envelope sender alone also selects the organisation.
        let a = r.analyse(
            &[header("To", "a@kestrel-retail.com, c@gmail.com")],
            Some(&Envelope::new(
                Some("bounce@kestrelretail.co.uk"),
                Vec::<&str>::new(),
            )),
        );
        assert_eq!(a.counts.external, 1);
    }

    #[test]
    fn consumer_wildcards() {
        let r = rules("version = 1");
        assert!(r.is_consumer("hotmail.co.uk"));
        assert!(r.is_consumer("gmail.com"));
        assert!(!r.is_consumer("hotmail"));
        assert!(!r.is_consumer("nothotmail.com"));
    }

    #[test]
    fn envelope_only_recipients_are_blind_copies() {
        let r = rules("version = 1");
        let a = r.analyse(
            &[
                header("From", "me@org.example"),
                header("To", "a@x.example"),
            ],
            Some(&Envelope::new(
                Some("me@org.example"),
                ["<A@x.example>", "b@y.example", "c@z.example"],
            )),
        );
        assert_eq!(a.counts.envelope_only, 2);
    }
}
