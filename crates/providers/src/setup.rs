//! Setup plans: the admin API calls that provision a real provider with a realm of the World,
//! as data.
//!
//! A [`SetupPlan`] is an ordered list of [`SetupStep`]s (method, path, JSON body) whose paths
//! and string values may hold `${VAR}` placeholders; a step's [`Capture`]s take values out of
//! its JSON response (RFC 6901 pointers) for later steps. [`ClientBinding`]s say which captured
//! variables hold the client id and secret the provider generated for a World client.
//!
//! The plan is the single source: the Markdown setup notes in `fixtures/` are rendered from it
//! ([`SetupPlan::render_markdown`]), and the `container:<provider>` conformance targets execute
//! it. This crate has no HTTP client; executing is the caller's job.

use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write;

/// Variables captured while a plan runs, by name (without `${…}`).
pub type Vars = BTreeMap<String, String>;

/// The ordered admin API calls that set up one realm, and where the generated client
/// credentials end up.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SetupPlan {
    /// The calls, in the order they must run.
    pub steps: Vec<SetupStep>,
    /// For each World client whose credentials the provider generates: the variables holding them.
    pub client_bindings: Vec<ClientBinding>,
}

/// The HTTP method of a [`SetupStep`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    /// `POST`: create something.
    Post,
    /// `PUT`: replace or (re)generate something.
    Put,
    /// `PATCH`: change part of something (SCIM PATCH operations).
    Patch,
}

impl Method {
    /// The method as it appears on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
        }
    }
}

/// One admin API call.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SetupStep {
    /// What the call does (and why, where that is not obvious); it names the step in errors.
    pub title: String,
    /// The HTTP method.
    pub method: Method,
    /// The path below the provider's base URL; may hold `${VAR}` placeholders.
    pub path: String,
    /// The JSON body; string values may hold `${VAR}` placeholders, substituted inside strings.
    pub body: Option<Value>,
    /// Values to take from the JSON response.
    pub captures: Vec<Capture>,
}

/// A value taken from a step's JSON response into a variable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Capture {
    /// The variable the value is stored in (referenced later as `${var}`).
    pub var: String,
    /// RFC 6901 JSON pointer into the response body, e.g. `/clientId`.
    pub pointer: String,
}

/// Which captured variables hold the provider-generated credentials of one World client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClientBinding {
    /// The client's id in the World.
    pub world_client_id: String,
    /// The variable holding the `client_id` the provider generated, if it generates one.
    pub client_id_var: Option<String>,
    /// The variable holding the `client_secret` the provider generated, if the client has one.
    pub client_secret_var: Option<String>,
}

/// A `${VAR}` placeholder that no earlier step captured.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("variable `${{{name}}}` is not defined (no earlier step captured it)")]
pub struct MissingVar {
    /// The variable's name, without `${…}`.
    pub name: String,
}

impl Capture {
    /// A capture of `pointer` into `var`.
    pub fn new(var: impl Into<String>, pointer: impl Into<String>) -> Capture {
        Capture {
            var: var.into(),
            pointer: pointer.into(),
        }
    }
}

impl SetupStep {
    /// A step without captures.
    pub fn new(title: impl Into<String>, method: Method, path: impl Into<String>, body: Option<Value>) -> SetupStep {
        SetupStep {
            title: title.into(),
            method,
            path: path.into(),
            body,
            captures: Vec::new(),
        }
    }

    /// The same step, also capturing `pointer` of the response into `var`.
    pub fn capture(mut self, var: impl Into<String>, pointer: impl Into<String>) -> SetupStep {
        self.captures.push(Capture::new(var, pointer));
        self
    }

    /// The path and body with every `${VAR}` placeholder replaced by its value in `vars`.
    ///
    /// # Errors
    /// [`MissingVar`] naming the first placeholder `vars` has no value for.
    pub fn resolve(&self, vars: &Vars) -> Result<(String, Option<Value>), MissingVar> {
        let path = substitute(&self.path, vars)?;
        let body = self.body.as_ref().map(|body| substitute_json(body, vars)).transpose()?;
        Ok((path, body))
    }

    /// The names of every placeholder in the path and body, in order of appearance.
    pub fn placeholders(&self) -> Vec<String> {
        let mut names = placeholder_names(&self.path);
        if let Some(body) = &self.body {
            collect_json_placeholders(body, &mut names);
        }
        names
    }
}

impl SetupPlan {
    /// Checks that every placeholder is captured by an earlier step.
    ///
    /// # Errors
    /// [`MissingVar`] naming the first placeholder used before (or without) its capture.
    pub fn check(&self) -> Result<(), MissingVar> {
        let mut defined: Vec<&str> = Vec::new();
        for step in &self.steps {
            if let Some(name) = step
                .placeholders()
                .into_iter()
                .find(|name| !defined.contains(&name.as_str()))
            {
                return Err(MissingVar { name });
            }
            defined.extend(step.captures.iter().map(|capture| capture.var.as_str()));
        }
        Ok(())
    }

    /// The binding of the World client `client_id`, if the provider generates its credentials.
    pub fn binding(&self, client_id: &str) -> Option<&ClientBinding> {
        self.client_bindings
            .iter()
            .find(|binding| binding.world_client_id == client_id)
    }

