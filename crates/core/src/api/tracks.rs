//! `/tracks/{urn}…`: read, update, delete, storefront, preview, streams, comments, related.

use reqwest::{Method, Url};
use serde_json::json;

use super::{ListOptions, TrackFields};
use crate::http::{Body, Req};
use crate::models::{Comment, Storefront, Streams, Track, User};
use crate::origin::on_origin;
use crate::pagination::Items;
use crate::{Client, Error, Result, TrackUrn};

impl Client {
    fn track_req(
        &self,
        method: Method,
        track: TrackUrn,
        tail: &str,
        secret_token: Option<&str>,
    ) -> Result<Req> {
        // Reads are public; every write (update, delete, storefront, comment) acts for a user.
        let writes = method != Method::GET;
        let mut req = Req::new(method, self.api_url(&format!("/tracks/{track}{tail}"))?);
        if writes {
            req = req.user_only();
        }
        if let Some(s) = secret_token {
            req = req.query("secret_token", s);
        }
        Ok(req)
    }

    fn track_items<T: serde::de::DeserializeOwned + Send + 'static>(
        &self,
        track: TrackUrn,
        tail: &str,
        opts: &ListOptions,
    ) -> Items<T> {
        match self.track_req(Method::GET, track, tail, None) {
            Ok(req) => self.items(opts.apply(req), opts.limit),
            Err(e) => Box::pin(futures_util::stream::once(async move { Err(e) })),
        }
    }

    /// `GET /tracks/{track_urn}`.
    pub async fn track(&self, track: impl Into<TrackUrn>) -> Result<Track> {
        self.json(self.track_req(Method::GET, track.into(), "", None)?)
            .await
    }

    /// `GET /tracks/{track_urn}?secret_token=…`: a private track shared by secret link.
    pub async fn private_track(
        &self,
        track: impl Into<TrackUrn>,
        secret_token: &str,
    ) -> Result<Track> {
        self.json(self.track_req(Method::GET, track.into(), "", Some(secret_token))?)
            .await
    }

    /// `PUT /tracks/{track_urn}` with JSON `{"track": {…}}`.
    pub async fn update_track(
        &self,
        track: impl Into<TrackUrn>,
        fields: &TrackFields,
    ) -> Result<Track> {
        let req = self
            .track_req(Method::PUT, track.into(), "", None)?
            .json(fields.to_json());
        self.json(req).await
    }

    /// `PUT /tracks/{track_urn}` as multipart `track[…]`, optionally with new artwork read
    /// from `artwork` (a JPEG or PNG file).
    pub async fn update_track_with_artwork(
        &self,
        track: impl Into<TrackUrn>,
        fields: &TrackFields,
        artwork: Option<&std::path::Path>,
    ) -> Result<Track> {
        let art = match artwork {
            Some(p) => Some(super::upload::FilePart::open(p).await?),
            None => None,
        };
        let text = fields.form_fields();
        let mut req = self.track_req(Method::PUT, track.into(), "", None)?;
        req.no_timeout = true;
        req.body = Body::Multipart(Box::new(move || {
            let mut form = reqwest::multipart::Form::new();
            for (k, v) in &text {
                form = form.text(k.clone(), v.clone());
            }
            if let Some(a) = &art {
                form = form.part("track[artwork_data]", a.part(None)?);
            }
            Ok(form)
        }));
        self.json(req).await
    }

    /// `DELETE /tracks/{track_urn}`.
    pub async fn delete_track(&self, track: impl Into<TrackUrn>) -> Result<()> {
        self.empty(self.track_req(Method::DELETE, track.into(), "", None)?)
            .await
    }

    /// `PUT /tracks/{track_urn}/storefront`: replaces the whole storefront (`title`, `kind`
    /// and `link` required; omitted optional fields are cleared).
    pub async fn set_storefront(
        &self,
        track: impl Into<TrackUrn>,
        storefront: &Storefront,
    ) -> Result<Storefront> {
        let (Some(title), Some(kind), Some(link)) =
            (&storefront.title, &storefront.kind, &storefront.link)
        else {
            return Err(Error::InvalidArgument(
                "a storefront needs title, kind and link".into(),
            ));
        };
        let mut body = json!({"title": title, "type": kind, "link": link});
        for (k, v) in [
            ("link_title", &storefront.link_title),
            ("description", &storefront.description),
            ("price", &storefront.price),
        ] {
            if let Some(v) = v {
                body[k] = json!(v);
            }
        }
        let req = self
            .track_req(Method::PUT, track.into(), "/storefront", None)?
            .json(body);
        self.json(req).await
    }

    /// `GET /tracks/{track_urn}/preview`: the signed URL of the 30 s preview (the 302's
    /// target; it needs no token).
    pub async fn preview_url(
        &self,
        track: impl Into<TrackUrn>,
        secret_token: Option<&str>,
    ) -> Result<Url> {
        self.location(self.track_req(Method::GET, track.into(), "/preview", secret_token)?)
            .await
    }

    /// `GET /tracks/{track_urn}/streams`: the track's stream URLs (API URLs; see
    /// [`Client::stream_location`]). A blocked track answers 404.
    pub async fn streams(
        &self,
        track: impl Into<TrackUrn>,
        secret_token: Option<&str>,
    ) -> Result<Streams> {
        self.json(self.track_req(Method::GET, track.into(), "/streams", secret_token)?)
            .await
    }

    /// Follows one stream URL from [`Streams`] with the token and returns the signed CDN URL
    /// it redirects to. The CDN URL needs no credentials and expires within minutes:
    /// resolve it right before use and again on a 403.
    pub async fn stream_location(&self, stream_url: &str) -> Result<Url> {
        let url = on_origin(stream_url, &self.config().api_base)?;
        self.location(Req::new(Method::GET, url)).await
    }

    /// `GET /tracks/{track_urn}/comments`.
    pub fn comments(&self, track: impl Into<TrackUrn>, opts: &ListOptions) -> Items<Comment> {
        self.track_items(track.into(), "/comments", opts)
    }

    /// `POST /tracks/{track_urn}/comments`: a comment, timed at `at_ms` when given (403
    /// where the creator disabled comments; 429 spam warning possible).
    pub async fn post_comment(
        &self,
        track: impl Into<TrackUrn>,
        body: &str,
        at_ms: Option<u64>,
    ) -> Result<Comment> {
        let mut comment = json!({ "body": body });
        if let Some(t) = at_ms {
            comment["timestamp"] = json!(t);
        }
        let req = self
            .track_req(Method::POST, track.into(), "/comments", None)?
            .json(json!({ "comment": comment }));
        self.json(req).await
    }

    /// `GET /tracks/{track_urn}/favoriters`: users who liked the track.
    pub fn favoriters(&self, track: impl Into<TrackUrn>, opts: &ListOptions) -> Items<User> {
        self.track_items(track.into(), "/favoriters", opts)
    }

    /// `GET /tracks/{track_urn}/reposters`.
    pub fn track_reposters(&self, track: impl Into<TrackUrn>, opts: &ListOptions) -> Items<User> {
        self.track_items(track.into(), "/reposters", opts)
    }

    /// `GET /tracks/{track_urn}/related`.
    pub fn related_tracks(&self, track: impl Into<TrackUrn>, opts: &ListOptions) -> Items<Track> {
        self.track_items(track.into(), "/related", opts)
    }
}
