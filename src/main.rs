//! `mailaudit`: the command-line face of the library. No audit logic lives
//! here: it reads files, hands bytes to an [`Auditor`] and prints reports.

use std::fs;
use std::io::{self, BufRead, BufReader, BufWriter, IsTerminal, Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand, ValueEnum};
use mailaudit::archive::{looks_like_mbox, MboxItem, MboxReader};
use mailaudit::{AuditOptions, Auditor, Envelope, Error, Policy, Report, Summary, Verdict};
use rayon::prelude::*;
use serde::Serialize;

#[derive(Parser)]
#[command(
    name = "mailaudit",
    version,
    about = "Audit outbound e-mail for exposed personal data"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Audit messages: files, directories (recursed) or `-` for standard input.
    ///
    /// Exit status: 0 when every message passes, 1 when a rule fired, 2 on an
    /// error (unreadable file, bad policy, unparseable message).
    Scan(ScanArgs),
    /// Print or check policies.
    Policy(PolicyArgs),
}

#[derive(clap::Args)]
struct ScanArgs {
    /// Policy file (TOML); it holds only what differs from the embedded default.
    #[arg(long, short)]
    policy: Option<PathBuf>,
    /// Output format: `text` for people, `json` (one document), `jsonl` (one line
    /// per message, then one per finding) for machines.
    #[arg(long, short, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Worker threads (default: all cores).
    #[arg(long, short)]
    jobs: Option<usize>,
    /// Add each finding's raw value to jsonl output (`"value"`). This prints
    /// personal data: use it for evaluation only, never in production logs.
    #[arg(long)]
    show_values: bool,
    /// SMTP MAIL FROM of the message (single-message use).
    #[arg(long)]
    mail_from: Option<String>,
    /// SMTP RCPT TO of the message; repeat for several.
    #[arg(long)]
    rcpt_to: Vec<String>,
    /// No progress bar, no summary line.
    #[arg(long, short)]
    quiet: bool,
    /// Print an aggregate at the end: verdicts, violations by rule, findings by
    /// type and category, top senders by violations (text, or JSON with
    /// `--format json`/`jsonl`).
    #[arg(long)]
    summary: bool,
    /// Files, directories, mbox archives (`archive.mbox#N` names each
    /// message), Maildir folders, or `-`.
    #[arg(required = true)]
    paths: Vec<String>,
}

#[derive(clap::Args)]
struct PolicyArgs {
    /// Print the embedded default policy.
    #[arg(long, conflicts_with = "check")]
    print_default: bool,
    /// Validate a policy file; errors name the key and its line and column.
    #[arg(long, value_name = "FILE")]
    check: Option<PathBuf>,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
    Jsonl,
}

fn main() -> ExitCode {
    mailaudit::redact_panic_messages();
    let cli = Cli::parse();
    match cli.command {
        Command::Scan(args) => scan(args),
        Command::Policy(args) => policy(args),
    }
}

fn policy(args: PolicyArgs) -> ExitCode {
    if let Some(path) = args.check {
        return match load_policy(Some(&path)) {
            Ok(_) => {
                println!("{}: ok", path.display());
                ExitCode::SUCCESS
            }
            Err(message) => {
                eprintln!("{message}");
                ExitCode::from(2)
            }
        };
    }
    if args.print_default {
        print!("{}", mailaudit::DEFAULT_POLICY_TOML);
        return ExitCode::SUCCESS;
    }
    eprintln!("mailaudit policy: give --print-default or --check FILE");
    ExitCode::from(2)
}

fn load_policy(path: Option<&Path>) -> Result<Policy, String> {
    match path {
        None => Ok(Policy::default()),
        Some(path) => {
            let text = fs::read_to_string(path)
                .map_err(|e| format!("{}: cannot read policy: {e}", path.display()))?;
            Policy::from_toml(&text).map_err(|e| format!("{}: {e}", path.display()))
        }
    }
}

/// One input: its name as given, and where to read it.
struct Input {
    name: String,
    source: Source,
}

