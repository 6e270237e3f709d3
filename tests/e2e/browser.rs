//! Headless Chromium (Debian's `chromium`) for tests that look at a page as a browser does: the
//! DOM it parsed (`--dump-dom`) and what it drew (`--screenshot`, decoded to RGB pixels).
//!
//! Without `chromium` on PATH, [`chromium_or_skip`] prints one `skipped:` line and the test
//! passes, unless `IDP_HARNESS_REQUIRE_CHROMIUM` is set (`.ci/run` installs Chromium and sets it).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const REQUIRE_ENV: &str = "IDP_HARNESS_REQUIRE_CHROMIUM";
const BROWSER_TIMEOUT: Duration = Duration::from_secs(90);

/// The `chromium` (or `chromium-browser`) on PATH.
pub fn chromium() -> Option<PathBuf> {
    ["chromium", "chromium-browser"].iter().find_map(|name| {
        std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join(name))
                .find(|candidate| candidate.is_file())
        })
    })
}

/// The browser, or `None` after printing why the test is skipped; panics when
/// `IDP_HARNESS_REQUIRE_CHROMIUM` is set and there is no browser.
pub fn chromium_or_skip() -> Option<PathBuf> {
    let browser = chromium();
    if browser.is_none() {
        assert!(
            std::env::var_os(REQUIRE_ENV).is_none(),
            "{REQUIRE_ENV} is set but chromium is not on PATH"
        );
        println!("skipped: chromium not installed (apt-get install chromium)");
    }
    browser
}

/// Runs headless Chromium with `args` on `url` (a `file://` or loopback `http://` URL); returns
/// its standard output. Blocks: call it off the async runtime that serves `url`.
pub fn run_chromium(browser: &Path, profile: &Path, args: &[&str], url: &str) -> String {
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
        .arg(url)
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

/// A decoded screenshot.
pub struct Screenshot {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Every pixel's RGB, row by row.
    pub rgb: Vec<[u8; 3]>,
}

impl Screenshot {
    /// Reads the PNG at `path` (RGB or RGBA).
    pub fn read(path: &Path) -> Screenshot {
        let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
        let mut reader = decoder.read_info().unwrap();
        let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
        let frame = reader.next_frame(&mut pixels).unwrap();
        let channels = frame.color_type.samples();
        assert!(channels >= 3, "an RGB(A) screenshot, got {:?}", frame.color_type);
        let rgb = pixels[..frame.buffer_size()]
            .chunks_exact(channels)
            .map(|px| [px[0], px[1], px[2]])
            .collect();
        Screenshot {
            width: frame.width,
            height: frame.height,
            rgb,
        }
    }

    /// How many pixels are exactly `colour`.
    pub fn count(&self, colour: [u8; 3]) -> usize {
        self.rgb.iter().filter(|px| **px == colour).count()
    }

    /// Panics unless more than 1% of the pixels differ from `background`.
    pub fn assert_not_blank(&self, background: [u8; 3]) {
        let other = self.rgb.iter().filter(|px| **px != background).count();
        assert!(
            other > self.rgb.len() / 100,
            "the page looks blank ({other} pixels differ from the background)"
        );
    }
}
