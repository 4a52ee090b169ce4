//! `POST /tracks`: multipart upload, read as a stream (never held in memory), with the body
//! limit and the accepted audio formats of the guide.

use axum::extract::multipart::Field;
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use serde_json::Value;

use super::{created, viewer};
use crate::errors::{ApiError, ApiResult};
use crate::media::{AssetId, MediaSpec};
use crate::model::{Access, Track};
use crate::render;
use crate::server::{AppState, lock};
use crate::time::unix_now;

const ARTWORK_LIMIT: usize = 10 << 20;

/// Names the guide's accepted formats from a file's first bytes.
fn sniff(head: &[u8]) -> Option<&'static str> {
    let at = |o: usize, m: &[u8]| head.get(o..o + m.len()) == Some(m);
    if at(0, b"FORM") && (at(8, b"AIFF") || at(8, b"AIFC")) {
        Some("aiff")
    } else if at(0, b"RIFF") && at(8, b"WAVE") {
        Some("wav")
    } else if at(0, b"fLaC") {
        Some("flac")
    } else if at(0, b"OggS") {
        Some("ogg")
    } else if at(0, b"#!AMR") {
        Some("amr")
    } else if at(0, &[0x30, 0x26, 0xB2, 0x75, 0x8E, 0x66, 0xCF, 0x11]) {
        Some("wma")
    } else if at(4, b"ftyp") {
        Some("aac")
    } else if at(0, b"ID3") {
        Some("mp3")
    } else if head.len() >= 2 && head[0] == 0xFF && head[1] & 0xF0 == 0xF0 && head[1] & 0x06 == 0 {
        Some("aac") // ADTS
    } else if head.len() >= 2 && head[0] == 0xFF && head[1] & 0xE0 == 0xE0 {
        Some("mp3") // MPEG audio: MP3 or MP2
    } else {
        None
    }
}

fn too_large(limit: u64) -> ApiError {
    ApiError::Status(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("Request body is larger than the {limit} byte limit"),
    )
}

fn multipart_error(e: axum::extract::multipart::MultipartError, limit: u64) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        too_large(limit)
    } else {
        ApiError::bad_request(e.body_text())
    }
}

/// Reads an artwork field (bounded).
pub async fn read_artwork(mut field: Field<'_>) -> Result<Vec<u8>, ApiError> {
    let mut out = Vec::new();
    while let Some(chunk) = field
        .chunk()
        .await
        .map_err(|e| ApiError::bad_request(e.body_text()))?
    {
        if out.len() + chunk.len() > ARTWORK_LIMIT {
            return Err(ApiError::unprocessable("artwork_data is larger than 10 MB"));
        }
        out.extend_from_slice(&chunk);
    }
    if out.is_empty() {
        return Err(ApiError::unprocessable("artwork_data is empty"));
    }
    Ok(out)
}

pub async fn upload(State(s): State<AppState>, headers: HeaderMap, req: Request) -> ApiResult {
    let uid = viewer(&s, &headers)?.require_user()?;
    let limit = s.config().upload_limit;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large(limit));
    }
    let is_multipart = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("multipart/form-data"));
    if !is_multipart {
        return Err(ApiError::bad_request("uploads must be multipart/form-data"));
    }
    let mut mp = Multipart::from_request(req, &s)
        .await
        .map_err(|e| ApiError::bad_request(e.body_text()))?;
    let mut fields: Vec<(String, Value)> = Vec::new();
    let mut asset: Option<(&'static str, u64)> = None;
    let mut artwork = None;
    let mut total: u64 = 0;
    while let Some(mut field) = mp
        .next_field()
        .await
        .map_err(|e| multipart_error(e, limit))?
    {
        let name = field.name().unwrap_or("").to_string();
        let key = name
            .strip_prefix("track[")
            .and_then(|k| k.strip_suffix(']'))
            .unwrap_or(&name)
            .to_string();
        match key.as_str() {
            "asset_data" => {
                let mut head = Vec::with_capacity(16);
                let mut size = 0u64;
                while let Some(chunk) =
                    field.chunk().await.map_err(|e| multipart_error(e, limit))?
                {
                    size += chunk.len() as u64;
                    total += chunk.len() as u64;
                    if total > limit {
                        return Err(too_large(limit));
                    }
                    if head.len() < 16 {
                        let take = (16 - head.len()).min(chunk.len());
                        head.extend_from_slice(&chunk[..take]);
                    }
                }
                let format = sniff(&head).ok_or_else(|| {
                    ApiError::unprocessable(
                        "track[asset_data] is not a supported audio format (AIFF, WAVE, FLAC, OGG, MP2, MP3, AAC, AMR, WMA)",
                    )
                })?;
                asset = Some((format, size));
            }
            "artwork_data" => artwork = Some(read_artwork(field).await?),
            _ => {
                let text = field.text().await.map_err(|e| multipart_error(e, limit))?;
                total += text.len() as u64;
                fields.push((key, Value::String(text)));
            }
        }
    }
    if !fields
        .iter()
        .any(|(k, v)| k == "title" && v.as_str().is_some_and(|t| !t.trim().is_empty()))
    {
        return Err(ApiError::unprocessable("track[title] is required"));
    }
    if asset.is_none() {
        return Err(ApiError::unprocessable("track[asset_data] is required"));
    }
    let mut store = lock(&s.store);
    let id = store.new_id();
    // The emulator "transcodes" every upload to its main encode.
    let media = MediaSpec {
        asset: AssetId::Main,
        loops: 0,
        aac: true,
        drm: false,
    };
    let mut t = Track {
        id,
        user_id: uid,
        title: String::new(),
        permalink: String::new(),
        description: None,
        genre: None,
        tag_list: String::new(),
        bpm: None,
        created_at: unix_now(),
        public: true,
        secret_token: None,
        access: Access::Playable,
        commentable: true,
        downloadable: false,
        license: "all-rights-reserved".into(),
        label_name: None,
        isrc: None,
        key_signature: None,
        release_year: None,
        artwork,
        playback_count: 0,
        duration_ms: media.duration_ms(),
        media,
        progressive_full: false,
        storefront: None,
    };
    for (k, v) in &fields {
        super::tracks::apply_field(&mut t, k, v)?;
    }
    if t.permalink.is_empty() {
        t.permalink = crate::seed::slug(&t.title);
    }
    let body = render::track(&s.origins, &store, &t, Some(uid));
    store.tracks.insert(id, t);
    created(&body)
}

#[cfg(test)]
mod tests {
    use super::sniff;

    #[test]
    fn sniffs_the_guides_formats() {
        assert_eq!(sniff(b"RIFF\0\0\0\0WAVEfmt "), Some("wav"));
        assert_eq!(sniff(b"fLaC\0\0\0\x22"), Some("flac"));
        assert_eq!(sniff(b"ID3\x04\0\0\0\0"), Some("mp3"));
        assert_eq!(sniff(&[0xFF, 0xFB, 0x90, 0x00]), Some("mp3"));
        assert_eq!(sniff(&[0xFF, 0xF1, 0x50, 0x80]), Some("aac"));
        assert_eq!(sniff(b"%PDF-1.7"), None);
        assert_eq!(sniff(b""), None);
    }
}
