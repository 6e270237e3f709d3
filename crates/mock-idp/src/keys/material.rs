//! Key material as PEM text: embedded defaults, files on disk, freshly generated.

use super::SigningKey;
use aws_lc_rs::encoding::AsDer as _;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair as RsaKeyPair, KeySize};
use aws_lc_rs::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _};
use idp_jose::pem;
use providers::SigningAlg;
use std::path::{Path, PathBuf};

/// File names of the three keys inside a realm's key directory.
const FILES: [(SigningAlg, &str); 3] = [
    (SigningAlg::RS256, "rsa-2048.pem"),
    (SigningAlg::ES256, "ec-p256.pem"),
    (SigningAlg::EdDSA, "ed25519.pem"),
];

/// A key that could not be loaded, generated or used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// A key file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// The PEM text is not a PKCS#8 private key.
    #[error("{alg} key is not a PEM-encoded PKCS#8 private key")]
    NotPem {
        /// The algorithm the key was for.
        alg: SigningAlg,
    },
    /// The key parses but is unusable.
    #[error("{alg} key is invalid: {reason}")]
    Invalid {
        /// The algorithm the key was for.
        alg: SigningAlg,
        /// Why.
        reason: String,
    },
    /// Key generation failed.
    #[error("could not generate a {alg} key: {reason}")]
    Generate {
        /// The algorithm.
        alg: SigningAlg,
        /// Why.
        reason: String,
    },
    /// Signing failed.
    #[error("{0} signing failed")]
    Sign(SigningAlg),
    /// An active signing key cannot be retired (rotate first).
    #[error("key `{0}` is active: rotate before retiring it")]
    Active(String),
    /// No retired or publish-only key has this `kid`.
    #[error("no retired or publish-only key `{0}`")]
    UnknownKid(String),
    /// The realm already has the maximum number of publish-only keys.
    #[error("at most {0} publish-only keys per realm")]
    TooMany(usize),
}

/// One fresh key for `alg`.
pub(crate) fn generate_key(alg: SigningAlg) -> Result<SigningKey, KeyError> {
    let material = match alg {
        SigningAlg::RS256 => KeyMaterial::generate()?,
        SigningAlg::PS256 => KeyMaterial {
            pems: vec![(SigningAlg::PS256, generate_rsa_pem(SigningAlg::PS256)?)],
        },
        _ => KeyMaterial::generate_curves()?,
    };
    material
        .parse()?
        .into_iter()
        .find(|key| key.alg() == alg)
        .ok_or_else(|| KeyError::Generate {
            alg,
            reason: "no key generated".into(),
        })
}

/// A fresh RSA 2048 private key (PKCS#8 PEM) for `alg` (RS256 or PS256).
fn generate_rsa_pem(alg: SigningAlg) -> Result<String, KeyError> {
    let generate_failed = |err: aws_lc_rs::error::Unspecified| KeyError::Generate {
        alg,
        reason: err.to_string(),
    };
    let rsa = RsaKeyPair::generate(KeySize::Rsa2048).map_err(generate_failed)?;
    Ok(pem::encode(
        pem::PRIVATE_KEY,
        rsa.as_der().map_err(generate_failed)?.as_ref(),
    ))
}

/// PEM-encoded PKCS#8 private keys for one realm: RSA 2048, P-256 and Ed25519.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyMaterial {
    pems: Vec<(SigningAlg, String)>,
}

impl std::fmt::Debug for KeyMaterial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let algs: Vec<SigningAlg> = self.pems.iter().map(|(alg, _)| *alg).collect();
        f.debug_struct("KeyMaterial")
            .field("algs", &algs)
            .finish_non_exhaustive()
    }
}

impl KeyMaterial {
    /// The deterministic keys of `fixtures/keys/demo/`, compiled in. They are public test keys:
    /// never use them to protect anything.
    pub fn embedded() -> KeyMaterial {
        KeyMaterial {
            pems: vec![
                (
                    SigningAlg::RS256,
                    include_str!("../../../../fixtures/keys/demo/rsa-2048.pem").to_owned(),
                ),
                (
                    SigningAlg::ES256,
                    include_str!("../../../../fixtures/keys/demo/ec-p256.pem").to_owned(),
                ),
                (
                    SigningAlg::EdDSA,
                    include_str!("../../../../fixtures/keys/demo/ed25519.pem").to_owned(),
                ),
            ],
        }
    }

    /// Fresh random keys (RSA generation, aws-lc's, takes tens of milliseconds).
    ///
    /// # Errors
    /// [`KeyError::Generate`] if a generator fails.
    pub fn generate() -> Result<KeyMaterial, KeyError> {
        let rsa_pem = generate_rsa_pem(SigningAlg::RS256)?;
        let mut material = KeyMaterial::generate_curves()?;
        material.pems.insert(0, (SigningAlg::RS256, rsa_pem));
        Ok(material)
    }

