//! Message labels: the sensitivity, classification and retention markings a
//! sender (or the sender's mail client) puts on a message, read into a
//! [`Labels`] value that the retention rules compare with what was found.
//!
//! Read here:
//! - `X-Protective-Marking` (Australian Government Email Protective Marking
//!   Standard 2018.1: `VER=2018.1, NS=gov.au, SEC=OFFICIAL:Sensitive, ...`)
//!   and its subject-line form `[SEC=...]`;
//! - UK Government Security Classifications (`OFFICIAL`, `OFFICIAL-SENSITIVE`,
//!   `SECRET`, `TOP SECRET`, with descriptors such as `PERSONAL`) at the start
//!   of the subject, in brackets in the subject, or in a configured header;
//! - RFC 4021 `Sensitivity`, `Expires` and `Expiry-Date`;
//! - Microsoft Purview (MSIP) labels in `msip_labels`;
//! - a retention header naming a retention class (default `X-Retention-Class`).
//!
//! Nothing here fails: a label that cannot be read becomes an
//! [`UnrecognisedLabel`] (and the `unrecognised-label` rule), never an error.
//! The reasons never quote the header's value, which is message content.

use std::sync::LazyLock;

use mail_parser::parsers::MessageStream;
use mail_parser::{DateTime, HeaderValue};
use regex::Regex;
use serde::{Deserialize, Serialize, Serializer};

use crate::message::RawHeader;
use crate::policy::{Policy, PolicyError};
use crate::report::mask::mask_email;

/// Header values longer than this are not read as labels: every standard
/// label is far shorter, and a huge value must not cost unbounded time.
const MAX_LABEL_BYTES: usize = 16 * 1024;

/// MSIP labels read from one message; more are reported as unrecognised.
const MAX_MSIP_LABELS: usize = 16;

/// Where a label was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum LabelSource {
    /// A header field.
    Header,
    /// The Subject line.
    Subject,
}

/// An Australian `SEC=` security classification (2018.1 values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum AuClassification {
    /// `UNOFFICIAL`: not official government information.
    Unofficial,
    /// `OFFICIAL`.
    Official,
    /// `OFFICIAL:Sensitive`.
    OfficialSensitive,
    /// `PROTECTED`.
    Protected,
    /// `SECRET`.
    Secret,
    /// `TOP-SECRET`.
    TopSecret,
}

impl AuClassification {
    /// The value as the standard writes it (`OFFICIAL:Sensitive`).
    pub fn as_str(self) -> &'static str {
        match self {
            AuClassification::Unofficial => "UNOFFICIAL",
            AuClassification::Official => "OFFICIAL",
            AuClassification::OfficialSensitive => "OFFICIAL:Sensitive",
            AuClassification::Protected => "PROTECTED",
            AuClassification::Secret => "SECRET",
            AuClassification::TopSecret => "TOP-SECRET",
        }
    }

    fn parse(value: &str) -> Result<AuClassification, &'static str> {
        let canonical: String = value
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| c.to_ascii_uppercase())
            .collect();
        Ok(match canonical.as_str() {
            "UNOFFICIAL" => AuClassification::Unofficial,
            "OFFICIAL" => AuClassification::Official,
            "OFFICIAL:SENSITIVE" => AuClassification::OfficialSensitive,
            "PROTECTED" => AuClassification::Protected,
            "SECRET" => AuClassification::Secret,
            "TOP-SECRET" | "TOPSECRET" => AuClassification::TopSecret,
            // Values of the 2012 standard, replaced in October 2018.
            "UNCLASSIFIED" | "X-IN-CONFIDENCE" | "IN-CONFIDENCE" | "RESTRICTED"
            | "CONFIDENTIAL" | "HIGHLY-PROTECTED" => {
                return Err("a SEC value of the 2012 standard, withdrawn in 2018")
            }
            _ => return Err("the SEC value is not one of the 2018.1 classifications"),
        })
    }
}

impl Serialize for AuClassification {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// An Australian protective marking, from `X-Protective-Marking` or the
/// subject's `[SEC=...]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct ProtectiveMarking {
    /// Header or subject.
    pub source: LabelSource,
    /// `VER`, e.g. `2018.1`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// `NS`, e.g. `gov.au`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// `SEC`.
    pub classification: AuClassification,
    /// `CAVEAT` values; codewords (`C:...`) are shown as `C:***`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub caveats: Vec<String>,
    /// `EXPIRES` when it is a date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<LabelDate>,
    /// `EXPIRES` names an event rather than a date.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub expires_on_event: bool,
    /// `DOWNTO`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub downto: Option<AuClassification>,
    /// `ACCESS` information management markers (`Personal-Privacy`, ...).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub access: Vec<String>,
    /// `ORIGIN`, masked like any address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    /// A `NOTE` is present (its free text is not reported).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub has_note: bool,
}

/// A UK Government Security Classification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum UkLevel {
    /// `OFFICIAL`.
    Official,
    /// `OFFICIAL-SENSITIVE`.
    OfficialSensitive,
    /// `SECRET`.
    Secret,
    /// `TOP SECRET`.
    TopSecret,
}

impl UkLevel {
    /// The canonical spelling (`OFFICIAL-SENSITIVE`).
    pub fn as_str(self) -> &'static str {
        match self {
            UkLevel::Official => "OFFICIAL",
            UkLevel::OfficialSensitive => "OFFICIAL-SENSITIVE",
            UkLevel::Secret => "SECRET",
            UkLevel::TopSecret => "TOP SECRET",
        }
    }

    fn from_match(level: &str) -> UkLevel {
        let upper = level.to_ascii_uppercase();
        if upper.starts_with("TOP") {
            UkLevel::TopSecret
        } else if upper.starts_with("SECRET") {
            UkLevel::Secret
        } else if upper.contains("SENSITIVE") {
            UkLevel::OfficialSensitive
        } else {
            UkLevel::Official
        }
    }
}

impl Serialize for UkLevel {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A UK classification with its descriptors.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct UkClassification {
    /// Header or subject.
    pub source: LabelSource,
    /// The classification.
    pub level: UkLevel,
    /// Descriptors, upper-case (`PERSONAL`, `COMMERCIAL`, `LOCSEN`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub descriptors: Vec<String>,
}

/// The RFC 4021 / RFC 2156 `Sensitivity` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Sensitivity {
    /// `Personal`.
    Personal,
    /// `Private`.
    Private,
    /// `Company-Confidential`.
    CompanyConfidential,
}

impl Sensitivity {
    /// The value as RFC 4021 writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Sensitivity::Personal => "Personal",
            Sensitivity::Private => "Private",
            Sensitivity::CompanyConfidential => "Company-Confidential",
        }
    }
}

impl Serialize for Sensitivity {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A date read from a label, as seconds since the Unix epoch (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LabelDate {
    unix_seconds: i64,
}

impl LabelDate {
    /// Seconds since 1970-01-01T00:00:00Z.
    pub fn unix_seconds(self) -> i64 {
        self.unix_seconds
    }

    /// RFC 3339 in UTC (`2046-01-31T00:00:00Z`).
    pub fn to_rfc3339(self) -> String {
        DateTime::from_timestamp(self.unix_seconds).to_rfc3339()
    }

    fn from_datetime(dt: &DateTime) -> Option<LabelDate> {
        dt.is_valid().then(|| LabelDate {
            unix_seconds: dt.to_timestamp(),
        })
    }
}

impl Serialize for LabelDate {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_rfc3339())
    }
}

