//! The running mock's shared state, and the per-request view of one realm.

use crate::clock::Clock;
use crate::error::OAuthError;
use crate::faults::Faults;
use crate::grants;
use crate::keys::RealmKeys;
use crate::mock_clock::MockClock;
use crate::state::Store;
use axum::body::Bytes;
use providers::claims::DiscoveryInput;
use providers::{ErrorKind, Provider, Realm, SigningAlg, Site, World};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::{Arc, PoisonError, RwLock};

mod rotation;

pub(crate) use rotation::KeysUpdate;

/// Everything the handlers share.
#[derive(Debug)]
pub(crate) struct App {
    pub(crate) provider: Provider,
    /// The world as loaded, kept for [`App::reset_realms`]; live realm facts are in [`RealmState`].
    world: World,
    pub(crate) public_url: String,
    pub(crate) realms: BTreeMap<String, Arc<RealmState>>,
    pub(crate) store: Store,
    /// The configured clock, controllable at run time (admin API, [`crate::MockIdp::admin`]).
    pub(crate) clock: MockClock,
    /// A `login_hint` naming an enabled user logs that user in without the login page.
    pub(crate) auto_approve: bool,
    /// Grant types served: the mock's, filtered by what the provider offers (computed once).
    pub(crate) grant_types: Vec<providers::GrantType>,
    /// Injected faults and hit counters, per endpoint.
    pub(crate) faults: Faults,
    /// Pending device authorizations (RFC 8628).
    pub(crate) devices: crate::device::DeviceStore,
    /// Pushed authorization requests waiting to be redeemed (RFC 9126).
    pub(crate) pars: crate::par::ParStore,
    /// Every request a provider endpoint answered, bounded.
    pub(crate) request_log: crate::request_log::RequestLog,
    /// Queued claims and mapping rules (crate::shaping).
    pub(crate) shaping: crate::shaping::Shaping,
    /// `jti`s of accepted client assertions, until their expiry.
    pub(crate) assertions: crate::client_assertion::ReplayCache,
    /// DPoP proofs seen (`jti` per `htu`), each until its window closes.
    pub(crate) dpop_proofs: crate::replay::ReplayCache,
    /// The key of the DPoP nonces handed out where a realm demands them, made on first use
    /// (a key made at start seeds aws-lc's RNG, ~30 ms of jitter entropy, before the first
    /// request of every start); `None`: no randomness, every proof is then refused for its
    /// nonce.
    pub(crate) dpop_nonces: std::sync::OnceLock<Option<crate::dpop_nonce::NonceKey>>,
    /// Key sets fetched from clients' `jwks_uri`.
    pub(crate) client_jwks: crate::client_jwks::ClientJwks,
}

/// A realm's keys and the documents derived from them, swapped together on rotation.
#[derive(Debug)]
pub(crate) struct RealmState {
    pub(crate) issuer: String,
    pub(crate) site: Site,
    /// The realm's live facts, swapped whole by [`App::update_realm`] (readers keep their snapshot).
    realm: RwLock<Arc<Realm>>,
    published: RwLock<Arc<Published>>,
    /// The keys as loaded, restored by a reset.
    loaded: Arc<Published>,
}

