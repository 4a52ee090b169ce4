//! Resolution: from what the user named to a [`StreamPlan`]: which stream, where, whether it is
//! a preview, and whom to credit.

use std::str::FromStr;

use scplay_core::{Access, Client, PlaylistUrn, Sharing, Track, TrackUrn};
use url::Url;

use crate::hls::MediaPlaylist;
use crate::options::Prefer;
use crate::{PlayerError, fetch};

/// What to play. Its `Debug` hides secrets (see [`Target::shown`]).
#[derive(Clone, PartialEq, Eq)]
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

impl Target {
    /// The target as it may be logged or shown: URNs as they are, URLs without their query
    /// (a CDN signature) or fragment, pages also without a private link's `s-…` token.
    pub fn shown(&self) -> String {
        match self {
            Target::Track(urn) => urn.to_string(),
            Target::Playlist(urn) => urn.to_string(),
            Target::Direct(url) => crate::error::shown(url),
            Target::Page(page) => page
                .split(['?', '#'])
                .next()
                .unwrap_or("")
                .split('/')
                .map(|seg| if seg.starts_with("s-") { "s-…" } else { seg })
                .collect::<Vec<_>>()
                .join("/"),
        }
    }
}

/// Never prints a signature or a private link's token.
impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self {
            Target::Track(_) => "Track",
            Target::Playlist(_) => "Playlist",
            Target::Page(_) => "Page",
            Target::Direct(_) => "Direct",
        };
        f.debug_tuple(kind).field(&self.shown()).finish()
    }
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
        let private = t.sharing == Some(Sharing::Private);
        let profile = t.user.as_ref().and_then(|u| u.permalink_url.clone());
        Self {
            urn: t.track_urn().map(|u| u.to_string()),
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

/// The kinds of stream a track offers (`GET /tracks/{urn}/streams`), and direct URLs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StreamKind {
    /// AAC-LC 160 kbit/s in fragmented MP4, HLS.
    HlsAac160,
    /// AAC-LC 96 kbit/s in fragmented MP4, HLS.
    HlsAac96,
    /// MP3 128 kbit/s, HLS (byte ranges of one file).
    HlsMp3,
    /// One MP3 128 kbit/s file (progressive download).
    ProgressiveMp3,
    /// The 30 s preview, one MP3 file.
    PreviewMp3,
    /// A media URL given directly (no API).
    Direct,
}

impl StreamKind {
    /// Its field name in the API's `Streams` (`hls_aac_160_url` without `_url`), or `direct`.
    pub fn name(self) -> &'static str {
        match self {
            StreamKind::HlsAac160 => "hls_aac_160",
            StreamKind::HlsAac96 => "hls_aac_96",
            StreamKind::HlsMp3 => "hls_mp3_128",
            StreamKind::ProgressiveMp3 => "http_mp3_128",
            StreamKind::PreviewMp3 => "preview_mp3_128",
            StreamKind::Direct => "direct",
        }
    }

    /// Its (API) URL in `streams`.
    pub fn url(self, streams: &scplay_core::Streams) -> Option<&str> {
        match self {
            StreamKind::HlsAac160 => streams.hls_aac_160_url.as_deref(),
            StreamKind::HlsAac96 => streams.hls_aac_96_url.as_deref(),
            StreamKind::HlsMp3 => streams.hls_mp3_128_url.as_deref(),
            StreamKind::ProgressiveMp3 => streams.http_mp3_128_url.as_deref(),
            StreamKind::PreviewMp3 => streams.preview_mp3_128_url.as_deref(),
            StreamKind::Direct => None,
        }
    }

    /// The container its bytes come in, as a file extension (`mp4` for fragmented MP4, `mp3`),
    /// or `None` for a direct URL, whose container is told by its bytes.
    pub fn container(self) -> Option<&'static str> {
        match self {
            StreamKind::HlsAac160 | StreamKind::HlsAac96 => Some("mp4"),
            StreamKind::HlsMp3 | StreamKind::ProgressiveMp3 | StreamKind::PreviewMp3 => Some("mp3"),
            StreamKind::Direct => None,
        }
    }

    /// Whether it is HLS (a playlist of segments) rather than one file.
    pub fn is_hls(self) -> bool {
        matches!(
            self,
            StreamKind::HlsAac160 | StreamKind::HlsAac96 | StreamKind::HlsMp3
        )
    }
}

