//! Stage 2: who can see whom. Reads every occurrence of every address header
//! (RFC 5322 allows one `To` and one `Cc`; real senders repeat them, and a list
//! split over several `Cc:` lines must not hide), decides which addresses are
//! internal, and counts what the exposure rules need.

pub(crate) mod address;
#[cfg(test)]
mod reference;

use std::borrow::Cow;
use std::collections::BTreeMap;

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
    /// Sorted and deduplicated, for binary search.
    consumer_exact: Vec<String>,
    /// `name.` for each `name.*`; sorted and deduplicated, for binary search.
    consumer_prefixes: Vec<String>,
    max_entries: usize,
}

/// Which kind of header an address was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    To,
    Cc,
    Bcc,
}

/// One address as read from one header.
struct Occurrence<'h> {
    address: Cow<'h, str>,
    field: Field,
    /// The canonical name of the header (`To`, `Resent-Cc`, ...); `None` for
    /// blind copies.
    visible_header: Option<&'static str>,
}

/// One distinct address with every kind of header it was read from.
struct Recipient<'a> {
    address: &'a str,
    to: bool,
    cc: bool,
    bcc: bool,
    /// The first visible header the address was read from.
    origin: Option<&'static str>,
}

impl Recipient<'_> {
    fn visible(&self) -> bool {
        self.to || self.cc
    }
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
        for list in [&mut consumer_exact, &mut consumer_prefixes] {
            list.sort_unstable();
            list.dedup();
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
        let listed =
            |list: &[String], key: &str| list.binary_search_by(|d| d.as_str().cmp(key)).is_ok();
        if listed(&self.consumer_exact, domain) {
            return true;
        }
        if self.consumer_prefixes.is_empty() {
            return false;
        }
        // Every prefix ends with a `.`, so a matching one ends at one of the
        // domain's dots.
        domain.match_indices('.').any(|(dot, _)| {
            let (prefix, rest) = domain.split_at(dot + 1);
            !rest.is_empty() && listed(&self.consumer_prefixes, prefix) && !rest.contains("..")
        })
    }

    pub(crate) fn analyse(
        &self,
        headers: &[RawHeader<'_>],
        envelope: Option<&crate::Envelope>,
    ) -> RecipientAnalysis {
        let mut occurrences: Vec<Occurrence<'_>> = Vec::new();
        let mut from = Vec::new();
        let mut malformed = 0usize;
        let mut truncated = false;
        let mut read = 0usize;
        let mut entries = Vec::new();
        for header in headers {
            let name = header.name;
            let field = if name.eq_ignore_ascii_case("To") || name.eq_ignore_ascii_case("Resent-To")
            {
                Field::To
            } else if name.eq_ignore_ascii_case("Cc") || name.eq_ignore_ascii_case("Resent-Cc") {
                Field::Cc
            } else if name.eq_ignore_ascii_case("Bcc") || name.eq_ignore_ascii_case("Resent-Bcc") {
                Field::Bcc
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
            let visible_header = (field != Field::Bcc).then(|| canonical_header(name));
            for entry in entries.drain(..) {
                match entry {
                    Entry::Address(address) => occurrences.push(Occurrence {
                        address,
                        field,
                        visible_header,
                    }),
                    Entry::Malformed => malformed += 1,
                }
            }
        }

        // Distinct addresses in byte order, the order the sets of owned
        // strings this replaces iterated in. The sort is stable, so the first
        // occurrence of an address in the message comes first among its own.
        occurrences.sort_by(|a, b| a.address.cmp(&b.address));
        let mut recipients: Vec<Recipient<'_>> = Vec::with_capacity(occurrences.len());
        for occurrence in &occurrences {
            let recipient = match recipients.last_mut() {
                Some(last) if last.address == occurrence.address => last,
                _ => {
                    recipients.push(Recipient {
                        address: occurrence.address.as_ref(),
                        to: false,
                        cc: false,
                        bcc: false,
                        origin: None,
                    });
                    match recipients.last_mut() {
                        Some(new) => new,
                        None => continue,
                    }
                }
            };
            match occurrence.field {
                Field::To => recipient.to = true,
                Field::Cc => recipient.cc = true,
                Field::Bcc => recipient.bcc = true,
            }
            if recipient.origin.is_none() {
                recipient.origin = occurrence.visible_header;
            }
        }

        let sender_domains: Vec<String> = from
            .iter()
            .map(AsRef::as_ref)
            .chain(envelope.and_then(|e| e.mail_from.as_deref()))
            .filter_map(domain_of)
            .map(str::to_ascii_lowercase)
            .collect();
        let internal = self.internal_domains(&sender_domains);
        // Trimmed here once, as `within_domain` would trim them per recipient.
        let internal: Vec<&str> = internal.iter().map(|d| trim_parent(d)).collect();

        let mut visible = 0;
        let mut external = 0;
        let mut consumer = 0;
        let mut visible_headers: Vec<&'static str> = Vec::new();
        // Every external domain that receives the message, with the first
        // place it appears in the order To, Cc, Bcc, then the envelope.
        // Visible recipients go in first, so the domains in the map after
        // them are the distinct external visible domains.
        let mut external_recipient_domains: BTreeMap<String, &'static str> = BTreeMap::new();
        for recipient in recipients.iter().filter(|r| r.visible()) {
            visible += 1;
            // Header addresses are already lower-cased, so their domains are.
            let Some(domain) = domain_of(recipient.address) else {
                continue;
            };
            if within_any(domain, &internal) {
                continue;
            }
            let place = if recipient.to {
                "HEADER.To"
            } else {
                "HEADER.Cc"
            };
            match external_recipient_domains.get_mut(domain) {
                Some(first) => {
                    if place_rank(place) < place_rank(first) {
                        *first = place;
                    }
                }
                None => {
                    external_recipient_domains.insert(domain.to_owned(), place);
                }
            }
            external += 1;
            if let Some(header) = recipient.origin {
                if !visible_headers.contains(&header) {
                    visible_headers.push(header);
                }
            }
            if self.is_consumer(domain) {
                consumer += 1;
            }
        }
        let external_domains = external_recipient_domains.len();
        let blind = recipients
            .iter()
            .filter(|r| !r.visible())
            .map(|r| r.address);
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
        // Lower-cased, so their domains are too; blind copies after every
        // visible recipient, the envelope last.
        let unseen = blind
            .map(|a| (a, "HEADER.Bcc"))
            .chain(rcpt.iter().map(|a| (a.as_str(), "ENVELOPE.RCPT-TO")));
        for (addr, place) in unseen {
            if let Some(domain) = domain_of(addr) {
                if !within_any(domain, &internal)
                    && !external_recipient_domains.contains_key(domain)
                {
                    external_recipient_domains.insert(domain.to_owned(), place);
                }
            }
        }
        let is_visible = |addr: &str| {
            recipients
                .binary_search_by(|r| r.address.cmp(addr))
                .is_ok_and(|i| recipients.get(i).is_some_and(Recipient::visible))
        };
        let mut envelope_only: Vec<&str> = rcpt
            .iter()
            .map(String::as_str)
            .filter(|r| !is_visible(r))
            .collect();
        envelope_only.sort_unstable();
        envelope_only.dedup();

        let count = |f: fn(&Recipient<'_>) -> bool| recipients.iter().filter(|r| f(r)).count();
        RecipientAnalysis {
            counts: RecipientCounts {
                to: count(|r| r.to),
                cc: count(|r| r.cc),
                bcc: count(|r| r.bcc),
                visible,
                external,
                external_domains,
                consumer,
                malformed,
                envelope_only: envelope_only.len(),
            },
            external_headers: visible_headers.into_iter().map(String::from).collect(),
            truncated,
            sender: from.first().map(|a| a.to_string()).or_else(|| {
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
    ["To", "Cc", "Resent-To", "Resent-Cc"]
        .into_iter()
        .find(|canonical| name.eq_ignore_ascii_case(canonical))
        .unwrap_or("To")
}

/// The order of the places in `external_recipient_domains`: a domain keeps
/// the first place it appears in.
fn place_rank(place: &str) -> u8 {
    match place {
        "HEADER.To" => 0,
        "HEADER.Cc" => 1,
        "HEADER.Bcc" => 2,
        _ => 3,
    }
}

/// The domain of `local@domain`, if there is one.
pub(crate) fn domain_of(addr: &str) -> Option<&str> {
    // `@` is ASCII, so the byte after it starts a character.
    let at = addr.bytes().rposition(|b| b == b'@')?;
    addr.get(at + 1..)
        .map(|d| d.trim_end_matches('>'))
        .filter(|d| !d.is_empty())
}

/// `domain` equals one of `internal` or is a subdomain of one.
fn is_internal(domain: &str, internal: &[String]) -> bool {
    internal.iter().any(|d| within_domain(domain, d))
}

/// `domain` is `parent` or a subdomain of it (`mail.x.org` is within
/// `x.org`, `notx.org` is not), compared case-insensitively.
pub(crate) fn within_domain(domain: &str, parent: &str) -> bool {
    within_trimmed(domain, trim_parent(parent))
}

/// `parent` as [`within_domain`] compares it.
fn trim_parent(parent: &str) -> &str {
    parent.trim().trim_start_matches('.')
}

/// [`within_domain`] for each of `parents`, each already through
/// [`trim_parent`].
fn within_any(domain: &str, parents: &[&str]) -> bool {
    parents.iter().any(|parent| within_trimmed(domain, parent))
}

/// [`within_domain`] for a `parent` already through [`trim_parent`].
fn within_trimmed(domain: &str, parent: &str) -> bool {
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

    #[test]
    fn external_headers_and_domains_keep_their_order() {
        let r = rules("version = 1");
        let a = r.analyse(
            &[
                header("From", "me@org.example"),
                header("Bcc", "a@b.example"),
                header("To", "z@b.example, y@org.example"),
                header("Resent-Cc", "a@b.example, m@c.example"),
                header("cc", "Z@B.example"),
            ],
            Some(&Envelope::new(None::<&str>, ["q@d.example", "A@B.example"])),
        );
        assert_eq!(a.external_headers, ["Resent-Cc", "To"]);
        let places: Vec<(&str, &str)> = a
            .external_recipient_domains
            .iter()
            .map(|(d, p)| (d.as_str(), *p))
            .collect();
        assert_eq!(
            places,
            [
                ("b.example", "HEADER.To"),
                ("c.example", "HEADER.Cc"),
                ("d.example", "ENVELOPE.RCPT-TO")
            ]
        );
        assert_eq!(a.counts.visible, 4);
        assert_eq!(a.counts.envelope_only, 1);
    }

    const POLICIES: [&str; 3] = [
        "version = 1",
        "version = 1\n[limits]\nmax_recipients = 3\n",
        "version = 1\n[[organisations]]\nname = \"O\"\ndomains = [\"org.example\", \".Other.example\"]\n",
    ];

    const NAMES: [&str; 10] = [
        "To",
        "cc",
        "CC",
        "Resent-To",
        "resent-cc",
        "Bcc",
        "Resent-BCC",
        "From",
        "Subject",
        "Reply-To",
    ];

    const ADDRESSES: [&str; 16] = [
        "a@x.example",
        "A@X.example",
        "Bob <b@org.example>",
        "c@mail.org.example",
        "d@gmail.com",
        "\"E, Smith\" <e@HOTMAIL.co.uk>",
        "f@live.fr (home)",
        "bad@",
        "g@other.example",
        "Team: h@y.example, i@z.example;",
        "\"q r\"@z.example",
        "J\u{f6}rg <j@\u{e9}x.example>",
        "<k@notorg.example>",
        "John Smith",
        "<@relay.example:l@y.example>",
        "m@[192.0.2.1]",
    ];

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]
        /// The analysis gives exactly what the one before it gave.
        #[test]
        fn same_analysis_as_reference(
            policy in 0usize..POLICIES.len(),
            fields in proptest::collection::vec(
                (0usize..NAMES.len(), proptest::collection::vec(0usize..ADDRESSES.len(), 0..5)),
                0..8,
            ),
            envelope in proptest::option::of((
                proptest::option::of(0usize..ADDRESSES.len()),
                proptest::collection::vec(0usize..ADDRESSES.len(), 0..4),
            )),
        ) {
            let r = rules(POLICIES[policy]);
            let values: Vec<(&str, String)> = fields
                .iter()
                .map(|(name, list)| {
                    let list: Vec<&str> = list.iter().map(|&i| ADDRESSES[i]).collect();
                    (NAMES[*name], list.join(", "))
                })
                .collect();
            let headers: Vec<RawHeader<'_>> =
                values.iter().map(|(name, value)| header(name, value)).collect();
            let envelope = envelope.map(|(from, rcpt)| {
                Envelope::new(
                    from.map(|i| ADDRESSES[i]),
                    rcpt.iter().map(|&i| ADDRESSES[i]),
                )
            });
            let new = r.analyse(&headers, envelope.as_ref());
            let old = reference::analyse(&r, &headers, envelope.as_ref());
            proptest::prop_assert_eq!(new.counts, old.counts);
            proptest::prop_assert_eq!(new.external_headers, old.external_headers);
            proptest::prop_assert_eq!(new.truncated, old.truncated);
            proptest::prop_assert_eq!(new.sender, old.sender);
            proptest::prop_assert_eq!(
                new.external_recipient_domains,
                old.external_recipient_domains
            );
        }

        /// The binary search finds what the linear scan found.
        #[test]
        fn same_consumer_domains_as_reference(
            domain in "[a-z.]{0,6}(gmail|hotmail|live|msn)?[.]{0,2}(com|co[.]uk|fr)?[.]?"
        ) {
            let r = rules("version = 1");
            proptest::prop_assert_eq!(
                r.is_consumer(&domain),
                reference::is_consumer(&r, &domain)
            );
        }
    }
}
