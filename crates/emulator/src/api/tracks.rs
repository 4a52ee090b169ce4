//! `/tracks…`: search, read, update, delete, storefront, preview, comments, favoriters,
//! reposters, related.

use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::{HeaderMap, header};
use axum::routing::{get, put};
use serde_json::{Value, json};

use super::Call;
use super::users::{tracks_json, users_json};
use super::{Listing, Q, Viewer, access_filter, created, found, id_or_404, ok, page, viewer};
use crate::errors::{ApiError, ApiResult};
use crate::model::{Comment, Store, Track};
use crate::render;
use crate::server::{AppState, Shared, lock};
use crate::time::{parse_filter_time, unix_now};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/tracks", get(search).post(super::upload::upload))
        .route("/tracks/{urn}", get(show).put(update).delete(delete))
        .route("/tracks/{urn}/storefront", put(storefront))
        .route("/tracks/{urn}/preview", get(preview))
        .route("/tracks/{urn}/comments", get(comments).post(comment))
        .route("/tracks/{urn}/favoriters", get(favoriters))
        .route("/tracks/{urn}/reposters", get(reposters))
        .route("/tracks/{urn}/related", get(related))
}

/// The track `urn` names, visible to `v` (with `secret_token` when private), or 404.
pub fn visible_track<'a>(
    store: &'a Store,
    urn: &str,
    v: &Viewer,
    q: &Q,
) -> Result<&'a Track, ApiError> {
    let id = id_or_404(urn, "tracks")?;
    store
        .tracks
        .get(&id)
        .filter(|t| store.track_visible(t, v.user, q.get("secret_token")))
        .ok_or_else(ApiError::not_found)
}

fn range(q: &Q, key: &str) -> Result<(Option<f64>, Option<f64>), ApiError> {
    let parse = |k: String| -> Result<Option<f64>, ApiError> {
        q.get(&k)
            .map(|v| {
                v.parse::<f64>()
                    .map_err(|_| ApiError::bad_request(format!("{k} must be a number")))
            })
            .transpose()
    };
    Ok((parse(format!("{key}[from]"))?, parse(format!("{key}[to]"))?))
}

fn time_range(q: &Q) -> Result<(Option<i64>, Option<i64>), ApiError> {
    let parse = |k: &str| -> Result<Option<i64>, ApiError> {
        q.get(k)
            .map(|v| {
                parse_filter_time(v).ok_or_else(|| {
                    ApiError::bad_request(format!("{k} must be yyyy-mm-dd hh:mm:ss"))
                })
            })
            .transpose()
    };
    Ok((parse("created_at[from]")?, parse("created_at[to]")?))
}

/// Tags of a `tag_list`: space-separated, multi-word tags in double quotes.
pub fn tags(tag_list: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = tag_list.trim();
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('"') {
            let (tag, after) = r.split_once('"').unwrap_or((r, ""));
            out.push(tag.to_lowercase());
            rest = after.trim_start();
        } else {
            let (tag, after) = rest.split_once(' ').unwrap_or((rest, ""));
            out.push(tag.to_lowercase());
            rest = after.trim_start();
        }
    }
    out
}

fn within(v: Option<f64>, (from, to): (Option<f64>, Option<f64>)) -> bool {
    match v {
        Some(v) => from.is_none_or(|f| v >= f) && to.is_none_or(|t| v <= t),
        None => from.is_none() && to.is_none(),
    }
}

