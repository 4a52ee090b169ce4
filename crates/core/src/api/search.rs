//! Search of tracks, users and playlists, with every filter, as builders.

use std::ops::RangeInclusive;

use reqwest::Method;

use crate::http::Req;
use crate::models::{Access, Playlist, Timestamp, Track, User};
use crate::pagination::Items;
use crate::{Client, TrackUrn, UserUrn};

/// A track search (`GET /tracks`).
///
/// ```no_run
/// # async fn run(client: scplay_core::Client) -> scplay_core::Result<()> {
/// use futures_util::TryStreamExt;
/// use scplay_core::{Access, TrackSearch};
/// let found: Vec<_> = client
///     .search_tracks(&TrackSearch::new("night drive").genres(["House", "Techno"]).bpm(118.0..=128.0).access([Access::Playable]))
///     .try_collect()
///     .await?;
/// # Ok(()) }
/// ```
#[must_use]
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TrackSearch {
    q: Option<String>,
    urns: Vec<TrackUrn>,
    genres: Vec<String>,
    tags: Vec<String>,
    bpm: (Option<f64>, Option<f64>),
    duration_ms: (Option<u64>, Option<u64>),
    created_at: (Option<Timestamp>, Option<Timestamp>),
    access: Vec<Access>,
    limit: Option<u32>,
}

fn fmt_filter_time(t: Timestamp) -> String {
    // `yyyy-mm-dd hh:mm:ss`, from the `yyyy/mm/dd hh:mm:ss +0000` display form.
    let s = t.to_string();
    s.get(..19).unwrap_or(&s).replace('/', "-")
}

impl TrackSearch {
    /// Tracks matching `q` in title, username, description or tags (empty: any).
    pub fn new(q: impl Into<String>) -> Self {
        let q = q.into();
        Self {
            q: (!q.is_empty()).then_some(q),
            ..Self::default()
        }
    }

    /// Only these tracks.
    pub fn urns(mut self, urns: impl IntoIterator<Item = TrackUrn>) -> Self {
        self.urns = urns.into_iter().collect();
        self
    }

    /// Any of these genres.
    pub fn genres<S: Into<String>>(mut self, genres: impl IntoIterator<Item = S>) -> Self {
        self.genres = genres.into_iter().map(Into::into).collect();
        self
    }

    /// Any of these tags.
    pub fn tags<S: Into<String>>(mut self, tags: impl IntoIterator<Item = S>) -> Self {
        self.tags = tags.into_iter().map(Into::into).collect();
        self
    }

    /// Beats per minute within `range`.
    pub fn bpm(mut self, range: RangeInclusive<f64>) -> Self {
        self.bpm = (Some(*range.start()), Some(*range.end()));
        self
    }

    /// Length within `range`, in milliseconds.
    pub fn duration_ms(mut self, range: RangeInclusive<u64>) -> Self {
        self.duration_ms = (Some(*range.start()), Some(*range.end()));
        self
    }

    /// Created at or after `from` and/or at or before `to`.
    pub fn created_between(mut self, from: Option<Timestamp>, to: Option<Timestamp>) -> Self {
        self.created_at = (from, to);
        self
    }

    /// Only these access levels (default: playable and preview).
    pub fn access(mut self, access: impl IntoIterator<Item = Access>) -> Self {
        self.access = access.into_iter().collect();
        self
    }

