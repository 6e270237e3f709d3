//! Knowledge of identity providers and the World fixture model.
//!
//! This crate is the single source of truth for every provider fact the rest of the
//! workspace uses: URL layout and issuer policy ([`Provider::route`], [`Provider::issuer`]),
//! discovery documents, claim shapes, token-response fields and error bodies
//! ([`Provider::error_response`]). The mock emits these facts, token-guard reads them and
//! conformance checks real providers against them.
//!
//! It also owns the [`World`]: the realms, clients, users, roles and scopes every target is
//! set up from, loaded from `fixtures/world.toml` and validated with errors that name the
//! field and the line.
#![deny(missing_docs)]

mod alg;
pub mod appid;
pub mod backchannel;
pub mod claims;
pub mod client_assertion;
pub mod clock;
pub mod detect;
mod deviation;
pub mod device;
pub mod dpop;
mod error;
pub mod exchange;
mod flavor;
pub mod generic;
mod grant;
pub mod jwt_bearer;
pub mod keycloak;
pub mod logout;
pub mod metadata;
pub mod par;
mod provider;
mod quirks;
pub mod reader;
mod scopes;
mod secret;
pub mod setup;
mod site;
pub mod world;
pub mod wso2;
pub mod zitadel;

#[cfg(test)]
mod generated_fixtures;

pub use alg::SigningAlg;
pub use clock::{Clock, ManualClock, SystemClock};
pub use detect::{Detection, detect};
pub use deviation::Deviation;
pub use error::{
    Challenge, ErrorCode, ErrorKind, ErrorResponse, INTROSPECTION_NO_CREDENTIALS, INTROSPECTION_NO_SECRET,
    MISSING_PARAMETER, PKCE_VERIFIER_MISSING, unsupported_grant_description,
};
pub use flavor::Flavor;
pub use grant::GrantType;
pub use metadata::ProviderMetadata;
pub use provider::{Endpoint, Provider, UnknownProvider};
pub use quirks::{
    BodyFormats, ChallengeRealm, ClientRoles, LogoutConfirmation, Quirks, RefreshRevocation, ResourceAudience,
};
pub use reader::Grants;
pub use scopes::{RefusedScope, ScopeScreen, requested_scopes};
pub use secret::Secret;
pub use site::Site;
pub use world::{
    Client, ClientKind, IdentityProvider, Lifetimes, PersonalAccessToken, PkcePolicy, Realm, TokenEndpointAuthMethod,
    TokenFormat, User, World, WorldError,
};
