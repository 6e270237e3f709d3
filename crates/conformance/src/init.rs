//! `idp-conformance init`: a commented World template for a user's own provider. One section per
//! part a client or user plays in the checks (confidential web client, public SPA, service
//! client, introspecting API client, a user), each saying which checks need it; secrets and the
//! password are `${…}` placeholders read from the environment, so the filled-in file can be
//! committed. The example values are the default World's, so a template filled in with the
//! default World's secrets runs clean against the mock of the same flavor.

use crate::check::Capability;
use crate::checks::catalog;
use providers::{Detection, Provider};
use serde_json::Value;
use std::fmt::Write as _;
use std::time::Duration;

/// Why a provider's discovery document could not be read.
#[derive(Debug, thiserror::Error)]
pub enum DiscoveryError {
    /// The request failed (connection, TLS, timeout).
    #[error("cannot fetch {url}: {source}")]
    Fetch {
        /// The discovery URL.
        url: String,
        /// What failed.
        #[source]
        source: reqwest::Error,
    },
    /// The answer was not 200.
    #[error("{url} answered HTTP {status}")]
    Status {
        /// The discovery URL.
        url: String,
        /// Its status.
        status: u16,
    },
    /// The body was not a JSON object with an `issuer`.
    #[error("{url} is not an OpenID Provider discovery document (a JSON object with `issuer`)")]
    NotDiscovery {
        /// The discovery URL.
        url: String,
    },
}

/// What `init` learnt from a provider: its discovery document and who it is.
#[derive(Debug, Clone)]
pub struct Inspection {
    /// The discovery document.
    pub discovery: Value,
    /// The provider recognised from it.
    pub detection: Detection,
}

/// `{issuer}/.well-known/openid-configuration` (OIDC Discovery §4).
pub fn discovery_url(issuer: &str) -> String {
    format!("{}/.well-known/openid-configuration", issuer.trim_end_matches('/'))
}

/// Reads `issuer`'s discovery document (10 s timeout, no redirects) and recognises the provider.
///
/// # Errors
/// [`DiscoveryError`] naming the URL when the document cannot be read.
pub async fn inspect(issuer: &str) -> Result<Inspection, DiscoveryError> {
    let url = discovery_url(issuer);
    let fetch = |source| DiscoveryError::Fetch {
        url: url.clone(),
        source,
    };
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(fetch)?;
    let response = client.get(&url).send().await.map_err(fetch)?;
    if response.status() != reqwest::StatusCode::OK {
        return Err(DiscoveryError::Status {
            url,
            status: response.status().as_u16(),
        });
    }
    let discovery: Value = response
        .json()
        .await
        .map_err(|_| DiscoveryError::NotDiscovery { url: url.clone() })?;
    if !discovery.get("issuer").is_some_and(Value::is_string) {
        return Err(DiscoveryError::NotDiscovery { url });
    }
    let detection = providers::detect(&discovery);
    Ok(Inspection { discovery, detection })
}

/// Environment variables the template's placeholders name.
pub const SECRET_VARIABLES: [(&str, &str); 4] = [
    ("IDP_WEB_SECRET", "the confidential web client's secret"),
    ("IDP_SERVICE_SECRET", "the service client's secret"),
    ("IDP_API_SECRET", "the introspecting API client's secret"),
    ("IDP_USER_PASSWORD", "the test user's password"),
];

/// What the template is written for.
#[derive(Debug, Clone)]
pub struct TemplateInput<'a> {
    /// The provider (detected or given).
    pub provider: Provider,
    /// Why that provider: one line, printed in the header.
    pub provider_reason: &'a str,
    /// The issuer as discovery states it.
    pub issuer: &'a str,
    /// The realm, tenant or organisation the issuer names.
    pub realm: &'a str,
    /// The discovery document, for `scopes_supported`.
    pub discovery: Option<&'a Value>,
}

/// The scopes every template offers when discovery does not list them.
const BASE_SCOPES: [&str; 3] = ["openid", "profile", "email"];

