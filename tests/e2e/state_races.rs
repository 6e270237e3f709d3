//! Issue 11, findings 1–3: issuance and revocation of a grant family are linearizable.
//!
//! The server runs on a multi-threaded runtime (as `mock-idp serve` does) so that two requests
//! really run at the same time; two clients on their own connections are released together by
//! a barrier, many bounded rounds, in every flavor.

use crate::support::{WEB_REDIRECT, basic};
use mock_idp::MockIdp;
use providers::{Endpoint, Provider};
use reqwest::StatusCode;
use serde_json::Value;
use std::sync::Arc;
use tokio::sync::Barrier;

/// Rounds per flavor and race; each round is a handful of loopback requests.
const ROUNDS: usize = 40;

/// A mock served on the current multi-threaded runtime, and its endpoints.
struct Served {
    base: String,
    provider: Provider,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Served {
    async fn start(provider: Provider) -> Served {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let builder = MockIdp::builder().provider(provider).auto_approve(true);
        tokio::spawn(async move {
            let shutdown = async move {
                let _ = stopped.await;
            };
            builder.serve_until(listener, |_, _| {}, shutdown).await.unwrap();
        });
        Served {
            base,
            provider,
            stop: Some(stop),
        }
    }

    fn url(&self, endpoint: Endpoint) -> String {
        self.provider
            .site(&self.base, "demo", true)
            .url(endpoint)
            .unwrap_or_else(|| panic!("{:?} serves no {endpoint:?}", self.provider))
    }

    fn client() -> reqwest::Client {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
    }

    /// Two clients with an open keep-alive connection each, so that racing requests start
    /// together instead of behind two TCP handshakes.
    async fn racers(&self) -> (reqwest::Client, reqwest::Client) {
        let (a, b) = (Served::client(), Served::client());
        for client in [&a, &b] {
            client.get(self.url(Endpoint::Discovery)).send().await.unwrap();
        }
        (a, b)
    }

    async fn code(&self) -> String {
        let url = url::Url::parse_with_params(
            &self.url(Endpoint::Authorize),
            &[
                ("response_type", "code"),
                ("client_id", "web-app"),
                ("redirect_uri", WEB_REDIRECT),
                // offline_access: ZITADEL issues refresh tokens only with it (issue 15).
                ("scope", "openid offline_access"),
                ("state", "s"),
                ("login_hint", "alice"),
            ],
        )
        .unwrap();
        let reply = Served::client().get(url).send().await.unwrap();
        assert_eq!(reply.status(), StatusCode::FOUND);
        let location = url::Url::parse(reply.headers()["location"].to_str().unwrap()).unwrap();
        location
            .query_pairs()
            .find(|(name, _)| name == "code")
            .map(|(_, value)| value.into_owned())
            .unwrap()
    }

    async fn post_with(
        &self,
        client: &reqwest::Client,
        endpoint: Endpoint,
        form: &[(&str, &str)],
    ) -> (StatusCode, Value) {
        let reply = client
            .post(self.url(endpoint))
            .header("authorization", basic("web-app", "web-app-secret"))
            .form(form)
            .send()
            .await
            .unwrap();
        let status = reply.status();
        let text = reply.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn exchange(&self, client: &reqwest::Client, code: &str) -> (StatusCode, Value) {
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", WEB_REDIRECT),
        ];
        self.post_with(client, Endpoint::Token, &form).await
    }

    async fn refresh(&self, refresh_token: &str) -> (StatusCode, Value) {
        self.refresh_with(&Served::client(), refresh_token).await
    }

    async fn refresh_with(&self, client: &reqwest::Client, refresh_token: &str) -> (StatusCode, Value) {
        let form = [("grant_type", "refresh_token"), ("refresh_token", refresh_token)];
        self.post_with(client, Endpoint::Token, &form).await
    }

    async fn revoke(&self, client: &reqwest::Client, token: &str) -> StatusCode {
        self.post_with(client, Endpoint::Revoke, &[("token", token)]).await.0
    }

    /// Whether userinfo accepts the access token.
    async fn live(&self, access_token: &str) -> bool {
        let reply = Served::client()
            .get(self.url(Endpoint::Userinfo))
            .bearer_auth(access_token)
            .send()
            .await
            .unwrap();
        reply.status() == StatusCode::OK
    }

    async fn tokens(&self) -> Value {
        let code = self.code().await;
        let (status, body) = self.exchange(&Served::client(), &code).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Runs `a` and `b` at the same time, released by one barrier.
async fn race<A, B, RA, RB>(a: A, b: B) -> (RA, RB)
where
    A: std::future::Future<Output = RA> + Send + 'static,
    B: std::future::Future<Output = RB> + Send + 'static,
    RA: Send + 'static,
    RB: Send + 'static,
{
    let barrier = Arc::new(Barrier::new(2));
    let (first, second) = (barrier.clone(), barrier);
    let a = tokio::spawn(async move {
        first.wait().await;
        a.await
    });
    let b = tokio::spawn(async move {
        second.wait().await;
        b.await
    });
    (a.await.unwrap(), b.await.unwrap())
}

fn str_of<'a>(body: &'a Value, member: &str) -> &'a str {
    body[member].as_str().unwrap_or_else(|| panic!("no {member} in {body}"))
}

/// Finding 1, codes: the same code on two connections at once. A replay revokes the family,
/// so whatever a winning exchange issued must be dead once both answers are in.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_token_issued_during_a_code_replay_is_never_live() {
    for provider in Provider::ALL {
        let idp = Arc::new(Served::start(provider).await);
        let mut leaked = 0;
        for _ in 0..ROUNDS {
            let code = idp.code().await;
            let (one, two) = (idp.clone(), idp.clone());
            let (code_a, code_b) = (code.clone(), code);
            let (client_a, client_b) = idp.racers().await;
            let (a, b) = race(async move { one.exchange(&client_a, &code_a).await }, async move {
                two.exchange(&client_b, &code_b).await
            })
            .await;
            for (status, body) in [a, b] {
                if status == StatusCode::OK {
                    if idp.live(str_of(&body, "access_token")).await {
                        leaked += 1;
                    }
                    if let Some(refresh) = body["refresh_token"].as_str() {
                        assert_ne!(idp.refresh(refresh).await.0, StatusCode::OK, "{provider:?}");
                    }
                }
            }
        }
        assert_eq!(
            leaked, 0,
            "{provider:?}: {leaked} of {ROUNDS} code replays left a live token"
        );
    }
}

