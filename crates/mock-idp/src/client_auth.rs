//! Client authentication at the token, introspection and revocation endpoints
//! (RFC 6749 §2.3: `client_secret_basic`, `client_secret_post`, and `none` for public clients).

use crate::error::OAuthError;
use crate::http::{Params, decode_component};
use axum::http::{HeaderMap, header};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use providers::{Client, ClientKind, ErrorKind, Flavor, Realm};

/// How the client authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AuthMethod {
    /// HTTP Basic with the form-urlencoded id and secret.
    Basic,
    /// `client_id` and `client_secret` in the form body.
    Post,
    /// A public client naming itself with `client_id` only.
    None,
    /// A `client_assertion` MACed with the client's secret (`client_secret_jwt`).
    SecretJwt,
    /// A `client_assertion` signed by a key of the client's `jwks` (`private_key_jwt`).
    PrivateKeyJwt,
}

/// A client that proved who it is.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AuthenticatedClient<'a> {
    pub(crate) client: &'a Client,
    pub(crate) method: AuthMethod,
}

/// Authenticates the client of a request. Exactly one method may be used; a confidential
/// client must present its secret; secrets are compared in constant time.
#[cfg(test)]
pub(crate) fn authenticate<'a>(
    realm: &'a Realm,
    headers: &HeaderMap,
    params: &Params,
) -> Result<AuthenticatedClient<'a>, OAuthError> {
    authenticate_with(realm, headers, params, &providers::generic::Generic)
}

/// [`authenticate`] with `flavor`'s leniencies: a public client sending its PKCE
/// `code_verifier` as the Basic password (IBM App ID's SPA SDK), the same credentials sent both
/// as Basic and in the body (Keycloak accepts that).
pub(crate) fn authenticate_with<'a>(
    realm: &'a Realm,
    headers: &HeaderMap,
    params: &Params,
    flavor: &dyn Flavor,
) -> Result<AuthenticatedClient<'a>, OAuthError> {
    let verifier_as_secret = flavor.quirks().public_client_basic_verifier;
    let basic = basic_credentials(headers)?;
    let body_secret = params.get("client_secret");
    let body_id = params.get("client_id");
    let (client_id, secret, method) = match (basic, body_secret) {
        (Some((id, secret)), Some(posted))
            if flavor.quirks().accepts_repeated_client_credentials
                && body_id.is_none_or(|body_id| body_id == id)
                && aws_lc_rs::constant_time::verify_slices_are_equal(secret.as_bytes(), posted.as_bytes()).is_ok() =>
        {
            (id, Some(secret), AuthMethod::Basic)
        }
        (Some((id, _)), Some(_)) if flavor.quirks().accepts_repeated_client_credentials => {
            let known = realm.client(&id).is_some();
            let kind = if known {
                ErrorKind::BadClientSecret { basic: true }
            } else {
                ErrorKind::UnknownClient { basic: true }
            };
            return Err(OAuthError::new(kind, "unknown client or bad credentials"));
        }
        (Some(_), Some(_)) => {
            return Err(OAuthError::new(
                ErrorKind::MultipleClientAuthMethods,
                "use one client authentication method, not Basic and client_secret together",
            ));
        }
        (Some((id, secret)), None) => {
            if body_id.is_some_and(|body_id| body_id != id) {
                return Err(OAuthError::malformed("client_id differs from the Basic credentials"));
            }
            (id, Some(secret), AuthMethod::Basic)
        }
        (None, Some(secret)) => {
            let id = body_id.ok_or_else(|| OAuthError::malformed("client_secret without client_id"))?;
            (id.to_owned(), Some(secret.to_owned()), AuthMethod::Post)
        }
        (None, None) => match body_id {
            Some(id) => (id.to_owned(), None, AuthMethod::None),
            None => {
                return Err(OAuthError::new(
                    ErrorKind::MissingClientAuth,
                    "client authentication is required",
                ));
            }
        },
    };
    let via_basic = method == AuthMethod::Basic;
    let client = realm.client(&client_id).ok_or_else(|| {
        OAuthError::new(
            ErrorKind::UnknownClient { basic: via_basic },
            "unknown client or bad credentials",
        )
    })?;
    // A client whose one method is a signed JWT (Keycloak's `client-jwt` and
    // `client-secret-jwt` authenticators): no secret authenticates it.
    let signs = matches!(
        client.auth_method(),
        providers::TokenEndpointAuthMethod::ClientSecretJwt | providers::TokenEndpointAuthMethod::PrivateKeyJwt
    );
    if flavor.quirks().client_assertion.one_method_per_client && signs {
        let refusal = providers::client_assertion::AssertionRefusal::AssertionRequired;
        return Err(OAuthError::new(
            ErrorKind::ClientAssertion(refusal),
            refusal.to_string(),
        ));
    }
    match (&client.kind, secret) {
        (ClientKind::Confidential { secret: expected }, Some(given)) => {
            if !expected.matches(&given) {
                return Err(OAuthError::new(
                    ErrorKind::BadClientSecret { basic: via_basic },
                    "unknown client or bad credentials",
                ));
            }
        }
        (ClientKind::Confidential { .. }, None) => {
            return Err(OAuthError::new(
                ErrorKind::MissingClientAuth,
                "this client must authenticate with its secret",
            ));
        }
        (ClientKind::Public, Some(given))
            if verifier_as_secret && via_basic && params.get("code_verifier") == Some(given.as_str()) => {}
        (ClientKind::Public, Some(_)) => {
            return Err(OAuthError::new(
                ErrorKind::BadClientSecret { basic: via_basic },
                "a public client has no secret",
            ));
        }
        (ClientKind::Public, None) => {}
    }
    let method = if client.is_confidential() {
        method
    } else {
        AuthMethod::None
    };
    Ok(AuthenticatedClient { client, method })
}