/// The template, as TOML with comments.
pub fn template(input: &TemplateInput<'_>) -> String {
    let realm = toml_key(input.realm);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# World for idp-conformance against {issuer}\n\
         # provider: {provider} ({reason})\n\
         #\n\
         # Written by `idp-conformance init`. Replace each example value with your provider's, set the\n\
         # environment variables below (or write the values in place of \"${{…}}\"), then run:\n\
         #   idp-conformance run --target url:{issuer} --world THIS_FILE\n\
         # Delete a section you cannot provide: the checks that need it are skipped, and their reason\n\
         # names what is missing.\n\
         #\n\
         # Environment variables read when the file loads:",
        issuer = input.issuer,
        provider = input.provider.name(),
        reason = input.provider_reason,
    );
    for (name, what) in SECRET_VARIABLES {
        let _ = writeln!(out, "#   {name:<19} {what}");
    }
    let _ = writeln!(
        out,
        "\ndefault_realm = {}\n\n# {}\n[realms.{realm}]",
        toml_string(input.realm),
        realm_hint(input.provider)
    );
    let scopes = scopes(input.discovery);
    let _ = writeln!(
        out,
        "# Scopes the checks may request (must contain openid); from discovery's scopes_supported\n\
         # where it lists them.\n\
         scopes = {}\n\
         # Realm roles: every role the user and the service client below hold. The guard checks\n\
         # expect token-guard to read exactly these from their tokens.\n\
         roles = [\"user\", \"admin\", \"reporting\"]",
        toml_array(&scopes)
    );
    section(
        &mut out,
        &realm,
        "web-app",
        "Confidential web client (authorization code flow, refresh)",
        &[Capability::CodeFlow, Capability::Refresh],
        "kind = \"confidential\"\nsecret = \"${IDP_WEB_SECRET}\"\n\
         # Registered at the provider exactly as written here.\n\
         redirect_uris = [\"http://127.0.0.1:5000/callback\"]\n\
         post_logout_redirect_uris = [\"http://127.0.0.1:5000/\"]\n\
         grant_types = [\"authorization_code\", \"refresh_token\"]\n\
         pkce = \"optional\"",
    );
    section(
        &mut out,
        &realm,
        "spa",
        "Public client (single-page app; PKCE S256 required)",
        &[Capability::PublicClient],
        "kind = \"public\"\n\
         redirect_uris = [\"http://127.0.0.1:5173/callback\"]\n\
         grant_types = [\"authorization_code\", \"refresh_token\"]\n\
         pkce = \"s256-required\"",
    );
    section(
        &mut out,
        &realm,
        "service",
        "Service client (client credentials)",
        &[Capability::ClientCredentials],
        "kind = \"confidential\"\nsecret = \"${IDP_SERVICE_SECRET}\"\n\
         grant_types = [\"client_credentials\"]\n\
         # Realm roles of its service account.\n\
         service_account_roles = [\"reporting\"]",
    );
    section(
        &mut out,
        &realm,
        "api",
        "Resource server allowed to introspect (RFC 7662)",
        &[Capability::Introspection],
        "kind = \"confidential\"\nsecret = \"${IDP_API_SECRET}\"\n\
         grant_types = [\"client_credentials\"]\n\
         introspection = true\n\
         # Its client roles, and the scope that puts it in a token's `aud` (at the provider: a\n\
         # scope with an audience mapper, or a project/API resource). token-guard expects this\n\
         # client as the audience.\n\
         roles = [\"read:messages\"]\n\
         audience_scopes = [\"read:messages\"]",
    );
    let user_checks = needed_by(&[Capability::CodeFlow]);
    let _ = writeln!(
        out,
        "\n# A test user who can log in with a password, for the code flow and the guard checks.\n\
         {}[realms.{realm}.users.alice]\n\
         # The user's subject (`sub`) at the provider: {}.\n\
         id = \"7f2a1c3e-5b4d-4e6f-8a9b-0c1d2e3f4a5b\"\n\
         password = \"${{IDP_USER_PASSWORD}}\"\n\
         email = \"alice@example.com\"\n\
         email_verified = true\n\
         realm_roles = [\"user\", \"admin\"]\n\
         client_roles = {{ api = [\"read:messages\"] }}",
        needed_by_comment(&user_checks),
        subject_hint(input.provider)
    );
    out
}

fn section(out: &mut String, realm: &str, id: &str, title: &str, needs: &[Capability], body: &str) {
    let checks = needed_by(needs);
    let _ = writeln!(
        out,
        "\n# {title}.\n{}# Rename `{id}` to the client id registered at your provider.\n\
         [realms.{realm}.clients.{id}]\n{body}",
        needed_by_comment(&checks)
    );
}

/// `# Needed by N checks: A, B, …` wrapped at 100 columns.
fn needed_by_comment(checks: &[&str]) -> String {
    let mut out = String::new();
    let mut line = format!("# Needed by {} checks:", checks.len());
    for (at, id) in checks.iter().enumerate() {
        let item = if at + 1 == checks.len() {
            format!(" {id}.")
        } else {
            format!(" {id},")
        };
        if line.len() + item.len() > 100 {
            out.push_str(&line);
            out.push('\n');
            line = "#  ".to_owned();
        }
        line.push_str(&item);
    }
    out.push_str(&line);
    out.push('\n');
    out
}

