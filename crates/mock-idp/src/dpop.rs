//! DPoP proofs (RFC 9449 §4.3) as the provider checks them, in its order (Keycloak: the header,
//! `typ`, `alg`, the `jwk`, the signature, then the claims, `htu` (its query ignored), `htm`, the
//! `iat` window; WSO2: the claims first), single use where the provider keeps it (`jti` per `htu`,
//! in [`App::dpop_proofs`](crate::app::App)), then `ath` when an access token comes with the proof. Where the provider has no DPoP
//! ([`providers::Quirks::dpop`] is `None`) the header is ignored, as that provider does.

use crate::app::RealmCtx;
use crate::client_keys::{self, KeyRefusal};
use crate::replay::Spent;
use axum::http::HeaderMap;
use providers::dpop::{CheckOrder, DpopFacts, DpopRefusal};
use serde_json::{Map, Value, json};

/// Proofs longer than this are refused before any decoding.
const MAX_PROOF_BYTES: usize = 8 * 1024;

/// JWK members that only a private key has.
const PRIVATE_MEMBERS: [&str; 7] = ["d", "p", "q", "dp", "dq", "qi", "k"];

/// A proof that passed every check: the thumbprint of its key (`cnf.jkt`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Proof {
    /// RFC 7638 thumbprint of the proof's `jwk`.
    pub(crate) jkt: String,
}

/// The claims of a proof that passed [`RealmCtx::check_claims`], as single use keys them.
struct CheckedClaims<'c> {
    jti: &'c str,
    htu: &'c str,
    iat: i64,
}

/// The request a proof must be for.
pub(crate) struct Target<'a> {
    /// The HTTP method.
    pub(crate) method: &'a str,
    /// The endpoint's URL as the server publishes it.
    pub(crate) url: &'a str,
    /// The access token sent with the proof (protected resources), whose hash `ath` must be.
    pub(crate) access_token: Option<&'a str>,
}

