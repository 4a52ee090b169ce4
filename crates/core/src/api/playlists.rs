//! `/playlists…`.

use reqwest::Method;

use super::options::playlist_path;
use super::{ListOptions, PlaylistDraft};
use crate::http::Req;
use crate::models::{Playlist, Track, User};
use crate::pagination::Items;
use crate::{Client, Error, PlaylistUrn, Result};

impl Client {
    /// `GET /playlists/{playlist_urn}`; `show_tracks` includes the tracks (the service's
    /// default); `secret_token` opens a private playlist shared by secret link.
    pub async fn playlist(
        &self,
        playlist: impl Into<PlaylistUrn>,
        show_tracks: bool,
        secret_token: Option<&str>,
    ) -> Result<Playlist> {
        let mut req = Req::new(Method::GET, self.api_url(&playlist_path(playlist.into()))?)
            .query("show_tracks", show_tracks);
        if let Some(s) = secret_token {
            req = req.query("secret_token", s);
        }
        self.json(req).await
    }

    /// `POST /playlists`: creates a playlist (a title is required).
    pub async fn create_playlist(&self, draft: &PlaylistDraft) -> Result<Playlist> {
        if draft.title.as_deref().is_none_or(|t| t.trim().is_empty()) {
            return Err(Error::InvalidArgument("a playlist needs a title".into()));
        }
        let req = Req::new(Method::POST, self.api_url("/playlists")?)
            .user_only()
            .json(draft.to_json());
        self.json(req).await
    }

    /// `PUT /playlists/{playlist_urn}`: changes the fields set in `draft` (a track list
    /// replaces the current one).
    pub async fn update_playlist(
        &self,
        playlist: impl Into<PlaylistUrn>,
        draft: &PlaylistDraft,
    ) -> Result<Playlist> {
        let req = Req::new(Method::PUT, self.api_url(&playlist_path(playlist.into()))?)
            .user_only()
            .json(draft.to_json());
        self.json(req).await
    }

    /// `DELETE /playlists/{playlist_urn}`.
    pub async fn delete_playlist(&self, playlist: impl Into<PlaylistUrn>) -> Result<()> {
        self.empty(
            Req::new(
                Method::DELETE,
                self.api_url(&playlist_path(playlist.into()))?,
            )
            .user_only(),
        )
        .await
    }

    /// `GET /playlists/{playlist_urn}/tracks`.
    pub fn playlist_tracks(
        &self,
        playlist: impl Into<PlaylistUrn>,
        opts: &ListOptions,
    ) -> Items<Track> {
        match self.api_url(&format!("{}/tracks", playlist_path(playlist.into()))) {
            Ok(url) => self.items(opts.apply(Req::new(Method::GET, url)), opts.limit),
            Err(e) => Box::pin(futures_util::stream::once(async move { Err(e) })),
        }
    }

    /// `GET /playlists/{playlist_urn}/reposters`.
    pub fn playlist_reposters(
        &self,
        playlist: impl Into<PlaylistUrn>,
        opts: &ListOptions,
    ) -> Items<User> {
        match self.api_url(&format!("{}/reposters", playlist_path(playlist.into()))) {
            Ok(url) => self.items(opts.apply(Req::new(Method::GET, url)), opts.limit),
            Err(e) => Box::pin(futures_util::stream::once(async move { Err(e) })),
        }
    }
}
