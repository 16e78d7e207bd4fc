//! The detector catalogue, as data. Each [`Rule`] names its type and
//! category, the candidate patterns, the validator, the words that support
//! it and the words that argue against it, and examples that must (and must
//! not) be found. `tests::every_rule_finds_its_examples` runs them all.

use crate::report::{Category, DataType};

/// Which validator a rule runs on its candidates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Check {
    Email,
    Phone,
    NhsNumber,
    Nino,
    Card,
    Iban,
    Postcode,
    BirthDate,
    Ipv4,
    Ipv6,
    Ssn,
    Passport,
    DrivingLicence,
    BankAccount,
}

/// One detector.
#[derive(Debug)]
pub(crate) struct Rule {
    pub(crate) data_type: DataType,
    pub(crate) category: Category,
    /// Candidate patterns (regex syntax). All rules' patterns are compiled
    /// together into one automaton.
    pub(crate) patterns: &'static [&'static str],
    pub(crate) check: Check,
    /// Confidence of a valid candidate with no context either way.
    pub(crate) base: f32,
    /// Added when a context word is the nearest label before the value (or
    /// heads its column).
    pub(crate) context_boost: f32,
    /// Words that support this type (matched whole-word, any case).
    pub(crate) context: &'static [&'static str],
    /// Words that say the number is something else (order no., reference).
    pub(crate) negative: &'static [&'static str],
    /// Characters of the value a masked report keeps (2 to 4).
    pub(crate) keep_tail: usize,
    /// Texts in which the rule must find a value of its type (read by the
    /// tests, and documentation for people).
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) examples: &'static [&'static str],
    /// Texts in which it must not.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) negative_examples: &'static [&'static str],
}

/// Date patterns share the month names.
macro_rules! month {
    () => {
        "(?i:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
    };
}

/// Reference-like labels: what an order, invoice or ticket number is called.
const REFERENCE_WORDS: &[&str] = &[
    "order",
    "order no",
    "order number",
    "invoice",
    "inv",
    "ref",
    "reference",
    "tracking",
    "booking",
    "confirmation",
    "ticket",
    "case no",
    "meeting id",
    "passcode",
    "pin",
    "po",
    "purchase order",
    "isbn",
    "vat",
    "vat reg",
    "company no",
    "company number",
    "reg no",
    "registration",
    "serial",
    "serial no",
    "sku",
    "transaction",
    "txn",
    "timestamp",
    "epoch",
    "hospital no",
    "hospital number",
    "mrn",
    "employee id",
    "staff id",
    "policy number",
    "claim",
    "voucher",
    "gift card",
    "e-rs",
    "ubrn",
    "uuid",
    "bacs",
];

/// Labels of versions and of numbered parts of documents (`build
/// 4.12.0.7`, `clause 3.2.1.4`): dotted numbers after them are not addresses.
const DOCUMENT_PART_WORDS: &[&str] = &[
    "version",
    "ver",
    "v",
    "firmware",
    "build",
    "release",
    "app version",
    "agent build",
    "update",
    "patch",
    "revision",
    "rev",
    "clause",
    "section",
    "sect",
    "chapter",
    "figure",
    "fig",
    "table",
    "paragraph",
    "para",
    "article",
    "appendix",
    "step",
    "item",
];

/// Words that put an identifier in the health category (GDPR Art. 9).
pub(crate) const HEALTH_WORDS: &[&str] = &[
    "diagnosis",
    "diagnosed",
    "tested positive",
    "test result",
    "test results",
    "positive for",
    "condition",
    "conditions",
    "referral",
    "referred",
    "symptoms",
    "medication",
    "prescribed",
    "prescription",
    "treatment",
    "clinical",
    "clinic",
    "patient",
    "patients",
    "hiv",
    "covid",
    "covid-19",
    "cancer",
    "diabetes",
    "asthma",
    "copd",
    "ckd",
    "pregnant",
    "pregnancy",
    "mental health",
    "depression",
    "allergy",
    "allergies",
    "blood test",
    "pathology",
    "oncology",
    "mri",
    "discharge",
    "ward",
    "gp",
];

