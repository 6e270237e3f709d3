//! Claim shaping: claims and JWT header parameters queued for the next N tokens issued to a
//! client and/or a user (navikt mock-oauth2-server's `enqueueCallback`, axa oauth2-mock-server's
//! `BeforeTokenSigning`), and standing mapping rules matched on every token request (grant,
//! client, user, scope, any form parameter) that add, override or remove claims.
//!
//! Both apply where a grant issues tokens (`RealmCtx::issue`): after the provider has shaped
//! the claims, mapping rules in the order they were added, then queued shapes oldest first.
//! Within one shape, `remove` runs before `claims`, so a claim both removed and set is set.
//! A queued shape counts one use per token response (its access and ID token together); its
//! use is taken under one lock, so N queued uses reach exactly N responses however many
//! requests race for them. The use is taken when the response's tokens are built: a grant
//! refused after that (its code replayed by a racing request, which revokes the grant) has
//! spent it. [`crate::MockIdp::mint`] is not shaped. Queue, rules and shape sizes are bounded
//! ([`MAX_QUEUED`], [`MAX_RULES`], [`MAX_MEMBERS`]).

use crate::app::RealmCtx;
use crate::http::Params;
use providers::GrantType;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

/// The most queued shapes a server holds at once.
pub const MAX_QUEUED: usize = 1024;
/// The most mapping rules a server holds at once.
pub const MAX_RULES: usize = 256;
/// The most members (claims set, claims removed, header parameters, parameters matched) one
/// shape or rule may name.
pub const MAX_MEMBERS: usize = 64;

/// Which tokens of a response a shape changes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TokenKinds {
    /// The access token only (a JWT's payload, or what introspection says of an opaque one).
    /// The default.
    #[default]
    Access,
    /// The ID token only.
    Id,
    /// Both the access and the ID token.
    Both,
}

impl TokenKinds {
    fn includes(self, kind: TokenKind) -> bool {
        matches!(
            (self, kind),
            (TokenKinds::Both, _) | (TokenKinds::Access, TokenKind::Access) | (TokenKinds::Id, TokenKind::Id)
        )
    }
}

/// One token of a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenKind {
    Access,
    Id,
}

/// Claims (and header parameters) for the next `count` token responses to a client and/or user.
///
/// ```
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use mock_idp::shaping::QueuedClaims;
/// let idp = mock_idp::MockIdp::start().await;
/// idp.queue_claims(QueuedClaims::for_client("service").times(2).claim("tenant", "acme"))?;
/// let token = idp.service_token("service").await?; // carries "tenant": "acme", as will the next
/// # let _ = token;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct QueuedClaims {
    /// The realm; every realm when absent.
    pub realm: Option<String>,
    /// Only tokens issued to this `client_id`; any client when absent.
    pub client: Option<String>,
    /// Only tokens for this username; any subject (also none) when absent.
    pub user: Option<String>,
    /// How many token responses get the shape (at least 1; default 1).
    pub count: u32,
    /// Claims to set or override.
    #[schema(value_type = Object)]
    pub claims: Map<String, Value>,
    /// Claims to remove.
    pub remove: Vec<String>,
    /// JWT header parameters to set or override (`alg` excepted: it is the key's).
    #[schema(value_type = Object)]
    pub headers: Map<String, Value>,
    /// Which tokens it changes (default: the access token).
    pub tokens: TokenKinds,
}

impl Default for QueuedClaims {
    fn default() -> QueuedClaims {
        QueuedClaims {
            realm: None,
            client: None,
            user: None,
            count: 1,
            claims: Map::new(),
            remove: Vec::new(),
            headers: Map::new(),
            tokens: TokenKinds::Access,
        }
    }
}

impl QueuedClaims {
    /// An empty shape for the next token issued to `client_id` (add claims, set `count`).
    pub fn for_client(client_id: impl Into<String>) -> QueuedClaims {
        QueuedClaims {
            client: Some(client_id.into()),
            ..QueuedClaims::default()
        }
    }

