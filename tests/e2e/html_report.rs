//! `idp-conformance run --format html`: the report opened in a real headless Chromium (Debian's
//! `chromium`). The rendered DOM must read the run's counts and verdict, and the screenshot must
//! show the page (every status badge's colour is on screen, the page is not blank).
//!
//! Without `chromium` on PATH the test prints one `skipped:` line and passes, unless
//! `IDP_HARNESS_REQUIRE_CHROMIUM` is set (`.ci/run` installs Chromium and sets it).

use crate::browser::{Screenshot, chromium_or_skip, run_chromium};
use conformance::report::{Format, render};
use conformance::{Runner, Selection, Target};
use mock_idp::{Endpoint, Fault, MockIdp, Provider};

/// The badge colours of the report's stylesheet: pass, fail, warn, skip.
const BADGES: [(&str, [u8; 3]); 4] = [
    ("pass", [0x1f, 0x7a, 0x3a]),
    ("fail", [0xb3, 0x26, 0x1e]),
    ("warn", [0xa1, 0x5c, 0x00]),
    ("skip", [0x5f, 0x6b, 0x76]),
];

/// One pass (DISC-01), one failure (JWKS-01 on an empty key set), one warning (DISC-05, a
/// SHOULD the mock does not meet) and one skip (TOK-11 needs a World of its own).
async fn mixed_run() -> conformance::Run {
    let idp = MockIdp::builder()
        .provider(Provider::Generic)
        .auto_approve(true)
        .start()
        .await;
    idp.set_fault(Endpoint::Jwks, Fault::EmptyKeySet);
    let target = Target::from_mock(idp);
    let selection = Selection {
        suites: Vec::new(),
        checks: ["DISC-01", "DISC-05", "JWKS-01", "TOK-11"].map(str::to_owned).to_vec(),
    };
    Runner::new(selection).run(&target, |_| {}).await.unwrap()
}

#[tokio::test]
async fn the_html_report_renders_in_headless_chromium() {
    let run = mixed_run().await;
    let summary = run.summary();
    assert_eq!(
        (summary.passed, summary.failed, summary.warned, summary.skipped),
        (1, 1, 1, 1),
        "the run mixes every status"
    );
    let page = render(&run, Format::Html);
    // Self-contained: no script, no stylesheet link, no image or frame source.
    for external in ["<script", "<link", " src=", "@import", "url("] {
        assert!(
            !page.contains(external),
            "the page references an external asset: {external}"
        );
    }

    let Some(browser) = chromium_or_skip() else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("idp-harness-html-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("report.html");
    std::fs::write(&file, &page).unwrap();
    let profile = dir.join("profile");
    let url = format!("file://{}", file.display());

    // What the browser parsed: the verdict, the target, and the counts of the total row.
    let dom = run_chromium(&browser, &profile, &["--dump-dom"], &url);
    assert!(dom.contains("id=\"verdict\">FAILED<"), "verdict missing from the DOM");
    assert!(dom.contains(&run.issuer), "issuer missing from the DOM");
    let total_row = dom
        .lines()
        .find(|line| line.contains("data-area=\"total\""))
        .expect("a total row");
    let cells: Vec<&str> = total_row
        .split("<td class=\"n")
        .skip(1)
        .filter_map(|cell| cell.split_once('>').and_then(|(_, rest)| rest.split_once('<')))
        .map(|(count, _)| count)
        .collect();
    assert_eq!(cells, ["4", "1", "1", "1", "1"], "total row: {total_row}");
    for id in ["DISC-01", "DISC-05", "JWKS-01", "TOK-11"] {
        assert!(dom.contains(&format!("<tr id=\"{id}\"")), "{id} has no row");
    }
    assert!(
        dom.contains("<summary>evidence</summary>"),
        "the failure's evidence is folded"
    );
    assert!(dom.contains("<summary>reason</summary>"), "the skip's reason is folded");

    // What the browser drew.
    let shot = dir.join("report.png");
    let screenshot_arg = format!("--screenshot={}", shot.display());
    run_chromium(&browser, &profile, &[&screenshot_arg, "--window-size=1280,1400"], &url);
    let screenshot = Screenshot::read(&shot);
    assert_eq!((screenshot.width, screenshot.height), (1280, 1400));
    screenshot.assert_not_blank([255, 255, 255]);
    for (status, colour) in BADGES {
        let count = screenshot.count(colour);
        assert!(
            count >= 40,
            "the {status} badge is not on screen ({count} pixels of its colour)"
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}
