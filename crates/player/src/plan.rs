//! Resolution: from what the user named to a [`StreamPlan`]: which stream, where, whether it is
//! a preview, and whom to credit.

use std::str::FromStr;

use scplay_core::{Access, Client, PlaylistUrn, Track, TrackUrn};
use url::Url;

use crate::hls::{self, MediaPlaylist};
use crate::options::Prefer;
use crate::{PlayerError, fetch};

/// What to play.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A track by URN or numeric id.
    Track(TrackUrn),
    /// A playlist by URN (`soundcloud:playlists:123`): it expands into its tracks.
    Playlist(PlaylistUrn),
    /// A soundcloud.com page (track or playlist), resolved through the API.
    Page(String),
    /// A direct http(s) URL to an `.m3u8` media playlist or an audio file (no API).
    Direct(Url),
}

impl FromStr for Target {
    type Err = PlayerError;

    fn from_str(s: &str) -> Result<Self, PlayerError> {
        let s = s.trim();
        if let Ok(urn) = TrackUrn::parse(s) {
            return Ok(Target::Track(urn));
        }
        if s.starts_with("soundcloud:playlists:")
            && let Ok(urn) = PlaylistUrn::parse(s)
        {
            return Ok(Target::Playlist(urn));
        }
        let url = Url::parse(s).map_err(|_| {
            PlayerError::InvalidTarget(format!(
                "{s:?} is not a SoundCloud URL, a track URN or id, or an http(s) media URL"
            ))
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(PlayerError::InvalidTarget(format!(
                "unsupported scheme {}:",
                url.scheme()
            )));
        }
        let host = url.host_str().unwrap_or("").to_ascii_lowercase();
        if [
            "soundcloud.com",
            "www.soundcloud.com",
            "m.soundcloud.com",
            "on.soundcloud.com",
        ]
        .contains(&host.as_str())
        {
            Ok(Target::Page(s.to_string()))
        } else {
            Ok(Target::Direct(url))
        }
    }
}

/// Who made the track and where it lives, as SoundCloud's terms ask custom players to show.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrackInfo {
    /// The track's URN.
    pub urn: Option<String>,
    /// Title.
    pub title: Option<String>,
    /// The uploader's name (credit them as the creator).
    pub uploader: Option<String>,
    /// The track's SoundCloud URL (for a private track: the uploader's profile).
    pub link: Option<String>,
    /// Artwork URL.
    pub artwork_url: Option<String>,
    /// Length in milliseconds, from the metadata.
    pub duration_ms: Option<u64>,
}

impl TrackInfo {
    /// Attribution of an API track.
    pub fn from_track(t: &Track) -> Self {
        let private = t.sharing.as_deref() == Some("private");
        let profile = t.user.as_ref().and_then(|u| u.permalink_url.clone());
        Self {
            urn: t.urn.clone(),
            title: t.title.clone(),
            uploader: t.user.as_ref().and_then(|u| u.username.clone()),
            link: if private {
                profile
            } else {
                t.permalink_url.clone().or(profile)
            },
            artwork_url: t.artwork_url.clone(),
            duration_ms: t.duration,
        }
    }
}

/// Where the bytes come from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// An HLS media playlist (already fetched and checked).
    Hls {
        /// Its URL.
        url: Url,
        /// Its segments.
        playlist: std::sync::Arc<MediaPlaylist>,
    },
    /// One file, fetched with HTTP Range.
    File {
        /// Its URL.
        url: Url,
    },
}

/// A resolved stream.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamPlan {
    /// The media.
    pub source: Source,
    /// Whether this is the 30 s preview rather than the full track.
    pub preview: bool,
    /// Attribution.
    pub info: TrackInfo,
    /// The stream kind chosen (`hls_aac_160`, …, or `direct`).
    pub kind: String,
}

fn secret_token(t: &Track) -> Option<String> {
    let uri = t.secret_uri.as_deref()?;
    Url::parse(uri)
        .ok()?
        .query_pairs()
        .find(|(k, _)| k == "secret_token")
        .map(|(_, v)| v.into_owned())
}

