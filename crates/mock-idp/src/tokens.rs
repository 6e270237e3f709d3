//! Minting (access, ID and refresh tokens, shaped by the provider) and recognising the tokens
//! this mock issued.

use crate::app::RealmCtx;
use crate::b64;
use crate::error::OAuthError;
use crate::jws;
use crate::shaping::{Shape, TokenKind};
use crate::state::{FamilyId, FamilyOwner, FamilyRevoked, OpaqueRecord, RefreshRecord};
use providers::claims::{AccessTokenInput, IdTokenInput};
use providers::{Client, ErrorKind, GrantType, SigningAlg, TokenFormat, User};
use serde_json::{Map, Value};

/// `typ` header of ID tokens.
const ID_TOKEN_TYP: &str = "JWT";

/// Who a token is for and what it may do.
#[derive(Debug, Clone)]
pub(crate) struct Subject<'a> {
    pub(crate) client: &'a Client,
    pub(crate) user: Option<&'a User>,
    pub(crate) scopes: Vec<String>,
    pub(crate) auth_time: Option<u64>,
    pub(crate) session_id: Option<String>,
    pub(crate) nonce: Option<String>,
    /// The grant issuing the token; `None` when minted directly.
    pub(crate) grant: Option<GrantType>,
    /// The grant by which the user logged in for this session: `authorization_code` (an
    /// interactive login) or `password` (a direct grant); kept across refreshes. `None` without
    /// a user login (client credentials, tokens minted directly).
    pub(crate) login: Option<GrantType>,
    /// The token request's form, which mapping rules may match on; `None` when minted directly.
    pub(crate) form: Option<&'a crate::http::Params>,
}

/// What a grant issued.
#[derive(Debug, Clone)]
pub(crate) struct Issued {
    pub(crate) access_token: String,
    pub(crate) expires_in: u64,
    pub(crate) refresh_token: Option<String>,
    pub(crate) refresh_expires_in: Option<u64>,
    pub(crate) id_token: Option<String>,
    pub(crate) scope: String,
    pub(crate) session_id: Option<String>,
    /// `token_type` when it is not the provider's usual one (RFC 8693 §2.2.1 `N_A`).
    pub(crate) token_type: Option<&'static str>,
    /// `issued_token_type` of a token exchange response (RFC 8693 §2.2.1).
    pub(crate) issued_token_type: Option<&'static str>,
}

/// Extra control over a minted access token (used by `MockIdp::mint`).
#[derive(Debug, Clone, Default)]
pub(crate) struct Overrides {
    pub(crate) lifetime: Option<u64>,
    pub(crate) claims: Map<String, Value>,
    /// Queued claims and mapping rules for this response (crate::shaping).
    pub(crate) shape: Option<std::sync::Arc<Shape>>,
}

/// An access token this mock issued and still honours.
#[derive(Debug, Clone)]
pub(crate) struct LiveToken {
    pub(crate) claims: Map<String, Value>,
}

impl LiveToken {
    /// The scopes the token was granted: its `scope` claim; for a provider that keeps `scope`
    /// out of its JWT access tokens (ZITADEL), which knows them server-side, every scope of
    /// the client it was issued to.
    pub(crate) fn scopes(&self, cx: &RealmCtx) -> Vec<String> {
        match self.claims.get("scope").and_then(Value::as_str) {
            Some(scope) => scope
                .split(' ')
                .filter(|scope| !scope.is_empty())
                .map(str::to_owned)
                .collect(),
            None if cx.flavor().quirks().introspection_only_claims.contains(&"scope") => self
                .claims
                .get("client_id")
                .and_then(Value::as_str)
                .and_then(|client| cx.realm.client(client))
                .map(|client| client.scopes.clone())
                .unwrap_or_default(),
            None => Vec::new(),
        }
    }
}

impl RealmCtx {
    /// The client's own algorithm, else the realm's as set at run time, else the world's.
    fn alg_for(&self, client: &Client) -> SigningAlg {
        client
            .signing_alg
            .or(self.published.signing_alg)
            .unwrap_or(self.realm.signing_alg)
    }

    /// Signs `claims` as `typ` with the key `client`'s tokens use (logout tokens).
    pub(crate) fn sign_for(
        &self,
        client: &Client,
        typ: &str,
        claims: &Map<String, Value>,
    ) -> Result<String, OAuthError> {
        self.sign(self.alg_for(client), typ, claims, &Map::new())
    }