/// Keys with their serialized discovery document and JWK set, built once per key generation.
#[derive(Debug)]
pub(crate) struct Published {
    pub(crate) keys: RealmKeys,
    pub(crate) discovery: Bytes,
    pub(crate) jwks: Bytes,
    /// The JWK set before the last rotation (the current one before any), served by
    /// [`crate::Fault::StaleKeySet`].
    pub(crate) stale_jwks: Bytes,
    /// The realm's signing algorithm as set at run time (over the world's).
    pub(crate) signing_alg: Option<SigningAlg>,
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
            let published = Arc::new(publish(provider, &site, realm, realm_keys.clone()));
            realms.insert(
                name.clone(),
                Arc::new(RealmState {
                    issuer,
                    site,
                    realm: RwLock::new(Arc::new(realm.clone())),
                    published: RwLock::new(published.clone()),
                    loaded: published,
                }),
            );
        }
        App {
            provider,
            world,
            public_url,
            realms,
            store,
            clock: MockClock::new(clock),
            auto_approve,
            grant_types: grants::supported(provider),
            faults: Faults::default(),
            devices: crate::device::DeviceStore::default(),
            pars: crate::par::ParStore::default(),
            request_log: crate::request_log::RequestLog::new(crate::request_log::DEFAULT_CAPACITY),
            shaping: crate::shaping::Shaping::default(),
            assertions: crate::client_assertion::ReplayCache::default(),
            dpop_proofs: crate::replay::ReplayCache::with_limit(crate::replay::DPOP_REPLAY_LIMIT),
            dpop_nonces: std::sync::OnceLock::new(),
            client_jwks: crate::client_jwks::ClientJwks::default(),
        }
    }

    /// The world as loaded (the live realms may have been edited since: see [`App::realm`]).
    pub(crate) fn world(&self) -> &World {
        &self.world
    }

    /// The name of the world's default realm.
    pub(crate) fn default_realm(&self) -> &str {
        &self.world.default_realm
    }

    /// The live facts of the realm called `name` (a snapshot taken now), if it exists.
    pub(crate) fn live_realm(&self, name: &str) -> Option<Arc<Realm>> {
        self.realms.get(name).map(|state| state.snapshot())
    }

    /// The realm called `name`, or `not_found`; the realm's facts are a snapshot taken now, so one
    /// request sees one consistent realm.
    pub(crate) fn realm(self: &Arc<Self>, name: &str) -> Result<RealmCtx, OAuthError> {
        let Some(state) = self.realms.get(name) else {
            return Err(OAuthError::new(ErrorKind::UnknownRealm, "no such realm"));
        };
        let realm = state.snapshot();
        let mut published = state
            .published
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        if published.keys.next_expiry().is_some_and(|until| until <= self.now()) {
            published = self.prune_keys(name, state);
        }
        Ok(RealmCtx {
            app: self.clone(),
            state: state.clone(),
            realm,
            published,
            dpop: std::sync::OnceLock::new(),
        })
    }

    /// Edits a copy of the realm called `name` with `edit`, re-checks it with the world's rules for
    /// a realm ([`Realm::validate`]) and swaps it in whole; on any error the live realm is unchanged.
    /// Requests already running keep the snapshot they took.
    pub(crate) fn update_realm<E>(&self, name: &str, edit: impl FnOnce(&mut Realm) -> Result<(), E>) -> Result<(), E>
    where
        E: From<RealmUpdateError>,
    {
        let state = self
            .realms
            .get(name)
            .ok_or_else(|| RealmUpdateError::UnknownRealm(name.to_owned()))?;
        // Writers are serialized by the write lock, so two edits never overwrite each other.
        let mut slot = state.realm.write().unwrap_or_else(PoisonError::into_inner);
        let mut next = Realm::clone(&slot);
        edit(&mut next)?;
        if next.name != name {
            return Err(RealmUpdateError::Renamed(name.to_owned()).into());
        }
        next.validate().map_err(RealmUpdateError::Invalid)?;
        // Keys before facts: a request that sees the edited realm also sees its keys.
        self.add_missing_keys(state, &next).map_err(RealmUpdateError::Keys)?;
        *slot = Arc::new(next);
        drop(slot);
        self.republish(state);
        Ok(())
    }

    /// Fits the realm's active keys to what `realm` signs with ([`RealmKeys::fitted_for`]:
    /// PS256 the first time a client is set to it). Called with the realm's write lock held;
    /// the realm's requests wait for the key's generation, once.
    fn add_missing_keys(&self, state: &RealmState, realm: &Realm) -> Result<(), crate::keys::KeyError> {
        let mut slot = state.published.write().unwrap_or_else(PoisonError::into_inner);
        if slot.keys.fits(realm, slot.signing_alg) {
            return Ok(());
        }
        let keys = slot.keys.fitted_for(realm, slot.signing_alg)?;
        let mut next = publish(self.provider, &state.site, realm, keys);
        next.stale_jwks = slot.stale_jwks.clone();
        next.signing_alg = slot.signing_alg;
        *slot = Arc::new(next);
        Ok(())
    }

    /// Puts every realm back to the world as loaded.
    pub(crate) fn reset_realms(&self) {
        for (name, state) in &self.realms {
            let Some(loaded) = self.world.realm(name) else { continue };
            {
                let mut live = state.realm.write().unwrap_or_else(PoisonError::into_inner);
                if **live == *loaded {
                    continue; // unchanged: keep its documents (a reset stays cheap)
                }
                *live = Arc::new(loaded.clone());
            }
            self.republish(state);
        }
    }

    /// Rebuilds a realm's discovery document from its live facts, keeping its keys.
    fn republish(&self, state: &RealmState) {
        let realm = state.snapshot();
        let mut slot = state.published.write().unwrap_or_else(PoisonError::into_inner);
        let mut next = publish(self.provider, &state.site, &realm, slot.keys.clone());
        next.stale_jwks = slot.stale_jwks.clone();
        next.signing_alg = slot.signing_alg;
        *slot = Arc::new(next);
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

impl RealmState {
    /// The realm's facts of the moment.
    fn snapshot(&self) -> Arc<Realm> {
        self.realm.read().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

/// Why [`App::update_realm`] refused an edit.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RealmUpdateError {
    /// The world has no realm of that name.
    #[error("no realm `{0}`")]
    UnknownRealm(String),
    /// The edit changed the realm's name, which is its key.
    #[error("the edit renamed realm `{0}`")]
    Renamed(String),
    /// The edited realm breaks a rule of the world model.
    #[error("the edited realm is invalid")]
    Invalid(#[source] providers::WorldError),
    /// A key for an algorithm the edited realm signs with could not be generated.
    #[error("no key could be generated for the edited realm")]
    Keys(#[source] crate::keys::KeyError),
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
    let jwks = Bytes::from(keys.jwks().to_string());
    Published {
        discovery: Bytes::from(Value::Object(discovery).to_string()),
        stale_jwks: jwks.clone(),
        jwks,
        keys,
        signing_alg: None,
    }
}

/// One request's view of a realm: the world's facts, the issuer, and the keys of the moment.
/// Handlers take it as an extractor (see `endpoints`), from the `{realm}` path segment.
#[derive(Debug, Clone)]
pub(crate) struct RealmCtx {
    pub(crate) app: Arc<App>,
    state: Arc<RealmState>,
    /// The realm's facts as they were when the request started.
    pub(crate) realm: Arc<Realm>,
    pub(crate) published: Arc<Published>,
    /// The request's checked DPoP proof (token endpoint), which binds what it issues; set once,
    /// after client authentication.
    pub(crate) dpop: std::sync::OnceLock<crate::dpop::Proof>,
}

impl RealmCtx {
    /// Where the realm is served.
    pub(crate) fn site(&self) -> &Site {
        &self.state.site
    }

    /// The realm's issuer.
    pub(crate) fn issuer(&self) -> &str {
        &self.state.issuer
    }

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
        self.site().url(endpoint).unwrap_or_default()
    }

    pub(crate) fn flavor(&self) -> &'static dyn providers::Flavor {
        self.app.provider.flavor()
    }
}

#[cfg(test)]
mod tests;
