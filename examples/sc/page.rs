//! Lists: one page (with a hint on stderr when there is more), or everything with `--all`.

use futures_util::{StreamExt, TryStreamExt};
use scplay::core::{Items, ListOptions};
use serde::Serialize;

use crate::fail::{Fail, api, out};

/// Paging flags of the commands that list.
#[derive(Debug, Clone, Copy, clap::Args)]
pub struct Page {
    /// Follow pagination to the end.
    #[arg(long)]
    pub all: bool,
    /// How many items to show (and the page size asked for), 1 to 200.
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=200))]
    pub limit: u32,
}

impl Page {
    /// The API's list options for this page size.
    pub fn options(&self) -> ListOptions {
        ListOptions {
            limit: Some(self.limit),
            ..ListOptions::default()
        }
    }
}

/// Prints one page (`--limit` items), or everything with `--all`; says on stderr when more
/// were left out.
pub async fn list<T: Serialize>(items: Items<T>, page: Page) -> Result<(), Fail> {
    if page.all {
        let v: Vec<T> = items.try_collect().await.map_err(api)?;
        return out(&v);
    }
    let want = page.limit as usize;
    // One more than shown tells whether there is more.
    let mut v: Vec<T> = items.take(want + 1).try_collect().await.map_err(api)?;
    let more = v.len() > want;
    v.truncate(want);
    out(&v)?;
    if more {
        eprintln!(
            "sc: showing the first {want}; there are more: --all for every one, or --limit up to 200."
        );
    }
    Ok(())
}