    /// An empty shape for the next token issued for `username`.
    pub fn for_user(username: impl Into<String>) -> QueuedClaims {
        QueuedClaims {
            user: Some(username.into()),
            ..QueuedClaims::default()
        }
    }

    /// Sets `count`.
    pub fn times(mut self, count: u32) -> QueuedClaims {
        self.count = count;
        self
    }

    /// Sets or overrides one claim.
    pub fn claim(mut self, name: impl Into<String>, value: impl Into<Value>) -> QueuedClaims {
        self.claims.insert(name.into(), value.into());
        self
    }

    /// Removes one claim.
    pub fn remove(mut self, name: impl Into<String>) -> QueuedClaims {
        self.remove.push(name.into());
        self
    }

    /// Sets or overrides one JWT header parameter.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<Value>) -> QueuedClaims {
        self.headers.insert(name.into(), value.into());
        self
    }

    /// Which tokens the shape changes.
    pub fn tokens(mut self, tokens: TokenKinds) -> QueuedClaims {
        self.tokens = tokens;
        self
    }
}

/// What a mapping rule matches: every member given must hold (an empty match matches every
/// token request).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct RuleMatch {
    /// The grant, by its wire name (`client_credentials`, `password`, …).
    pub grant: Option<String>,
    /// The `client_id` the token is issued to.
    pub client: Option<String>,
    /// The username the token is for.
    pub user: Option<String>,
    /// Space-separated scopes that must all be granted.
    pub scope: Option<String>,
    /// Token request form parameters that must have exactly these values.
    pub params: BTreeMap<String, String>,
}

/// A standing request-mapping rule: on every token request it matches, add, override or
/// remove claims (and header parameters).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct MappingRule {
    /// The realm; every realm when absent.
    pub realm: Option<String>,
    /// What the token request must be.
    #[serde(rename = "match")]
    pub when: RuleMatch,
    /// Claims to set or override.
    #[schema(value_type = Object)]
    pub claims: Map<String, Value>,
    /// Claims to remove.
    pub remove: Vec<String>,
    /// JWT header parameters to set or override (`alg` excepted).
    #[schema(value_type = Object)]
    pub headers: Map<String, Value>,
    /// Which tokens it changes (default: the access token).
    pub tokens: TokenKinds,
}

impl MappingRule {
    /// A rule matching `when` that changes nothing yet.
    pub fn new(when: RuleMatch) -> MappingRule {
        MappingRule {
            when,
            ..MappingRule::default()
        }
    }

    /// Sets or overrides one claim.
    pub fn claim(mut self, name: impl Into<String>, value: impl Into<Value>) -> MappingRule {
        self.claims.insert(name.into(), value.into());
        self
    }

    /// Removes one claim.
    pub fn remove(mut self, name: impl Into<String>) -> MappingRule {
        self.remove.push(name.into());
        self
    }

    /// Which tokens the rule changes.
    pub fn tokens(mut self, tokens: TokenKinds) -> MappingRule {
        self.tokens = tokens;
        self
    }
}

impl RuleMatch {
    /// Matches requests of this grant (wire name).
    pub fn grant(mut self, grant: impl Into<String>) -> RuleMatch {
        self.grant = Some(grant.into());
        self
    }

    /// Matches tokens issued to this client.
    pub fn client(mut self, client_id: impl Into<String>) -> RuleMatch {
        self.client = Some(client_id.into());
        self
    }

    /// Matches tokens for this user.
    pub fn user(mut self, username: impl Into<String>) -> RuleMatch {
        self.user = Some(username.into());
        self
    }

    /// Matches when all these space-separated scopes are granted.
    pub fn scope(mut self, scope: impl Into<String>) -> RuleMatch {
        self.scope = Some(scope.into());
        self
    }

