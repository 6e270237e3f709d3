//! DPoP (RFC 9449) as each provider implements it: which proof algorithms discovery
//! advertises, the proof's time window, how a bound token is marked, whose refresh tokens are
//! bound, and the provider's own refusal texts. [`Quirks::dpop`](crate::Quirks::dpop) is `None`
//! where the provider has no DPoP (ZITADEL, IBM App ID): the mock then ignores a `DPoP` header
//! and issues bearer tokens, as they do.
//!
//! Sources (docs/providers.md, "DPoP"):
//! - WSO2: wso2-extensions/identity-oauth-addons `component/org.wso2.carbon.identity.dpop`
//!   (`DPoPConstants`, `DPoPHeaderValidator`, `OauthDPoPInterceptorHandlerProxy`, `Utils`,
//!   `DPoPIntrospectionDataProvider`); identity-inbound-auth-oauth `JWTTokenIssuer`
//!   (`addTokenBindingClaims`: `binding_type`, `binding_ref`), `OAuth2IntrospectionEndpoint`
//!   (the same two members) and, for userinfo, `UserInforRequestDefaultValidator` (the `DPoP`
//!   scheme needs a `DPoP` header), `UserInfoISAccessTokenValidator` and
//!   `DPoPBasedTokenBinder.validateDPoPHeader` (a bound token's proof: method, URL and key, no
//!   `ath`; only for applications that validate token bindings).
//! - Keycloak: `DPoPUtil.java` (the check order, every refusal text, `DEFAULT_PROOF_LIFETIME`
//!   10 s and `DEFAULT_ALLOWED_CLOCK_SKEW` 15 s, the replay key `jti` + `htu`, `htu` compared
//!   without its query, the bound access token's `typ` `DPoP`), `DPoPTest.java`, and a real
//!   run of Keycloak 26.7.3 from its distribution (`idp-conformance start keycloak-dist`, the
//!   default World, ES256 proofs sent by hand on 2026-12-05): the token response's
//!   `token_type`, `cnf` with `kc-jkt-type` right before `scope`, no `cnf` on a confidential
//!   client's refresh token or any ID token, introspection's `token_type` and `cnf`, the
//!   userinfo challenges, and the refusal texts of the blank, non-JWS, `typ`, `htu`, `htm`,
//!   stale, future and replayed proofs.

use crate::error::ErrorResponse;
use crate::{Provider, Quirks};

/// Why a DPoP proof, or a request that needed one, was refused.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DpopRefusal {
    /// The client requires DPoP and sent no proof, or the `DPoP` header is present but blank.
    Missing,
    /// The header is not a compact JWS with JSON header and payload (or came more than once).
    NotJws,
    /// The JOSE `typ` is not `dpop+jwt` (`None`: absent).
    Typ(Option<String>),
    /// The algorithm is not an asymmetric one the provider verifies.
    UnsupportedAlg(String),
    /// The JOSE header has no `jwk`.
    NoJwk,
    /// The `jwk` carries private key members.
    PrivateKey,
    /// The `jwk`'s key type does not fit the algorithm.
    KeyType {
        /// The proof's `alg`.
        alg: String,
        /// The `jwk`'s `kty`.
        kty: String,
    },
    /// The `jwk` is of the right type but unusable with the algorithm (another curve, a
    /// malformed key).
    UnusableKey,
    /// The signature does not verify with the `jwk`.
    Signature,
    /// `jti`, `htm`, `htu` or `iat` is missing.
    Claims,
    /// `htu` is not a URL.
    MalformedHtu,
    /// `htu` names another URL than the one requested (its query ignored).
    Htu,
    /// `htm` names another method.
    Htm,
    /// `iat` lies outside the accepted window.
    NotActive,
    /// The proof (`jti` for this `htu`) was used before.
    Replayed,
    /// The replay cache is full of unexpired proofs (the mock fails closed).
    CacheFull,
    /// The request carries more than one `DPoP` header.
    SeveralHeaders,
    /// A proof sent with an access token has no `ath`.
    NoAth,
    /// A proof's `ath` is not the hash of the access token sent with it.
    AthMismatch,
    /// A refresh token bound to a key was sent without a proof.
    RefreshWithoutProof,
    /// A refresh token bound to a key was sent with a proof of another key.
    RefreshKeyMismatch,
    /// The authorization request carried `dpop_jkt` and the code is redeemed without a proof.
    JktWithoutProof,
    /// The authorization request's `dpop_jkt` is not the proof key's thumbprint.
    JktMismatch,
    /// The server demands a nonce (RFC 9449 §8) and the proof carries none, or one it no
    /// longer accepts; `nonce` is the one to use (sent as the `DPoP-Nonce` header).
    UseNonce {
        /// The nonce the next proof must carry.
        nonce: String,
    },
}

