//! The login page (pick a user, or type a username and password; Deny), the error and
//! logged-out pages, and the password check shared with the password grant.

use crate::error::OAuthError;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use providers::{ErrorKind, Realm, User};

/// The user whose password this is; the password is checked before the account state, so a
/// wrong guess never learns whether an account is disabled.
pub(crate) fn check_password<'a>(realm: &'a Realm, username: &str, password: &str) -> Result<&'a User, OAuthError> {
    let wrong = || {
        let kind = ErrorKind::InvalidUserCredentials {
            username: username.to_owned(),
        };
        OAuthError::new(kind, "invalid username or password")
    };
    let user = realm.user(username).ok_or_else(wrong)?;
    if !user.password.matches(password) {
        return Err(wrong());
    }
    if !user.enabled {
        let disabled = ErrorKind::UserDisabled {
            username: username.to_owned(),
        };
        return Err(OAuthError::new(disabled, "the account is disabled"));
    }
    Ok(user)
}

/// Escapes text for HTML element content and attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

pub(crate) fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<style>body{{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem}}\
button{{margin:.25rem 0;padding:.5rem 1rem}}input{{display:block;width:100%;margin:.25rem 0 .75rem;padding:.4rem}}\
.error{{color:#b00020}}</style></head><body>{body}</body></html>\n",
        title = escape(title)
    );
    let mut response = (status, Html(html)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    for (name, value) in BROWSER_SECURITY_HEADERS {
        headers.insert(header::HeaderName::from_static(name), HeaderValue::from_static(value));
    }
    response
}

/// Headers on every page the mock shows a browser, Keycloak's realm defaults
/// (`browserSecurityHeaders`): no framing by other origins (clickjacking on the login form),
/// no MIME sniffing, no indexing.
const BROWSER_SECURITY_HEADERS: &[(&str, &str)] = &[
    ("x-frame-options", "SAMEORIGIN"),
    (
        "content-security-policy",
        "frame-src 'self'; frame-ancestors 'self'; object-src 'none';",
    ),
    ("x-content-type-options", "nosniff"),
    ("x-robots-tag", "none"),
];

/// The login form for a pending authorization request.
pub(crate) fn login_page(
    realm: &Realm,
    action: &str,
    request_id: &str,
    client_id: &str,
    message: Option<&str>,
) -> Response {
    let mut users = String::new();
    for user in realm.users.values().filter(|user| user.enabled) {
        let label = user.name.as_deref().unwrap_or(&user.username);
        users.push_str(&format!(
            "<button type=\"submit\" name=\"pick\" value=\"{username}\">{label} ({username})</button><br>",
            username = escape(&user.username),
            label = escape(label)
        ));
    }
    let message = message
        .map(|text| format!("<p class=\"error\" role=\"alert\">{}</p>", escape(text)))
        .unwrap_or_default();
    let body = format!(
        "<h1>Sign in to {realm}</h1><p>Mock identity provider: <strong>{client}</strong> asks you to sign in.</p>{message}\
<form method=\"post\" action=\"{action}\"><input type=\"hidden\" name=\"request_id\" value=\"{request}\">\
<label>Username<input name=\"username\" autocomplete=\"username\"></label>\
<label>Password<input name=\"password\" type=\"password\" autocomplete=\"current-password\"></label>\
<button type=\"submit\" name=\"action\" value=\"login\">Sign in</button> \
<button type=\"submit\" name=\"action\" value=\"deny\">Deny</button>\
<h2>Or pick a user</h2>{users}</form>",
        realm = escape(&realm.display_name),
        client = escape(client_id),
        action = escape(action),
        request = escape(request_id),
    );
    page(StatusCode::OK, "Sign in", &body)
}

/// What a client needs of the mock's login page to submit it: the form's action and the
/// pending request's id. Read back from the HTML the page writes, next to the code that writes
/// it, so a scripted login (`token_for`, `mock-idp token`) cannot drift from the page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginForm {
    /// The form's `action` URL.
    pub action: String,
    /// The hidden `request_id`.
    pub request_id: String,
}

