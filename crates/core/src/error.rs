//! [`Error`]: the one error type of `scplay-core`.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;

use crate::models::Timestamp;

/// The body of an API error, in either of the service's shapes (`{code, message, errors, …}`
/// or OAuth's `{error, error_description}`), or its raw text when it is not JSON. Query strings
/// of URLs quoted in it are cut off ([`Error`]'s rule).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrorBody {
    /// `code`, when present.
    pub code: Option<u16>,
    /// `message`, or OAuth's `error`.
    pub message: Option<String>,
    /// `status` (deprecated field, e.g. `401 - Unauthorized`).
    pub status: Option<String>,
    /// `errors[].error_message` (deprecated field).
    pub errors: Vec<String>,
    /// `link`, when present.
    pub link: Option<String>,
    /// The body as received (at most 1 KiB), for non-JSON bodies such as the CDN's.
    pub text: String,
}

impl ErrorBody {
    /// Parses an error body; never fails.
    pub fn parse(text: &str) -> Self {
        let mut b = ErrorBody {
            text: redact(&text.chars().take(1024).collect::<String>()),
            ..Self::default()
        };
        if let Ok(Value::Object(v)) = serde_json::from_str::<Value>(text) {
            b.code = v
                .get("code")
                .and_then(Value::as_u64)
                .and_then(|c| u16::try_from(c).ok());
            b.message = v
                .get("message")
                .or_else(|| v.get("error"))
                .and_then(Value::as_str)
                .filter(|m| !m.is_empty())
                .map(redact);
            b.status = v.get("status").and_then(Value::as_str).map(redact);
            b.link = v.get("link").and_then(Value::as_str).map(redact);
            b.errors = v
                .get("errors")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|e| e.get("error_message").and_then(Value::as_str))
                        .map(redact)
                        .collect()
                })
                .unwrap_or_default();
        }
        b
    }

    /// The most useful one-line description.
    pub fn summary(&self) -> String {
        self.message
            .clone()
            .or_else(|| self.errors.first().cloned())
            .or_else(|| self.status.clone())
            .unwrap_or_else(|| self.text.chars().take(120).collect())
    }
}