/// Every detector. Where patterns of several rules match at one place, the
/// earlier rule is read first, and the others only when it fails or falls
/// below its minimum level: phone before NHS number (ten digits in 3-3-4
/// groups are either), date of birth before sort code, SSN before passport.
pub(crate) const RULES: &[Rule] = &[
    Rule {
        data_type: DataType::Email,
        category: Category::Contact,
        patterns: &[
            // Lengths (64 for the local part, 63 per label) are checked in
            // code: bounded repeats would blow up the automaton.
            r"[A-Za-z0-9][A-Za-z0-9._%+'-]*@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,24}(?-u:\b)",
        ],
        check: Check::Email,
        base: 0.9,
        context_boost: 0.05,
        context: &["email", "e-mail", "mail", "contact"],
        negative: &["cid", "message-id", "msg-id", "in-reply-to", "references"],
        keep_tail: 3,
        examples: &[
            "Email: jane.doe@example.co.uk",
            "contact amy_o'neil+news@mail.example.com today",
        ],
        negative_examples: &[
            "<img src=\"cid:image001.png@01DAED000306.FFE3FF64\">",
            "In reply to <8bcf39468f6a3307.386@mail.example.org>",
            "no address @ here",
        ],
    },
    Rule {
        data_type: DataType::Phone,
        category: Category::Contact,
        patterns: &[
            // UK international: +44 20 7946 0958, +44 (0)7700 900123, 0044 ...
            r"(?:\+|(?-u:\b)00[ \x{a0}]?)44[ \x{a0}.-]?(?:\(0\)[ \x{a0}]?)?[0-9]{2,5}(?:[ \x{a0}.-]?[0-9]{2,6}){1,3}(?-u:\b)",
            // UK national: 020 7946 0958, 07700 900123, 0117 306 9764.
            r"(?-u:\b)0[1-9][0-9]{1,4}(?:[ \x{a0}.-]?[0-9]{2,6}){1,3}(?-u:\b)",
            // UK national with the area code in brackets: (020) 7946 0958.
            r"\(0[1-9][0-9]{1,4}\)[ \x{a0}]?[0-9]{3,4}[ \x{a0}.-]?[0-9]{3,4}(?-u:\b)",
            // North American: (617) 220-8436, 773-657-1640, +1 773 657 1640,
            // 1 (617) 220-8436.
            r"(?:\+1[ \x{a0}.-]?|(?-u:\b)1[ \x{a0}.-])?(?:\([2-9][0-9]{2}\)[ \x{a0}]?|(?-u:\b)[2-9][0-9]{2}[ \x{a0}.-])[2-9][0-9]{2}[ \x{a0}.-][0-9]{4}(?-u:\b)",
            r"\+1[2-9][0-9]{9}(?-u:\b)",
            // North American, ten digits with no separator: 6172208436.
            r"(?-u:\b)[2-9][0-9]{2}[2-9][0-9]{6}(?-u:\b)",
        ],
        check: Check::Phone,
        base: 0.6,
        context_boost: 0.3,
        context: &[
            "tel",
            "telephone",
            "phone",
            "phone number",
            "mobile",
            "mob",
            "cell",
            "cellphone",
            "call",
            "dial",
            "dial-in",
            "fax",
            "ring",
            "contact",
            "contact number",
            "landline",
            "whatsapp",
            "sms",
            "text",
            "me on",
            "direct line",
            "switchboard",
            "ph",
            "work",
            "home",
            "office",
            "m",
            "t",
        ],
        negative: &[
            "order",
            "order no",
            "invoice",
            "ref",
            "reference",
            "tracking",
            "booking",
            "meeting id",
            "passcode",
            "pin",
            "isbn",
            "vat",
            "company no",
            "serial",
            "ticket",
            "transaction",
            "nhs",
            "nhs number",
            "nhs no",
            "account",
            "account number",
        ],
        keep_tail: 3,
        examples: &[
            "Tel: 020 7946 0958",
            "Ph: 604 688 3310",
            "Home: 604 688 3310",
            "Mobile: 07700 900123",
            "call me on +44 7700 900123",
            "or dial +44 (0)117 496 0123",
            "US office (617) 220-8436",
            "ring 773-657-1640",
            "phone: 773 657 1640",
            "Boston desk: 1 (617) 220-8436",
            "toll free 1.800.234.5678 from the US",
            "Phone: 6172208436",
        ],
        negative_examples: &[
            "Meeting ID 683 8972 4345",
            "e-RS booking ref 983 397 1847",
            "order 0123 4567 890123",
            "number 021 7946 0958",
            "Order 6172208436 shipped",
            "Tel ext. 2917, ticket 6172208436",
        ],
    },
    Rule {
        data_type: DataType::NhsNumber,
        category: Category::Identity,
        patterns: &[r"(?-u:\b)[0-9]{3}[ \x{a0}-]?[0-9]{3}[ \x{a0}-]?[0-9]{4}(?-u:\b)"],
        check: Check::NhsNumber,
        base: 0.65,
        context_boost: 0.3,
        context: &[
            "nhs",
            "nhs no",
            "nhs number",
            "nhs num",
            "nhs#",
            "chi",
            "chi number",
            "h&c number",
            "health and care number",
            "patient number",
        ],
        negative: REFERENCE_WORDS,
        keep_tail: 3,
        examples: &[
            "NHS number: 943 476 5919",
            "Referral: J. Smith NHS 9434765919",
            "Name,NHS No,DOB\nJo Bloggs,9434765919,14/07/1983",
        ],
        negative_examples: &[
            "NHS number: 943 476 5918",
            "e-RS booking ref 943 476 5919",
            "at 1728278160 the job ran",
        ],
    },
    Rule {
        data_type: DataType::UkNino,
        category: Category::Identity,
        patterns: &[
            // Lower case too (`ab 12 34 56 c`): then only with a label.
            r"(?-u:\b)[A-Za-z]{2}[ \x{a0}-]?[0-9]{2}[ \x{a0}-]?[0-9]{2}[ \x{a0}-]?[0-9]{2}[ \x{a0}-]?[A-Da-d](?-u:\b)",
        ],
        check: Check::Nino,
        base: 0.75,
        context_boost: 0.2,
        context: &[
            "ni",
            "ni no",
            "ni number",
            "nino",
            "national insurance",
            "national insurance number",
            "nat ins",
            "insurance number",
        ],
        // Product and stock codes share the shape.
        negative: &[
            "sku",
            "product",
            "product code",
            "part",
            "part no",
            "part number",
            "model",
            "model no",
            "item",
            "stock",
            "serial",
            "serial no",
            "flight",
            "order",
            "order no",
            "ref",
            "reference",
        ],
        keep_tail: 2,
        examples: &[
            "NI number: AB 12 34 56 C",
            "JE428213C,GB05",
            "NINO SG796637D",
            "NI number: ab 12 34 56 c",
        ],
        negative_examples: &[
            "NI number: GB 12 34 56 C",
            "DA123456A",
            "AB123456E",
            "see ab123456c",
            "SKU AB123456C restocked",
            "Part no. JG103725A",
        ],
    },
    Rule {
        data_type: DataType::CreditCard,
        category: Category::Financial,
        patterns: &[
            r"(?-u:\b)[0-9]{12,19}(?-u:\b)",
            r"(?-u:\b)[0-9]{4}(?:[ \x{a0}-][0-9]{4}){2,3}(?:[ \x{a0}-][0-9]{1,4})?(?-u:\b)",
            r"(?-u:\b)[0-9]{4}[ \x{a0}-][0-9]{6}[ \x{a0}-][0-9]{4,5}(?-u:\b)",
            // Dotted, as some forms print them: 4111.1111.1111.1111.
            r"(?-u:\b)[0-9]{4}(?:\.[0-9]{4}){3}(?-u:\b)",
        ],
        check: Check::Card,
        base: 0.75,
        context_boost: 0.2,
        context: &[
            "card",
            "credit card",
            "debit card",
            "card number",
            "card no",
            "visa",
            "mastercard",
            "amex",
            "american express",
            "pan",
            "payment",
            "charge",
            "pay",
        ],
        negative: &[
            "gift card",
            "gift",
            "voucher",
            "loyalty",
            "tracking",
            "order",
            "invoice",
            "ref",
            "reference",
            "isbn",
            "imei",
            "serial",
            "transaction",
            "timestamp",
        ],
        keep_tail: 4,
        examples: &[
            "charge this card instead: 4111 1111 1111 1111 exp 10/28",
            "card 5555555555554444",
            "Amex 3782 822463 10005",
            "card no. 4111.1111.1111.1111",
        ],
        negative_examples: &[
            "card 4111 1111 1111 1112",
            "card 4111.1111.1111.1112",
            "build 2024.1107.1530.0001",
            "gift card 4111111111111111",
            "Order number 4111111111111111",
        ],
    },
    Rule {
        data_type: DataType::Iban,
        category: Category::Financial,
        patterns: &[
            // Lower case too (`gb82 west ...`): then only with a label.
            r"(?-u:\b)[A-Za-z]{2}[0-9]{2}(?:[ \x{a0}]?[A-Za-z0-9]{4}){2,7}(?:[ \x{a0}]?[A-Za-z0-9]{1,3})?(?-u:\b)",
        ],
        check: Check::Iban,
        base: 0.9,
        context_boost: 0.05,
        context: &["iban", "bank", "account", "bank details"],
        negative: &[],
        keep_tail: 4,
        examples: &[
            "IBAN GB82 WEST 1234 5698 7654 32",
            "pay DE89370400440532013000",
            "iban: gb82 west 1234 5698 7654 32",
            "IBAN BE63 0631 5391 8072 today",
        ],
        negative_examples: &[
            "IBAN GB82 WEST 1234 5698 7654 33",
            "code gb82 west 1234 5698 7654 32",
            "VAT reg. GB 184 6571 90",
        ],
    },
    Rule {
        data_type: DataType::UkPostcode,
        category: Category::Location,
        // Lower case too (`sw1a 1aa`): then only with a label.
        patterns: &[r"(?-u:\b)[A-Za-z]{1,2}[0-9][A-Za-z0-9]?[ \x{a0}]?[0-9][A-Za-z]{2}(?-u:\b)"],
        check: Check::Postcode,
        base: 0.6,
        context_boost: 0.3,
        context: &[
            "postcode",
            "post code",
            "postal code",
            "address",
            "zip",
            "road",
            "rd",
            "street",
            "st",
            "lane",
            "avenue",
            "ave",
            "close",
            "drive",
            "flat",
            "house",
            "crescent",
            "way",
            "court",
            "ship to",
            "shipping",
            "deliver to",
            "delivery",
        ],
        negative: &["ref", "reference", "order", "flight", "part no", "model"],
        keep_tail: 2,
        examples: &[
            "Address: 1 High St, Leeds LS6 2AB",
            "Ship to: 5 Park Rd, Birmingham, B338TH",
            "London SW1A 1AA",
            "Postcode: EC1V9HX",
            "Flat 2, Leeds LS62AB",
            "Postcode: sw1a 1aa",
        ],
        negative_examples: &[
            "code QQ1 2AB",
            "LS6 2AC",
            "tax code 1257L W1",
            "meet b2 2bb at noon",
        ],
    },
    Rule {
        data_type: DataType::Dob,
        category: Category::Identity,
        patterns: &[
            r"(?-u:\b)[0-9]{1,2}[/.-][0-9]{1,2}[/.-](?:[0-9]{4}|[0-9]{2})(?-u:\b)",
            r"(?-u:\b)[0-9]{4}[/.-][0-9]{1,2}[/.-][0-9]{1,2}(?-u:\b)",
            concat!(
                r"(?-u:\b)[0-9]{1,2}(?i:st|nd|rd|th)?(?:[ \x{a0}-]|[ \x{a0}]of[ \x{a0}])",
                month!(),
                r"\.?,?[ \x{a0}-](?:[0-9]{4}|[0-9]{2})(?-u:\b)"
            ),
            concat!(
                r"(?-u:\b)",
                month!(),
                r"\.?[ \x{a0}][0-9]{1,2}(?i:st|nd|rd|th)?,?[ \x{a0}](?:[0-9]{4}|[0-9]{2})(?-u:\b)"
            ),
            // Compact ISO 8601 (`19830714`), as exports write it.
            r"(?-u:\b)(?:19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])(?-u:\b)",
        ],
        check: Check::BirthDate,
        base: 0.3,
        context_boost: 0.6,
        context: &[
            "dob",
            "d.o.b",
            "d.o.b.",
            "date of birth",
            "birth date",
            "birthdate",
            "born",
            "born on",
            "birthday",
            "bday",
            "date_of_birth",
            "date-of-birth",
            "dateofbirth",
            "birth_date",
        ],
        negative: &[],
        keep_tail: 2,
        examples: &[
            "DOB: 14/07/1983",
            "Date of birth: 14 July 1983",
            "born on July 14, 1983",
            "D.O.B. 1983-07-14",
            "Name,DOB\nJo Bloggs,07/14/1983",
            "id\tdate_of_birth\n7\t14 Jul. 1983",
            "Date of birth: 14-Jul-83",
            "DOB Sept 3, 91",
            "DOB: 19830714",
            "patient_id,dob\n7,19830714",
        ],
        negative_examples: &[
            "Start date: 14/07/2024",
            "Batch 19830714 shipped",
            "Date of birth on file; start date 14/07/2024",
            "Interview on 27/03/2025",
        ],
    },
    Rule {
        data_type: DataType::IpAddress,
        category: Category::Online,
        patterns: &[r"(?-u:\b)[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}(?-u:\b)"],
        check: Check::Ipv4,
        base: 0.6,
        context_boost: 0.3,
        context: &[
            "ip",
            "ip address",
            "from",
            "src",
            "source",
            "client",
            "host",
            "remote",
            "address",
            "addr",
            "login",
            "connected",
            "connection",
            "server",
            "peer",
        ],
        negative: DOCUMENT_PART_WORDS,
        keep_tail: 3,
        examples: &[
            "Failed password from 203.0.113.7 port 22",
            "blocked 203.0.113.0/24",
            "ip=198.51.100.23",
        ],
        negative_examples: &[
            "firmware 14.18.13.46",
            "app version 6.1.10072.2133",
            "1.2.3.4.5",
            "See clause 3.2.1.4 of the contract",
            "as Figure 1.2.3.4 shows",
        ],
    },
    Rule {
        data_type: DataType::IpAddress,
        category: Category::Online,
        patterns: &[
            // With an IPv4 address in its last 32 bits (`::ffff:192.0.2.128`).
            r"(?i:[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){1,6}:[0-9]{1,3}(?:\.[0-9]{1,3}){3})(?-u:\b)",
            r"(?i:[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7})",
        ],
        check: Check::Ipv6,
        base: 0.7,
        context_boost: 0.2,
        context: &[
            "ip", "ipv6", "from", "src", "source", "client", "host", "address",
        ],
        negative: DOCUMENT_PART_WORDS,
        keep_tail: 4,
        examples: &[
            "from 2001:db8:a24b::d8f9:bc65:5e91 port 1",
            "host fe80::1",
            "client ::ffff:192.0.2.128 connected",
        ],
        negative_examples: &["at 05:16:00 today", "ratio 12:30"],
    },
    Rule {
        data_type: DataType::UsSsn,
        category: Category::Identity,
        patterns: &[
            r"(?-u:\b)[0-9]{3}-[0-9]{2}-[0-9]{4}(?-u:\b)",
            r"(?-u:\b)[0-9]{3}[ \x{a0}][0-9]{2}[ \x{a0}][0-9]{4}(?-u:\b)",
            r"(?-u:\b)[0-9]{9}(?-u:\b)",
        ],
        check: Check::Ssn,
        base: 0.6,
        context_boost: 0.3,
        context: &[
            "ssn",
            "social security",
            "social security number",
            "ss#",
            "ss no",
            "ssn#",
        ],
        negative: REFERENCE_WORDS,
        keep_tail: 4,
        examples: &[
            "SSN: 123-45-6789",
            "social security number 123 45 6789",
            "SSN 123456789",
        ],
        negative_examples: &["SSN: 666-45-6789", "order 123-45-6789", "case 123456789"],
    },
    Rule {
        data_type: DataType::UkPassport,
        category: Category::Identity,
        patterns: &[r"(?-u:\b)(?:[0-9]{9}|[A-Z]{2}[0-9]{7})(?-u:\b)"],
        check: Check::Passport,
        base: 0.3,
        context_boost: 0.5,
        context: &["passport", "passport no", "passport number", "passport no."],
        negative: &[],
        keep_tail: 2,
        examples: &["Passport number: 538245056"],
        negative_examples: &["Order 538245056"],
    },
    Rule {
        data_type: DataType::UkDrivingLicence,
        category: Category::Identity,
        patterns: &[r"(?-u:\b)[A-Z][A-Z9]{4}[0-9]{6}[A-Z9]{2}[0-9][A-Z]{2}(?-u:\b)"],
        check: Check::DrivingLicence,
        base: 0.55,
        context_boost: 0.3,
        context: &[
            "driving licence",
            "driving license",
            "driver's licence",
            "licence no",
            "licence number",
            "dvla",
            "licence",
        ],
        negative: &[],
        keep_tail: 2,
        examples: &["Driving licence: MORGA753116SM9IJ"],
        negative_examples: &["code MORGA793116SM9IJ"],
    },
    Rule {
        data_type: DataType::UkBankAccount,
        category: Category::Financial,
        patterns: &[r"(?-u:\b)[0-9]{2}-[0-9]{2}-[0-9]{2}(?:[ \x{a0},]{1,2}[0-9]{8})?(?-u:\b)"],
        check: Check::BankAccount,
        base: 0.3,
        context_boost: 0.5,
        context: &[
            "sort code",
            "account",
            "account no",
            "account number",
            "bank",
            "a/c",
        ],
        negative: &[],
        keep_tail: 2,
        examples: &["Bank sort code: 69-74-55", "Bank\n12-34-56 12345678"],
        negative_examples: &["on 12-03-45 we met"],
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::tests::scan_part;
    use crate::message::TextKind;
    use crate::policy::Policy;

    fn scan(text: &str, kind: TextKind) -> Vec<crate::report::Finding> {
        scan_part(&Policy::default(), text, kind, true)
    }

    #[test]
    fn every_rule_finds_its_examples() {
        for rule in RULES {
            for example in rule.examples {
                let kind = if example.contains('\n') && example.contains(',') {
                    TextKind::Attachment
                } else {
                    TextKind::Body
                };
                let found = scan(example, kind);
                assert!(
                    found.iter().any(|f| f.data_type == rule.data_type),
                    "{:?} missed in example {example:?}: {found:?}",
                    rule.data_type
                );
            }
            for example in rule.negative_examples {
                let found = scan(example, TextKind::Body);
                assert!(
                    !found.iter().any(|f| f.data_type == rule.data_type),
                    "{:?} found in negative example {example:?}: {found:?}",
                    rule.data_type
                );
            }
        }
    }
}