/// The `error_description` of RFC 9449 §8's `use_dpop_nonce`.
pub const USE_NONCE_DESCRIPTION: &str = "Authorization server requires nonce in DPoP proof";

/// The `error_description` of RFC 9449 §9's `use_dpop_nonce` at a protected resource.
pub const RESOURCE_USE_NONCE_DESCRIPTION: &str = "Resource server requires nonce in DPoP proof";

/// Who words the refusals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DpopStyle {
    /// Keycloak's `DPoPUtil` texts, all `invalid_request` but the refresh grant's `invalid_grant`.
    Keycloak,
    /// WSO2 IS's DPoP component: `invalid_dpop_proof` with "Invalid DPoP Proof" for nearly
    /// everything.
    Wso2,
    /// RFC 9449 §5's `invalid_dpop_proof` with the mock's descriptions.
    Rfc9449,
}

/// How the provider's own protected resource (userinfo) takes DPoP-bound tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceDpop {
    /// RFC 9449 §7: a bound token only under the `DPoP` scheme, with a proof for the request
    /// by the bound key carrying `ath`; refusals are `invalid_token` under a `DPoP` challenge.
    Rfc9449,
    /// WSO2's userinfo: the `DPoP` scheme needs a `DPoP` header (checked before the token:
    /// [`WSO2_DPOP_HEADER_REQUIRED`]); an application that binds tokens (the World's
    /// `dpop_bound_access_tokens`) has its bound tokens' binding validated — the `DPoP` scheme
    /// and a proof for the request's method and URL by the bound key, `ath` not read — else
    /// [`WSO2_BINDING_NOT_PRESENT`]; both 400 `invalid_request` under a `Bearer` challenge.
    /// Any other token works under either scheme.
    Wso2TokenBinding,
}

/// WSO2 userinfo's answer to the `DPoP` scheme without a `DPoP` header
/// (`UserInforRequestDefaultValidator`).
pub const WSO2_DPOP_HEADER_REQUIRED: &str = "DPoP header is required with DPoP tokens";

/// WSO2 userinfo's answer to a bound token whose binding the request does not prove
/// (`UserInfoISAccessTokenValidator`).
pub const WSO2_BINDING_NOT_PRESENT: &str = "Valid token binding value not present in the request.";

/// WSO2's `binding_ref` of a DPoP binding: the lowercase hex MD5 of the JWK thumbprint string
/// (`DPoPHeaderValidator`: `DigestUtils.md5Hex(thumbprint)`).
pub fn wso2_binding_ref(jkt: &str) -> String {
    use md5::Digest;
    md5::Md5::digest(jkt.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Whose refresh tokens a proof binds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshBinding {
    /// Public clients' only (RFC 9449 §5: a confidential client's refresh token is bound to
    /// its authentication instead).
    PublicClients,
    /// Every bound client's (WSO2 keeps the binding with the token row, whatever the client).
    AllClients,
}

/// Which half of a proof is checked first (it decides the answer to a proof wrong in two ways).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckOrder {
    /// `typ`, `alg`, `jwk`, signature, then the claims (Keycloak).
    HeaderFirst,
    /// The claims (`iat`, `jti`, `htm`, `htu`), then `jwk`, `alg`, `typ`, then the signature (WSO2).
    ClaimsFirst,
}

/// A provider's DPoP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DpopFacts {
    /// The proof algorithms accepted, in the provider's order (`dpop_signing_alg_values_supported`
    /// where [`DpopFacts::advertised`]).
    pub signing_algs: &'static [&'static str],
    /// Whether discovery lists `dpop_signing_alg_values_supported`.
    pub advertised: bool,
    /// Whether a proof is checked only for clients that require DPoP (WSO2's per-application
    /// token binding type); otherwise whenever the header is sent (Keycloak).
    pub only_bound_clients: bool,
    /// How old a proof's `iat` may be, in seconds.
    pub max_age_secs: u64,
    /// How far ahead of the server a proof's `iat` may be; `None`: not checked.
    pub max_future_secs: Option<u64>,
    /// Whether a proof's `jti` (per `htu`) is accepted only once.
    pub single_use: bool,
    /// Which half of a proof is checked first.
    pub order: CheckOrder,
    /// Members `cnf` carries after `jkt` (Keycloak's `kc-jkt-type`).
    pub cnf_extra: &'static [(&'static str, &'static str)],
    /// The access token's `typ` claim when it is bound (Keycloak writes `DPoP` where it writes
    /// `Bearer` otherwise); `None` keeps the usual one.
    pub bound_access_token_typ: Option<&'static str>,
    /// Whose refresh tokens a proof binds.
    pub refresh_binding: RefreshBinding,
    /// Whether a refresh request without a proof, from a client that requires DPoP, is left
    /// to the refresh grant, which refuses a bound refresh token in its own words (WSO2's
    /// renewal path: "DPoP proof is required."); otherwise the header check refuses it first.
    pub refresh_proof_checked_by_grant: bool,
    /// Whether the provider can demand server-provided nonces (RFC 9449 §8) when a realm asks
    /// for them (the World's `dpop_nonce`). Keycloak 26.7.3's `DPoPUtil` reads no `nonce`;
    /// WSO2's DPoP component neither.
    pub server_nonces: bool,
    /// Whether a bound JWT access token also carries WSO2's `binding_type` (`DPoP`) and
    /// `binding_ref` ([`wso2_binding_ref`]) beside `cnf`.
    pub binding_claims: bool,
    /// How userinfo takes bound tokens.
    pub resource: ResourceDpop,
    /// How refusals are worded.
    pub style: DpopStyle,
}

