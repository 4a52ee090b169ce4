//! `/users…` and the per-user collections `/me…` shares.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::routing::get;
use serde_json::Value;

use super::Call;
use super::{Listing, Q, Viewer, access_filter, id_or_404, ok, page, viewer, with_access};
use crate::errors::{ApiError, ApiResult};
use crate::model::Store;
use crate::render;
use crate::server::{AppState, Shared, lock};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/users", get(search))
        .route("/users/{urn}", get(show))
        .route("/users/{urn}/related", get(related))
        .route("/users/{urn}/favorites", get(likes_tracks))
        .route("/users/{urn}/followers", get(followers))
        .route("/users/{urn}/followings", get(followings))
        .route("/users/{urn}/followings/{other}", get(following_one))
        .route("/users/{urn}/playlists", get(playlists))
        .route("/users/{urn}/tracks", get(tracks))
        .route("/users/{urn}/web-profiles", get(web_profiles))
        .route("/users/{urn}/likes/tracks", get(likes_tracks))
        .route("/users/{urn}/likes/playlists", get(likes_playlists))
        .route("/users/{urn}/reposts/tracks", get(reposts_tracks))
        .route("/users/{urn}/reposts/playlists", get(reposts_playlists))
}

/// The user `urn` names, or 404.
pub fn user_id(store: &Store, urn: &str) -> Result<u64, ApiError> {
    let id = id_or_404(urn, "users")?;
    store
        .users
        .contains_key(&id)
        .then_some(id)
        .ok_or_else(ApiError::not_found)
}

pub fn users_json(s: &Shared, store: &Store, ids: impl IntoIterator<Item = u64>) -> Vec<Value> {
    ids.into_iter()
        .filter_map(|id| store.users.get(&id))
        .map(|u| render::user(&s.origins, store, u))
        .collect()
}

pub fn tracks_json(
    s: &Shared,
    store: &Store,
    v: &Viewer,
    ids: impl IntoIterator<Item = u64>,
    q: &Q,
    all_access: bool,
) -> Result<Vec<Value>, ApiError> {
    let access = access_filter(q, all_access)?;
    let tracks = ids
        .into_iter()
        .filter_map(|id| store.tracks.get(&id))
        .filter(|t| store.track_visible(t, v.user, None));
    Ok(with_access(tracks, &access)
        .into_iter()
        .map(|t| render::track(&s.origins, store, t, v.user))
        .collect())
}

pub fn playlists_json(
    s: &Shared,
    store: &Store,
    v: &Viewer,
    ids: impl IntoIterator<Item = u64>,
    q: &Q,
) -> Result<Vec<Value>, ApiError> {
    // The spec: "Default is `true`".
    let show = q.flag("show_tracks", true)?;
    Ok(ids
        .into_iter()
        .filter_map(|id| store.playlists.get(&id))
        .filter(|p| store.playlist_visible(p, v.user, None))
        .map(|p| render::playlist(&s.origins, store, p, v.user, show))
        .collect())
}

pub fn followers_of(store: &Store, uid: u64) -> Vec<u64> {
    store
        .follows
        .iter()
        .filter(|(_, b)| *b == uid)
        .map(|(a, _)| *a)
        .collect()
}

pub fn followings_of(store: &Store, uid: u64) -> Vec<u64> {
    store
        .follows
        .iter()
        .filter(|(a, _)| *a == uid)
        .map(|(_, b)| *b)
        .collect()
}

/// A user's tracks, newest first unless `sort=asc`.
pub fn tracks_of(store: &Store, uid: u64, q: &Q) -> Result<Vec<u64>, ApiError> {
    let mut t: Vec<(i64, u64)> = store
        .tracks
        .values()
        .filter(|t| t.user_id == uid)
        .map(|t| (t.created_at, t.id))
        .collect();
    match q.get("sort") {
        None | Some("desc") => t.sort_by(|a, b| b.cmp(a)),
        Some("asc") => t.sort(),
        Some(_) => return Err(ApiError::bad_request("sort must be asc or desc")),
    }
    Ok(t.into_iter().map(|(_, id)| id).collect())
}

pub fn playlists_of(store: &Store, uid: u64) -> Vec<u64> {
    store
        .playlists
        .values()
        .filter(|p| p.user_id == uid)
        .map(|p| p.id)
        .collect()
}

pub fn liked_tracks(store: &Store, uid: u64) -> Vec<u64> {
    store
        .track_likes
        .iter()
        .filter(|(a, _)| *a == uid)
        .map(|(_, b)| *b)
        .collect()
}

pub fn liked_playlists(store: &Store, uid: u64) -> Vec<u64> {
    store
        .playlist_likes
        .iter()
        .filter(|(a, _)| *a == uid)
        .map(|(_, b)| *b)
        .collect()
}

pub fn reposted_tracks(store: &Store, uid: u64) -> Vec<u64> {
    store
        .track_reposts
        .iter()
        .filter(|(a, _)| *a == uid)
        .map(|(_, b)| *b)
        .collect()
}

pub fn reposted_playlists(store: &Store, uid: u64) -> Vec<u64> {
    store
        .playlist_reposts
        .iter()
        .filter(|(a, _)| *a == uid)
        .map(|(_, b)| *b)
        .collect()
}

