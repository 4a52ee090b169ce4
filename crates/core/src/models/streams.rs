use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The stream URLs of a track (`/tracks/{urn}/streams`). Each is an API URL that needs the
/// token and answers 302 to a signed CDN URL. The map is open-ended: fields the spec lacks
/// (`hls_aac_96_url`, …) land in `other`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Streams {
    pub hls_aac_160_url: Option<String>,
    pub hls_aac_96_url: Option<String>,
    pub hls_mp3_128_url: Option<String>,
    /// Deprecated; on the live service a 30 s preview for most tracks since 2026.
    pub http_mp3_128_url: Option<String>,
    pub preview_mp3_128_url: Option<String>,
    /// Any other `*_url` the service sends.
    #[serde(flatten)]
    pub other: BTreeMap<String, serde_json::Value>,
}

/// A track's storefront (buy module).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Storefront {
    pub track_urn: Option<String>,
    pub title: Option<String>,
    /// `digital`, `vinyl`, `cd`, `cassette`, `apparel`, `sample_pack`, `subscription`,
    /// `live_event`, `live_stream` or `other`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub link: Option<String>,
    pub link_title: Option<String>,
    pub description: Option<String>,
    pub image_url: Option<String>,
    pub price: Option<String>,
}
