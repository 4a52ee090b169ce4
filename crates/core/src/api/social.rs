//! Likes and reposts.

use reqwest::Method;

use crate::http::Req;
use crate::{Client, PlaylistUrn, Result, TrackUrn};

impl Client {
    async fn toggle(&self, method: Method, path: String) -> Result<()> {
        let url = self.api_url(&path)?;
        self.empty(Req::new(method, url).user_only()).await
    }

    /// `POST /likes/tracks/{track_urn}` (can answer the spam-warning 429).
    pub async fn like_track(&self, track: impl Into<TrackUrn>) -> Result<()> {
        self.toggle(Method::POST, format!("/likes/tracks/{}", track.into()))
            .await
    }

    /// `DELETE /likes/tracks/{track_urn}`.
    pub async fn unlike_track(&self, track: impl Into<TrackUrn>) -> Result<()> {
        self.toggle(Method::DELETE, format!("/likes/tracks/{}", track.into()))
            .await
    }

    /// `POST /likes/playlists/{playlist_urn}`.
    pub async fn like_playlist(&self, playlist: impl Into<PlaylistUrn>) -> Result<()> {
        self.toggle(
            Method::POST,
            format!("/likes/playlists/{}", playlist.into()),
        )
        .await
    }

    /// `DELETE /likes/playlists/{playlist_urn}`.
    pub async fn unlike_playlist(&self, playlist: impl Into<PlaylistUrn>) -> Result<()> {
        self.toggle(
            Method::DELETE,
            format!("/likes/playlists/{}", playlist.into()),
        )
        .await
    }

    /// `POST /reposts/tracks/{track_urn}`.
    pub async fn repost_track(&self, track: impl Into<TrackUrn>) -> Result<()> {
        self.toggle(Method::POST, format!("/reposts/tracks/{}", track.into()))
            .await
    }

    /// `DELETE /reposts/tracks/{track_urn}`.
    pub async fn unrepost_track(&self, track: impl Into<TrackUrn>) -> Result<()> {
        self.toggle(Method::DELETE, format!("/reposts/tracks/{}", track.into()))
            .await
    }

    /// `POST /reposts/playlists/{playlist_urn}`.
    pub async fn repost_playlist(&self, playlist: impl Into<PlaylistUrn>) -> Result<()> {
        self.toggle(
            Method::POST,
            format!("/reposts/playlists/{}", playlist.into()),
        )
        .await
    }

    /// `DELETE /reposts/playlists/{playlist_urn}`.
    pub async fn unrepost_playlist(&self, playlist: impl Into<PlaylistUrn>) -> Result<()> {
        self.toggle(
            Method::DELETE,
            format!("/reposts/playlists/{}", playlist.into()),
        )
        .await
    }
}
