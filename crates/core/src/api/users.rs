//! `/users…`.

use reqwest::Method;

use super::ListOptions;
use crate::http::Req;
use crate::models::{Playlist, Track, User, WebProfile};
use crate::pagination::Items;
use crate::{Client, Error, Result, UserUrn};

impl Client {
    fn user_items<T: serde::de::DeserializeOwned + Send + 'static>(
        &self,
        user: UserUrn,
        tail: &str,
        opts: &ListOptions,
    ) -> Items<T> {
        match self.api_url(&format!("/users/{user}{tail}")) {
            Ok(url) => self.items(opts.apply(Req::new(Method::GET, url)), opts.limit),
            Err(e) => Box::pin(futures_util::stream::once(async move { Err(e) })),
        }
    }

    /// `GET /users/{user_urn}`.
    pub async fn user(&self, user: impl Into<UserUrn>) -> Result<User> {
        let url = self.api_url(&format!("/users/{}", user.into()))?;
        self.json(Req::new(Method::GET, url)).await
    }

    /// `GET /users/{user_urn}/related`: artists related to `user`.
    pub fn related_users(&self, user: impl Into<UserUrn>, opts: &ListOptions) -> Items<User> {
        self.user_items(user.into(), "/related", opts)
    }

    /// `GET /users/{user_urn}/favorites` (deprecated: use [`Client::user_liked_tracks`]).
    pub fn user_favorites(&self, user: impl Into<UserUrn>, opts: &ListOptions) -> Items<Track> {
        self.user_items(user.into(), "/favorites", opts)
    }

    /// `GET /users/{user_urn}/followers`.
    pub fn user_followers(&self, user: impl Into<UserUrn>, opts: &ListOptions) -> Items<User> {
        self.user_items(user.into(), "/followers", opts)
    }

    /// `GET /users/{user_urn}/followings`.
    pub fn user_followings(&self, user: impl Into<UserUrn>, opts: &ListOptions) -> Items<User> {
        self.user_items(user.into(), "/followings", opts)
    }

    /// `GET /users/{user_urn}/followings/{following_urn}` (deprecated): whether `user`
    /// follows `other`.
    pub async fn user_follows(
        &self,
        user: impl Into<UserUrn>,
        other: impl Into<UserUrn>,
    ) -> Result<bool> {
        let url = self.api_url(&format!(
            "/users/{}/followings/{}",
            user.into(),
            other.into()
        ))?;
        match self.empty(Req::new(Method::GET, url)).await {
            Ok(()) => Ok(true),
            Err(Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// `GET /users/{user_urn}/playlists`.
    pub fn user_playlists(&self, user: impl Into<UserUrn>, opts: &ListOptions) -> Items<Playlist> {
        self.user_items(user.into(), "/playlists", &opts.for_playlists())
    }

    /// `GET /users/{user_urn}/tracks`.
    pub fn user_tracks(&self, user: impl Into<UserUrn>, opts: &ListOptions) -> Items<Track> {
        self.user_items(user.into(), "/tracks", opts)
    }

    /// `GET /users/{user_urn}/web-profiles` (not paginated).
    pub async fn web_profiles(&self, user: impl Into<UserUrn>) -> Result<Vec<WebProfile>> {
        let url = self.api_url(&format!("/users/{}/web-profiles", user.into()))?;
        self.json(Req::new(Method::GET, url)).await
    }

    /// `GET /users/{user_urn}/likes/tracks`.
    pub fn user_liked_tracks(&self, user: impl Into<UserUrn>, opts: &ListOptions) -> Items<Track> {
        self.user_items(user.into(), "/likes/tracks", opts)
    }

    /// `GET /users/{user_urn}/likes/playlists`.
    pub fn user_liked_playlists(
        &self,
        user: impl Into<UserUrn>,
        opts: &ListOptions,
    ) -> Items<Playlist> {
        self.user_items(user.into(), "/likes/playlists", &opts.for_playlists())
    }

    /// `GET /users/{user_urn}/reposts/tracks`.
    pub fn user_reposted_tracks(
        &self,
        user: impl Into<UserUrn>,
        opts: &ListOptions,
    ) -> Items<Track> {
        self.user_items(user.into(), "/reposts/tracks", opts)
    }

    /// `GET /users/{user_urn}/reposts/playlists`.
    pub fn user_reposted_playlists(
        &self,
        user: impl Into<UserUrn>,
        opts: &ListOptions,
    ) -> Items<Playlist> {
        self.user_items(user.into(), "/reposts/playlists", &opts.for_playlists())
    }
}