enum Source {
    Stdin,
    File(PathBuf),
}

/// One message to audit, as the producer hands it to the workers.
enum Job {
    /// Read (a file, standard input, a message of an mbox).
    Bytes { name: String, bytes: Vec<u8> },
    /// Could not even be read.
    Failed { name: String, message: String },
}

/// The outcome for one input.
enum Outcome {
    Report(Box<Report>),
    Failed(String),
}

/// Turns inputs into jobs, streaming mbox archives message by message.
struct Jobs {
    inputs: std::vec::IntoIter<Input>,
    /// The archive being read: its name, reader and messages so far.
    mbox: Option<(String, MboxReader<ArchiveSource>, usize)>,
    max_bytes: u64,
    /// Some file turned out to be an mbox archive (its message count is
    /// unknown ahead).
    saw_mbox: bool,
}

impl Iterator for Jobs {
    type Item = Job;

    fn next(&mut self) -> Option<Job> {
        loop {
            if let Some((name, reader, index)) = &mut self.mbox {
                match reader.next() {
                    Some(item) => {
                        *index += 1;
                        let name = format!("{name}#{index}");
                        return Some(match item {
                            Ok(MboxItem::Message(bytes)) => Job::Bytes { name, bytes },
                            Ok(MboxItem::TooLarge { bytes }) => Job::Failed {
                                name,
                                message: Error::TooLarge {
                                    bytes,
                                    limit: self.max_bytes,
                                }
                                .to_string(),
                            },
                            Err(e) => Job::Failed {
                                name,
                                message: format!("cannot read: {e}"),
                            },
                        });
                    }
                    None => self.mbox = None,
                }
            }
            let input = self.inputs.next()?;
            match input.source {
                Source::File(path) => match open_file(&path, self.max_bytes) {
                    Opened::Message(bytes) => {
                        return Some(Job::Bytes {
                            name: input.name,
                            bytes,
                        })
                    }
                    Opened::Mbox(reader) => {
                        self.saw_mbox = true;
                        self.mbox = Some((input.name, MboxReader::new(reader, self.max_bytes), 0));
                    }
                    Opened::Failed(message) => {
                        return Some(Job::Failed {
                            name: input.name,
                            message,
                        })
                    }
                },
                Source::Stdin => {
                    return Some(match read_stdin(self.max_bytes) {
                        Ok(bytes) => Job::Bytes {
                            name: input.name,
                            bytes,
                        },
                        Err(message) => Job::Failed {
                            name: input.name,
                            message,
                        },
                    })
                }
            }
        }
    }
}