    /// Matches when the token request has `name=value`.
    pub fn param(mut self, name: impl Into<String>, value: impl Into<String>) -> RuleMatch {
        self.params.insert(name.into(), value.into());
        self
    }
}

/// Why a shape or rule was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ShapingError {
    /// [`MAX_QUEUED`] shapes are queued already.
    #[error("the claim queue is full ({MAX_QUEUED} shapes)")]
    QueueFull,
    /// [`MAX_RULES`] rules exist already.
    #[error("too many mapping rules (at most {MAX_RULES})")]
    TooManyRules,
    /// The shape names more than [`MAX_MEMBERS`] members.
    #[error("a shape may name at most {MAX_MEMBERS} claims, removals, headers and parameters")]
    TooManyMembers,
    /// `count` is zero.
    #[error("count must be at least 1")]
    ZeroCount,
    /// `alg` (or an empty name) cannot be set: the signature's algorithm is the key's.
    #[error("header parameter `{0}` cannot be set")]
    ForbiddenHeader(String),
    /// The rule's `grant` is not a grant type this mock knows.
    #[error("unknown grant type `{0}`")]
    UnknownGrant(String),
    /// The realm does not exist.
    #[error("unknown realm `{0}`")]
    UnknownRealm(String),
    /// No realm the shape applies to has this client (a typo would never match).
    #[error("unknown client `{0}`")]
    UnknownClient(String),
    /// No realm the shape applies to has this user.
    #[error("unknown user `{0}`")]
    UnknownUser(String),
}

/// The change a shape makes, shared by queued shapes and rules.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Edit {
    claims: Map<String, Value>,
    remove: Vec<String>,
    headers: Map<String, Value>,
    tokens: TokenKinds,
}

impl Edit {
    fn new(
        claims: &Map<String, Value>,
        remove: &[String],
        headers: &Map<String, Value>,
        tokens: TokenKinds,
        matched: usize,
    ) -> Result<Edit, ShapingError> {
        if claims.len() + remove.len() + headers.len() + matched > MAX_MEMBERS {
            return Err(ShapingError::TooManyMembers);
        }
        if let Some(name) = headers.keys().find(|name| *name == "alg" || name.is_empty()) {
            return Err(ShapingError::ForbiddenHeader(name.clone()));
        }
        Ok(Edit {
            claims: claims.clone(),
            remove: remove.to_vec(),
            headers: headers.clone(),
            tokens,
        })
    }

    fn apply(&self, kind: TokenKind, claims: &mut Map<String, Value>, headers: &mut Map<String, Value>) {
        if !self.tokens.includes(kind) {
            return;
        }
        for name in &self.remove {
            claims.remove(name);
        }
        claims.extend(self.claims.clone());
        headers.extend(self.headers.clone());
    }
}

/// A queued shape with its remaining uses.
#[derive(Debug)]
struct Queued {
    spec: QueuedClaims,
    edit: Arc<Edit>,
    left: u32,
}

/// A rule, validated.
#[derive(Debug)]
struct Rule {
    spec: MappingRule,
    grant: Option<GrantType>,
    scopes: Vec<String>,
    edit: Arc<Edit>,
}

/// What a token request is, for matching.
#[derive(Debug)]
pub(crate) struct Request<'a> {
    pub(crate) realm: &'a str,
    pub(crate) grant: Option<GrantType>,
    pub(crate) client: &'a str,
    pub(crate) user: Option<&'a str>,
    pub(crate) scopes: &'a [String],
    pub(crate) form: Option<&'a Params>,
}

/// The edits that apply to one token response, in order.
#[derive(Debug, Default)]
pub(crate) struct Shape {
    edits: Vec<Arc<Edit>>,
}

impl Shape {
    /// Applies the edits meant for `kind` to a token's claims and extra header parameters.
    pub(crate) fn apply(&self, kind: TokenKind, claims: &mut Map<String, Value>, headers: &mut Map<String, Value>) {
        for edit in &self.edits {
            edit.apply(kind, claims, headers);
        }
    }
}

