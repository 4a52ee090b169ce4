//! Cursor pagination as a `futures::Stream` of items: follows `next_href` verbatim, refuses a
//! link to another origin (the token is never sent there), stops on a repeated link or an
//! empty page, and puts back an `access` filter a link dropped.

use std::collections::HashSet;
use std::pin::Pin;

use futures_util::{Stream, StreamExt, stream};
use reqwest::{Method, Url};
use serde::de::DeserializeOwned;

use crate::http::Req;
use crate::models::Page;
use crate::origin::on_origin;
use crate::{Client, Error, Result};

/// A stream of items across pages. Collect it with `futures::TryStreamExt::try_collect`, or
/// take what you need and drop it: nothing is fetched ahead.
pub type Items<T> = Pin<Box<dyn Stream<Item = Result<T>> + Send>>;

/// Checks a page size: 1–200 (the service's limits).
pub(crate) fn check_limit(limit: Option<u32>) -> Result<u32> {
    match limit {
        None => Ok(50),
        Some(n @ 1..=200) => Ok(n),
        Some(n) => Err(Error::InvalidArgument(format!(
            "limit must be 1-200, not {n}"
        ))),
    }
}

enum Next {
    First(Req),
    Link(Url),
    /// The link pointed off-origin: report it after the page that carried it.
    Refused(Error),
    Done,
}

struct State {
    client: Client,
    next: Next,
    seen: HashSet<String>,
    access: Option<String>,
}

impl Client {
    /// Pages of `req` (which gets `linked_partitioning=true`) as a stream of items.
    pub(crate) fn items<T: DeserializeOwned + Send + 'static>(
        &self,
        mut req: Req,
        limit: Option<u32>,
    ) -> Items<T> {
        let limit = match check_limit(limit) {
            Ok(l) => l,
            Err(e) => return Box::pin(stream::once(async move { Err(e) })),
        };
        let access = req
            .query
            .iter()
            .find(|(k, _)| k == "access")
            .map(|(_, v)| v.clone());
        req = req
            .query("linked_partitioning", "true")
            .query("limit", limit);
        let state = State {
            client: self.clone(),
            next: Next::First(req),
            seen: HashSet::new(),
            access,
        };
        let pages = stream::unfold(state, |mut st| async move {
            let req = match std::mem::replace(&mut st.next, Next::Done) {
                Next::Done => return None,
                Next::First(req) => req,
                Next::Link(url) => Req::new(Method::GET, url),
                Next::Refused(e) => return Some((Err(e), st)),
            };
            let page: Page<T> = match st.client.json(req).await {
                Ok(p) => p,
                Err(e) => return Some((Err(e), st)),
            };
            if !page.collection.is_empty()
                && let Some(href) = page.next_href.as_deref().filter(|h| !h.is_empty())
            {
                match on_origin(href, &st.client.config().api_base) {
                    Ok(mut url) => {
                        if let Some(a) = &st.access
                            && !url.query_pairs().any(|(k, _)| k == "access")
                        {
                            url.query_pairs_mut().append_pair("access", a);
                        }
                        if st.seen.insert(url.as_str().to_string()) {
                            st.next = Next::Link(url);
                        }
                    }
                    Err(e) => st.next = Next::Refused(e),
                }
            }
            Some((Ok(page.collection), st))
        });
        Box::pin(pages.flat_map(|r| {
            let items: Vec<Result<T>> = match r {
                Ok(v) => v.into_iter().map(Ok).collect(),
                Err(e) => vec![Err(e)],
            };
            stream::iter(items)
        }))
    }
}