async fn search(c: Call) -> ApiResult {
    let Call { s, v: _, q, path } = c;
    let store = lock(&s.store);
    let needle = q.get("q").map(str::to_lowercase);
    let ids: Option<Vec<u64>> = q.list("urns").or_else(|| q.list("ids")).map(|list| {
        list.iter()
            .filter_map(|u| super::parse_id(u, "users"))
            .collect()
    });
    let found = store
        .users
        .values()
        .filter(|u| ids.as_ref().is_none_or(|ids| ids.contains(&u.id)))
        .filter(|u| {
            needle.as_ref().is_none_or(|n| {
                u.username.to_lowercase().contains(n)
                    || u.full_name.to_lowercase().contains(n)
                    || u.description
                        .as_deref()
                        .unwrap_or("")
                        .to_lowercase()
                        .contains(n)
            })
        })
        .map(|u| u.id);
    let items = users_json(&s, &store, found.collect::<Vec<_>>());
    page(&s, &path, &q, items, Listing::Object)
}

async fn show(State(s): State<AppState>, headers: HeaderMap, Path(urn): Path<String>) -> ApiResult {
    viewer(&s, &headers)?;
    let store = lock(&s.store);
    let id = user_id(&store, &urn)?;
    ok(&render::user(&s.origins, &store, &store.users[&id]))
}

/// The per-user collections that `/users/{urn}/…` and `/me/…` share.
#[derive(Debug, Clone, Copy)]
pub enum Collection {
    Followers,
    Followings,
    Playlists,
    Tracks,
    LikedTracks,
    LikedPlaylists,
    RepostedTracks,
    RepostedPlaylists,
}

impl Collection {
    /// The spec's shape of this collection: `Users` for followers and followings, else
    /// `Tracks` or `Playlists`.
    pub fn listing(self) -> Listing {
        match self {
            Collection::Followers | Collection::Followings => Listing::Object,
            _ => Listing::ArrayUnlessLinked,
        }
    }
}

/// The items of `uid`'s collection. `mine` is the signed-in user's own view (`/me/…`), where
/// track lists default to every access level, as the live service does.
pub fn collection(
    c: &Call,
    store: &Store,
    uid: u64,
    which: Collection,
    mine: bool,
) -> Result<Vec<Value>, ApiError> {
    let (s, v, q) = (&c.s, &c.v, &c.q);
    Ok(match which {
        Collection::Followers => users_json(s, store, followers_of(store, uid)),
        Collection::Followings => users_json(s, store, followings_of(store, uid)),
        Collection::Playlists => playlists_json(s, store, v, playlists_of(store, uid), q)?,
        Collection::Tracks => tracks_json(s, store, v, tracks_of(store, uid, q)?, q, mine)?,
        Collection::LikedTracks => tracks_json(s, store, v, liked_tracks(store, uid), q, mine)?,
        Collection::LikedPlaylists => playlists_json(s, store, v, liked_playlists(store, uid), q)?,
        Collection::RepostedTracks => {
            tracks_json(s, store, v, reposted_tracks(store, uid), q, mine)?
        }
        Collection::RepostedPlaylists => {
            playlists_json(s, store, v, reposted_playlists(store, uid), q)?
        }
    })
}

macro_rules! user_collection {
    ($name:ident, $which:expr) => {
        async fn $name(c: Call, Path(urn): Path<String>) -> ApiResult {
            let store = lock(&c.s.store);
            let uid = user_id(&store, &urn)?;
            let items = collection(&c, &store, uid, $which, false)?;
            page(&c.s, &c.path, &c.q, items, $which.listing())
        }
    };
}

user_collection!(followers, Collection::Followers);
user_collection!(followings, Collection::Followings);
user_collection!(playlists, Collection::Playlists);
user_collection!(tracks, Collection::Tracks);
user_collection!(likes_tracks, Collection::LikedTracks);
user_collection!(likes_playlists, Collection::LikedPlaylists);
user_collection!(reposts_tracks, Collection::RepostedTracks);
user_collection!(reposts_playlists, Collection::RepostedPlaylists);

/// Artists followed by this user's followers, most shared first, excluding the user.
async fn related(c: Call, Path(urn): Path<String>) -> ApiResult {
    let store = lock(&c.s.store);
    let uid = user_id(&store, &urn)?;
    let mut counts = std::collections::BTreeMap::<u64, usize>::new();
    for f in followers_of(&store, uid) {
        for g in followings_of(&store, f) {
            if g != uid {
                *counts.entry(g).or_default() += 1;
            }
        }
    }
    let mut ranked: Vec<(usize, u64)> = counts.into_iter().map(|(id, n)| (n, id)).collect();
    ranked.sort_by(|a, b| b.cmp(a));
    let items = users_json(&c.s, &store, ranked.into_iter().map(|(_, id)| id));
    page(&c.s, &c.path, &c.q, items, Listing::Object)
}

async fn following_one(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path((urn, other)): Path<(String, String)>,
) -> ApiResult {
    viewer(&s, &headers)?;
    let store = lock(&s.store);
    let uid = user_id(&store, &urn)?;
    let oid = user_id(&store, &other)?;
    if !store.follows.contains(&(uid, oid)) {
        return Err(ApiError::not_found());
    }
    ok(&render::user(&s.origins, &store, &store.users[&oid]))
}

async fn web_profiles(c: Call, Path(urn): Path<String>) -> ApiResult {
    let Call { s, q, .. } = c;
    let store = lock(&s.store);
    let uid = user_id(&store, &urn)?;
    let limit = match q.get("limit") {
        Some(l) => l
            .parse::<usize>()
            .map_err(|_| ApiError::bad_request("invalid limit"))?,
        None => 50,
    };
    let items: Vec<Value> = store
        .web_profiles
        .iter()
        .filter(|w| w.user_id == uid)
        .take(limit)
        .map(render::web_profile)
        .collect();
    ok(&Value::Array(items))
}
