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
    pub fn from_jwk(jwk: &Map<String, Value>, allowed: &[Alg]) -> Result<VerifyKey, String> {
        let text = |name: &str| -> Result<Option<&str>, String> {
            match jwk.get(name) {
                None => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.as_str())),
                Some(_) => Err(format!("`{name}` is not a string")),
            }
        };
        let kty = text("kty")?.ok_or("no `kty`")?;
        if let Some(usage) = text("use")?
            && usage != "sig"
        {
            return Err(format!("`use` is `{usage}`"));
        }
        if let Some(ops) = jwk.get("key_ops") {
            let verify = ops
                .as_array()
                .is_some_and(|ops| ops.iter().any(|op| op.as_str() == Some("verify")));
            if !verify {
                return Err("`key_ops` lacks `verify`".into());
            }
        }
        if ["d", "p", "q", "dp", "dq", "qi", "k", "oth"]
            .iter()
            .any(|m| jwk.contains_key(*m))
        {
            return Err("private or symmetric key material in a public key set".into());
        }
        let kind = match (kty, text("crv")?) {
            ("RSA", None) => KeyKind::Rsa,
            ("EC", Some("P-256")) => KeyKind::P256,
            ("EC", Some("P-384")) => KeyKind::P384,
            ("OKP", Some("Ed25519")) => KeyKind::Ed25519,
            (kty, crv) => return Err(format!("unsupported key type {kty}/{}", crv.unwrap_or("-"))),
        };
        let alg = match text("alg")? {
            Some(name) => {
                let alg = Alg::from_name(name).ok_or_else(|| format!("unsupported `alg` {name}"))?;
                if alg.kind() != kind {
                    return Err(format!("`alg` {alg} does not fit the key type"));
                }
                if !allowed.contains(&alg) {
                    return Err(format!("`alg` {alg} is not allowed"));
                }
                alg
            }
            None => allowed
                .iter()
                .copied()
                .find(|alg| alg.kind() == kind)
                .ok_or("no allowed algorithm fits the key type")?,
        };
        let member = |name: &str| -> Result<Vec<u8>, String> {
            let value = text(name)?.ok_or_else(|| format!("no `{name}`"))?;
            idp_jose::b64::decode(value).map_err(|_| format!("`{name}` is not base64url"))
        };
        let key = match kind {
            KeyKind::Rsa => {
                let n = member("n")?;
                let e = member("e")?;
                let n = strip_zeros(&n);
                let e = strip_zeros(&e);
                let bits = bit_len(n);
                if !(MIN_RSA_BITS..=MAX_RSA_BITS).contains(&bits) {
                    return Err(format!("RSA modulus of {bits} bits"));
                }
                if roca_fingerprint(n) {
                    return Err("RSA key with the ROCA fingerprint (CVE-2017-15361)".into());
                }
                let e_small = e.len() == 1 && e[0] < 3;
                if e.is_empty() || e_small || e.last().is_some_and(|b| b % 2 == 0) || e.len() > 8 {
                    return Err("RSA exponent unacceptable".into());
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
                    .map_err(|err| format!("RSA key rejected: {err}"))?
            }
            KeyKind::P256 | KeyKind::P384 => {
                let (x, y) = (member("x")?, member("y")?);
                let width = if kind == KeyKind::P256 { 32 } else { 48 };
                if x.len() != width || y.len() != width {
                    return Err("EC coordinates of the wrong length".into());
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
                ParsedPublicKey::new(algorithm, point).map_err(|err| format!("EC key rejected: {err}"))?
            }
            KeyKind::Ed25519 => {
                let x = member("x")?;
                if x.len() != 32 {
                    return Err("Ed25519 key of the wrong length".into());
                }
                ParsedPublicKey::new(&signature::ED25519, x).map_err(|err| format!("Ed25519 key rejected: {err}"))?
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
    pub fn from_jwks(document: &[u8], allowed: &[Alg]) -> Result<KeySet, String> {
        let document = jose::object(document).map_err(|err| format!("JWK set: {err}"))?;
        let Some(Value::Array(keys)) = document.get("keys") else {
            return Err("JWK set without a `keys` array".into());
        };
        let mut set = KeySet::default();
        for (index, jwk) in keys.iter().enumerate() {
            let parsed = jwk
                .as_object()
                .ok_or_else(|| "not an object".to_owned())
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