/// Finding 1, refresh tokens: the same refresh token on two connections at once. The second
/// use is reuse (RFC 9700 §4.14.2) and revokes the family: nothing it issued may stay live.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_token_issued_during_a_refresh_token_reuse_is_never_live() {
    for provider in Provider::ALL {
        let idp = Arc::new(Served::start(provider).await);
        let mut leaked = 0;
        for _ in 0..ROUNDS {
            let tokens = idp.tokens().await;
            let refresh = str_of(&tokens, "refresh_token").to_owned();
            let (one, two) = (idp.clone(), idp.clone());
            let (rt_a, rt_b) = (refresh.clone(), refresh);
            let (client_a, client_b) = idp.racers().await;
            let (a, b) = race(async move { one.refresh_with(&client_a, &rt_a).await }, async move {
                two.refresh_with(&client_b, &rt_b).await
            })
            .await;
            let winners = [&a, &b].iter().filter(|(status, _)| *status == StatusCode::OK).count();
            if winners == 2 {
                panic!("{provider:?}: one refresh token was exchanged twice");
            }
            // Both answered: if one was refused as reuse, the family is revoked.
            let reuse_detected = winners < 2 && [&a, &b].iter().any(|(status, _)| *status != StatusCode::OK);
            for (status, body) in [a, b] {
                if status == StatusCode::OK && reuse_detected {
                    if idp.live(str_of(&body, "access_token")).await {
                        leaked += 1;
                    }
                    assert_ne!(
                        idp.refresh(str_of(&body, "refresh_token")).await.0,
                        StatusCode::OK,
                        "{provider:?}: the refresh token issued during reuse still works"
                    );
                }
            }
        }
        assert_eq!(leaked, 0, "{provider:?}: {leaked} of {ROUNDS} reuses left a live token");
    }
}

