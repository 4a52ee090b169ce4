//! Error bodies in the shapes the live service sends.

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::time::format_sc;

const LINK: &str = "https://developers.soundcloud.com/docs/api/explorer/open-api";

/// An API error response.
#[derive(Debug)]
pub enum ApiError {
    /// A status with the standard `Error` body.
    Status(StatusCode, String),
    /// The spam/action-limit 429 (`spam_warning_urn`).
    Spam,
    /// The play-quota 429, with the window's reset time (Unix seconds) and size.
    PlayQuota {
        reset_unix: i64,
        max: u32,
        window_secs: u64,
    },
}

impl ApiError {
    pub fn bad_request(msg: impl Into<String>) -> Self {
        Self::Status(StatusCode::BAD_REQUEST, msg.into())
    }
    pub fn unauthorized() -> Self {
        Self::Status(StatusCode::UNAUTHORIZED, String::new())
    }
    pub fn forbidden(msg: impl Into<String>) -> Self {
        Self::Status(StatusCode::FORBIDDEN, msg.into())
    }
    pub fn not_found() -> Self {
        Self::Status(StatusCode::NOT_FOUND, "404 - Not Found".into())
    }
    pub fn unprocessable(msg: impl Into<String>) -> Self {
        Self::Status(StatusCode::UNPROCESSABLE_ENTITY, msg.into())
    }
}

/// The standard `Error` body for `status`.
pub fn error_body(status: StatusCode, message: &str) -> Value {
    let line = format!(
        "{} - {}",
        status.as_u16(),
        status.canonical_reason().unwrap_or("Error")
    );
    let errors = if message.is_empty() {
        json!([])
    } else {
        json!([{ "error_message": message }])
    };
    json!({
        "code": status.as_u16(),
        "message": message,
        "link": LINK,
        "status": line,
        "errors": errors,
        "error": null,
    })
}

/// A JSON response.
pub fn json_response(status: StatusCode, body: &Value) -> Response {
    let mut r = (status, body.to_string()).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    r
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::Status(status, msg) => json_response(status, &error_body(status, &msg)),
            ApiError::Spam => json_response(
                StatusCode::TOO_MANY_REQUESTS,
                &json!({
                    "code": 429,
                    "message": "You have reached the limit for this action. Try again later.",
                    "spam_warning_urn": "soundcloud:spam-warnings:1",
                    "link": "https://developers.soundcloud.com/docs/api/rate-limits#errors",
                }),
            ),
            ApiError::PlayQuota {
                reset_unix,
                max,
                window_secs,
            } => json_response(
                StatusCode::TOO_MANY_REQUESTS,
                &json!({"errors": [{"meta": {
                    "rate_limit": {
                        "group": "plays",
                        "max_nr_of_requests": max,
                        "time_window": format!("PT{}H", window_secs / 3600),
                    },
                    "remaining_requests": 0,
                    "reset_time": format_sc(reset_unix),
                }}]}),
            ),
        }
    }
}

/// Result of an API handler.
pub type ApiResult = Result<Response, ApiError>;

/// Which JSON error shape an origin answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorShape {
    /// The API's (and the public site's) `Error` schema: `{code, message, link, …}`.
    Api,
    /// The OAuth origin's `{"error", "error_description"}`.
    OAuth,
}

/// The largest error body the [`json_errors`] layer reads to quote it as the message.
const QUOTED_ERROR_MAX: usize = 16 * 1024;

fn is_json(r: &Response) -> bool {
    r.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

/// The OAuth `error` code for a status the handlers did not answer themselves (axum's own
/// rejections: a body that is not UTF-8, a wrong method, …).
fn oauth_code(status: StatusCode) -> &'static str {
    match status {
        StatusCode::UNAUTHORIZED => "invalid_client",
        StatusCode::TOO_MANY_REQUESTS => "rate_limited",
        s if s.is_server_error() => "server_error",
        _ => "invalid_request",
    }
}

/// Middleware: every error response of an origin has its JSON shape. Handlers answer JSON
/// errors already; this rewrites what axum itself answers in plain text or with no body
/// (extractor rejections such as a body that is not UTF-8, bad JSON, form or query, 405,
/// 413, 415), quoting axum's text as the message and keeping headers such as `Allow`.
pub async fn json_errors(State(shape): State<ErrorShape>, req: Request, next: Next) -> Response {
    let resp = next.run(req).await;
    let status = resp.status();
    if !(status.is_client_error() || status.is_server_error()) || is_json(&resp) {
        return resp;
    }
    let (parts, body) = resp.into_parts();
    let bytes = axum::body::to_bytes(body, QUOTED_ERROR_MAX)
        .await
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&bytes).trim().to_string();
    let message = if text.is_empty() {
        status.canonical_reason().unwrap_or("Error").to_string()
    } else {
        text
    };
    let body = match shape {
        ErrorShape::Api => error_body(status, &message),
        ErrorShape::OAuth => json!({"error": oauth_code(status), "error_description": message}),
    };
    let mut out = json_response(status, &body);
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            out.headers_mut().append(name.clone(), value.clone());
        }
    }
    out
}