/// An RFC 4021 expiry date and the header it came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Expiry {
    /// `Expires` or `Expiry-Date`.
    pub header: String,
    /// The date.
    pub date: LabelDate,
}

/// A Microsoft Purview sensitivity label from `msip_labels`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct MsipLabel {
    /// The label's GUID, lower-case.
    pub id: String,
    /// `_Name`, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `_Enabled`; a label with `false` is not in force.
    pub enabled: bool,
    /// `_SiteId`: the tenant, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub site_id: Option<String>,
    /// `_Method` (`Standard`, `Privileged`, ...), when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
}

/// A label that is present but could not be read, or is not known.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct UnrecognisedLabel {
    /// Where it is: `HEADER.Sensitivity`, `HEADER.Subject`, ...
    pub location: String,
    /// What is wrong with it; never quotes the value.
    pub reason: String,
}

/// The retention class a message's labels resolve to under the policy.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct ResolvedClass {
    /// The class name (a key of `[retention.classes]`).
    pub name: String,
    /// Which label gave it, e.g. `sec=OFFICIAL:Sensitive`.
    pub from: String,
    /// Where that label is (`HEADER.X-Protective-Marking`).
    #[serde(skip)]
    pub(crate) location: String,
}

/// Everything mailaudit read from a message's labels. Part of the
/// [`Report`](crate::Report) (`labels` in JSON, omitted when empty).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Labels {
    #[serde(skip_serializing_if = "Option::is_none")]
    protective_marking: Option<ProtectiveMarking>,
    #[serde(skip_serializing_if = "Option::is_none")]
    uk_classification: Option<UkClassification>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sensitivity: Option<Sensitivity>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires: Option<Expiry>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    msip: Vec<MsipLabel>,
    #[serde(skip_serializing_if = "Option::is_none")]
    retention_header: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    retention_class: Option<ResolvedClass>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    unrecognised: Vec<UnrecognisedLabel>,
    /// The message's `Date`, for expiry arithmetic; not a label.
    #[serde(skip)]
    pub(crate) sent: Option<LabelDate>,
    /// The first label claiming unrestricted handling (`kind=value`) and
    /// where it is; set by the policy's `labels.unrestricted`.
    #[serde(skip)]
    pub(crate) unrestricted_by: Option<(String, String)>,
    /// The header a UK classification came from.
    #[serde(skip)]
    uk_header: Option<String>,
    /// The policy's retention header name.
    #[serde(skip)]
    retention_header_name: String,
}

impl Labels {
    /// The Australian protective marking (header form preferred over subject).
    pub fn protective_marking(&self) -> Option<&ProtectiveMarking> {
        self.protective_marking.as_ref()
    }

    /// The UK classification.
    pub fn uk_classification(&self) -> Option<&UkClassification> {
        self.uk_classification.as_ref()
    }

    /// The RFC 4021 `Sensitivity`.
    pub fn sensitivity(&self) -> Option<Sensitivity> {
        self.sensitivity
    }

    /// The RFC 4021 `Expires` / `Expiry-Date` (the later one if both are set).
    pub fn expires(&self) -> Option<&Expiry> {
        self.expires.as_ref()
    }

    /// Microsoft Purview labels, enabled or not.
    pub fn msip(&self) -> &[MsipLabel] {
        &self.msip
    }

    /// The value of the policy's retention header (`labels.retention_header`).
    pub fn retention_header(&self) -> Option<&str> {
        self.retention_header.as_deref()
    }

    /// The retention class the labels resolve to under the policy.
    pub fn retention_class(&self) -> Option<&ResolvedClass> {
        self.retention_class.as_ref()
    }

    /// Labels present but not understood.
    pub fn unrecognised(&self) -> &[UnrecognisedLabel] {
        &self.unrecognised
    }

    /// Whether the message carries any recognised label.
    pub fn is_labelled(&self) -> bool {
        self.protective_marking.is_some()
            || self.uk_classification.is_some()
            || self.sensitivity.is_some()
            || self.expires.is_some()
            || self.msip.iter().any(|l| l.enabled)
            || self.retention_header.is_some()
    }

    /// Whether nothing at all was read (no labels, none unrecognised).
    pub fn is_empty(&self) -> bool {
        !self.is_labelled() && self.msip.is_empty() && self.unrecognised.is_empty()
    }

    /// The values a selector of `kind` compares against.
    pub(crate) fn values(&self, kind: LabelKind) -> Vec<&str> {
        let mut out = Vec::new();
        match kind {
            LabelKind::Sec => out.extend(
                self.protective_marking
                    .as_ref()
                    .map(|m| m.classification.as_str()),
            ),
            LabelKind::Access => {
                if let Some(m) = &self.protective_marking {
                    out.extend(m.access.iter().map(String::as_str));
                }
            }
            LabelKind::Caveat => {
                if let Some(m) = &self.protective_marking {
                    out.extend(m.caveats.iter().map(String::as_str));
                }
            }
            LabelKind::Uk => out.extend(self.uk_classification.as_ref().map(|u| u.level.as_str())),
            LabelKind::UkDescriptor => {
                if let Some(u) = &self.uk_classification {
                    out.extend(u.descriptors.iter().map(String::as_str));
                }
            }
            LabelKind::Sensitivity => out.extend(self.sensitivity.map(Sensitivity::as_str)),
            LabelKind::MsipName => out.extend(
                self.msip
                    .iter()
                    .filter(|l| l.enabled)
                    .filter_map(|l| l.name.as_deref()),
            ),
            LabelKind::MsipId => out.extend(
                self.msip
                    .iter()
                    .filter(|l| l.enabled)
                    .map(|l| l.id.as_str()),
            ),
            LabelKind::RetentionHeader => out.extend(self.retention_header.as_deref()),
        }
        out
    }

    /// Where the label of `kind` is, as a part name (`HEADER.Sensitivity`).
    pub(crate) fn location_of(&self, kind: LabelKind) -> String {
        match kind {
            LabelKind::Sec | LabelKind::Access | LabelKind::Caveat => self
                .protective_marking
                .as_ref()
                .map_or("HEADER.X-Protective-Marking", |m| {
                    marking_location(m.source)
                })
                .to_string(),
            LabelKind::Uk | LabelKind::UkDescriptor => match &self.uk_header {
                Some(h) => format!("HEADER.{h}"),
                None => "HEADER.Subject".to_string(),
            },
            LabelKind::Sensitivity => "HEADER.Sensitivity".to_string(),
            LabelKind::MsipName | LabelKind::MsipId => "HEADER.msip_labels".to_string(),
            LabelKind::RetentionHeader => format!("HEADER.{}", self.retention_header_name),
        }
    }

    /// Every expiry date on the message, with the label it came from.
    pub(crate) fn expiry_dates(&self) -> Vec<(LabelDate, String)> {
        let mut out = Vec::new();
        if let Some(e) = &self.expires {
            out.push((e.date, format!("HEADER.{}", e.header)));
        }
        if let Some(m) = &self.protective_marking {
            if let Some(d) = m.expires {
                out.push((d, marking_location(m.source).to_string()));
            }
        }
        out
    }

