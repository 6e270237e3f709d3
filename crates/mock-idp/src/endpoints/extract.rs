//! What handlers take from a request and how their errors reach the wire: the `{realm}` path
//! segment ([`RealmName`]), the realm's per-request view ([`RealmCtx`] as an extractor), and the
//! layer that renders an [`OAuthError`] in the provider's shape ([`shape_errors`]).

use crate::app::{App, RealmCtx};
use crate::error::{OAuthError, Unshaped};
use axum::extract::{FromRequestParts, RawPathParams, Request, State};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;
use providers::ErrorKind;
use std::sync::Arc;

/// The `{realm}` path segment; a malformed one is `not_found` in the provider's shape.
///
/// Parsed once per request: the first extraction (the request log, the outermost layer) keeps
/// it in the request's extensions, and the fault layer, the error-shaping layer and the
/// [`RealmCtx`] extractor take it from there.
#[derive(Debug, Clone)]
pub(crate) struct RealmName(pub(crate) String);

impl FromRequestParts<Arc<App>> for RealmName {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<RealmName, Response> {
        if let Some(known) = parts.extensions.get::<RealmName>() {
            return Ok(known.clone());
        }
        let params = match RawPathParams::from_request_parts(parts, app).await {
            Ok(params) => params,
            Err(_) => return Err(OAuthError::new(ErrorKind::UnknownRealm, "no such realm").render(app.provider, "")),
        };
        // Providers without a realm in the path (one issuer per host) serve the default realm.
        let realm = params
            .iter()
            .find(|(name, _)| *name == "realm")
            .map(|(_, value)| value.to_owned())
            .unwrap_or_else(|| app.default_realm().to_owned());
        parts.extensions.insert(RealmName(realm.clone()));
        Ok(RealmName(realm))
    }
}

/// The realm named by the path, as one consistent snapshot for the whole request; an unknown
/// realm is refused with `UnknownRealm` (shaped by [`shape_errors`]).
impl FromRequestParts<Arc<App>> for RealmCtx {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<RealmCtx, Response> {
        let RealmName(name) = RealmName::from_request_parts(parts, app).await?;
        app.realm(&name).map_err(axum::response::IntoResponse::into_response)
    }
}

/// Renders an [`OAuthError`] a handler returned through the provider's error table, its
/// challenges naming the realm's [`challenge_realm`](providers::Site::challenge_realm).
pub(crate) async fn shape_errors(
    State(app): State<Arc<App>>,
    RealmName(realm): RealmName,
    request: Request,
    next: Next,
) -> Response {
    let mut response = next.run(request).await;
    match response.extensions_mut().remove::<Unshaped>() {
        Some(Unshaped(err)) => err.render(app.provider, &app.site(&realm).challenge_realm()),
        None => response,
    }
}

#[cfg(test)]
mod tests {
    use crate::error::{OAuthError, Unshaped};
    use crate::server::MockIdp;
    use axum::Router;
    use axum::body::Body;
    use axum::http::{Request, StatusCode, header};
    use axum::response::{IntoResponse, Response};
    use providers::{Endpoint, ErrorKind, Provider};
    use serde_json::Value;
    use tower::ServiceExt;

    fn router(provider: Provider) -> (std::sync::Arc<crate::app::App>, Router) {
        MockIdp::builder()
            .provider(provider)
            .build(
                "http://127.0.0.1:9".to_owned(),
                std::net::SocketAddr::from(([127, 0, 0, 1], 9)),
            )
            .unwrap()
    }

    async fn body_json(response: Response) -> Value {
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap();
        serde_json::from_slice(&bytes).unwrap_or(Value::Null)
    }

    #[tokio::test]
    async fn the_realm_name_is_parsed_once_and_then_taken_from_the_extensions() {
        use super::RealmName;
        use axum::extract::FromRequestParts;
        let (app, router) = router(Provider::Keycloak);
        let (mut parts, _) = Request::get("/realms/demo/x").body(()).unwrap().into_parts();
        parts.extensions.insert(RealmName("kept".to_owned()));
        let RealmName(name) = RealmName::from_request_parts(&mut parts, &app).await.unwrap();
        assert_eq!(name, "kept");
        // Through the router: the request log's extraction is the one the handler sees.
        let url = app.site("demo").url(Endpoint::Jwks).unwrap();
        let path = url::Url::parse(&url).unwrap().path().to_owned();
        let response = router
            .oneshot(Request::get(path).body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }

    #[tokio::test]
    async fn an_unknown_realm_is_refused_by_the_extractor_in_the_providers_shape() {
        let (app, router) = router(Provider::Keycloak);
        let url = app.site("nope").url(Endpoint::Jwks).unwrap();
        let path = url::Url::parse(&url).unwrap().path().to_owned();
        let response = router
            .oneshot(Request::get(path).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let expected = Provider::Keycloak.error_response(&ErrorKind::UnknownRealm, "no such realm", "nope");
        assert_eq!(response.status().as_u16(), expected.status);
        assert!(response.extensions().get::<Unshaped>().is_none());
        assert_eq!(Some(body_json(response).await), expected.body);
    }

    /// A client-credentials request with a wrong secret, to `provider`'s demo realm.
    async fn wrong_secret(provider: Provider) -> (String, Response) {
        let (app, router) = router(provider);
        let url = app.site("demo").url(Endpoint::Token).unwrap();
        let path = url::Url::parse(&url).unwrap().path().to_owned();
        let request = Request::post(path)
            .header(header::AUTHORIZATION, "Basic c2VydmljZTp3cm9uZw==") // service:wrong
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from("grant_type=client_credentials"))
            .unwrap();
        (
            app.site("demo").challenge_realm(),
            router.oneshot(request).await.unwrap(),
        )
    }

    #[tokio::test]
    async fn a_401_from_a_handler_is_shaped_and_its_challenge_names_the_realm() {
        // The unshaped fallback names no realm (`realm=""`): `demo` shows the layer shaped it.
        let (challenge_realm, response) = wrong_secret(Provider::Generic).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            response.headers()[header::WWW_AUTHENTICATE],
            format!("Basic realm=\"{challenge_realm}\"").as_str()
        );
        assert!(response.extensions().get::<Unshaped>().is_none());
        // Keycloak's shape, not the generic one: `unauthorized_client` for a wrong secret.
        let (_, response) = wrong_secret(Provider::Keycloak).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(body_json(response).await["error"], "unauthorized_client");
    }

    #[tokio::test]
    async fn an_error_outside_the_layer_is_rfc_shaped_and_marked_unshaped() {
        let response = OAuthError::malformed("bad").into_response();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let marked = response.extensions().get::<Unshaped>().map(|Unshaped(err)| err.clone());
        assert_eq!(marked, Some(OAuthError::malformed("bad")));
        assert_eq!(body_json(response).await["error"], "invalid_request");
    }
}