fn scan(args: ScanArgs) -> ExitCode {
    let policy = match load_policy(args.policy.as_deref()) {
        Ok(policy) => policy,
        Err(message) => {
            eprintln!("mailaudit: {message}");
            return ExitCode::from(2);
        }
    };
    let options = if args.show_values {
        AuditOptions::revealing_values()
    } else {
        AuditOptions::default()
    };
    let auditor = match Auditor::with_options(policy, options) {
        Ok(auditor) => auditor,
        Err(e) => {
            eprintln!("mailaudit: {e}");
            return ExitCode::from(2);
        }
    };
    let envelope = (args.mail_from.is_some() || !args.rcpt_to.is_empty())
        .then(|| Envelope::new(args.mail_from.clone(), args.rcpt_to.clone()));

    let mut listing_errors = Vec::new();
    let inputs = collect_inputs(&args.paths, &mut listing_errors);
    if let Some(jobs) = args.jobs {
        // Only fails when a global pool exists already, which it cannot here.
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(jobs.max(1))
            .build_global();
    }

    let stdout = io::stdout();
    let mut out = Printer::new(
        BufWriter::with_capacity(1 << 16, stdout.lock()),
        args.format,
        args.show_values,
    );
    let mut summary = Summary::default();
    let mut with_violations = 0u64;
    for (name, message) in &listing_errors {
        summary.add_error();
        out.failure(name, message);
    }
    let show_progress = !args.quiet && io::stderr().is_terminal();
    let known_total = inputs.len();
    let mut progress = Progress::new(known_total, show_progress);
    let max_bytes = auditor.policy().max_message_bytes();
    let mut jobs = Jobs {
        inputs: inputs.into_iter(),
        mbox: None,
        max_bytes,
        saw_mbox: false,
    };

    // Batches keep the output in input order and memory bounded.
    loop {
        let batch: Vec<Job> = jobs.by_ref().take(256).collect();
        if batch.is_empty() {
            break;
        }
        if jobs.saw_mbox {
            // An mbox holds an unknown number of messages: no bar then,
            // only rates.
            progress.total = 0;
        }
        let outcomes: Vec<(Outcome, usize)> = batch
            .par_iter()
            .map(|job| audit_job(&auditor, job, envelope.as_ref()))
            .collect();
        for (job, (outcome, bytes)) in batch.iter().zip(outcomes) {
            let name = match job {
                Job::Bytes { name, .. } | Job::Failed { name, .. } => name,
            };
            match &outcome {
                Outcome::Report(report) => {
                    summary.add(report);
                    if !report.violations().is_empty() {
                        with_violations += 1;
                    }
                    out.report(name, report);
                }
                Outcome::Failed(message) => {
                    summary.add_error();
                    out.failure(name, message);
                }
            }
            progress.advance(bytes);
        }
    }
    out.finish(&summary, args.summary);
    progress.clear();
    if !args.quiet {
        let v = &summary.verdicts;
        eprintln!(
            "mailaudit: {} messages audited: {} pass, {} warn, {} quarantine, {} reject; {} with violations; {} errors",
            summary.messages, v.pass, v.warn, v.quarantine, v.reject, with_violations, summary.errors
        );
    }
    if summary.errors > 0 {
        ExitCode::from(2)
    } else if with_violations > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn audit_job(auditor: &Auditor, job: &Job, envelope: Option<&Envelope>) -> (Outcome, usize) {
    let bytes: &[u8] = match job {
        Job::Failed { message, .. } => return (Outcome::Failed(message.clone()), 0),
        Job::Bytes { bytes, .. } => bytes,
    };
    let result = match envelope {
        Some(envelope) => auditor.audit_with_envelope(bytes, envelope),
        None => auditor.audit(bytes),
    };
    let outcome = match result {
        Ok(report) => Outcome::Report(Box::new(report)),
        Err(e) => Outcome::Failed(e.to_string()),
    };
    (outcome, bytes.len())
}

fn read_stdin(max_bytes: u64) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    io::stdin()
        .lock()
        .take(max_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read standard input: {e}"))?;
    Ok(bytes)
}

/// Where an mbox archive's bytes come from: memory or the open file.
type ArchiveSource = Box<dyn BufRead + Send>;

/// A file opened for auditing.
enum Opened {
    /// One message, read whole.
    Message(Vec<u8>),
    /// An mbox archive (it starts with `From `), to stream message by message.
    Mbox(ArchiveSource),
    /// Could not be read, or is a single message over the size limit.
    Failed(String),
}

/// Opens `path` once: a message no larger than `max_bytes` is read whole
/// and handed on, unless it turns out to be an mbox archive; a larger file
/// is read only far enough to tell whether it is an archive (which is then
/// streamed, whatever its size).
fn open_file(path: &Path, max_bytes: u64) -> Opened {
    let failed = |e: io::Error| Opened::Failed(format!("cannot read: {e}"));
    let mut file = match fs::File::open(path) {
        Ok(file) => file,
        Err(e) => return failed(e),
    };
    let len = match file.metadata() {
        Ok(metadata) => metadata.len(),
        Err(e) => return failed(e),
    };
    if len <= max_bytes {
        let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0).saturating_add(1));
        // `take`: a file that grows while it is read is still bounded.
        if let Err(e) = (&mut file)
            .take(max_bytes.saturating_add(1))
            .read_to_end(&mut bytes)
        {
            return failed(e);
        }
        return if looks_like_mbox(&bytes) {
            Opened::Mbox(Box::new(io::Cursor::new(bytes)))
        } else {
            Opened::Message(bytes)
        };
    }
    let mut head = [0u8; 5];
    let is_mbox = file.read_exact(&mut head).is_ok() && looks_like_mbox(&head);
    if !is_mbox {
        // Do not load what the auditor will refuse.
        return Opened::Failed(
            Error::TooLarge {
                bytes: len,
                limit: max_bytes,
            }
            .to_string(),
        );
    }
    match file.rewind() {
        Ok(()) => Opened::Mbox(Box::new(BufReader::with_capacity(1 << 16, file))),
        Err(e) => failed(e),
    }
}

