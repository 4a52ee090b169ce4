//! JSON bodies in the shapes of the spec's schemas (and the live service's extra `id`).

use serde_json::{Value, json};

use crate::model::{Comment, Playlist, Store, Track, User, WebProfile};
use crate::time::format_sc;

/// The public site's origin, used in `permalink_url`s as the live service does.
pub const WEB: &str = "https://soundcloud.com";

/// Origins the rendered bodies point at.
#[derive(Debug, Clone)]
pub struct Origins {
    pub api: String,
    pub cdn: String,
}

/// Removes `keys` whose value is `null`: fields the spec types as non-nullable and no example
/// of it leaves `null` are left out when there is no value, rather than sent as `null`.
fn omit_nulls(mut v: Value, keys: &[&str]) -> Value {
    if let Value::Object(m) = &mut v {
        for k in keys {
            if m.get(*k).is_some_and(Value::is_null) {
                m.remove(*k);
            }
        }
    }
    v
}

pub fn user(o: &Origins, s: &Store, u: &User) -> Value {
    let count = |f: &dyn Fn(&Track) -> bool| s.tracks.values().filter(|t| f(t)).count();
    let v = json!({
        "kind": "user",
        "id": u.id,
        "urn": format!("soundcloud:users:{}", u.id),
        "username": u.username,
        "permalink": u.permalink,
        "permalink_url": format!("{WEB}/{}", u.permalink),
        "uri": format!("{}/users/soundcloud:users:{}", o.api, u.id),
        "avatar_url": format!("{}/avatars/{}-large.jpg", o.cdn, u.id),
        "full_name": u.full_name,
        "first_name": u.full_name.split(' ').next(),
        "last_name": u.full_name.split_once(' ').map(|(_, l)| l),
        "city": u.city,
        "country": u.country,
        "description": u.description,
        "discogs_name": null,
        "website": null,
        "website_title": null,
        "created_at": format_sc(u.created_at),
        "last_modified": format_sc(u.created_at),
        "followers_count": s.follows.iter().filter(|(_, b)| *b == u.id).count(),
        "followings_count": s.follows.iter().filter(|(a, _)| *a == u.id).count(),
        "plan": u.plan,
        "playlist_count": s.playlists.values().filter(|p| p.user_id == u.id && p.public).count(),
        "public_favorites_count": s.track_likes.iter().filter(|(a, _)| *a == u.id).count(),
        "reposts_count": s.track_reposts.iter().filter(|(a, _)| *a == u.id).count(),
        "track_count": count(&|t| t.user_id == u.id && t.public),
        "subscriptions": [],
    });
    omit_nulls(v, &["city", "country", "first_name", "last_name"])
}

pub fn me(o: &Origins, s: &Store, u: &User) -> Value {
    let mut v = user(o, s, u);
    let private = |f: &dyn Fn(&Track) -> bool| s.tracks.values().filter(|t| f(t)).count();
    if let Value::Object(m) = &mut v {
        m.insert("comments_count".into(), json!(0));
        m.insert(
            "likes_count".into(),
            json!(s.track_likes.iter().filter(|(a, _)| *a == u.id).count()),
        );
        m.insert("locale".into(), json!("en"));
        m.insert("online".into(), json!(true));
        m.insert("primary_email_confirmed".into(), json!(true));
        m.insert(
            "private_playlists_count".into(),
            json!(
                s.playlists
                    .values()
                    .filter(|p| p.user_id == u.id && !p.public)
                    .count()
            ),
        );
        m.insert(
            "private_tracks_count".into(),
            json!(private(&|t| t.user_id == u.id && !t.public)),
        );
        m.insert(
            "quota".into(),
            json!({"unlimited_upload_quota": true, "upload_seconds_used": 0, "upload_seconds_left": null}),
        );
        m.insert("upload_seconds_left".into(), json!(null));
        m.insert(
            "subscriptions".into(),
            json!([{"product": {"id": "creator-pro-unlimited", "name": u.plan}, "recurring": true}]),
        );
    }
    v
}

fn permalink_url(s: &Store, user_id: u64, tail: &str, secret: Option<&str>) -> String {
    let owner = s
        .users
        .get(&user_id)
        .map_or("unknown", |u| u.permalink.as_str());
    match secret {
        Some(token) => format!("{WEB}/{owner}/{tail}/{token}"),
        None => format!("{WEB}/{owner}/{tail}"),
    }
}

