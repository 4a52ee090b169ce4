//! `/playlists…`: search, create, read, update, delete, tracks, reposters.

use axum::Router;
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::{HeaderMap, header};
use axum::routing::get;
use serde_json::{Value, json};

use super::Call;
use super::users::{tracks_json, users_json};
use super::{Listing, Q, Viewer, created, id_or_404, ok, page, viewer};
use crate::errors::{ApiError, ApiResult};
use crate::model::{Playlist, Store};
use crate::render;
use crate::server::{AppState, lock};
use crate::time::unix_now;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/playlists", get(search).post(create))
        .route("/playlists/{urn}", get(show).put(update).delete(delete))
        .route("/playlists/{urn}/tracks", get(tracks))
        .route("/playlists/{urn}/reposters", get(reposters))
}

fn visible<'a>(store: &'a Store, urn: &str, v: &Viewer, q: &Q) -> Result<&'a Playlist, ApiError> {
    let id = id_or_404(urn, "playlists")?;
    store
        .playlists
        .get(&id)
        .filter(|p| store.playlist_visible(p, v.user, q.get("secret_token")))
        .ok_or_else(ApiError::not_found)
}

async fn search(c: Call) -> ApiResult {
    let Call { s, v, q, path } = c;
    let access = super::access_filter(&q, false)?;
    // The spec: "Default is `true`".
    let show = q.flag("show_tracks", true)?;
    let needle = q.get("q").map(str::to_lowercase).filter(|n| !n.is_empty());
    let store = lock(&s.store);
    let items: Vec<Value> = store
        .playlists
        .values()
        .filter(|p| p.public)
        .filter(|p| {
            needle.as_ref().is_none_or(|n| {
                p.title.to_lowercase().contains(n)
                    || p.description
                        .as_deref()
                        .unwrap_or("")
                        .to_lowercase()
                        .contains(n)
            })
        })
        // A playlist matches the access filter when any of its tracks does.
        .filter(|p| {
            p.tracks.is_empty()
                || p.tracks
                    .iter()
                    .filter_map(|t| store.tracks.get(t))
                    .any(|t| access.contains(&t.access))
        })
        .map(|p| render::playlist(&s.origins, &store, p, v.user, show))
        .collect();
    page(&s, &path, &q, items, Listing::ArrayUnlessLinked)
}

async fn show(c: Call, Path(urn): Path<String>) -> ApiResult {
    let Call { s, v, q, .. } = c;
    let store = lock(&s.store);
    let p = visible(&store, &urn, &v, &q)?;
    let show = q.flag("show_tracks", true)?;
    let mut body = render::playlist(&s.origins, &store, p, v.user, show);
    if show && let Some(list) = q.list("access") {
        let access: Vec<&str> = list.iter().map(String::as_str).collect();
        if let Some(Value::Array(tracks)) = body.get_mut("tracks") {
            tracks.retain(|t| {
                t.get("access")
                    .and_then(Value::as_str)
                    .is_some_and(|a| access.contains(&a))
            });
        }
    }
    ok(&body)
}

async fn tracks(c: Call, Path(urn): Path<String>) -> ApiResult {
    let Call { s, v, q, path } = c;
    let store = lock(&s.store);
    let p = visible(&store, &urn, &v, &q)?;
    // Tracks of a playlist opened by its secret token are visible through it.
    let unlocked = Viewer {
        user: if p.public { v.user } else { Some(p.user_id) },
    };
    let items = tracks_json(&s, &store, &unlocked, p.tracks.clone(), &q, false)?;
    page(&s, &path, &q, items, Listing::ArrayUnlessLinked)
}

async fn reposters(c: Call, Path(urn): Path<String>) -> ApiResult {
    let Call { s, v, q, path } = c;
    let store = lock(&s.store);
    let p = visible(&store, &urn, &v, &q)?;
    let ids: Vec<u64> = store
        .playlist_reposts
        .iter()
        .filter(|(_, b)| *b == p.id)
        .map(|(a, _)| *a)
        .collect();
    let items = users_json(&s, &store, ids);
    page(&s, &path, &q, items, Listing::Object)
}

/// Reads a playlist body: JSON `{"playlist": {…}}` or multipart `playlist[...]` fields.
async fn read_body(
    s: &AppState,
    headers: &HeaderMap,
    req: Request,
) -> Result<serde_json::Map<String, Value>, ApiError> {
    let multipart = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("multipart/form-data"));
    if multipart {
        let mut mp = Multipart::from_request(req, s)
            .await
            .map_err(|e| ApiError::bad_request(e.body_text()))?;
        let mut out = serde_json::Map::new();
        let mut tracks = Vec::new();
        while let Some(field) = mp
            .next_field()
            .await
            .map_err(|e| ApiError::bad_request(e.body_text()))?
        {
            let name = field.name().unwrap_or("").to_string();
            let text = field
                .text()
                .await
                .map_err(|e| ApiError::bad_request(e.body_text()))?;
            if name.starts_with("playlist[tracks]") {
                tracks.push(json!({ "urn": text }));
            } else if let Some(k) = name
                .strip_prefix("playlist[")
                .and_then(|k| k.strip_suffix(']'))
            {
                out.insert(k.to_string(), Value::String(text));
            }
        }
        if !tracks.is_empty() {
            out.insert("tracks".into(), Value::Array(tracks));
        }
        return Ok(out);
    }
    let bytes = axum::body::to_bytes(req.into_body(), 1 << 20)
        .await
        .map_err(|_| ApiError::bad_request("body too large"))?;
    let v: Value = serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::bad_request(format!("invalid JSON: {e}")))?;
    v.get("playlist")
        .and_then(Value::as_object)
        .cloned()
        .ok_or_else(|| ApiError::unprocessable("body must be {\"playlist\": {…}}"))
}