/// A file input (message or mbox archive: told apart when it is read).
fn file_input(name: String, path: PathBuf) -> Input {
    Input {
        name,
        source: Source::File(path),
    }
}

/// Expands the command line's paths: files as given, directories recursed in
/// name order, `-` for standard input.
fn collect_inputs(paths: &[String], errors: &mut Vec<(String, String)>) -> Vec<Input> {
    let mut inputs = Vec::new();
    for path in paths {
        if path == "-" {
            inputs.push(Input {
                name: path.clone(),
                source: Source::Stdin,
            });
            continue;
        }
        let p = PathBuf::from(path);
        if p.is_dir() {
            walk_dir(&p, &mut inputs, errors);
        } else {
            inputs.push(file_input(path.clone(), p));
        }
    }
    inputs
}

/// A Maildir folder holds `cur/` and `new/` (and `tmp/`, whose files are
/// still being delivered and are skipped).
fn is_maildir(dir: &Path) -> bool {
    dir.join("cur").is_dir() && dir.join("new").is_dir()
}

fn walk_dir(dir: &Path, inputs: &mut Vec<Input>, errors: &mut Vec<(String, String)>) {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            errors.push((dir.display().to_string(), format!("cannot list: {e}")));
            return;
        }
    };
    let maildir = is_maildir(dir);
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if path.is_dir() {
            // Maildir++ keeps subfolders as `.Name` Maildirs beside cur/new.
            let maildir_subfolder = maildir && name.starts_with('.') && is_maildir(&path);
            if (name.starts_with('.') && !maildir_subfolder) || (maildir && name == "tmp") {
                continue;
            }
            walk_dir(&path, inputs, errors);
        } else if path.is_file() && !name.starts_with('.') {
            inputs.push(file_input(path.display().to_string(), path));
        }
    }
}

/// Writes reports in the chosen format.
struct Printer<W: Write> {
    out: W,
    format: Format,
    show_values: bool,
    first: bool,
    broken: bool,
}

#[derive(Serialize)]
struct JsonlMessage<'a> {
    file: &'a str,
    verdict: Verdict,
    recipient_exposure: bool,
    complete: bool,
    recipients: &'a mailaudit::RecipientCounts,
    violations: &'a [mailaudit::Violation],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    unscanned: &'a [mailaudit::Unscanned],
}

/// A finding's line as serde would write it: the reference for
/// [`write_finding_line`], which writes the same bytes by hand.
#[cfg(test)]
#[derive(Serialize)]
struct JsonlFinding<'a> {
    file: &'a str,
    #[serde(flatten)]
    finding: &'a mailaudit::Finding,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<&'a str>,
}

