//! `/me…`: the signed-in user (needs a user token: with the app's own token these calls end in
//! [`Error::NeedsUser`](crate::Error::NeedsUser), with no token refreshed for them).

use reqwest::Method;

use super::ListOptions;
use crate::http::Req;
use crate::models::{Access, Activity, Me, Page, Playlist, Track, User};
use crate::pagination::Items;
use crate::{Client, Error, Result, UserUrn};

impl Client {
    fn me_req(&self, path: &str) -> Result<Req> {
        Ok(Req::new(Method::GET, self.api_url(path)?).user_only())
    }

    fn me_items<T: serde::de::DeserializeOwned + Send + 'static>(
        &self,
        path: &str,
        opts: &ListOptions,
    ) -> Items<T> {
        match self.me_req(path) {
            Ok(req) => self.items(opts.apply(req), opts.limit),
            Err(e) => Box::pin(futures_util::stream::once(async move { Err(e) })),
        }
    }

    /// `GET /me`: the signed-in user.
    pub async fn me(&self) -> Result<Me> {
        self.json(self.me_req("/me")?).await
    }

    /// `GET /me/feed`: uploads and reposts of the people the user follows, newest first.
    pub fn feed(&self, opts: &ListOptions) -> Items<Activity> {
        self.me_items("/me/feed", opts)
    }

    /// `GET /me/feed/tracks`: the feed's tracks only.
    pub fn feed_tracks(&self, opts: &ListOptions) -> Items<Activity> {
        self.me_items("/me/feed/tracks", opts)
    }

    /// `GET /me/activities` (deprecated: use [`Client::feed`]).
    pub fn activities(&self, opts: &ListOptions) -> Items<Activity> {
        self.me_items("/me/activities", opts)
    }

    /// `GET /me/activities/all/own` (deprecated): the user's own uploads and reposts.
    pub fn own_activities(&self, opts: &ListOptions) -> Items<Activity> {
        self.me_items("/me/activities/all/own", opts)
    }

    /// `GET /me/activities/tracks` (deprecated: use [`Client::feed_tracks`]).
    pub fn track_activities(&self, opts: &ListOptions) -> Items<Activity> {
        self.me_items("/me/activities/tracks", opts)
    }

    /// `GET /me/recently-played/tracks`: up to 25 tracks, not paginated.
    pub async fn recently_played(&self, access: &[Access]) -> Result<Vec<Track>> {
        let mut req = self.me_req("/me/recently-played/tracks")?;
        if !access.is_empty() {
            req = req.query("access", super::access_csv(access));
        }
        let page: Page<Track> = self.json(req).await?;
        Ok(page.collection)
    }

    /// `GET /me/likes/tracks`.
    pub fn my_liked_tracks(&self, opts: &ListOptions) -> Items<Track> {
        self.me_items("/me/likes/tracks", opts)
    }

    /// `GET /me/likes/playlists`.
    pub fn my_liked_playlists(&self, opts: &ListOptions) -> Items<Playlist> {
        self.me_items("/me/likes/playlists", &opts.for_playlists())
    }

    /// `GET /me/followings`.
    pub fn my_followings(&self, opts: &ListOptions) -> Items<User> {
        self.me_items("/me/followings", opts)
    }

    /// `GET /me/followings/tracks`: recent tracks by the people the user follows.
    pub fn my_followings_tracks(&self, opts: &ListOptions) -> Items<Track> {
        self.me_items("/me/followings/tracks", opts)
    }

    /// `GET /me/followings/{user_urn}` (deprecated): whether the user follows `user`.
    pub async fn is_following(&self, user: impl Into<UserUrn>) -> Result<bool> {
        let req = self.me_req(&format!("/me/followings/{}", user.into()))?;
        match self.empty(req).await {
            Ok(()) => Ok(true),
            Err(Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// `PUT /me/followings/{user_urn}`: follows `user` (422 when, e.g., the limit is reached).
    pub async fn follow(&self, user: impl Into<UserUrn>) -> Result<()> {
        let url = self.api_url(&format!("/me/followings/{}", user.into()))?;
        self.empty(Req::new(Method::PUT, url).user_only()).await
    }

    /// `DELETE /me/followings/{user_urn}`: unfollows `user`.
    pub async fn unfollow(&self, user: impl Into<UserUrn>) -> Result<()> {
        let url = self.api_url(&format!("/me/followings/{}", user.into()))?;
        self.empty(Req::new(Method::DELETE, url).user_only()).await
    }

    /// `GET /me/followers`.
    pub fn my_followers(&self, opts: &ListOptions) -> Items<User> {
        self.me_items("/me/followers", opts)
    }

    /// `GET /me/followers/{follower_urn}` (deprecated): the follower, if `user` follows the
    /// signed-in user.
    pub async fn my_follower(&self, user: impl Into<UserUrn>) -> Result<Option<User>> {
        let req = self.me_req(&format!("/me/followers/{}", user.into()))?;
        match self.json(req).await {
            Ok(u) => Ok(Some(u)),
            Err(Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `GET /me/playlists`.
    pub fn my_playlists(&self, opts: &ListOptions) -> Items<Playlist> {
        self.me_items("/me/playlists", &opts.for_playlists())
    }

    /// `GET /me/tracks`.
    pub fn my_tracks(&self, opts: &ListOptions) -> Items<Track> {
        self.me_items("/me/tracks", opts)
    }

    /// `GET /me/reposts/tracks`.
    pub fn my_reposted_tracks(&self, opts: &ListOptions) -> Items<Track> {
        self.me_items("/me/reposts/tracks", opts)
    }

    /// `GET /me/reposts/playlists`.
    pub fn my_reposted_playlists(&self, opts: &ListOptions) -> Items<Playlist> {
        self.me_items("/me/reposts/playlists", &opts.for_playlists())
    }
}
