//! HLS: segments in order into the byte ring (prefetched if asked), cached for seeks, and
//! carried on past expired signed URLs.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use bytes::Bytes;
use futures_util::{StreamExt, stream};
use url::Url;

use super::{FetchCounters, MAX_REFRESHES, MAX_SEGMENT_BYTES, NetPolicy, Refresh, expired, get};
use crate::PlayerError;
use crate::error::shown;
use crate::hls::MediaPlaylist;
use crate::ring::ByteProducer;

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
    /// Retries and stall detection.
    pub policy: NetPolicy,
}

async fn cached_get(
    job: &HlsJob,
    key: CacheKey,
    url: &Url,
    range: Option<&std::ops::Range<u64>>,
) -> Result<Bytes, PlayerError> {
    if let Some(b) = job.cache.get(&key) {
        return Ok(b);
    }
    let b = get(
        &job.http,
        url,
        range,
        MAX_SEGMENT_BYTES,
        Some(&job.counters),
        job.policy,
    )
    .await?;
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
                            Some(u) => cached_get(&j, CacheKey::Init(shown(u)), u, None)
                                .await
                                .map(Some),
                            None => Ok(None),
                        }
                    };
                    let (init, body) = tokio::join!(
                        init_fut,
                        cached_get(&j, CacheKey::Media(i), &seg.url, seg.range.as_ref())
                    );
                    Ok::<_, PlayerError>((init?, body?))
                }
            })
            .buffered(job.prefetch + 1);
        let failure = loop {
            match results.next().await {
                None => return Ok(()),
                Some(Ok((init, seg))) => {
                    // The ring takes the cache's own buffers: nothing is copied.
                    if let Some(init) = init
                        && prod.write(init).await.is_err()
                    {
                        return Ok(());
                    }
                    if prod.write(seg).await.is_err() {
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
        if let Some(seg) = job.playlist.segments.get(next) {
            super::refreshing(&seg.url, refreshes, &failure);
        }
        drop(results);
        let url = refresh().await?;
        let fresh = super::playlist(&job.http, &url, job.policy).await?;
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
/// seek into what was just fetched needs no request.
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