/// Writes one jsonl finding line: the bytes serde writes for
/// [`JsonlFinding`], but with the constant keys and names written as they
/// are, the file name escaped once per message (`file_json`) and each part's
/// location once per part (`location`), not once per finding. Output
/// dominated the CLI's time on messages full of findings.
fn write_finding_line<'r>(
    w: &mut impl Write,
    file_json: &[u8],
    location: &mut LocationJson<'r>,
    finding: &'r mailaudit::Finding,
    value: Option<&str>,
) -> io::Result<()> {
    w.write_all(b"{\"file\":")?;
    w.write_all(file_json)?;
    w.write_all(b",\"type\":\"")?;
    w.write_all(finding.data_type.as_str().as_bytes())?;
    w.write_all(b"\",\"category\":\"")?;
    w.write_all(finding.category.as_str().as_bytes())?;
    w.write_all(b"\",\"confidence\":")?;
    serde_json::to_writer(&mut *w, &finding.confidence)?;
    w.write_all(b",\"level\":\"")?;
    w.write_all(finding.level.as_str().as_bytes())?;
    w.write_all(b"\",\"location\":")?;
    location.write(w, &finding.location)?;
    w.write_all(b",\"masked\":")?;
    write_json_str(w, &finding.masked)?;
    if let Some(value) = value {
        w.write_all(b",\"value\":")?;
        write_json_str(w, value)?;
    }
    w.write_all(b"}\n")
}

/// A JSON string, as serde_json writes it: as is when nothing in it needs
/// escaping (the usual masked value), through serde_json otherwise.
fn write_json_str(w: &mut impl Write, s: &str) -> io::Result<()> {
    if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        w.write_all(b"\"")?;
        w.write_all(s.as_bytes())?;
        w.write_all(b"\"")
    } else {
        serde_json::to_writer(w, s).map_err(io::Error::from)
    }
}

/// The JSON of the last location written, without its byte range: the
/// findings of one part share it.
#[derive(Default)]
struct LocationJson<'r> {
    of: Option<&'r mailaudit::Location>,
    /// `{"part":...` up to, not including, the closing brace.
    prefix: Vec<u8>,
}

impl<'r> LocationJson<'r> {
    fn write(&mut self, w: &mut impl Write, location: &'r mailaudit::Location) -> io::Result<()> {
        let (Some(start), Some(end)) = (location.start, location.end) else {
            return serde_json::to_writer(w, location).map_err(io::Error::from);
        };
        let same_part = self.of.is_some_and(|last| {
            last.part == location.part
                && last.content_type == location.content_type
                && last.filename == location.filename
                && last.inner == location.inner
        });
        if !same_part {
            let mut bare = location.clone();
            bare.start = None;
            bare.end = None;
            self.prefix.clear();
            serde_json::to_writer(&mut self.prefix, &bare)?;
            self.prefix.pop();
            self.of = Some(location);
        }
        w.write_all(&self.prefix)?;
        w.write_all(b",\"start\":")?;
        write_decimal(w, start)?;
        w.write_all(b",\"end\":")?;
        write_decimal(w, end)?;
        w.write_all(b"}")
    }
}

/// `n` in decimal, without the formatting machinery (a line per finding).
fn write_decimal(w: &mut impl Write, mut n: usize) -> io::Result<()> {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    w.write_all(&digits[at..])
}

#[derive(Serialize)]
struct JsonError<'a> {
    file: &'a str,
    error: &'a str,
}

#[derive(Serialize)]
struct JsonMessage<'a> {
    file: &'a str,
    report: &'a Report,
}

impl<W: Write> Printer<W> {
    fn new(out: W, format: Format, show_values: bool) -> Self {
        Printer {
            out,
            format,
            show_values,
            first: true,
            broken: false,
        }
    }

    fn write(&mut self, f: impl FnOnce(&mut W) -> io::Result<()>) {
        if self.broken {
            return;
        }
        if f(&mut self.out).is_err() {
            // A closed pipe (`| head`) ends output, not the scan's exit status.
            self.broken = true;
        }
    }

    fn separator(&mut self) {
        if self.format == Format::Json {
            let first = std::mem::replace(&mut self.first, false);
            self.write(|w| {
                if first {
                    w.write_all(b"{\"messages\":[\n")
                } else {
                    w.write_all(b",\n")
                }
            });
        }
    }

