//! `sc search tracks|users|playlists`.

use clap::Subcommand;
use scplay::core::{Access, Client, PlaylistSearch, Timestamp, TrackSearch, TrackUrn, UserSearch};

use crate::fail::{Fail, usage};
use crate::page::{Page, list};

/// The search query: positional words, or `-q`/`--q`.
#[derive(Debug, Clone, clap::Args)]
pub struct Query {
    /// What to search for.
    words: Vec<String>,
    /// What to search for (the same as the positional words).
    #[arg(short = 'q', long = "q", value_name = "QUERY")]
    q: Option<String>,
}

impl Query {
    fn text(self) -> String {
        self.q.unwrap_or_else(|| self.words.join(" "))
    }
}

// Parsed once per run: the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Search {
    /// Tracks, with every filter.
    #[command(
        after_help = "Examples:\n  sc search tracks \"night drive\"\n  sc search tracks -q techno --bpm-from 120 --bpm-to 130 --access playable"
    )]
    Tracks {
        #[command(flatten)]
        query: Query,
        /// Comma-separated ids or URNs.
        #[arg(long)]
        urns: Option<String>,
        /// Comma-separated genres.
        #[arg(long)]
        genres: Option<String>,
        /// Comma-separated tags.
        #[arg(long)]
        tags: Option<String>,
        /// Lowest BPM.
        #[arg(long)]
        bpm_from: Option<f64>,
        /// Highest BPM.
        #[arg(long)]
        bpm_to: Option<f64>,
        /// Shortest, in milliseconds.
        #[arg(long)]
        duration_from: Option<u64>,
        /// Longest, in milliseconds.
        #[arg(long)]
        duration_to: Option<u64>,
        /// Created at or after: `yyyy-mm-dd` or `yyyy-mm-dd hh:mm:ss`.
        #[arg(long)]
        created_from: Option<String>,
        /// Created at or before: `yyyy-mm-dd` or `yyyy-mm-dd hh:mm:ss`.
        #[arg(long)]
        created_to: Option<String>,
        /// Comma-separated: playable, preview, blocked.
        #[arg(long)]
        access: Option<String>,
        #[command(flatten)]
        page: Page,
    },
    /// Users.
    #[command(after_help = "Example:\n  sc search users lena")]
    Users {
        #[command(flatten)]
        query: Query,
        #[command(flatten)]
        page: Page,
    },
    /// Playlists.
    #[command(after_help = "Example:\n  sc search playlists \"deep house\" --all")]
    Playlists {
        #[command(flatten)]
        query: Query,
        #[command(flatten)]
        page: Page,
    },
}

/// `sc search …`.
pub async fn search(client: &Client, what: Search) -> Result<(), Fail> {
    match what {
        Search::Tracks {
            query,
            urns,
            genres,
            tags,
            bpm_from,
            bpm_to,
            duration_from,
            duration_to,
            created_from,
            created_to,
            access,
            page,
        } => {
            let mut s = TrackSearch::new(query.text());
            if let Some(u) = urns {
                let list = u
                    .split(',')
                    .map(str::trim)
                    .filter(|x| !x.is_empty())
                    .map(|x| TrackUrn::parse(x).map_err(usage))
                    .collect::<Result<Vec<_>, _>>()?;
                s = s.urns(list);
            }
            if let Some(g) = genres {
                s = s.genres(g.split(',').map(str::trim));
            }
            if let Some(t) = tags {
                s = s.tags(t.split(',').map(str::trim));
            }
            if bpm_from.is_some() || bpm_to.is_some() {
                s = s.bpm(bpm_from.unwrap_or(0.0)..=bpm_to.unwrap_or(1000.0));
            }
            if duration_from.is_some() || duration_to.is_some() {
                s = s.duration_ms(duration_from.unwrap_or(0)..=duration_to.unwrap_or(u64::MAX / 2));
            }
            let time = |t: Option<String>| -> Result<Option<Timestamp>, Fail> {
                t.map(|t| {
                    let full = if t.trim().len() == 10 {
                        format!("{} 00:00:00", t.trim())
                    } else {
                        t.trim().to_string()
                    };
                    Timestamp::parse(&full)
                        .ok_or_else(|| usage(format!("bad time {t:?}: use yyyy-mm-dd hh:mm:ss")))
                })
                .transpose()
            };
            s = s.created_between(time(created_from)?, time(created_to)?);
            if let Some(a) = access {
                s = s.access(a.split(',').map(|x| Access::parse(x.trim())));
            }
            s = s.limit(page.limit);
            list(client.search_tracks(&s), page).await
        }
        Search::Users { query, page } => {
            let s = UserSearch::new(query.text()).limit(page.limit);
            list(client.search_users(&s), page).await
        }
        Search::Playlists { query, page } => {
            let s = PlaylistSearch::new(query.text()).limit(page.limit);
            list(client.search_playlists(&s), page).await
        }
    }
}
