//! [`EmulatorConfig`]: every knob, defaulting to what the live service does.

use std::time::Duration;

use crate::catalog;

/// A registered app.
#[derive(Clone)]
pub struct App {
    /// The app's client id.
    pub client_id: String,
    /// The app's client secret.
    pub client_secret: String,
    /// The one registered redirect URI (matched exactly).
    pub redirect_uri: String,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("redirect_uri", &self.redirect_uri)
            .finish()
    }
}

/// How many grants fit in a sliding window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Grants allowed per window.
    pub max: u32,
    /// The window's length.
    pub window: Duration,
}

/// Emulator settings. `Default` is the live service's behaviour and the seeded app.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    /// Registered apps. Default: the seeded app ([`catalog::CLIENT_ID`] …).
    pub apps: Vec<App>,
    /// The user `/authorize` treats as signed in (it then redirects straight back with a
    /// code). `None` shows a sign-in page instead. Default: [`catalog::USER_LENA`].
    pub signed_in_user: Option<u64>,
    /// Access-token lifetime. Default 3599 s, as the live service.
    pub token_ttl: Duration,
    /// Authorization-code lifetime. Default 10 minutes.
    pub code_ttl: Duration,
    /// Lifetime of signed CDN URLs. Default 5 minutes, as the live service.
    pub cdn_url_ttl: Duration,
    /// Client-credentials grants per app. Default 50 per 12 h.
    pub client_credentials_per_app: RateLimit,
    /// Client-credentials grants per client IP. Default 30 per hour.
    pub client_credentials_per_ip: RateLimit,
    /// Playable-stream requests (the authenticated stream-URL hops) per app; past it the
    /// play-quota 429. Default 15,000 per 24 h.
    pub play_quota: RateLimit,
    /// Comments and likes per user before the spam-warning 429. Default `None` (unlimited).
    pub action_limit: Option<RateLimit>,
    /// Most users one account may follow; past it `PUT /me/followings` answers 422.
    /// Default 2000.
    pub max_followings: usize,
    /// Largest accepted request body, in bytes (uploads); larger is answered 413.
    /// Default 500 MB, as the guide says.
    pub upload_limit: u64,
    /// Serve `next_href` links on this origin instead of the API's, as a misbehaving or
    /// hostile service might (clients must refuse to send their token there). Default `None`.
    pub next_href_origin: Option<String>,
    /// Make every page link to the same next page, the looping-`next_href` bug seen on the
    /// live service. Default `false`.
    pub repeat_next_href: bool,
    /// Port for the API origin (0 = any free port). The auth, CDN and web origins always
    /// take free ports.
    pub api_port: u16,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        Self {
            apps: vec![App {
                client_id: catalog::CLIENT_ID.into(),
                client_secret: catalog::CLIENT_SECRET.into(),
                redirect_uri: catalog::REDIRECT_URI.into(),
            }],
            signed_in_user: Some(catalog::USER_LENA),
            token_ttl: Duration::from_secs(3599),
            code_ttl: Duration::from_secs(600),
            cdn_url_ttl: Duration::from_secs(300),
            client_credentials_per_app: RateLimit {
                max: 50,
                window: Duration::from_secs(12 * 3600),
            },
            client_credentials_per_ip: RateLimit {
                max: 30,
                window: Duration::from_secs(3600),
            },
            play_quota: RateLimit {
                max: 15_000,
                window: Duration::from_secs(24 * 3600),
            },
            action_limit: None,
            max_followings: 2000,
            upload_limit: 500_000_000,
            next_href_origin: None,
            repeat_next_href: false,
            api_port: 0,
        }
    }
}
