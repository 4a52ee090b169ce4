//! `/me…`: the signed-in user, their collections, follows and feed.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use serde_json::{Value, json};

use super::Call;
use super::users::{Collection, collection, followings_of, tracks_json, user_id};
use super::{Listing, Q, access_filter, created, next_href, ok, page, viewer, with_access};
use crate::errors::{ApiError, ApiResult, json_response};
use crate::model::Store;
use crate::render;
use crate::server::{AppState, Shared, lock};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/me", get(me))
        .route("/me/activities", get(activities_all))
        .route("/me/activities/all/own", get(activities_own))
        .route("/me/activities/tracks", get(activities_tracks))
        .route("/me/feed", get(feed))
        .route("/me/feed/tracks", get(feed_tracks))
        .route("/me/recently-played/tracks", get(recently_played))
        .route("/me/likes/tracks", get(likes_tracks))
        .route("/me/likes/playlists", get(likes_playlists))
        .route("/me/followings", get(followings))
        .route("/me/followings/tracks", get(followings_tracks))
        .route(
            "/me/followings/{urn}",
            get(following_one).put(follow).delete(unfollow),
        )
        .route("/me/followers", get(followers))
        .route("/me/followers/{urn}", get(follower_one))
        .route("/me/playlists", get(playlists))
        .route("/me/tracks", get(tracks))
        .route("/me/reposts/tracks", get(reposts_tracks))
        .route("/me/reposts/playlists", get(reposts_playlists))
}

async fn me(State(s): State<AppState>, headers: HeaderMap) -> ApiResult {
    let uid = viewer(&s, &headers)?.require_user()?;
    let store = lock(&s.store);
    let u = store.users.get(&uid).ok_or_else(ApiError::unauthorized)?;
    ok(&render::me(&s.origins, &store, u))
}

macro_rules! me_collection {
    ($name:ident, $which:expr) => {
        async fn $name(c: Call) -> ApiResult {
            let uid = c.v.require_user()?;
            let store = lock(&c.s.store);
            let items = collection(&c, &store, uid, $which, true)?;
            page(&c.s, &c.path, &c.q, items, $which.listing())
        }
    };
}

me_collection!(likes_tracks, Collection::LikedTracks);
me_collection!(likes_playlists, Collection::LikedPlaylists);
me_collection!(followings, Collection::Followings);
me_collection!(followers, Collection::Followers);
me_collection!(playlists, Collection::Playlists);
me_collection!(tracks, Collection::Tracks);
me_collection!(reposts_tracks, Collection::RepostedTracks);
me_collection!(reposts_playlists, Collection::RepostedPlaylists);

/// Recent tracks by the people the user follows, newest first.
async fn followings_tracks(c: Call) -> ApiResult {
    let uid = c.v.require_user()?;
    let store = lock(&c.s.store);
    let followed = followings_of(&store, uid);
    let mut t: Vec<(i64, u64)> = store
        .tracks
        .values()
        .filter(|t| followed.contains(&t.user_id))
        .map(|t| (t.created_at, t.id))
        .collect();
    t.sort_by(|a, b| b.cmp(a));
    let items = tracks_json(
        &c.s,
        &store,
        &c.v,
        t.into_iter().map(|(_, id)| id),
        &c.q,
        false,
    )?;
    page(&c.s, &c.path, &c.q, items, Listing::ArrayUnlessLinked)
}

async fn recently_played(c: Call) -> ApiResult {
    let Call { s, v, q, .. } = c;
    let uid = v.require_user()?;
    let store = lock(&s.store);
    let ids: Vec<u64> = store.recently_played.get(&uid).cloned().unwrap_or_default();
    let items = tracks_json(&s, &store, &v, ids.into_iter().take(25), &q, true)?;
    ok(&json!({ "collection": items }))
}

#[derive(Clone, Copy, PartialEq)]
enum Feed {
    Followed,
    FollowedTracks,
    Own,
    OwnTracks,
}

