//! The emulator's in-memory records. JSON shapes live in `render.rs`.

use std::collections::{BTreeMap, BTreeSet};

use crate::media::MediaSpec;

/// `playable`, `preview` or `blocked`, as the API reports a track's `access`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// The full track streams.
    Playable,
    /// Only a 30 s preview streams.
    Preview,
    /// Metadata only.
    Blocked,
}

impl Access {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Access::Playable => "playable",
            Access::Preview => "preview",
            Access::Blocked => "blocked",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "playable" => Some(Access::Playable),
            "preview" => Some(Access::Preview),
            "blocked" => Some(Access::Blocked),
            _ => None,
        }
    }
}

/// A user account.
#[derive(Debug, Clone)]
pub struct User {
    pub id: u64,
    pub username: String,
    pub permalink: String,
    pub full_name: String,
    pub city: Option<String>,
    pub country: Option<String>,
    pub description: Option<String>,
    pub created_at: i64,
    pub plan: &'static str,
}

/// A track and its settings.
#[derive(Debug, Clone)]
pub struct Track {
    pub id: u64,
    pub user_id: u64,
    pub title: String,
    pub permalink: String,
    pub description: Option<String>,
    pub genre: Option<String>,
    pub tag_list: String,
    pub bpm: Option<f64>,
    pub created_at: i64,
    pub public: bool,
    pub secret_token: Option<String>,
    pub access: Access,
    pub commentable: bool,
    pub downloadable: bool,
    pub license: String,
    pub label_name: Option<String>,
    pub isrc: Option<String>,
    pub key_signature: Option<String>,
    pub release_year: Option<u32>,
    pub artwork: Option<Vec<u8>>,
    pub playback_count: u64,
    pub media: MediaSpec,
    pub duration_ms: u64,
    /// Whether `http_mp3_128_url` serves the full track (legacy MP3-only tracks) or, as on the
    /// live service since 2026, the 30 s preview.
    pub progressive_full: bool,
    pub storefront: Option<serde_json::Value>,
}

/// A playlist or album.
#[derive(Debug, Clone)]
pub struct Playlist {
    pub id: u64,
    pub user_id: u64,
    pub title: String,
    pub permalink: String,
    pub description: Option<String>,
    pub genre: Option<String>,
    pub tag_list: String,
    pub public: bool,
    pub secret_token: Option<String>,
    pub set_type: String,
    pub created_at: i64,
    pub last_modified: i64,
    pub tracks: Vec<u64>,
}

/// A (possibly timed) comment.
#[derive(Debug, Clone)]
pub struct Comment {
    pub id: u64,
    pub track_id: u64,
    pub user_id: u64,
    pub body: String,
    pub timestamp_ms: Option<u64>,
    pub created_at: i64,
}

/// A user's link to another service.
#[derive(Debug, Clone)]
pub struct WebProfile {
    pub id: u64,
    pub user_id: u64,
    pub service: String,
    pub title: String,
    pub url: String,
    pub username: Option<String>,
    pub created_at: i64,
}

/// Everything the API serves.
#[derive(Debug, Default)]
pub struct Store {
    pub users: BTreeMap<u64, User>,
    pub tracks: BTreeMap<u64, Track>,
    pub playlists: BTreeMap<u64, Playlist>,
    pub comments: BTreeMap<u64, Comment>,
    pub web_profiles: Vec<WebProfile>,
    /// (user, track)
    pub track_likes: BTreeSet<(u64, u64)>,
    /// (user, playlist)
    pub playlist_likes: BTreeSet<(u64, u64)>,
    /// (user, track)
    pub track_reposts: BTreeSet<(u64, u64)>,
    /// (user, playlist)
    pub playlist_reposts: BTreeSet<(u64, u64)>,
    /// (follower, followed)
    pub follows: BTreeSet<(u64, u64)>,
    /// user → most recent first
    pub recently_played: BTreeMap<u64, Vec<u64>>,
    pub next_id: u64,
    /// user → when they commented or liked (for the spam-warning 429)
    pub actions: BTreeMap<u64, Vec<std::time::Instant>>,
    /// The play-quota window: (start, Unix seconds; stream requests in it)
    pub plays: Option<(i64, u32)>,
}

impl Store {
    /// A fresh id for a new resource.
    pub fn new_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// Whether `viewer` may see `track` (public, owned, or unlocked by its secret token).
    pub fn track_visible(&self, t: &Track, viewer: Option<u64>, secret: Option<&str>) -> bool {
        t.public
            || viewer == Some(t.user_id)
            || (secret.is_some() && secret == t.secret_token.as_deref())
    }

    /// Whether `viewer` may see `playlist`.
    pub fn playlist_visible(
        &self,
        p: &Playlist,
        viewer: Option<u64>,
        secret: Option<&str>,
    ) -> bool {
        p.public
            || viewer == Some(p.user_id)
            || (secret.is_some() && secret == p.secret_token.as_deref())
    }

    /// A user by permalink.
    pub fn user_by_permalink(&self, permalink: &str) -> Option<&User> {
        self.users.values().find(|u| u.permalink == permalink)
    }
}
