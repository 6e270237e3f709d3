//! The admin page (`/_mock/`) in a real headless Chromium, loaded from a running mock: the DOM
//! the browser parsed names the realm, a client and a logged request, and the screenshot at
//! 1280×800 shows the page (the header band in its colour, dark text, not blank).

use crate::browser::{Screenshot, chromium_or_skip, run_chromium};
use mock_idp::{Endpoint, Fault, MockIdp};

/// The page header's background (#1f3a5f in the page's stylesheet).
const HEADER: [u8; 3] = [0x1f, 0x3a, 0x5f];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_page_renders_in_headless_chromium() {
    let idp = MockIdp::start().await;
    let realm = idp.world().default_realm.clone();
    let client = idp.world().realms[&realm].clients.keys().next().unwrap().clone();
    // A logged request: a refused token request of a client of our own naming.
    let answered = reqwest::Client::new()
        .post(idp.endpoint(Endpoint::Token))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "browser-test-client"),
        ])
        .send()
        .await
        .unwrap();
    assert!(answered.status().is_client_error());
    // A logged token the endpoint issued, shown decoded.
    let issued: serde_json::Value = reqwest::Client::new()
        .post(idp.endpoint(Endpoint::Token))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "service"),
            ("client_secret", "service-secret"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let signature = issued["access_token"]
        .as_str()
        .unwrap()
        .rsplit('.')
        .next()
        .unwrap()
        .to_owned();
    idp.set_fault(Endpoint::Userinfo, Fault::Status(503));

    let Some(browser) = chromium_or_skip() else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("idp-harness-admin-page-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let profile = dir.join("profile");
    let url = format!("{}/_mock/", idp.uri());
    let shot = dir.join("page.png");
    let (dom, screenshot) = {
        let (browser, profile, url, shot) = (browser.clone(), profile.clone(), url.clone(), shot.clone());
        // Chromium blocks; the mock keeps serving on the runtime's other worker.
        tokio::task::spawn_blocking(move || {
            let dom = run_chromium(&browser, &profile, &["--dump-dom"], &url);
            let screenshot_arg = format!("--screenshot={}", shot.display());
            run_chromium(&browser, &profile, &[&screenshot_arg, "--window-size=1280,800"], &url);
            (dom, Screenshot::read(&shot))
        })
        .await
        .unwrap()
    };

    // What the browser parsed (after following /_mock/ to /_mock/ui).
    assert!(dom.contains("<h1>mock-idp</h1>"), "not the admin page: {dom:.300}");
    assert!(
        dom.contains(&format!("<h3 class=\"realm\">{realm}</h3>")),
        "realm missing"
    );
    assert!(
        dom.contains(&format!("<code>{client}</code>")),
        "client {client} missing"
    );
    let request_row = dom
        .split("<tr class=\"request\">")
        .skip(1)
        .find(|row| row.contains("browser-test-client"))
        .expect("the logged token request has a row");
    assert!(
        request_row.contains("Token"),
        "the row names the endpoint: {request_row:.400}"
    );
    assert!(
        request_row.contains("client_credentials"),
        "the row shows the parameters"
    );
    let issued_row = dom
        .split("<tr class=\"request\">")
        .skip(1)
        .find(|row| row.contains("<td>service</td>"))
        .expect("the issued token's request has a row");
    assert!(
        issued_row.contains("response:access_token") && issued_row.contains(&format!("\"iss\": \"{}\"", idp.issuer())),
        "the issued access token is shown decoded: {issued_row:.2000}"
    );
    assert!(!dom.contains(&signature), "the page shows no usable token");
    assert!(
        dom.contains("<td>Userinfo</td><td><code>Status(503)</code>"),
        "fault missing"
    );

    // What the browser drew.
    assert_eq!((screenshot.width, screenshot.height), (1280, 800));
    screenshot.assert_not_blank([255, 255, 255]);
    let header = screenshot.count(HEADER);
    assert!(
        header >= 1280 * 20,
        "the header band is not on screen ({header} pixels)"
    );
    let dark = screenshot
        .rgb
        .iter()
        .filter(|[r, g, b]| u32::from(*r) + u32::from(*g) + u32::from(*b) < 200)
        .count();
    assert!(dark >= 2000, "hardly any text on screen ({dark} dark pixels)");
    std::fs::remove_dir_all(&dir).ok();
}
