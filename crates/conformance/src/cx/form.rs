//! Reads the login form out of a provider's HTML page (parsed with `scraper`, an HTML5 parser):
//! the first form's action and hidden fields, when that form asks for a password.

use scraper::{Html, Selector};

/// A login form: its action and hidden fields.
pub(super) struct LoginForm {
    /// The `action` attribute (entities decoded).
    pub(super) action: String,
    /// The hidden inputs' names and values.
    pub(super) hidden: Vec<(String, String)>,
}

/// The first form of `html`, when it has an action and a field named `password`.
pub(super) fn login_form(html: &str) -> Option<LoginForm> {
    let document = Html::parse_document(html);
    let form = document.select(&selector("form")?).next()?;
    form.select(&selector(r#"[name="password"]"#)?).next()?;
    read(form)
}

/// The first form of `html` with a submit input named `accept` (a consent page, Keycloak's
/// `oauth-grant` form): its action and hidden fields.
pub(super) fn consent_form(html: &str) -> Option<LoginForm> {
    let document = Html::parse_document(html);
    let form = document
        .select(&selector("form")?)
        .find(|form| selector(r#"[name="accept"]"#).is_some_and(|accept| form.select(&accept).next().is_some()))?;
    read(form)
}

/// The first form of `html` that asks for no password and is sent by POST (a logout
/// confirmation page: "Do you want to sign out?"): its action and hidden fields.
pub(super) fn confirm_form(html: &str) -> Option<LoginForm> {
    let document = Html::parse_document(html);
    let password = selector(r#"[name="password"]"#)?;
    let form = document.select(&selector("form")?).find(|form| {
        form.value()
            .attr("method")
            .is_some_and(|method| method.eq_ignore_ascii_case("post"))
            && form.select(&password).next().is_none()
    })?;
    read(form)
}

/// A form's action and hidden fields.
fn read(form: scraper::ElementRef<'_>) -> Option<LoginForm> {
    let action = form.value().attr("action")?.to_owned();
    let hidden = form
        .select(&selector(r#"input[type="hidden"][name]"#)?)
        .filter_map(|input| {
            let name = input.value().attr("name")?.to_owned();
            Some((name, input.value().attr("value").unwrap_or_default().to_owned()))
        })
        .collect();
    Some(LoginForm { action, hidden })
}

fn selector(css: &str) -> Option<Selector> {
    Selector::parse(css).ok()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn reads_the_first_forms_action_and_hidden_fields() {
        let html = r#"<html><body>
            <form id="kc-form-login" action="http://127.0.0.1:8080/login?session_code=a&amp;tab_id=b&quot;c" method="post">
              <input type="text" name="username">
              <input name="password" type="password">
              <input type="hidden" name="credentialId" value="">
              <input type="hidden" name="state" value="x&#39;y&lt;z&gt;">
              <input type="hidden" value="no name">
              <input type="submit" value="Sign in">
            </form>
            <form action="/other"><input type="hidden" name="later" value="1"></form>
        </body></html>"#;
        let form = login_form(html).unwrap();
        assert_eq!(form.action, "http://127.0.0.1:8080/login?session_code=a&tab_id=b\"c");
        assert_eq!(
            form.hidden,
            vec![
                ("credentialId".to_owned(), String::new()),
                ("state".to_owned(), "x'y<z>".to_owned())
            ]
        );
    }

    #[test]
    fn no_form_without_a_password_field_or_an_action() {
        assert!(login_form(r#"<form action="/a"><input name="user"></form>"#).is_none());
        assert!(login_form(r#"<form><input name="password"></form>"#).is_none());
        assert!(login_form("<p>no form</p>").is_none());
    }

    #[test]
    fn a_logout_confirmation_is_the_first_post_form_without_a_password() {
        let html = r#"<form action="/search" method="get"><input type="hidden" name="q" value="x"></form>
            <form method="post" action="/oidc/logout"><input type="hidden" name="confirm" value="t&amp;1">
            <button type="submit">Sign out</button></form>"#;
        let form = confirm_form(html).unwrap();
        assert_eq!(form.action, "/oidc/logout");
        assert_eq!(form.hidden, vec![("confirm".to_owned(), "t&1".to_owned())]);
        let login = r#"<form method="post" action="/login"><input name="password"></form>"#;
        assert!(confirm_form(login).is_none());
    }
}
