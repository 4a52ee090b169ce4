//! `/tracks/{urn}/streams` and the authenticated stream-URL hop that answers 302 to a signed
//! CDN URL, with the play quota.

use axum::Router;
use axum::extract::Path;
use axum::routing::get;
use serde_json::{Map, Value};

use super::Call;
use super::tracks::visible_track;
use super::{found, ok};
use crate::cdn;
use crate::errors::{ApiError, ApiResult};
use crate::model::{Access, Track};
use crate::server::{AppState, Shared, lock};
use crate::time::unix_now;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/tracks/{urn}/streams", get(streams))
        .route("/tracks/{urn}/streams/{kind}", get(hop))
        .route("/tracks/{urn}/stream", get(legacy_stream))
}

/// The stream kinds a track offers.
fn kinds(t: &Track) -> Vec<&'static str> {
    match t.access {
        Access::Blocked => vec![],
        Access::Preview => vec!["preview_mp3_128"],
        Access::Playable if t.media.drm => vec!["hls_aac_160"],
        Access::Playable => {
            let mut k = Vec::new();
            if t.media.aac {
                k.push("hls_aac_160");
                if t.media.media().aac96.is_some() {
                    k.push("hls_aac_96");
                }
            }
            k.extend(["hls_mp3_128", "http_mp3_128", "preview_mp3_128"]);
            k
        }
    }
}

async fn streams(c: Call, Path(urn): Path<String>) -> ApiResult {
    let Call { s, v, q, .. } = c;
    let store = lock(&s.store);
    let t = visible_track(&store, &urn, &v, &q)?;
    if t.access == Access::Blocked {
        return Err(ApiError::not_found());
    }
    let secret = if t.public {
        String::new()
    } else {
        format!("?secret_token={}", t.secret_token.as_deref().unwrap_or(""))
    };
    let mut body = Map::new();
    for k in kinds(t) {
        body.insert(
            format!("{k}_url"),
            Value::String(format!(
                "{}/tracks/soundcloud:tracks:{}/streams/{k}{secret}",
                s.origins.api, t.id
            )),
        );
    }
    ok(&Value::Object(body))
}

/// Counts a playable-stream request against the quota.
fn count_play(s: &Shared, plays: &mut Option<(i64, u32)>) -> Result<(), ApiError> {
    let quota = s.config().play_quota;
    let now = unix_now();
    let window = quota.window.as_secs() as i64;
    let (start, count) = match *plays {
        Some((start, count)) if now < start + window => (start, count),
        _ => (now, 0),
    };
    if count >= quota.max {
        return Err(ApiError::PlayQuota {
            reset_unix: start + window,
            max: quota.max,
            window_secs: window as u64,
        });
    }
    *plays = Some((start, count + 1));
    Ok(())
}

async fn hop(c: Call, Path((urn, kind)): Path<(String, String)>) -> ApiResult {
    let Call { s, v, q, .. } = c;
    let mut store = lock(&s.store);
    let t = visible_track(&store, &urn, &v, &q)?;
    if !kinds(t).contains(&kind.as_str()) {
        return Err(ApiError::not_found());
    }
    let id = t.id;
    let path = match kind.as_str() {
        "hls_aac_160" => cdn::aac_playlist_path(id, 160),
        "hls_aac_96" => cdn::aac_playlist_path(id, 96),
        "hls_mp3_128" => cdn::mp3_playlist_path(id),
        "http_mp3_128" if t.progressive_full => cdn::progressive_path(id),
        _ => cdn::preview_path(id),
    };
    let mut plays = store.plays;
    count_play(&s, &mut plays)?;
    store.plays = plays;
    drop(store);
    found(&cdn::signed_url(&s, &path))
}

async fn legacy_stream(c: Call, Path(urn): Path<String>) -> ApiResult {
    let Call { s, v, q, .. } = c;
    let id = {
        let store = lock(&s.store);
        let t = visible_track(&store, &urn, &v, &q)?;
        if t.access == Access::Blocked {
            return Err(ApiError::not_found());
        }
        t.id
    };
    // Since 2026 the legacy endpoint serves the 30 s preview only.
    found(&cdn::signed_url(&s, &cdn::preview_path(id)))
}