    fn sign(
        &self,
        alg: SigningAlg,
        typ: &str,
        claims: &Map<String, Value>,
        headers: &Map<String, Value>,
    ) -> Result<String, OAuthError> {
        let key = self
            .keys()
            .signer(alg)
            .ok_or_else(|| OAuthError::new(ErrorKind::ServerError, format!("no {alg} key in this realm")))?;
        let mut header = self.flavor().quirks().extra_jwt_header();
        header.extend(headers.clone());
        jws::sign(key, typ, &header, claims).map_err(|err| OAuthError::new(ErrorKind::ServerError, err.to_string()))
    }

    /// Mints an access token (JWT or opaque, per the client) and records it in `family`.
    pub(crate) fn access_token(
        &self,
        subject: &Subject<'_>,
        family: Option<FamilyId>,
        overrides: &Overrides,
    ) -> Result<(String, u64), OAuthError> {
        let now = self.now();
        let lifetime = overrides.lifetime.unwrap_or(self.realm.lifetimes.access_token);
        let expires_at = now.saturating_add(lifetime);
        let jti = b64::random_uuid();
        let audiences = self.realm.audiences(subject.user, &subject.scopes);
        let mut claims = self.flavor().access_token_claims(&AccessTokenInput {
            issuer: self.issuer(),
            realm: &self.realm,
            client: subject.client,
            user: subject.user,
            scopes: &subject.scopes,
            audiences: &audiences,
            issued_at: now,
            expires_at,
            jti: &jti,
            auth_time: subject.auth_time,
            session_id: subject.session_id.as_deref(),
            grant: subject.grant,
            login: subject.login,
            site: self.site(),
        });
        claims.extend(overrides.claims.clone());
        let mut headers = Map::new();
        if let Some(shape) = &overrides.shape {
            shape.apply(TokenKind::Access, &mut claims, &mut headers);
        }
        if let (Some(proof), Some(facts)) = (self.dpop.get(), self.dpop_facts()) {
            crate::dpop::bind(&mut claims, facts, proof);
        }
        let format = subject
            .client
            .access_token_format
            .unwrap_or_else(|| self.flavor().quirks().default_access_token_format);
        let token = match format {
            TokenFormat::Jwt => {
                let mut payload = claims.clone();
                for hidden in self.flavor().quirks().introspection_only_claims {
                    payload.remove(*hidden);
                }
                let token = self.sign(
                    self.alg_for(subject.client),
                    self.flavor().quirks().access_token_typ,
                    &payload,
                    &headers,
                )?;
                if let Some(family) = family {
                    // Recorded (and checked) under the store's lock: a family revoked while the
                    // token was being signed refuses it, and the token is dead already.
                    self.store()
                        .add_access(family, &revocation_id(&claims, &token), expires_at)
                        .map_err(|revoked| revoked_error(subject, revoked))?;
                }
                token
            }
            TokenFormat::Opaque => {
                let token = b64::random_token(32);
                let record = OpaqueRecord {
                    realm: self.realm.name.clone(),
                    claims,
                    family,
                    expires_at,
                };
                self.store()
                    .insert_opaque(token.clone(), record, now)
                    .map_err(|revoked| revoked_error(subject, revoked))?;
                token
            }
        };
        Ok((token, lifetime))
    }

    /// Runs a grant's issuance: access token, refresh token when `with_refresh`, ID token
    /// when `openid` was granted to a user.
    pub(crate) fn issue(
        &self,
        subject: &Subject<'_>,
        family: Option<FamilyId>,
        with_refresh: bool,
    ) -> Result<Issued, OAuthError> {
        self.issue_with(subject, family, with_refresh, Map::new())
    }

    /// [`issue`](Self::issue) with `claims` set in the access token over the provider's.
    pub(crate) fn issue_with(
        &self,
        subject: &Subject<'_>,
        family: Option<FamilyId>,
        with_refresh: bool,
        claims: Map<String, Value>,
    ) -> Result<Issued, OAuthError> {
        self.issue_with_id_claims(subject, family, with_refresh, claims, &Map::new())
    }