    fn report(&mut self, file: &str, report: &Report) {
        self.separator();
        let show_values = self.show_values;
        match self.format {
            Format::Jsonl => self.write(|w| {
                serde_json::to_writer(
                    &mut *w,
                    &JsonlMessage {
                        file,
                        verdict: report.verdict(),
                        recipient_exposure: report.has_violation("exposed-recipient-list"),
                        complete: report.is_complete(),
                        recipients: report.recipients(),
                        violations: report.violations(),
                        unscanned: report.unscanned(),
                    },
                )?;
                w.write_all(b"\n")?;
                if report.findings().is_empty() {
                    return Ok(());
                }
                let file_json = serde_json::to_vec(file)?;
                let mut location = LocationJson::default();
                for finding in report.findings() {
                    let value = if show_values {
                        finding.revealed_value()
                    } else {
                        None
                    };
                    write_finding_line(&mut *w, &file_json, &mut location, finding, value)?;
                }
                Ok(())
            }),
            Format::Json => self.write(|w| {
                serde_json::to_writer(&mut *w, &JsonMessage { file, report })
                    .map_err(io::Error::from)
            }),
            Format::Text => self.write(|w| write_text(w, file, report)),
        }
    }

    fn failure(&mut self, file: &str, message: &str) {
        self.separator();
        match self.format {
            Format::Jsonl | Format::Json => {
                let jsonl = self.format == Format::Jsonl;
                self.write(|w| {
                    serde_json::to_writer(
                        &mut *w,
                        &JsonError {
                            file,
                            error: message,
                        },
                    )?;
                    if jsonl {
                        w.write_all(b"\n")?;
                    }
                    Ok(())
                })
            }
            Format::Text => self.write(|w| writeln!(w, "{file}: ERROR: {message}")),
        }
    }

    fn finish(&mut self, summary: &Summary, print_summary: bool) {
        let format = self.format;
        let first = self.first;
        self.write(|w| match format {
            Format::Json => {
                if first {
                    w.write_all(b"{\"messages\":[")?;
                }
                w.write_all(b"\n],\"summary\":")?;
                w.write_all(summary.to_json().as_bytes())?;
                w.write_all(b"}\n")
            }
            Format::Jsonl if print_summary => {
                w.write_all(b"{\"summary\":")?;
                w.write_all(summary.to_json().as_bytes())?;
                w.write_all(b"}\n")
            }
            Format::Text if print_summary => w.write_all(summary.to_text().as_bytes()),
            _ => Ok(()),
        });
        self.write(|w| w.flush());
    }
}

fn write_text(w: &mut impl Write, file: &str, report: &Report) -> io::Result<()> {
    writeln!(w, "{file}: {}", report.verdict().as_str().to_uppercase())?;
    let r = report.recipients();
    writeln!(
        w,
        "  recipients: to {}, cc {}, bcc {}; visible {}, external {} at {} domain(s), consumer {}, malformed {}",
        r.to, r.cc, r.bcc, r.visible, r.external, r.external_domains, r.consumer, r.malformed
    )?;
    for v in report.violations() {
        writeln!(
            w,
            "  [{}/{}] {}: {}",
            v.severity, v.action, v.rule, v.message
        )?;
        for e in &v.evidence {
            writeln!(w, "      at {}: {}", e.location.part, e.detail)?;
        }
    }
    if !report.findings().is_empty() {
        writeln!(w, "  findings: {}", report.findings().len())?;
        for f in report.findings() {
            let span = match (f.location.start, f.location.end) {
                (Some(s), Some(e)) => format!(" [{s}..{e}]"),
                _ => String::new(),
            };
            let file = f
                .location
                .filename
                .as_deref()
                .map(|n| format!(" ({n})"))
                .unwrap_or_default();
            writeln!(
                w,
                "    {} {} at {}{file}{span}, {} {:.2}, {}",
                f.data_type.as_str(),
                f.masked,
                f.location.part,
                f.category.as_str(),
                f.confidence,
                match f.level {
                    mailaudit::Level::High => "high",
                    mailaudit::Level::Medium => "medium",
                    mailaudit::Level::Low => "low",
                }
            )?;
        }
    }
    for u in report.unscanned() {
        let what = u.location.content_type.as_deref().unwrap_or("unknown type");
        let name = u.location.filename.as_deref().unwrap_or("");
        writeln!(
            w,
            "  not scanned: {} {what} {name}: {}",
            u.location.part, u.reason
        )?;
    }
    if !report.is_complete() {
        writeln!(
            w,
            "  incomplete: limits reached: {}",
            report.truncated().join(", ")
        )?;
    }
    Ok(())
}

