//! Negative tokens: a minted access token made wrong in one chosen way (expired, not yet valid,
//! wrong issuer or audience, unknown `kid`, bad signature, `alg: none`), so a resource server's
//! refusals can be tested one by one.

use crate::b64;
use crate::keys::RealmKeys;
use idp_jose::compact;
use providers::SigningAlg;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

/// How far in the past an expired token expired, and how far in the future a not-yet-valid
/// token becomes valid: one hour, well beyond any sane clock-skew leeway.
pub(crate) const SKEW: u64 = 3600;
/// The issuer of a wrong-issuer token (RFC 2606 `.invalid`).
pub(crate) const WRONG_ISSUER: &str = "https://wrong-issuer.invalid/";
/// The audience of a wrong-audience token.
pub(crate) const WRONG_AUDIENCE: &str = "wrong-audience";

/// One way a minted token is made invalid (see [`crate::TokenSpec::defect`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TokenDefect {
    /// `exp` an hour ago (`iat` an hour before that).
    Expired,
    /// `nbf` an hour from now (`exp` after it).
    NotYetValid,
    /// `iss` is `https://wrong-issuer.invalid/`.
    WrongIssuer,
    /// `aud` is `wrong-audience`.
    WrongAudience,
    /// Correctly signed, but the header names a `kid` no published key has.
    UnknownKid,
    /// The signature's bytes are altered.
    BadSignature,
    /// The header says `"alg": "none"` and the signature is empty (RFC 7519 §6.1).
    AlgNone,
}

impl TokenDefect {
    /// Every defect.
    pub const ALL: [TokenDefect; 7] = [
        TokenDefect::Expired,
        TokenDefect::NotYetValid,
        TokenDefect::WrongIssuer,
        TokenDefect::WrongAudience,
        TokenDefect::UnknownKid,
        TokenDefect::BadSignature,
        TokenDefect::AlgNone,
    ];
}

/// The claims the claim defects set, given the time and the token's lifetime.
pub(crate) fn claims(defects: &[TokenDefect], now: u64, lifetime: u64) -> Map<String, Value> {
    let mut claims = Map::new();
    for defect in defects {
        match defect {
            TokenDefect::Expired => {
                let exp = now.saturating_sub(SKEW);
                claims.insert("exp".into(), json!(exp));
                claims.insert("iat".into(), json!(exp.saturating_sub(lifetime.max(1))));
            }
            TokenDefect::NotYetValid => {
                let nbf = now.saturating_add(SKEW);
                claims.insert("nbf".into(), json!(nbf));
                claims.insert("exp".into(), json!(nbf.saturating_add(lifetime.max(1))));
            }
            TokenDefect::WrongIssuer => {
                claims.insert("iss".into(), json!(WRONG_ISSUER));
            }
            TokenDefect::WrongAudience => {
                claims.insert("aud".into(), json!(WRONG_AUDIENCE));
            }
            TokenDefect::UnknownKid | TokenDefect::BadSignature | TokenDefect::AlgNone => {}
        }
    }
    claims
}

/// Why a token could not be made defective.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DefectError {
    /// Header and signature defects need a JWT; the client's tokens are opaque.
    #[error("{0:?} needs a JWT access token; this client's access tokens are opaque")]
    Opaque(TokenDefect),
    /// The signed token could not be re-signed.
    #[error("could not re-sign the token: {0}")]
    Sign(String),
}

/// Applies the header and signature defects to `token`, signed by a key of `keys`.
pub(crate) fn apply(token: String, defects: &[TokenDefect], keys: &RealmKeys) -> Result<String, DefectError> {
    let structural = [TokenDefect::UnknownKid, TokenDefect::BadSignature, TokenDefect::AlgNone];
    let Some(first) = defects.iter().find(|defect| structural.contains(defect)) else {
        return Ok(token);
    };
    let segments = compact::split(&token).map_err(|_| DefectError::Opaque(*first))?;
    let mut header = segments.header_object().map_err(|_| DefectError::Opaque(*first))?;
    let payload = segments
        .signing_input()
        .split_once('.')
        .map(|(_, payload)| payload.to_owned())
        .unwrap_or_default();
    let mut signature = segments
        .signature_bytes()
        .map_err(|err| DefectError::Sign(err.to_string()))?;
    if defects.contains(&TokenDefect::UnknownKid) {
        header.insert("kid".into(), json!(format!("unknown-{}", b64::random_token(8))));
        let alg = header
            .get("alg")
            .and_then(Value::as_str)
            .and_then(SigningAlg::from_name)
            .ok_or_else(|| DefectError::Sign("no alg in the header".into()))?;
        let key = keys
            .signer(alg)
            .ok_or_else(|| DefectError::Sign(format!("no {alg} key")))?;
        let input = format!("{}.{payload}", b64::encode(Value::Object(header.clone()).to_string()));
        signature = key
            .sign(input.as_bytes())
            .map_err(|err| DefectError::Sign(err.to_string()))?;
    }
    if defects.contains(&TokenDefect::BadSignature) {
        let middle = signature.len() / 2;
        if let Some(byte) = signature.get_mut(middle) {
            *byte ^= 0x01;
        }
    }
    if defects.contains(&TokenDefect::AlgNone) {
        header.insert("alg".into(), json!("none"));
        header.remove("kid");
        signature.clear();
    }
    let header = b64::encode(Value::Object(header).to_string());
    Ok(format!("{header}.{payload}.{}", b64::encode(signature)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jws::{self, JwsError};
    use crate::keys::KeyMaterial;

    fn token(keys: &RealmKeys) -> String {
        let mut claims = Map::new();
        claims.insert("sub".into(), json!("alice"));
        jws::sign(keys.signer(SigningAlg::RS256).unwrap(), "at+jwt", &Map::new(), &claims).unwrap()
    }

    #[test]
    fn each_structural_defect_is_refused_by_the_mocks_own_verifier_for_its_reason() {
        let keys = RealmKeys::from_material(&KeyMaterial::embedded()).unwrap();
        jws::verify(&keys, &token(&keys)).unwrap();
        let cases = [
            (TokenDefect::UnknownKid, JwsError::UnknownKey),
            (TokenDefect::BadSignature, JwsError::BadSignature),
            (TokenDefect::AlgNone, JwsError::UnknownKey),
        ];
        for (defect, error) in cases {
            let bad = apply(token(&keys), &[defect], &keys).unwrap();
            assert_eq!(jws::verify(&keys, &bad).unwrap_err(), error, "{defect:?}");
        }
        let none = apply(token(&keys), &[TokenDefect::AlgNone], &keys).unwrap();
        assert!(none.ends_with('.'), "{none}");
        assert_eq!(
            apply("opaque".into(), &[TokenDefect::BadSignature], &keys),
            Err(DefectError::Opaque(TokenDefect::BadSignature))
        );
        assert_eq!(
            apply("opaque".into(), &[TokenDefect::Expired], &keys).unwrap(),
            "opaque"
        );
    }

    #[test]
    fn claim_defects_set_the_claims_they_name() {
        let claims = claims(&[TokenDefect::Expired, TokenDefect::WrongAudience], 10_000, 300);
        assert_eq!(claims["exp"], 10_000 - SKEW);
        assert_eq!(claims["iat"], 10_000 - SKEW - 300);
        assert_eq!(claims["aud"], WRONG_AUDIENCE);
    }
}
