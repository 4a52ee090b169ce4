//! [`Config`] and [`RetryPolicy`]: plain settings with documented defaults.

use std::time::Duration;

/// How failed requests are retried: API calls and token grants alike (a refresh only when
/// the endpoint refused it unprocessed, 429 or 503, since a refresh token is single-use).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts per request, the first included. Default 4.
    pub max_attempts: u32,
    /// First backoff delay; doubles per attempt, with jitter. Default 500 ms.
    pub base_delay: Duration,
    /// Longest single wait: a `Retry-After` or a quota `reset_time` further away than this
    /// is returned as an error instead of waited for. Default 30 s.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub fn none() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// The pause before attempt `attempt + 1` (1-based `attempt`): `base_delay` doubling per
    /// attempt up to `max_delay`, with up to 50 % jitter, and at least what the server asked
    /// for (`retry_after`, from [`parse_retry_after`]). The one backoff of the project: API
    /// calls, token grants and the player's media requests all wait this way.
    pub fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        self.backoff(attempt).max(retry_after.unwrap_or_default())
    }

    /// The backoff before attempt `attempt + 1` (1-based `attempt`), with up to 50 % jitter.
    pub(crate) fn backoff(&self, attempt: u32) -> Duration {
        let exp = self
            .base_delay
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
        let capped = exp.min(self.max_delay);
        let jitter = getrandom::u32().unwrap_or(0) % 1000;
        capped.mul_f64(0.5 + f64::from(jitter) / 2000.0)
    }
}

/// A `Retry-After` header's value in seconds (the form SoundCloud and its CDN send), bounded
/// to an hour; `None` for anything else.
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let secs: u64 = value.trim().parse().ok()?;
    Some(Duration::from_secs(secs.min(3600)))
}

/// Everything a [`crate::Client`] is configured with. Build one with
/// [`crate::Client::builder`].
#[derive(Debug, Clone)]
pub struct Config {
    /// The app's client id.
    pub client_id: String,
    /// The registered redirect URI (for the authorization-code flow).
    pub redirect_uri: Option<String>,
    /// The API origin. Default `https://api.soundcloud.com`.
    pub api_base: reqwest::Url,
    /// The OAuth origin. Default `https://secure.soundcloud.com`.
    pub auth_base: reqwest::Url,
    /// The public site, for oEmbed. Default `https://soundcloud.com`.
    pub web_base: reqwest::Url,
    /// `User-Agent` of every request. Default `scplay/<version>`.
    pub user_agent: String,
    /// Whole-request timeout of one attempt, from connecting to the last byte of the body:
    /// API calls (uploads excepted), token grants, sign-out, oEmbed. Default 30 s.
    pub timeout: Duration,
    /// Connect timeout. Default 10 s.
    pub connect_timeout: Duration,
    /// Retries. Default [`RetryPolicy::default`].
    pub retry: RetryPolicy,
    /// Refresh the access token this long before it expires. Default 60 s.
    pub refresh_margin: Duration,
    /// Largest JSON response accepted, in bytes. Default 16 MiB.
    pub max_response_bytes: usize,
}

impl Config {
    /// The longest one token grant or one API attempt sequence can take before it ends in an
    /// error: `retry.max_attempts` attempts of at most `timeout` each, and a wait of at most
    /// `retry.max_delay` between two attempts. A token endpoint that accepts the connection and
    /// never answers ends in [`crate::Error::Network`] within this time, and every lock held
    /// for the grant is released then. (Waiting for another process sharing the token store
    /// to finish its own renewal comes on top: that process is bounded the same way.)
    pub fn give_up_time(&self) -> Duration {
        let attempts = self.retry.max_attempts.max(1);
        self.timeout
            .saturating_mul(attempts)
            .saturating_add(self.retry.max_delay.saturating_mul(attempts - 1))
    }
}