/// Resolves a track of the API to a plan: blocked is refused before any media request; a
/// preview plays the preview; otherwise the preferred stream that is neither encrypted nor a
/// 30 s stand-in for the full track.
pub async fn resolve_track(
    client: &Client,
    http: &reqwest::Client,
    track: &Track,
    prefer: Prefer,
) -> Result<StreamPlan, PlayerError> {
    let info = TrackInfo::from_track(track);
    let urn: TrackUrn = track
        .urn
        .as_deref()
        .and_then(|u| TrackUrn::parse(u).ok())
        .or_else(|| track.id.map(TrackUrn::from))
        .ok_or_else(|| PlayerError::NoStream("the track has no id".into()))?;
    if track.access == Some(Access::Blocked) {
        return Err(PlayerError::Blocked {
            title: info.title.clone().unwrap_or_default(),
        });
    }
    let secret = secret_token(track);
    let streams = client.streams(urn, secret.as_deref()).await?;
    if track.access == Some(Access::Preview) {
        let url = streams.preview_mp3_128_url.as_deref().ok_or_else(|| {
            PlayerError::NoStream("a preview-only track without a preview stream".into())
        })?;
        let url = client.stream_location(url).await?;
        return Ok(StreamPlan {
            source: Source::File { url },
            preview: true,
            info,
            kind: "preview_mp3_128".into(),
        });
    }
    let order: [(&str, &Option<String>); 3] = match prefer {
        Prefer::Aac => [
            ("hls_aac_160", &streams.hls_aac_160_url),
            ("hls_aac_96", &streams.hls_aac_96_url),
            ("hls_mp3_128", &streams.hls_mp3_128_url),
        ],
        Prefer::Mp3 => [
            ("hls_mp3_128", &streams.hls_mp3_128_url),
            ("hls_aac_160", &streams.hls_aac_160_url),
            ("hls_aac_96", &streams.hls_aac_96_url),
        ],
    };
    let mut drm = None;
    for (kind, url) in order {
        let Some(api_url) = url else { continue };
        let mut url = client.stream_location(api_url).await?;
        let mut fetched = fetch::playlist(http, &url).await;
        if fetched.as_ref().is_err_and(fetch::expired) {
            // Signed a moment too early (or a clock apart): one fresh signature.
            url = client.stream_location(api_url).await?;
            fetched = fetch::playlist(http, &url).await;
        }
        match fetched {
            Ok(playlist) => {
                return Ok(StreamPlan {
                    source: Source::Hls {
                        url,
                        playlist: playlist.into(),
                    },
                    preview: false,
                    info,
                    kind: kind.into(),
                });
            }
            Err(e @ PlayerError::Drm { .. }) => drm = Some(e),
            Err(e) => return Err(e),
        }
    }
    if let Some(api_url) = &streams.http_mp3_128_url {
        let url = client.stream_location(api_url).await?;
        // Since 2026 this field mostly serves the 30 s preview: only a full file will do.
        if !url.path().contains("/preview/") {
            return Ok(StreamPlan {
                source: Source::File { url },
                preview: false,
                info,
                kind: "http_mp3_128".into(),
            });
        }
    }
    Err(drm.unwrap_or_else(|| {
        PlayerError::NoStream("the track offers no full-length stream this player can use".into())
    }))
}

/// How to resolve `track`'s stream `kind` again, for a freshly signed URL.
pub(crate) fn refresher(client: &Client, track: &Track, kind: &str) -> Option<fetch::Refresh> {
    let urn = track
        .urn
        .as_deref()
        .and_then(|u| TrackUrn::parse(u).ok())
        .or_else(|| track.id.map(TrackUrn::from))?;
    let secret = secret_token(track).map(scplay_core::Secret::new);
    let (client, kind) = (client.clone(), kind.to_string());
    Some(std::sync::Arc::new(move || {
        let (client, kind, secret) = (client.clone(), kind.clone(), secret.clone());
        Box::pin(async move {
            let streams = client
                .streams(urn, secret.as_ref().map(scplay_core::Secret::expose))
                .await?;
            let api_url = match kind.as_str() {
                "hls_aac_160" => streams.hls_aac_160_url,
                "hls_aac_96" => streams.hls_aac_96_url,
                "hls_mp3_128" => streams.hls_mp3_128_url,
                "http_mp3_128" => streams.http_mp3_128_url,
                "preview_mp3_128" => streams.preview_mp3_128_url,
                _ => None,
            }
            .ok_or_else(|| PlayerError::NoStream(format!("the {kind} stream went away")))?;
            Ok(client.stream_location(&api_url).await?)
        })
    }))
}

/// A plan for a direct media URL.
pub async fn resolve_direct(http: &reqwest::Client, url: &Url) -> Result<StreamPlan, PlayerError> {
    let info = TrackInfo {
        title: url
            .path_segments()
            .and_then(|mut s| s.next_back())
            .map(str::to_string),
        ..TrackInfo::default()
    };
    let source = if url.path().ends_with(".m3u8") {
        Source::Hls {
            url: url.clone(),
            playlist: fetch::playlist(http, url).await?.into(),
        }
    } else {
        Source::File { url: url.clone() }
    };
    Ok(StreamPlan {
        source,
        preview: false,
        info,
        kind: "direct".into(),
    })
}

/// Unused by HLS parsing but re-exported for users checking playlists themselves.
pub use hls::parse as parse_playlist;
