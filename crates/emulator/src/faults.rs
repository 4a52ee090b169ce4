//! Fault injection: latency, bandwidth, error statuses, 429s and 503s with `Retry-After`,
//! dropped connections, stalls, corrupted bytes, and answers delayed or lost after the request
//! was carried out, on whichever requests a [`Fault`] matches.

use std::sync::Mutex;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;

use crate::log::Origin;

/// What a fault does to a matching request.
///
/// An endpoint that accepts the connection and never answers is `Latency` with a duration
/// longer than the test (the request is not handled meanwhile).
#[derive(Debug, Clone, PartialEq)]
pub enum FaultKind {
    /// Wait this long before handling the request.
    Latency(Duration),
    /// Handle the request (a grant is carried out: a code used, a refresh token rotated),
    /// then wait this long before answering.
    ResponseLatency(Duration),
    /// Handle the request, then close the connection without sending a byte of the answer:
    /// the request took effect but the client never learns its result.
    DropResponse,
    /// Send the response body at most this many bytes per second.
    Bandwidth(u64),
    /// Answer with this status and a short plain-text body instead of handling the request.
    Status(u16),
    /// Answer 429 with `Retry-After: secs` instead of handling the request.
    TooManyRequests {
        /// The `Retry-After` value, in seconds.
        retry_after_secs: u64,
    },
    /// Answer 503 with `Retry-After: secs` instead of handling the request.
    Unavailable {
        /// The `Retry-After` value, in seconds.
        retry_after_secs: u64,
    },
    /// Close the connection after this many body bytes.
    DropAfter(u64),
    /// Pause the body for `pause` once `after_bytes` bytes have been sent.
    Stall {
        /// Bytes sent before the pause.
        after_bytes: u64,
        /// How long the body stalls.
        pause: Duration,
    },
    /// Invert `len` body bytes starting at `offset`.
    Corrupt {
        /// First corrupted byte.
        offset: u64,
        /// How many bytes.
        len: u64,
    },
}

/// A fault and the requests it applies to.
#[derive(Debug, Clone, PartialEq)]
pub struct Fault {
    /// Only requests to this origin (`None`: any).
    pub origin: Option<Origin>,
    /// Only requests whose path contains this (`None`: any).
    pub path_contains: Option<String>,
    /// What to do.
    pub kind: FaultKind,
    /// How many matching requests it applies to before it is used up (`None`: all).
    pub times: Option<u32>,
}

impl Fault {
    /// A fault on every request whose path contains `path_contains`, on any origin.
    pub fn on(path_contains: impl Into<String>, kind: FaultKind) -> Self {
        Self {
            origin: None,
            path_contains: Some(path_contains.into()),
            kind,
            times: None,
        }
    }

    /// Restricts the fault to one origin.
    #[must_use]
    pub fn at(mut self, origin: Origin) -> Self {
        self.origin = Some(origin);
        self
    }

    /// Applies the fault to the next `n` matching requests only.
    #[must_use]
    pub fn times(mut self, n: u32) -> Self {
        self.times = Some(n);
        self
    }

    fn matches(&self, origin: Origin, path: &str) -> bool {
        self.origin.is_none_or(|o| o == origin)
            && self
                .path_contains
                .as_deref()
                .is_none_or(|p| path.contains(p))
    }
}

/// The active faults.
#[derive(Debug, Default)]
pub struct Faults(Mutex<Vec<Fault>>);

impl Faults {
    pub fn add(&self, f: Fault) {
        if let Ok(mut v) = self.0.lock() {
            v.push(f);
        }
    }

    pub fn clear(&self) {
        if let Ok(mut v) = self.0.lock() {
            v.clear();
        }
    }

    /// The kinds that apply to this request, using up counted faults.
    pub fn take(&self, origin: Origin, path: &str) -> Vec<FaultKind> {
        let Ok(mut v) = self.0.lock() else {
            return Vec::new();
        };
        let mut out = Vec::new();
        v.retain_mut(|f| {
            if !f.matches(origin, path) {
                return true;
            }
            out.push(f.kind.clone());
            match &mut f.times {
                Some(n) => {
                    *n -= 1;
                    *n > 0
                }
                None => true,
            }
        });
        out
    }
}

/// Applies the pre-handler faults: returns a response that replaces the handler's, if any.
pub async fn before(kinds: &[FaultKind]) -> Option<Response> {
    for k in kinds {
        if let FaultKind::Latency(d) = k {
            tokio::time::sleep(*d).await;
        }
    }
    for k in kinds {
        match k {
            FaultKind::Status(code) => {
                let status =
                    StatusCode::from_u16(*code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                let reason = status.canonical_reason().unwrap_or("Error");
                return Some((status, format!("{} {reason}", status.as_u16())).into_response());
            }
            FaultKind::TooManyRequests { retry_after_secs } => {
                return Some(refusal(StatusCode::TOO_MANY_REQUESTS, *retry_after_secs));
            }
            FaultKind::Unavailable { retry_after_secs } => {
                return Some(refusal(StatusCode::SERVICE_UNAVAILABLE, *retry_after_secs));
            }
            _ => {}
        }
    }
    None
}

/// A refusal with `Retry-After`, its body the status line's text.
fn refusal(status: StatusCode, retry_after_secs: u64) -> Response {
    let reason = status.canonical_reason().unwrap_or("Error");
    let mut r = (status, format!("{} {reason}", status.as_u16())).into_response();
    if let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string()) {
        r.headers_mut().insert(header::RETRY_AFTER, v);
    }
    r
}