/// The ids of the catalog's checks that need any of `needs`.
fn needed_by(needs: &[Capability]) -> Vec<&'static str> {
    catalog()
        .into_iter()
        .filter(|entry| entry.check.requires.iter().any(|required| needs.contains(required)))
        .map(|entry| entry.check.id)
        .collect()
}

fn scopes(discovery: Option<&Value>) -> Vec<String> {
    let advertised: Vec<String> = discovery
        .and_then(|doc| doc.get("scopes_supported"))
        .and_then(Value::as_array)
        .map(|scopes| scopes.iter().filter_map(Value::as_str).map(str::to_owned).collect())
        .unwrap_or_default();
    let mut scopes: Vec<String> = BASE_SCOPES
        .iter()
        .filter(|scope| advertised.is_empty() || advertised.iter().any(|a| a == *scope) || **scope == "openid")
        .map(|scope| (*scope).to_owned())
        .collect();
    if advertised.iter().any(|scope| scope == "offline_access") {
        scopes.push("offline_access".to_owned());
    }
    // The API's scope (the `api` client's audience scope below).
    scopes.push("read:messages".to_owned());
    scopes
}

fn realm_hint(provider: Provider) -> &'static str {
    match provider {
        Provider::Keycloak => "The realm: the last segment of the issuer (`/realms/{realm}`).",
        Provider::Zitadel => "ZITADEL has one issuer per instance: the name is only a label for the organisation.",
        Provider::Wso2 => "The tenant (`carbon.super` for the super tenant, else `/t/{tenant}` in the issuer).",
        Provider::AppId => "The App ID tenant id (the last segment of the issuer `/oauth/v4/{tenant}`).",
        _ => "A name for the issuer's one set of clients and users.",
    }
}

fn subject_hint(provider: Provider) -> &'static str {
    match provider {
        Provider::Keycloak => "Keycloak admin console, Users, the user's ID",
        Provider::Zitadel => "ZITADEL console, Users, the user's ID (a number)",
        Provider::Wso2 => "the user's SCIM id (Console, User Management, the user's ID)",
        Provider::AppId => "the user's App ID profile id (the `sub` of one of their ID tokens)",
        _ => "the `sub` of one of the user's ID tokens",
    }
}

/// A bare TOML key where possible, else a quoted one.
fn toml_key(key: &str) -> String {
    if !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        key.to_owned()
    } else {
        toml_string(key)
    }
}

fn toml_string(text: &str) -> String {
    Value::String(text.to_owned()).to_string()
}

fn toml_array(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|item| toml_string(item)).collect();
    format!("[{}]", quoted.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn input<'a>(provider: Provider, realm: &'a str, discovery: Option<&'a Value>) -> TemplateInput<'a> {
        TemplateInput {
            provider,
            provider_reason: "given with --provider",
            issuer: "https://sso.example.com/realms/demo",
            realm,
            discovery,
        }
    }

    #[test]
    fn the_template_is_a_valid_world_once_its_variables_are_set() {
        let text = template(&input(Provider::Keycloak, "demo", None));
        let env = |name: &str| {
            SECRET_VARIABLES
                .iter()
                .any(|(known, _)| *known == name)
                .then(|| "x".to_owned())
        };
        let world = providers::World::from_toml_str_with_env(&text, "template", &env).unwrap();
        let realm = world.realm("demo").unwrap();
        assert_eq!(realm.clients.len(), 4);
        assert!(realm.users["alice"].enabled);
    }

    #[test]
    fn without_the_variables_the_error_names_the_first_missing_one() {
        let text = template(&input(Provider::Keycloak, "demo", None));
        let err = providers::World::from_toml_str(&text, "template")
            .unwrap_err()
            .to_string();
        assert!(err.contains("environment variable IDP_"), "{err}");
    }

    #[test]
    fn each_section_names_the_checks_that_need_it() {
        let text = template(&input(Provider::Generic, "demo", None));
        let intr = needed_by(&[Capability::Introspection]);
        assert!(!intr.is_empty());
        let comment = needed_by_comment(&intr);
        assert!(comment.lines().all(|line| line.len() <= 100), "{comment}");
        let listed = comment
            .replace('#', " ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        assert!(listed.contains(&format!("{}.", intr.join(", "))), "{listed}");
        assert!(text.contains(&comment));
    }

    #[test]
    fn scopes_follow_discovery_and_odd_realm_names_are_quoted() {
        let doc = json!({"scopes_supported": ["openid", "email", "offline_access"]});
        let text = template(&input(Provider::Wso2, "carbon.super", Some(&doc)));
        assert!(
            text.contains("scopes = [\"openid\", \"email\", \"offline_access\", \"read:messages\"]"),
            "{text}"
        );
        assert!(text.contains("[realms.\"carbon.super\"]"), "{text}");
        assert!(text.contains("default_realm = \"carbon.super\""));
    }
}