    /// Markdown with one `curl` block per step, using `base_var` for the base URL (e.g.
    /// `ZITADEL`) and `auth` for the curl options that authenticate (e.g.
    /// `-H "Authorization: Bearer $PAT"`). Captured values become shell variables (read with
    /// `jq`), so the blocks run in order in one shell; a closing table lists the bindings.
    pub fn render_markdown(&self, base_var: &str, auth: &str) -> String {
        let mut notes = String::new();
        for step in &self.steps {
            let _ = writeln!(notes, "## {}\n\n```sh\n{}```\n", step.title, step.shell(base_var, auth));
        }
        if !self.client_bindings.is_empty() {
            notes.push_str(&self.bindings_table());
        }
        notes
    }

    fn bindings_table(&self) -> String {
        let mut table = String::from(
            "## World clients\n\nThe provider generated these credentials; use them wherever the World names the \
client.\n\n| World client | `client_id` | `client_secret` |\n|---|---|---|\n",
        );
        let shown = |var: &Option<String>| {
            var.as_ref()
                .map_or_else(|| "(none)".to_owned(), |var| format!("`${var}`"))
        };
        for binding in &self.client_bindings {
            let _ = writeln!(
                table,
                "| `{}` | {} | {} |",
                binding.world_client_id,
                shown(&binding.client_id_var),
                shown(&binding.client_secret_var)
            );
        }
        table
    }
}

impl SetupStep {
    /// This step as shell lines: the `curl` call, then one `jq` assignment per capture.
    fn shell(&self, base_var: &str, auth: &str) -> String {
        let mut curl = format!(
            "curl -fsS {auth} -X {} \"${base_var}{}\"",
            self.method.as_str(),
            self.path
        );
        if let Some(body) = &self.body {
            let _ = write!(curl, " -H 'Content-Type: application/json' -d '{}'", shell_body(body));
        }
        if self.captures.is_empty() {
            return format!("{curl}\n");
        }
        let mut lines = format!("response=$({curl})\n");
        for capture in &self.captures {
            let _ = writeln!(
                lines,
                "{}=$(printf '%s' \"$response\" | jq -r '{}')",
                capture.var,
                jq_path(&capture.pointer)
            );
        }
        lines
    }
}

/// The body as compact JSON for a single-quoted shell word: `'` is escaped and placeholders
/// leave the quotes so the shell expands them (`'"${VAR}"'` inside a JSON string).
fn shell_body(body: &Value) -> String {
    let text = body.to_string().replace('\'', r"'\''");
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some((before, name, after)) = next_placeholder(rest) {
        let _ = write!(out, "{before}'\"${{{name}}}\"'");
        rest = after;
    }
    out.push_str(rest);
    out
}

/// A jq filter for an RFC 6901 pointer (`/a/0/b~1c` → `.a[0]["b/c"]`).
fn jq_path(pointer: &str) -> String {
    let mut path = String::new();
    for segment in pointer.split('/').skip(1) {
        let segment = segment.replace("~1", "/").replace("~0", "~");
        let bytes = segment.as_bytes();
        if bytes.first().is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
            && bytes.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_')
        {
            let _ = write!(path, ".{segment}");
            continue;
        }
        if path.is_empty() {
            path.push('.');
        }
        if !segment.is_empty() && bytes.iter().all(u8::is_ascii_digit) {
            let _ = write!(path, "[{segment}]");
        } else {
            let _ = write!(path, "[{}]", Value::String(segment));
        }
    }
    if path.is_empty() { ".".to_owned() } else { path }
}

/// `text` with every `${VAR}` replaced by its value.
///
/// # Errors
/// [`MissingVar`] naming the first placeholder `vars` has no value for.
pub fn substitute(text: &str, vars: &Vars) -> Result<String, MissingVar> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some((before, name, after)) = next_placeholder(rest) {
        let value = vars.get(name).ok_or_else(|| MissingVar { name: name.to_owned() })?;
        out.push_str(before);
        out.push_str(value);
        rest = after;
    }
    out.push_str(rest);
    Ok(out)
}

fn substitute_json(value: &Value, vars: &Vars) -> Result<Value, MissingVar> {
    Ok(match value {
        Value::String(text) => Value::String(substitute(text, vars)?),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|item| substitute_json(item, vars))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(key, item)| Ok((key.clone(), substitute_json(item, vars)?)))
                .collect::<Result<_, MissingVar>>()?,
        ),
        other => other.clone(),
    })
}

fn collect_json_placeholders(value: &Value, names: &mut Vec<String>) {
    match value {
        Value::String(text) => names.extend(placeholder_names(text)),
        Value::Array(items) => items.iter().for_each(|item| collect_json_placeholders(item, names)),
        Value::Object(fields) => fields.values().for_each(|item| collect_json_placeholders(item, names)),
        _ => {}
    }
}

fn placeholder_names(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some((_, name, after)) = next_placeholder(rest) {
        names.push(name.to_owned());
        rest = after;
    }
    names
}