/// Everything that can go wrong. URLs in errors never carry their query (which can hold a
/// `secret_token` or a CDN signature): not the request's URL, and not a URL quoted in a
/// response body or a decoder message either. No variant ever holds a token, secret, code or
/// verifier.
///
/// Common fields: `url` is the request's URL without its query; `body` is the parsed error
/// body ([`ErrorBody`]).
#[allow(missing_docs)]
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// 400: the request was malformed or missing parameters.
    #[error("bad request to {url}: {}", body.summary())]
    BadRequest { url: String, body: Box<ErrorBody> },
    /// 401: the token was missing, invalid or expired, even after one refresh.
    #[error("unauthorized at {url}: sign in again or check the app's credentials")]
    Unauthorized { url: String, body: Box<ErrorBody> },
    /// 403: not allowed (also: streaming needs a subscription the app lacks).
    #[error("forbidden at {url}: {}", body.summary())]
    Forbidden { url: String, body: Box<ErrorBody> },
    /// 404: no such resource, or not visible to this token.
    #[error("not found: {url}")]
    NotFound { url: String, body: Box<ErrorBody> },
    /// 406: no response matches the Accept header.
    #[error("not acceptable at {url}")]
    NotAcceptable { url: String, body: Box<ErrorBody> },
    /// 413: the upload is larger than the service accepts.
    #[error("request too large for {url}: {}", body.summary())]
    PayloadTooLarge { url: String, body: Box<ErrorBody> },
    /// 422: a parameter failed validation.
    #[error("unprocessable request to {url}: {}", body.summary())]
    Unprocessable { url: String, body: Box<ErrorBody> },
    /// 429 with `spam_warning_urn`: an action limit on comments, likes and the like.
    #[error("action limit reached ({spam_warning_urn}); try again later")]
    SpamWarning {
        spam_warning_urn: String,
        body: Box<ErrorBody>,
    },
    /// 429 of the play quota (15,000 stream requests per 24 h per app).
    #[error("play quota exhausted; it resets at {}", reset_time.map_or_else(|| "an unknown time".to_string(), |t| t.to_string()))]
    PlayQuota {
        reset_time: Option<Timestamp>,
        max: Option<u64>,
    },
    /// Any other 429, after the retries the policy allows.
    #[error("rate limited at {url}{}", retry_after.map_or(String::new(), |d| format!("; retry after {} s", d.as_secs())))]
    RateLimited {
        url: String,
        retry_after: Option<Duration>,
        body: Box<ErrorBody>,
    },
    /// 500.
    #[error("server error at {url}")]
    ServerError { url: String, body: Box<ErrorBody> },
    /// 503, after retries.
    #[error("service unavailable at {url}")]
    Unavailable { url: String, body: Box<ErrorBody> },
    /// 504: the request may still have been processed; check before repeating it.
    #[error("gateway timeout at {url}: the request may have been processed; check before retrying")]
    GatewayTimeout { url: String, body: Box<ErrorBody> },
    /// Any other unexpected status.
    #[error("unexpected status {status} from {url}")]
    Status {
        status: u16,
        url: String,
        body: Box<ErrorBody>,
    },
    /// The token endpoint refused (`invalid_grant`, `invalid_client`, …).
    #[error("authorization failed: {error}{}", description.as_ref().map_or(String::new(), |d| format!(" ({d})")))]
    OAuth {
        status: u16,
        error: String,
        description: Option<String>,
    },
    /// A user-only endpoint (`/me…`, likes, follows, comments, uploads, playlist writes)
    /// refused (401/403) the app's own client-credentials token: sign a user in first. No
    /// token was refreshed or fetched for it.
    #[error("{url} needs a signed-in user; the app's own token cannot act for one")]
    NeedsUser { url: String, status: u16 },
    /// There is no usable user token: run the authorization-code flow (for example the
    /// `login` example) again.
    #[error("not signed in: {0}")]
    NotSignedIn(&'static str),
    /// The loopback sign-in failed: wrong `state`, a denied consent, or a timeout.
    #[error("sign-in failed: {0}")]
    SignIn(String),
    /// A response pointed somewhere the token must not go (another host, or plain HTTP
    /// off loopback); nothing was sent there.
    #[error("refused to send credentials to {url}: not the configured origin")]
    ForeignOrigin { url: String },
    /// The configuration is unusable.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// A parameter is out of range (e.g. `limit` outside 1–200).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// A response body was not what the API documents.
    #[error("unexpected response from {url}: {message}")]
    Decode { url: String, message: String },
    /// The network failed (connect, TLS, timeout, reset).
    #[error("network error talking to {url}: {message}")]
    Network {
        url: String,
        message: String,
        retryable: bool,
    },
    /// A shared token store (Redis) could not be reached or answered in time. Processes
    /// keep the token they hold meanwhile (see `docs/fleet.md`).
    #[error("token store unavailable: {context}: {source}")]
    StoreUnavailable {
        context: String,
        #[source]
        source: std::io::Error,
    },
    /// Reading or writing the token store or a file to upload failed.
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// Whether the failure may pass: trying again later can succeed (the network, rate
    /// limits, the service's 5xx). A supervisor retries these with a back-off and gives up on
    /// the rest (authentication, not found, bad requests).
    pub fn is_transient(&self) -> bool {
        matches!(self, Error::Network { .. }) || self.is_retryable()
    }

    /// Whether repeating the same request later may succeed (rate limits, 5xx but 504 on a
    /// non-idempotent request, network errors that happened before the request was sent).
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Error::RateLimited { .. }
                | Error::Unavailable { .. }
                | Error::ServerError { .. }
                | Error::SpamWarning { .. }
                | Error::PlayQuota { .. }
        ) || matches!(
            self,
            Error::Network {
                retryable: true,
                ..
            }
        )
    }

    /// Whether a shared token store was unreachable (the held token is kept meanwhile).
    pub fn is_store_unavailable(&self) -> bool {
        matches!(self, Error::StoreUnavailable { .. })
    }

    /// Whether the user must sign in again (or the app's credentials are wrong).
    pub fn is_auth(&self) -> bool {
        matches!(
            self,
            Error::Unauthorized { .. }
                | Error::OAuth { .. }
                | Error::NotSignedIn(_)
                | Error::NeedsUser { .. }
        )
    }

    /// The HTTP status behind this error, if any.
    pub fn status(&self) -> Option<u16> {
        Some(match self {
            Error::BadRequest { .. } => 400,
            Error::Unauthorized { .. } => 401,
            Error::Forbidden { .. } => 403,
            Error::NotFound { .. } => 404,
            Error::NotAcceptable { .. } => 406,
            Error::PayloadTooLarge { .. } => 413,
            Error::Unprocessable { .. } => 422,
            Error::SpamWarning { .. } | Error::PlayQuota { .. } | Error::RateLimited { .. } => 429,
            Error::ServerError { .. } => 500,
            Error::Unavailable { .. } => 503,
            Error::GatewayTimeout { .. } => 504,
            Error::Status { status, .. }
            | Error::OAuth { status, .. }
            | Error::NeedsUser { status, .. } => *status,
            _ => return None,
        })
    }

    /// A body that is not what the API documents: `message` (a decoder's, which may quote the
    /// offending value) is redacted like every other error text.
    pub(crate) fn decode(url: &str, message: impl std::fmt::Display) -> Self {
        Error::Decode {
            url: strip_query(url),
            message: redact(&message.to_string()),
        }
    }

    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }

    /// Maps a non-success response to its error.
    pub(crate) fn from_status(
        status: StatusCode,
        url: &str,
        text: &str,
        retry_after: Option<Duration>,
    ) -> Self {
        let url = strip_query(url);
        let body = Box::new(ErrorBody::parse(text));
        match status.as_u16() {
            400 => Error::BadRequest { url, body },
            401 => Error::Unauthorized { url, body },
            403 => Error::Forbidden { url, body },
            404 => Error::NotFound { url, body },
            406 => Error::NotAcceptable { url, body },
            413 => Error::PayloadTooLarge { url, body },
            422 => Error::Unprocessable { url, body },
            429 => too_many(url, text, retry_after, body),
            500 => Error::ServerError { url, body },
            503 => Error::Unavailable { url, body },
            504 => Error::GatewayTimeout { url, body },
            s => Error::Status {
                status: s,
                url,
                body,
            },
        }
    }
}

