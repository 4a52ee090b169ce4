//! The one place requests to the API are made: the `Authorization: OAuth …` header (only to
//! the API origin), error mapping, one refresh on a 401, retries with backoff, size limits.

use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use reqwest::header::{AUTHORIZATION, RETRY_AFTER};
use reqwest::{Method, RequestBuilder, Response, StatusCode, Url};
use serde::de::DeserializeOwned;
use tracing::{debug, warn};

use crate::error::{redact, strip_query};
use crate::origin::same_origin;
use crate::token::TokenKind;
use crate::{Client, Error, Result};

/// A request body, rebuilt for every attempt.
pub(crate) enum Body {
    None,
    Json(serde_json::Value),
    /// Multipart forms are streams: they are made anew per attempt.
    Multipart(Box<dyn Fn() -> Result<reqwest::multipart::Form> + Send + Sync>),
}

/// One API request.
pub(crate) struct Req {
    pub method: Method,
    pub url: Url,
    pub query: Vec<(String, String)>,
    pub body: Body,
    /// Leave the whole-request timeout off (uploads).
    pub no_timeout: bool,
    /// Only a user token may call it (`/me…`, likes, follows, comments, uploads, playlist
    /// writes): a 401/403 to the app's own token is [`Error::NeedsUser`], not a refresh.
    pub needs_user: bool,
}

impl Req {
    pub fn new(method: Method, url: Url) -> Self {
        Self {
            method,
            url,
            query: Vec::new(),
            body: Body::None,
            no_timeout: false,
            needs_user: false,
        }
    }

    /// Marks the request as one only a signed-in user may make.
    pub fn user_only(mut self) -> Self {
        self.needs_user = true;
        self
    }

    pub fn query(mut self, k: &str, v: impl ToString) -> Self {
        self.query.push((k.to_string(), v.to_string()));
        self
    }

    pub fn json(mut self, v: serde_json::Value) -> Self {
        self.body = Body::Json(v);
        self
    }
}

fn idempotent(m: &Method) -> bool {
    matches!(
        *m,
        Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS
    )
}

fn retry_after(resp: &Response) -> Option<Duration> {
    crate::config::parse_retry_after(resp.headers().get(RETRY_AFTER)?.to_str().ok()?)
}

/// Reads a body, refusing more than `limit` bytes.
pub(crate) async fn read_limited(resp: Response, limit: usize) -> Result<Bytes> {
    let url = strip_query(resp.url().as_str());
    if resp.content_length().is_some_and(|n| n > limit as u64) {
        return Err(Error::Decode {
            url,
            message: format!("response larger than {limit} bytes"),
        });
    }
    let mut out = Vec::new();
    let mut stream = resp.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| network(&url, &e))?;
        if out.len() + chunk.len() > limit {
            return Err(Error::Decode {
                url,
                message: format!("response larger than {limit} bytes"),
            });
        }
        out.extend_from_slice(&chunk);
    }
    Ok(Bytes::from(out))
}

pub(crate) fn network(url: &str, e: &reqwest::Error) -> Error {
    // A connect failure means nothing was sent: safe to repeat.
    Error::Network {
        url: strip_query(url),
        message: redact(&without_url(e)),
        retryable: e.is_connect(),
    }
}

/// reqwest's message without the URL it sometimes embeds (queries can hold secrets).
fn without_url(e: &reqwest::Error) -> String {
    let mut msg = e.to_string();
    if let Some(u) = e.url() {
        msg = msg.replace(u.as_str(), &strip_query(u.as_str()));
    }
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        source = s.source();
    }
    msg
}

