use serde::{Deserialize, Serialize};

use super::{Sharing, Timestamp, Track, User, lenient_time};

/// `album` or `playlist` (`set_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PlaylistKind {
    /// An album.
    Album,
    /// A playlist.
    Playlist,
}

/// A playlist or album (the spec's `Playlist`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Playlist {
    #[serde(deserialize_with = "crate::urn::lenient_urn")]
    pub urn: Option<crate::PlaylistUrn>,
    /// Deprecated numeric id, still sent by the live service.
    pub id: Option<u64>,
    pub kind: Option<String>,
    pub title: Option<String>,
    pub permalink: Option<String>,
    pub permalink_url: Option<String>,
    pub uri: Option<String>,
    pub tracks_uri: Option<String>,
    pub artwork_url: Option<String>,
    pub description: Option<String>,
    pub genre: Option<String>,
    pub tag_list: Option<String>,
    pub tags: Option<String>,
    pub sharing: Option<Sharing>,
    pub playlist_type: Option<String>,
    #[serde(rename = "type")]
    pub set_type: Option<String>,
    #[serde(deserialize_with = "lenient_time")]
    pub created_at: Option<Timestamp>,
    #[serde(deserialize_with = "lenient_time")]
    pub last_modified: Option<Timestamp>,
    /// Total length in milliseconds.
    pub duration: Option<u64>,
    pub track_count: Option<u64>,
    pub likes_count: Option<u64>,
    pub downloadable: Option<bool>,
    pub streamable: Option<bool>,
    pub embeddable_by: Option<String>,
    pub ean: Option<String>,
    pub label: Option<User>,
    pub label_id: Option<u64>,
    pub label_name: Option<String>,
    pub license: Option<String>,
    pub purchase_title: Option<String>,
    pub purchase_url: Option<String>,
    pub release: Option<String>,
    pub release_day: Option<u32>,
    pub release_month: Option<u32>,
    pub release_year: Option<u32>,
    pub user_id: Option<u64>,
    pub user_urn: Option<String>,
    pub user: Option<User>,
    /// Absent with `show_tracks=false`; may hold fewer than `track_count` (access filtering).
    pub tracks: Option<Vec<Track>>,
}

impl Playlist {
    /// Its URN, from `urn` or else the deprecated numeric `id`.
    pub fn playlist_urn(&self) -> Option<crate::PlaylistUrn> {
        self.urn.or_else(|| self.id.map(crate::PlaylistUrn::from))
    }
}