/// Applies the faults that act once the request was handled: waits for `ResponseLatency`.
pub async fn handled(kinds: &[FaultKind]) {
    for k in kinds {
        if let FaultKind::ResponseLatency(d) = k {
            tokio::time::sleep(*d).await;
        }
    }
}

/// A response whose body fails before its first byte: the server aborts the connection
/// without writing the (still buffered) status line and headers.
fn dropped() -> Response {
    let fail = futures_util::stream::once(async {
        Err::<Bytes, _>(std::io::Error::other("answer dropped by fault"))
    });
    Response::new(Body::from_stream(fail))
}

struct BodyFaults {
    bandwidth: Option<u64>,
    drop_after: Option<u64>,
    stall: Option<(u64, Duration)>,
    corrupt: Option<(u64, u64)>,
}

/// Rewrites the response body for the body faults (bandwidth, drop, stall, corrupt), or
/// replaces the whole answer by a dropped connection (`DropResponse`).
pub fn after(kinds: &[FaultKind], resp: Response) -> Response {
    if kinds.contains(&FaultKind::DropResponse) {
        return dropped();
    }
    let mut f = BodyFaults {
        bandwidth: None,
        drop_after: None,
        stall: None,
        corrupt: None,
    };
    for k in kinds {
        match k {
            FaultKind::Bandwidth(b) => f.bandwidth = Some((*b).max(1)),
            FaultKind::DropAfter(n) => f.drop_after = Some(*n),
            FaultKind::Stall { after_bytes, pause } => f.stall = Some((*after_bytes, *pause)),
            FaultKind::Corrupt { offset, len } => f.corrupt = Some((*offset, *len)),
            _ => {}
        }
    }
    if f.bandwidth.is_none() && f.drop_after.is_none() && f.stall.is_none() && f.corrupt.is_none() {
        return resp;
    }
    let (mut parts, body) = resp.into_parts();
    // The answer says its length as before (a slow or broken link does not change the
    // headers; a client sees a cut-off body as shorter than announced).
    if let Some(len) = axum::body::HttpBody::size_hint(&body).exact() {
        parts
            .headers
            .insert(axum::http::header::CONTENT_LENGTH, len.into());
    }
    // Pieces of at most 16 KiB so pacing, stalls and drops land close to their byte.
    let pieces = body.into_data_stream().flat_map(|chunk| {
        let list: Vec<Result<Bytes, axum::Error>> = match chunk {
            Ok(b) => (0..b.len().div_ceil(16 * 1024))
                .map(|i| Ok(b.slice(i * 16 * 1024..((i + 1) * 16 * 1024).min(b.len()))))
                .collect(),
            Err(e) => vec![Err(e)],
        };
        futures_util::stream::iter(list)
    });
    let state = BodyState {
        inner: Box::pin(pieces),
        sent: 0,
        faults: f,
        pending: None,
        done: false,
    };
    Response::from_parts(
        parts,
        Body::from_stream(futures_util::stream::unfold(state, step)),
    )
}

type Pieces =
    std::pin::Pin<Box<dyn futures_util::Stream<Item = Result<Bytes, axum::Error>> + Send>>;

struct BodyState {
    inner: Pieces,
    sent: u64,
    faults: BodyFaults,
    pending: Option<Bytes>,
    done: bool,
}

async fn step(mut st: BodyState) -> Option<(Result<Bytes, std::io::Error>, BodyState)> {
    if st.done {
        return None;
    }
    if let Some(limit) = st.faults.drop_after
        && st.sent >= limit
    {
        // A body that ends in an error makes the server abort the connection. Give it a
        // moment to flush what was sent, so the client sees a truncated body, not nothing.
        tokio::time::sleep(Duration::from_millis(20)).await;
        st.done = true;
        return Some((
            Err(std::io::Error::other("connection dropped by fault")),
            st,
        ));
    }
    let mut chunk = match st.pending.take() {
        Some(c) => c,
        None => match st.inner.next().await? {
            Ok(c) => c,
            Err(e) => {
                st.done = true;
                return Some((Err(std::io::Error::other(e)), st));
            }
        },
    };
    if let Some((at, pause)) = st.faults.stall {
        if st.sent >= at {
            tokio::time::sleep(pause).await;
            st.faults.stall = None;
        } else if st.sent + chunk.len() as u64 > at {
            let split = (at - st.sent) as usize;
            st.pending = Some(chunk.slice(split..));
            chunk = chunk.slice(..split);
        }
    }
    if let Some(limit) = st.faults.drop_after
        && st.sent + chunk.len() as u64 > limit
    {
        st.pending = None;
        chunk = chunk.slice(..(limit - st.sent) as usize);
    }
    let end = st.sent + chunk.len() as u64;
    if let Some((off, len)) = st.faults.corrupt
        && end > off
        && st.sent < off + len
    {
        let mut v = chunk.to_vec();
        let from = off.saturating_sub(st.sent) as usize;
        let to = ((off + len).min(end) - st.sent) as usize;
        for b in &mut v[from..to] {
            *b ^= 0xFF;
        }
        chunk = Bytes::from(v);
    }
    if let Some(bps) = st.faults.bandwidth {
        tokio::time::sleep(Duration::from_secs_f64(chunk.len() as f64 / bps as f64)).await;
    }
    st.sent = end;
    Some((Ok(chunk), st))
}
