//! Verification keys: [`Alg`], one JWK parsed into a key pinned to exactly one algorithm, and
//! a [`KeySet`] (one issuer's JWKS) that verifies compact JWS.

use crate::error::InvalidToken;
use crate::jose;
use aws_lc_rs::signature::{self, ParsedPublicKey, RsaPublicKeyComponents};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

/// An asymmetric JWS algorithm token-guard verifies (RFC 7518 §3, RFC 8037). HMAC algorithms
/// are deliberately absent: a resource server never shares a secret with the issuer, and an
/// HMAC option is what RS/HS key confusion needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Alg {
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    RS256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    RS384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    RS512,
    /// RSASSA-PSS with SHA-256.
    PS256,
    /// RSASSA-PSS with SHA-384.
    PS384,
    /// RSASSA-PSS with SHA-512.
    PS512,
    /// ECDSA P-256 with SHA-256 (fixed-width r‖s).
    ES256,
    /// ECDSA P-384 with SHA-384 (fixed-width r‖s).
    ES384,
    /// Ed25519 (RFC 8037 `EdDSA`).
    EdDSA,
}

impl Alg {
    /// Every algorithm.
    pub const ALL: [Alg; 9] = [
        Alg::RS256,
        Alg::RS384,
        Alg::RS512,
        Alg::PS256,
        Alg::PS384,
        Alg::PS512,
        Alg::ES256,
        Alg::ES384,
        Alg::EdDSA,
    ];

    /// The `alg` value (case-sensitive, RFC 7515 §4.1.1).
    pub fn as_str(self) -> &'static str {
        match self {
            Alg::RS256 => "RS256",
            Alg::RS384 => "RS384",
            Alg::RS512 => "RS512",
            Alg::PS256 => "PS256",
            Alg::PS384 => "PS384",
            Alg::PS512 => "PS512",
            Alg::ES256 => "ES256",
            Alg::ES384 => "ES384",
            Alg::EdDSA => "EdDSA",
        }
    }

    /// Parses an exact `alg` value; `None` for `none`, HMAC, unknown or mis-cased names.
    pub fn from_name(name: &str) -> Option<Alg> {
        Alg::ALL.into_iter().find(|alg| alg.as_str() == name)
    }

    fn kind(self) -> KeyKind {
        match self {
            Alg::RS256 | Alg::RS384 | Alg::RS512 | Alg::PS256 | Alg::PS384 | Alg::PS512 => KeyKind::Rsa,
            Alg::ES256 => KeyKind::P256,
            Alg::ES384 => KeyKind::P384,
            Alg::EdDSA => KeyKind::Ed25519,
        }
    }
}

