//! `MockIdpBuilder::listener`: a test hands in a socket it bound itself.

use mock_idp::MockIdp;
use serde_json::Value;

#[tokio::test]
async fn a_handed_in_listener_is_the_one_served() {
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let reserved = listener.local_addr().unwrap();
    let idp = MockIdp::builder().listener(listener).try_start().unwrap();
    assert_eq!(idp.address(), reserved);
    assert!(
        idp.discovery_url().starts_with(&format!("http://{reserved}/")),
        "{}",
        idp.discovery_url()
    );
    let document: Value = reqwest::get(idp.discovery_url()).await.unwrap().json().await.unwrap();
    assert_eq!(document["issuer"], idp.issuer().as_str());
}
