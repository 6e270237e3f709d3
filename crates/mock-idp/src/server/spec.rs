//! [`TokenSpec`]: what [`MockIdp::mint`](super::MockIdp::mint) signs.

use serde_json::{Map, Value};

/// What [`MockIdp::mint`] signs: a user's or a service account's access token.
#[derive(Debug, Clone, Default)]
pub struct TokenSpec {
    pub(super) realm: Option<String>,
    pub(super) client: Option<String>,
    pub(super) user: Option<String>,
    pub(super) scopes: Option<Vec<String>>,
    pub(super) lifetime: Option<u64>,
    pub(super) claims: Map<String, Value>,
    pub(super) defects: Vec<crate::TokenDefect>,
}

impl TokenSpec {
    /// A token for `username`. Without [`TokenSpec::client`], the client is the first
    /// confidential client (by id) allowed a user grant.
    pub fn user(username: impl Into<String>) -> TokenSpec {
        TokenSpec {
            user: Some(username.into()),
            ..TokenSpec::default()
        }
    }

    /// A service-account token for `client_id` (as `client_credentials` would issue).
    pub fn client(client_id: impl Into<String>) -> TokenSpec {
        TokenSpec {
            client: Some(client_id.into()),
            ..TokenSpec::default()
        }
    }

    /// The client the token is issued to.
    pub fn for_client(mut self, client_id: impl Into<String>) -> TokenSpec {
        self.client = Some(client_id.into());
        self
    }

    /// The realm; the world's default realm otherwise.
    pub fn realm(mut self, realm: impl Into<String>) -> TokenSpec {
        self.realm = Some(realm.into());
        self
    }

    /// Space-separated scopes, taken as given (not checked against the client). Without it,
    /// the client's default scopes.
    pub fn scope(mut self, scope: &str) -> TokenSpec {
        self.scopes = Some(scope.split(' ').filter(|s| !s.is_empty()).map(str::to_owned).collect());
        self
    }

    /// Lifetime in seconds; the realm's access-token lifetime otherwise. Zero mints an
    /// already-expired token.
    pub fn expires_in(mut self, seconds: u64) -> TokenSpec {
        self.lifetime = Some(seconds);
        self
    }

    /// Sets or overrides one claim (over a claim a defect set).
    pub fn claim(mut self, name: impl Into<String>, value: impl Into<Value>) -> TokenSpec {
        self.claims.insert(name.into(), value.into());
        self
    }

    /// Makes the token invalid in this way (a negative token); defects combine.
    pub fn defect(mut self, defect: crate::TokenDefect) -> TokenSpec {
        self.defects.push(defect);
        self
    }
}
