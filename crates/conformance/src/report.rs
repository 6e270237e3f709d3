//! Reports: human text (one line per check while it runs, then a summary), JSON (schema in
//! `docs/conformance.md`) and JUnit XML.

use crate::check::{Outcome, Status};
use crate::runner::{CheckResult, Run};
use serde_json::{Value, json};
use std::fmt::Write as _;

pub mod html;

/// The `schema` member of JSON reports.
pub const JSON_SCHEMA: &str = "idp-conformance/report/v1";

/// Report formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// Human text.
    #[default]
    Text,
    /// JSON, [`JSON_SCHEMA`].
    Json,
    /// JUnit XML.
    Junit,
    /// One self-contained HTML page ([`html::html`]).
    Html,
}

/// A report format name that is none of `text`, `json`, `junit`, `html`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown format `{0}` (text, json, junit, html)")]
pub struct UnknownFormat(pub String);

impl std::str::FromStr for Format {
    type Err = UnknownFormat;

    fn from_str(text: &str) -> Result<Format, UnknownFormat> {
        match text {
            "text" => Ok(Format::Text),
            "json" => Ok(Format::Json),
            "junit" => Ok(Format::Junit),
            "html" => Ok(Format::Html),
            other => Err(UnknownFormat(other.to_owned())),
        }
    }
}

/// The progress line of one result: `PASS DISC-01 title (3 ms)` plus the evidence, reason or notes.
pub fn progress_line(result: &CheckResult) -> String {
    let mut line = format!(
        "{} {:<8} {} ({} ms)",
        result.status.label(),
        result.check.id,
        result.check.title,
        result.duration.as_millis()
    );
    match &result.outcome {
        Outcome::Pass => {}
        Outcome::Fail { evidence } => {
            let _ = write!(line, "\n       {evidence}");
        }
        Outcome::Skipped { reason } => {
            let _ = write!(line, "\n       skipped: {reason}");
        }
    }
    for note in &result.notes {
        let _ = write!(line, "\n       note: {note}");
    }
    line
}

/// The whole run as text.
pub fn text(run: &Run) -> String {
    let mut out = format!(
        "idp-conformance: {} ({}, issuer {})\n",
        run.target, run.provider, run.issuer
    );
    for result in &run.results {
        out.push_str(&progress_line(result));
        out.push('\n');
    }
    out.push_str(&summary_line(run));
    out.push('\n');
    out
}

/// `N checks: P passed, F failed, W warnings, S skipped in T ms`.
pub fn summary_line(run: &Run) -> String {
    let s = run.summary();
    format!(
        "{} checks: {} passed, {} failed, {} warnings, {} skipped in {} ms",
        s.total,
        s.passed,
        s.failed,
        s.warned,
        s.skipped,
        run.duration.as_millis()
    )
}

/// The run as JSON (see `docs/conformance.md` for the schema).
pub fn json(run: &Run) -> Value {
    let results: Vec<Value> = run
        .results
        .iter()
        .map(|result| {
            let mut entry = json!({
                "id": result.check.id,
                "title": result.check.title,
                "suite": result.check.area.suite(),
                "spec": result.check.spec,
                "level": result.check.level,
                "on_real": result.check.on_real,
                "status": status_name(result.status),
                "duration_ms": result.duration.as_millis() as u64,
                "notes": result.notes,
            });
            match &result.outcome {
                Outcome::Pass => {}
                Outcome::Fail { evidence } => entry["evidence"] = json!(evidence),
                Outcome::Skipped { reason } => entry["reason"] = json!(reason),
            }
            entry
        })
        .collect();
    json!({
        "schema": JSON_SCHEMA,
        "target": { "name": run.target, "provider": run.provider, "issuer": run.issuer, "kind": run.kind },
        "summary": run.summary(),
        "passed": run.passed(),
        "duration_ms": run.duration.as_millis() as u64,
        "results": results,
    })
}

fn status_name(status: Status) -> &'static str {
    match status {
        Status::Pass => "pass",
        Status::Fail => "fail",
        Status::Warn => "warn",
        Status::Skip => "skip",
    }
}

fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\t' | '\r') => out.push('?'),
            c => out.push(c),
        }
    }
    out
}

fn seconds(duration: std::time::Duration) -> String {
    format!("{:.3}", duration.as_secs_f64())
}

/// The run as JUnit XML: one `<testsuite>` per area, one `<testcase>` per check; failures as
/// `<failure>`, skips as `<skipped>`, warnings as passing cases with `<system-out>`.
pub fn junit(run: &Run) -> String {
    let summary = run.summary();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"idp-conformance {}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\" time=\"{}\">",
        xml(&run.target),
        summary.total,
        summary.failed,
        summary.skipped,
        seconds(run.duration)
    );
    let mut areas: Vec<_> = run.results.iter().map(|r| r.check.area).collect();
    areas.dedup();
    for area in areas {
        let cases: Vec<&CheckResult> = run.results.iter().filter(|r| r.check.area == area).collect();
        let failures = cases.iter().filter(|r| r.status == Status::Fail).count();
        let skipped = cases.iter().filter(|r| r.status == Status::Skip).count();
        let time: std::time::Duration = cases.iter().map(|r| r.duration).sum();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\" time=\"{}\">",
            area.suite(),
            cases.len(),
            seconds(time)
        );
        for result in cases {
            let _ = write!(
                out,
                "    <testcase classname=\"{}.{}\" name=\"{} {}\" time=\"{}\"",
                xml(&run.target),
                area.suite(),
                result.check.id,
                xml(result.check.title),
                seconds(result.duration)
            );
            let mut body = String::new();
            match (&result.outcome, result.status) {
                (Outcome::Fail { evidence }, Status::Fail) => {
                    let _ = writeln!(
                        body,
                        "      <failure message=\"{}\" type=\"{}\">{}</failure>",
                        xml(&evidence.message),
                        result.check.level,
                        xml(&evidence.to_string())
                    );
                }
                (Outcome::Fail { evidence }, _) => {
                    let _ = writeln!(
                        body,
                        "      <system-out>warning: {}</system-out>",
                        xml(&evidence.to_string())
                    );
                }
                (Outcome::Skipped { reason }, _) => {
                    let _ = writeln!(body, "      <skipped message=\"{}\"/>", xml(reason));
                }
                (Outcome::Pass, _) if !result.notes.is_empty() => {
                    let _ = writeln!(body, "      <system-out>{}</system-out>", xml(&result.notes.join("\n")));
                }
                (Outcome::Pass, _) => {}
            }
            if body.is_empty() {
                out.push_str("/>\n");
            } else {
                out.push_str(">\n");
                out.push_str(&body);
                out.push_str("    </testcase>\n");
            }
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

/// The run in `format`.
pub fn render(run: &Run, format: Format) -> String {
    match format {
        Format::Text => text(run),
        Format::Json => {
            let mut text = serde_json::to_string_pretty(&json(run)).unwrap_or_default();
            text.push('\n');
            text
        }
        Format::Junit => junit(run),
        Format::Html => html::html(run, providers::Clock::now(&providers::SystemClock)),
    }
}
