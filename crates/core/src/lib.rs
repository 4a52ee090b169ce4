//! # scplay-core
//!
//! The SoundCloud API and OAuth 2.1 client of scplay: every operation of the public API as a
//! typed method, the authorization-code flow with PKCE, client credentials, single-use refresh
//! tokens handled right, token stores shared safely between processes, typed models, cursor
//! pagination as streams, and one error type. It knows nothing of audio.
//!
//! ## A tour
//!
//! ```no_run
//! # async fn tour() -> scplay_core::Result<()> {
//! use futures_util::TryStreamExt;
//! use scplay_core::{Client, FileStore, ListOptions, TrackSearch};
//!
//! let client = Client::builder()
//!     .client_id("my-client-id")
//!     .client_secret("my-client-secret")
//!     .redirect_uri("http://127.0.0.1:8765/callback")
//!     .token_store(FileStore::new("token.json"))
//!     .build()?;
//!
//! // Public resources work with the app's own (client-credentials) token, fetched once and
//! // kept in the store, refreshed with its single-use refresh token when it expires.
//! let hits: Vec<_> = client.search_tracks(&TrackSearch::new("lisbon").limit(20)).try_collect().await?;
//!
//! // Acting for a user needs their consent once (see `auth::authorization_code`).
//! let sign_in = client.authorization_request(false)?;
//! println!("open {}", sign_in.url());
//! sign_in.listen(&client, std::time::Duration::from_secs(300)).await?;
//! let me = client.me().await?;
//! let likes: Vec<_> = client.my_liked_tracks(&ListOptions::default()).try_collect().await?;
//! # let _ = (hits, me, likes); Ok(()) }
//! ```
//!
//! ```text
//!  Client ──► http (OAuth header, 401 → one refresh, 429/503 backoff) ──► api_base only
//!    │                      ▲
//!    └─ auth::tokens ───────┘  single flight · persist before use · TokenStore (file lock)
//!          ├─ authorization_code (PKCE, loopback listener, pasted URL)
//!          └─ grant (client credentials by HTTP Basic, refresh, code exchange) ──► auth_base
//! ```
//!
//! Tokens and secrets only ever go to the configured origins (HTTPS, or HTTP on loopback),
//! never to a host a response names (`next_href`, `Location`), and never into `Debug`,
//! errors or logs.

pub mod api;
pub mod auth;
mod client;
mod config;
mod error;
mod fleet;
mod http;
pub mod models;
mod origin;
mod pagination;
mod secret;
pub mod store;
pub mod tls;
mod token;
mod urn;

pub use api::{
    ListOptions, OEmbed, OEmbedOptions, PlaylistDraft, PlaylistSearch, Progress, Resource, Sort,
    TrackFields, TrackSearch, TrackUpload, UserSearch,
};
pub use auth::authorization_code::AuthorizationRequest;
pub use client::{Client, ClientBuilder};
pub use config::{Config, RetryPolicy, parse_retry_after};
pub use error::{Error, ErrorBody, Result, redact};
pub use models::{Access, Comment, Me, Page, Playlist, Sharing, Streams, Timestamp, Track, User};
pub use pagination::Items;
pub use secret::Secret;
pub use store::{FileStore, MemoryStore, TokenStore};
pub use token::{Token, TokenKind};
pub use urn::{CommentUrn, Kind, PlaylistUrn, TrackUrn, Urn, UrnError, UserUrn};