/// The queue and rules of one server.
#[derive(Debug, Default)]
pub(crate) struct Shaping {
    queue: Mutex<Vec<Queued>>,
    /// Shapes in `queue`, read without its lock on the hot path.
    queued: AtomicUsize,
    rules: RwLock<Arc<Vec<Rule>>>,
    /// The rules as loaded (configuration, builder), which a reset restores.
    loaded: RwLock<Arc<Vec<Rule>>>,
}

impl Shaping {
    /// Queues a shape.
    pub(crate) fn enqueue(&self, spec: QueuedClaims) -> Result<(), ShapingError> {
        if spec.count == 0 {
            return Err(ShapingError::ZeroCount);
        }
        let edit = Arc::new(Edit::new(&spec.claims, &spec.remove, &spec.headers, spec.tokens, 0)?);
        let mut queue = self.queue.lock().unwrap_or_else(PoisonError::into_inner);
        if queue.len() >= MAX_QUEUED {
            return Err(ShapingError::QueueFull);
        }
        queue.push(Queued {
            left: spec.count,
            spec,
            edit,
        });
        self.queued.store(queue.len(), Ordering::SeqCst);
        Ok(())
    }

    /// The queued shapes with their remaining counts, oldest first.
    pub(crate) fn queued(&self) -> Vec<QueuedClaims> {
        let queue = self.queue.lock().unwrap_or_else(PoisonError::into_inner);
        queue
            .iter()
            .map(|queued| QueuedClaims {
                count: queued.left,
                ..queued.spec.clone()
            })
            .collect()
    }

    /// Empties the queue.
    pub(crate) fn clear_queue(&self) {
        let mut queue = self.queue.lock().unwrap_or_else(PoisonError::into_inner);
        queue.clear();
        self.queued.store(0, Ordering::SeqCst);
    }

    /// Adds a rule after the existing ones.
    pub(crate) fn add_rule(&self, spec: MappingRule) -> Result<(), ShapingError> {
        let grant = match &spec.when.grant {
            Some(name) => Some(GrantType::from_wire(name).ok_or_else(|| ShapingError::UnknownGrant(name.clone()))?),
            None => None,
        };
        let edit = Arc::new(Edit::new(
            &spec.claims,
            &spec.remove,
            &spec.headers,
            spec.tokens,
            spec.when.params.len(),
        )?);
        let scopes = spec
            .when
            .scope
            .as_deref()
            .unwrap_or("")
            .split(' ')
            .filter(|scope| !scope.is_empty())
            .map(str::to_owned)
            .collect();
        let mut rules = self.rules.write().unwrap_or_else(PoisonError::into_inner);
        if rules.len() >= MAX_RULES {
            return Err(ShapingError::TooManyRules);
        }
        let mut next: Vec<Rule> = Vec::with_capacity(rules.len() + 1);
        next.extend(rules.iter().map(Rule::clone_rule));
        next.push(Rule {
            spec,
            grant,
            scopes,
            edit,
        });
        *rules = Arc::new(next);
        Ok(())
    }

    /// The rules, in order.
    pub(crate) fn rules(&self) -> Vec<MappingRule> {
        self.rules_now().iter().map(|rule| rule.spec.clone()).collect()
    }

    /// Remembers the current rules as the ones a [`Shaping::reset`] restores.
    pub(crate) fn mark_loaded(&self) {
        *self.loaded.write().unwrap_or_else(PoisonError::into_inner) = self.rules_now();
    }

    /// Back to the state as loaded: no queued shapes, the loaded rules.
    pub(crate) fn reset(&self) {
        self.clear_queue();
        let loaded = self.loaded.read().unwrap_or_else(PoisonError::into_inner).clone();
        *self.rules.write().unwrap_or_else(PoisonError::into_inner) = loaded;
    }

