//! The media CDN: its own origin, reachable only through signed, expiring URLs. Serves AAC
//! HLS (fMP4), MP3 HLS (byte ranges of one MP3), progressive MP3 and previews with Range.
//! Like CloudFront, it refuses a bad or expired signature with a short non-JSON 403.

use std::fmt::Write as _;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::media::TrackMedia;
use crate::media::mp3::VirtualMp3;
use crate::server::{AppState, Shared, lock};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/aac/{id}/{kbps}/{file}", get(aac))
        .route("/hls/{file}/playlist.m3u8", get(mp3_playlist))
        .route("/media/{start}/{end}/{file}", get(mp3_segment))
        .route("/preview/0/30/{file}", get(preview))
        .route("/artworks/{file}", get(artwork))
        .route("/{file}", get(progressive))
}

pub fn aac_playlist_path(id: u64, kbps: u32) -> String {
    format!("/aac/{id}/{kbps}/playlist.m3u8")
}

pub fn mp3_playlist_path(id: u64) -> String {
    format!("/hls/{id}.128.mp3/playlist.m3u8")
}

pub fn progressive_path(id: u64) -> String {
    format!("/{id}.128.mp3")
}

pub fn preview_path(id: u64) -> String {
    format!("/preview/0/30/{id}.128.mp3")
}

/// An absolute signed URL for `path`, valid for the configured TTL.
pub fn signed_url(s: &Shared, path: &str) -> String {
    let expires = s.cdn_clock.expiry(s.config().cdn_url_ttl);
    format!("{}{path}?{}", s.origins.cdn, s.signer.query(path, expires))
}

fn denied() -> Response {
    // CloudFront-style: short, not JSON.
    (
        StatusCode::FORBIDDEN,
        [(header::CONTENT_TYPE, "text/plain")],
        "Access Denied: signature invalid or expired",
    )
        .into_response()
}

fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "text/plain")],
        "Not Found",
    )
        .into_response()
}

/// Checks the signature, then finds the track's media.
fn authorize(s: &Shared, uri: &Uri, q: Option<&str>, id: u64) -> Result<TrackMedia, Box<Response>> {
    s.signer
        .verify(uri.path(), q, s.cdn_clock.now())
        .map_err(|_| Box::new(denied()))?;
    let store = lock(&s.store);
    let t = store.tracks.get(&id).ok_or_else(|| Box::new(not_found()))?;
    Ok(t.media.media())
}

fn track_id(file: &str) -> Option<u64> {
    file.strip_suffix(".128.mp3")?.parse().ok()
}

fn with_type(body: impl Into<Body>, content_type: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type)], body.into()).into_response()
}

async fn aac(
    State(s): State<AppState>,
    uri: Uri,
    RawQuery(q): RawQuery,
    Path((id, kbps, file)): Path<(u64, u32, String)>,
) -> Response {
    let m = match authorize(&s, &uri, q.as_deref(), id) {
        Ok(v) => v,
        Err(r) => return *r,
    };
    let Some(r) = (match kbps {
        160 => m.aac160,
        96 => m.aac96,
        _ => None,
    }) else {
        return not_found();
    };
    match file.as_str() {
        "playlist.m3u8" => {
            let dir = format!("/aac/{id}/{kbps}");
            let mut p = String::from(
                "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:10\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-PLAYLIST-TYPE:VOD\n",
            );
            if m.drm {
                p.push_str("#EXT-X-KEY:METHOD=SAMPLE-AES,URI=\"skd://drm.emulator/key\",KEYFORMAT=\"com.apple.streamingkeydelivery\",KEYFORMATVERSIONS=\"1\"\n");
            }
            let _ = writeln!(
                p,
                "#EXT-X-MAP:URI=\"{}\"",
                signed_url(&s, &format!("{dir}/init.mp4"))
            );
            for i in 0..r.segments() {
                let _ = writeln!(p, "#EXTINF:{:.6},", r.segment_secs(i));
                let _ = writeln!(p, "{}", signed_url(&s, &format!("{dir}/{i}.m4s")));
            }
            p.push_str("#EXT-X-ENDLIST\n");
            with_type(p, "application/vnd.apple.mpegurl")
        }
        "init.mp4" => with_type(Bytes::from_static(r.init()), "audio/mp4"),
        _ => {
            let seg = file
                .strip_suffix(".m4s")
                .and_then(|n| n.parse::<u64>().ok());
            match seg.and_then(|n| r.segment(n)) {
                Some(bytes) => with_type(bytes, "audio/mp4"),
                None => not_found(),
            }
        }
    }
}

async fn mp3_playlist(
    State(s): State<AppState>,
    uri: Uri,
    RawQuery(q): RawQuery,
    Path(file): Path<String>,
) -> Response {
    let Some(id) = track_id(&file) else {
        return not_found();
    };
    let m = match authorize(&s, &uri, q.as_deref(), id) {
        Ok(v) => v,
        Err(r) => return *r,
    };
    let per_frame = crate::media::mp3::SAMPLES_PER_FRAME as f64 / f64::from(m.mp3.sample_rate());
    let mut p = String::from(
        "#EXTM3U\n#EXT-X-VERSION:6\n#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-TARGETDURATION:10\n#EXT-X-MEDIA-SEQUENCE:0\n",
    );
    for seg in m.mp3.hls_segments() {
        let start = if seg.start == 0 {
            0
        } else {
            m.mp3.frame_offset(seg.start)
        };
        let end = m.mp3.frame_offset(seg.end);
        let _ = writeln!(
            p,
            "#EXTINF:{:.6},",
            (seg.end - seg.start) as f64 * per_frame
        );
        let _ = writeln!(
            p,
            "{}",
            signed_url(&s, &format!("/media/{start}/{end}/{id}.128.mp3"))
        );
    }
    p.push_str("#EXT-X-ENDLIST\n");
    with_type(p, "application/vnd.apple.mpegurl")
}