impl DpopFacts {
    /// Status, `error` and `error_description` of `refusal` at the token endpoint.
    pub fn text(&self, refusal: &DpopRefusal) -> (u16, &'static str, String) {
        use DpopRefusal as R;
        match self.style {
            DpopStyle::Keycloak => {
                let description = match refusal {
                    R::Missing => "DPoP proof is missing".to_owned(),
                    R::NotJws => "DPoP header verification failure".to_owned(),
                    R::Typ(typ) => format!(
                        "Invalid or missing type in DPoP header: {}",
                        typ.as_deref().unwrap_or("null")
                    ),
                    R::UnsupportedAlg(alg) => format!("Unsupported DPoP algorithm: {alg}"),
                    R::NoJwk => "No JWK in DPoP header".to_owned(),
                    R::PrivateKey => "Private key is present in DPoP header".to_owned(),
                    R::KeyType { alg, kty } => {
                        format!("Key with algorithm {alg} and type {kty} is incorrect for provider algorithm {alg}")
                    }
                    R::UnusableKey => {
                        "DPoP verification failure: org.keycloak.common.VerificationException: Signing failed".to_owned()
                    }
                    R::Signature => "DPoP verification failure: org.keycloak.exceptions.TokenSignatureInvalidException: Invalid token signature".to_owned(),
                    R::Claims => "DPoP mandatory claims are missing".to_owned(),
                    R::MalformedHtu => "Malformed HTTP URL in DPoP proof".to_owned(),
                    R::Htu => "DPoP HTTP URL mismatch".to_owned(),
                    R::Htm => "DPoP HTTP method mismatch".to_owned(),
                    R::NotActive => "DPoP proof is not active".to_owned(),
                    R::Replayed | R::CacheFull => "DPoP proof has already been used".to_owned(),
                    R::SeveralHeaders => "DPoP header verification failure".to_owned(),
                    R::NoAth => "No access token hash in DPoP proof".to_owned(),
                    R::AthMismatch => "DPoP proof access token hash mismatch".to_owned(),
                    R::RefreshWithoutProof => return (400, "invalid_grant", "DPoP proof is missing".to_owned()),
                    R::RefreshKeyMismatch => {
                        return (400, "invalid_grant", "DPoP confirmation doesn't match DPoP proof".to_owned());
                    }
                    R::JktWithoutProof => "DPoP Proof missing".to_owned(),
                    R::JktMismatch => "DPoP Proof public key thumbprint does not match dpop_jkt".to_owned(),
                    // Keycloak demands no nonces (`server_nonces` off): never raised for it.
                    R::UseNonce { .. } => return (400, "use_dpop_nonce", USE_NONCE_DESCRIPTION.to_owned()),
                };
                (400, "invalid_request", description)
            }
            DpopStyle::Wso2 => {
                let description = match refusal {
                    R::Missing => "DPoP header is required.",
                    R::SeveralHeaders => {
                        "Exception occurred while extracting the DPoP proof header: Request contains multiple DPoP headers."
                    }
                    R::NotActive => "Expired DPoP Proof",
                    R::RefreshWithoutProof => "DPoP proof is required.",
                    // WSO2 demands no nonces (`server_nonces` off): never raised for it.
                    R::UseNonce { .. } => return (400, "use_dpop_nonce", USE_NONCE_DESCRIPTION.to_owned()),
                    _ => "Invalid DPoP Proof",
                };
                (400, "invalid_dpop_proof", description.to_owned())
            }
            DpopStyle::Rfc9449 => {
                let description = match refusal {
                    R::Missing => "a DPoP proof is required",
                    R::NotJws => "the DPoP proof is not a JWS",
                    R::Typ(_) => "the DPoP proof's typ is not dpop+jwt",
                    R::UnsupportedAlg(_) => "the DPoP proof's alg is not supported",
                    R::NoJwk => "the DPoP proof has no jwk",
                    R::PrivateKey => "the DPoP proof's jwk is a private key",
                    R::KeyType { .. } | R::UnusableKey => "the DPoP proof's jwk does not fit its alg",
                    R::Signature => "the DPoP proof's signature does not verify",
                    R::Claims => "the DPoP proof lacks jti, htm, htu or iat",
                    R::MalformedHtu | R::Htu => "the DPoP proof's htu is not this endpoint",
                    R::Htm => "the DPoP proof's htm is not this request's method",
                    R::NotActive => "the DPoP proof's iat is outside the accepted window",
                    R::Replayed => "the DPoP proof was already used",
                    R::CacheFull => "too many DPoP proofs are in use; try again later",
                    R::SeveralHeaders => "the request carries more than one DPoP header",
                    R::NoAth => "the DPoP proof has no ath",
                    R::AthMismatch => "the DPoP proof's ath is not the access token's hash",
                    R::RefreshWithoutProof => {
                        return (
                            400,
                            "invalid_grant",
                            "the refresh token is DPoP-bound; a proof is required".into(),
                        );
                    }
                    R::RefreshKeyMismatch => {
                        return (400, "invalid_grant", "the refresh token is bound to another key".into());
                    }
                    R::JktWithoutProof => "the authorization request's dpop_jkt needs a DPoP proof",
                    R::JktMismatch => "the DPoP proof's key is not the authorization request's dpop_jkt",
                    R::UseNonce { .. } => return (400, "use_dpop_nonce", USE_NONCE_DESCRIPTION.to_owned()),
                };
                (400, "invalid_dpop_proof", description.to_owned())
            }
        }
    }