    /// Removes every rule.
    pub(crate) fn clear_rules(&self) {
        *self.rules.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(Vec::new());
    }

    fn rules_now(&self) -> Arc<Vec<Rule>> {
        self.rules.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// The shape of one token response: the matching rules, then the matching queued shapes,
    /// each of which loses one use (a shape used up leaves the queue). `None` when nothing
    /// matches.
    pub(crate) fn take(&self, request: &Request<'_>) -> Option<Shape> {
        let mut shape = Shape::default();
        let rules = self.rules_now();
        shape.edits.extend(
            rules
                .iter()
                .filter(|rule| rule.matches(request))
                .map(|rule| rule.edit.clone()),
        );
        if self.queued.load(Ordering::SeqCst) > 0 {
            let mut queue = self.queue.lock().unwrap_or_else(PoisonError::into_inner);
            for queued in queue.iter_mut().filter(|queued| queued.matches(request)) {
                queued.left = queued.left.saturating_sub(1);
                shape.edits.push(queued.edit.clone());
            }
            queue.retain(|queued| queued.left > 0);
            self.queued.store(queue.len(), Ordering::SeqCst);
        }
        (!shape.edits.is_empty()).then_some(shape)
    }
}

impl Rule {
    fn clone_rule(&self) -> Rule {
        Rule {
            spec: self.spec.clone(),
            grant: self.grant,
            scopes: self.scopes.clone(),
            edit: self.edit.clone(),
        }
    }

