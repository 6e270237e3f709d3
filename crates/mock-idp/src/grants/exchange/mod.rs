//! Token exchange (RFC 8693 §2), one module per provider's rules: [`keycloak`] (standard token
//! exchange v2), [`zitadel`] and [`wso2`]. Rules and texts: [`providers::exchange`].

mod keycloak;
mod wso2;
mod zitadel;

use super::external_subject::audience_list;
use crate::app::RealmCtx;
use crate::error::OAuthError;
use crate::http::Params;
use crate::tokens::Issued;
use providers::exchange::{ExchangeRefusal, ExchangeStyle};
use providers::{Client, ErrorKind};

/// `token_type` of a response whose `access_token` is not an access token (RFC 8693 §2.2.1).
const TOKEN_TYPE_NA: &str = "N_A";

fn refuse(refusal: ExchangeRefusal) -> OAuthError {
    let detail = format!("{refusal:?}");
    OAuthError::new(ErrorKind::Exchange(refusal), detail)
}

/// Runs the exchange for the authenticated `client` by its provider's rules.
pub(super) fn issue(cx: &RealmCtx, client: &Client, params: &Params) -> Result<Issued, OAuthError> {
    let style = providers::exchange::facts(cx.app.provider).map(|facts| facts.style);
    match style {
        Some(ExchangeStyle::Zitadel) => zitadel::issue(cx, client, params),
        Some(ExchangeStyle::Wso2) => wso2::issue(cx, client, params),
        Some(ExchangeStyle::KeycloakStandardV2 | ExchangeStyle::Rfc8693) | None => keycloak::issue(cx, client, params),
    }
}
