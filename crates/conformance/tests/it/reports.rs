//! Reports: JSON follows the documented schema; JUnit XML parses back with the same counts.

use crate::support::{mock, run};
use conformance::report::{self, JSON_SCHEMA};
use mock_idp::{Endpoint, Fault, Provider};
use quick_xml::Reader;
use quick_xml::events::Event;

async fn mixed_run() -> conformance::Run {
    // One pass (DISC-01), one failure (JWKS-01 on an empty key set), one warning (DISC-05:
    // the mock has no registration_endpoint, a SHOULD).
    let target = mock(Provider::Generic);
    target.mock().unwrap().set_fault(Endpoint::Jwks, Fault::EmptyKeySet);
    run(&target, &["DISC-01", "DISC-05", "JWKS-01"]).await
}

#[tokio::test]
async fn the_json_report_follows_the_documented_schema() {
    let run = mixed_run().await;
    let json = report::json(&run);
    assert_eq!(json["schema"], JSON_SCHEMA);
    assert_eq!(json["target"]["provider"], "generic");
    assert_eq!(json["target"]["kind"], "mock");
    assert_eq!(json["summary"]["total"], 3);
    assert_eq!(json["summary"]["failed"], 1);
    assert_eq!(json["summary"]["warned"], 1);
    assert_eq!(json["passed"], false);
    let results = json["results"].as_array().unwrap();
    let jwks = results.iter().find(|r| r["id"] == "JWKS-01").unwrap();
    assert_eq!(jwks["status"], "fail");
    assert_eq!(jwks["suite"], "jwks");
    assert_eq!(jwks["level"], "MUST");
    assert_eq!(jwks["evidence"]["status"], 200);
    assert_eq!(jwks["evidence"]["field"], "keys");
    assert!(
        jwks["evidence"]["request"]
            .as_str()
            .unwrap()
            .starts_with("GET http://127.0.0.1:")
    );
    let disc05 = results.iter().find(|r| r["id"] == "DISC-05").unwrap();
    assert_eq!(disc05["status"], "warn");
    assert_eq!(disc05["level"], "SHOULD");
}

#[tokio::test]
async fn the_junit_report_parses_back_with_the_same_counts() {
    let run = mixed_run().await;
    let xml = report::junit(&run);
    let mut reader = Reader::from_str(&xml);
    let (mut suites, mut cases, mut failures, mut outs) = (0, 0, Vec::new(), 0);
    let mut tests_attr = None;
    loop {
        match reader.read_event().unwrap() {
            Event::Start(e) | Event::Empty(e) => {
                let attr = |name: &str| {
                    e.attributes()
                        .map(|a| a.unwrap())
                        .find(|a| a.key.as_ref() == name.as_bytes())
                        .map(|a| a.unescape_value().unwrap().into_owned())
                };
                match e.name().as_ref() {
                    b"testsuites" => tests_attr = attr("tests"),
                    b"testsuite" => suites += 1,
                    b"testcase" => cases += 1,
                    b"failure" => failures.push(attr("message").unwrap()),
                    b"system-out" => outs += 1,
                    _ => {}
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(tests_attr.as_deref(), Some("3"));
    assert_eq!(suites, 2, "{xml}");
    assert_eq!(cases, 3);
    assert_eq!(failures.len(), 1);
    assert!(failures[0].contains("empty"), "{failures:?}");
    assert_eq!(outs, 1, "the warning is reported as system-out");
}

#[tokio::test]
async fn the_text_report_has_one_line_per_check_and_a_summary() {
    let run = mixed_run().await;
    let text = report::text(&run);
    assert!(text.contains("PASS DISC-01"));
    assert!(text.contains("FAIL JWKS-01"));
    assert!(text.contains("WARN DISC-05"));
    assert!(
        text.contains("3 checks: 1 passed, 1 failed, 1 warnings, 0 skipped"),
        "{text}"
    );
}
