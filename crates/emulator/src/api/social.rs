//! Likes and reposts of tracks and playlists.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::routing::post;
use serde_json::json;

use super::{created, id_or_404, ok, viewer};
use crate::errors::{ApiError, ApiResult};
use crate::server::{AppState, lock};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/likes/tracks/{urn}", post(like_track).delete(unlike_track))
        .route(
            "/likes/playlists/{urn}",
            post(like_playlist).delete(unlike_playlist),
        )
        .route(
            "/reposts/tracks/{urn}",
            post(repost_track).delete(unrepost_track),
        )
        .route(
            "/reposts/playlists/{urn}",
            post(repost_playlist).delete(unrepost_playlist),
        )
}

#[derive(Clone, Copy)]
enum Kind {
    TrackLike,
    PlaylistLike,
    TrackRepost,
    PlaylistRepost,
}

async fn set(s: AppState, headers: HeaderMap, urn: String, kind: Kind, on: bool) -> ApiResult {
    let uid = viewer(&s, &headers)?.require_user()?;
    let mut store = lock(&s.store);
    let id = match kind {
        Kind::TrackLike | Kind::TrackRepost => {
            let id = id_or_404(&urn, "tracks")?;
            let t = store.tracks.get(&id).ok_or_else(ApiError::not_found)?;
            if !store.track_visible(t, Some(uid), None) {
                return Err(ApiError::not_found());
            }
            id
        }
        Kind::PlaylistLike | Kind::PlaylistRepost => {
            let id = id_or_404(&urn, "playlists")?;
            let p = store.playlists.get(&id).ok_or_else(ApiError::not_found)?;
            if !store.playlist_visible(p, Some(uid), None) {
                return Err(ApiError::not_found());
            }
            id
        }
    };
    if on && matches!(kind, Kind::TrackLike | Kind::PlaylistLike) {
        super::tracks::check_action(&s, &mut store, uid)?;
    }
    let set = match kind {
        Kind::TrackLike => &mut store.track_likes,
        Kind::PlaylistLike => &mut store.playlist_likes,
        Kind::TrackRepost => &mut store.track_reposts,
        Kind::PlaylistRepost => &mut store.playlist_reposts,
    };
    if on {
        set.insert((uid, id));
        // As the spec documents them, whether or not it was liked or reposted before: a like
        // answers 200 (`Success`), a repost 201 (`Created`).
        match kind {
            Kind::TrackLike | Kind::PlaylistLike => ok(&json!({"status": "200 - OK"})),
            Kind::TrackRepost | Kind::PlaylistRepost => {
                created(&json!({"status": "201 - Created"}))
            }
        }
    } else if set.remove(&(uid, id)) {
        ok(&json!({"status": "200 - OK"}))
    } else {
        Err(ApiError::not_found())
    }
}

macro_rules! toggle {
    ($name:ident, $kind:expr, $on:expr) => {
        async fn $name(
            State(s): State<AppState>,
            headers: HeaderMap,
            Path(urn): Path<String>,
        ) -> ApiResult {
            set(s, headers, urn, $kind, $on).await
        }
    };
}

toggle!(like_track, Kind::TrackLike, true);
toggle!(unlike_track, Kind::TrackLike, false);
toggle!(like_playlist, Kind::PlaylistLike, true);
toggle!(unlike_playlist, Kind::PlaylistLike, false);
toggle!(repost_track, Kind::TrackRepost, true);
toggle!(unrepost_track, Kind::TrackRepost, false);
toggle!(repost_playlist, Kind::PlaylistRepost, true);
toggle!(unrepost_playlist, Kind::PlaylistRepost, false);
