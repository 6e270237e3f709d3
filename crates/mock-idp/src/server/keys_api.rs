//! [`MockIdp`]'s key controls: rotation with an overlap, retirement, publish-only keys and the
//! signing algorithm, per realm.

use super::{MockIdp, MockIdpError};
use crate::app::App;
use crate::app::KeysUpdate;
use crate::keys::{KeyMaterial, KeyState, generate_key};
use providers::SigningAlg;
use serde::Serialize;
use std::time::Duration;

/// A published key of a realm.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyInfo {
    /// Its `kid` (RFC 7638 thumbprint).
    pub kid: String,
    /// Its algorithm.
    pub alg: SigningAlg,
    /// Active, retired (until when) or publish-only.
    #[serde(flatten)]
    pub state: KeyState,
}

impl App {
    fn known_realm(&self, realm: &str) -> Result<(), MockIdpError> {
        if self.realms.contains_key(realm) {
            Ok(())
        } else {
            Err(MockIdpError::UnknownRealm(realm.to_owned()))
        }
    }

    /// Rotates `realm`'s signing keys to fresh ones. The previous keys stay in the JWK set (so
    /// tokens they signed still verify) for `overlap` on the mock's clock, or until retired
    /// when `overlap` is `None`; at most 12 retired keys stay published, the oldest go first.
    ///
    /// # Errors
    /// [`MockIdpError::UnknownRealm`], or [`MockIdpError::Keys`] if key generation fails.
    pub(crate) fn rotate_realm_keys(&self, realm: &str, overlap: Option<Duration>) -> Result<(), MockIdpError> {
        self.known_realm(realm)?;
        let next = KeyMaterial::generate()?;
        self.update_keys(realm, |published, now| {
            let rotated = published
                .keys
                .rotated_at(&next, now, overlap.map(|overlap| overlap.as_secs()))?;
            // Keys beyond the built-in three (PS256) are rotated too.
            let mut keys = rotated.clone();
            for alg in published.keys.algs() {
                if rotated.signer(alg).is_none() {
                    keys = keys.with_active(generate_key(alg)?);
                }
            }
            Ok(KeysUpdate {
                keys,
                signing_alg: published.signing_alg,
                rotated: true,
            })
        })?;
        Ok(())
    }

    /// Removes one retired or publish-only key from `realm`'s JWK set: tokens it signed no
    /// longer verify. An active key cannot be retired (rotate first).
    ///
    /// # Errors
    /// [`MockIdpError::UnknownRealm`]; [`MockIdpError::Keys`] for an active or unknown `kid`.
    pub(crate) fn retire_key(&self, realm: &str, kid: &str) -> Result<(), MockIdpError> {
        self.known_realm(realm)?;
        self.update_keys(realm, |published, _| {
            Ok(KeysUpdate {
                keys: published.keys.without(kid)?,
                signing_alg: published.signing_alg,
                rotated: false,
            })
        })?;
        Ok(())
    }

    /// Removes every retired key from `realm`'s JWK set (publish-only keys stay): only the
    /// active keys' tokens verify afterwards.
    ///
    /// # Errors
    /// [`MockIdpError::UnknownRealm`].
    pub(crate) fn retire_old_keys(&self, realm: &str) -> Result<(), MockIdpError> {
        self.known_realm(realm)?;
        self.update_keys(realm, |published, _| {
            Ok(KeysUpdate {
                keys: published.keys.without_retired(),
                signing_alg: published.signing_alg,
                rotated: false,
            })
        })?;
        Ok(())
    }

    /// Publishes a fresh `alg` key in `realm`'s JWK set that never signs anything (a client
    /// must cope with keys it never sees used); returns its `kid`. At most 16 per realm.
    ///
    /// # Errors
    /// [`MockIdpError::UnknownRealm`]; [`MockIdpError::Keys`] when generation fails or the
    /// realm has 16 already.
    pub(crate) fn publish_key(&self, realm: &str, alg: SigningAlg) -> Result<String, MockIdpError> {
        self.known_realm(realm)?;
        let key = generate_key(alg)?;
        let kid = key.kid().to_owned();
        self.update_keys(realm, |published, _| {
            Ok(KeysUpdate {
                keys: published.keys.with_publish_only(key)?,
                signing_alg: published.signing_alg,
                rotated: false,
            })
        })?;
        Ok(kid)
    }

