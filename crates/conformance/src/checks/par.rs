//! Pushed authorization requests (RFC 9126): PAR-01..04. A provider without a PAR endpoint
//! advertises no `pushed_authorization_request_endpoint`, and every check skips with that
//! reason.

use super::{Entry, check};
use crate::cx::{AuthRequest, Cx};
use crate::http::{Auth, Exchange, Jar, Req, Step, fail};
use mock_idp::Endpoint;
use providers::ErrorKind;
use providers::par::ParError;
use serde_json::Value;

pub(super) fn entries() -> Vec<Entry> {
    vec![
        check!(
            "PAR-01",
            Par,
            Must,
            Strict,
            [CodeFlow],
            "RFC 9126 §2.2",
            "a pushed authorization request answers 201 with a request_uri and a positive expires_in",
            par01
        ),
        check!(
            "PAR-02",
            Par,
            Must,
            Strict,
            [CodeFlow],
            "RFC 9126 §4",
            "the authorization endpoint takes client_id and the pushed request_uri through to a code the token endpoint redeems",
            par02
        ),
        check!(
            "PAR-03",
            Par,
            Must,
            Strict,
            [CodeFlow],
            "RFC 9126 §2.1",
            "a pushed request carrying request_uri is refused with 400 invalid_request",
            par03
        ),
        check!(
            "PAR-04",
            Par,
            Must,
            Strict,
            [CodeFlow],
            "RFC 9126 §2.1, §2.3; RFC 6749 §2.3",
            "a pushed request with a wrong client secret is refused without a request_uri",
            par04
        ),
    ]
}

/// The web client's code request with a PKCE challenge, ready to push.
pub(crate) fn pushed_request<'c>(cx: &Cx<'c>, verifier: &str) -> Step<AuthRequest<'c>> {
    Ok(AuthRequest::code(cx.web()?, "openid").s256(verifier))
}

/// POSTs `request`'s parameters to the PAR endpoint with `auth`.
pub(crate) async fn push(cx: &Cx<'_>, request: &AuthRequest<'_>, auth: Auth) -> Step<Exchange> {
    let url = cx.endpoint(Endpoint::PushedAuthorization).await?;
    cx.send(Req::post(url).auth(auth).form(&request.params)).await
}

/// A successful push: its `request_uri`.
fn request_uri(exchange: &Exchange) -> Step<String> {
    if exchange.status != 201 {
        return Err(exchange.fail(
            Some("status"),
            format!("a pushed request answers 201 Created, got {}", exchange.status),
        ));
    }
    let body = exchange.object()?;
    let uri = body
        .get("request_uri")
        .and_then(Value::as_str)
        .filter(|uri| !uri.is_empty())
        .ok_or_else(|| exchange.fail(Some("request_uri"), "no request_uri string"))?;
    if body.get("expires_in").and_then(Value::as_u64).unwrap_or(0) == 0 {
        return Err(exchange.fail(Some("expires_in"), "expires_in must be a positive integer"));
    }
    Ok(uri.to_owned())
}

const VERIFIER: &str = "par-verifier-0123456789-0123456789-0123456789";

async fn par01(cx: &Cx<'_>) -> Step {
    let request = pushed_request(cx, VERIFIER)?;
    let (auth, _) = Cx::client_auth(request.client);
    let exchange = push(cx, &request, auth).await?;
    request_uri(&exchange).map(|_| ())
}

async fn par02(cx: &Cx<'_>) -> Step {
    let request = pushed_request(cx, VERIFIER)?;
    let (auth, _) = Cx::client_auth(request.client);
    let uri = request_uri(&push(cx, &request, auth).await?)?;
    // Only client_id and request_uri go to the authorization endpoint (RFC 9126 §4).
    let by_reference = AuthRequest {
        client: request.client,
        redirect_uri: request.redirect_uri.clone(),
        params: vec![
            ("client_id".into(), request.client.id.clone()),
            ("request_uri".into(), uri),
        ],
    };
    let callback = match cx.authorize(&by_reference, Some(cx.user()?), Jar::default()).await? {
        Ok(callback) => callback,
        Err(exchange) => {
            return Err(exchange.fail(
                None,
                "the authorization request by request_uri did not end in a redirect to the client",
            ));
        }
    };
    if callback.param("state").as_deref() != request.get("state") {
        return Err(callback
            .exchange
            .fail(Some("state"), "the callback does not carry the pushed state"));
    }
    let code = callback.code()?;
    Cx::tokens(cx.redeem(&request, &code, Some(VERIFIER)).await?).map(|_| ())
}

async fn par03(cx: &Cx<'_>) -> Step {
    let request = pushed_request(cx, VERIFIER)?.set("request_uri", Some("urn:example:smuggled"));
    let (auth, _) = Cx::client_auth(request.client);
    let exchange = push(cx, &request, auth).await?;
    if exchange.json().is_some_and(|body| body.get("request_uri").is_some()) {
        return Err(exchange.fail(Some("request_uri"), "a request_uri was issued for a refused push"));
    }
    cx.expect_error(
        &exchange,
        &ErrorKind::Par(ParError::RequestUriInPush),
        &[400],
        &["invalid_request"],
    )
}

async fn par04(cx: &Cx<'_>) -> Step {
    let request = pushed_request(cx, VERIFIER)?;
    if crate::targets::secret(request.client).is_none() {
        return Err(fail(None, "the code-flow client has no secret to get wrong"));
    }
    let exchange = push(
        cx,
        &request,
        Auth::Basic(request.client.id.clone(), "not-the-secret".into()),
    )
    .await?;
    if exchange.json().is_some_and(|body| body.get("request_uri").is_some()) {
        return Err(exchange.fail(
            Some("request_uri"),
            "a request_uri was issued to a client that failed to authenticate",
        ));
    }
    cx.expect_error(
        &exchange,
        &ErrorKind::Par(ParError::ClientAuthFailed),
        &[401],
        &["invalid_client"],
    )
}