impl fmt::Display for Alg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<providers::SigningAlg> for Alg {
    fn from(alg: providers::SigningAlg) -> Alg {
        match alg {
            providers::SigningAlg::RS256 => Alg::RS256,
            providers::SigningAlg::ES256 => Alg::ES256,
            providers::SigningAlg::EdDSA => Alg::EdDSA,
            providers::SigningAlg::PS256 => Alg::PS256,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyKind {
    Rsa,
    P256,
    P384,
    Ed25519,
}

/// Smallest RSA modulus accepted (RFC 7518 §3.3).
pub const MIN_RSA_BITS: usize = 2048;
/// Largest RSA modulus accepted: bounds the cost of one verification (ATK-30).
pub const MAX_RSA_BITS: usize = 4096;

/// One verification key, pinned to exactly one algorithm (RFC 8725 §3.1).
pub struct VerifyKey {
    kid: Option<String>,
    alg: Alg,
    key: ParsedPublicKey,
}

impl fmt::Debug for VerifyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifyKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

impl VerifyKey {
    /// The key's `kid`.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// The one algorithm this key verifies.
    pub fn alg(&self) -> Alg {
        self.alg
    }

    /// Parses one public JWK. The key's algorithm is its `alg` member, which must be in
    /// `allowed`; without `alg`, the first allowed algorithm fitting its `kty`/`crv`.
    /// Refused: `use` other than `sig`, `key_ops` without `verify`, private or symmetric
    /// members, `oct` keys, RSA outside 2048..=4096 bits or with `e` < 3 or even, points not on
    /// the curve, and an `alg` that does not fit the key type.
    pub fn from_jwk(jwk: &Map<String, Value>, allowed: &[Alg]) -> Result<VerifyKey, KeyRefused> {
        let text = |name: &str| -> Result<Option<&str>, KeyRefused> {
            match jwk.get(name) {
                None => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.as_str())),
                Some(_) => Err(KeyRefused::NotAString(name.to_owned())),
            }
        };
        let kty = text("kty")?.ok_or_else(|| KeyRefused::Missing("kty".into()))?;
        if let Some(usage) = text("use")?
            && usage != "sig"
        {
            return Err(KeyRefused::NotForSigning(usage.to_owned()));
        }
        if let Some(ops) = jwk.get("key_ops") {
            let verify = ops
                .as_array()
                .is_some_and(|ops| ops.iter().any(|op| op.as_str() == Some("verify")));
            if !verify {
                return Err(KeyRefused::NoVerifyOperation);
            }
        }
        if ["d", "p", "q", "dp", "dq", "qi", "k", "oth"]
            .iter()
            .any(|m| jwk.contains_key(*m))
        {
            return Err(KeyRefused::PrivateMaterial);
        }
        let kind = match (kty, text("crv")?) {
            ("RSA", None) => KeyKind::Rsa,
            ("EC", Some("P-256")) => KeyKind::P256,
            ("EC", Some("P-384")) => KeyKind::P384,
            ("OKP", Some("Ed25519")) => KeyKind::Ed25519,
            (kty, crv) => {
                return Err(KeyRefused::UnsupportedType {
                    kty: kty.to_owned(),
                    crv: crv.unwrap_or("-").to_owned(),
                });
            }
        };
        let alg = match text("alg")? {
            Some(name) => {
                let alg = Alg::from_name(name).ok_or_else(|| KeyRefused::UnsupportedAlg(name.to_owned()))?;
                if alg.kind() != kind {
                    return Err(KeyRefused::AlgDoesNotFit(alg));
                }
                if !allowed.contains(&alg) {
                    return Err(KeyRefused::AlgNotAllowed(alg));
                }
                alg
            }
            None => allowed
                .iter()
                .copied()
                .find(|alg| alg.kind() == kind)
                .ok_or(KeyRefused::NoAllowedAlg)?,
        };
        let member = |name: &str| -> Result<Vec<u8>, KeyRefused> {
            let value = text(name)?.ok_or_else(|| KeyRefused::Missing(name.to_owned()))?;
            idp_jose::b64::decode(value).map_err(|_| KeyRefused::NotBase64(name.to_owned()))
        };
        let key = match kind {
            KeyKind::Rsa => {
                let n = member("n")?;
                let e = member("e")?;
                let n = strip_zeros(&n);
                let e = strip_zeros(&e);
                let bits = bit_len(n);
                if !(MIN_RSA_BITS..=MAX_RSA_BITS).contains(&bits) {
                    return Err(KeyRefused::RsaModulusSize(bits));
                }
                if roca_fingerprint(n) {
                    return Err(KeyRefused::Roca);
                }
                let e_small = e.len() == 1 && e[0] < 3;
                if e.is_empty() || e_small || e.last().is_some_and(|b| b % 2 == 0) || e.len() > 8 {
                    return Err(KeyRefused::RsaExponent);
                }
                let params = match alg {
                    Alg::RS256 => &signature::RSA_PKCS1_2048_8192_SHA256,
                    Alg::RS384 => &signature::RSA_PKCS1_2048_8192_SHA384,
                    Alg::RS512 => &signature::RSA_PKCS1_2048_8192_SHA512,
                    Alg::PS256 => &signature::RSA_PSS_2048_8192_SHA256,
                    Alg::PS384 => &signature::RSA_PSS_2048_8192_SHA384,
                    _ => &signature::RSA_PSS_2048_8192_SHA512,
                };
                RsaPublicKeyComponents { n, e }
                    .to_parsed_public_key(params)
                    .map_err(|source| KeyRefused::Rejected { kind: "RSA", source })?
            }
            KeyKind::P256 | KeyKind::P384 => {
                let (x, y) = (member("x")?, member("y")?);
                let width = if kind == KeyKind::P256 { 32 } else { 48 };
                if x.len() != width || y.len() != width {
                    return Err(KeyRefused::WrongLength("EC"));
                }
                let mut point = Vec::with_capacity(1 + 2 * width);
                point.push(4);
                point.extend_from_slice(&x);
                point.extend_from_slice(&y);
                let algorithm = if kind == KeyKind::P256 {
                    &signature::ECDSA_P256_SHA256_FIXED
                } else {
                    &signature::ECDSA_P384_SHA384_FIXED
                };
                ParsedPublicKey::new(algorithm, point).map_err(|source| KeyRefused::Rejected { kind: "EC", source })?
            }
            KeyKind::Ed25519 => {
                let x = member("x")?;
                if x.len() != 32 {
                    return Err(KeyRefused::WrongLength("Ed25519"));
                }
                ParsedPublicKey::new(&signature::ED25519, x).map_err(|source| KeyRefused::Rejected {
                    kind: "Ed25519",
                    source,
                })?
            }
        };
        Ok(VerifyKey {
            kid: text("kid")?.map(str::to_owned),
            alg,
            key,
        })
    }

    /// Verifies `signature` over `message` with this key's one algorithm.
    pub(crate) fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        self.key.verify_sig(message, signature).is_ok()
    }
}

