//! The login-session cookie: one per realm, HttpOnly, SameSite=Lax.

use axum::http::{HeaderMap, HeaderValue, header};

/// The cookie's name for `realm`.
pub(crate) fn name(realm: &str) -> String {
    format!("mock_idp_session_{realm}")
}

/// The session id the browser sent for `realm`, if any.
pub(crate) fn session_id(headers: &HeaderMap, realm: &str) -> Option<String> {
    let wanted = name(realm);
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == wanted)
        .map(|(_, value)| value.to_owned())
}

/// `Set-Cookie` starting a session.
pub(crate) fn set(realm: &str, sid: &str) -> Option<HeaderValue> {
    HeaderValue::from_str(&format!("{}={sid}; Path=/; HttpOnly; SameSite=Lax", name(realm))).ok()
}

/// `Set-Cookie` ending a session.
pub(crate) fn clear(realm: &str) -> Option<HeaderValue> {
    HeaderValue::from_str(&format!("{}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0", name(realm))).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_realms_cookie_is_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; mock_idp_session_demo=xyz; b=2"),
        );
        assert_eq!(session_id(&headers, "demo").as_deref(), Some("xyz"));
        assert_eq!(session_id(&headers, "other"), None);
    }
}
