//! Python bindings for mailaudit, built with PyO3 as an abi3 extension
//! (`mailaudit._native`; the package `mailaudit` re-exports it).
//!
//! The bindings add no audit logic: they turn Python bytes into `&[u8]`,
//! call the library, and turn each [`mailaudit::Report`] into a `dict` through
//! its JSON form, so Python sees exactly what `mailaudit scan --format json`
//! prints. Batch calls release the GIL and audit on the rayon pool.
#![deny(missing_docs)]

use std::sync::Arc;

use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyDict, PyString};
use rayon::prelude::*;

create_exception!(
    mailaudit,
    MailauditError,
    PyException,
    "Raised when a policy is invalid or a message cannot be audited at all.\n\n\
     The message names the problem (for a policy: the key, line and column) and \
     never contains message content, so it is safe to log."
);

/// Messages handed to the rayon pool at once by `audit_many`: large enough to
/// keep every core busy, small enough that the borrowed inputs and pending
/// results of one batch stay a bounded slice of the caller's data.
const BATCH_MESSAGES: usize = 2048;

static JSON_LOADS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// Parses a report's JSON into Python objects with the standard library's
/// C-accelerated parser: the dict has the documented JSON shape by
/// construction.
fn to_python(py: Python<'_>, json: &str) -> PyResult<Py<PyAny>> {
    let loads = JSON_LOADS.import(py, "json", "loads")?;
    Ok(loads.call1((json,))?.unbind())
}

fn error_to_python(error: impl std::fmt::Display) -> PyErr {
    MailauditError::new_err(error.to_string())
}

/// Audits raw RFC 5322 messages against a policy.
///
/// Build one per process (or per Spark partition) and reuse it: compiling the
/// policy is the expensive part, auditing is cheap. It is thread-safe.
#[pyclass(frozen, module = "mailaudit")]
struct Auditor {
    inner: Arc<mailaudit::Auditor>,
}

/// What `audit_many` does with a message that cannot be audited.
#[derive(Clone, Copy)]
enum OnError {
    Raise,
    Report,
}

/// What the batch calls return per message.
#[derive(Clone, Copy)]
enum Output {
    /// A dict (the report JSON, parsed).
    Dict,
    /// The report's JSON text.
    Json,
}

#[pymethods]
impl Auditor {
    /// Compiles `policy_toml` (only what differs from the embedded default;
    /// `None` for the default policy). Raises `MailauditError` if the policy
    /// is invalid.
    #[new]
    #[pyo3(signature = (policy_toml = None))]
    fn new(py: Python<'_>, policy_toml: Option<&str>) -> PyResult<Self> {
        let policy = match policy_toml {
            Some(text) => mailaudit::Policy::from_toml(text).map_err(error_to_python)?,
            None => mailaudit::Policy::default(),
        };
        let auditor = py
            .detach(|| mailaudit::Auditor::new(policy))
            .map_err(error_to_python)?;
        Ok(Auditor {
            inner: Arc::new(auditor),
        })
    }

    /// Audits one raw message and returns its report as a dict (the JSON
    /// report of `mailaudit scan --format json`). Raises `MailauditError` if
    /// the input is not a message (empty, too large, no header).
    fn audit(&self, py: Python<'_>, raw: &[u8]) -> PyResult<Py<PyAny>> {
        let auditor = &self.inner;
        let json = py
            .detach(|| auditor.audit(raw).map(|report| report.to_json()))
            .map_err(error_to_python)?;
        to_python(py, &json)
    }

    /// Audits every message of an iterable of `bytes` in parallel, with the
    /// GIL released, and returns the reports in input order.
    ///
    /// `errors="raise"` (default) raises `MailauditError` for the first
    /// message that cannot be audited, naming its index;
    /// `errors="report"` puts `{"error": "..."}` in its place instead.
    /// A `summary` given here counts every report and error.
    #[pyo3(signature = (messages, *, errors = "raise", summary = None))]
    fn audit_many(
        &self,
        py: Python<'_>,
        messages: &Bound<'_, PyAny>,
        errors: &str,
        summary: Option<&Bound<'_, Summary>>,
    ) -> PyResult<Vec<Py<PyAny>>> {
        self.audit_iterable(py, messages, errors, summary, Output::Dict)
    }

    /// Like `audit_many`, but each report (or `{"error": "..."}`) comes back
    /// as its JSON text: for writing reports straight to storage, without
    /// building dicts only to serialise them again.
    #[pyo3(signature = (messages, *, errors = "raise", summary = None))]
    fn audit_many_json(
        &self,
        py: Python<'_>,
        messages: &Bound<'_, PyAny>,
        errors: &str,
        summary: Option<&Bound<'_, Summary>>,
    ) -> PyResult<Vec<Py<PyAny>>> {
        self.audit_iterable(py, messages, errors, summary, Output::Json)
    }

    /// The policy this auditor enforces, as complete TOML (defaults included).
    fn policy_toml(&self) -> String {
        self.inner.policy().to_toml()
    }
}

impl Auditor {
    fn audit_iterable(
        &self,
        py: Python<'_>,
        messages: &Bound<'_, PyAny>,
        errors: &str,
        summary: Option<&Bound<'_, Summary>>,
        output: Output,
    ) -> PyResult<Vec<Py<PyAny>>> {
        let on_error = match errors {
            "raise" => OnError::Raise,
            "report" => OnError::Report,
            _ => {
                return Err(PyValueError::new_err(
                    "errors must be \"raise\" or \"report\"",
                ))
            }
        };
        let mut reports = Vec::new();
        let mut batch: Vec<Bound<'_, PyBytes>> = Vec::with_capacity(BATCH_MESSAGES);
        for item in messages.try_iter()? {
            let item = item?;
            let raw = item
                .cast_into::<PyBytes>()
                .map_err(|_| PyTypeError::new_err("expected an iterable of bytes objects"))?;
            batch.push(raw);
            if batch.len() == BATCH_MESSAGES {
                self.audit_batch(py, &batch, on_error, output, summary, &mut reports)?;
                batch.clear();
            }
        }
        self.audit_batch(py, &batch, on_error, output, summary, &mut reports)?;
        Ok(reports)
    }