impl RealmCtx {
    /// The provider's DPoP, if it has one.
    pub(crate) fn dpop_facts(&self) -> Option<&'static DpopFacts> {
        self.flavor().quirks().dpop.as_ref()
    }

    /// The nonce proofs to this realm's authorization server endpoints must carry, when its
    /// World demands one (`dpop_nonce`) and the provider has server nonces: sent as the
    /// `DPoP-Nonce` header (RFC 9449 §8.1).
    pub(crate) fn dpop_nonce(&self) -> Option<String> {
        let facts = self.dpop_facts()?;
        if !(facts.server_nonces && self.realm.dpop_nonce) {
            return None;
        }
        Some(self.nonce_key()?.current(&self.realm.name, self.now()))
    }

    /// The server's nonce key, made on first use.
    fn nonce_key(&self) -> Option<&crate::dpop_nonce::NonceKey> {
        self.app
            .dpop_nonces
            .get_or_init(crate::dpop_nonce::NonceKey::generate)
            .as_ref()
    }

    /// RFC 9449 §8 and §9: a proof to an authorization server endpoint or a protected resource
    /// (userinfo) of a realm that demands nonces must carry the current (or the previous
    /// window's) one; the same nonce serves both.
    fn check_nonce(&self, claims: &Map<String, Value>) -> Result<(), DpopRefusal> {
        let Some(current) = self.dpop_nonce() else {
            return Ok(());
        };
        let given = claims.get("nonce").and_then(Value::as_str);
        let accepted = given.is_some_and(|nonce| {
            self.nonce_key()
                .is_some_and(|key| key.accepts(&self.realm.name, nonce, self.now()))
        });
        if accepted {
            Ok(())
        } else {
            Err(DpopRefusal::UseNonce { nonce: current })
        }
    }

    /// The request's proof, checked for `target`: `Ok(None)` when the provider has no DPoP,
    /// when it checks proofs only for clients that require them (WSO2) and `client_requires` is
    /// false, or when the request has no `DPoP` header and `header_required` is false.
    pub(crate) fn dpop_proof(
        &self,
        headers: &HeaderMap,
        target: &Target<'_>,
        client_requires: bool,
        header_required: bool,
    ) -> Result<Option<Proof>, DpopRefusal> {
        let Some(facts) = self.dpop_facts() else {
            return Ok(None);
        };
        if facts.only_bound_clients && !client_requires {
            return Ok(None);
        }
        let mut values = headers.get_all("dpop").iter();
        let Some(value) = values.next() else {
            return if header_required {
                Err(DpopRefusal::Missing)
            } else {
                Ok(None)
            };
        };
        if values.next().is_some() {
            return Err(DpopRefusal::SeveralHeaders);
        }
        let proof = value.to_str().map_err(|_| DpopRefusal::NotJws)?.trim();
        if proof.is_empty() {
            return Err(DpopRefusal::Missing);
        }
        self.check_proof(facts, proof, target).map(Some)
    }

    fn check_proof(&self, facts: &DpopFacts, proof: &str, target: &Target<'_>) -> Result<Proof, DpopRefusal> {
        if proof.len() > MAX_PROOF_BYTES {
            return Err(DpopRefusal::NotJws);
        }
        let segments = idp_jose::compact::split(proof).map_err(|_| DpopRefusal::NotJws)?;
        let header = segments.header_object().map_err(|_| DpopRefusal::NotJws)?;
        let claims = segments.payload_object().map_err(|_| DpopRefusal::NotJws)?;
        let (jwk, checked) = match facts.order {
            CheckOrder::HeaderFirst => {
                let jwk = check_header(facts, &header, &segments)?;
                (jwk, self.check_claims(facts, &claims, target)?)
            }
            CheckOrder::ClaimsFirst => {
                let checked = self.check_claims(facts, &claims, target)?;
                (check_header(facts, &header, &segments)?, checked)
            }
        };
        // Before the proof is spent: the client retries with a new proof carrying the nonce.
        self.check_nonce(&claims)?;
        if facts.single_use {
            self.spend(facts, &checked)?;
        }
        if let Some(access_token) = target.access_token {
            let ath = claims.get("ath").and_then(Value::as_str).ok_or(DpopRefusal::NoAth)?;
            if ath != idp_jose::digest::s256(access_token) {
                return Err(DpopRefusal::AthMismatch);
            }
        }
        let jkt = idp_jose::digest::thumbprint(jwk).ok_or(DpopRefusal::UnusableKey)?;
        Ok(Proof { jkt })
    }

    /// The claims: `jti`, `htm`, `htu`, `iat` present, `htu` then `htm` this request's, `iat`
    /// inside the provider's window; the ones single use needs.
    fn check_claims<'c>(
        &self,
        facts: &DpopFacts,
        claims: &'c Map<String, Value>,
        target: &Target<'_>,
    ) -> Result<CheckedClaims<'c>, DpopRefusal> {
        let text = |name: &str| {
            claims
                .get(name)
                .and_then(Value::as_str)
                .filter(|text| !text.trim().is_empty())
        };
        let (Some(jti), Some(htm), Some(htu), Some(iat)) = (
            text("jti"),
            text("htm"),
            text("htu"),
            claims.get("iat").and_then(Value::as_i64),
        ) else {
            return Err(DpopRefusal::Claims);
        };
        let htu_url = url::Url::parse(htu).map_err(|_| DpopRefusal::MalformedHtu)?;
        if !same_resource(&htu_url, target.url) {
            return Err(DpopRefusal::Htu);
        }
        if htm != target.method {
            return Err(DpopRefusal::Htm);
        }
        let now = i64::try_from(self.now()).unwrap_or(i64::MAX);
        let max_age = i64::try_from(facts.max_age_secs).unwrap_or(i64::MAX);
        let too_new = facts
            .max_future_secs
            .is_some_and(|ahead| iat > now.saturating_add(i64::try_from(ahead).unwrap_or(i64::MAX)));
        if too_new || iat < now.saturating_sub(max_age) {
            return Err(DpopRefusal::NotActive);
        }
        Ok(CheckedClaims { jti, htu, iat })
    }

    /// Single use: the proof's `jti` for its `htu` is remembered until its window closes.
    fn spend(&self, facts: &DpopFacts, claims: &CheckedClaims<'_>) -> Result<(), DpopRefusal> {
        let max_age = i64::try_from(facts.max_age_secs).unwrap_or(i64::MAX);
        let expires_at = u64::try_from(claims.iat.saturating_add(max_age)).unwrap_or(0);
        let key = format!("{}\u{0}{}\n{}", self.realm.name, claims.jti, claims.htu);
        self.app
            .dpop_proofs
            .first_use(&key, expires_at, self.now())
            .map_err(|spent| match spent {
                Spent::Replayed => DpopRefusal::Replayed,
                Spent::Full => DpopRefusal::CacheFull,
            })
    }
}