/// Whether the modulus has the structure of keys made by the vulnerable Infineon RSALib
/// (ROCA, CVE-2017-15361): `n mod p` lies in the subgroup generated by 65537 for every small
/// prime `p` of the published fingerprint. A random modulus passes with negligible probability.
fn roca_fingerprint(n: &[u8]) -> bool {
    const PRIMES: [u32; 38] = [
        3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97, 101, 103, 107,
        109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167,
    ];
    PRIMES.iter().all(|&p| {
        let residue = n.iter().fold(0u32, |acc, byte| (acc * 256 + u32::from(*byte)) % p);
        let generator = 65_537 % p;
        let mut power = 1u32;
        for _ in 0..p {
            if power == residue {
                return true;
            }
            power = power * generator % p;
        }
        false
    })
}

fn strip_zeros(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    &bytes[start..]
}

fn bit_len(bytes: &[u8]) -> usize {
    match bytes.first() {
        None => 0,
        Some(first) => bytes.len() * 8 - first.leading_zeros() as usize,
    }
}

/// Why one JWK is not usable (it is skipped; the rest of the set stays usable).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyRefused {
    /// The JWK is not a JSON object.
    #[error("not an object")]
    NotAnObject,
    /// A member that must be a string is not one.
    #[error("`{0}` is not a string")]
    NotAString(String),
    /// A required member is missing (`kty`, `n`, `e`, `x`, `y`).
    #[error("no `{0}`")]
    Missing(String),
    /// `use` is not `sig`.
    #[error("`use` is `{0}`")]
    NotForSigning(String),
    /// `key_ops` does not list `verify`.
    #[error("`key_ops` lacks `verify`")]
    NoVerifyOperation,
    /// Private or symmetric members (`d`, `p`, `k`, …) in a public key set.
    #[error("private or symmetric key material in a public key set")]
    PrivateMaterial,
    /// A `kty`/`crv` pair this crate does not verify with.
    #[error("unsupported key type {kty}/{crv}")]
    UnsupportedType {
        /// The `kty`.
        kty: String,
        /// The `crv`, `-` when absent.
        crv: String,
    },
    /// An `alg` this crate does not know.
    #[error("unsupported `alg` {0}")]
    UnsupportedAlg(String),
    /// The `alg` belongs to another key type.
    #[error("`alg` {0} does not fit the key type")]
    AlgDoesNotFit(Alg),
    /// The `alg` is not among the allowed algorithms.
    #[error("`alg` {0} is not allowed")]
    AlgNotAllowed(Alg),
    /// No `alg`, and no allowed algorithm fits the key type.
    #[error("no allowed algorithm fits the key type")]
    NoAllowedAlg,
    /// A member is not base64url.
    #[error("`{0}` is not base64url")]
    NotBase64(String),
    /// An RSA modulus outside [`MIN_RSA_BITS`]..=[`MAX_RSA_BITS`].
    #[error("RSA modulus of {0} bits")]
    RsaModulusSize(usize),
    /// An RSA modulus with the ROCA fingerprint.
    #[error("RSA key with the ROCA fingerprint (CVE-2017-15361)")]
    Roca,
    /// An RSA exponent below 3, even, or longer than 8 bytes.
    #[error("RSA exponent unacceptable")]
    RsaExponent,
    /// EC coordinates or an Ed25519 key of the wrong length.
    #[error("{0} key of the wrong length")]
    WrongLength(&'static str),
    /// aws-lc-rs refused the key material.
    #[error("{kind} key rejected: {source}")]
    Rejected {
        /// `RSA`, `EC` or `Ed25519`.
        kind: &'static str,
        /// aws-lc-rs's reason.
        #[source]
        source: aws_lc_rs::error::KeyRejected,
    },
}