async fn search(c: Call) -> ApiResult {
    let Call { s, v, q, path } = c;
    let access = access_filter(&q, false)?;
    let bpm = range(&q, "bpm")?;
    let duration = range(&q, "duration")?;
    let (from, to) = time_range(&q)?;
    let needle = q.get("q").map(str::to_lowercase).filter(|n| !n.is_empty());
    let ids: Option<Vec<u64>> = q.list("urns").or_else(|| q.list("ids")).map(|l| {
        l.iter()
            .filter_map(|u| super::parse_id(u, "tracks"))
            .collect()
    });
    let genres: Option<Vec<String>> = q
        .list("genres")
        .map(|g| g.iter().map(|x| x.to_lowercase()).collect());
    let want_tags: Option<Vec<String>> = q
        .list("tags")
        .map(|g| g.iter().map(|x| x.to_lowercase()).collect());
    let store = lock(&s.store);
    let matching: Vec<u64> = store
        .tracks
        .values()
        .filter(|t| t.public && access.contains(&t.access))
        .filter(|t| ids.as_ref().is_none_or(|ids| ids.contains(&t.id)))
        .filter(|t| {
            genres.as_ref().is_none_or(|g| {
                t.genre
                    .as_ref()
                    .is_some_and(|tg| g.contains(&tg.to_lowercase()))
            })
        })
        .filter(|t| {
            want_tags.as_ref().is_none_or(|w| {
                let have = tags(&t.tag_list);
                w.iter().any(|x| have.contains(x))
            })
        })
        .filter(|t| within(t.bpm, bpm))
        .filter(|t| within(Some(t.duration_ms as f64), duration))
        .filter(|t| from.is_none_or(|f| t.created_at >= f) && to.is_none_or(|x| t.created_at <= x))
        .filter(|t| {
            needle.as_ref().is_none_or(|n| {
                let user = store
                    .users
                    .get(&t.user_id)
                    .map_or("", |u| u.username.as_str());
                [
                    t.title.as_str(),
                    t.description.as_deref().unwrap_or(""),
                    t.tag_list.as_str(),
                    user,
                ]
                .iter()
                .any(|f| f.to_lowercase().contains(n))
            })
        })
        .map(|t| t.id)
        .collect();
    let items: Vec<Value> = matching
        .iter()
        .filter_map(|id| store.tracks.get(id))
        .map(|t| render::track(&s.origins, &store, t, v.user))
        .collect();
    page(&s, &path, &q, items, Listing::ArrayUnlessLinked)
}

async fn show(c: Call, Path(urn): Path<String>) -> ApiResult {
    let Call { s, v, q, .. } = c;
    let store = lock(&s.store);
    let t = visible_track(&store, &urn, &v, &q)?;
    ok(&render::track(&s.origins, &store, t, v.user))
}

/// The track `urn` names if `uid` owns it: 404 when invisible, 403 when someone else's.
fn owned<'a>(store: &'a mut Store, urn: &str, uid: u64) -> Result<&'a mut Track, ApiError> {
    let id = id_or_404(urn, "tracks")?;
    let t = store.tracks.get_mut(&id).ok_or_else(ApiError::not_found)?;
    if t.user_id != uid {
        return Err(if t.public {
            ApiError::forbidden("You are not the owner of this track")
        } else {
            ApiError::not_found()
        });
    }
    Ok(t)
}