fn too_many(url: String, text: &str, retry_after: Option<Duration>, body: Box<ErrorBody>) -> Error {
    let v: Value = serde_json::from_str(text).unwrap_or(Value::Null);
    if let Some(urn) = v.get("spam_warning_urn").and_then(Value::as_str) {
        return Error::SpamWarning {
            spam_warning_urn: urn.to_string(),
            body,
        };
    }
    let meta = v.pointer("/errors/0/meta");
    if let Some(meta) =
        meta.filter(|m| m.get("reset_time").is_some() || m.get("rate_limit").is_some())
    {
        return Error::PlayQuota {
            reset_time: meta
                .get("reset_time")
                .and_then(Value::as_str)
                .and_then(Timestamp::parse),
            max: meta
                .pointer("/rate_limit/max_nr_of_requests")
                .and_then(Value::as_u64),
        };
    }
    Error::RateLimited {
        url,
        retry_after,
        body,
    }
}

/// A URL without its query and fragment (queries can carry `secret_token`s).
pub(crate) fn strip_query(url: &str) -> String {
    url.split(['?', '#']).next().unwrap_or("").to_string()
}

/// `text` with the query cut off every URL or path in it (`https://cdn/x.mp3?Signature=…` →
/// `https://cdn/x.mp3`, JSON-escaped `https:\/\/…` too), and off any other word whose `?` is
/// followed by a `key=value`.
pub fn redact(text: &str) -> String {
    let delim =
        |c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>' | '`' | '(' | ')');
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        let start = rest.find(|c: char| !delim(c)).unwrap_or(rest.len());
        out.push_str(&rest[..start]);
        rest = &rest[start..];
        let end = rest.find(delim).unwrap_or(rest.len());
        let word = &rest[..end];
        let cut = word.find(['?', '#']).filter(|&q| {
            word.contains("://")
                || word.contains(":\\/\\/")
                || word.starts_with('/')
                || word[q..].contains('=')
        });
        out.push_str(cut.map_or(word, |q| &word[..q]));
        rest = &rest[end..];
    }
    out
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn maps_both_429_shapes() {
        let spam = r#"{"code":429,"message":"slow down","spam_warning_urn":"soundcloud:spam-warnings:1","link":"x"}"#;
        assert!(matches!(
            Error::from_status(StatusCode::TOO_MANY_REQUESTS, "u", spam, None),
            Error::SpamWarning { .. }
        ));
        let quota = r#"{"errors":[{"meta":{"rate_limit":{"group":"plays","max_nr_of_requests":15000,"time_window":"PT24H"},"remaining_requests":0,"reset_time":"2015/06/01 09:49:40 +0000"}}]}"#;
        match Error::from_status(StatusCode::TOO_MANY_REQUESTS, "u", quota, None) {
            Error::PlayQuota { reset_time, max } => {
                assert_eq!(reset_time.map(|t| t.unix()), Some(1_433_152_180));
                assert_eq!(max, Some(15_000));
            }
            e => panic!("{e:?}"),
        }
        let plain = Error::from_status(
            StatusCode::TOO_MANY_REQUESTS,
            "u",
            "slow",
            Some(Duration::from_secs(3)),
        );
        assert!(matches!(
            plain,
            Error::RateLimited {
                retry_after: Some(_),
                ..
            }
        ));
    }

    #[test]
    fn keeps_non_json_bodies_and_strips_queries() {
        let e = Error::from_status(
            StatusCode::FORBIDDEN,
            "https://cdn/x.mp3?Signature=abc",
            "Access Denied",
            None,
        );
        let text = e.to_string();
        assert!(text.contains("https://cdn/x.mp3") && !text.contains("Signature"));
        assert!(text.contains("Access Denied"));
    }

    #[test]
    fn error_texts_never_carry_query_strings() {
        let signed = "https://cdn.example/x.mp3?Policy=p0l1cy&Signature=s1gn&Key-Pair-Id=k3y";
        let json = format!(
            r#"{{"code":403,"message":"expired: {signed}","errors":[{{"error_message":"see <{signed}>"}}],"link":"{signed}"}}"#
        );
        let escaped = r#"{"error":"x","url":"https:\/\/cdn\/y?Signature=s1gn"}"#;
        let texts = [
            Error::from_status(StatusCode::FORBIDDEN, signed, &json, None),
            Error::from_status(StatusCode::BAD_GATEWAY, signed, escaped, None),
            Error::from_status(
                StatusCode::BAD_REQUEST,
                "https://api/tracks",
                "try /tracks/1?secret_token=s-s3cr3t again",
                None,
            ),
            Error::decode(
                signed,
                serde_json::from_str::<u64>(&format!("\"{signed}\"")).unwrap_err(),
            ),
        ];
        for e in texts {
            for shown in [e.to_string(), format!("{e:?}")] {
                for secret in ["p0l1cy", "s1gn", "k3y", "s3cr3t"] {
                    assert!(!shown.contains(secret), "{secret} in {shown}");
                }
            }
        }
        // What is not a query stays as it was.
        assert_eq!(redact("why? no = here"), "why? no = here");
        assert_eq!(
            redact("at https://cdn/x.mp3?a=b, then (/p?q=1)"),
            "at https://cdn/x.mp3 then (/p)"
        );
    }
}