impl LoginForm {
    /// The login form of a login page the mock wrote; `None` for any other page.
    pub fn scrape(html: &str) -> Option<LoginForm> {
        Some(LoginForm {
            action: attribute_after(html, "<form method=\"post\" action=\"")?,
            request_id: attribute_after(html, "<input type=\"hidden\" name=\"request_id\" value=\"")?,
        })
    }

    /// The error message a refused login shows above the form.
    pub fn message(html: &str) -> Option<String> {
        let start = html.find("<p class=\"error\" role=\"alert\">")? + "<p class=\"error\" role=\"alert\">".len();
        let end = html[start..].find("</p>")?;
        Some(unescape(&html[start..start + end]))
    }
}

/// The attribute value that follows `prefix` (up to its closing quote), unescaped.
fn attribute_after(html: &str, prefix: &str) -> Option<String> {
    let start = html.find(prefix)? + prefix.len();
    let end = html[start..].find('"')?;
    Some(unescape(&html[start..start + end]))
}

/// Undoes [`escape`].
fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// An error shown to the user instead of a redirect (e.g. an unregistered redirect URI).
pub(crate) fn error_page(status: StatusCode, error: &str, description: &str) -> Response {
    let body = format!(
        "<h1>Request refused</h1><p><code>{}</code></p><p>{}</p>",
        escape(error),
        escape(description)
    );
    page(status, "Request refused", &body)
}

/// Asks the user to confirm a logout: a form that POSTs `fields` back to `action`.
pub(crate) fn logout_confirm_page(realm: &Realm, action: &str, fields: &[(&str, &str)]) -> Response {
    let hidden: String = fields
        .iter()
        .map(|(name, value)| {
            format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
                escape(name),
                escape(value)
            )
        })
        .collect();
    let body = format!(
        "<h1>Sign out of {realm}</h1><p>Do you want to sign out?</p>\
<form method=\"post\" action=\"{action}\">{hidden}<button type=\"submit\">Sign out</button></form>",
        realm = escape(&realm.display_name),
        action = escape(action),
    );
    page(StatusCode::OK, "Sign out", &body)
}

/// Shown after logout when there is nowhere to redirect to.
pub(crate) fn logged_out_page() -> Response {
    page(StatusCode::OK, "Signed out", "<h1>You are signed out</h1>")
}

#[cfg(test)]
mod tests {
    use super::*;
    use providers::World;

    #[test]
    fn html_is_escaped() {
        assert_eq!(escape("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
    }

    #[test]
    fn the_login_form_is_read_back_from_the_page_it_writes() {
        let world = World::default_world().unwrap();
        let realm = world.realm("demo").unwrap();
        let action = "http://127.0.0.1:1/realms/demo/login?a=1&b=\"2\"";
        let response = login_page(realm, action, "req-id_1", "web-app", Some("bad <password> & \"more\""));
        let html = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(axum::body::to_bytes(response.into_body(), 1 << 20))
            .unwrap();
        let html = String::from_utf8(html.to_vec()).unwrap();
        assert_eq!(
            LoginForm::scrape(&html),
            Some(LoginForm {
                action: action.to_owned(),
                request_id: "req-id_1".to_owned()
            })
        );
        assert_eq!(LoginForm::message(&html).as_deref(), Some("bad <password> & \"more\""));
        assert_eq!(LoginForm::scrape("<p>no form</p>"), None);
    }

    #[test]
    fn passwords_are_checked_before_the_account_state() {
        let world = World::default_world().unwrap();
        let realm = world.realm("demo").unwrap();
        assert_eq!(
            check_password(realm, "alice", "alice-password").unwrap().username,
            "alice"
        );
        assert_eq!(
            check_password(realm, "alice", "x").unwrap_err().kind,
            ErrorKind::InvalidUserCredentials {
                username: "alice".into()
            }
        );
        assert_eq!(
            check_password(realm, "nobody", "x").unwrap_err().kind,
            ErrorKind::InvalidUserCredentials {
                username: "nobody".into()
            }
        );
        assert_eq!(
            check_password(realm, "carol", "x").unwrap_err().kind,
            ErrorKind::InvalidUserCredentials {
                username: "carol".into()
            }
        );
        assert_eq!(
            check_password(realm, "carol", "carol-password").unwrap_err().kind,
            ErrorKind::UserDisabled {
                username: "carol".into()
            }
        );
    }
}