/// Applies one `track[...]` field; returns false for an unknown field.
pub fn apply_field(t: &mut Track, key: &str, value: &Value) -> Result<bool, ApiError> {
    let text = || {
        value
            .as_str()
            .map(str::to_string)
            .or_else(|| (!value.is_null()).then(|| value.to_string()))
    };
    let bad = |what: &str| ApiError::unprocessable(format!("{key} must be {what}"));
    match key {
        "title" => {
            let title = text()
                .filter(|t| !t.trim().is_empty())
                .ok_or_else(|| bad("a non-empty string"))?;
            t.title = title;
        }
        "description" => t.description = text(),
        "genre" => t.genre = text(),
        "tag_list" => t.tag_list = text().unwrap_or_default(),
        "label_name" => t.label_name = text(),
        "isrc" => t.isrc = text(),
        "key_signature" => t.key_signature = text(),
        "permalink" => t.permalink = crate::seed::slug(&text().ok_or_else(|| bad("a string"))?),
        "bpm" => {
            t.bpm = match value {
                Value::Null => None,
                Value::Number(n) => n.as_f64(),
                Value::String(s) => Some(s.parse().map_err(|_| bad("a number"))?),
                _ => return Err(bad("a number")),
            }
        }
        "release_year" => {
            t.release_year = match value {
                Value::Null => None,
                Value::Number(n) => n.as_u64().map(|y| y as u32),
                Value::String(s) => Some(s.parse().map_err(|_| bad("a year"))?),
                _ => return Err(bad("a year")),
            }
        }
        "sharing" => match value.as_str() {
            Some("public") => t.public = true,
            Some("private") => {
                t.public = false;
                if t.secret_token.is_none() {
                    t.secret_token = Some(format!("s-{:06}", t.id));
                }
            }
            _ => return Err(bad("public or private")),
        },
        "license" => {
            const LICENSES: [&str; 8] = [
                "no-rights-reserved",
                "all-rights-reserved",
                "cc-by",
                "cc-by-nc",
                "cc-by-nd",
                "cc-by-sa",
                "cc-by-nc-nd",
                "cc-by-nc-sa",
            ];
            let l = value
                .as_str()
                .filter(|l| LICENSES.contains(l))
                .ok_or_else(|| bad("a known license"))?;
            t.license = l.to_string();
        }
        "commentable" | "downloadable" => {
            let b = match value {
                Value::Bool(b) => *b,
                Value::String(s) if s == "true" || s == "false" => s == "true",
                _ => return Err(bad("true or false")),
            };
            if key == "commentable" {
                t.commentable = b
            } else {
                t.downloadable = b
            }
        }
        _ => return Ok(false),
    }
    Ok(true)
}

async fn update(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(urn): Path<String>,
    req: Request,
) -> ApiResult {
    let uid = viewer(&s, &headers)?.require_user()?;
    {
        let mut store = lock(&s.store);
        owned(&mut store, &urn, uid)?;
    }
    let is_multipart = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("multipart/form-data"));
    let mut fields: Vec<(String, Value)> = Vec::new();
    let mut artwork: Option<Vec<u8>> = None;
    if is_multipart {
        let mut mp = Multipart::from_request(req, &s)
            .await
            .map_err(|e| ApiError::bad_request(e.body_text()))?;
        while let Some(field) = mp
            .next_field()
            .await
            .map_err(|e| ApiError::bad_request(e.body_text()))?
        {
            let name = field.name().unwrap_or("").to_string();
            let key = name
                .strip_prefix("track[")
                .and_then(|k| k.strip_suffix(']'))
                .unwrap_or(&name)
                .to_string();
            if key == "artwork_data" {
                artwork = Some(super::upload::read_artwork(field).await?);
            } else if key == "asset_data" {
                return Err(ApiError::unprocessable(
                    "The audio file cannot be updated after upload",
                ));
            } else {
                let text = field
                    .text()
                    .await
                    .map_err(|e| ApiError::bad_request(e.body_text()))?;
                fields.push((key, Value::String(text)));
            }
        }
    } else {
        let bytes = axum::body::to_bytes(req.into_body(), 1 << 20)
            .await
            .map_err(|_| ApiError::bad_request("body too large"))?;
        let v: Value = serde_json::from_slice(&bytes)
            .map_err(|e| ApiError::bad_request(format!("invalid JSON: {e}")))?;
        let obj = v
            .get("track")
            .and_then(Value::as_object)
            .ok_or_else(|| ApiError::unprocessable("body must be {\"track\": {…}}"))?;
        fields = obj.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    }
    let mut store = lock(&s.store);
    let t = owned(&mut store, &urn, uid)?;
    let mut next = t.clone();
    for (k, v) in &fields {
        apply_field(&mut next, k, v)?;
    }
    if artwork.is_some() {
        next.artwork = artwork;
    }
    *t = next;
    let t = store
        .tracks
        .get(&t_id(&urn)?)
        .ok_or_else(ApiError::not_found)?;
    ok(&render::track(&s.origins, &store, t, Some(uid)))
}

fn t_id(urn: &str) -> Result<u64, ApiError> {
    id_or_404(urn, "tracks")
}