/// The header: `typ`, `alg` (one the provider accepts), a public `jwk` of the algorithm's key
/// type, and the signature by that key; the `jwk`.
fn check_header<'h>(
    facts: &DpopFacts,
    header: &'h Map<String, Value>,
    segments: &idp_jose::compact::Segments<'_>,
) -> Result<&'h Map<String, Value>, DpopRefusal> {
    match header.get("typ") {
        Some(Value::String(typ)) if typ == "dpop+jwt" => {}
        Some(Value::String(typ)) => return Err(DpopRefusal::Typ(Some(typ.clone()))),
        Some(other) => return Err(DpopRefusal::Typ(Some(other.to_string()))),
        None => return Err(DpopRefusal::Typ(None)),
    }
    let alg = header.get("alg").and_then(Value::as_str).unwrap_or("null");
    if !facts.signing_algs.contains(&alg) {
        return Err(DpopRefusal::UnsupportedAlg(alg.to_owned()));
    }
    let jwk = header.get("jwk").and_then(Value::as_object).ok_or(DpopRefusal::NoJwk)?;
    if PRIVATE_MEMBERS.iter().any(|member| jwk.contains_key(*member)) {
        return Err(DpopRefusal::PrivateKey);
    }
    let kty = jwk.get("kty").and_then(Value::as_str).unwrap_or_default();
    if kty != key_type_of(alg) {
        return Err(DpopRefusal::KeyType {
            alg: alg.to_owned(),
            kty: kty.to_owned(),
        });
    }
    verify_signature(jwk, alg, segments.signing_input().as_bytes(), segments)?;
    Ok(jwk)
}

/// The `kty` an algorithm needs.
fn key_type_of(alg: &str) -> &'static str {
    match alg {
        "ES256" | "ES384" | "ES512" => "EC",
        "EdDSA" => "OKP",
        _ => "RSA",
    }
}

/// Verifies the proof's signature with its own `jwk` (its `kid`, `alg` and `use` do not
/// select anything: the key is the one in the header).
fn verify_signature(
    jwk: &Map<String, Value>,
    alg: &str,
    message: &[u8],
    segments: &idp_jose::compact::Segments<'_>,
) -> Result<(), DpopRefusal> {
    let signature = segments.signature_bytes().map_err(|_| DpopRefusal::Signature)?;
    let mut key = jwk.clone();
    for selector in ["kid", "alg", "use"] {
        key.remove(selector);
    }
    let set = json!({ "keys": [key] });
    let header = Map::from_iter([("alg".to_owned(), Value::from(alg))]);
    client_keys::verify(&set, &header, message, &signature).map_err(|refusal| match refusal {
        KeyRefusal::Signature => DpopRefusal::Signature,
        KeyRefusal::NoKey | KeyRefusal::Alg => DpopRefusal::UnusableKey,
    })
}

