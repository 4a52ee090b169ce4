//! `/resolve` (permalink URL → 302 to the API resource) and oEmbed.

use axum::extract::{RawQuery, State};
use serde_json::json;

use super::Call;
use super::{Q, found, ok};
use crate::errors::{ApiError, ApiResult};
use crate::model::Store;
use crate::render;
use crate::server::{AppState, lock};

/// What a soundcloud.com URL names.
enum Target {
    User(u64),
    Track(u64),
    Playlist(u64),
}

fn parse_permalink(store: &Store, url: &str) -> Option<Target> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let host = host.to_ascii_lowercase();
    let known = ["soundcloud.com", "www.soundcloud.com", "m.soundcloud.com"];
    if !known.contains(&host.as_str())
        && !host.starts_with("127.0.0.1")
        && !host.starts_with("localhost")
    {
        return None;
    }
    let path = path.split(['?', '#']).next().unwrap_or("");
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    let user = store.user_by_permalink(parts.first()?)?;
    match parts.as_slice() {
        [_] => Some(Target::User(user.id)),
        [_, "sets", set] | [_, "sets", set, _] => {
            let secret = parts.get(3).copied();
            let p = store
                .playlists
                .values()
                .find(|p| p.user_id == user.id && p.permalink == *set)?;
            (p.public || secret == p.secret_token.as_deref()).then_some(Target::Playlist(p.id))
        }
        [_, track] | [_, track, _] => {
            let secret = parts.get(2).copied();
            let t = store
                .tracks
                .values()
                .find(|t| t.user_id == user.id && t.permalink == *track)?;
            (t.public || secret == t.secret_token.as_deref()).then_some(Target::Track(t.id))
        }
        _ => None,
    }
}

pub async fn resolve(c: Call) -> ApiResult {
    let Call { s, q, .. } = c;
    let url = q
        .get("url")
        .ok_or_else(|| ApiError::bad_request("url is required"))?;
    let store = lock(&s.store);
    // Like the live service, `location` still carries numeric ids.
    let location = match parse_permalink(&store, url).ok_or_else(ApiError::not_found)? {
        Target::User(id) => format!("{}/users/{id}", s.origins.api),
        Target::Track(id) => {
            let t = &store.tracks[&id];
            match (&t.secret_token, t.public) {
                (Some(k), false) => format!("{}/tracks/{id}?secret_token={k}", s.origins.api),
                _ => format!("{}/tracks/{id}", s.origins.api),
            }
        }
        Target::Playlist(id) => {
            let p = &store.playlists[&id];
            match (&p.secret_token, p.public) {
                (Some(k), false) => format!("{}/playlists/{id}?secret_token={k}", s.origins.api),
                _ => format!("{}/playlists/{id}", s.origins.api),
            }
        }
    };
    found(&location)
}

/// `GET /oembed?format=json&url=…` on the public site (no token needed).
pub async fn oembed(State(s): State<AppState>, RawQuery(q): RawQuery) -> ApiResult {
    let q = Q::parse(q.as_deref())?;
    let url = q
        .get("url")
        .ok_or_else(|| ApiError::bad_request("url is required"))?;
    match q.get("format") {
        None | Some("json") | Some("js") => {}
        Some(_) => {
            return Err(ApiError::Status(
                axum::http::StatusCode::NOT_IMPLEMENTED,
                "format must be json or js".into(),
            ));
        }
    }
    let store = lock(&s.store);
    let (title, author, author_url, kind, urn) =
        match parse_permalink(&store, url).ok_or_else(ApiError::not_found)? {
            Target::Track(id) => {
                let t = &store.tracks[&id];
                let u = &store.users[&t.user_id];
                (
                    format!("{} by {}", t.title, u.username),
                    u.username.clone(),
                    format!("{}/{}", render::WEB, u.permalink),
                    "tracks",
                    id,
                )
            }
            Target::Playlist(id) => {
                let p = &store.playlists[&id];
                let u = &store.users[&p.user_id];
                (
                    format!("{} by {}", p.title, u.username),
                    u.username.clone(),
                    format!("{}/{}", render::WEB, u.permalink),
                    "playlists",
                    id,
                )
            }
            Target::User(id) => {
                let u = &store.users[&id];
                (
                    u.username.clone(),
                    u.username.clone(),
                    format!("{}/{}", render::WEB, u.permalink),
                    "users",
                    id,
                )
            }
        };
    let maxheight: u32 = q
        .get("maxheight")
        .and_then(|h| h.parse().ok())
        .unwrap_or(if kind == "tracks" { 166 } else { 450 });
    let auto_play = q.get("auto_play").unwrap_or("false");
    let src = format!(
        "https://w.soundcloud.com/player/?visual=true&url=https%3A%2F%2Fapi.soundcloud.com%2F{kind}%2F{urn}&show_artwork=true&auto_play={}",
        super::enc(auto_play)
    );
    let body = json!({
        "version": 1.0,
        "type": "rich",
        "provider_name": "SoundCloud",
        "provider_url": "https://soundcloud.com",
        "height": maxheight,
        "width": "100%",
        "title": title,
        "description": null,
        "author_name": author,
        "author_url": author_url,
        "html": format!("<iframe width=\"100%\" height=\"{maxheight}\" scrolling=\"no\" frameborder=\"no\" src=\"{src}\"></iframe>"),
    });
    match q.get("callback").filter(|_| q.get("format") == Some("js")) {
        Some(cb)
            if cb
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.') =>
        {
            Ok(axum::response::IntoResponse::into_response((
                [(
                    axum::http::header::CONTENT_TYPE,
                    "text/javascript; charset=utf-8",
                )],
                format!("{cb}({body});"),
            )))
        }
        _ => ok(&body),
    }
}