    fn note_unrecognised(&mut self, location: &str, reason: impl Into<String>) {
        if self.unrecognised.len() < 32 {
            self.unrecognised.push(UnrecognisedLabel {
                location: location.to_string(),
                reason: reason.into(),
            });
        }
    }
}

pub(crate) fn marking_location(source: LabelSource) -> &'static str {
    match source {
        LabelSource::Header => "HEADER.X-Protective-Marking",
        LabelSource::Subject => "HEADER.Subject",
    }
}

/// A kind of label value a policy selector looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum LabelKind {
    /// Australian `SEC=` (`OFFICIAL:Sensitive`).
    Sec,
    /// Australian `ACCESS=`.
    Access,
    /// Australian `CAVEAT=`.
    Caveat,
    /// UK classification (`OFFICIAL-SENSITIVE`).
    Uk,
    /// UK descriptor (`PERSONAL`).
    UkDescriptor,
    /// RFC 4021 `Sensitivity`.
    Sensitivity,
    /// Name of an enabled MSIP label.
    MsipName,
    /// GUID of an enabled MSIP label.
    MsipId,
    /// The retention header's value.
    RetentionHeader,
}

impl LabelKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            LabelKind::Sec => "sec",
            LabelKind::Access => "access",
            LabelKind::Caveat => "caveat",
            LabelKind::Uk => "uk",
            LabelKind::UkDescriptor => "uk-descriptor",
            LabelKind::Sensitivity => "sensitivity",
            LabelKind::MsipName => "msip-name",
            LabelKind::MsipId => "msip-id",
            LabelKind::RetentionHeader => "retention-header",
        }
    }
}

/// `[labels]` in the policy.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LabelSettings {
    /// Header naming a retention class directly.
    pub(crate) retention_header: String,
    /// Headers that may carry a UK classification.
    pub(crate) classification_headers: Vec<String>,
    /// Labels claiming unrestricted handling (`under-classified`).
    pub(crate) unrestricted: Vec<LabelSelector>,
}

/// Matches a label value: `label` says which, `equals` (case-insensitive)
/// or `pattern` (a regex) says how.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LabelSelector {
    pub(crate) label: LabelKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) equals: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) pattern: Option<String>,
}

/// A selector compiled.
#[derive(Debug)]
pub(crate) struct CompiledSelector {
    kind: LabelKind,
    test: ValueTest,
}

#[derive(Debug)]
enum ValueTest {
    Equals(String),
    Pattern(Regex),
}

impl CompiledSelector {
    /// Compiles a selector; `path` names it in errors.
    pub(crate) fn new(
        kind: LabelKind,
        equals: Option<&str>,
        pattern: Option<&str>,
        path: &str,
    ) -> Result<CompiledSelector, PolicyError> {
        let test = match (equals, pattern) {
            (Some(e), None) => ValueTest::Equals(e.to_string()),
            (None, Some(p)) => ValueTest::Pattern(
                regex::RegexBuilder::new(p)
                    .size_limit(1 << 20)
                    .build()
                    .map_err(|e| PolicyError::Semantic {
                        path: format!("{path}.pattern"),
                        message: format!("not a valid regular expression: {e}"),
                    })?,
            ),
            _ => {
                return Err(PolicyError::Semantic {
                    path: path.to_string(),
                    message: "give exactly one of `equals` and `pattern`".to_string(),
                })
            }
        };
        Ok(CompiledSelector { kind, test })
    }

    /// The first label value that matches, as `kind=value`, and where it is.
    pub(crate) fn matches(&self, labels: &Labels) -> Option<(String, String)> {
        labels
            .values(self.kind)
            .into_iter()
            .find(|v| match &self.test {
                ValueTest::Equals(e) => v.trim().eq_ignore_ascii_case(e.trim()),
                ValueTest::Pattern(re) => re.is_match(v),
            })
            .map(|v| {
                (
                    format!("{}={v}", self.kind.as_str()),
                    labels.location_of(self.kind),
                )
            })
    }
}

/// Reads labels from messages and resolves their retention class; built
/// once per [`Auditor`](crate::Auditor).
#[derive(Debug)]
pub(crate) struct LabelReader {
    retention_header: String,
    classification_headers: Vec<String>,
    mappings: Vec<(CompiledSelector, String)>,
    classes: Vec<String>,
    unrestricted: Vec<CompiledSelector>,
}

impl LabelReader {
    pub(crate) fn new(policy: &Policy) -> Result<LabelReader, PolicyError> {
        let mut mappings = Vec::new();
        for (i, m) in policy.retention.map.iter().enumerate() {
            let selector = CompiledSelector::new(
                m.label,
                m.equals.as_deref(),
                m.pattern.as_deref(),
                &format!("retention.map[{i}]"),
            )?;
            mappings.push((selector, m.class.clone()));
        }
        let mut unrestricted = Vec::new();
        for (i, s) in policy.labels.unrestricted.iter().enumerate() {
            unrestricted.push(CompiledSelector::new(
                s.label,
                s.equals.as_deref(),
                s.pattern.as_deref(),
                &format!("labels.unrestricted[{i}]"),
            )?);
        }
        Ok(LabelReader {
            retention_header: policy.labels.retention_header.trim().to_string(),
            classification_headers: policy
                .labels
                .classification_headers
                .iter()
                .map(|h| h.trim().to_string())
                .collect(),
            mappings,
            classes: policy.retention.classes.keys().cloned().collect(),
            unrestricted,
        })
    }