async fn delete(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(urn): Path<String>,
) -> ApiResult {
    let uid = viewer(&s, &headers)?.require_user()?;
    let mut store = lock(&s.store);
    let id = owned(&mut store, &urn, uid)?.id;
    store.tracks.remove(&id);
    store.comments.retain(|_, c| c.track_id != id);
    store.track_likes.retain(|(_, t)| *t != id);
    store.track_reposts.retain(|(_, t)| *t != id);
    for p in store.playlists.values_mut() {
        p.tracks.retain(|t| *t != id);
    }
    ok(&json!({"status": "200 - OK"}))
}

async fn storefront(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(urn): Path<String>,
    body: Bytes,
) -> ApiResult {
    let uid = viewer(&s, &headers)?.require_user()?;
    let v: Value = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("invalid JSON: {e}")))?;
    const TYPES: [&str; 10] = [
        "digital",
        "vinyl",
        "cd",
        "cassette",
        "apparel",
        "sample_pack",
        "subscription",
        "live_event",
        "live_stream",
        "other",
    ];
    let field = |k: &str, max: usize, required: bool| -> Result<Option<String>, ApiError> {
        match v.get(k) {
            None | Some(Value::Null) if required => {
                Err(ApiError::bad_request(format!("{k} is required")))
            }
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.chars().count() <= max => Ok(Some(s.clone())),
            Some(_) => Err(ApiError::bad_request(format!(
                "{k} must be a string of at most {max} characters"
            ))),
        }
    };
    let title = field("title", 100, true)?;
    let kind = field("type", 32, true)?
        .filter(|t| TYPES.contains(&t.as_str()))
        .ok_or_else(|| ApiError::bad_request("type is not a storefront type"))?;
    let link = field("link", 255, true)?
        .filter(|l| l.starts_with("http://") || l.starts_with("https://"))
        .ok_or_else(|| ApiError::bad_request("link must be an http(s) URL"))?;
    let link_title = field("link_title", 50, false)?;
    let description = field("description", 500, false)?;
    let price = field("price", 20, false)?;
    let mut store = lock(&s.store);
    let t = owned(&mut store, &urn, uid)?;
    let sf = json!({
        "track_urn": format!("soundcloud:tracks:{}", t.id),
        "title": title, "type": kind, "link": link, "link_title": link_title,
        "description": description, "image_url": null, "price": price,
    });
    t.storefront = Some(sf.clone());
    ok(&sf)
}

async fn preview(c: Call, Path(urn): Path<String>) -> ApiResult {
    let Call { s, v, q, .. } = c;
    let id = {
        let store = lock(&s.store);
        let t = visible_track(&store, &urn, &v, &q)?;
        if t.access == crate::model::Access::Blocked {
            return Err(ApiError::not_found());
        }
        t.id
    };
    found(&crate::cdn::signed_url(&s, &crate::cdn::preview_path(id)))
}

async fn comments(c: Call, Path(urn): Path<String>) -> ApiResult {
    let Call { s, v, q, path } = c;
    let store = lock(&s.store);
    let t = visible_track(&store, &urn, &v, &q)?;
    let items: Vec<Value> = store
        .comments
        .values()
        .filter(|c| c.track_id == t.id)
        .map(|c| render::comment(&s.origins, &store, c))
        .collect();
    page(&s, &path, &q, items, Listing::Object)
}

/// Records an action (comment or like) and answers the spam 429 past the configured limit.
pub fn check_action(s: &Shared, store: &mut Store, uid: u64) -> Result<(), ApiError> {
    let Some(limit) = s.config().action_limit else {
        return Ok(());
    };
    let now = Instant::now();
    let log = store.actions.entry(uid).or_default();
    log.retain(|t| now.duration_since(*t) < limit.window);
    if log.len() >= limit.max as usize {
        return Err(ApiError::Spam);
    }
    log.push(now);
    Ok(())
}