    fn audit_batch(
        &self,
        py: Python<'_>,
        batch: &[Bound<'_, PyBytes>],
        on_error: OnError,
        output: Output,
        summary: Option<&Bound<'_, Summary>>,
        reports: &mut Vec<Py<PyAny>>,
    ) -> PyResult<()> {
        // `bytes` objects are immutable and `batch` keeps them alive, so the
        // slices stay valid while other threads read them without the GIL.
        let inputs: Vec<&[u8]> = batch.iter().map(|raw| raw.as_bytes()).collect();
        let auditor = &*self.inner;
        let keep_reports = summary.is_some();
        let outcomes: Vec<Result<(String, Option<mailaudit::Report>), mailaudit::Error>> = py
            .detach(|| {
                inputs
                    .par_iter()
                    .map(|raw| {
                        auditor.audit(raw).map(|report| {
                            let json = report.to_json();
                            (json, keep_reports.then_some(report))
                        })
                    })
                    .collect()
            });
        let first_index = reports.len();
        for (offset, outcome) in outcomes.into_iter().enumerate() {
            match outcome {
                Ok((json, report)) => {
                    if let (Some(summary), Some(report)) = (summary, report) {
                        summary.borrow_mut().inner.add(&report);
                    }
                    reports.push(match output {
                        Output::Dict => to_python(py, &json)?,
                        Output::Json => PyString::new(py, &json).into_any().unbind(),
                    });
                }
                Err(error) => match on_error {
                    OnError::Raise => {
                        return Err(MailauditError::new_err(format!(
                            "message {}: {error}",
                            first_index + offset
                        )))
                    }
                    OnError::Report => {
                        if let Some(summary) = summary {
                            summary.borrow_mut().inner.add_error();
                        }
                        let message = error.to_string();
                        reports.push(match output {
                            Output::Dict => {
                                let entry = PyDict::new(py);
                                entry.set_item("error", message)?;
                                entry.into_any().unbind()
                            }
                            Output::Json => {
                                let json = serde_json::json!({ "error": message }).to_string();
                                PyString::new(py, &json).into_any().unbind()
                            }
                        });
                    }
                },
            }
        }
        Ok(())
    }
}

/// Aggregate counts over many audits, computed by the library's `Summary`
/// (the same numbers as `mailaudit scan --summary`).
///
/// Fill it with `Auditor.audit_many(..., summary=s)`; combine partial summaries
/// (one per worker) with `merge`; read it with `to_dict` or `to_json`.
#[pyclass(module = "mailaudit")]
#[derive(Default)]
struct Summary {
    inner: mailaudit::Summary,
}

#[pymethods]
impl Summary {
    /// An empty summary.
    #[new]
    fn new() -> Self {
        Summary::default()
    }

    /// Adds everything counted in `other` to this summary.
    fn merge(slf: &Bound<'_, Self>, other: &Bound<'_, Summary>) -> PyResult<()> {
        // Copy first, so `s.merge(s)` doubles `s` instead of failing on a
        // second borrow of the same object.
        let theirs = other.try_borrow()?.inner.clone();
        slf.try_borrow_mut()?.inner.merge(theirs);
        Ok(())
    }

    /// The summary as a JSON document (the shape of `scan --summary --format json`).
    fn to_json(&self) -> String {
        self.inner.to_json()
    }

    /// The summary as a dict.
    fn to_dict(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        to_python(py, &self.inner.to_json())
    }

    /// Rebuilds a summary from `to_json` output, e.g. one sent back by a
    /// remote worker. Raises `MailauditError` if the document does not parse.
    #[staticmethod]
    fn from_json(json: &str) -> PyResult<Summary> {
        summary_from_json(json).map(|inner| Summary { inner })
    }

    /// Pickling (Spark and multiprocessing send summaries between processes).
    fn __getstate__(&self) -> String {
        self.inner.to_json()
    }

    fn __setstate__(&mut self, state: &str) -> PyResult<()> {
        self.inner = summary_from_json(state)?;
        Ok(())
    }

    fn __repr__(&self) -> String {
        format!(
            "Summary(messages={}, errors={})",
            self.inner.messages, self.inner.errors
        )
    }
}

fn summary_from_json(json: &str) -> PyResult<mailaudit::Summary> {
    // serde_json's messages give a position, never the document's text.
    serde_json::from_str(json)
        .map_err(|e| MailauditError::new_err(format!("not a summary document: {e}")))
}

/// Splits an mbox archive (mboxrd or mboxo: messages start at `From ` lines,
/// `>From ` lines are unquoted) into raw messages, the way
/// `mailaudit scan` reads it, so counts agree with the command line.
#[pyfunction]
fn split_mbox(py: Python<'_>, data: &[u8]) -> Vec<Py<PyBytes>> {
    let messages = py.detach(|| mailaudit::archive::split_mbox(data));
    messages
        .iter()
        .map(|message| PyBytes::new(py, message).unbind())
        .collect()
}

/// The compiled part of the `mailaudit` package.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Auditor>()?;
    m.add_class::<Summary>()?;
    m.add_function(wrap_pyfunction!(split_mbox, m)?)?;
    m.add("MailauditError", m.py().get_type::<MailauditError>())?;
    m.add("DEFAULT_POLICY_TOML", mailaudit::DEFAULT_POLICY_TOML)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