    /// [`issue_with`](Self::issue_with), with `id_claims` set in the ID token over the
    /// provider's (claims the grant's request vouched for, such as App ID's normalized claims).
    pub(crate) fn issue_with_id_claims(
        &self,
        subject: &Subject<'_>,
        family: Option<FamilyId>,
        with_refresh: bool,
        claims: Map<String, Value>,
        id_claims: &Map<String, Value>,
    ) -> Result<Issued, OAuthError> {
        let now = self.now();
        let expanded = Subject {
            scopes: self
                .flavor()
                .granted_scopes(subject.client, subject.user.is_some(), subject.scopes.clone()),
            ..subject.clone()
        };
        let subject = &expanded;
        let with_refresh = with_refresh && self.refresh_allowed(subject);
        let family = match (family, with_refresh) {
            (Some(family), _) => Some(family),
            (None, true) => Some(self.store().new_family(
                FamilyOwner {
                    realm: &self.realm.name,
                    client_id: &subject.client.id,
                    username: subject.user.map(|user| user.username.as_str()),
                    session_id: subject.session_id.as_deref(),
                },
                now.saturating_add(self.realm.lifetimes.refresh_token),
                now,
            )),
            (None, false) => None,
        };
        let shape = self.shape_for(subject).map(std::sync::Arc::new);
        let overrides = Overrides {
            shape: shape.clone(),
            claims,
            ..Overrides::default()
        };
        let (access_token, expires_in) = self.access_token(subject, family, &overrides)?;
        let refresh = match (with_refresh, family) {
            (true, Some(family)) => Some(self.refresh_token(subject, family, now)?),
            _ => None,
        };
        let id_token = match subject.user {
            Some(user) if subject.scopes.iter().any(|scope| scope == "openid") => {
                Some(self.id_token(subject, user, &access_token, now, shape.as_deref(), id_claims)?)
            }
            _ => None,
        };
        Ok(Issued {
            access_token,
            expires_in,
            refresh_expires_in: refresh.as_ref().map(|_| self.realm.lifetimes.refresh_token),
            refresh_token: refresh,
            id_token,
            scope: subject.scopes.join(" "),
            session_id: subject.session_id.clone(),
            // RFC 9449 §5: a bound access token is of type DPoP.
            token_type: self.dpop.get().and(self.dpop_facts()).map(|_| "DPoP"),
            issued_token_type: None,
        })
    }

    /// Whether the provider issues a refresh token for `subject`'s granted scopes: always, or
    /// (ZITADEL) only with `offline_access`, which a refresh grant keeps.
    fn refresh_allowed(&self, subject: &Subject<'_>) -> bool {
        !self.flavor().quirks().refresh_needs_offline_access
            || subject.grant == Some(GrantType::RefreshToken)
            || subject.scopes.iter().any(|scope| scope == "offline_access")
    }

    /// The key a refresh token issued now is bound to: the proof's, for the clients whose
    /// refresh tokens the provider binds.
    fn refresh_binding(&self, client: &Client) -> Option<String> {
        let facts = self.dpop_facts()?;
        let proof = self.dpop.get()?;
        let binds = match facts.refresh_binding {
            providers::dpop::RefreshBinding::PublicClients => matches!(client.kind, providers::ClientKind::Public),
            providers::dpop::RefreshBinding::AllClients => true,
        };
        binds.then(|| proof.jkt.clone())
    }

    fn refresh_token(&self, subject: &Subject<'_>, family: FamilyId, now: u64) -> Result<String, OAuthError> {
        let token = b64::random_token(32);
        let record = RefreshRecord {
            realm: self.realm.name.clone(),
            client_id: subject.client.id.clone(),
            username: subject.user.map(|user| user.username.clone()),
            scopes: subject.scopes.clone(),
            auth_time: subject.auth_time,
            login: subject.login,
            session_id: subject.session_id.clone(),
            family,
            issued_at: now,
            expires_at: now.saturating_add(self.realm.lifetimes.refresh_token),
            dpop_jkt: self.refresh_binding(subject.client),
        };
        self.store()
            .insert_refresh(token.clone(), record, now)
            .map_err(|revoked| revoked_error(subject, revoked))?;
        Ok(token)
    }