/// Activities, newest first: uploads and reposts by the followed users (feed) or by the user.
fn activities(s: &Shared, store: &Store, uid: u64, q: &Q, kind: Feed, path: &str) -> ApiResult {
    let access = access_filter(q, false)?;
    let authors: Vec<u64> = match kind {
        Feed::Followed | Feed::FollowedTracks => followings_of(store, uid),
        Feed::Own | Feed::OwnTracks => vec![uid],
    };
    let tracks_only = matches!(kind, Feed::FollowedTracks | Feed::OwnTracks);
    let mut items: Vec<(i64, Value)> = Vec::new();
    let tracks = store
        .tracks
        .values()
        .filter(|t| authors.contains(&t.user_id) && t.public);
    for t in with_access(tracks, &access) {
        items.push((t.created_at, json!({"type": "track", "created_at": crate::time::format_sc(t.created_at), "origin": render::track(&s.origins, store, t, Some(uid))})));
    }
    for (who, tid) in store
        .track_reposts
        .iter()
        .filter(|(a, _)| authors.contains(a))
    {
        if let Some(t) = store
            .tracks
            .get(tid)
            .filter(|t| t.public && access.contains(&t.access))
        {
            items.push((t.created_at + 1, json!({"type": "track:repost", "created_at": crate::time::format_sc(t.created_at + 1), "reposter": format!("soundcloud:users:{who}"), "origin": render::track(&s.origins, store, t, Some(uid))})));
        }
    }
    if !tracks_only {
        for p in store
            .playlists
            .values()
            .filter(|p| authors.contains(&p.user_id) && p.public)
        {
            items.push((p.created_at, json!({"type": "playlist", "created_at": crate::time::format_sc(p.created_at), "origin": render::playlist(&s.origins, store, p, Some(uid), false)})));
        }
        for (who, pid) in store
            .playlist_reposts
            .iter()
            .filter(|(a, _)| authors.contains(a))
        {
            if let Some(p) = store.playlists.get(pid).filter(|p| p.public) {
                items.push((p.created_at + 1, json!({"type": "playlist:repost", "created_at": crate::time::format_sc(p.created_at + 1), "reposter": format!("soundcloud:users:{who}"), "origin": render::playlist(&s.origins, store, p, Some(uid), false)})));
            }
        }
    }
    items.sort_by_key(|item| std::cmp::Reverse(item.0));
    let all: Vec<Value> = items.into_iter().map(|(_, v)| v).collect();
    // Activities always come paginated, with a `future_href` for polling newer items.
    let limit = match q.get("limit") {
        None => 50,
        Some(l) => l
            .parse::<usize>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| ApiError::bad_request("limit must be an integer from 1 to 200"))?
            .min(200),
    };
    let start: usize = q.get("cursor").and_then(|c| c.parse().ok()).unwrap_or(0);
    let end = (start + limit).min(all.len());
    let slice: Vec<Value> = all
        .iter()
        .skip(start)
        .take(end.saturating_sub(start))
        .cloned()
        .collect();
    let mut body = json!({
        "collection": slice,
        "future_href": format!("{}{path}?uuid%5Bto%5D=newest", s.origins.api),
    });
    if end < all.len() {
        body["next_href"] = json!(next_href(s, path, q, limit, end));
    }
    Ok(json_response(StatusCode::OK, &body))
}

macro_rules! activity_route {
    ($name:ident, $kind:expr) => {
        async fn $name(c: Call) -> ApiResult {
            let uid = c.v.require_user()?;
            let store = lock(&c.s.store);
            activities(&c.s, &store, uid, &c.q, $kind, &c.path)
        }
    };
}

activity_route!(feed, Feed::Followed);
activity_route!(feed_tracks, Feed::FollowedTracks);
activity_route!(activities_all, Feed::Followed);
activity_route!(activities_own, Feed::Own);
activity_route!(activities_tracks, Feed::OwnTracks);

async fn following_one(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(urn): Path<String>,
) -> ApiResult {
    let uid = viewer(&s, &headers)?.require_user()?;
    let store = lock(&s.store);
    let oid = user_id(&store, &urn)?;
    if !store.follows.contains(&(uid, oid)) {
        return Err(ApiError::not_found());
    }
    ok(&render::user(&s.origins, &store, &store.users[&oid]))
}

async fn follower_one(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(urn): Path<String>,
) -> ApiResult {
    let uid = viewer(&s, &headers)?.require_user()?;
    let store = lock(&s.store);
    let oid = user_id(&store, &urn)?;
    if !store.follows.contains(&(oid, uid)) {
        return Err(ApiError::not_found());
    }
    ok(&render::user(&s.origins, &store, &store.users[&oid]))
}

async fn follow(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(urn): Path<String>,
) -> ApiResult {
    let uid = viewer(&s, &headers)?.require_user()?;
    let max = s.config().max_followings;
    let mut store = lock(&s.store);
    let oid = user_id(&store, &urn)?;
    if oid == uid {
        return Err(ApiError::unprocessable("You cannot follow yourself"));
    }
    // The spec: 200 `Successful` (a status object) when already following, 201 the user.
    if store.follows.contains(&(uid, oid)) {
        return ok(&json!({"status": "200 - Successful"}));
    }
    if followings_of(&store, uid).len() >= max {
        return Err(ApiError::unprocessable(format!(
            "You have reached the maximum of {max} followings"
        )));
    }
    store.follows.insert((uid, oid));
    created(&render::user(&s.origins, &store, &store.users[&oid]))
}

async fn unfollow(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(urn): Path<String>,
) -> ApiResult {
    let uid = viewer(&s, &headers)?.require_user()?;
    let mut store = lock(&s.store);
    let oid = user_id(&store, &urn)?;
    if !store.follows.remove(&(uid, oid)) {
        return Err(ApiError::not_found());
    }
    ok(&json!({"status": "200 - OK"}))
}