impl std::fmt::Display for StreamKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl Prefer {
    /// The HLS kinds in the order they are tried (a full progressive MP3 comes after them).
    pub fn order(self) -> [StreamKind; 3] {
        match self {
            Prefer::Aac => [
                StreamKind::HlsAac160,
                StreamKind::HlsAac96,
                StreamKind::HlsMp3,
            ],
            Prefer::Mp3 => [
                StreamKind::HlsMp3,
                StreamKind::HlsAac160,
                StreamKind::HlsAac96,
            ],
        }
    }
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
    /// The stream kind chosen.
    pub kind: StreamKind,
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
/// 30 s stand-in for the full track. `prefetched` is the track's `/streams` when it was asked
/// for together with the metadata (without the secret token: a private track's answer is
/// asked for again with it).
pub async fn resolve_track(
    client: &Client,
    http: &reqwest::Client,
    track: &Track,
    prefetched: Option<scplay_core::Result<scplay_core::Streams>>,
    prefer: Prefer,
    policy: fetch::NetPolicy,
) -> Result<StreamPlan, PlayerError> {
    let info = TrackInfo::from_track(track);
    let urn: TrackUrn = track
        .track_urn()
        .ok_or_else(|| PlayerError::NoStream("the track has no id".into()))?;
    if track.access == Some(Access::Blocked) {
        return Err(PlayerError::Blocked {
            title: info.title.clone().unwrap_or_default(),
        });
    }
    let secret = secret_token(track);
    let streams = match prefetched {
        Some(Ok(streams)) => streams,
        Some(Err(e)) if secret.is_none() => return Err(e.into()),
        _ => client.streams(urn, secret.as_deref()).await?,
    };
    if track.access == Some(Access::Preview) {
        let url = streams.preview_mp3_128_url.as_deref().ok_or_else(|| {
            PlayerError::NoStream("a preview-only track without a preview stream".into())
        })?;
        let url = client.stream_location(url).await?;
        return Ok(StreamPlan {
            source: Source::File { url },
            preview: true,
            info,
            kind: StreamKind::PreviewMp3,
        });
    }
    let mut drm = None;
    for kind in prefer.order() {
        let Some(api_url) = kind.url(&streams) else {
            continue;
        };
        let mut url = client.stream_location(api_url).await?;
        let mut fetched = fetch::playlist(http, &url, policy).await;
        if fetched.as_ref().is_err_and(fetch::expired) {
            // Signed a moment too early (or a clock apart): one fresh signature.
            url = client.stream_location(api_url).await?;
            fetched = fetch::playlist(http, &url, policy).await;
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
                    kind,
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
                kind: StreamKind::ProgressiveMp3,
            });
        }
    }
    Err(drm.unwrap_or_else(|| {
        PlayerError::NoStream("the track offers no full-length stream this player can use".into())
    }))
}

/// How to resolve `track`'s stream `kind` again, for a freshly signed URL.
pub(crate) fn refresher(
    client: &Client,
    track: &Track,
    kind: StreamKind,
) -> Option<fetch::Refresh> {
    let urn = track.track_urn()?;
    let secret = secret_token(track).map(scplay_core::Secret::new);
    let client = client.clone();
    Some(std::sync::Arc::new(move || {
        let (client, secret) = (client.clone(), secret.clone());
        Box::pin(async move {
            let streams = client
                .streams(urn, secret.as_ref().map(scplay_core::Secret::expose))
                .await?;
            let api_url = kind
                .url(&streams)
                .map(str::to_string)
                .ok_or_else(|| PlayerError::NoStream(format!("the {kind} stream went away")))?;
            Ok(client.stream_location(&api_url).await?)
        })
    }))
}

/// A plan for a direct media URL.
pub async fn resolve_direct(
    http: &reqwest::Client,
    url: &Url,
    policy: fetch::NetPolicy,
) -> Result<StreamPlan, PlayerError> {
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
            playlist: fetch::playlist(http, url, policy).await?.into(),
        }
    } else {
        Source::File { url: url.clone() }
    };
    Ok(StreamPlan {
        source,
        preview: false,
        info,
        kind: StreamKind::Direct,
    })
}

#[cfg(test)]
mod shown_tests {
    use super::*;

    fn page_shown(page: &str) -> String {
        Target::Page(page.into()).shown()
    }

    #[test]
    fn pages_lose_query_fragment_and_secret_token() {
        assert_eq!(
            page_shown("https://soundcloud.com/a/b/s-AbC123?si=x&utm=y#t=1"),
            "https://soundcloud.com/a/b/s-…"
        );
        assert_eq!(
            page_shown("https://soundcloud.com/a/sets/b"),
            "https://soundcloud.com/a/sets/b"
        );
    }

    #[test]
    fn debug_hides_signatures_and_private_tokens() {
        let page = Target::Page("https://soundcloud.com/a/b/s-AbC123".into());
        let direct = Target::Direct(Url::parse("https://cdn/x.mp3?Signature=abc").expect("url"));
        let shown = format!("{page:?} {direct:?}");
        assert!(
            !shown.contains("AbC123") && !shown.contains("Signature"),
            "{shown}"
        );
        assert!(
            shown.contains("Page") && shown.contains("cdn/x.mp3"),
            "{shown}"
        );
    }
}