    /// The token endpoint's response for `refusal`.
    pub fn error_response(&self, refusal: &DpopRefusal) -> ErrorResponse {
        let (status, error, description) = self.text(refusal);
        ErrorResponse::json(status, error, &description, None)
    }

    /// The `algs` of a `WWW-Authenticate: DPoP` challenge: the accepted algorithms, space-separated.
    pub fn challenge_algs(&self) -> String {
        self.signing_algs.join(" ")
    }
}

/// The algorithms of `dpop_signing_alg_values_supported` in Keycloak 26.7.3's order (its
/// discovery document and its `WWW-Authenticate: DPoP algs="…"`).
const KEYCLOAK_ALGS: &[&str] = &[
    "PS384", "RS384", "EdDSA", "ES384", "ES256", "RS256", "ES512", "PS256", "PS512", "RS512",
];

/// Keycloak 26 (DPoP a default feature): a proof at the token endpoint binds the tokens
/// whether or not the client requires DPoP (`dpop.bound.access.tokens` makes it mandatory).
pub const KEYCLOAK: DpopFacts = DpopFacts {
    signing_algs: KEYCLOAK_ALGS,
    advertised: true,
    only_bound_clients: false,
    // DEFAULT_PROOF_LIFETIME 10 s + DEFAULT_ALLOWED_CLOCK_SKEW 15 s behind, the skew ahead.
    max_age_secs: 25,
    max_future_secs: Some(15),
    single_use: true,
    order: CheckOrder::HeaderFirst,
    cnf_extra: &[("kc-jkt-type", "DPoP")],
    bound_access_token_typ: Some("DPoP"),
    refresh_binding: RefreshBinding::PublicClients,
    refresh_proof_checked_by_grant: false,
    server_nonces: false,
    binding_claims: false,
    resource: ResourceDpop::Rfc9449,
    style: DpopStyle::Keycloak,
};

/// The asymmetric JWS algorithms the mock verifies proofs with, EdDSA last.
const ASYMMETRIC_ALGS: [&str; 10] = [
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA",
];

/// RFC 9449 as written, for the generic provider: the same window as Keycloak's, the
/// standard error code.
pub const STANDARD: DpopFacts = DpopFacts {
    signing_algs: &ASYMMETRIC_ALGS,
    advertised: true,
    only_bound_clients: false,
    max_age_secs: 25,
    max_future_secs: Some(15),
    single_use: true,
    order: CheckOrder::HeaderFirst,
    cnf_extra: &[],
    bound_access_token_typ: None,
    refresh_binding: RefreshBinding::PublicClients,
    refresh_proof_checked_by_grant: false,
    server_nonces: true,
    binding_claims: false,
    resource: ResourceDpop::Rfc9449,
    style: DpopStyle::Rfc9449,
};