/// Why a JWK set document is not usable at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JwksError {
    /// Not a JSON object (or a JSON object with duplicate members).
    #[error("JWK set: {0}")]
    NotAnObject(#[source] InvalidToken),
    /// No `keys` array.
    #[error("JWK set without a `keys` array")]
    NoKeys,
}

/// One issuer's usable keys, indexed by `kid`. Unusable JWKs are skipped one by one (an
/// unknown key type never spoils the set); two different keys sharing a `kid` make that `kid`
/// unusable (documented policy for ATK-32).
#[derive(Debug, Default)]
pub struct KeySet {
    by_kid: HashMap<String, Arc<VerifyKey>>,
    ambiguous: Vec<String>,
    without_kid: Vec<Arc<VerifyKey>>,
    skipped: Vec<String>,
}

impl KeySet {
    /// Parses a JWK set document (`{"keys":[…]}`), keeping only keys usable with `allowed`.
    ///
    /// # Errors
    /// The document is not a JSON object with a `keys` array.
    pub fn from_jwks(document: &[u8], allowed: &[Alg]) -> Result<KeySet, JwksError> {
        let document = jose::object(document).map_err(JwksError::NotAnObject)?;
        let Some(Value::Array(keys)) = document.get("keys") else {
            return Err(JwksError::NoKeys);
        };
        let mut set = KeySet::default();
        for (index, jwk) in keys.iter().enumerate() {
            let parsed = jwk
                .as_object()
                .ok_or(KeyRefused::NotAnObject)
                .and_then(|jwk| VerifyKey::from_jwk(jwk, allowed));
            match parsed {
                Ok(key) => set.insert(key),
                Err(reason) => set.skipped.push(format!("key {index}: {reason}")),
            }
        }
        Ok(set)
    }

    fn insert(&mut self, key: VerifyKey) {
        let key = Arc::new(key);
        match key.kid.clone() {
            None => self.without_kid.push(key),
            Some(kid) if self.ambiguous.contains(&kid) => {}
            Some(kid) => {
                if self.by_kid.remove(&kid).is_some() {
                    self.ambiguous.push(kid);
                } else {
                    self.by_kid.insert(kid, key);
                }
            }
        }
    }

    /// How many usable keys the set holds.
    pub fn len(&self) -> usize {
        self.by_kid.len() + self.without_kid.len()
    }

    /// Whether the set holds no usable key.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Why each skipped JWK was skipped (no key material in the reasons).
    pub fn skipped(&self) -> &[String] {
        &self.skipped
    }

