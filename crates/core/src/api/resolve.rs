//! `/resolve` (a soundcloud.com URL to a typed resource) and oEmbed.

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::http::{Req, network, read_limited};
use crate::models::{Playlist, Track, User};
use crate::origin::on_origin;
use crate::{Client, Error, Result};

/// What a soundcloud.com URL names.
#[derive(Debug, Clone, PartialEq)]
pub enum Resource {
    /// A track.
    Track(Box<Track>),
    /// A user.
    User(Box<User>),
    /// A playlist or album.
    Playlist(Box<Playlist>),
}

/// Options of an oEmbed request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OEmbedOptions {
    /// Largest width, in pixels.
    pub maxwidth: Option<u32>,
    /// Largest height, in pixels.
    pub maxheight: Option<u32>,
    /// Player colour, hex without `#`.
    pub color: Option<String>,
    /// Start playing on load.
    pub auto_play: Option<bool>,
    /// Show timed comments.
    pub show_comments: Option<bool>,
}

/// An oEmbed answer (the widget's embed code).
#[allow(missing_docs)]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct OEmbed {
    pub version: Option<Value>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub provider_name: Option<String>,
    pub provider_url: Option<String>,
    pub height: Option<Value>,
    pub width: Option<Value>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub author_name: Option<String>,
    pub author_url: Option<String>,
    /// The `<iframe>` to embed.
    pub html: Option<String>,
    pub thumbnail_url: Option<String>,
}

impl Client {
    /// `GET /resolve?url=…`: the resource behind a soundcloud.com (or on.soundcloud.com) URL,
    /// secret links included.
    pub async fn resolve(&self, url: &str) -> Result<Resource> {
        let location = self.resolve_location(url).await?;
        self.resource_at(&location).await
    }

    /// The first half of [`Client::resolve`]: the API URL a soundcloud.com URL stands for
    /// (`/resolve`'s redirect, e.g. `…/tracks/123?secret_token=…`), refused unless it is on
    /// the API origin. A player that knows a track's id from it can ask for its streams
    /// while [`Client::resource_at`] fetches the metadata.
    pub async fn resolve_location(&self, url: &str) -> Result<reqwest::Url> {
        let req = Req::new(Method::GET, self.api_url("/resolve")?).query("url", url);
        let location = self.location(req).await?;
        // The location is an API URL (with numeric ids, as the live service still sends);
        // refuse anything off the API origin before sending the token there.
        on_origin(location.as_str(), &self.config().api_base)
    }

    /// The second half of [`Client::resolve`]: the resource at an API URL that
    /// [`Client::resolve_location`] returned (refused off the API origin).
    pub async fn resource_at(&self, location: &reqwest::Url) -> Result<Resource> {
        let target = on_origin(location.as_str(), &self.config().api_base)?;
        let v: Value = self.json(Req::new(Method::GET, target)).await?;
        let decode = |e: serde_json::Error| Error::decode(location.as_str(), e);
        match v.get("kind").and_then(Value::as_str) {
            Some("track") => Ok(Resource::Track(Box::new(
                serde_json::from_value(v).map_err(decode)?,
            ))),
            Some("user") => Ok(Resource::User(Box::new(
                serde_json::from_value(v).map_err(decode)?,
            ))),
            Some("playlist") => Ok(Resource::Playlist(Box::new(
                serde_json::from_value(v).map_err(decode)?,
            ))),
            other => Err(Error::decode(
                location.as_str(),
                format!("unknown resource kind {other:?}"),
            )),
        }
    }

    /// oEmbed for a track, playlist or user URL (no token is sent: it is a public endpoint
    /// of the site, `web_base`).
    pub async fn oembed(&self, url: &str, opts: &OEmbedOptions) -> Result<OEmbed> {
        let endpoint = self
            .config()
            .web_base
            .join("oembed")
            .map_err(|e| Error::Config(format!("web_base: {e}")))?;
        let mut q: Vec<(&str, String)> = vec![("format", "json".into()), ("url", url.into())];
        if let Some(w) = opts.maxwidth {
            q.push(("maxwidth", w.to_string()));
        }
        if let Some(h) = opts.maxheight {
            q.push(("maxheight", h.to_string()));
        }
        if let Some(c) = &opts.color {
            q.push(("color", c.clone()));
        }
        if let Some(a) = opts.auto_play {
            q.push(("auto_play", a.to_string()));
        }
        if let Some(s) = opts.show_comments {
            q.push(("show_comments", s.to_string()));
        }
        let resp = self
            .inner
            .http
            .get(endpoint.clone())
            .query(&q)
            .timeout(self.config().timeout)
            .send()
            .await
            .map_err(|e| network(endpoint.as_str(), &e))?;
        let status = resp.status();
        let body = read_limited(resp, self.config().max_response_bytes).await?;
        if !status.is_success() {
            return Err(Error::from_status(
                status,
                endpoint.as_str(),
                &String::from_utf8_lossy(&body),
                None,
            ));
        }
        serde_json::from_slice(&body).map_err(|e| Error::decode(endpoint.as_str(), e))
    }
}
