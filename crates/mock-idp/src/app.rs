//! The running mock's shared state, and the per-request view of one realm.

use crate::clock::Clock;
use crate::error::OAuthError;
use crate::faults::Faults;
use crate::grants;
use crate::keys::{KeyError, KeyMaterial, RealmKeys};
use crate::state::Store;
use axum::body::Bytes;
use providers::claims::DiscoveryInput;
use providers::{ErrorKind, Provider, Realm, Site, World};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

/// Everything the handlers share.
#[derive(Debug)]
pub(crate) struct App {
    pub(crate) provider: Provider,
    pub(crate) world: World,
    pub(crate) public_url: String,
    pub(crate) realms: BTreeMap<String, RealmState>,
    pub(crate) store: Store,
    pub(crate) clock: Arc<dyn Clock>,
    /// A `login_hint` naming an enabled user logs that user in without the login page.
    pub(crate) auto_approve: bool,
    /// Grant types served: the mock's, filtered by what the provider offers (computed once).
    pub(crate) grant_types: Vec<providers::GrantType>,
    /// Injected faults and hit counters, per endpoint.
    pub(crate) faults: Faults,
    /// `jti`s of accepted client assertions, until their expiry.
    pub(crate) assertions: crate::client_assertion::ReplayCache,
}

/// A realm's keys and the documents derived from them, swapped together on rotation.
#[derive(Debug)]
pub(crate) struct RealmState {
    pub(crate) issuer: String,
    pub(crate) site: Site,
    published: RwLock<Arc<Published>>,
}

/// Keys with their serialized discovery document and JWK set, built once per key generation.
#[derive(Debug)]
pub(crate) struct Published {
    pub(crate) keys: RealmKeys,
    pub(crate) discovery: Bytes,
    pub(crate) jwks: Bytes,
}

impl App {
    pub(crate) fn new(
        provider: Provider,
        world: World,
        public_url: String,
        keys: BTreeMap<String, RealmKeys>,
        clock: Arc<dyn Clock>,
        auto_approve: bool,
        store: Store,
    ) -> App {
        let mut realms = BTreeMap::new();
        for (name, realm) in &world.realms {
            let Some(realm_keys) = keys.get(name) else { continue };
            let site = provider.site(&public_url, name, *name == world.default_realm);
            let issuer = site.issuer();
            let published = publish(provider, &site, realm, realm_keys.clone());
            realms.insert(
                name.clone(),
                RealmState {
                    issuer,
                    site,
                    published: RwLock::new(Arc::new(published)),
                },
            );
        }
        App {
            provider,
            world,
            public_url,
            realms,
            store,
            clock,
            auto_approve,
            grant_types: grants::supported(provider),
            faults: Faults::default(),
            assertions: crate::client_assertion::ReplayCache::default(),
        }
    }

    /// The realm called `name`, or `not_found`.
    pub(crate) fn realm(&self, name: &str) -> Result<RealmCtx<'_>, OAuthError> {
        let (Some(realm), Some(state)) = (self.world.realm(name), self.realms.get(name)) else {
            return Err(OAuthError::new(ErrorKind::UnknownRealm, "no such realm"));
        };
        let published = state
            .published
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        Ok(RealmCtx {
            app: self,
            realm,
            site: &state.site,
            issuer: &state.issuer,
            published,
        })
    }

    /// Replaces a realm's active keys, keeping the previous ones published for verification.
    pub(crate) fn rotate_keys(&self, name: &str, next: &KeyMaterial) -> Result<(), KeyError> {
        let (Some(realm), Some(state)) = (self.world.realm(name), self.realms.get(name)) else {
            return Ok(());
        };
        let mut slot = state
            .published
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let rotated = slot.keys.rotated(next)?;
        *slot = Arc::new(publish(self.provider, &state.site, realm, rotated));
        Ok(())
    }

    pub(crate) fn now(&self) -> u64 {
        self.clock.now()
    }

    /// Where `realm` is served (also for a realm the world does not hold).
    pub(crate) fn site(&self, realm: &str) -> Site {
        self.provider
            .site(&self.public_url, realm, realm == self.world.default_realm)
    }
}

fn publish(provider: Provider, site: &Site, realm: &Realm, keys: RealmKeys) -> Published {
    let algs = keys.algs();
    let grant_types = grants::supported(provider);
    let discovery = provider.flavor().discovery(&DiscoveryInput {
        site,
        realm,
        grant_types: &grant_types,
        signing_algs: &algs,
    });
    let jwks = keys.jwks();
    Published {
        discovery: Bytes::from(Value::Object(discovery).to_string()),
        jwks: Bytes::from(jwks.to_string()),
        keys,
    }
}

/// One request's view of a realm: the world's facts, the issuer, and the keys of the moment.
#[derive(Debug, Clone)]
pub(crate) struct RealmCtx<'a> {
    pub(crate) app: &'a App,
    pub(crate) realm: &'a Realm,
    pub(crate) site: &'a Site,
    pub(crate) issuer: &'a str,
    pub(crate) published: Arc<Published>,
}

impl RealmCtx<'_> {
    pub(crate) fn keys(&self) -> &RealmKeys {
        &self.published.keys
    }

    pub(crate) fn store(&self) -> &Store {
        &self.app.store
    }

    pub(crate) fn now(&self) -> u64 {
        self.app.now()
    }

    pub(crate) fn endpoint_url(&self, endpoint: providers::Endpoint) -> String {
        self.site.url(endpoint).unwrap_or_default()
    }

    pub(crate) fn flavor(&self) -> &'static dyn providers::Flavor {
        self.app.provider.flavor()
    }
}
