//! `authorization_code` (RFC 6749 §4.1.3) with PKCE (RFC 7636 §4.6). A code is single use: a
//! replay fails and revokes what the first exchange issued.

use crate::app::RealmCtx;
use crate::error::OAuthError;
use crate::http::Params;
use crate::state::{CodeOutcome, Pkce, PkceMethod};
use crate::tokens::{Issued, Subject};
use providers::dpop::DpopRefusal;
use providers::{Client, ErrorKind, GrantType};

pub(super) fn issue(cx: &RealmCtx, client: &Client, params: &Params) -> Result<Issued, OAuthError> {
    let code = params.require("code")?;
    if cx.flavor().quirks().token_redirect_uri_required {
        params.require("redirect_uri")?;
    }
    let verifier = params.get("code_verifier");
    if let Some(verifier) = verifier {
        check_verifier_syntax(verifier)?;
    }
    let invalid = |detail: &str| OAuthError::new(ErrorKind::InvalidCode, detail);
    let (record, family) = match cx.store().redeem_code(code, cx.now()) {
        CodeOutcome::Fresh(record, family) => (record, family),
        CodeOutcome::Replayed => return Err(invalid("code was already used; its tokens are revoked")),
        CodeOutcome::Unknown => return Err(invalid("code is invalid or expired")),
    };
    if record.realm != cx.realm.name || record.client_id != client.id {
        cx.store().revoke_family(family);
        return Err(invalid("code was issued to another client"));
    }
    if params.get("redirect_uri") != Some(record.redirect_uri.as_str()) {
        cx.store().revoke_family(family);
        return Err(OAuthError::new(
            ErrorKind::RedirectUriMismatch,
            "redirect_uri differs from the authorization request",
        ));
    }
    if let Err(err) = check_pkce(record.pkce.as_ref(), verifier) {
        cx.store().revoke_family(family);
        return Err(err);
    }
    // RFC 9449 §10: a code requested with `dpop_jkt` is redeemed only with a proof of that key.
    if let Some(jkt) = &record.dpop_jkt {
        let refusal = match cx.dpop.get() {
            None => Some(DpopRefusal::JktWithoutProof),
            Some(proof) if &proof.jkt != jkt => Some(DpopRefusal::JktMismatch),
            Some(_) => None,
        };
        if let Some(refusal) = refusal {
            cx.store().revoke_family(family);
            return Err(OAuthError::new(
                ErrorKind::Dpop(refusal),
                "the code is bound to the authorization request's dpop_jkt",
            ));
        }
    }
    let user = cx
        .realm
        .user(&record.username)
        .filter(|user| user.enabled)
        .ok_or_else(|| invalid("the user of this code no longer exists or is disabled"))?;
    let subject = Subject {
        client,
        user: Some(user),
        scopes: record.scopes,
        auth_time: Some(record.auth_time),
        session_id: record.session_id,
        nonce: record.nonce,
        grant: Some(GrantType::AuthorizationCode),
        login: Some(GrantType::AuthorizationCode),
        form: Some(params),
    };
    cx.issue(&subject, Some(family), client.allows(GrantType::RefreshToken))
}

/// RFC 7636 §4.1: 43 to 128 characters of `[A-Za-z0-9-._~]`.
fn check_verifier_syntax(verifier: &str) -> Result<(), OAuthError> {
    let valid = (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
    if valid {
        Ok(())
    } else {
        Err(OAuthError::malformed(
            "code_verifier must be 43 to 128 characters of [A-Za-z0-9-._~]",
        ))
    }
}

fn check_pkce(pkce: Option<&Pkce>, verifier: Option<&str>) -> Result<(), OAuthError> {
    let mismatch = |detail: &str| OAuthError::new(ErrorKind::PkceMismatch, detail);
    match (pkce, verifier) {
        (None, None) => Ok(()),
        (None, Some(_)) => Err(mismatch(
            "code_verifier sent for a code issued without a code_challenge",
        )),
        (Some(_), None) => Err(OAuthError::new(
            ErrorKind::PkceVerifierMissing,
            providers::PKCE_VERIFIER_MISSING,
        )),
        (Some(pkce), Some(verifier)) => {
            let computed = match pkce.method {
                PkceMethod::S256 => idp_jose::digest::s256(verifier),
                PkceMethod::Plain => verifier.to_owned(),
            };
            if aws_lc_rs::constant_time::verify_slices_are_equal(computed.as_bytes(), pkce.challenge.as_bytes()).is_ok()
            {
                Ok(())
            } else {
                Err(mismatch("code_verifier does not match the code_challenge"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rfc_7636_appendix_b_vector_verifies() {
        let pkce = Pkce {
            challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".into(),
            method: PkceMethod::S256,
        };
        assert!(check_pkce(Some(&pkce), Some("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")).is_ok());
        assert!(check_pkce(Some(&pkce), Some("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXx")).is_err());
        assert!(check_pkce(None, Some("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")).is_err());
        assert!(check_pkce(Some(&pkce), None).is_err());
    }

    #[test]
    fn verifier_syntax_follows_rfc_7636() {
        assert!(check_verifier_syntax(&"a".repeat(42)).is_err());
        assert!(check_verifier_syntax(&"a".repeat(43)).is_ok());
        assert!(check_verifier_syntax(&"a".repeat(128)).is_ok());
        assert!(check_verifier_syntax(&"a".repeat(129)).is_err());
        assert!(check_verifier_syntax(&format!("{}!", "a".repeat(43))).is_err());
    }
}