    /// Reads the labels of a message from its top-level header fields and its
    /// decoded subject, and resolves the retention class.
    pub(crate) fn read(&self, headers: &[RawHeader<'_>], subject: Option<&str>) -> Labels {
        let mut labels = read_labels(
            headers,
            subject,
            &self.retention_header,
            &self.classification_headers,
        );
        labels.retention_class = self.resolve(&mut labels);
        labels.unrestricted_by = self.unrestricted.iter().find_map(|s| s.matches(&labels));
        labels
    }

    fn resolve(&self, labels: &mut Labels) -> Option<ResolvedClass> {
        // A retention header that names a class is the sender's explicit choice.
        if let Some(value) = labels.retention_header.clone() {
            if let Some(class) = self
                .classes
                .iter()
                .find(|c| c.eq_ignore_ascii_case(value.trim()))
            {
                return Some(ResolvedClass {
                    name: class.clone(),
                    from: format!("retention-header={value}"),
                    location: labels.location_of(LabelKind::RetentionHeader),
                });
            }
        }
        let mapped = self.mappings.iter().find_map(|(selector, class)| {
            selector
                .matches(labels)
                .map(|(from, location)| ResolvedClass {
                    name: class.clone(),
                    from,
                    location,
                })
        });
        // A retention header is understood when it names a class or a
        // `retention-header` mapping reads it; otherwise it is reported even
        // when another label gave the class.
        let header_understood = labels.retention_header.is_none()
            || self.mappings.iter().any(|(selector, _)| {
                selector.kind == LabelKind::RetentionHeader && selector.matches(labels).is_some()
            });
        if !header_understood {
            let location = format!("HEADER.{}", self.retention_header);
            labels.note_unrecognised(
                &location,
                "the retention header names no retention class of the policy",
            );
        }
        mapped
    }
}

/// Unfolds a raw header value and decodes its RFC 2047 encoded words.
pub(crate) fn header_text(raw: &[u8]) -> String {
    let mut value = Vec::with_capacity(raw.len() + 2);
    value.extend_from_slice(raw);
    // mail-parser's unstructured parser reads up to the end of the field,
    // which it recognises by a line break not followed by white space.
    if !value.ends_with(b"\n") {
        value.extend_from_slice(b"\r\n");
    }
    match MessageStream::new(&value).parse_unstructured() {
        HeaderValue::Text(text) => text.trim().to_string(),
        _ => String::new(),
    }
}

/// Reads every label; pure function of the header fields and the subject.
pub(crate) fn read_labels(
    headers: &[RawHeader<'_>],
    subject: Option<&str>,
    retention_header: &str,
    classification_headers: &[String],
) -> Labels {
    let mut labels = Labels {
        retention_header_name: retention_header.to_string(),
        ..Labels::default()
    };
    for header in headers {
        let name = header.name;
        let is = |n: &str| name.eq_ignore_ascii_case(n);
        let wanted = is("X-Protective-Marking")
            || is("Sensitivity")
            || is("Expires")
            || is("Expiry-Date")
            || is("msip_labels")
            || is("Date")
            || (!retention_header.is_empty() && is(retention_header))
            || classification_headers.iter().any(|h| is(h));
        if !wanted {
            continue;
        }
        let location = format!("HEADER.{name}");
        if header.value.len() > MAX_LABEL_BYTES {
            labels.note_unrecognised(&location, "the header is too long to be a label");
            continue;
        }
        let text = header_text(header.value);
        if is("Date") {
            if labels.sent.is_none() {
                labels.sent = parse_date(&text);
            }
        } else if is("X-Protective-Marking") && !text.contains('=') {
            // UK senders put a bare classification (`OFFICIAL-SENSITIVE`) in
            // this header, which the Australian standard fills with KEY=value.
            read_uk_header(&text, name, &location, &mut labels);
        } else if is("X-Protective-Marking") {
            if labels.protective_marking.is_some() {
                labels.note_unrecognised(&location, "a second protective marking header");
                continue;
            }
            labels.protective_marking = parse_marking(&text, LabelSource::Header, &mut labels);
        } else if is("Sensitivity") {
            parse_sensitivity(&text, &location, &mut labels);
        } else if is("Expires") || is("Expiry-Date") {
            match parse_date(&text) {
                Some(date) => {
                    if labels.expires.as_ref().map_or(true, |e| e.date < date) {
                        labels.expires = Some(Expiry {
                            header: name.to_string(),
                            date,
                        });
                    }
                }
                None => labels.note_unrecognised(&location, "not an RFC 5322 date"),
            }
        } else if is("msip_labels") {
            parse_msip(&text, &location, &mut labels);
        } else if !retention_header.is_empty() && is(retention_header) {
            if text.is_empty() {
                labels.note_unrecognised(&location, "the retention header is empty");
            } else if labels.retention_header.is_none() {
                labels.retention_header = Some(short(&text));
            }
        } else {
            read_uk_header(&text, name, &location, &mut labels);
        }
    }
    if let Some(subject) = subject {
        read_subject(subject, &mut labels);
    }
    labels
}

fn read_uk_header(text: &str, name: &str, location: &str, labels: &mut Labels) {
    match parse_uk(text, UkForm::Header) {
        Some(uk) if labels.uk_classification.is_none() => {
            labels.uk_classification = Some(uk);
            labels.uk_header = Some(name.to_string());
        }
        Some(_) => {}
        None if !text.is_empty() => {
            labels.note_unrecognised(location, "not a UK government classification")
        }
        None => {}
    }
}

fn read_subject(subject: &str, labels: &mut Labels) {
    let subject = truncate(subject, MAX_LABEL_BYTES);
    if let Some(start) = find_ascii_ci(subject, "[SEC=") {
        let inner = &subject[start + 1..];
        match inner.find(']') {
            Some(end) => {
                let marking = parse_marking(&inner[..end], LabelSource::Subject, labels);
                match (&labels.protective_marking, marking) {
                    (None, m) => labels.protective_marking = m,
                    (Some(header), Some(m)) if header.classification != m.classification => labels
                        .note_unrecognised(
                            "HEADER.Subject",
                            "the subject's SEC differs from X-Protective-Marking",
                        ),
                    _ => {}
                }
            }
            None => labels.note_unrecognised("HEADER.Subject", "a [SEC= marking without its `]`"),
        }
    }
    if labels.uk_classification.is_none() {
        labels.uk_classification = parse_uk(subject, UkForm::SubjectStart)
            .or_else(|| parse_uk(subject, UkForm::SubjectBracketed));
    }
}

fn truncate(text: &str, max: usize) -> &str {
    let mut cut = text.len().min(max);
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    &text[..cut]
}

fn find_ascii_ci(haystack: &str, needle: &str) -> Option<usize> {
    let n = needle.as_bytes();
    haystack
        .as_bytes()
        .windows(n.len())
        .position(|w| w.eq_ignore_ascii_case(n))
}

fn parse_date(text: &str) -> Option<LabelDate> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    DateTime::parse_rfc822(text)
        .or_else(|| DateTime::parse_rfc3339(text))
        .as_ref()
        .and_then(LabelDate::from_datetime)
}

/// `2030-06-30`, or a full RFC 3339 date-time (the seconds and zone optional).
fn parse_iso_date(text: &str) -> Option<LabelDate> {
    let text = text.trim();
    let b = text.as_bytes();
    let digits = |r: std::ops::Range<usize>| -> Option<u32> {
        let s = text.get(r)?;
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse().ok())?
    };
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (year, month, day) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    if b.len() > 10 {
        if let Some(date) = DateTime::parse_rfc3339(text)
            .as_ref()
            .and_then(LabelDate::from_datetime)
        {
            return Some(date);
        }
        if !matches!(b[10], b'T' | b't' | b' ') {
            return None;
        }
    }
    let dt = DateTime {
        year: u16::try_from(year).ok()?,
        month: u8::try_from(month).ok()?,
        day: u8::try_from(day).ok()?,
        hour: 0,
        minute: 0,
        second: 0,
        tz_before_gmt: false,
        tz_hour: 0,
        tz_minute: 0,
    };
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    LabelDate::from_datetime(&dt)
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Parses the body of a protective marking (`VER=2018.1, NS=gov.au, SEC=...`).
/// Problems are recorded in `labels`; `None` when there is no usable `SEC`.
fn parse_marking(
    text: &str,
    source: LabelSource,
    labels: &mut Labels,
) -> Option<ProtectiveMarking> {
    let location = marking_location(source);
    // Split on commas, but a piece that does not start with `KEY=` belongs to
    // the value before it (a NOTE may contain commas).
    let mut fields: Vec<(String, String)> = Vec::new();
    for piece in text.split(',') {
        let trimmed = piece.trim();
        let key = trimmed.split_once('=').map(|(k, _)| k.trim()).filter(|k| {
            !k.is_empty() && k.len() <= 16 && k.bytes().all(|b| b.is_ascii_alphabetic())
        });
        match (key, fields.last_mut()) {
            (Some(k), _) => {
                let value = trimmed.split_once('=').map_or("", |(_, v)| v.trim());
                fields.push((k.to_ascii_uppercase(), value.to_string()));
            }
            (None, Some((_, value))) => {
                value.push(',');
                value.push_str(piece);
            }
            (None, None) if trimmed.is_empty() => {}
            (None, None) => {
                labels.note_unrecognised(
                    location,
                    "the protective marking does not start with KEY=value",
                );
            }
        }
        if fields.len() > 64 {
            labels.note_unrecognised(location, "the protective marking has too many fields");
            return None;
        }
    }
    let mut marking = ProtectiveMarking {
        source,
        version: None,
        namespace: None,
        classification: AuClassification::Official,
        caveats: Vec::new(),
        expires: None,
        expires_on_event: false,
        downto: None,
        access: Vec::new(),
        origin: None,
        has_note: false,
    };
    let mut sec = None;
    for (key, value) in fields {
        let value = value.trim();
        match key.as_str() {
            "VER" => marking.version = Some(short(value)),
            "NS" => {
                if !value.eq_ignore_ascii_case("gov.au") {
                    labels.note_unrecognised(location, "the namespace (NS) is not gov.au");
                }
                marking.namespace = Some(short(value));
            }
            "SEC" => {
                if sec.is_some() {
                    labels.note_unrecognised(location, "more than one SEC");
                    continue;
                }
                match AuClassification::parse(value) {
                    Ok(c) => sec = Some(c),
                    Err(reason) => labels.note_unrecognised(location, reason),
                }
            }
            "CAVEAT" => {
                let caveat = match value.split_once(':') {
                    Some((kind, _)) if kind.trim().eq_ignore_ascii_case("C") => "C:***".to_string(),
                    _ => short(value),
                };
                marking.caveats.push(caveat);
            }
            "EXPIRES" => match parse_iso_date(value) {
                Some(date) => marking.expires = Some(date),
                None if !value.is_empty() => marking.expires_on_event = true,
                None => labels.note_unrecognised(location, "EXPIRES is empty"),
            },
            "DOWNTO" => match AuClassification::parse(value) {
                Ok(c) => marking.downto = Some(c),
                Err(_) => labels.note_unrecognised(location, "DOWNTO is not a classification"),
            },
            "ACCESS" => match canonical_access(value) {
                Some(access) => marking.access.push(access.to_string()),
                None => labels.note_unrecognised(
                    location,
                    "ACCESS is not Legal-Privilege, Legislative-Secrecy or Personal-Privacy",
                ),
            },
            "NOTE" => marking.has_note = true,
            "ORIGIN" => marking.origin = Some(mask_email(value)),
            // The 2012 standard's dissemination limiting marker.
            "DLM" => labels.note_unrecognised(
                location,
                "DLM belongs to the 2012 standard, withdrawn in 2018",
            ),
            _ => labels.note_unrecognised(location, "an unknown protective-marking field"),
        }
    }
    match sec {
        Some(c) => {
            marking.classification = c;
            Some(marking)
        }
        None => {
            labels.note_unrecognised(location, "the protective marking has no valid SEC");
            None
        }
    }
}

/// A free-text label value as kept (and reported): any word with an `@`
/// masked like an address, since a label is written by a sender and may hold
/// anything, then cut to 64 bytes. Masked before the cut: a cut through an
/// address would leave a piece without its `@`, unrecognised and unmasked.
fn short(value: &str) -> String {
    if !value.contains('@') {
        return truncate(value, 64).to_string();
    }
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while !rest.is_empty() {
        let word_end = rest
            .find(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '=' | '<' | '>'))
            .unwrap_or(rest.len());
        let (word, tail) = rest.split_at(word_end);
        if word.contains('@') {
            out.push_str(&mask_email(word));
        } else {
            out.push_str(word);
        }
        let sep_len = tail.chars().next().map_or(0, char::len_utf8);
        out.push_str(&tail[..sep_len]);
        rest = &tail[sep_len..];
    }
    truncate(&out, 64).to_string()
}

