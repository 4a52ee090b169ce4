//! Fetching (on tokio): playlists, HLS segments with the init segment and the first media
//! segment requested together and the next ones in order ([`run_hls`]), progressive files
//! with Range ([`run_file`]); every byte goes into the byte ring. Media requests never carry
//! credentials. Failures are retried with jittered backoff for [`NetPolicy::retry_for`],
//! stalls count as dropped connections, and expired signed URLs are resolved again.

mod file;
mod segments;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::future::BoxFuture;
use url::Url;

use crate::PlayerError;
use crate::error::shown;
use crate::hls::{self, MAX_PLAYLIST_BYTES, MediaPlaylist};

pub use file::{FileJob, run_file};
#[allow(unused_imports)] // `CacheKey` is for the crate's internals feature
pub use segments::{CacheKey, HlsJob, SegmentCache, run_hls};

/// The most one media segment may weigh.
const MAX_SEGMENT_BYTES: usize = 32 << 20;

/// Resolves a stream's URL again (a new `/streams` resolution, so a freshly signed URL)
/// after the CDN refused an expired one.
pub type Refresh = Arc<dyn Fn() -> BoxFuture<'static, Result<Url, PlayerError>> + Send + Sync>;

/// Times a fetch may refresh its URL in a row without getting bytes through.
const MAX_REFRESHES: u32 = 3;

/// Counters the fetcher updates.
#[derive(Debug, Default)]
pub struct FetchCounters {
    /// Media bytes received.
    pub bytes: AtomicU64,
    /// Media requests made.
    pub requests: AtomicU64,
    /// Playlists fetched again because their signed URLs had expired.
    pub refreshes: AtomicU64,
    /// Media requests tried again after a transient failure (5xx, 429, a dropped or
    /// stalled connection).
    pub retries: AtomicU64,
}

pub(crate) fn net(url: &Url, e: &reqwest::Error) -> PlayerError {
    let mut message = e.to_string();
    if let Some(u) = e.url() {
        // The error names its URL; the message is about `url` already.
        message = message.replace(&format!(" for url ({u})"), "");
        message = message.replace(u.as_str(), &shown(u));
    }
    // Redirects and sources may quote other URLs: no query string survives.
    let message = scplay_core::redact(&message);
    PlayerError::Network {
        url: shown(url),
        message,
    }
}

/// How media requests ride out failures. `Default` gives the documented values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NetPolicy {
    /// How long a request keeps being retried after network errors, 5xx and 429 (with a
    /// growing, jittered pause, and `Retry-After` honoured) before playback gives up with an
    /// error naming what failed. Default 30 s.
    pub retry_for: Duration,
    /// A response that sends no byte for this long is a dropped connection (and retried,
    /// resuming where it stopped). Default 10 s.
    pub stall: Duration,
}

impl Default for NetPolicy {
    fn default() -> Self {
        Self {
            retry_for: Duration::from_secs(30),
            stall: Duration::from_secs(10),
        }
    }
}

/// A failed attempt and what the server asked us to wait.
pub(crate) struct Failure {
    pub error: PlayerError,
    pub retry_after: Option<Duration>,
}

impl From<PlayerError> for Failure {
    fn from(error: PlayerError) -> Self {
        Self {
            error,
            retry_after: None,
        }
    }
}

pub(crate) fn transient(e: &PlayerError) -> bool {
    match e {
        PlayerError::Network { .. } => true,
        PlayerError::Http { status, .. } => *status >= 500 || *status == 429,
        _ => false,
    }
}

/// Whether a failure means the signed URL is no longer good.
pub fn expired(e: &PlayerError) -> bool {
    matches!(e, PlayerError::Http { status, .. } if matches!(status, 401 | 403 | 410))
}

/// How media requests back off: 0.2 s doubling to 5 s (jittered), the project's one retry
/// policy ([`scplay_core::RetryPolicy`]) with a time budget (`retry_for`) instead of a count.
const MEDIA_RETRY: scplay_core::RetryPolicy = scplay_core::RetryPolicy {
    max_attempts: u32::MAX,
    base_delay: Duration::from_millis(200),
    max_delay: Duration::from_secs(5),
};

/// The pause before attempt `attempt + 1` (0-based `attempt`), at least what the server asked
/// for.
pub(crate) fn backoff(attempt: u32, retry_after: Option<Duration>) -> Duration {
    MEDIA_RETRY.delay(attempt.saturating_add(1), retry_after)
}

