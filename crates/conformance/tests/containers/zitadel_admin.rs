//! ZITADEL's admin API answers to the default World's setup plan, shared by the unit tests of
//! `src/targets/containers/provision.rs` (included there with `#[path]`) and the
//! `container:zitadel` stand-in of this test binary.
//!
//! The "generated" credentials follow one scheme, so a test knows them in advance: the project
//! is `proj-1`; an OIDC or API application named `N` gets client id [`client_id`]`(N)` and
//! secret [`client_secret`]`(N)`; a machine user `N` gets user id `m-N` and, as ZITADEL does,
//! its user name as client id with secret [`client_secret`]`(N)`; a human user `N` gets user
//! id `h-N`. A path whose placeholders were not filled with these ids gets no answer (404).

use serde_json::{Value, json};

/// The id of the project the plan creates.
pub(crate) const PROJECT_ID: &str = "proj-1";

/// The client id ZITADEL "generates" for the application named `name`.
pub(crate) fn client_id(name: &str) -> String {
    format!("{name}-cid@demo")
}

/// The client secret ZITADEL "generates" for the application or machine user named `name`.
pub(crate) fn client_secret(name: &str) -> String {
    format!("{name}-generated")
}

/// The answer to `method path` with JSON `body`, or `None` for a 404.
pub(crate) fn answer(method: &str, path: &str, body: &Value) -> Option<Value> {
    let name = body["name"].as_str().unwrap_or_default();
    let project = format!("/management/v1/projects/{PROJECT_ID}");
    let answer = match (method, path) {
        ("PUT", "/admin/v1/policies/password/complexity") => json!({"details": {}}),
        ("POST", "/management/v1/projects") => json!({"id": PROJECT_ID}),
        ("POST", p) if p == format!("{project}/roles") => json!({"details": {}}),
        ("POST", p)
            if p == format!("{project}/apps/oidc") && body["authMethodType"] == "OIDC_AUTH_METHOD_TYPE_NONE" =>
        {
            json!({"appId": "a", "clientId": client_id(name)})
        }
        ("POST", p) if p == format!("{project}/apps/oidc") || p == format!("{project}/apps/api") => {
            json!({"appId": "a", "clientId": client_id(name), "clientSecret": client_secret(name)})
        }
        ("POST", "/management/v1/users/machine") => json!({"userId": format!("m-{}", body["userName"].as_str()?)}),
        ("PUT", p) if p.starts_with("/management/v1/users/m-") && p.ends_with("/secret") => {
            let user = &p["/management/v1/users/m-".len()..p.len() - "/secret".len()];
            json!({"clientId": user, "clientSecret": client_secret(user)})
        }
        ("POST", "/v2/users/human") => json!({"userId": format!("h-{}", body["username"].as_str()?)}),
        ("POST", p) if p.starts_with("/management/v1/users/") && p.ends_with("/grants") => {
            let user = &p["/management/v1/users/".len()..p.len() - "/grants".len()];
            if !(user.starts_with("h-") || user.starts_with("m-")) || body["projectId"] != PROJECT_ID {
                return None;
            }
            json!({"userGrantId": "g"})
        }
        ("POST", p) if p.starts_with("/v2/users/h-") && p.ends_with("/deactivate") => json!({"details": {}}),
        _ => return None,
    };
    Some(answer)
}
