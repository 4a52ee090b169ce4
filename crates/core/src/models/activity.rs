use serde::{Deserialize, Serialize};

use super::{Timestamp, lenient_time};

/// One feed item: an upload or repost of a track or playlist.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Activity {
    /// `track`, `track:repost`, `playlist` or `playlist:repost`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    #[serde(deserialize_with = "lenient_time")]
    pub created_at: Option<Timestamp>,
    /// The reposting user's URN, for reposts.
    pub reposter: Option<String>,
    /// The track or playlist (check `kind` to tell which).
    pub origin: Option<serde_json::Value>,
}

/// A page of activities.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Activities {
    pub collection: Vec<Activity>,
    pub next_href: Option<String>,
    pub future_href: Option<String>,
}