async fn mp3_segment(
    State(s): State<AppState>,
    uri: Uri,
    RawQuery(q): RawQuery,
    Path((start, end, file)): Path<(u64, u64, String)>,
) -> Response {
    let Some(id) = track_id(&file) else {
        return not_found();
    };
    let m = match authorize(&s, &uri, q.as_deref(), id) {
        Ok(v) => v,
        Err(r) => return *r,
    };
    if start >= end || end > m.mp3.len() {
        return not_found();
    }
    with_type(m.mp3.read(start..end), "audio/mpeg")
}

/// A whole MP3 rendition (progressive file or preview) with Range.
fn ranged_file(
    s: &Shared,
    uri: &Uri,
    headers: &HeaderMap,
    q: Option<&str>,
    file: &str,
    pick: fn(TrackMedia) -> VirtualMp3,
) -> Response {
    let Some(id) = track_id(file) else {
        return not_found();
    };
    match authorize(s, uri, q, id) {
        Ok(m) => ranged(pick(m), headers),
        Err(r) => *r,
    }
}

async fn progressive(
    State(s): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    Path(file): Path<String>,
) -> Response {
    ranged_file(&s, &uri, &headers, q.as_deref(), &file, |m| m.mp3)
}

async fn preview(
    State(s): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    Path(file): Path<String>,
) -> Response {
    ranged_file(&s, &uri, &headers, q.as_deref(), &file, |m| m.preview)
}

async fn artwork(State(s): State<AppState>, Path(file): Path<String>) -> Response {
    let id = file
        .strip_suffix("-large.jpg")
        .and_then(|i| i.parse::<u64>().ok());
    let store = lock(&s.store);
    match id
        .and_then(|i| store.tracks.get(&i))
        .and_then(|t| t.artwork.clone())
    {
        Some(bytes) => with_type(bytes, "image/jpeg"),
        None => not_found(),
    }
}

/// Parses `bytes=a-b`, `bytes=a-` or `bytes=-n` against `len`; `Err` means 416.
fn parse_range(v: &str, len: u64) -> Result<(u64, u64), ()> {
    let spec = v.trim().strip_prefix("bytes=").ok_or(())?;
    if spec.contains(',') {
        return Err(());
    }
    let (a, b) = spec.split_once('-').ok_or(())?;
    let (start, end) = match (a.trim(), b.trim()) {
        ("", n) => {
            let n: u64 = n.parse().map_err(|_| ())?;
            (len.saturating_sub(n), len)
        }
        (a, "") => (a.parse().map_err(|_| ())?, len),
        (a, b) => {
            let a: u64 = a.parse().map_err(|_| ())?;
            let b: u64 = b.parse().map_err(|_| ())?;
            if b < a {
                return Err(());
            }
            (a, (b + 1).min(len))
        }
    };
    if start >= len || start >= end {
        return Err(());
    }
    Ok((start, end))
}

/// A file with Range support (206 / 416), streamed in 64 KiB pieces.
fn ranged(file: VirtualMp3, headers: &HeaderMap) -> Response {
    let len = file.len();
    let range = headers.get(header::RANGE).and_then(|v| v.to_str().ok());
    let (status, start, end) = match range.map(|r| parse_range(r, len)) {
        None => (StatusCode::OK, 0, len),
        Some(Ok((a, b))) => (StatusCode::PARTIAL_CONTENT, a, b),
        Some(Err(())) => {
            let mut r =
                (StatusCode::RANGE_NOT_SATISFIABLE, "Range Not Satisfiable").into_response();
            if let Ok(v) = HeaderValue::from_str(&format!("bytes */{len}")) {
                r.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            return r;
        }
    };
    const PIECE: u64 = 64 * 1024;
    let pieces = futures_util::stream::unfold(start, move |at| {
        let file = file.clone();
        async move {
            (at < end).then(|| {
                let to = (at + PIECE).min(end);
                (Ok::<_, std::io::Error>(Bytes::from(file.read(at..to))), to)
            })
        }
    });
    let mut r = Response::new(Body::from_stream(pieces));
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("audio/mpeg"));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if let Ok(v) = HeaderValue::from_str(&(end - start).to_string()) {
        h.insert(header::CONTENT_LENGTH, v);
    }
    if status == StatusCode::PARTIAL_CONTENT
        && let Ok(v) = HeaderValue::from_str(&format!("bytes {start}-{}/{len}", end - 1))
    {
        h.insert(header::CONTENT_RANGE, v);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::parse_range;

    #[test]
    fn ranges() {
        assert_eq!(parse_range("bytes=0-99", 1000), Ok((0, 100)));
        assert_eq!(parse_range("bytes=900-", 1000), Ok((900, 1000)));
        assert_eq!(parse_range("bytes=-100", 1000), Ok((900, 1000)));
        assert_eq!(parse_range("bytes=990-2000", 1000), Ok((990, 1000)));
        assert_eq!(parse_range("bytes=1000-", 1000), Err(()));
        assert_eq!(parse_range("bytes=5-1", 1000), Err(()));
        assert_eq!(parse_range("items=0-1", 1000), Err(()));
    }
}
