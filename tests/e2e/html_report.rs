//! `idp-conformance run --format html`: the report opened in a real headless Chromium (Debian's
//! `chromium`). The rendered DOM must read the run's counts and verdict, and the screenshot must
//! show the page (every status badge's colour is on screen, the page is not blank).
//!
//! Without `chromium` on PATH the test prints one `skipped:` line and passes, unless
//! `IDP_HARNESS_REQUIRE_CHROMIUM` is set (`.ci/run` installs Chromium and sets it).

use conformance::report::{Format, render};
use conformance::{Runner, Selection, Target};
use mock_idp::{Endpoint, Fault, MockIdp, Provider};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const REQUIRE_ENV: &str = "IDP_HARNESS_REQUIRE_CHROMIUM";
const BROWSER_TIMEOUT: Duration = Duration::from_secs(90);

/// The badge colours of the report's stylesheet: pass, fail, warn, skip.
const BADGES: [(&str, [u8; 3]); 4] = [
    ("pass", [0x1f, 0x7a, 0x3a]),
    ("fail", [0xb3, 0x26, 0x1e]),
    ("warn", [0xa1, 0x5c, 0x00]),
    ("skip", [0x5f, 0x6b, 0x76]),
];

fn chromium() -> Option<PathBuf> {
    ["chromium", "chromium-browser"].iter().find_map(|name| {
        std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join(name))
                .find(|candidate| candidate.is_file())
        })
    })
}

/// Runs headless Chromium with `args` on `page`; returns its standard output.
fn run_chromium(browser: &Path, profile: &Path, args: &[&str], page: &Path) -> String {
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--hide-scrollbars",
            "--disable-dev-shm-usage",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromium starts");
    let started = Instant::now();
    loop {
        if child.try_wait().expect("wait for chromium").is_some() {
            break;
        }
        if started.elapsed() > BROWSER_TIMEOUT {
            let _ = child.kill();
            panic!("chromium did not finish within {BROWSER_TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let output = child.wait_with_output().expect("chromium output");
    assert!(output.status.success(), "chromium exited with {}", output.status);
    String::from_utf8_lossy(&output.stdout).into_owned()
}

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

    let Some(browser) = chromium() else {
        assert!(
            std::env::var_os(REQUIRE_ENV).is_none(),
            "{REQUIRE_ENV} is set but chromium is not on PATH"
        );
        println!("skipped: chromium not installed (apt-get install chromium)");
        return;
    };
    let dir = std::env::temp_dir().join(format!("idp-harness-html-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("report.html");
    std::fs::write(&file, &page).unwrap();
    let profile = dir.join("profile");

    // What the browser parsed: the verdict, the target, and the counts of the total row.
    let dom = run_chromium(&browser, &profile, &["--dump-dom"], &file);
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
    run_chromium(&browser, &profile, &[&screenshot_arg, "--window-size=1280,1400"], &file);
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&shot).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let frame = reader.next_frame(&mut pixels).unwrap();
    assert_eq!((frame.width, frame.height), (1280, 1400));
    let channels = frame.color_type.samples();
    assert!(channels >= 3, "an RGB(A) screenshot, got {:?}", frame.color_type);
    let rgb: Vec<[u8; 3]> = pixels[..frame.buffer_size()]
        .chunks_exact(channels)
        .map(|px| [px[0], px[1], px[2]])
        .collect();
    let non_white = rgb.iter().filter(|px| **px != [255, 255, 255]).count();
    assert!(
        non_white > rgb.len() / 100,
        "the page looks blank ({non_white} non-white pixels)"
    );
    for (status, colour) in BADGES {
        let count = rgb.iter().filter(|px| **px == colour).count();
        assert!(
            count >= 40,
            "the {status} badge is not on screen ({count} pixels of its colour)"
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}