    /// Signs `realm`'s tokens with `alg` from now on (`None`: the world's algorithm again). A
    /// client with its own `signing_alg` in the world keeps it. The first switch to PS256
    /// generates the realm's PS256 key (RSA 2048), which discovery then lists.
    ///
    /// # Errors
    /// [`MockIdpError::UnknownRealm`].
    pub(crate) fn set_signing_alg(&self, realm: &str, alg: Option<SigningAlg>) -> Result<(), MockIdpError> {
        self.known_realm(realm)?;
        let live = self
            .live_realm(realm)
            .ok_or_else(|| MockIdpError::UnknownRealm(realm.to_owned()))?;
        self.update_keys(realm, |published, _| {
            Ok(KeysUpdate {
                // PS256 gets its key on first use, and loses it (retired) when unused again.
                keys: published.keys.fitted_for(&live, alg)?,
                signing_alg: alg,
                rotated: false,
            })
        })?;
        Ok(())
    }

    /// `realm`'s published keys: active, then retired, then publish-only.
    ///
    /// # Errors
    /// [`MockIdpError::UnknownRealm`].
    pub(crate) fn keys(self: &std::sync::Arc<Self>, realm: &str) -> Result<Vec<KeyInfo>, MockIdpError> {
        let cx = self
            .realm(realm)
            .map_err(|_| MockIdpError::UnknownRealm(realm.to_owned()))?;
        Ok(cx
            .keys()
            .describe()
            .into_iter()
            .map(|(kid, alg, state)| KeyInfo { kid, alg, state })
            .collect())
    }
}

impl MockIdp {
    /// Rotates `realm`'s signing keys to fresh ones. The previous keys stay in the JWK set (so
    /// tokens they signed still verify) for `overlap` on the mock's clock, or until retired
    /// when `overlap` is `None`; at most 12 retired keys stay published, the oldest go first.
    ///
    /// # Errors
    /// [`MockIdpError::UnknownRealm`], or [`MockIdpError::Keys`] if key generation fails.
    pub fn rotate_realm_keys(&self, realm: &str, overlap: Option<Duration>) -> Result<(), MockIdpError> {
        self.app.rotate_realm_keys(realm, overlap)
    }

    /// Removes one retired or publish-only key from `realm`'s JWK set: tokens it signed no
    /// longer verify. An active key cannot be retired (rotate first).
    ///
    /// # Errors
    /// [`MockIdpError::UnknownRealm`]; [`MockIdpError::Keys`] for an active or unknown `kid`.
    pub fn retire_key(&self, realm: &str, kid: &str) -> Result<(), MockIdpError> {
        self.app.retire_key(realm, kid)
    }

    /// Removes every retired key from `realm`'s JWK set (publish-only keys stay): only the
    /// active keys' tokens verify afterwards.
    ///
    /// # Errors
    /// [`MockIdpError::UnknownRealm`].
    pub fn retire_old_keys(&self, realm: &str) -> Result<(), MockIdpError> {
        self.app.retire_old_keys(realm)
    }

    /// Publishes a fresh `alg` key in `realm`'s JWK set that never signs anything (a client
    /// must cope with keys it never sees used); returns its `kid`. At most 16 per realm.
    ///
    /// # Errors
    /// [`MockIdpError::UnknownRealm`]; [`MockIdpError::Keys`] when generation fails or the
    /// realm has 16 already.
    pub fn publish_key(&self, realm: &str, alg: SigningAlg) -> Result<String, MockIdpError> {
        self.app.publish_key(realm, alg)
    }

    /// Signs `realm`'s tokens with `alg` from now on (`None`: the world's algorithm again). A
    /// client with its own `signing_alg` in the world keeps it. The first switch to PS256
    /// generates the realm's PS256 key (RSA 2048), which discovery then lists.
    ///
    /// # Errors
    /// [`MockIdpError::UnknownRealm`].
    pub fn set_signing_alg(&self, realm: &str, alg: Option<SigningAlg>) -> Result<(), MockIdpError> {
        self.app.set_signing_alg(realm, alg)
    }

    /// `realm`'s published keys: active, then retired, then publish-only.
    ///
    /// # Errors
    /// [`MockIdpError::UnknownRealm`].
    pub fn keys(&self, realm: &str) -> Result<Vec<KeyInfo>, MockIdpError> {
        self.app.keys(realm)
    }
}
