//! Progressive files: streamed into the byte ring with HTTP Range, resumed at the byte where a
//! dropped or stalled connection stopped, and carried on past an expired signed URL.

use std::sync::atomic::Ordering;
use std::time::Instant;

use futures_util::StreamExt;
use url::Url;

use super::{
    Failure, FetchCounters, MAX_REFRESHES, NetPolicy, Refresh, backoff, expired, gave_up, net,
    retry_after, stalled, transient,
};
use crate::PlayerError;
use crate::error::shown;
use crate::ring::ByteProducer;

/// What a progressive fetch task needs.
#[derive(Clone)]
pub struct FileJob {
    /// The pooled HTTP client.
    pub http: reqwest::Client,
    /// The file.
    pub url: Url,
    /// First byte to fetch.
    pub offset: u64,
    /// Counters.
    pub counters: std::sync::Arc<FetchCounters>,
    /// How to get a fresh URL when the CDN answers 403 (expired).
    pub refresh: Option<Refresh>,
    /// Retries and stall detection.
    pub policy: NetPolicy,
}

/// How one request ended.
enum Outcome {
    /// The whole rest of the file was written.
    Done,
    /// The reader went away.
    Cancelled,
    /// It failed after `pos` was reached.
    Failed(Failure),
}

/// Writes the file from byte `job.offset` on into `prod`, streaming (memory stays flat).
/// A connection that drops or stalls is resumed with a Range request at the byte reached;
/// 5xx and 429 are retried with a growing, jittered pause for `policy.retry_for` without
/// progress; a 403 (expired URL) resolves the stream again.
pub async fn run_file(mut job: FileJob, mut prod: ByteProducer) -> Result<(), PlayerError> {
    let mut pos = job.offset;
    let mut attempt = 0;
    let mut refreshes = 0;
    let mut progress_at = Instant::now();
    loop {
        let before = pos;
        let failure = match fetch_from(&job, &mut pos, &mut prod).await {
            Outcome::Done | Outcome::Cancelled => return Ok(()),
            Outcome::Failed(f) => f,
        };
        if pos > before {
            attempt = 0;
            refreshes = 0;
            progress_at = Instant::now();
        }
        if expired(&failure.error)
            && refreshes < MAX_REFRESHES
            && let Some(refresh) = job.refresh.clone()
        {
            refreshes += 1;
            super::refreshing(&job.url, refreshes, &failure.error);
            job.url = refresh().await?;
            job.counters.refreshes.fetch_add(1, Ordering::Relaxed);
            continue;
        }
        if !transient(&failure.error) {
            return Err(failure.error);
        }
        attempt += 1;
        let wait = backoff(attempt - 1, failure.retry_after);
        if progress_at.elapsed() + wait > job.policy.retry_for {
            return Err(gave_up(&job.url, attempt, progress_at, failure.error));
        }
        super::retrying(&job.url, attempt, wait, &failure.error);
        job.counters.retries.fetch_add(1, Ordering::Relaxed);
        tokio::time::sleep(wait).await;
    }
}

/// One request from `*pos`, advancing it by what was written.
async fn fetch_from(job: &FileJob, pos: &mut u64, prod: &mut ByteProducer) -> Outcome {
    let url = &job.url;
    let stall = job.policy.stall;
    let mut req = job.http.get(url.clone());
    if *pos > 0 {
        req = req.header(reqwest::header::RANGE, format!("bytes={pos}-"));
    }
    job.counters.requests.fetch_add(1, Ordering::Relaxed);
    let resp = match tokio::time::timeout(stall, req.send()).await {
        Err(_) => return Outcome::Failed(stalled(url, stall).into()),
        Ok(Err(e)) => return Outcome::Failed(net(url, &e).into()),
        Ok(Ok(r)) => r,
    };
    let status = resp.status().as_u16();
    if !(status == 200 || status == 206) {
        return Outcome::Failed(Failure {
            retry_after: retry_after(&resp),
            error: PlayerError::Http {
                url: shown(url),
                status,
            },
        });
    }
    // A server that ignored the Range sends the whole file: skip to the position.
    let mut skip = if *pos > 0 && status == 200 { *pos } else { 0 };
    let mut body = resp.bytes_stream();
    loop {
        let chunk = match tokio::time::timeout(stall, body.next()).await {
            Err(_) => return Outcome::Failed(stalled(url, stall).into()),
            Ok(None) => return Outcome::Done,
            Ok(Some(Err(e))) => return Outcome::Failed(net(url, &e).into()),
            Ok(Some(Ok(c))) => c,
        };
        job.counters
            .bytes
            .fetch_add(chunk.len() as u64, Ordering::Relaxed);
        let mut data = &chunk[..];
        if skip > 0 {
            let n = (skip as usize).min(data.len());
            data = &data[n..];
            skip -= n as u64;
        }
        if prod.write_all(data).await.is_err() {
            return Outcome::Cancelled;
        }
        *pos += data.len() as u64;
    }
}