    pub(crate) fn id_token(
        &self,
        subject: &Subject<'_>,
        user: &User,
        access_token: &str,
        now: u64,
        shape: Option<&Shape>,
        id_claims: &Map<String, Value>,
    ) -> Result<String, OAuthError> {
        let alg = self.alg_for(subject.client);
        let at_hash = idp_jose::digest::at_hash(alg.as_str(), access_token);
        let jti = b64::random_uuid();
        let mut claims = self.flavor().id_token_claims(&IdTokenInput {
            issuer: self.issuer(),
            client: subject.client,
            user,
            scopes: &subject.scopes,
            issued_at: now,
            expires_at: now.saturating_add(self.realm.lifetimes.access_token),
            auth_time: subject.auth_time.unwrap_or(now),
            nonce: subject.nonce.as_deref(),
            session_id: subject.session_id.as_deref(),
            at_hash: at_hash.as_deref(),
            jti: &jti,
            realm: &self.realm,
            site: self.site(),
            grant: subject.grant,
            login: subject.login,
        });
        for (name, value) in id_claims {
            claims.insert(name.clone(), value.clone());
        }
        let mut headers = Map::new();
        if let Some(shape) = shape {
            shape.apply(TokenKind::Id, &mut claims, &mut headers);
        }
        self.sign(alg, ID_TOKEN_TYP, &claims, &headers)
    }

    /// The claims of an access token this realm issued and still honours: signature, `typ`,
    /// issuer, expiry and revocation for JWTs; the store for opaque tokens.
    pub(crate) fn live_access_token(&self, token: &str) -> Option<LiveToken> {
        let now = self.now();
        if jws::looks_like_jws(token) {
            let verified = jws::verify(self.keys(), token).ok()?;
            let typ = verified.header.get("typ").and_then(Value::as_str);
            if typ != Some(self.flavor().quirks().access_token_typ) {
                return None;
            }
            let claims = verified.claims;
            // An ID token (same keys, another `typ`) is never an access token.
            if !self.flavor().quirks().is_access_token(&claims) {
                return None;
            }
            let issuer_ok = claims.get("iss").and_then(Value::as_str) == Some(self.issuer());
            let live = claims.get("exp").and_then(Value::as_u64).is_some_and(|exp| exp > now);
            let revoked = self.store().is_revoked(&revocation_id(&claims, token));
            (issuer_ok && live && !revoked).then_some(LiveToken { claims })
        } else {
            let record = self.store().live_opaque(token, now)?;
            (record.realm == self.realm.name).then_some(LiveToken { claims: record.claims })
        }
    }
}

/// The answer when a grant's family was revoked while its tokens were being issued (a replayed
/// code or a reused refresh token raced this request): the grant is refused, as it would have
/// been had the revocation come first.
fn revoked_error(subject: &Subject<'_>, _: FamilyRevoked) -> OAuthError {
    match subject.grant {
        Some(GrantType::RefreshToken) => OAuthError::new(
            ErrorKind::InvalidRefreshToken,
            "refresh token is invalid, expired or revoked",
        ),
        _ => OAuthError::new(ErrorKind::InvalidCode, "code was already used; its tokens are revoked"),
    }
}

/// The id revocation records for a JWT access token: its `jti`, or for providers whose access
/// tokens carry none (App ID), the base64url SHA-256 of the token.
pub(crate) fn revocation_id(claims: &Map<String, Value>, token: &str) -> String {
    match claims.get("jti").and_then(Value::as_str) {
        Some(jti) => jti.to_owned(),
        None => idp_jose::digest::s256(token),
    }
}

/// Parses a space-separated `scope` parameter as `flavor` screens it ([`providers::requested_scopes`]),
/// refusing a checked scope the client may not have; `for_user`: a user is the subject.
pub(crate) fn requested_scopes(
    flavor: &dyn providers::Flavor,
    client: &Client,
    scope: Option<&str>,
    for_user: bool,
) -> Result<Vec<String>, OAuthError> {
    let Some(scope) = scope else {
        return Ok(client.default_scopes.clone());
    };
    providers::requested_scopes(flavor, client, scope, for_user)
        .map_err(|refused| OAuthError::new(ErrorKind::InvalidScope, refused.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_signing_algorithm_has_an_at_hash() {
        // idp_jose::digest::at_hash answers None for an algorithm it has no hash for, and an
        // ID token then goes out without `at_hash`: none of the mock's algorithms may be one.
        for alg in SigningAlg::ALL {
            assert!(idp_jose::digest::at_hash(alg.as_str(), "token").is_some(), "{alg}");
        }
        assert_eq!(
            idp_jose::digest::at_hash(
                SigningAlg::RS256.as_str(),
                "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"
            )
            .as_deref(),
            Some("77QmUPtjPfzWtF2AnpK9RQ")
        );
    }
}