    fn matches(&self, request: &Request<'_>) -> bool {
        let when = &self.spec.when;
        realm_matches(self.spec.realm.as_deref(), request.realm)
            && self.grant.is_none_or(|grant| request.grant == Some(grant))
            && when.client.as_deref().is_none_or(|client| client == request.client)
            && when.user.as_deref().is_none_or(|user| request.user == Some(user))
            && self.scopes.iter().all(|scope| request.scopes.contains(scope))
            && when.params.iter().all(|(name, value)| {
                request
                    .form
                    .and_then(|form| form.get(name))
                    .is_some_and(|sent| sent == value)
            })
    }
}

impl Queued {
    fn matches(&self, request: &Request<'_>) -> bool {
        realm_matches(self.spec.realm.as_deref(), request.realm)
            && self
                .spec
                .client
                .as_deref()
                .is_none_or(|client| client == request.client)
            && self.spec.user.as_deref().is_none_or(|user| request.user == Some(user))
    }
}

/// Refuses a shape naming a realm, or a client or user that the realm (any realm when none is
/// named) does not have right now: it could never match.
pub(crate) fn known_names(
    app: &crate::app::App,
    realm: Option<&str>,
    client: Option<&str>,
    user: Option<&str>,
) -> Result<(), ShapingError> {
    let names: Vec<&str> = match realm {
        Some(name) => vec![name],
        None => app.world().realms.keys().map(String::as_str).collect(),
    };
    let mut realms = Vec::with_capacity(names.len());
    for name in names {
        let live = app
            .live_realm(name)
            .ok_or_else(|| ShapingError::UnknownRealm(name.to_owned()))?;
        realms.push(live);
    }
    if let Some(id) = client.filter(|id| realms.iter().all(|realm| realm.client(id).is_none())) {
        return Err(ShapingError::UnknownClient(id.to_owned()));
    }
    if let Some(name) = user.filter(|name| realms.iter().all(|realm| realm.user(name).is_none())) {
        return Err(ShapingError::UnknownUser(name.to_owned()));
    }
    Ok(())
}

fn realm_matches(wanted: Option<&str>, realm: &str) -> bool {
    wanted.is_none_or(|wanted| wanted == realm)
}

impl RealmCtx {
    /// Takes the shape of the token response being issued for `subject` (see [`Shaping::take`]).
    pub(crate) fn shape_for(&self, subject: &crate::tokens::Subject<'_>) -> Option<Shape> {
        self.app.shaping.take(&Request {
            realm: &self.realm.name,
            grant: subject.grant,
            client: &subject.client.id,
            user: subject.user.map(|user| user.username.as_str()),
            scopes: &subject.scopes,
            form: subject.form,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request<'a>(client: &'a str, user: Option<&'a str>, scopes: &'a [String]) -> Request<'a> {
        Request {
            realm: "demo",
            grant: Some(GrantType::ClientCredentials),
            client,
            user,
            scopes,
            form: None,
        }
    }

    #[test]
    fn a_queued_shape_is_used_count_times_then_leaves_the_queue() {
        let shaping = Shaping::default();
        let spec = QueuedClaims::for_client("svc").times(2).claim("n", 1);
        assert_eq!(shaping.enqueue(spec), Ok(()));
        assert!(shaping.take(&request("other", None, &[])).is_none());
        assert!(shaping.take(&request("svc", None, &[])).is_some());
        assert_eq!(shaping.queued().first().map(|queued| queued.count), Some(1));
        assert!(shaping.take(&request("svc", None, &[])).is_some());
        assert!(shaping.take(&request("svc", None, &[])).is_none());
        assert!(shaping.queued().is_empty());
    }

    #[test]
    fn removals_run_before_sets_and_rules_before_the_queue() {
        let shaping = Shaping::default();
        let rule = MappingRule::new(RuleMatch::default())
            .claim("who", "rule")
            .remove("gone");
        assert_eq!(shaping.add_rule(rule), Ok(()));
        let queued = QueuedClaims {
            remove: vec!["who".into()],
            ..QueuedClaims::default()
        }
        .claim("who", "queue");
        assert_eq!(shaping.enqueue(queued), Ok(()));
        let mut claims = Map::new();
        claims.insert("gone".into(), true.into());
        let mut headers = Map::new();
        let shape = shaping.take(&request("svc", None, &[]));
        assert!(shape.is_some());
        if let Some(shape) = shape {
            shape.apply(TokenKind::Access, &mut claims, &mut headers);
            let mut id_claims = Map::new();
            shape.apply(TokenKind::Id, &mut id_claims, &mut headers);
            assert!(id_claims.is_empty(), "access-only edits touched the ID token");
        }
        assert_eq!(Value::Object(claims), serde_json::json!({"who": "queue"}));
    }

    #[test]
    fn bad_shapes_are_refused_and_the_stores_are_bounded() {
        let shaping = Shaping::default();
        assert_eq!(
            shaping.enqueue(QueuedClaims::default().times(0)),
            Err(ShapingError::ZeroCount)
        );
        assert_eq!(
            shaping.enqueue(QueuedClaims::default().header("alg", "none")),
            Err(ShapingError::ForbiddenHeader("alg".into()))
        );
        let mut too_many = QueuedClaims::default();
        for n in 0..=MAX_MEMBERS {
            too_many.claims.insert(format!("c{n}"), n.into());
        }
        assert_eq!(shaping.enqueue(too_many), Err(ShapingError::TooManyMembers));
        assert_eq!(
            shaping.add_rule(MappingRule::new(RuleMatch::default().grant("magic"))),
            Err(ShapingError::UnknownGrant("magic".into()))
        );
        for _ in 0..MAX_QUEUED {
            assert_eq!(shaping.enqueue(QueuedClaims::default()), Ok(()));
        }
        assert_eq!(shaping.enqueue(QueuedClaims::default()), Err(ShapingError::QueueFull));
        for _ in 0..MAX_RULES {
            assert_eq!(shaping.add_rule(MappingRule::default()), Ok(()));
        }
        assert_eq!(
            shaping.add_rule(MappingRule::default()),
            Err(ShapingError::TooManyRules)
        );
        shaping.clear_queue();
        shaping.clear_rules();
        assert!(shaping.queued().is_empty() && shaping.rules().is_empty());
    }
}