/// The error after retrying for too long. The last failure is told without the URL when it
/// was this one's (the message names it once).
pub(crate) fn gave_up(url: &Url, attempts: u32, since: Instant, last: PlayerError) -> PlayerError {
    let url = shown(url);
    let last = match last {
        PlayerError::Network { url: u, message } if u == url => message,
        PlayerError::Http { url: u, status } if u == url => format!("HTTP {status}"),
        other => other.to_string(),
    };
    PlayerError::Network {
        message: format!(
            "gave up after {attempts} attempts in {:.0} s; the last: {last}",
            since.elapsed().as_secs_f64()
        ),
        url,
    }
}

/// GETs a whole (bounded) body, trying again after transient failures until
/// `policy.retry_for` has passed: a blip in the network or the CDN does not end the track.
pub(crate) async fn get(
    http: &reqwest::Client,
    url: &Url,
    range: Option<&std::ops::Range<u64>>,
    limit: usize,
    counters: Option<&FetchCounters>,
    policy: NetPolicy,
) -> Result<Bytes, PlayerError> {
    let start = Instant::now();
    let mut attempt = 0;
    loop {
        attempt += 1;
        match get_once(http, url, range, limit, counters, policy.stall).await {
            Ok(b) => return Ok(b),
            Err(f) if transient(&f.error) => {
                let wait = backoff(attempt - 1, f.retry_after);
                if start.elapsed() + wait > policy.retry_for {
                    return Err(gave_up(url, attempt, start, f.error));
                }
                retrying(url, attempt, wait, &f.error);
                if let Some(c) = counters {
                    c.retries.fetch_add(1, Ordering::Relaxed);
                }
                tokio::time::sleep(wait).await;
            }
            Err(f) => return Err(f.error),
        }
    }
}

/// Logs a media request that failed and is tried again after `wait` (the URL without its
/// signature).
pub(crate) fn retrying(url: &Url, attempt: u32, wait: Duration, error: &PlayerError) {
    tracing::warn!(
        url = %shown(url),
        attempt,
        delay_ms = wait.as_millis() as u64,
        error = %error,
        "media request failed; retrying"
    );
}

/// Logs a stream whose signed URL expired and is resolved again (the `n`th time in a row).
pub(crate) fn refreshing(url: &Url, n: u32, error: &PlayerError) {
    tracing::info!(
        url = %shown(url),
        refresh = n,
        error = %error,
        "the signed URL expired; resolving the stream again"
    );
}

/// The `Retry-After` of a response (bounded to a minute: a media request waits no longer).
pub(crate) fn retry_after(resp: &reqwest::Response) -> Option<Duration> {
    let v = resp.headers().get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    scplay_core::parse_retry_after(v).map(|d| d.min(Duration::from_secs(60)))
}

/// A network error for a response that sent nothing for `stall`.
pub(crate) fn stalled(url: &Url, stall: Duration) -> PlayerError {
    PlayerError::Network {
        url: shown(url),
        message: format!("no data for {} s", stall.as_secs_f64()),
    }
}

async fn get_once(
    http: &reqwest::Client,
    url: &Url,
    range: Option<&std::ops::Range<u64>>,
    limit: usize,
    counters: Option<&FetchCounters>,
    stall: Duration,
) -> Result<Bytes, Failure> {
    if let Some(c) = counters {
        c.requests.fetch_add(1, Ordering::Relaxed);
    }
    let mut req = http.get(url.clone());
    if let Some(r) = range {
        // Non-empty and bounded (checked when the playlist was parsed).
        req = req.header(
            reqwest::header::RANGE,
            format!("bytes={}-{}", r.start, r.end.saturating_sub(1)),
        );
    }
    let resp = tokio::time::timeout(stall, req.send())
        .await
        .map_err(|_| stalled(url, stall))?
        .map_err(|e| net(url, &e))?;
    if !resp.status().is_success() {
        return Err(Failure {
            retry_after: retry_after(&resp),
            error: PlayerError::Http {
                url: shown(url),
                status: resp.status().as_u16(),
            },
        });
    }
    let partial = resp.status() == reqwest::StatusCode::PARTIAL_CONTENT;
    if resp.content_length().is_some_and(|n| n > limit as u64) {
        return Err(PlayerError::Network {
            url: shown(url),
            message: format!("larger than {limit} bytes"),
        }
        .into());
    }
    // Sized once from Content-Length (bounded by the limit): no regrowth, no extra copies.
    let mut out = Vec::with_capacity(resp.content_length().unwrap_or(0) as usize);
    let mut body = resp.bytes_stream();
    loop {
        let chunk = match tokio::time::timeout(stall, body.next()).await {
            Err(_) => return Err(stalled(url, stall).into()),
            Ok(None) => break,
            Ok(Some(c)) => c.map_err(|e| net(url, &e))?,
        };
        if out.len() + chunk.len() > limit {
            return Err(PlayerError::Network {
                url: shown(url),
                message: format!("larger than {limit} bytes"),
            }
            .into());
        }
        out.extend_from_slice(&chunk);
    }
    if let Some(c) = counters {
        c.bytes.fetch_add(out.len() as u64, Ordering::Relaxed);
    }
    // Without a Content-Length (a chunked answer) the buffer grew by doubling: a 200 KB
    // segment would keep 256 KiB for as long as it is cached.
    let mut out = Bytes::from(tight(out));
    if let Some(r) = range
        && !partial
    {
        // A server that ignored the Range sent the whole resource: cut the range out.
        let (start, end) = (
            usize::try_from(r.start).unwrap_or(usize::MAX),
            usize::try_from(r.end).unwrap_or(usize::MAX),
        );
        if end > out.len() {
            return Err(PlayerError::Network {
                url: shown(url),
                message: format!(
                    "the byte range ends past the resource's {} bytes",
                    out.len()
                ),
            }
            .into());
        }
        // A copy of the range: a slice would keep the whole resource alive for as long as
        // the cache or the byte ring holds the segment.
        out = Bytes::copy_from_slice(&out[start..end]);
    }
    Ok(out)
}