/// Whether `htu` names `url`: scheme, host, port and path equal, query and fragment ignored.
fn same_resource(htu: &url::Url, url: &str) -> bool {
    let Ok(mut url) = url::Url::parse(url) else {
        return false;
    };
    let mut htu = htu.clone();
    for u in [&mut htu, &mut url] {
        u.set_query(None);
        u.set_fragment(None);
    }
    htu == url
}

/// Adds the binding to access token `claims`: `cnf` (with the provider's extra members)
/// right before `scope`, as Keycloak writes it, the provider's bound `typ`, and WSO2's
/// `binding_ref` and `binding_type` where the provider writes them.
pub(crate) fn bind(claims: &mut Map<String, Value>, facts: &DpopFacts, proof: &Proof) {
    let mut cnf = Map::new();
    cnf.insert("jkt".into(), Value::from(proof.jkt.clone()));
    for (name, value) in facts.cnf_extra {
        cnf.insert((*name).to_owned(), Value::from(*value));
    }
    if let Some(typ) = facts.bound_access_token_typ
        && claims.contains_key("typ")
    {
        claims.insert("typ".into(), Value::from(typ));
    }
    if facts.binding_claims {
        // JWTTokenIssuer.addTokenBindingClaims.
        claims.insert(
            "binding_ref".into(),
            Value::from(providers::dpop::wso2_binding_ref(&proof.jkt)),
        );
        claims.insert("binding_type".into(), Value::from("DPoP"));
    }
    if !claims.contains_key("scope") {
        claims.insert("cnf".into(), Value::Object(cnf));
        return;
    }
    let mut ordered = Map::with_capacity(claims.len() + 1);
    let mut cnf = Some(cnf);
    for (name, value) in std::mem::take(claims) {
        if name == "scope"
            && let Some(cnf) = cnf.take()
        {
            ordered.insert("cnf".into(), Value::Object(cnf));
        }
        ordered.insert(name, value);
    }
    *claims = ordered;
}

/// The `cnf.jkt` of token claims, if the token is bound.
pub(crate) fn bound_jkt(claims: &Map<String, Value>) -> Option<&str> {
    claims.get("cnf")?.get("jkt")?.as_str()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn htu_ignores_the_query_and_fragment_but_nothing_else() {
        let htu = |text: &str| url::Url::parse(text).unwrap_or_else(|_| unreachable!());
        let token = "http://127.0.0.1:8080/realms/demo/protocol/openid-connect/token";
        assert!(same_resource(&htu(&format!("{token}?a=b#c")), token));
        assert!(same_resource(
            &htu("http://127.0.0.1:8080/realms/demo/protocol/openid-connect/token"),
            token
        ));
        assert!(!same_resource(&htu(&format!("{token}/")), token));
        assert!(!same_resource(
            &htu("https://127.0.0.1:8080/realms/demo/protocol/openid-connect/token"),
            token
        ));
        assert!(!same_resource(
            &htu("http://127.0.0.1:8081/realms/demo/protocol/openid-connect/token"),
            token
        ));
    }

    #[test]
    fn the_binding_goes_right_before_scope_with_the_provider_s_members() {
        let mut claims = Map::new();
        for name in ["exp", "typ", "azp", "scope", "email"] {
            claims.insert(name.into(), Value::from("x"));
        }
        bind(&mut claims, &providers::dpop::KEYCLOAK, &Proof { jkt: "thumb".into() });
        let names: Vec<&str> = claims.keys().map(String::as_str).collect();
        assert_eq!(names, ["exp", "typ", "azp", "cnf", "scope", "email"]);
        assert_eq!(claims["cnf"], json!({"jkt": "thumb", "kc-jkt-type": "DPoP"}));
        assert_eq!(claims["typ"], "DPoP");
        assert_eq!(bound_jkt(&claims), Some("thumb"));
    }
}
