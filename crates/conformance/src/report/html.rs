//! The run as one self-contained HTML page (`--format html`): inline CSS, no script and no
//! external asset, so it can be archived as a CI artifact and opened offline. Per area the
//! pass/fail/warn/skip counts; per check its status, spec and level, with the evidence, the
//! skip reason and the notes folded in `<details>`.

use crate::check::{Area, Outcome, Status};
use crate::runner::{CheckResult, Run};
use std::fmt::Write as _;

const STYLE: &str = "\
body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#1d2329}
h1{font-size:1.5rem;margin:0 0 .25rem}h2{font-size:1.15rem;margin:2rem 0 .5rem}
.verdict{display:inline-block;padding:.2rem .7rem;border-radius:.3rem;font-weight:700;color:#fff}
.verdict.passed{background:#1f7a3a}.verdict.failed{background:#b3261e}
dl.target{display:grid;grid-template-columns:max-content 1fr;gap:.15rem 1rem;margin:1rem 0}
dl.target dt{font-weight:600}dl.target dd{margin:0;font-family:ui-monospace,monospace;word-break:break-all}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #dde1e5;vertical-align:top}
th{background:#f3f5f7}.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}tr.total td{font-weight:700}
.badge{display:inline-block;min-width:3.2rem;text-align:center;border-radius:.25rem;font-weight:700;font-size:.8rem;padding:.05rem .3rem;color:#fff}
.pass{background:#1f7a3a}.fail{background:#b3261e}.warn{background:#a15c00}.skip{background:#5f6b76}
td.n.fail,td.n.warn,td.n.pass,td.n.skip{background:none;color:inherit}
details{margin-top:.2rem}summary{cursor:pointer;color:#3a4650}
pre{white-space:pre-wrap;word-break:break-word;background:#f6f8fa;padding:.5rem;margin:.3rem 0;border-radius:.25rem}
code{font-family:ui-monospace,monospace}";

/// The run as a self-contained HTML document, stamped with `generated_at` (seconds since the
/// Unix epoch).
pub fn html(run: &Run, generated_at: u64) -> String {
    let summary = run.summary();
    let verdict = if run.passed() { "passed" } else { "failed" };
    let mut out = String::with_capacity(16 * 1024 + run.results.len() * 512);
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let _ = writeln!(
        out,
        "<title>idp-conformance: {} ({verdict})</title>",
        escape(&run.target)
    );
    let _ = writeln!(out, "<style>{STYLE}</style>\n</head>\n<body>");
    let _ = writeln!(
        out,
        "<h1>idp-conformance report</h1>\n<p><span class=\"verdict {verdict}\" id=\"verdict\">{}</span></p>",
        verdict.to_uppercase()
    );
    out.push_str("<dl class=\"target\">\n");
    for (term, value) in [
        ("target", run.target.as_str()),
        ("provider", run.provider.as_str()),
        ("issuer", run.issuer.as_str()),
        ("kind", kind_name(run)),
    ] {
        let _ = writeln!(out, "<dt>{term}</dt><dd id=\"{term}\">{}</dd>", escape(value));
    }
    let _ = writeln!(
        out,
        "<dt>generated</dt><dd id=\"generated\">{}</dd>\n<dt>duration</dt><dd>{} ms</dd>\n</dl>",
        rfc3339_utc(generated_at),
        run.duration.as_millis()
    );

    out.push_str("<h2>Summary by area</h2>\n<table id=\"summary\">\n");
    out.push_str(
        "<tr><th>area</th><th class=\"n\">checks</th><th class=\"n\">pass</th><th class=\"n\">fail</th>\
         <th class=\"n\">warn</th><th class=\"n\">skip</th></tr>\n",
    );
    for area in Area::ALL {
        let counts = Counts::of(run.results.iter().filter(|r| r.check.area == area));
        if counts.total == 0 {
            continue;
        }
        counts.row(&mut out, area.suite(), "");
    }
    Counts {
        total: summary.total,
        pass: summary.passed,
        fail: summary.failed,
        warn: summary.warned,
        skip: summary.skipped,
    }
    .row(&mut out, "total", " class=\"total\"");
    out.push_str("</table>\n");

    out.push_str("<h2>Checks</h2>\n<table id=\"checks\">\n");
    out.push_str("<tr><th>status</th><th>check</th><th>spec</th><th>level</th><th class=\"n\">time</th></tr>\n");
    for result in &run.results {
        check_row(&mut out, result);
    }
    out.push_str("</table>\n</body>\n</html>\n");
    out
}

fn check_row(out: &mut String, result: &CheckResult) {
    let status = status_class(result.status);
    let _ = write!(
        out,
        "<tr id=\"{id}\" class=\"check {status}-row\"><td><span class=\"badge {status}\">{label}</span></td>\
         <td><code>{id}</code> {title}",
        id = escape(result.check.id),
        label = result.status.label(),
        title = escape(result.check.title),
    );
    let folded = match &result.outcome {
        Outcome::Pass => None,
        Outcome::Fail { evidence } => Some(("evidence", evidence.to_string())),
        Outcome::Skipped { reason } => Some(("reason", reason.clone())),
    };
    if let Some((what, text)) = folded {
        let _ = write!(
            out,
            "<details><summary>{what}</summary><pre>{}</pre></details>",
            escape(&text)
        );
    }
    if !result.notes.is_empty() {
        let notes: Vec<String> = result.notes.iter().map(|note| escape(note)).collect();
        let _ = write!(
            out,
            "<details><summary>notes ({})</summary><pre>{}</pre></details>",
            notes.len(),
            notes.join("\n")
        );
    }
    let _ = writeln!(
        out,
        "</td><td>{}</td><td>{}</td><td class=\"n\">{} ms</td></tr>",
        escape(result.check.spec),
        result.check.level,
        result.duration.as_millis()
    );
}

/// Status counts of a set of results.
struct Counts {
    total: usize,
    pass: usize,
    fail: usize,
    warn: usize,
    skip: usize,
}

impl Counts {
    fn of<'a>(results: impl Iterator<Item = &'a CheckResult>) -> Counts {
        let mut counts = Counts {
            total: 0,
            pass: 0,
            fail: 0,
            warn: 0,
            skip: 0,
        };
        for result in results {
            counts.total += 1;
            match result.status {
                Status::Pass => counts.pass += 1,
                Status::Fail => counts.fail += 1,
                Status::Warn => counts.warn += 1,
                Status::Skip => counts.skip += 1,
            }
        }
        counts
    }

    fn row(&self, out: &mut String, name: &str, class: &str) {
        let _ = writeln!(
            out,
            "<tr{class} data-area=\"{name}\"><td>{name}</td><td class=\"n\">{}</td><td class=\"n pass\">{}</td>\
             <td class=\"n fail\">{}</td><td class=\"n warn\">{}</td><td class=\"n skip\">{}</td></tr>",
            self.total, self.pass, self.fail, self.warn, self.skip
        );
    }
}

fn status_class(status: Status) -> &'static str {
    match status {
        Status::Pass => "pass",
        Status::Fail => "fail",
        Status::Warn => "warn",
        Status::Skip => "skip",
    }
}

fn kind_name(run: &Run) -> &'static str {
    match run.kind {
        crate::targets::TargetKind::Mock => "mock",
        crate::targets::TargetKind::Real => "real",
    }
}

/// Text as HTML character data or a double-quoted attribute value: the XML escape of the
/// JUnit report (`&apos;` is an HTML5 entity too).
fn escape(text: &str) -> String {
    super::xml(text)
}

/// `secs` since the Unix epoch as `YYYY-MM-DDTHH:MM:SSZ` (UTC).
fn rfc3339_utc(secs: u64) -> String {
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// The proleptic Gregorian date `days` after 1970-01-01 (H. Hinnant's `civil_from_days`).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_utc_calendar_dates() {
        assert_eq!(rfc3339_utc(0), "1970-01-01T00:00:00Z");
        // 2000-02-29 (a leap day of a century leap year) 12:34:56.
        assert_eq!(rfc3339_utc(951_827_696), "2000-02-29T12:34:56Z");
        assert_eq!(rfc3339_utc(1_796_400_000), "2026-12-04T16:00:00Z");
    }

    #[test]
    fn markup_in_evidence_is_text() {
        assert_eq!(
            escape("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&apos;x&apos;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
    }
}
