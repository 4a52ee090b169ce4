//! Fetching (on tokio): playlists, HLS segments with the init segment and the first media
//! segment requested together and the next ones prefetched, progressive files with Range;
//! every byte goes into the byte ring. Media requests never carry credentials.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use futures_util::{StreamExt, stream};
use url::Url;

use crate::PlayerError;
use crate::error::shown;
use crate::hls::{self, MAX_PLAYLIST_BYTES, MediaPlaylist};
use crate::ring::ByteProducer;

/// The most one media segment may weigh.
const MAX_SEGMENT_BYTES: usize = 32 << 20;

/// Counters the fetcher updates.
#[derive(Debug, Default)]
pub struct FetchCounters {
    /// Media bytes received.
    pub bytes: AtomicU64,
    /// Media requests made.
    pub requests: AtomicU64,
    /// Playlists fetched again because their signed URLs had expired.
    pub refreshes: AtomicU64,
}

fn net(url: &Url, e: &reqwest::Error) -> PlayerError {
    let mut message = e.to_string();
    if let Some(u) = e.url() {
        message = message.replace(u.as_str(), &shown(u));
    }
    PlayerError::Network {
        url: shown(url),
        message,
    }
}

/// Attempts per media request (a dropped connection, a 5xx or a 429 is tried again).
const ATTEMPTS: u32 = 4;

/// GETs a whole (bounded) body, trying again after transient failures with a growing pause
/// (0.2, 0.4, 0.8 s): a blip in the network or the CDN does not end the track.
async fn get(
    http: &reqwest::Client,
    url: &Url,
    limit: usize,
    counters: Option<&FetchCounters>,
) -> Result<Bytes, PlayerError> {
    let mut attempt = 1;
    loop {
        match get_once(http, url, limit, counters).await {
            Err(e) if attempt < ATTEMPTS && transient(&e) => {
                tokio::time::sleep(std::time::Duration::from_millis(200 << (attempt - 1))).await;
                attempt += 1;
            }
            other => return other,
        }
    }
}

fn transient(e: &PlayerError) -> bool {
    match e {
        PlayerError::Network { .. } => true,
        PlayerError::Http { status, .. } => *status >= 500 || *status == 429,
        _ => false,
    }
}

async fn get_once(
    http: &reqwest::Client,
    url: &Url,
    limit: usize,
    counters: Option<&FetchCounters>,
) -> Result<Bytes, PlayerError> {
    if let Some(c) = counters {
        c.requests.fetch_add(1, Ordering::Relaxed);
    }
    let resp = http
        .get(url.clone())
        .send()
        .await
        .map_err(|e| net(url, &e))?;
    if !resp.status().is_success() {
        return Err(PlayerError::Http {
            url: shown(url),
            status: resp.status().as_u16(),
        });
    }
    if resp.content_length().is_some_and(|n| n > limit as u64) {
        return Err(PlayerError::Network {
            url: shown(url),
            message: format!("larger than {limit} bytes"),
        });
    }
    let mut out = Vec::new();
    let mut body = resp.bytes_stream();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| net(url, &e))?;
        if out.len() + chunk.len() > limit {
            return Err(PlayerError::Network {
                url: shown(url),
                message: format!("larger than {limit} bytes"),
            });
        }
        out.extend_from_slice(&chunk);
    }
    if let Some(c) = counters {
        c.bytes.fetch_add(out.len() as u64, Ordering::Relaxed);
    }
    Ok(Bytes::from(out))
}

/// Fetches and checks a media playlist.
pub async fn playlist(http: &reqwest::Client, url: &Url) -> Result<MediaPlaylist, PlayerError> {
    let bytes = get(http, url, MAX_PLAYLIST_BYTES, None).await?;
    let text = std::str::from_utf8(&bytes).map_err(|_| PlayerError::Playlist {
        url: shown(url),
        message: "not UTF-8".into(),
    })?;
    hls::parse(text, url)
}

/// Fetches a fresh copy of a stream's playlist (a new `/streams` resolution, so new signed
/// URLs) after the CDN refused an expired one.
pub type Refresh = Arc<
    dyn Fn() -> futures_util::future::BoxFuture<'static, Result<MediaPlaylist, PlayerError>>
        + Send
        + Sync,
>;

/// Times one HLS fetch may refresh its URLs in a row without getting a segment through.
const MAX_REFRESHES: u32 = 3;

/// What an HLS fetch task needs.
#[derive(Clone)]
pub struct HlsJob {
    /// The pooled HTTP client (media requests carry no credentials).
    pub http: reqwest::Client,
    /// The playlist (replaced when its URLs are refreshed).
    pub playlist: Arc<MediaPlaylist>,
    /// First segment to write.
    pub from: usize,
    /// Segments in flight ahead of the one being written.
    pub prefetch: usize,
    /// Counters.
    pub counters: Arc<FetchCounters>,
    /// Segments kept for seeks (per stream).
    pub cache: Arc<SegmentCache>,
    /// How to get fresh URLs when the CDN answers 403 (expired); `None` for direct URLs.
    pub refresh: Option<Refresh>,
}

/// Whether a failure means the signed URL is no longer good.
fn expired(e: &PlayerError) -> bool {
    matches!(e, PlayerError::Http { status, .. } if matches!(status, 401 | 403 | 410))
}

async fn cached_get(job: &HlsJob, key: CacheKey, url: &Url) -> Result<Bytes, PlayerError> {
    if let Some(b) = job.cache.get(&key) {
        return Ok(b);
    }
    let b = get(&job.http, url, MAX_SEGMENT_BYTES, Some(&job.counters)).await?;
    job.cache.put(key, b.clone());
    Ok(b)
}