/// A comment's `timestamp` in whole milliseconds: the spec accepts a number or a string,
/// either of them a float ("String or float representation is supported").
fn comment_timestamp(raw: Option<&Value>) -> Result<Option<u64>, ApiError> {
    let ms = match raw {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Number(n)) => n.as_f64(),
        Some(Value::String(s)) => s.trim().parse::<f64>().ok(),
        Some(_) => None,
    };
    match ms {
        // Below 2^53 every whole millisecond is exact; a track is never that long.
        Some(ms) if ms.is_finite() && (0.0..9.0e15).contains(&ms) => Ok(Some(ms.round() as u64)),
        _ => Err(ApiError::unprocessable(
            "timestamp must be a non-negative number of milliseconds",
        )),
    }
}

async fn comment(c: Call, Path(urn): Path<String>, body: Bytes) -> ApiResult {
    let Call { s, v, q, .. } = c;
    let uid = v.require_user()?;
    let parsed: Value = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("invalid JSON: {e}")))?;
    let c = parsed
        .get("comment")
        .ok_or_else(|| ApiError::unprocessable("body must be {\"comment\": {…}}"))?;
    let text = c
        .get("body")
        .and_then(Value::as_str)
        .filter(|b| !b.trim().is_empty())
        .ok_or_else(|| ApiError::unprocessable("comment[body] is required"))?;
    let timestamp_ms = comment_timestamp(c.get("timestamp"))?;
    let mut store = lock(&s.store);
    let (tid, commentable, duration) = {
        let t = visible_track(&store, &urn, &v, &q)?;
        (t.id, t.commentable, t.duration_ms)
    };
    if !commentable {
        return Err(ApiError::forbidden("Comments are disabled for this track"));
    }
    if timestamp_ms.is_some_and(|ts| ts > duration) {
        return Err(ApiError::unprocessable(
            "timestamp is beyond the end of the track",
        ));
    }
    check_action(&s, &mut store, uid)?;
    let id = store.new_id();
    let c = Comment {
        id,
        track_id: tid,
        user_id: uid,
        body: text.to_string(),
        timestamp_ms,
        created_at: unix_now(),
    };
    let body = render::comment(&s.origins, &store, &c);
    store.comments.insert(id, c);
    created(&body)
}

async fn favoriters(c: Call, Path(urn): Path<String>) -> ApiResult {
    let Call { s, v, q, path } = c;
    let store = lock(&s.store);
    let t = visible_track(&store, &urn, &v, &q)?;
    let ids: Vec<u64> = store
        .track_likes
        .iter()
        .filter(|(_, b)| *b == t.id)
        .map(|(a, _)| *a)
        .collect();
    let items = users_json(&s, &store, ids);
    page(&s, &path, &q, items, Listing::Object)
}

async fn reposters(c: Call, Path(urn): Path<String>) -> ApiResult {
    let Call { s, v, q, path } = c;
    let store = lock(&s.store);
    let t = visible_track(&store, &urn, &v, &q)?;
    let ids: Vec<u64> = store
        .track_reposts
        .iter()
        .filter(|(_, b)| *b == t.id)
        .map(|(a, _)| *a)
        .collect();
    let items = users_json(&s, &store, ids);
    page(&s, &path, &q, items, Listing::Object)
}

async fn related(c: Call, Path(urn): Path<String>) -> ApiResult {
    let Call { s, v, q, path } = c;
    let store = lock(&s.store);
    let t = visible_track(&store, &urn, &v, &q)?;
    let own = tags(&t.tag_list);
    let mut scored: Vec<(usize, u64)> = store
        .tracks
        .values()
        .filter(|o| o.id != t.id && o.public)
        .map(|o| {
            let shared_tags = tags(&o.tag_list).iter().filter(|x| own.contains(x)).count();
            let genre = usize::from(o.genre.is_some() && o.genre == t.genre);
            (shared_tags + 2 * genre, o.id)
        })
        .filter(|(score, _)| *score > 0)
        .collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let items = tracks_json(
        &s,
        &store,
        &v,
        scored.into_iter().map(|(_, id)| id),
        &q,
        false,
    )?;
    page(&s, &path, &q, items, Listing::ArrayUnlessLinked)
}
