use serde::{Deserialize, Serialize};

use super::{Timestamp, lenient_time};

/// A user (the spec's `User`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct User {
    #[serde(deserialize_with = "crate::urn::lenient_urn")]
    pub urn: Option<crate::UserUrn>,
    /// Deprecated numeric id, still sent by the live service.
    pub id: Option<u64>,
    pub kind: Option<String>,
    pub username: Option<String>,
    pub permalink: Option<String>,
    pub permalink_url: Option<String>,
    pub uri: Option<String>,
    pub avatar_url: Option<String>,
    pub full_name: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub city: Option<String>,
    pub country: Option<String>,
    pub description: Option<String>,
    pub discogs_name: Option<String>,
    pub website: Option<String>,
    pub website_title: Option<String>,
    #[serde(deserialize_with = "lenient_time")]
    pub created_at: Option<Timestamp>,
    #[serde(deserialize_with = "lenient_time")]
    pub last_modified: Option<Timestamp>,
    pub followers_count: Option<u64>,
    pub followings_count: Option<u64>,
    pub plan: Option<String>,
    pub playlist_count: Option<u64>,
    pub public_favorites_count: Option<u64>,
    pub reposts_count: Option<u64>,
    pub track_count: Option<u64>,
    pub subscriptions: Option<Vec<Subscription>>,
}

/// A subscription of a user (`subscriptions[]`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Subscription {
    pub product: Option<serde_json::Value>,
    pub recurring: Option<bool>,
}

/// Upload quota of [`Me`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Quota {
    pub unlimited_upload_quota: Option<bool>,
    pub upload_seconds_used: Option<u64>,
    pub upload_seconds_left: Option<u64>,
}

/// The signed-in user (the spec's `Me`): a [`User`] and private counters.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Me {
    #[serde(flatten)]
    pub user: User,
    pub comments_count: Option<u64>,
    pub likes_count: Option<u64>,
    pub locale: Option<String>,
    pub online: Option<bool>,
    pub primary_email_confirmed: Option<bool>,
    pub private_playlists_count: Option<u64>,
    pub private_tracks_count: Option<u64>,
    pub quota: Option<Quota>,
    pub upload_seconds_left: Option<u64>,
}

/// A user's link to another service (`WebProfiles[]`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct WebProfile {
    pub urn: Option<String>,
    pub kind: Option<String>,
    pub service: Option<String>,
    pub title: Option<String>,
    pub url: Option<String>,
    pub username: Option<String>,
    #[serde(deserialize_with = "lenient_time")]
    pub created_at: Option<Timestamp>,
}

impl User {
    /// Its URN, from `urn` or else the deprecated numeric `id`.
    pub fn user_urn(&self) -> Option<crate::UserUrn> {
        self.urn.or_else(|| self.id.map(crate::UserUrn::from))
    }
}