/// The id and secret of a `Basic` Authorization header, each form-urldecoded (RFC 6749 §2.3.1).
/// `Ok(None)` without the header or with another scheme.
pub(crate) fn basic_credentials(headers: &HeaderMap) -> Result<Option<(String, String)>, OAuthError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let bad = || OAuthError::new(ErrorKind::UnknownClient { basic: true }, "malformed Basic credentials");
    let value = value.to_str().map_err(|_| bad())?;
    let Some((scheme, encoded)) = value.split_once(' ') else {
        return Ok(None);
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return Ok(None);
    }
    let decoded = STANDARD.decode(encoded.trim()).map_err(|_| bad())?;
    let decoded = String::from_utf8(decoded).map_err(|_| bad())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(bad)?;
    let id = decode_component(id.as_bytes()).map_err(|_| bad())?;
    let secret = decode_component(secret.as_bytes()).map_err(|_| bad())?;
    Ok(Some((id, secret)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;
    use providers::World;

    fn basic(id: &str, secret: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        let value = format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")));
        headers.insert(header::AUTHORIZATION, HeaderValue::from_str(&value).unwrap());
        headers
    }

    #[test]
    fn each_method_authenticates_and_wrong_secrets_do_not() {
        let world = World::default_world().unwrap();
        let realm = world.realm("demo").unwrap();
        let none = Params::default();

        let ok = authenticate(realm, &basic("web-app", "web-app-secret"), &none).unwrap();
        assert_eq!((ok.client.id.as_str(), ok.method), ("web-app", AuthMethod::Basic));

        let post = Params::parse(b"client_id=web-app&client_secret=web-app-secret").unwrap();
        assert_eq!(
            authenticate(realm, &HeaderMap::new(), &post).unwrap().method,
            AuthMethod::Post
        );

        let public = Params::parse(b"client_id=spa").unwrap();
        assert_eq!(
            authenticate(realm, &HeaderMap::new(), &public).unwrap().method,
            AuthMethod::None
        );

        let wrong = authenticate(realm, &basic("web-app", "nope"), &none).unwrap_err();
        assert_eq!(wrong.kind, ErrorKind::BadClientSecret { basic: true });

        let confidential_without_secret = Params::parse(b"client_id=web-app").unwrap();
        let err = authenticate(realm, &HeaderMap::new(), &confidential_without_secret).unwrap_err();
        assert_eq!(err.kind, ErrorKind::MissingClientAuth);

        let both = Params::parse(b"client_secret=web-app-secret").unwrap();
        let err = authenticate(realm, &basic("web-app", "web-app-secret"), &both).unwrap_err();
        assert_eq!(err.kind, ErrorKind::MultipleClientAuthMethods);

        let unknown = authenticate(realm, &basic("ghost", "x"), &none).unwrap_err();
        assert_eq!(unknown.kind, ErrorKind::UnknownClient { basic: true });
    }
}
