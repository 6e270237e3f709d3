//! RFC 9457 problem details (`application/problem+json`), the only error body of the admin
//! API, and the extractors that turn every malformed input into one: bad JSON (400), a wrong
//! content type (415), a body over [`BODY_LIMIT`] (413), a well-formed body of the wrong shape
//! (422, naming the offending field), a malformed query string (400). Never a 500.

use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use utoipa::ToSchema;

/// The largest admin request body accepted.
pub(crate) const BODY_LIMIT: usize = 64 * 1024;

/// An RFC 9457 problem: what went wrong, for people (`title`, `detail`) and for programs
/// (`type`, `status`, and `field`, the dotted path of the offending input field).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub(crate) struct Problem {
    /// A URI naming the kind of problem (`about:blank` when the status says it all).
    #[serde(rename = "type")]
    pub(crate) kind: String,
    /// A short summary of the kind of problem.
    pub(crate) title: String,
    /// The HTTP status code.
    pub(crate) status: u16,
    /// What went wrong with this request.
    pub(crate) detail: String,
    /// The path of the offending field in the request (e.g. `claims.email`, `seconds`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) field: Option<String>,
}

impl Problem {
    /// A problem of `kind` (a slug under `urn:mock-idp:problem:`, or `None` for `about:blank`).
    pub(crate) fn new(status: StatusCode, kind: Option<&str>, detail: impl Into<String>) -> Problem {
        Problem {
            kind: kind.map_or_else(
                || "about:blank".to_owned(),
                |slug| format!("urn:mock-idp:problem:{slug}"),
            ),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            field: None,
        }
    }

    /// 404: no such resource (realm, user, client, admin path).
    pub(crate) fn not_found(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::NOT_FOUND, None, detail)
    }

    /// 422: the input is well-formed JSON but not acceptable; `field` names the culprit.
    pub(crate) fn invalid(field: impl Into<String>, detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::UNPROCESSABLE_ENTITY, Some("invalid-input"), detail).at(field)
    }

    #[allow(dead_code)] // for the resources built on the skeleton (users, clients, faults, …)
    /// 409: the request conflicts with the current state (e.g. the user already exists).
    pub(crate) fn conflict(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::CONFLICT, Some("conflict"), detail)
    }

    /// Names the offending field.
    pub(crate) fn at(mut self, field: impl Into<String>) -> Problem {
        let field = field.into();
        self.field = (!field.is_empty() && field != ".").then_some(field);
        self
    }

    fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }
}

/// A JSON request body of type `T` (declared `deny_unknown_fields`), or a problem.
#[derive(Debug, Clone)]
pub(crate) struct AdminJson<T>(pub(crate) T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for AdminJson<T> {
    type Rejection = Problem;

    async fn from_request(request: Request, _state: &S) -> Result<AdminJson<T>, Problem> {
        if !is_json(request.headers().get(header::CONTENT_TYPE)) {
            return Err(Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                Some("unsupported-media-type"),
                "the body must be JSON (Content-Type: application/json)",
            ));
        }
        let too_large = || {
            Problem::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                Some("body-too-large"),
                format!("the body is over the limit of {BODY_LIMIT} bytes"),
            )
        };
        let declared = request
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.parse::<u64>().ok());
        if declared.is_some_and(|length| length > BODY_LIMIT as u64) {
            return Err(too_large());
        }
        let bytes = axum::body::to_bytes(request.into_body(), BODY_LIMIT)
            .await
            .map_err(|_| too_large())?;
        parse(&bytes).map(AdminJson)
    }
}

/// Parses `bytes` as a `T`: syntax errors are 400, shape errors 422 with the field's path.
pub(crate) fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Problem> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => Problem::invalid(path, inner.to_string()),
            _ => Problem::new(
                StatusCode::BAD_REQUEST,
                Some("malformed-json"),
                format!("the body is not valid JSON: {inner}"),
            ),
        }
    })?;
    deserializer.end().map_err(|err| {
        Problem::new(
            StatusCode::BAD_REQUEST,
            Some("malformed-json"),
            format!("the body is not valid JSON: {err}"),
        )
    })?;
    Ok(value)
}

/// `application/json` or any `application/*+json`, parameters (charset) ignored.
fn is_json(content_type: Option<&HeaderValue>) -> bool {
    let Some(value) = content_type.and_then(|value| value.to_str().ok()) else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Query parameters of type `T`, or a 400 problem.
#[derive(Debug, Clone)]
pub(crate) struct AdminQuery<T>(pub(crate) T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for AdminQuery<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<AdminQuery<T>, Problem> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(value)| AdminQuery(value))
            .map_err(|err| Problem::new(StatusCode::BAD_REQUEST, Some("invalid-query"), err.body_text()))
    }
}

/// Path parameters of type `T`, or a 400 problem (e.g. a segment that is not UTF-8).
#[derive(Debug, Clone)]
pub(crate) struct AdminPath<T>(pub(crate) T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for AdminPath<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<AdminPath<T>, Problem> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(value)| AdminPath(value))
            .map_err(|err| Problem::new(StatusCode::BAD_REQUEST, Some("invalid-path"), err.body_text()))
    }
}

/// A JSON `200 OK` (or `status`) answer of the admin API.
pub(crate) fn json<T: Serialize>(status: StatusCode, value: &T) -> Response {
    match serde_json::to_vec(value) {
        Ok(body) => {
            let mut response = (status, body).into_response();
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(err) => Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            None,
            format!("the answer could not be serialized: {err}"),
        )
        .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Input {
        seconds: u64,
        #[serde(default)]
        claims: std::collections::BTreeMap<String, Inner>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Inner {
        value: u8,
    }

    #[test]
    fn syntax_errors_are_400_and_shape_errors_422_with_the_field() {
        let syntax = parse::<Input>(b"{\"seconds\": ").err().map(|p| p.status);
        assert_eq!(syntax, Some(400));
        let trailing = parse::<Input>(b"{\"seconds\": 1} x").err().map(|p| p.status);
        assert_eq!(trailing, Some(400));
        let wrong_type = parse::<Input>(br#"{"seconds": "ten"}"#).err();
        assert_eq!(wrong_type.as_ref().map(|p| p.status), Some(422));
        assert_eq!(wrong_type.and_then(|p| p.field), Some("seconds".to_owned()));
        let unknown = parse::<Input>(br#"{"seconds": 1, "claims": {"a": {"value": 1, "extra": 2}}}"#).err();
        assert_eq!(unknown.as_ref().map(|p| p.status), Some(422));
        assert_eq!(unknown.and_then(|p| p.field), Some("claims.a.extra".to_owned()));
        assert_eq!(parse::<Input>(br#"{"seconds": 3}"#).ok().map(|i| i.seconds), Some(3));
    }

    #[test]
    fn json_content_types_with_parameters_and_suffixes_are_accepted() {
        let accepts = |value: &str| is_json(Some(&HeaderValue::from_str(value).unwrap()));
        assert!(accepts("application/json"));
        assert!(accepts("Application/JSON; charset=utf-8"));
        assert!(accepts("application/merge-patch+json"));
        assert!(!accepts("text/plain"));
        assert!(!accepts("application/x-www-form-urlencoded"));
        assert!(!is_json(None));
    }
}
