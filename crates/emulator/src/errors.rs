//! Error bodies in the shapes the live service sends.

use axum::http::{HeaderValue, StatusCode, header};
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