fn canonical_access(value: &str) -> Option<&'static str> {
    ["Legal-Privilege", "Legislative-Secrecy", "Personal-Privacy"]
        .into_iter()
        .find(|a| a.eq_ignore_ascii_case(value))
}

fn parse_sensitivity(text: &str, location: &str, labels: &mut Labels) {
    let value = text.trim();
    let sensitivity = if value.eq_ignore_ascii_case("personal") {
        Sensitivity::Personal
    } else if value.eq_ignore_ascii_case("private") {
        Sensitivity::Private
    } else if value.eq_ignore_ascii_case("company-confidential")
        || value.eq_ignore_ascii_case("company confidential")
    {
        Sensitivity::CompanyConfidential
    } else if value.eq_ignore_ascii_case("normal") {
        // Outlook writes `Normal` for "no sensitivity"; RFC 4021 has no such
        // value, but it is not a malformed label either.
        return;
    } else {
        labels.note_unrecognised(
            location,
            "Sensitivity is not Personal, Private or Company-Confidential",
        );
        return;
    };
    labels.sensitivity = Some(sensitivity);
}

/// Parses `msip_labels`: `MSIP_Label_<guid>_<Property>=<value>;` items.
fn parse_msip(text: &str, location: &str, labels: &mut Labels) {
    let mut malformed = false;
    for item in text.split(';') {
        let item = item.trim();
        if item.is_empty() {
            continue;
        }
        let Some((key, value)) = item.split_once('=') else {
            malformed = true;
            continue;
        };
        let (key, value) = (key.trim(), value.trim());
        let Some(rest) = key
            .get(..11)
            .filter(|p| p.eq_ignore_ascii_case("MSIP_Label_"))
            .and_then(|_| key.get(11..))
        else {
            malformed = true;
            continue;
        };
        let (Some(id), Some(property)) = (rest.get(..36), rest.get(36..)) else {
            malformed = true;
            continue;
        };
        let Some(property) = property.strip_prefix('_') else {
            malformed = true;
            continue;
        };
        if !is_guid(id) {
            malformed = true;
            continue;
        }
        let id = id.to_ascii_lowercase();
        let index = match labels.msip.iter().position(|l| l.id == id) {
            Some(i) => i,
            None if labels.msip.len() < MAX_MSIP_LABELS => {
                labels.msip.push(MsipLabel {
                    id,
                    name: None,
                    enabled: true,
                    site_id: None,
                    method: None,
                });
                labels.msip.len() - 1
            }
            None => {
                malformed = true;
                continue;
            }
        };
        let label = &mut labels.msip[index];
        match property.to_ascii_lowercase().as_str() {
            "enabled" => label.enabled = value.eq_ignore_ascii_case("true"),
            "name" => label.name = Some(short(value)),
            "siteid" => label.site_id = Some(short(value)),
            "method" => label.method = Some(short(value)),
            _ => {} // SetDate, ActionId, ContentBits, ...: not needed.
        }
    }
    if malformed {
        labels.note_unrecognised(
            location,
            "msip_labels has items that are not MSIP_Label_<guid>_<property>=<value>",
        );
    }
}

