//! Calls to the token endpoint: client credentials (HTTP Basic only), refresh, code exchange.
//! Every attempt is bounded by [`Config::timeout`](crate::Config::timeout) and retried per
//! the client's [`RetryPolicy`].

use std::time::Duration;

use reqwest::Url;
use serde::Deserialize;
use tracing::{debug, warn};

use crate::config::RetryPolicy;
use crate::error::{redact, strip_query};
use crate::http::{network, read_limited};
use crate::token::{TokenKind, TokenResponse};
use crate::{Error, Result, Secret, Token};

/// What the token endpoint needs to know about the app.
#[derive(Clone)]
pub(crate) struct AppAuth {
    pub client_id: String,
    pub client_secret: Option<Secret>,
    pub token_url: Url,
    pub http: reqwest::Client,
    /// Whole-request timeout of one attempt.
    pub timeout: Duration,
    /// Attempts and waits between them.
    pub retry: RetryPolicy,
}

#[derive(Deserialize, Default)]
struct OAuthErrorBody {
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    error_description: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

impl AppAuth {
    fn secret(&self) -> Result<&Secret> {
        self.client_secret
            .as_ref()
            .ok_or_else(|| Error::Config("client_secret is required to obtain tokens".into()))
    }

    async fn post(&self, form: &[(&str, &str)], basic: bool, kind: TokenKind) -> Result<Token> {
        let mut rb = self
            .http
            .post(self.token_url.clone())
            .header(reqwest::header::ACCEPT, "application/json; charset=utf-8")
            .timeout(self.timeout)
            .form(form);
        if basic {
            rb = rb.basic_auth(&self.client_id, Some(self.secret()?.expose()));
        }
        let grant = form.first().map(|(_, v)| *v).unwrap_or("");
        debug!(grant, "token request");
        let url = strip_query(self.token_url.as_str());
        let resp = rb
            .send()
            .await
            .map_err(|e| network(self.token_url.as_str(), &e))?;
        let status = resp.status();
        let retry_after = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse().ok())
            .map(Duration::from_secs);
        let body = read_limited(resp, 64 * 1024).await?;
        if status.is_success() {
            let t: TokenResponse = serde_json::from_slice(&body)
                .map_err(|e| Error::decode(&url, format!("token response: {e}")))?;
            return Ok(t.into_token(kind, &self.client_id));
        }
        if status.as_u16() == 429 || status.is_server_error() {
            return Err(Error::from_status(
                status,
                self.token_url.as_str(),
                &String::from_utf8_lossy(&body),
                retry_after,
            ));
        }
        let e: OAuthErrorBody = serde_json::from_slice(&body).unwrap_or_default();
        Err(Error::OAuth {
            status: status.as_u16(),
            error: e
                .error
                .or(e.message)
                .map(|m| redact(&m))
                .unwrap_or_else(|| format!("HTTP {}", status.as_u16())),
            description: e.error_description.map(|d| redact(&d)),
        })
    }

    /// `post`, tried again per the retry policy (`Retry-After` honoured up to its
    /// `max_delay`) when the endpoint refused before processing (429, 503) or, with
    /// `any_failure`, on any transient failure: a lost or late response, a 5xx, a cut-off body.
    async fn post_retrying(
        &self,
        form: &[(&str, &str)],
        basic: bool,
        kind: TokenKind,
        any_failure: bool,
    ) -> Result<Token> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let e = match self.post(form, basic, kind).await {
                Ok(t) => return Ok(t),
                Err(e) => e,
            };
            let refused = refused_unprocessed(&e);
            let transient = refused
                || matches!(
                    e,
                    Error::Decode { .. } | Error::ServerError { .. } | Error::Network { .. }
                )
                || e.is_retryable();
            if attempt >= self.retry.max_attempts || !(refused || (any_failure && transient)) {
                return Err(e);
            }
            let backoff = self.retry.backoff(attempt);
            let wait = match &e {
                Error::RateLimited {
                    retry_after: Some(d),
                    ..
                } if *d <= self.retry.max_delay => (*d).max(backoff),
                Error::RateLimited {
                    retry_after: Some(_),
                    ..
                } => return Err(e),
                _ => backoff,
            };
            warn!(
                grant = %form.first().map_or("", |(_, v)| *v),
                attempt,
                delay_ms = wait.as_millis() as u64,
                error = %e,
                "the token request failed; trying again"
            );
            tokio::time::sleep(wait).await;
        }
    }

    /// A client-credentials token (the secret goes in HTTP Basic, never in the body). A
    /// failed request is simply made again: nothing is spent by asking.
    pub async fn client_credentials(&self) -> Result<Token> {
        self.post_retrying(
            &[("grant_type", "client_credentials")],
            true,
            TokenKind::App,
            true,
        )
        .await
    }

    /// Spends `refresh` (single use) for a new pair. Tried again only when the endpoint
    /// refused it unprocessed ([`refused_unprocessed`]): after a lost or late response the
    /// token may be spent.
    pub async fn refresh(&self, refresh: &Secret, kind: TokenKind) -> Result<Token> {
        let secret = self.secret()?.clone();
        self.post_retrying(
            &[
                ("grant_type", "refresh_token"),
                ("client_id", &self.client_id),
                ("client_secret", secret.expose()),
                ("refresh_token", refresh.expose()),
            ],
            false,
            kind,
            false,
        )
        .await
    }

    /// Exchanges an authorization code.
    pub async fn exchange(
        &self,
        code: &Secret,
        verifier: &Secret,
        redirect_uri: &str,
    ) -> Result<Token> {
        let secret = self.secret()?.clone();
        self.post(
            &[
                ("grant_type", "authorization_code"),
                ("client_id", &self.client_id),
                ("client_secret", secret.expose()),
                ("redirect_uri", redirect_uri),
                ("code_verifier", verifier.expose()),
                ("code", code.expose()),
            ],
            false,
            TokenKind::User,
        )
        .await
    }
}

/// Whether the token endpoint refused a request without carrying it out: a 429 or 503, or a
/// connection that was never made. A refresh token sent in such a request is still unspent.
pub(crate) fn refused_unprocessed(e: &Error) -> bool {
    matches!(
        e,
        Error::RateLimited { .. }
            | Error::Unavailable { .. }
            | Error::Network {
                retryable: true,
                ..
            }
    )
}