/// `v` without more than an eighth of its length in spare capacity (a shrink of a large
/// buffer is a `mremap`, not a copy).
fn tight(mut v: Vec<u8>) -> Vec<u8> {
    if v.capacity() - v.len() > v.len() / 8 {
        v.shrink_to_fit();
    }
    v
}

/// Fetches and checks a media playlist, retried and timed like every media request.
pub async fn playlist(
    http: &reqwest::Client,
    url: &Url,
    policy: NetPolicy,
) -> Result<MediaPlaylist, PlayerError> {
    let bytes = get(http, url, None, MAX_PLAYLIST_BYTES, None, policy).await?;
    let text = std::str::from_utf8(&bytes).map_err(|_| PlayerError::Playlist {
        url: shown(url),
        message: "not UTF-8".into(),
    })?;
    hls::parse(text, url)
}

#[cfg(test)]
mod tests {
    use super::{PlayerError, gave_up, tight};

    #[test]
    fn a_network_error_names_its_url_once_and_without_its_query() {
        let url = url::Url::parse("http://127.0.0.1:1/x.mp3?Signature=secret").expect("a URL");
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        let err = rt
            .block_on(async {
                let http = scplay_core::tls::client_builder().build().expect("a client");
                http.get(url.clone()).send().await
            })
            .expect_err("nothing listens on port 1");
        let e = super::net(&url, &err).to_string();
        assert_eq!(e.matches("127.0.0.1:1/x.mp3").count(), 1, "{e}");
        assert!(!e.contains("secret"), "{e}");
    }

    #[test]
    fn giving_up_names_the_url_once() {
        let url = url::Url::parse("https://cdn.example/a/1.m4s?Signature=secret").expect("a URL");
        let shown = "https://cdn.example/a/1.m4s";
        let since = std::time::Instant::now();
        let net = PlayerError::Network {
            url: shown.into(),
            message: "connection refused".into(),
        };
        let e = gave_up(&url, 3, since, net).to_string();
        assert_eq!(e.matches(shown).count(), 1, "{e}");
        assert!(e.ends_with("the last: connection refused"), "{e}");
        let http = PlayerError::Http {
            url: shown.into(),
            status: 503,
        };
        let e = gave_up(&url, 3, since, http).to_string();
        assert!(e.ends_with("the last: HTTP 503") && !e.contains("Signature"), "{e}");
        // Another URL's failure keeps its URL.
        let other = PlayerError::Http {
            url: "https://cdn.example/b".into(),
            status: 503,
        };
        let e = gave_up(&url, 3, since, other).to_string();
        assert!(e.contains("https://cdn.example/b"), "{e}");
    }

    #[test]
    fn a_body_grown_without_its_length_gives_its_spare_room_back() {
        // A chunked answer: 200 KB read in 16 KB pieces, the buffer doubling as it goes.
        let mut v = Vec::new();
        for _ in 0..12 {
            v.extend_from_slice(&[7u8; 16_000]);
        }
        v.extend_from_slice(&[7u8; 8_000]);
        assert!(v.capacity() - v.len() > v.len() / 8, "{}", v.capacity());
        let t = tight(v);
        assert_eq!(t.len(), 200_000);
        assert!(t.capacity() - t.len() <= t.len() / 8, "{}", t.capacity());
        // Sized from Content-Length: left as it is.
        let mut exact = Vec::with_capacity(1_000);
        exact.extend_from_slice(&[1u8; 1_000]);
        assert_eq!(tight(exact).capacity(), 1_000);
    }
}