    /// Whether a key with this `kid` exists.
    pub fn contains_kid(&self, kid: &str) -> bool {
        self.by_kid.contains_key(kid)
    }

    /// The key for `kid` and `alg`. Without a `kid`, the single key of that algorithm (several
    /// keys of the algorithm and no `kid`: refused, ATK-33).
    pub(crate) fn find(&self, kid: Option<&str>, alg: Alg) -> Result<&Arc<VerifyKey>, InvalidToken> {
        match kid {
            Some(kid) => match self.by_kid.get(kid) {
                Some(key) if key.alg == alg => Ok(key),
                Some(_) => Err(InvalidToken::AlgorithmNotAllowed),
                None => Err(InvalidToken::UnknownKey),
            },
            None => {
                let mut candidates = self
                    .by_kid
                    .values()
                    .chain(self.without_kid.iter())
                    .filter(|key| key.alg == alg);
                match (candidates.next(), candidates.next()) {
                    (Some(key), None) => Ok(key),
                    _ => Err(InvalidToken::UnknownKey),
                }
            }
        }
    }

    /// Verifies a compact JWS against this set and returns its payload bytes: `alg` must be in
    /// `allowed` and equal the key's pinned algorithm. Claims are not examined: this is the
    /// signature layer the [`crate::Validator`] builds on (and what the Wycheproof vectors drive).
    ///
    /// # Errors
    /// Why the JWS is refused.
    pub fn verify(&self, token: &str, allowed: &[Alg]) -> Result<Vec<u8>, InvalidToken> {
        let compact = jose::parse(token)?;
        let alg = allowed_alg(&compact.header.alg, allowed)?;
        let key = self.find(compact.header.kid.as_deref(), alg)?;
        if !key.verify(compact.signing_input.as_bytes(), &compact.signature) {
            return Err(InvalidToken::Signature);
        }
        Ok(compact.payload)
    }
}

pub(crate) fn allowed_alg(name: &str, allowed: &[Alg]) -> Result<Alg, InvalidToken> {
    allowed
        .iter()
        .copied()
        .find(|alg| alg.as_str() == name)
        .ok_or(InvalidToken::AlgorithmNotAllowed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_caller_can_tell_why_a_set_or_a_key_is_refused() {
        assert_eq!(KeySet::from_jwks(b"{}", &Alg::ALL).err(), Some(JwksError::NoKeys));
        assert!(matches!(
            KeySet::from_jwks(b"[1]", &Alg::ALL),
            Err(JwksError::NotAnObject(InvalidToken::Malformed))
        ));
        let jwk = |value: Value| value.as_object().cloned().unwrap_or_default();
        let private = jwk(json!({"kty": "OKP", "crv": "Ed25519", "x": "AAAA", "d": "AAAA"}));
        assert_eq!(
            VerifyKey::from_jwk(&private, &Alg::ALL).err(),
            Some(KeyRefused::PrivateMaterial)
        );
        let hmac = jwk(json!({"kty": "oct", "k": "AAAA"}));
        assert_eq!(
            VerifyKey::from_jwk(&hmac, &Alg::ALL).err(),
            Some(KeyRefused::PrivateMaterial)
        );
        let short = jwk(json!({"kty": "OKP", "crv": "Ed25519", "x": "AAAA"}));
        let refused = VerifyKey::from_jwk(&short, &Alg::ALL).err();
        assert_eq!(refused, Some(KeyRefused::WrongLength("Ed25519")));
        // The Display text is what the skipped-key notes and logs always said.
        assert_eq!(
            refused.map(|r| r.to_string()).as_deref(),
            Some("Ed25519 key of the wrong length")
        );
        let encrypting = jwk(json!({"kty": "RSA", "use": "enc"}));
        assert_eq!(
            VerifyKey::from_jwk(&encrypting, &Alg::ALL).err(),
            Some(KeyRefused::NotForSigning("enc".into()))
        );
    }
}