/// WSO2 IS 7's DPoP component (`org.wso2.carbon.identity.dpop`): only for applications whose
/// access token binding type is `DPoP` (the World's `dpop_bound_access_tokens`); for every other
/// client the header is ignored. A proof may be 60 s old (`DEFAULT_HEADER_VALIDITY`), its `iat`
/// is not checked against the future and its `jti` only for presence (no replay cache); RSA and
/// EC keys only; discovery does not list the algorithms.
pub const WSO2: DpopFacts = DpopFacts {
    // RSA and EC keys only: the list without its last member, EdDSA.
    signing_algs: match ASYMMETRIC_ALGS.split_last() {
        Some((_, rsa_and_ec)) => rsa_and_ec,
        None => &[],
    },
    advertised: false,
    only_bound_clients: true,
    max_age_secs: 60,
    max_future_secs: None,
    single_use: false,
    order: CheckOrder::ClaimsFirst,
    cnf_extra: &[],
    bound_access_token_typ: None,
    refresh_binding: RefreshBinding::AllClients,
    refresh_proof_checked_by_grant: true,
    server_nonces: false,
    binding_claims: true,
    resource: ResourceDpop::Wso2TokenBinding,
    style: DpopStyle::Wso2,
};

/// `provider`'s DPoP, if the mock imitates one.
pub fn facts(provider: Provider) -> Option<&'static DpopFacts> {
    provider.quirks().dpop.as_ref()
}

impl Quirks {
    /// Whether `claims` are of an access token bound by DPoP in this provider's way (its bound
    /// `typ`), for providers whose access tokens say their type.
    pub fn is_bound_access_token(&self, claims: &serde_json::Map<String, serde_json::Value>) -> bool {
        match self.dpop.and_then(|dpop| dpop.bound_access_token_typ) {
            Some(typ) => claims.get("typ").and_then(serde_json::Value::as_str) == Some(typ),
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wso2_binding_ref_is_the_md5_hex_of_the_thumbprint_string() {
        // RFC 1321 §A.5's test suite.
        assert_eq!(wso2_binding_ref("abc"), "900150983cd24fb0d6963f7d28e17f72");
        assert_eq!(wso2_binding_ref(""), "d41d8cd98f00b204e9800998ecf8427e");
    }

    #[test]
    fn wso2_takes_the_standard_algorithms_but_eddsa() {
        assert!(STANDARD.signing_algs.contains(&"EdDSA"));
        assert!(!WSO2.signing_algs.contains(&"EdDSA"));
        assert_eq!(WSO2.signing_algs.len() + 1, STANDARD.signing_algs.len());
        assert!(WSO2.signing_algs.iter().all(|alg| STANDARD.signing_algs.contains(alg)));
    }

    #[test]
    fn keycloak_names_an_absent_typ_null_and_an_empty_one_nothing() {
        assert_eq!(
            KEYCLOAK.text(&DpopRefusal::Typ(None)).2,
            "Invalid or missing type in DPoP header: null"
        );
        assert_eq!(
            KEYCLOAK.text(&DpopRefusal::Typ(Some(String::new()))).2,
            "Invalid or missing type in DPoP header: "
        );
    }

    #[test]
    fn keycloak_refuses_a_bound_refresh_as_invalid_grant_and_proofs_as_invalid_request() {
        assert_eq!(KEYCLOAK.text(&DpopRefusal::RefreshKeyMismatch).1, "invalid_grant");
        assert_eq!(KEYCLOAK.text(&DpopRefusal::Htu).1, "invalid_request");
        assert_eq!(STANDARD.text(&DpopRefusal::Htu).1, "invalid_dpop_proof");
        assert_eq!(
            KEYCLOAK.challenge_algs(),
            "PS384 RS384 EdDSA ES384 ES256 RS256 ES512 PS256 PS512 RS512"
        );
    }

    #[test]
    fn keycloak_generic_and_wso2_bind_tokens() {
        assert_eq!(facts(Provider::Keycloak), Some(&KEYCLOAK));
        assert_eq!(facts(Provider::Generic), Some(&STANDARD));
        assert_eq!(facts(Provider::Wso2), Some(&WSO2));
        for provider in [Provider::Zitadel, Provider::AppId] {
            assert_eq!(facts(provider), None, "{provider}");
        }
    }
}