    /// Page size, 1–200.
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = Some(limit);
        self
    }

    fn apply(&self, mut r: Req) -> Req {
        let csv = |v: &[String]| v.join(",");
        if let Some(q) = &self.q {
            r = r.query("q", q);
        }
        if !self.urns.is_empty() {
            r = r.query(
                "urns",
                self.urns
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(","),
            );
        }
        if !self.genres.is_empty() {
            r = r.query("genres", csv(&self.genres));
        }
        if !self.tags.is_empty() {
            r = r.query("tags", csv(&self.tags));
        }
        for (name, (from, to)) in [
            ("bpm", self.bpm),
            (
                "duration",
                (
                    self.duration_ms.0.map(|d| d as f64),
                    self.duration_ms.1.map(|d| d as f64),
                ),
            ),
        ] {
            if let Some(f) = from {
                r = r.query(&format!("{name}[from]"), f);
            }
            if let Some(t) = to {
                r = r.query(&format!("{name}[to]"), t);
            }
        }
        if let Some(f) = self.created_at.0 {
            r = r.query("created_at[from]", fmt_filter_time(f));
        }
        if let Some(t) = self.created_at.1 {
            r = r.query("created_at[to]", fmt_filter_time(t));
        }
        if !self.access.is_empty() {
            r = r.query("access", super::access_csv(&self.access));
        }
        r
    }
}

/// A user search (`GET /users`).
#[must_use]
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UserSearch {
    q: Option<String>,
    urns: Vec<UserUrn>,
    limit: Option<u32>,
}

impl UserSearch {
    /// Users matching `q` (empty: any).
    pub fn new(q: impl Into<String>) -> Self {
        let q = q.into();
        Self {
            q: (!q.is_empty()).then_some(q),
            ..Self::default()
        }
    }

    /// Only these users.
    pub fn urns(mut self, urns: impl IntoIterator<Item = UserUrn>) -> Self {
        self.urns = urns.into_iter().collect();
        self
    }

    /// Page size, 1–200.
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = Some(limit);
        self
    }
}

/// A playlist search (`GET /playlists`).
#[must_use]
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PlaylistSearch {
    q: Option<String>,
    access: Vec<Access>,
    show_tracks: Option<bool>,
    limit: Option<u32>,
}

impl PlaylistSearch {
    /// Playlists matching `q` (empty: any).
    pub fn new(q: impl Into<String>) -> Self {
        let q = q.into();
        Self {
            q: (!q.is_empty()).then_some(q),
            ..Self::default()
        }
    }

    /// Only playlists with tracks of these access levels.
    pub fn access(mut self, access: impl IntoIterator<Item = Access>) -> Self {
        self.access = access.into_iter().collect();
        self
    }

    /// Include each playlist's tracks (default: left out, sent as `show_tracks=false`).
    pub fn show_tracks(mut self, show: bool) -> Self {
        self.show_tracks = Some(show);
        self
    }

    /// Page size, 1–200.
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = Some(limit);
        self
    }
}

impl Client {
    fn search<T: serde::de::DeserializeOwned + Send + 'static>(
        &self,
        path: &str,
        build: impl FnOnce(Req) -> Req,
        limit: Option<u32>,
    ) -> Items<T> {
        match self.api_url(path) {
            Ok(url) => self.items(build(Req::new(Method::GET, url)), limit),
            Err(e) => Box::pin(futures_util::stream::once(async move { Err(e) })),
        }
    }

    /// `GET /tracks` with every filter of `search`.
    pub fn search_tracks(&self, search: &TrackSearch) -> Items<Track> {
        self.search("/tracks", |r| search.apply(r), search.limit)
    }

    /// `GET /users`.
    pub fn search_users(&self, search: &UserSearch) -> Items<User> {
        self.search(
            "/users",
            |mut r| {
                if let Some(q) = &search.q {
                    r = r.query("q", q);
                }
                if !search.urns.is_empty() {
                    r = r.query(
                        "urns",
                        search
                            .urns
                            .iter()
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                            .join(","),
                    );
                }
                r
            },
            search.limit,
        )
    }

    /// `GET /playlists`.
    pub fn search_playlists(&self, search: &PlaylistSearch) -> Items<Playlist> {
        self.search(
            "/playlists",
            |mut r| {
                if let Some(q) = &search.q {
                    r = r.query("q", q);
                }
                if !search.access.is_empty() {
                    r = r.query("access", super::access_csv(&search.access));
                }
                // The service includes the tracks unless told not to.
                r = r.query("show_tracks", search.show_tracks.unwrap_or(false));
                r
            },
            search.limit,
        )
    }
}