fn is_guid(id: &str) -> bool {
    id.len() == 36
        && id.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

// UK classifications. In the subject they must be upper-case, as the
// Government Security Classifications policy writes them, so that "Official
// opening" is not read as a label; `SECRET` and `TOP SECRET` at the start of a
// subject must be set off by punctuation ("SECRET SANTA draw" is no marking).
// The patterns are ASCII-only (`(?-u)`): the markings are ASCII, and Unicode
// word boundaries would make them many times larger to compile.
const UK_LEVEL: &str = r"OFFICIAL(?:[ _-]*SENSITIVE)?|TOP[ _-]SECRET|SECRET";
const UK_DESCRIPTOR: &str = r"(?:[ \t:/\[(-]+(?P<desc>PERSONAL|COMMERCIAL|LOCSEN)\b)?";

static UK_SUBJECT_START: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?-u)^(?:(?i:re|fwd?|aw|wg|tr|sv|vs)\s*(?:\[\d+\])?\s*:\s*)*[\[(]?\s*(?P<level>{UK_LEVEL})\b{UK_DESCRIPTOR}"
    ))
    .ok()
});

static UK_SUBJECT_BRACKETED: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?-u)[\[(]\s*(?P<level>{UK_LEVEL})\b{UK_DESCRIPTOR}\s*[\])]"
    ))
    .ok()
});

static UK_HEADER: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?i-u)^\s*[\[(]?\s*(?P<level>{UK_LEVEL})\b{UK_DESCRIPTOR}\s*[\])]?\s*$"
    ))
    .ok()
});

#[derive(Clone, Copy, PartialEq)]
enum UkForm {
    Header,
    SubjectStart,
    SubjectBracketed,
}

