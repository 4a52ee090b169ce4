use serde::{Deserialize, Serialize};

use super::{Timestamp, lenient_time};

/// The short user object inside a [`Comment`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CommentUser {
    #[serde(deserialize_with = "crate::urn::lenient_urn")]
    pub urn: Option<crate::UserUrn>,
    pub kind: Option<String>,
    pub permalink: Option<String>,
    pub username: Option<String>,
    pub uri: Option<String>,
    pub permalink_url: Option<String>,
    pub avatar_url: Option<String>,
    pub followers_count: Option<u64>,
    pub followings_count: Option<u64>,
    pub reposts_count: Option<u64>,
    #[serde(deserialize_with = "lenient_time")]
    pub last_modified: Option<Timestamp>,
}

/// A comment (the spec's `Comment`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Comment {
    #[serde(deserialize_with = "crate::urn::lenient_urn")]
    pub urn: Option<crate::CommentUrn>,
    /// Deprecated numeric id, still sent by the live service.
    pub id: Option<u64>,
    pub kind: Option<String>,
    pub body: Option<String>,
    #[serde(deserialize_with = "lenient_time")]
    pub created_at: Option<Timestamp>,
    /// Position in the track, in milliseconds: a string (`"12000"`) as the schema says, or a
    /// number as its example has it; either may be a float. Kept as sent; see
    /// [`Comment::position_ms`].
    pub timestamp: Option<serde_json::Value>,
    pub track_urn: Option<String>,
    pub user_urn: Option<String>,
    pub uri: Option<String>,
    pub user: Option<CommentUser>,
}

impl Comment {
    /// The comment's position in the track, in whole milliseconds (rounded), if it is
    /// timed: from an integer, a float, or a string of either (`"1234"`, `"1234.5"`).
    pub fn position_ms(&self) -> Option<u64> {
        let ms = match self.timestamp.as_ref()? {
            serde_json::Value::Number(n) => n.as_f64()?,
            serde_json::Value::String(s) => s.trim().parse::<f64>().ok()?,
            _ => return None,
        };
        // Below 2^53 every whole millisecond is exact; anything else is not a position.
        (ms.is_finite() && (0.0..9.0e15).contains(&ms)).then(|| ms.round() as u64)
    }
}