/// Finding 2: revoking a refresh token that was already rotated. Generic and Keycloak (whose
/// revocation ends the client's sessions) end the grant; ZITADEL and WSO2 ignore a token that
/// is no longer current (see docs/providers.md); App ID is treated as generic.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoking_a_rotated_refresh_token_follows_the_provider() {
    for provider in Provider::ALL {
        let idp = Served::start(provider).await;
        let first = idp.tokens().await;
        let (status, second) = idp.refresh(str_of(&first, "refresh_token")).await;
        assert_eq!(status, StatusCode::OK, "{provider:?}: {second}");
        assert_eq!(
            idp.revoke(&Served::client(), str_of(&first, "refresh_token")).await,
            StatusCode::OK
        );
        let access_live = idp.live(str_of(&second, "access_token")).await;
        let refresh_ok = idp.refresh(str_of(&second, "refresh_token")).await.0 == StatusCode::OK;
        let ends_grant = !matches!(provider, Provider::Zitadel | Provider::Wso2);
        assert_eq!(
            access_live, !ends_grant,
            "{provider:?}: access token after the revocation"
        );
        assert_eq!(
            refresh_ok, !ends_grant,
            "{provider:?}: refresh token after the revocation"
        );
    }
}

/// Finding 2, the race: a refresh and a revocation of the same refresh token at once. Whatever
/// the order, the revocation is never lost: where it ends the grant (generic, Keycloak, App ID)
/// nothing stays live; where a rotated token is ignored (ZITADEL, WSO2) a refresh that lost
/// the race must fail and leave nothing live.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_revocation_racing_a_refresh_is_never_lost() {
    for provider in Provider::ALL {
        let idp = Arc::new(Served::start(provider).await);
        let ends_grant = !matches!(provider, Provider::Zitadel | Provider::Wso2);
        let mut lost = 0;
        for _ in 0..ROUNDS {
            let tokens = idp.tokens().await;
            let refresh = str_of(&tokens, "refresh_token").to_owned();
            let first_access = str_of(&tokens, "access_token").to_owned();
            let (one, two) = (idp.clone(), idp.clone());
            let (rt_a, rt_b) = (refresh.clone(), refresh);
            let (client_a, client_b) = idp.racers().await;
            let ((status, body), revoked) = race(async move { one.refresh_with(&client_a, &rt_a).await }, async move {
                two.revoke(&client_b, &rt_b).await
            })
            .await;
            assert_eq!(revoked, StatusCode::OK);
            if ends_grant || status != StatusCode::OK {
                assert!(
                    !idp.live(&first_access).await,
                    "{provider:?}: the first access token survived"
                );
            }
            if status == StatusCode::OK && ends_grant {
                let access_live = idp.live(str_of(&body, "access_token")).await;
                let refresh_ok = idp.refresh(str_of(&body, "refresh_token")).await.0 == StatusCode::OK;
                if access_live || refresh_ok {
                    lost += 1;
                }
            }
        }
        assert_eq!(
            lost, 0,
            "{provider:?}: the revocation was lost in {lost} of {ROUNDS} rounds"
        );
    }
}

/// Finding 3: two password grants for the same user in the same second are independent grants
/// even where their access tokens are byte-identical (App ID's tokens carry no `jti`).
#[tokio::test]
async fn independent_grants_never_share_fate() {
    for provider in [Provider::AppId, Provider::Generic, Provider::Wso2] {
        let idp = MockIdp::builder().provider(provider).start().await;
        let token = idp.endpoint(Endpoint::Token);
        let password = |client: reqwest::Client| {
            let token = token.clone();
            async move {
                let reply = client
                    .post(token)
                    .header("authorization", basic("web-app", "web-app-secret"))
                    .form(&[
                        ("grant_type", "password"),
                        ("username", "alice"),
                        ("password", "alice-password"),
                        ("scope", "openid"),
                    ])
                    .send()
                    .await
                    .unwrap();
                assert_eq!(reply.status(), StatusCode::OK);
                reply.json::<Value>().await.unwrap()
            }
        };
        let one = password(Served::client()).await;
        let two = password(Served::client()).await;
        let revoke = Served::client()
            .post(idp.endpoint(Endpoint::Revoke))
            .header("authorization", basic("web-app", "web-app-secret"))
            .form(&[("token", str_of(&one, "refresh_token"))])
            .send()
            .await
            .unwrap();
        assert_eq!(revoke.status(), StatusCode::OK);
        let userinfo = Served::client()
            .get(idp.endpoint(Endpoint::Userinfo))
            .bearer_auth(str_of(&two, "access_token"))
            .send()
            .await
            .unwrap();
        assert_eq!(
            userinfo.status(),
            StatusCode::OK,
            "{provider:?}: revoking one grant ended another"
        );
    }
}
