//! Option structs for list calls and for track and playlist writes.

use serde_json::{Map, Value, json};

use crate::http::Req;
use crate::models::{Access, PlaylistKind, Sharing};
use crate::{PlaylistUrn, TrackUrn};

/// Sort order of a user's tracks (by upload date).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    /// Newest first (the service's default).
    #[default]
    Descending,
    /// Oldest first.
    Ascending,
}

/// Options of collection calls; each call uses those its endpoint documents.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListOptions {
    /// Page size, 1–200. Default: the service's 50.
    pub limit: Option<u32>,
    /// Only tracks with these access levels (empty: the endpoint's default, usually
    /// `playable,preview`).
    pub access: Vec<Access>,
    /// Include each playlist's tracks (playlist lists). `None` leaves them out: playlist
    /// lists then send `show_tracks=false`, since the service includes them by default.
    pub show_tracks: Option<bool>,
    /// Sort order (a user's tracks).
    pub sort: Option<Sort>,
}

impl ListOptions {
    /// These options for a playlist list: `show_tracks` said either way (unset: `false`).
    pub(crate) fn for_playlists(&self) -> ListOptions {
        ListOptions {
            show_tracks: Some(self.show_tracks.unwrap_or(false)),
            ..self.clone()
        }
    }

    pub(crate) fn apply(&self, mut req: Req) -> Req {
        if !self.access.is_empty() {
            req = req.query("access", super::access_csv(&self.access));
        }
        if let Some(s) = self.show_tracks {
            req = req.query("show_tracks", s);
        }
        if let Some(sort) = self.sort {
            req = req.query(
                "sort",
                if sort == Sort::Ascending {
                    "asc"
                } else {
                    "desc"
                },
            );
        }
        req
    }
}

/// Track metadata for uploads and updates; `None` fields are left as they are. Fields are
/// named as the API names them.
#[allow(missing_docs)]
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TrackFields {
    pub title: Option<String>,
    pub description: Option<String>,
    pub genre: Option<String>,
    /// Space-separated; quote multi-word tags (`"deep house"`).
    pub tag_list: Option<String>,
    pub sharing: Option<Sharing>,
    /// e.g. `all-rights-reserved`, `cc-by`.
    pub license: Option<String>,
    pub label_name: Option<String>,
    pub isrc: Option<String>,
    pub key_signature: Option<String>,
    /// Beats per minute.
    pub bpm: Option<f64>,
    pub release_year: Option<u32>,
    pub permalink: Option<String>,
    pub purchase_url: Option<String>,
    pub commentable: Option<bool>,
    pub downloadable: Option<bool>,
}

impl TrackFields {
    /// The fields as (name, JSON value) pairs.
    pub(crate) fn pairs(&self) -> Vec<(&'static str, Value)> {
        let mut v = Vec::new();
        let mut s = |k: &'static str, x: &Option<String>| {
            if let Some(x) = x {
                v.push((k, json!(x)));
            }
        };
        s("title", &self.title);
        s("description", &self.description);
        s("genre", &self.genre);
        s("tag_list", &self.tag_list);
        s("sharing", &self.sharing.as_ref().map(|x| x.to_string()));
        s("license", &self.license);
        s("label_name", &self.label_name);
        s("isrc", &self.isrc);
        s("key_signature", &self.key_signature);
        s("permalink", &self.permalink);
        s("purchase_url", &self.purchase_url);
        if let Some(b) = self.bpm {
            v.push(("bpm", json!(b)));
        }
        if let Some(y) = self.release_year {
            v.push(("release_year", json!(y)));
        }
        if let Some(b) = self.commentable {
            v.push(("commentable", json!(b)));
        }
        if let Some(b) = self.downloadable {
            v.push(("downloadable", json!(b)));
        }
        v
    }

    /// `{"track": {…}}`.
    pub(crate) fn to_json(&self) -> Value {
        let m: Map<String, Value> = self
            .pairs()
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        json!({ "track": m })
    }

    /// `track[…]` multipart text fields.
    pub(crate) fn form_fields(&self) -> Vec<(String, String)> {
        self.pairs()
            .into_iter()
            .map(|(k, v)| {
                (
                    format!("track[{k}]"),
                    v.as_str().map_or_else(|| v.to_string(), str::to_string),
                )
            })
            .collect()
    }
}

/// A playlist to create, or the changes to make to one (fields named as the API names them).
#[allow(missing_docs)]
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PlaylistDraft {
    pub title: Option<String>,
    pub description: Option<String>,
    pub sharing: Option<Sharing>,
    pub kind: Option<PlaylistKind>,
    pub genre: Option<String>,
    pub tag_list: Option<String>,
    /// The whole track list, in order (replaces the current one on update).
    pub tracks: Option<Vec<TrackUrn>>,
}

impl PlaylistDraft {
    pub(crate) fn to_json(&self) -> Value {
        let mut m = Map::new();
        let mut s = |k: &str, x: &Option<String>| {
            if let Some(x) = x {
                m.insert(k.to_string(), json!(x));
            }
        };
        s("title", &self.title);
        s("description", &self.description);
        s("genre", &self.genre);
        s("tag_list", &self.tag_list);
        s("sharing", &self.sharing.as_ref().map(|x| x.to_string()));
        if let Some(k) = self.kind {
            m.insert(
                "set_type".into(),
                json!(if k == PlaylistKind::Album {
                    "album"
                } else {
                    "playlist"
                }),
            );
        }
        if let Some(t) = &self.tracks {
            let list: Vec<Value> = t.iter().map(|u| json!({ "urn": u.to_string() })).collect();
            m.insert("tracks".into(), Value::Array(list));
        }
        json!({ "playlist": m })
    }
}

/// Path of a playlist.
pub(crate) fn playlist_path(p: PlaylistUrn) -> String {
    format!("/playlists/{p}")
}