pub fn track(o: &Origins, s: &Store, t: &Track, viewer: Option<u64>) -> Value {
    let urn = format!("soundcloud:tracks:{}", t.id);
    let owner = s.users.get(&t.user_id);
    let secret = if t.public {
        None
    } else {
        t.secret_token.as_deref()
    };
    let streamable = t.access != crate::model::Access::Blocked;
    let v = json!({
        "kind": "track",
        "id": t.id,
        "urn": urn,
        "title": t.title,
        "permalink": t.permalink,
        "permalink_url": permalink_url(s, t.user_id, &t.permalink, secret),
        "uri": format!("{}/tracks/{}", o.api, t.id),
        "secret_uri": secret.map(|k| format!("{}/tracks/{}?secret_token={k}", o.api, t.id)),
        "artwork_url": t.artwork.as_ref().map(|_| format!("{}/artworks/{}-large.jpg", o.cdn, t.id)),
        "waveform_url": format!("{}/waveforms/{}.png", o.cdn, t.id),
        "stream_url": streamable.then(|| format!("{}/tracks/{urn}/stream", o.api)),
        "description": t.description,
        "genre": t.genre,
        "tag_list": t.tag_list,
        "bpm": t.bpm,
        "duration": t.duration_ms,
        "created_at": format_sc(t.created_at),
        "sharing": if t.public { "public" } else { "private" },
        "access": t.access.as_str(),
        "streamable": streamable,
        "downloadable": t.downloadable,
        "download_url": null,
        "commentable": t.commentable,
        "comment_count": s.comments.values().filter(|c| c.track_id == t.id).count(),
        "favoritings_count": s.track_likes.iter().filter(|(_, b)| *b == t.id).count(),
        "reposts_count": s.track_reposts.iter().filter(|(_, b)| *b == t.id).count(),
        "playback_count": t.playback_count,
        "download_count": 0,
        "user_favorite": viewer.is_some_and(|v| s.track_likes.contains(&(v, t.id))),
        "user_playback_count": 0,
        "license": t.license,
        "label_name": t.label_name,
        "isrc": t.isrc,
        "key_signature": t.key_signature,
        "metadata_artist": null,
        "purchase_title": null,
        "purchase_url": null,
        "release": null,
        "release_day": null,
        "release_month": null,
        "release_year": t.release_year,
        "embeddable_by": "all",
        "available_country_codes": null,
        "reveal_stats": true,
        "reveal_comments": true,
        "user": owner.map(|u| user(o, s, u)),
    });
    omit_nulls(
        v,
        &["artwork_url", "stream_url", "genre", "metadata_artist"],
    )
}

pub fn playlist(
    o: &Origins,
    s: &Store,
    p: &Playlist,
    viewer: Option<u64>,
    show_tracks: bool,
) -> Value {
    let secret = if p.public {
        None
    } else {
        p.secret_token.as_deref()
    };
    let tail = format!("sets/{}", p.permalink);
    let visible: Vec<&Track> = p
        .tracks
        .iter()
        .filter_map(|id| s.tracks.get(id))
        .filter(|t| s.track_visible(t, viewer, None) || !p.public)
        .collect();
    let mut v = json!({
        "kind": "playlist",
        "id": p.id,
        "urn": format!("soundcloud:playlists:{}", p.id),
        "title": p.title,
        "permalink": p.permalink,
        "permalink_url": permalink_url(s, p.user_id, &tail, secret),
        "uri": format!("{}/playlists/{}", o.api, p.id),
        "tracks_uri": format!("{}/playlists/soundcloud:playlists:{}/tracks", o.api, p.id),
        "artwork_url": null,
        "description": p.description,
        "genre": p.genre,
        "tag_list": p.tag_list,
        "tags": p.tag_list,
        "sharing": if p.public { "public" } else { "private" },
        "playlist_type": if p.set_type == "album" { "album" } else { "playlist" },
        "type": p.set_type,
        "created_at": format_sc(p.created_at),
        "last_modified": format_sc(p.last_modified),
        "duration": visible.iter().map(|t| t.duration_ms).sum::<u64>(),
        "track_count": p.tracks.len(),
        "likes_count": s.playlist_likes.iter().filter(|(_, b)| *b == p.id).count(),
        "downloadable": false,
        "streamable": true,
        "embeddable_by": "all",
        "ean": null,
        "label": null,
        "label_id": null,
        "label_name": null,
        "license": "all-rights-reserved",
        "purchase_title": null,
        "purchase_url": null,
        "release": null,
        "release_day": null,
        "release_month": null,
        "release_year": null,
        "user_id": p.user_id,
        "user_urn": format!("soundcloud:users:{}", p.user_id),
        "user": s.users.get(&p.user_id).map(|u| user(o, s, u)),
    });
    v = omit_nulls(v, &["artwork_url", "genre"]);
    if show_tracks && let Value::Object(m) = &mut v {
        let tracks: Vec<Value> = visible.iter().map(|t| track(o, s, t, viewer)).collect();
        m.insert("tracks".into(), Value::Array(tracks));
    }
    v
}

pub fn comment(o: &Origins, s: &Store, c: &Comment) -> Value {
    let u = s.users.get(&c.user_id);
    let v = json!({
        "kind": "comment",
        "id": c.id,
        "urn": format!("soundcloud:comments:{}", c.id),
        "body": c.body,
        "created_at": format_sc(c.created_at),
        "timestamp": c.timestamp_ms.map(|t| t.to_string()),
        "track_urn": format!("soundcloud:tracks:{}", c.track_id),
        "user_urn": format!("soundcloud:users:{}", c.user_id),
        "uri": format!("{}/comments/soundcloud:comments:{}", o.api, c.id),
        "user": u.map(|u| json!({
            "urn": format!("soundcloud:users:{}", u.id),
            "kind": "user",
            "permalink": u.permalink,
            "username": u.username,
            "last_modified": format_sc(u.created_at),
            "uri": format!("{}/users/soundcloud:users:{}", o.api, u.id),
            "permalink_url": format!("{WEB}/{}", u.permalink),
            "avatar_url": format!("{}/avatars/{}-large.jpg", o.cdn, u.id),
            "followers_count": s.follows.iter().filter(|(_, b)| *b == u.id).count(),
            "followings_count": s.follows.iter().filter(|(a, _)| *a == u.id).count(),
            "reposts_count": s.track_reposts.iter().filter(|(a, _)| *a == u.id).count(),
        })),
    });
    // An untimed comment has no `timestamp` (typed `string`, never `null` in the spec).
    omit_nulls(v, &["timestamp"])
}

pub fn web_profile(w: &WebProfile) -> Value {
    json!({
        "kind": "web-profile",
        "urn": format!("soundcloud:web-profiles:{}", w.id),
        "service": w.service,
        "title": w.title,
        "url": w.url,
        "username": w.username,
        "created_at": format_sc(w.created_at),
    })
}