    /// Fresh random keys with the RSA key taken from the embedded set: for tests that need new
    /// `kid`s quickly (EC and Ed25519 generation takes microseconds).
    #[cfg(test)]
    pub(crate) fn generate_fast() -> Result<KeyMaterial, KeyError> {
        let mut material = KeyMaterial::generate_curves()?;
        let embedded_rsa = KeyMaterial::embedded().pems.swap_remove(0);
        material.pems.insert(0, embedded_rsa);
        Ok(material)
    }

    fn generate_curves() -> Result<KeyMaterial, KeyError> {
        let rng = SystemRandom::new();
        let ec = EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &rng).map_err(|err| {
            KeyError::Generate {
                alg: SigningAlg::ES256,
                reason: err.to_string(),
            }
        })?;
        let ed = Ed25519KeyPair::generate_pkcs8(&rng).map_err(|err| KeyError::Generate {
            alg: SigningAlg::EdDSA,
            reason: err.to_string(),
        })?;
        Ok(KeyMaterial {
            pems: vec![
                (SigningAlg::ES256, pem_encode(ec.as_ref())),
                (SigningAlg::EdDSA, pem_encode(ed.as_ref())),
            ],
        })
    }

    /// Reads `rsa-2048.pem`, `ec-p256.pem` and `ed25519.pem` from `dir`.
    ///
    /// # Errors
    /// [`KeyError::Io`] when a file is missing or unreadable.
    pub fn read_dir(dir: &Path) -> Result<KeyMaterial, KeyError> {
        let pems = FILES
            .iter()
            .map(|(alg, file)| {
                let path = dir.join(file);
                std::fs::read_to_string(&path)
                    .map(|pem| (*alg, pem))
                    .map_err(|source| KeyError::Io { path, source })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(KeyMaterial { pems })
    }

    /// Writes the keys into `dir` (created if missing) under their standard file names.
    ///
    /// # Errors
    /// [`KeyError::Io`] when the directory or a file cannot be written.
    pub fn write_dir(&self, dir: &Path) -> Result<Vec<PathBuf>, KeyError> {
        std::fs::create_dir_all(dir).map_err(|source| KeyError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let mut written = Vec::new();
        for (alg, pem) in &self.pems {
            let Some((_, file)) = FILES.iter().find(|(known, _)| known == alg) else {
                continue;
            };
            let path = dir.join(file);
            std::fs::write(&path, pem).map_err(|source| KeyError::Io {
                path: path.clone(),
                source,
            })?;
            written.push(path);
        }
        Ok(written)
    }

    /// Parses every key.
    pub(crate) fn parse(&self) -> Result<Vec<SigningKey>, KeyError> {
        self.pems
            .iter()
            .map(|(alg, pem)| {
                let der = pem_decode(pem).ok_or(KeyError::NotPem { alg: *alg })?;
                SigningKey::from_pkcs8(*alg, &der)
            })
            .collect()
    }
}

/// `(n, e)` big-endian of an RSA PKCS#8 private key.
pub(super) fn rsa_public_components(der: &[u8]) -> Result<(Vec<u8>, Vec<u8>), KeyError> {
    let key = RsaKeyPair::from_pkcs8(der).map_err(|err| KeyError::Invalid {
        alg: SigningAlg::RS256,
        reason: err.to_string(),
    })?;
    let public = key.public_key();
    Ok((
        public.modulus().big_endian_without_leading_zero().to_vec(),
        public.exponent().big_endian_without_leading_zero().to_vec(),
    ))
}

fn pem_encode(der: &[u8]) -> String {
    pem::encode(pem::PRIVATE_KEY, der)
}

fn pem_decode(text: &str) -> Option<Vec<u8>> {
    pem::decode(pem::PRIVATE_KEY, text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_in_a_key_file_is_a_clear_error() {
        let material = KeyMaterial {
            pems: vec![(SigningAlg::ES256, pem_encode(b"garbage"))],
        };
        let err = material.parse().unwrap_err();
        assert!(err.to_string().contains("ES256 key is invalid"), "{err}");
    }

    #[test]
    fn written_keys_read_back_identically() {
        let dir = std::env::temp_dir().join(format!("mock-idp-keys-{}", std::process::id()));
        let material = KeyMaterial::generate_fast().unwrap();
        material.write_dir(&dir).unwrap();
        assert_eq!(KeyMaterial::read_dir(&dir).unwrap(), material);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
