use serde::{Deserialize, Serialize};

use super::{Access, Sharing, Timestamp, User, lenient_time};

/// A track (the spec's `Track`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Track {
    #[serde(deserialize_with = "crate::urn::lenient_urn")]
    pub urn: Option<crate::TrackUrn>,
    /// Deprecated numeric id, still sent by the live service.
    pub id: Option<u64>,
    pub kind: Option<String>,
    pub title: Option<String>,
    pub permalink: Option<String>,
    pub permalink_url: Option<String>,
    pub uri: Option<String>,
    pub secret_uri: Option<String>,
    pub artwork_url: Option<String>,
    pub waveform_url: Option<String>,
    /// Deprecated: serves a preview only.
    pub stream_url: Option<String>,
    pub description: Option<String>,
    pub genre: Option<String>,
    pub tag_list: Option<String>,
    pub bpm: Option<f64>,
    /// Length in milliseconds.
    pub duration: Option<u64>,
    #[serde(deserialize_with = "lenient_time")]
    pub created_at: Option<Timestamp>,
    pub sharing: Option<Sharing>,
    pub access: Option<Access>,
    pub streamable: Option<bool>,
    pub downloadable: Option<bool>,
    pub download_url: Option<String>,
    pub commentable: Option<bool>,
    pub comment_count: Option<u64>,
    pub favoritings_count: Option<u64>,
    pub reposts_count: Option<u64>,
    pub playback_count: Option<u64>,
    pub download_count: Option<u64>,
    pub user_favorite: Option<bool>,
    pub user_playback_count: Option<u64>,
    pub license: Option<String>,
    pub label_name: Option<String>,
    pub isrc: Option<String>,
    pub key_signature: Option<String>,
    pub metadata_artist: Option<String>,
    pub purchase_title: Option<String>,
    pub purchase_url: Option<String>,
    pub release: Option<String>,
    pub release_day: Option<u32>,
    pub release_month: Option<u32>,
    pub release_year: Option<u32>,
    pub embeddable_by: Option<String>,
    pub available_country_codes: Option<String>,
    pub reveal_stats: Option<bool>,
    pub reveal_comments: Option<bool>,
    pub user: Option<User>,
}

impl Track {
    /// Its URN, from `urn` or else the deprecated numeric `id`.
    pub fn track_urn(&self) -> Option<crate::TrackUrn> {
        self.urn.or_else(|| self.id.map(crate::TrackUrn::from))
    }

    /// The track's tags: `tag_list` split on spaces, quoted multi-word tags kept whole.
    pub fn tags(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut rest = self.tag_list.as_deref().unwrap_or("").trim();
        while !rest.is_empty() {
            let (tag, after) = match rest.strip_prefix('"') {
                Some(r) => r.split_once('"').unwrap_or((r, "")),
                None => rest.split_once(' ').unwrap_or((rest, "")),
            };
            if !tag.is_empty() {
                out.push(tag.to_string());
            }
            rest = after.trim_start();
        }
        out
    }
}
