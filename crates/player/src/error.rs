//! [`PlayerError`]: the one error type of `scplay-player`.

/// Why a track could not be played (or stopped playing).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PlayerError {
    /// The track's `access` is `blocked`: SoundCloud serves its metadata only.
    #[error("\"{title}\" is blocked for playback outside SoundCloud")]
    Blocked {
        /// The track's title.
        title: String,
    },
    /// The track has no stream this player can use.
    #[error("no playable stream: {0}")]
    NoStream(String),
    /// The only streams are encrypted (DRM, `EXT-X-KEY` other than NONE).
    #[error("the stream is encrypted ({method}); DRM streams cannot be played")]
    Drm {
        /// The `METHOD` of the key.
        method: String,
    },
    /// The API refused or failed (including authentication and quotas).
    #[error(transparent)]
    Api(#[from] scplay_core::Error),
    /// A media request failed with an HTTP status.
    #[error("media request to {url} answered {status}")]
    Http {
        /// The URL, without its query (signatures).
        url: String,
        /// The status.
        status: u16,
    },
    /// The network failed while fetching media.
    #[error("network error fetching {url}: {message}")]
    Network {
        /// The URL, without its query.
        url: String,
        /// What failed.
        message: String,
    },
    /// A playlist was malformed or hostile.
    #[error("bad playlist from {url}: {message}")]
    Playlist {
        /// The URL, without its query.
        url: String,
        /// What was wrong.
        message: String,
    },
    /// The audio could not be decoded (damaged beyond resynchronising, no audio track, a format
    /// change mid-way).
    #[error("cannot decode the stream: {what}")]
    Decode {
        /// What went wrong.
        what: String,
        /// The demuxer's or decoder's own error, when there is one.
        #[source]
        source: Option<Cause>,
    },
    /// The stream yielded no audio for [`crate::PlayerOptions::watchdog`].
    #[error("no audio for {secs} s: the stream stalled")]
    Stalled {
        /// The watchdog's limit, in seconds.
        secs: u64,
    },
    /// The audio output failed.
    #[error("audio output: {what}")]
    Output {
        /// What went wrong.
        what: String,
        /// The audio system's or resampler's own error, when there is one.
        #[source]
        source: Option<Cause>,
    },
    /// The thing to play is not a track, playlist, URN, id or media URL.
    #[error("not something to play: {0}")]
    InvalidTarget(String),
    /// A thread or runtime the player needs could not be started.
    #[error("cannot start {what}")]
    Setup {
        /// What could not be started.
        what: &'static str,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The HTTP client could not be built (TLS roots, system configuration).
    #[error("cannot build the HTTP client")]
    HttpClient(#[source] reqwest::Error),
    /// The sink refused to start (a WAV path that cannot be created, a closed pipe).
    #[error("the audio sink could not start")]
    Sink(#[source] std::io::Error),
    /// The stream's container or codec is not one the player reads.
    #[error("unsupported or unrecognised stream")]
    Unsupported(#[source] symphonia::core::errors::Error),
    /// The output was closed for good (a pipe whose reader went away): playback ended.
    #[error("the audio output was closed")]
    OutputClosed,
    /// A volume that is not a number from 0 to 1.
    #[error("the volume must be a number from 0 to 1, not {0}")]
    InvalidVolume(f32),
}

/// The error underneath a [`PlayerError::Decode`] or [`PlayerError::Output`] (symphonia's,
/// cpal's, the resampler's, an I/O error), for [`std::error::Error::source`].
pub type Cause = Box<dyn std::error::Error + Send + Sync>;

impl PlayerError {
    /// [`PlayerError::Decode`] without an underlying error.
    pub(crate) fn decode(what: impl Into<String>) -> Self {
        PlayerError::Decode {
            what: what.into(),
            source: None,
        }
    }

    /// [`PlayerError::Decode`] caused by `source`.
    pub(crate) fn decode_from(
        what: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        PlayerError::Decode {
            what: what.into(),
            source: Some(Box::new(source)),
        }
    }

    /// [`PlayerError::Output`] without an underlying error.
    pub(crate) fn output(what: impl Into<String>) -> Self {
        PlayerError::Output {
            what: what.into(),
            source: None,
        }
    }

    /// [`PlayerError::Output`] caused by `source`.
    pub(crate) fn output_from(
        what: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        PlayerError::Output {
            what: what.into(),
            source: Some(Box::new(source)),
        }
    }

    /// The message with every underlying cause after it (`a: b: c`), for a log line or an
    /// event that carries only text.
    pub fn report(&self) -> String {
        let mut out = self.to_string();
        let mut cause = std::error::Error::source(self);
        while let Some(c) = cause {
            let text = c.to_string();
            if !out.ends_with(&text) {
                out.push_str(": ");
                out.push_str(&text);
            }
            cause = c.source();
        }
        out
    }

    /// Whether the failure may pass (the network, the service's 5xx and 429, a stalled
    /// stream): trying again later can succeed. A supervisor retries these with a back-off
    /// and gives up on the rest.
    pub fn is_transient(&self) -> bool {
        match self {
            PlayerError::Network { .. } | PlayerError::Stalled { .. } => true,
            PlayerError::Http { status, .. } => *status >= 500 || *status == 429,
            PlayerError::Api(e) => e.is_transient(),
            _ => false,
        }
    }

    /// Whether the track itself cannot be played (blocked, DRM only, no stream, not audio), as
    /// opposed to a failure that may pass.
    pub fn is_not_playable(&self) -> bool {
        matches!(
            self,
            PlayerError::Blocked { .. }
                | PlayerError::Drm { .. }
                | PlayerError::NoStream(_)
                | PlayerError::Unsupported(_)
        )
    }

    /// A stable, machine-readable name for the kind of failure, for supervisors and logs
    /// (the message may change; these do not): `blocked`, `drm`, `no_stream`, `auth`,
    /// `not_found`, `forbidden`, `quota`, `rate_limited`, `api`, `http`, `network`,
    /// `playlist`, `decode`, `stalled`, `output`, `invalid_target`, `invalid_volume`, `setup`,
    /// `http_client`, `sink`, `unsupported`, `output_closed`.
    pub fn code(&self) -> &'static str {
        use scplay_core::Error as Api;
        match self {
            PlayerError::Blocked { .. } => "blocked",
            PlayerError::Drm { .. } => "drm",
            PlayerError::NoStream(_) => "no_stream",
            PlayerError::Api(a) if a.is_auth() => "auth",
            PlayerError::Api(Api::NotFound { .. }) => "not_found",
            PlayerError::Api(Api::Forbidden { .. }) => "forbidden",
            PlayerError::Api(Api::PlayQuota { .. }) => "quota",
            PlayerError::Api(Api::RateLimited { .. } | Api::SpamWarning { .. }) => "rate_limited",
            PlayerError::Api(Api::Network { .. }) => "network",
            PlayerError::Api(_) => "api",
            PlayerError::Http { .. } => "http",
            PlayerError::Network { .. } => "network",
            PlayerError::Playlist { .. } => "playlist",
            PlayerError::Decode { .. } => "decode",
            PlayerError::Stalled { .. } => "stalled",
            PlayerError::Output { .. } => "output",
            PlayerError::InvalidTarget(_) => "invalid_target",
            PlayerError::InvalidVolume(_) => "invalid_volume",
            PlayerError::Setup { .. } => "setup",
            PlayerError::HttpClient(_) => "http_client",
            PlayerError::Sink(_) => "sink",
            PlayerError::Unsupported(_) => "unsupported",
            PlayerError::OutputClosed => "output_closed",
        }
    }
}

/// A URL without its query (signed CDN URLs carry signatures there).
pub(crate) fn shown(url: &url::Url) -> String {
    let mut u = url.clone();
    u.set_query(None);
    u.set_fragment(None);
    u.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;

    #[test]
    fn transient_failures_are_told_apart_and_causes_are_kept() {
        let http = |status| PlayerError::Http {
            url: "https://cdn.example/a.mp3".into(),
            status,
        };
        assert!(http(503).is_transient() && http(429).is_transient());
        assert!(!http(404).is_transient() && !http(403).is_transient());
        assert!(PlayerError::Stalled { secs: 45 }.is_transient());
        assert!(!PlayerError::OutputClosed.is_transient());
        let sink = PlayerError::Sink(std::io::Error::other("no such directory"));
        assert_eq!(
            sink.source().map(ToString::to_string).as_deref(),
            Some("no such directory")
        );
        assert!(!sink.is_transient());
    }

    #[test]
    fn decode_and_output_errors_keep_their_cause_and_report_it() {
        let io = std::io::Error::new(std::io::ErrorKind::InvalidData, "trun past its box");
        let e = PlayerError::decode_from("the stream is damaged", io);
        assert_eq!(
            e.to_string(),
            "cannot decode the stream: the stream is damaged"
        );
        assert_eq!(
            e.source().map(ToString::to_string).as_deref(),
            Some("trun past its box")
        );
        assert_eq!(
            e.report(),
            "cannot decode the stream: the stream is damaged: trun past its box"
        );
        assert_eq!(e.code(), "decode");
        let o = PlayerError::output("the sink is busy");
        assert!(o.source().is_none());
        assert_eq!(o.report(), o.to_string());
    }
}
