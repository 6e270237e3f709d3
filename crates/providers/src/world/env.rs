//! `${NAME}` in a client secret or a user password is read from the environment when the World
//! loads, so a World file checked into CI carries no secret (`secret = "${KC_WEB_SECRET}"`).
//! Only those two fields are expanded; `$` elsewhere, or not followed by `{`, stays as written.

use super::WorldError;
use super::raw::RawWorld;
use super::validate::Fail;
use toml::Spanned;

/// Looks up an environment variable by name.
pub(crate) type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The process environment (a variable that is not valid Unicode counts as unset).
pub(crate) fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// Expands `${NAME}` in every client secret and user password of `raw`.
pub(super) fn expand(raw: &mut RawWorld, env: Env<'_>, fail: Fail<'_>) -> Result<(), WorldError> {
    for (realm_name, realm) in raw.realms.get_mut() {
        let realm = realm.get_mut();
        for (id, client) in &mut realm.clients {
            if let Some(secret) = &mut client.get_mut().secret {
                let field = format!("realms.{realm_name}.clients.{id}.secret");
                expand_field(secret, &field, env, fail)?;
            }
        }
        for (username, user) in &mut realm.users {
            let field = format!("realms.{realm_name}.users.{username}.password");
            expand_field(&mut user.get_mut().password, &field, env, fail)?;
        }
    }
    Ok(())
}

/// Expands one field in place; an error points at its line.
fn expand_field(value: &mut Spanned<String>, field: &str, env: Env<'_>, fail: Fail<'_>) -> Result<(), WorldError> {
    let expanded =
        expand_value(value.get_ref(), env).map_err(|message| fail(value.span(), field.to_owned(), message))?;
    *value.get_mut() = expanded;
    Ok(())
}

/// `value` with each `${NAME}` replaced by the variable's value; the error names what is wrong.
fn expand_value(value: &str, env: Env<'_>) -> Result<String, String> {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            return Err("`${` without a closing `}`".into());
        };
        let name = &after[..end];
        if !is_variable_name(name) {
            return Err(format!(
                "`${{{name}}}` is not an environment variable name (letters, digits and _, not starting with a digit)"
            ));
        }
        match env(name) {
            Some(found) => out.push_str(&found),
            None => return Err(format!("environment variable {name} is not set")),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

fn is_variable_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic() || first == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "KC_WEB_SECRET" => Some("s3cr3t".into()),
            "EMPTY" => Some(String::new()),
            _ => None,
        }
    }

    #[test]
    fn variables_are_replaced_where_they_stand() {
        assert_eq!(expand_value("${KC_WEB_SECRET}", &env).unwrap(), "s3cr3t");
        assert_eq!(
            expand_value("pre-${KC_WEB_SECRET}-post", &env).unwrap(),
            "pre-s3cr3t-post"
        );
        assert_eq!(
            expand_value("no variables, $HOME $ {x}", &env).unwrap(),
            "no variables, $HOME $ {x}"
        );
    }

    #[test]
    fn unset_unclosed_and_malformed_names_are_errors() {
        assert_eq!(
            expand_value("${MISSING}", &env).unwrap_err(),
            "environment variable MISSING is not set"
        );
        assert!(expand_value("${KC_WEB_SECRET", &env).unwrap_err().contains("closing"));
        assert!(
            expand_value("${1X}", &env)
                .unwrap_err()
                .contains("not an environment variable name")
        );
        assert!(expand_value("${}", &env).is_err());
    }
}