fn apply(
    store: &Store,
    p: &mut Playlist,
    fields: &serde_json::Map<String, Value>,
    uid: u64,
) -> Result<(), ApiError> {
    for (k, v) in fields {
        let text = || v.as_str().map(str::to_string);
        match k.as_str() {
            "title" => {
                p.title = text()
                    .filter(|t| !t.trim().is_empty())
                    .ok_or_else(|| ApiError::unprocessable("title must be a non-empty string"))?
            }
            "description" => p.description = text(),
            "genre" => p.genre = text(),
            "tag_list" => p.tag_list = text().unwrap_or_default(),
            "permalink" => p.permalink = crate::seed::slug(&text().unwrap_or_default()),
            "sharing" => match v.as_str() {
                Some("public") => p.public = true,
                Some("private") => {
                    p.public = false;
                    p.secret_token
                        .get_or_insert_with(|| format!("s-{:06}", p.id));
                }
                _ => return Err(ApiError::unprocessable("sharing must be public or private")),
            },
            "set_type" | "playlist_type" => match v.as_str() {
                Some(t @ ("album" | "playlist")) => p.set_type = t.to_string(),
                _ => {
                    return Err(ApiError::unprocessable(
                        "set_type must be album or playlist",
                    ));
                }
            },
            "tracks" => {
                let list = v.as_array().ok_or_else(|| {
                    ApiError::unprocessable("tracks must be an array of {urn} or {id}")
                })?;
                let mut ids = Vec::new();
                for item in list {
                    let raw = match item.get("urn").or_else(|| item.get("id")) {
                        Some(Value::String(s)) => s.clone(),
                        Some(Value::Number(n)) => n.to_string(),
                        _ => {
                            return Err(ApiError::unprocessable(
                                "tracks must be an array of {urn} or {id}",
                            ));
                        }
                    };
                    let id = super::parse_id(&raw, "tracks")
                        .ok_or_else(|| ApiError::unprocessable(format!("unknown track {raw}")))?;
                    let t = store
                        .tracks
                        .get(&id)
                        .ok_or_else(|| ApiError::unprocessable(format!("unknown track {raw}")))?;
                    if !store.track_visible(t, Some(uid), None) {
                        return Err(ApiError::unprocessable(format!("unknown track {raw}")));
                    }
                    ids.push(id);
                }
                p.tracks = ids;
            }
            _ => {}
        }
    }
    Ok(())
}

async fn create(State(s): State<AppState>, headers: HeaderMap, req: Request) -> ApiResult {
    let uid = viewer(&s, &headers)?.require_user()?;
    let fields = read_body(&s, &headers, req).await?;
    if fields
        .get("title")
        .and_then(Value::as_str)
        .is_none_or(|t| t.trim().is_empty())
    {
        return Err(ApiError::unprocessable("title is required"));
    }
    let mut store = lock(&s.store);
    let id = store.new_id();
    let now = unix_now();
    let mut p = Playlist {
        id,
        user_id: uid,
        title: String::new(),
        permalink: String::new(),
        description: None,
        genre: None,
        tag_list: String::new(),
        public: true,
        secret_token: None,
        set_type: "playlist".into(),
        created_at: now,
        last_modified: now,
        tracks: Vec::new(),
    };
    apply(&store, &mut p, &fields, uid)?;
    if p.permalink.is_empty() {
        p.permalink = crate::seed::slug(&p.title);
    }
    let body = render::playlist(&s.origins, &store, &p, Some(uid), true);
    store.playlists.insert(id, p);
    created(&body)
}

fn owned(store: &Store, urn: &str, uid: u64) -> Result<u64, ApiError> {
    let id = id_or_404(urn, "playlists")?;
    let p = store.playlists.get(&id).ok_or_else(ApiError::not_found)?;
    if p.user_id != uid {
        return Err(if p.public {
            ApiError::forbidden("You are not the owner of this playlist")
        } else {
            ApiError::not_found()
        });
    }
    Ok(id)
}

async fn update(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(urn): Path<String>,
    req: Request,
) -> ApiResult {
    let uid = viewer(&s, &headers)?.require_user()?;
    owned(&lock(&s.store), &urn, uid)?;
    let fields = read_body(&s, &headers, req).await?;
    let mut store = lock(&s.store);
    let id = owned(&store, &urn, uid)?;
    let mut p = store.playlists[&id].clone();
    apply(&store, &mut p, &fields, uid)?;
    p.last_modified = unix_now();
    let body = render::playlist(&s.origins, &store, &p, Some(uid), true);
    store.playlists.insert(id, p);
    ok(&body)
}

async fn delete(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(urn): Path<String>,
) -> ApiResult {
    let uid = viewer(&s, &headers)?.require_user()?;
    let mut store = lock(&s.store);
    let id = owned(&store, &urn, uid)?;
    store.playlists.remove(&id);
    store.playlist_likes.retain(|(_, p)| *p != id);
    store.playlist_reposts.retain(|(_, p)| *p != id);
    ok(&json!({"status": "200 - OK"}))
}
