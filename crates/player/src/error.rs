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
    /// The audio could not be decoded at all (unsupported codec, no audio track).
    #[error("cannot decode the stream: {0}")]
    Decode(String),
    /// The stream yielded no audio for [`crate::PlayerOptions::watchdog`].
    #[error("no audio for {secs} s: the stream stalled")]
    Stalled {
        /// The watchdog's limit, in seconds.
        secs: u64,
    },
    /// The audio output failed.
    #[error("audio output: {0}")]
    Output(String),
    /// The thing to play is not a track, playlist, URN, id or media URL.
    #[error("not something to play: {0}")]
    InvalidTarget(String),
    /// A volume that is not a number from 0 to 1.
    #[error("the volume must be a number from 0 to 1, not {0}")]
    InvalidVolume(f32),
}

impl PlayerError {
    /// Whether the track itself cannot be played (blocked, DRM only, no stream), as opposed
    /// to a failure that may pass.
    pub fn is_not_playable(&self) -> bool {
        matches!(
            self,
            PlayerError::Blocked { .. } | PlayerError::Drm { .. } | PlayerError::NoStream(_)
        )
    }

    /// A stable, machine-readable name for the kind of failure, for supervisors and logs
    /// (the message may change; these do not): `blocked`, `drm`, `no_stream`, `auth`,
    /// `not_found`, `forbidden`, `quota`, `rate_limited`, `api`, `http`, `network`,
    /// `playlist`, `decode`, `stalled`, `output`, `invalid_target`, `invalid_volume`.
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
            PlayerError::Decode(_) => "decode",
            PlayerError::Stalled { .. } => "stalled",
            PlayerError::Output(_) => "output",
            PlayerError::InvalidTarget(_) => "invalid_target",
            PlayerError::InvalidVolume(_) => "invalid_volume",
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