/// Writes segments `job.from..` (each preceded by its init segment where that changes) into
/// `prod`. The init and the first media segment are requested together; up to `prefetch`
/// further segments are in flight while one is written. Segments in the cache are not
/// fetched again. A 403 (an expired signed URL) refreshes the playlist and carries on at the
/// same segment.
pub async fn run_hls(mut job: HlsJob, mut prod: ByteProducer) -> Result<(), PlayerError> {
    let mut next = job.from;
    let mut with_init = true;
    let mut refreshes = 0;
    loop {
        let pl = job.playlist.clone();
        let start = next;
        let j = job.clone();
        let mut results = stream::iter(start..pl.segments.len())
            .map(move |i| {
                let j = j.clone();
                let seg = j.playlist.segments[i].clone();
                // The init segment goes first and wherever it changes.
                let init = if (i == start && with_init)
                    || (i > start && j.playlist.segments[i - 1].init != seg.init)
                {
                    seg.init.clone()
                } else {
                    None
                };
                async move {
                    let init_fut = async {
                        match &init {
                            Some(u) => cached_get(&j, CacheKey::Init(shown(u)), u).await.map(Some),
                            None => Ok(None),
                        }
                    };
                    let (init, body) =
                        tokio::join!(init_fut, cached_get(&j, CacheKey::Media(i), &seg.url));
                    Ok::<_, PlayerError>((init?, body?))
                }
            })
            .buffered(job.prefetch + 1);
        let failure = loop {
            match results.next().await {
                None => return Ok(()),
                Some(Ok((init, seg))) => {
                    if let Some(init) = init
                        && prod.write_all(&init).await.is_err()
                    {
                        return Ok(());
                    }
                    if prod.write_all(&seg).await.is_err() {
                        return Ok(());
                    }
                    next += 1;
                    refreshes = 0;
                }
                Some(Err(e)) => break e,
            }
        };
        let Some(refresh) = job.refresh.clone().filter(|_| expired(&failure)) else {
            return Err(failure);
        };
        if refreshes >= MAX_REFRESHES {
            return Err(failure);
        }
        refreshes += 1;
        drop(results);
        let fresh = refresh().await?;
        if fresh.segments.len() != job.playlist.segments.len() {
            return Err(PlayerError::NoStream(format!(
                "the stream changed when its expired URLs were refreshed ({failure})"
            )));
        }
        job.counters.refreshes.fetch_add(1, Ordering::Relaxed);
        job.playlist = Arc::new(fresh);
        // The init segment is already in the ring unless nothing was written yet.
        with_init = next == job.from;
    }
}

/// What the segment cache holds: init segments by URL (without the signature), media
/// segments by index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CacheKey {
    /// An init segment.
    Init(String),
    /// Media segment `n` of the playlist.
    Media(usize),
}

/// Recently fetched segments of one stream, up to a byte budget (oldest out first), so a
/// seek into what was just fetched or prefetched needs no request.
#[derive(Debug)]
pub struct SegmentCache {
    budget: usize,
    inner: std::sync::Mutex<(usize, std::collections::VecDeque<(CacheKey, Bytes)>)>,
}

impl SegmentCache {
    /// A cache of at most `budget` bytes (0: nothing is kept).
    pub fn new(budget: usize) -> Self {
        Self {
            budget,
            inner: std::sync::Mutex::new((0, std::collections::VecDeque::new())),
        }
    }

    fn get(&self, key: &CacheKey) -> Option<Bytes> {
        let g = self.inner.lock().ok()?;
        g.1.iter().find(|(k, _)| k == key).map(|(_, b)| b.clone())
    }

    fn put(&self, key: CacheKey, bytes: Bytes) {
        if bytes.len() > self.budget {
            return;
        }
        let Ok(mut g) = self.inner.lock() else { return };
        let (used, entries) = &mut *g;
        if entries.iter().any(|(k, _)| *k == key) {
            return;
        }
        *used += bytes.len();
        entries.push_back((key, bytes));
        while *used > self.budget {
            match entries.pop_front() {
                Some((_, b)) => *used -= b.len(),
                None => break,
            }
        }
    }
}

/// Writes a file from byte `offset` on into `prod`, streaming (memory stays flat).
pub async fn run_file(
    http: reqwest::Client,
    url: Url,
    offset: u64,
    mut prod: ByteProducer,
    counters: Arc<FetchCounters>,
) -> Result<(), PlayerError> {
    let mut req = http.get(url.clone());
    if offset > 0 {
        req = req.header(reqwest::header::RANGE, format!("bytes={offset}-"));
    }
    counters.requests.fetch_add(1, Ordering::Relaxed);
    let resp = req.send().await.map_err(|e| net(&url, &e))?;
    let status = resp.status().as_u16();
    if !(status == 200 || status == 206) {
        return Err(PlayerError::Http {
            url: shown(&url),
            status,
        });
    }
    let mut body = resp.bytes_stream();
    // A server that ignored the Range sends the whole file: skip to the offset.
    let mut skip = if offset > 0 && status == 200 {
        offset
    } else {
        0
    };
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| net(&url, &e))?;
        counters
            .bytes
            .fetch_add(chunk.len() as u64, Ordering::Relaxed);
        let mut data = &chunk[..];
        if skip > 0 {
            let n = (skip as usize).min(data.len());
            data = &data[n..];
            skip -= n as u64;
        }
        if prod.write_all(data).await.is_err() {
            return Ok(());
        }
    }
    Ok(())
}