/// A one-line progress bar on standard error, when it is a terminal.
struct Progress {
    total: usize,
    done: usize,
    bytes: u64,
    started: Instant,
    last_draw: Instant,
    enabled: bool,
}

impl Progress {
    fn new(total: usize, enabled: bool) -> Self {
        let now = Instant::now();
        Progress {
            total,
            done: 0,
            bytes: 0,
            started: now,
            last_draw: now,
            enabled,
        }
    }

    fn advance(&mut self, bytes: usize) {
        self.done += 1;
        self.bytes += bytes as u64;
        if self.enabled && self.last_draw.elapsed() >= Duration::from_millis(100) {
            self.last_draw = Instant::now();
            let secs = self.started.elapsed().as_secs_f64().max(1e-6);
            let width = 30;
            let bar = if let Some(filled) = (width * self.done).checked_div(self.total) {
                let filled = filled.min(width);
                format!(
                    "[{}{}] {}/{}",
                    "#".repeat(filled),
                    " ".repeat(width - filled),
                    self.done,
                    self.total
                )
            } else {
                self.done.to_string()
            };
            eprint!(
                "\r{bar} messages, {:.0} msg/s, {:.1} MB/s ",
                self.done as f64 / secs,
                self.bytes as f64 / secs / 1e6
            );
        }
    }

    fn clear(&self) {
        if self.enabled {
            eprint!("\r{}\r", " ".repeat(100));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_match_display() {
        for n in [0, 7, 10, 99, 100, 123_456, usize::MAX] {
            let mut out = Vec::new();
            write_decimal(&mut out, n).expect("write");
            assert_eq!(String::from_utf8_lossy(&out), n.to_string());
        }
    }

    /// Hand-written finding lines are byte for byte what serde writes, for
    /// every kind of location and with or without values.
    #[test]
    fn finding_lines_match_serde() {
        let raw = "From: a@example.org\r\nTo: b@example.net\r\nSubject: NHS 943 476 5919\r\n\
                   MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n\
                   --b\r\nContent-Type: text/plain\r\n\r\nNHS number: 943 476 5919, call \
                   020 7946 0958, mail \"jo\"@example.com, IP 203.0.113.7\r\n--b\r\n\
                   Content-Type: text/csv; name=\"p \\\"q\\\".csv\"\r\n\
                   Content-Disposition: attachment; filename=\"p \\\"q\\\".csv\"\r\n\r\n\
                   Name,Email,DOB\r\nJo,jo@example.com,14/07/1983\r\n--b--\r\n";
        for options in [AuditOptions::default(), AuditOptions::revealing_values()] {
            let reveal = options.reveal_values;
            let auditor = Auditor::with_options(Policy::default(), options).expect("auditor");
            let report = auditor.audit(raw.as_bytes()).expect("report");
            assert!(report.findings().len() >= 5, "{:?}", report.findings());
            let file = "dir/\"odd\" name\\.eml";
            let file_json = serde_json::to_vec(file).expect("json");
            let mut location = LocationJson::default();
            for finding in report.findings() {
                let value = if reveal {
                    finding.revealed_value()
                } else {
                    None
                };
                let mut expected = serde_json::to_vec(&JsonlFinding {
                    file,
                    finding,
                    value,
                })
                .expect("json");
                expected.push(b'\n');
                let mut written = Vec::new();
                write_finding_line(&mut written, &file_json, &mut location, finding, value)
                    .expect("write");
                assert_eq!(
                    String::from_utf8_lossy(&written),
                    String::from_utf8_lossy(&expected)
                );
            }
        }
    }
}