impl Client {
    /// Sends `req` with the token, retrying as the policy says. Returns 2xx and 3xx
    /// responses; everything else becomes an [`Error`].
    pub(crate) async fn send(&self, req: &Req) -> Result<Response> {
        let cfg = &self.inner.config;
        if !same_origin(&req.url, &cfg.api_base) {
            return Err(Error::ForeignOrigin {
                url: strip_query(req.url.as_str()),
            });
        }
        let shown = strip_query(req.url.as_str());
        let mut attempt = 0;
        let mut refreshed = false;
        loop {
            attempt += 1;
            let access = self.inner.tokens.access_token().await?;
            let token = access.secret;
            let mut rb: RequestBuilder = self
                .inner
                .http
                .request(req.method.clone(), req.url.clone())
                .header(AUTHORIZATION, format!("OAuth {}", token.expose()))
                .header(reqwest::header::ACCEPT, "application/json; charset=utf-8");
            if !req.query.is_empty() {
                rb = rb.query(&req.query);
            }
            if !req.no_timeout {
                rb = rb.timeout(cfg.timeout);
            }
            rb = match &req.body {
                Body::None => rb,
                Body::Json(v) => rb.json(v),
                Body::Multipart(make) => rb.multipart(make()?),
            };
            debug!(method = %req.method, url = %shown, attempt, "request");
            let resp = match rb.send().await {
                Ok(r) => r,
                Err(e) => {
                    let err = network(req.url.as_str(), &e);
                    let safe = matches!(
                        err,
                        Error::Network {
                            retryable: true,
                            ..
                        }
                    ) || idempotent(&req.method);
                    if safe
                        && attempt < cfg.retry.max_attempts
                        && !matches!(req.body, Body::Multipart(_))
                    {
                        let wait = cfg.retry.backoff(attempt);
                        warn!(
                            method = %req.method,
                            url = %shown,
                            attempt,
                            delay_ms = wait.as_millis() as u64,
                            error = %err,
                            "API request failed; retrying"
                        );
                        tokio::time::sleep(wait).await;
                        continue;
                    }
                    return Err(err);
                }
            };
            let status = resp.status();
            debug!(method = %req.method, url = %shown, status = status.as_u16(), "response");
            if status.is_success() || status.is_redirection() {
                return Ok(resp);
            }
            if req.needs_user
                && access.kind == TokenKind::App
                && matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN)
            {
                // No refresh can turn the app's own token into a user's.
                return Err(Error::NeedsUser {
                    url: shown,
                    status: status.as_u16(),
                });
            }
            if status == StatusCode::UNAUTHORIZED && !refreshed {
                refreshed = true;
                self.inner.tokens.rejected(&token).await?;
                attempt -= 1;
                continue;
            }
            let wait_hint = retry_after(&resp);
            let text = read_limited(resp, 64 * 1024).await.unwrap_or_default();
            let err = Error::from_status(
                status,
                req.url.as_str(),
                &String::from_utf8_lossy(&text),
                wait_hint,
            );
            let can_retry = attempt < cfg.retry.max_attempts;
            let wait = match &err {
                Error::RateLimited { retry_after, .. } => {
                    Some(retry_after.unwrap_or_else(|| cfg.retry.backoff(attempt)))
                }
                Error::PlayQuota {
                    reset_time: Some(t),
                    ..
                } => Some(Duration::from_secs(
                    (t.unix() - crate::token::now_unix()).max(0) as u64 + 1,
                )),
                Error::Unavailable { .. } => Some(cfg.retry.backoff(attempt)),
                // A 502 or 504 may mean the request was processed: repeat only what is
                // idempotent (a POST could create a second comment, playlist or upload).
                Error::Status { status: 502, .. } | Error::GatewayTimeout { .. }
                    if idempotent(&req.method) =>
                {
                    Some(cfg.retry.backoff(attempt))
                }
                _ => None,
            };
            match wait {
                Some(w) if can_retry && w <= cfg.retry.max_delay => {
                    warn!(
                        method = %req.method,
                        url = %shown,
                        attempt,
                        delay_ms = w.as_millis() as u64,
                        error = %err,
                        "API request failed; retrying"
                    );
                    tokio::time::sleep(w).await;
                }
                _ => return Err(err),
            }
        }
    }

    /// Sends and decodes a JSON body. An idempotent request whose body broke off (a dropped
    /// connection) is sent again, within the retry policy.
    pub(crate) async fn json<T: DeserializeOwned>(&self, req: Req) -> Result<T> {
        let policy = &self.inner.config.retry;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let resp = self.send(&req).await?;
            match self.decode(resp).await {
                Err(e @ Error::Network { .. })
                    if idempotent(&req.method) && attempt < policy.max_attempts =>
                {
                    let wait = policy.backoff(attempt);
                    warn!(
                        method = %req.method,
                        url = %strip_query(req.url.as_str()),
                        attempt,
                        delay_ms = wait.as_millis() as u64,
                        error = %e,
                        "API response broke off; retrying"
                    );
                    tokio::time::sleep(wait).await;
                }
                other => return other,
            }
        }
    }

    pub(crate) async fn decode<T: DeserializeOwned>(&self, resp: Response) -> Result<T> {
        let url = strip_query(resp.url().as_str());
        let bytes = read_limited(resp, self.inner.config.max_response_bytes).await?;
        serde_json::from_slice(&bytes).map_err(|e| Error::decode(&url, e))
    }

    /// Sends a request whose success has no body worth reading.
    pub(crate) async fn empty(&self, req: Req) -> Result<()> {
        self.send(&req).await.map(drop)
    }

    /// The `Location` of a 302 answer (stream hops, `/resolve`, previews).
    pub(crate) async fn location(&self, req: Req) -> Result<Url> {
        let resp = self.send(&req).await?;
        let url = strip_query(resp.url().as_str());
        let loc = resp
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| Error::Decode {
                url: url.clone(),
                message: "expected a 302 with a Location".into(),
            })?;
        resp.url().join(loc).map_err(|e| Error::Decode {
            url,
            message: format!("bad Location: {e}"),
        })
    }
}