fn parse_uk(text: &str, form: UkForm) -> Option<UkClassification> {
    let re = match form {
        UkForm::Header => &UK_HEADER,
        UkForm::SubjectStart => &UK_SUBJECT_START,
        UkForm::SubjectBracketed => &UK_SUBJECT_BRACKETED,
    };
    // `find` runs on the lazy DFA; the level and descriptor are read back
    // from the match by hand, because asking for capture groups costs more
    // than the whole rest of label reading (measured with callgrind).
    let found = re.as_ref()?.find(text)?;
    let matched = found.as_str();
    let upper = matched.to_ascii_uppercase();
    let start = ["OFFICIAL", "TOP", "SECRET"]
        .iter()
        .filter_map(|w| upper.find(w))
        .min()?;
    let level = UkLevel::from_match(&upper[start..]);
    // The descriptor, when present, is the last word of the match.
    let tail = upper.trim_end_matches([' ', '\t', ']', ')']);
    let descriptor = ["PERSONAL", "COMMERCIAL", "LOCSEN"]
        .into_iter()
        .find(|d| tail.len() > start + d.len() && tail.ends_with(d));
    if form == UkForm::SubjectStart
        && matches!(level, UkLevel::Secret | UkLevel::TopSecret)
        && descriptor.is_none()
    {
        let after = text.get(found.end()..).unwrap_or("").trim_start();
        if !(after.is_empty() || after.starts_with([']', ')', ':', '-'])) {
            return None;
        }
    }
    Some(UkClassification {
        source: match form {
            UkForm::Header => LabelSource::Header,
            _ => LabelSource::Subject,
        },
        level,
        descriptors: descriptor.map(|d| vec![d.to_string()]).unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const GUID: &str = "f42aa342-8706-4288-bd11-ebb85995028c";

    fn read(headers: &[(&str, &str)], subject: Option<&str>) -> Labels {
        let raw = crate::policy::testing::raw_headers(headers);
        read_labels(
            &raw,
            subject,
            "X-Retention-Class",
            &["X-Classification".to_string()],
        )
    }

    fn reasons(labels: &Labels) -> Vec<&str> {
        labels
            .unrecognised()
            .iter()
            .map(|u| u.reason.as_str())
            .collect()
    }

    #[test]
    fn header_text_unfolds_and_decodes() {
        assert_eq!(
            header_text(b" SEC=OFFICIAL,\r\n\tACCESS=Personal-Privacy\r\n"),
            "SEC=OFFICIAL, ACCESS=Personal-Privacy"
        );
        assert_eq!(
            header_text(b" =?utf-8?q?SEC=3DPROTECTED?="),
            "SEC=PROTECTED"
        );
        assert_eq!(header_text(b""), "");
    }

    #[test]
    fn protective_marking_header_valid() {
        let labels = read(
            &[(
                "X-Protective-Marking",
                " VER=2018.1, NS=gov.au, SEC=OFFICIAL:Sensitive, CAVEAT=SH:CABINET, CAVEAT=C:KESTREL, \
                 EXPIRES=2030-06-30, DOWNTO=OFFICIAL, ACCESS=Personal-Privacy, NOTE=call me, ok, \
                 ORIGIN=jane.citizen@agency.gov.au\r\n",
            )],
            None,
        );
        let m = labels.protective_marking().expect("marking");
        assert_eq!(m.source, LabelSource::Header);
        assert_eq!(m.version.as_deref(), Some("2018.1"));
        assert_eq!(m.classification, AuClassification::OfficialSensitive);
        assert_eq!(m.caveats, ["SH:CABINET", "C:***"]);
        assert_eq!(
            m.expires.map(LabelDate::to_rfc3339).as_deref(),
            Some("2030-06-30T00:00:00Z")
        );
        assert_eq!(m.downto, Some(AuClassification::Official));
        assert_eq!(m.access, ["Personal-Privacy"]);
        assert_eq!(m.origin.as_deref(), Some("j***@a***.au"));
        assert!(m.has_note);
        assert!(
            labels.unrecognised().is_empty(),
            "{:?}",
            labels.unrecognised()
        );
    }

    #[test]
    fn protective_marking_folded_and_encoded() {
        let labels = read(
            &[(
                "x-protective-marking",
                " VER=2018.1, NS=gov.au,\r\n SEC=\r\n =?UTF-8?B?VE9QLVNFQ1JFVA==?=\r\n",
            )],
            None,
        );
        assert_eq!(
            labels.protective_marking().map(|m| m.classification),
            Some(AuClassification::TopSecret)
        );
        let labels = read(
            &[(
                "X-Protective-Marking",
                " VER=2018.1, NS=gov.au, SEC=OFFICIAL:Sensitive, EXPIRES=when the case closes",
            )],
            None,
        );
        let m = labels.protective_marking().unwrap();
        assert!(m.expires_on_event && m.expires.is_none());
    }

    #[test]
    fn protective_marking_malformed() {
        for (value, reason) in [
            ("VER=2018.1, NS=gov.au", "no valid SEC"),
            (
                "VER=2018.1, NS=gov.au, SEC=OFFICAL",
                "not one of the 2018.1",
            ),
            ("VER=2012.3, NS=gov.au, SEC=UNCLASSIFIED", "2012 standard"),
            ("garbage", "not a UK government classification"),
        ] {
            let labels = read(&[("X-Protective-Marking", value)], None);
            assert!(labels.protective_marking().is_none(), "{value}");
            assert!(
                reasons(&labels).iter().any(|r| r.contains(reason)),
                "{value}: {:?}",
                reasons(&labels)
            );
            // The reason never quotes the value.
            assert!(reasons(&labels)
                .iter()
                .all(|r| !r.contains("OFFICAL") && !r.contains("garbage")));
        }
        let labels = read(&[("X-Protective-Marking", "junk, SEC=PROTECTED")], None);
        assert_eq!(
            labels.protective_marking().unwrap().classification,
            AuClassification::Protected
        );
        assert_eq!(
            reasons(&labels),
            ["the protective marking does not start with KEY=value"]
        );
        let labels = read(
            &[(
                "X-Protective-Marking",
                "SEC=OFFICIAL, ACCESS=Everyone, COLOUR=blue, NS=gov.uk",
            )],
            None,
        );
        assert_eq!(
            labels.protective_marking().unwrap().classification,
            AuClassification::Official
        );
        assert_eq!(labels.unrecognised().len(), 3, "{:?}", reasons(&labels));
    }

    #[test]
    fn protective_marking_in_subject() {
        let labels = read(
            &[],
            Some("Re: case review [SEC=OFFICIAL:Sensitive, ACCESS=Personal-Privacy]"),
        );
        let m = labels.protective_marking().unwrap();
        assert_eq!(m.source, LabelSource::Subject);
        assert_eq!(m.classification, AuClassification::OfficialSensitive);
        assert_eq!(m.access, ["Personal-Privacy"]);
        let labels = read(&[], Some("Lunch [sec=unofficial]"));
        assert_eq!(
            labels.protective_marking().unwrap().classification,
            AuClassification::Unofficial
        );
        let labels = read(&[], Some("Lunch [SEC=UNOFFICIAL"));
        assert!(labels.protective_marking().is_none());
        assert_eq!(labels.unrecognised().len(), 1);
        // The header wins; a disagreeing subject is reported.
        let labels = read(
            &[(
                "X-Protective-Marking",
                "VER=2018.1, NS=gov.au, SEC=PROTECTED",
            )],
            Some("x [SEC=UNOFFICIAL]"),
        );
        assert_eq!(
            labels.protective_marking().unwrap().classification,
            AuClassification::Protected
        );
        assert_eq!(labels.unrecognised().len(), 1);
    }

    #[test]
    fn uk_classification_in_subject() {
        for (subject, level, descriptor) in [
            (
                "OFFICIAL-SENSITIVE: PERSONAL - case notes",
                UkLevel::OfficialSensitive,
                Some("PERSONAL"),
            ),
            (
                "RE: FW: OFFICIAL SENSITIVE budget",
                UkLevel::OfficialSensitive,
                None,
            ),
            ("[OFFICIAL] Minutes of the board", UkLevel::Official, None),
            ("OFFICIAL - Minutes", UkLevel::Official, None),
            (
                "Minutes (OFFICIAL-SENSITIVE COMMERCIAL)",
                UkLevel::OfficialSensitive,
                Some("COMMERCIAL"),
            ),
            ("SECRET: plans", UkLevel::Secret, None),
            ("[TOP SECRET] plans", UkLevel::TopSecret, None),
        ] {
            let labels = read(&[], Some(subject));
            let uk = labels
                .uk_classification()
                .unwrap_or_else(|| panic!("{subject}"));
            assert_eq!(uk.level, level, "{subject}");
            assert_eq!(
                uk.descriptors.first().map(String::as_str),
                descriptor,
                "{subject}"
            );
            assert_eq!(uk.source, LabelSource::Subject);
        }
        for subject in [
            "Official opening of the new ward",
            "SECRET SANTA draw",
            "OFFICIALLY launched",
            "Unofficial results",
            "Case review [SEC=OFFICIAL]",
        ] {
            assert!(
                read(&[], Some(subject)).uk_classification().is_none(),
                "{subject}"
            );
        }
    }

    #[test]
    fn fixed_patterns_compile() {
        // A pattern that failed to compile would silently read no UK label.
        assert!(UK_SUBJECT_START.is_some());
        assert!(UK_SUBJECT_BRACKETED.is_some());
        assert!(UK_HEADER.is_some());
    }

    #[test]
    fn uk_classification_in_header() {
        let labels = read(
            &[("X-Classification", " official-sensitive personal\r\n")],
            None,
        );
        let uk = labels.uk_classification().unwrap();
        assert_eq!(
            (uk.level, uk.source),
            (UkLevel::OfficialSensitive, LabelSource::Header)
        );
        assert_eq!(uk.descriptors, ["PERSONAL"]);
        assert_eq!(labels.location_of(LabelKind::Uk), "HEADER.X-Classification");
        // UK senders also use the Australian header for a bare classification.
        let labels = read(&[("X-Protective-Marking", " OFFICIAL-SENSITIVE\r\n")], None);
        assert!(labels.protective_marking().is_none());
        let uk = labels.uk_classification().unwrap();
        assert_eq!(
            (uk.level, uk.source),
            (UkLevel::OfficialSensitive, LabelSource::Header)
        );
        assert_eq!(
            labels.location_of(LabelKind::Uk),
            "HEADER.X-Protective-Marking"
        );
        assert!(labels.unrecognised().is_empty());
        let labels = read(&[("X-Protective-Marking", "PROTECTED")], None);
        assert_eq!(reasons(&labels), ["not a UK government classification"]);
        let labels = read(&[("X-Classification", "Confidential")], None);
        assert!(labels.uk_classification().is_none());
        assert_eq!(reasons(&labels), ["not a UK government classification"]);
    }

    #[test]
    fn sensitivity_header() {
        for (value, expected) in [
            ("Personal", Sensitivity::Personal),
            (" private\r\n", Sensitivity::Private),
            ("Company-Confidential", Sensitivity::CompanyConfidential),
            (
                "=?us-ascii?q?company-confidential?=",
                Sensitivity::CompanyConfidential,
            ),
        ] {
            assert_eq!(
                read(&[("Sensitivity", value)], None).sensitivity(),
                Some(expected)
            );
        }
        // Folded (an unusual but legal place to fold).
        assert_eq!(
            read(&[("Sensitivity", "\r\n Company-Confidential\r\n")], None).sensitivity(),
            Some(Sensitivity::CompanyConfidential)
        );
        assert!(read(&[("Sensitivity", "Normal")], None).is_empty());
        let labels = read(&[("Sensitivity", "Top")], None);
        assert_eq!(labels.sensitivity(), None);
        assert_eq!(labels.unrecognised().len(), 1);
    }

    #[test]
    fn expiry_headers() {
        let labels = read(
            &[
                ("Date", "Mon, 23 Nov 2026 10:00:00 +0000"),
                ("Expires", " Thu, 1 Jan 2037\r\n 00:00:00 +0000"),
                ("Expiry-Date", "Fri, 1 Jan 2027 00:00:00 +0000"),
            ],
            None,
        );
        let e = labels.expires().unwrap();
        assert_eq!(e.header, "Expires");
        assert_eq!(e.date.to_rfc3339(), "2037-01-01T00:00:00Z");
        assert_eq!(
            labels.sent.map(LabelDate::to_rfc3339).as_deref(),
            Some("2026-11-23T10:00:00Z")
        );
        let labels = read(&[("Expires", "next Tuesday")], None);
        assert!(labels.expires().is_none());
        assert_eq!(reasons(&labels), ["not an RFC 5322 date"]);
    }

    #[test]
    fn msip_labels_header() {
        let value = format!(
            " MSIP_Label_{GUID}_Enabled=true;\r\n MSIP_Label_{GUID}_SetDate=2026-01-05T10:00:00Z; MSIP_Label_{GUID}_Method=Standard;\r\n\tMSIP_Label_{GUID}_Name=Highly Confidential; MSIP_Label_{GUID}_SiteId=72f988bf-86f1-41af-91ab-2d7cd011db47;\r\n MSIP_Label_{GUID}_ContentBits=0; MSIP_Label_{GUID}_Extended_MSFT_Method=Manual\r\n"
        );
        let labels = read(&[("msip_labels", &value)], None);
        assert_eq!(labels.msip().len(), 1);
        let label = &labels.msip()[0];
        assert_eq!(label.id, GUID);
        assert_eq!(label.name.as_deref(), Some("Highly Confidential"));
        assert!(label.enabled);
        assert_eq!(label.method.as_deref(), Some("Standard"));
        assert!(labels.unrecognised().is_empty());
        assert_eq!(labels.values(LabelKind::MsipName), ["Highly Confidential"]);

        let value = format!("MSIP_Label_{GUID}_Enabled=false; MSIP_Label_{GUID}_Name=General");
        let labels = read(&[("MSIP_Labels", &value)], None);
        assert!(!labels.msip()[0].enabled);
        assert!(!labels.is_labelled());
        assert!(labels.values(LabelKind::MsipName).is_empty());

        // Encoded words, as some gateways re-encode long headers.
        let value = format!("=?utf-8?q?MSIP=5FLabel=5F{GUID}=5FName=3DIntern?= =?utf-8?q?al;?=");
        let labels = read(&[("msip_labels", &value)], None);
        assert_eq!(labels.values(LabelKind::MsipName), ["Internal"]);

        let labels = read(&[("msip_labels", "MSIP_Label_nope_Name=x; junk")], None);
        assert!(labels.msip().is_empty());
        assert_eq!(labels.unrecognised().len(), 1);
    }

    #[test]
    fn retention_header_and_long_values() {
        let labels = read(&[("X-Retention-Class", " transient\r\n")], None);
        assert_eq!(labels.retention_header(), Some("transient"));
        assert_eq!(
            labels.location_of(LabelKind::RetentionHeader),
            "HEADER.X-Retention-Class"
        );
        let labels = read(&[("X-Retention-Class", "")], None);
        assert_eq!(reasons(&labels), ["the retention header is empty"]);
        let long = "SEC=OFFICIAL, NOTE=".to_string() + &"x".repeat(MAX_LABEL_BYTES);
        let labels = read(&[("X-Protective-Marking", &long)], None);
        assert_eq!(reasons(&labels), ["the header is too long to be a label"]);
    }

    #[test]
    fn reader_resolves_classes_from_the_policy() {
        let policy = Policy::default();
        let reader = LabelReader::new(&policy).unwrap();
        let class_of = |headers: &[(&str, &str)], subject: Option<&str>| {
            let raw = crate::policy::testing::raw_headers(headers);
            let labels = reader.read(&raw, subject);
            (
                labels.retention_class().map(|c| c.name.clone()),
                labels.unrestricted_by.clone().map(|(claim, _)| claim),
                labels.unrecognised().len(),
            )
        };
        assert_eq!(
            class_of(
                &[(
                    "X-Protective-Marking",
                    "VER=2018.1, NS=gov.au, SEC=OFFICIAL:Sensitive"
                )],
                None
            ),
            (Some("sensitive".into()), None, 0)
        );
        assert_eq!(
            class_of(&[], Some("Lunch [SEC=UNOFFICIAL]")),
            (Some("transient".into()), Some("sec=UNOFFICIAL".into()), 0)
        );
        assert_eq!(
            class_of(&[], Some("OFFICIAL: rota")),
            (Some("standard".into()), Some("uk=OFFICIAL".into()), 0)
        );
        // The retention header wins over other labels, in any case.
        assert_eq!(
            class_of(
                &[("X-Retention-Class", "ARCHIVE"), ("Sensitivity", "Private")],
                None
            ),
            (Some("archive".into()), None, 0)
        );
        // A class the policy does not know is unrecognised; other labels still map.
        assert_eq!(
            class_of(
                &[("X-Retention-Class", "forever"), ("Sensitivity", "Private")],
                None
            ),
            (Some("sensitive".into()), None, 1)
        );
        assert_eq!(class_of(&[], Some("hello")), (None, None, 0));
    }

    #[test]
    fn free_text_values_are_cut_and_masked() {
        assert_eq!(short("Highly Confidential"), "Highly Confidential");
        assert_eq!(
            short("keep for jane.doe@example.com, ok"),
            "keep for j***@e***.com, ok"
        );
        assert_eq!(short(&"x".repeat(100)).len(), 64);
        // A cut at 64 bytes through an address must not leave its local
        // part (found by tests/policy_labels_props.rs).
        let long = format!("{} ORIGIN=leak.me@secret.example", "a".repeat(50));
        let kept = short(&long);
        assert!(!kept.contains("leak"), "{kept}");
        assert!(kept.len() <= 64);
        let labels = read(
            &[("X-Retention-Class", "ORIGIN=leak.me@secret.example")],
            None,
        );
        assert_eq!(labels.retention_header(), Some("ORIGIN=l***@s***.***"));
    }

    #[test]
    fn iso_dates() {
        assert!(parse_iso_date("2030-02-29").is_none());
        assert!(parse_iso_date("2028-02-29").is_some());
        assert!(parse_iso_date("2030-13-01").is_none());
        assert_eq!(
            parse_iso_date("2019-01-07T12:30:19")
                .map(LabelDate::to_rfc3339)
                .as_deref(),
            Some("2019-01-07T12:30:19Z")
        );
        assert!(parse_iso_date("2030-0a-01").is_none());
        assert!(parse_iso_date("2030-01-01X").is_none());
        assert!(parse_iso_date("é").is_none());
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        const NAMES: &[&str] = &[
            "X-Protective-Marking",
            "Sensitivity",
            "Expires",
            "Expiry-Date",
            "msip_labels",
            "X-Retention-Class",
            "X-Classification",
            "Date",
        ];

        proptest! {
            #[test]
            fn reading_arbitrary_values_never_panics(
                name in 0..NAMES.len(),
                value in proptest::collection::vec(any::<u8>(), 0..300),
                subject in ".{0,200}",
            ) {
                let headers = [RawHeader { name: NAMES[name], value: &value }];
                let labels = read_labels(&headers, Some(&subject), "X-Retention-Class", &["X-Classification".to_string()]);
                let _ = serde_json::to_string(&labels);
            }

            #[test]
            fn marking_like_text_never_panics(
                value in "(VER|NS|SEC|CAVEAT|EXPIRES|DOWNTO|ACCESS|NOTE|ORIGIN|=|,| |:|-|OFFICIAL|Sensitive|20[0-9]{2}-[0-9]{2}-[0-9]{2}|T|\\]|\\[|é){0,40}",
            ) {
                let headers = [RawHeader { name: "X-Protective-Marking", value: value.as_bytes() }];
                let subject = format!("x [SEC={value}");
                let _ = read_labels(&headers, Some(&subject), "X-Retention-Class", &[]);
            }

            #[test]
            fn msip_like_text_never_panics(
                value in "(MSIP_Label_|f42aa342-8706-4288-bd11-ebb85995028c|_Enabled|_Name|=|;|true| |é){0,30}",
            ) {
                let headers = [RawHeader { name: "msip_labels", value: value.as_bytes() }];
                let _ = read_labels(&headers, None, "", &[]);
            }
        }
    }
}