/// The first `${NAME}` in `text` (NAME of ASCII letters, digits and `_`): the text before it,
/// the name and the text after it. Anything else, `${}` or `${a-b}` included, is literal.
fn next_placeholder(text: &str) -> Option<(&str, &str, &str)> {
    let mut from = 0;
    while let Some(offset) = text[from..].find("${") {
        let start = from + offset;
        let name_start = start + 2;
        if let Some(len) = text[name_start..].find('}') {
            let name = &text[name_start..name_start + len];
            if !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                return Some((&text[..start], name, &text[name_start + len + 1..]));
            }
        }
        from = name_start;
    }
    None
}

/// A variable name for an id of the World: upper case, anything but letters and digits as `_`
/// (`web-app` → `WEB_APP`).
pub(crate) fn var_part(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn vars(pairs: &[(&str, &str)]) -> Vars {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn substitutes_in_paths_and_inside_body_strings() {
        let step = SetupStep::new(
            "grant",
            Method::Post,
            "/users/${USER_ID}/grants",
            Some(json!({"projectId": "${PROJECT_ID}", "label": "p-${PROJECT_ID}-x", "n": 3, "list": ["${USER_ID}"]})),
        );
        let (path, body) = step.resolve(&vars(&[("USER_ID", "u1"), ("PROJECT_ID", "p9")])).unwrap();
        assert_eq!(path, "/users/u1/grants");
        assert_eq!(
            body,
            Some(json!({"projectId": "p9", "label": "p-p9-x", "n": 3, "list": ["u1"]}))
        );
    }

    #[test]
    fn a_missing_variable_is_named() {
        let step = SetupStep::new("s", Method::Put, "/a/${NOPE}/b", None);
        assert_eq!(step.resolve(&Vars::new()), Err(MissingVar { name: "NOPE".into() }));
        let step = SetupStep::new("s", Method::Put, "/a", Some(json!({"x": {"y": ["${GONE}"]}})));
        let err = step.resolve(&Vars::new()).unwrap_err();
        assert_eq!(err.name, "GONE");
        assert_eq!(
            err.to_string(),
            "variable `${GONE}` is not defined (no earlier step captured it)"
        );
    }

    #[test]
    fn text_that_is_not_a_placeholder_stays_literal() {
        let none = Vars::new();
        for text in ["$PAT", "${", "${}", "${a-b}", "a}b", "$${", "{X}"] {
            assert_eq!(substitute(text, &none).unwrap(), text);
        }
        assert_eq!(substitute("${a-b}${X}", &vars(&[("X", "1")])).unwrap(), "${a-b}1");
    }

    #[test]
    fn values_are_not_substituted_again() {
        let out = substitute("${A}", &vars(&[("A", "${B}"), ("B", "no")])).unwrap();
        assert_eq!(out, "${B}");
    }

    #[test]
    fn check_finds_a_variable_used_before_its_capture() {
        let late = SetupPlan {
            steps: vec![
                SetupStep::new("uses", Method::Post, "/x/${ID}", None),
                SetupStep::new("makes", Method::Post, "/x", None).capture("ID", "/id"),
            ],
            client_bindings: vec![],
        };
        assert_eq!(late.check(), Err(MissingVar { name: "ID".into() }));
        let ordered = SetupPlan {
            steps: late.steps.iter().rev().cloned().collect(),
            client_bindings: vec![],
        };
        assert_eq!(ordered.check(), Ok(()));
    }

    #[test]
    fn markdown_quotes_bodies_for_the_shell_and_reads_captures_with_jq() {
        let plan = SetupPlan {
            steps: vec![
                SetupStep::new("Make", Method::Post, "/p", Some(json!({"name": "it's"})))
                    .capture("P_ID", "/id")
                    .capture("SECRET", "/a~1b/0"),
                SetupStep::new("Use", Method::Patch, "/p/${P_ID}", Some(json!({"v": "${P_ID}"}))),
            ],
            client_bindings: vec![ClientBinding {
                world_client_id: "web".into(),
                client_id_var: Some("P_ID".into()),
                client_secret_var: None,
            }],
        };
        let md = plan.render_markdown("BASE", "-u \"$ADMIN\"");
        assert!(md.contains(
            "response=$(curl -fsS -u \"$ADMIN\" -X POST \"$BASE/p\" -H 'Content-Type: application/json' -d '{\"name\":\"it'\\''s\"}')\n"
        ), "{md}");
        assert!(md.contains("P_ID=$(printf '%s' \"$response\" | jq -r '.id')"), "{md}");
        assert!(
            md.contains("SECRET=$(printf '%s' \"$response\" | jq -r '.[\"a/b\"][0]')"),
            "{md}"
        );
        assert!(md.contains("-X PATCH \"$BASE/p/${P_ID}\""), "{md}");
        assert!(md.contains("-d '{\"v\":\"'\"${P_ID}\"'\"}'"), "{md}");
        assert!(md.contains("| `web` | `$P_ID` | (none) |"), "{md}");
    }

    #[test]
    fn var_parts_are_shell_names() {
        assert_eq!(var_part("web-app"), "WEB_APP");
        assert_eq!(var_part("read:messages"), "READ_MESSAGES");
    }
}
