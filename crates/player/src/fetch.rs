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

/// Writes segments `from..` of `playlist` (each preceded by its init segment where that
/// changes) into `prod`. The init and the first media segment are requested together; up to
/// `prefetch` further segments are in flight while one is written.
pub async fn run_hls(
    http: reqwest::Client,
    playlist: Arc<MediaPlaylist>,
    from: usize,
    mut prod: ByteProducer,
    prefetch: usize,
    counters: Arc<FetchCounters>,
) -> Result<(), PlayerError> {
    let pl = playlist.clone();
    let mut results = stream::iter(from..playlist.segments.len())
        .map(move |i| {
            let http = http.clone();
            let counters = counters.clone();
            let seg = pl.segments[i].clone();
            // The init segment goes before the first segment and wherever it changes.
            let init = if i == from || pl.segments[i - 1].init != seg.init {
                seg.init.clone()
            } else {
                None
            };
            async move {
                let init_fut = async {
                    match &init {
                        Some(u) => get(&http, u, MAX_SEGMENT_BYTES, Some(&counters))
                            .await
                            .map(Some),
                        None => Ok(None),
                    }
                };
                let (init, seg) = tokio::join!(
                    init_fut,
                    get(&http, &seg.url, MAX_SEGMENT_BYTES, Some(&counters))
                );
                Ok::<_, PlayerError>((init?, seg?))
            }
        })
        .buffered(prefetch + 1);
    while let Some(r) = results.next().await {
        let (init, seg) = r?;
        if let Some(init) = init
            && prod.write_all(&init).await.is_err()
        {
            return Ok(());
        }
        if prod.write_all(&seg).await.is_err() {
            return Ok(());
        }
    }
    Ok(())
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
