//! What `sc` commands accept as a track, playlist or user: a URN, a numeric id, a
//! soundcloud.com URL, or a permalink path (`artist`, `artist/track`, `artist/sets/name`),
//! the last two through `/resolve`.

use scplay::core::{Client, Error, PlaylistUrn, Resource, TrackUrn, UserUrn};

use crate::fail::{Fail, api, usage};

/// The soundcloud.com URL of `s`, when it is a URL or a permalink path rather than an id.
fn page(s: &str) -> Option<String> {
    let s = s.trim();
    if s.starts_with("http://") || s.starts_with("https://") {
        Some(s.to_string())
    } else if !s.is_empty()
        && !s.starts_with("soundcloud:")
        && !s.bytes().all(|b| b.is_ascii_digit())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_/".contains(&b))
    {
        Some(format!("https://soundcloud.com/{}", s.trim_matches('/')))
    } else {
        None
    }
}

/// What `s` names, through `/resolve`; `what` names the expected kind for messages.
async fn resolve(client: &Client, s: &str, url: &str, what: &str) -> Result<Resource, Fail> {
    client.resolve(url).await.map_err(|e| match e {
        Error::NotFound { .. } => Fail(
            3,
            format!("nothing found at {s}: check the link (a private {what} needs a sign-in)."),
        ),
        e => api(e),
    })
}

fn wrong(s: &str, what: &str) -> Fail {
    usage(format!("{s} is not a {what}."))
}

/// A track: URN, id, URL or `artist/track`.
pub async fn track(client: &Client, s: &str) -> Result<TrackUrn, Fail> {
    let Some(url) = page(s) else {
        return TrackUrn::parse(s).map_err(usage);
    };
    match resolve(client, s, &url, "track").await? {
        Resource::Track(t) => id_of(t.track_urn(), s),
        _ => Err(wrong(s, "track")),
    }
}

/// A playlist: URN, id, URL or `artist/sets/name`.
pub async fn playlist(client: &Client, s: &str) -> Result<PlaylistUrn, Fail> {
    let Some(url) = page(s) else {
        return PlaylistUrn::parse(s).map_err(usage);
    };
    match resolve(client, s, &url, "playlist").await? {
        Resource::Playlist(p) => id_of(p.playlist_urn(), s),
        _ => Err(wrong(s, "playlist")),
    }
}

/// A user: URN, id, URL or permalink (`lena-tide`).
pub async fn user(client: &Client, s: &str) -> Result<UserUrn, Fail> {
    let Some(url) = page(s) else {
        return UserUrn::parse(s).map_err(usage);
    };
    match resolve(client, s, &url, "user").await? {
        Resource::User(u) => id_of(u.user_urn(), s),
        _ => Err(wrong(s, "user")),
    }
}

fn id_of<U>(urn: Option<U>, s: &str) -> Result<U, Fail> {
    urn.ok_or_else(|| Fail(1, format!("SoundCloud gave no id for {s}.")))
}
