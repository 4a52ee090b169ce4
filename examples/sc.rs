//! `sc`: the SoundCloud API from the command line, JSON out.
//!
//! ```text
//! cargo run --example sc -- search tracks --q "night drive" --genres House --bpm-from 118 --limit 20
//! cargo run --example sc -- resolve https://soundcloud.com/artist/track
//! cargo run --example sc -- upload take.wav --title "Take One" --artwork cover.jpg
//! cargo run --example sc -- --help
//! ```
//!
//! Exit codes: 0 done; 2 usage; 4 authentication failed (sign in with the `login` example);
//! 5 network gave up; 1 anything else.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use futures_util::{StreamExt, TryStreamExt};
use scplay::core::models::PlaylistKind;
use scplay::core::{
    Access, Client, Error, Items, ListOptions, PlaylistDraft, PlaylistSearch, PlaylistUrn,
    Timestamp, TrackFields, TrackSearch, TrackUpload, TrackUrn, UserSearch, UserUrn,
};
use serde::Serialize;
use serde_json::{Value, json};

#[path = "common/cli.rs"]
mod cli;
#[path = "common/token_status.rs"]
mod token_status;

/// The SoundCloud API from the command line. Prints JSON.
#[derive(Debug, Parser)]
#[command(
    name = "sc",
    version,
    after_help = "Exit codes: 0 done; 2 usage; 4 authentication failed; 5 network gave up; 1 anything else."
)]
struct Args {
    #[command(flatten)]
    api: cli::ApiArgs,
    /// Follow pagination to the end (lists).
    #[arg(long, global = true)]
    all: bool,
    /// Page size, 1-200 (lists).
    #[arg(long, global = true)]
    limit: Option<u32>,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// The signed-in user.
    Me,
    /// What a soundcloud.com URL names.
    Resolve { url: String },
    /// A track (id or URN).
    Track { id: String },
    /// Search tracks, users or playlists.
    Search {
        #[command(subcommand)]
        what: Search,
    },
    /// A track's comments.
    Comments { id: String },
    /// Comment on a track, optionally at a position.
    Comment {
        id: String,
        #[arg(long)]
        body: String,
        /// Position in the track, in milliseconds.
        #[arg(long)]
        at: Option<u64>,
    },
    /// Like a track or playlist.
    Like { kind: Kind, id: String },
    /// Unlike a track or playlist.
    Unlike { kind: Kind, id: String },
    /// Follow a user.
    Follow { user: String },
    /// Unfollow a user.
    Unfollow { user: String },
    /// Playlists.
    Playlist {
        #[command(subcommand)]
        action: PlaylistCmd,
    },
    /// Upload a track (WAV, FLAC, MP3, AAC, OGG, AIFF, …).
    Upload {
        file: PathBuf,
        #[arg(long)]
        title: String,
        #[arg(long)]
        artwork: Option<PathBuf>,
        #[arg(long)]
        description: Option<String>,
        #[arg(long)]
        genre: Option<String>,
        /// public or private.
        #[arg(long)]
        sharing: Option<String>,
    },
    /// Change a track's metadata.
    Update {
        id: String,
        #[arg(long)]
        title: Option<String>,
        #[arg(long)]
        description: Option<String>,
        #[arg(long)]
        genre: Option<String>,
        #[arg(long)]
        tags: Option<String>,
        /// public or private.
        #[arg(long)]
        sharing: Option<String>,
        #[arg(long)]
        artwork: Option<PathBuf>,
    },
    /// Sign out: end the session at SoundCloud and delete the saved token.
    SignOut,
    /// The token store: the current token and the fleet's counters.
    Token {
        #[command(subcommand)]
        action: TokenCmd,
    },
}

#[derive(Debug, Subcommand)]
enum TokenCmd {
    /// The current token's expiry, the last renewal, and (with a Redis store) the fleet's
    /// grants and refreshes in 12 h and plays in 24 h against SoundCloud's limits.
    Status {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Kind {
    Track,
    Playlist,
}

// Parsed once per run: the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
enum Search {
    /// Tracks, with every filter.
    Tracks {
        #[arg(long, default_value = "")]
        q: String,
        /// Comma-separated ids or URNs.
        #[arg(long)]
        urns: Option<String>,
        /// Comma-separated.
        #[arg(long)]
        genres: Option<String>,
        /// Comma-separated.
        #[arg(long)]
        tags: Option<String>,
        #[arg(long)]
        bpm_from: Option<f64>,
        #[arg(long)]
        bpm_to: Option<f64>,
        /// Milliseconds.
        #[arg(long)]
        duration_from: Option<u64>,
        /// Milliseconds.
        #[arg(long)]
        duration_to: Option<u64>,
        /// `yyyy-mm-dd hh:mm:ss`.
        #[arg(long)]
        created_from: Option<String>,
        /// `yyyy-mm-dd hh:mm:ss`.
        #[arg(long)]
        created_to: Option<String>,
        /// Comma-separated: playable, preview, blocked.
        #[arg(long)]
        access: Option<String>,
    },
    /// Users.
    Users {
        #[arg(long, default_value = "")]
        q: String,
    },
    /// Playlists.
    Playlists {
        #[arg(long, default_value = "")]
        q: String,
    },
}

#[derive(Debug, Subcommand)]
enum PlaylistCmd {
    /// Create a playlist with tracks.
    Create {
        #[arg(long)]
        title: String,
        /// Track ids or URNs.
        tracks: Vec<String>,
        #[arg(long)]
        album: bool,
        /// public or private.
        #[arg(long)]
        sharing: Option<String>,
    },
    /// Append tracks to a playlist.
    Add { id: String, tracks: Vec<String> },
    /// Show a playlist with its tracks.
    Show { id: String },
    /// Delete a playlist.
    Delete { id: String },
}

struct Fail(u8, String);

fn usage(e: impl std::fmt::Display) -> Fail {
    Fail(2, e.to_string())
}

fn api(e: Error) -> Fail {
    let code = if e.is_auth() {
        4
    } else if matches!(e, Error::Network { .. }) || e.is_retryable() {
        5
    } else if matches!(e, Error::InvalidArgument(_)) {
        2
    } else {
        1
    };
    let hint = if code == 4 {
        " Sign in with the login example, or check the app's credentials."
    } else {
        ""
    };
    Fail(code, format!("{e}.{hint}"))
}

fn out(v: &impl Serialize) -> Result<(), Fail> {
    let text = serde_json::to_string_pretty(v).map_err(|e| Fail(1, e.to_string()))?;
    println!("{text}");
    Ok(())
}

fn parse_list<T>(
    s: &str,
    f: impl Fn(&str) -> Result<T, scplay::core::UrnError>,
) -> Result<Vec<T>, Fail> {
    s.split(',')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(|x| f(x).map_err(usage))
        .collect()
}

/// One page, or everything with `--all`.
async fn list<T: Serialize>(items: Items<T>, all: bool, limit: Option<u32>) -> Result<(), Fail> {
    let take = if all {
        usize::MAX
    } else {
        limit.unwrap_or(50) as usize
    };
    let v: Vec<T> = items.take(take).try_collect().await.map_err(api)?;
    out(&v)
}

async fn run(args: Args) -> Result<(), Fail> {
    let client: Client = args
        .api
        .client(None)
        .map_err(usage)?
        .ok_or_else(|| usage("--client-id (or SOUNDCLOUD_CLIENT_ID) is required."))?;
    let opts = ListOptions {
        limit: args.limit,
        ..ListOptions::default()
    };
    let track = |s: &str| TrackUrn::parse(s).map_err(usage);
    match args.cmd {
        Cmd::Me => out(&client.me().await.map_err(api)?),
        Cmd::Resolve { url } => {
            let v: Value = match client.resolve(&url).await.map_err(api)? {
                scplay::core::Resource::Track(t) => json!(t),
                scplay::core::Resource::User(u) => json!(u),
                scplay::core::Resource::Playlist(p) => json!(p),
            };
            out(&v)
        }
        Cmd::Track { id } => out(&client.track(track(&id)?).await.map_err(api)?),
        Cmd::Search { what } => match what {
            Search::Tracks {
                q,
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
            } => {
                let mut s = TrackSearch::new(q);
                if let Some(u) = urns {
                    s = s.urns(parse_list(&u, TrackUrn::parse)?);
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
                    s = s.duration_ms(
                        duration_from.unwrap_or(0)..=duration_to.unwrap_or(u64::MAX / 2),
                    );
                }
                let time = |t: Option<String>| -> Result<Option<Timestamp>, Fail> {
                    t.map(|t| {
                        let full = if t.trim().len() == 10 {
                            format!("{} 00:00:00", t.trim())
                        } else {
                            t.trim().to_string()
                        };
                        Timestamp::parse(&full).ok_or_else(|| {
                            usage(format!("bad time {t:?}: use yyyy-mm-dd hh:mm:ss"))
                        })
                    })
                    .transpose()
                };
                s = s.created_between(time(created_from)?, time(created_to)?);
                if let Some(a) = access {
                    s = s.access(a.split(',').map(|x| Access::parse(x.trim())));
                }
                if let Some(l) = args.limit {
                    s = s.limit(l);
                }
                list(client.search_tracks(&s), args.all, args.limit).await
            }
            Search::Users { q } => {
                let mut s = UserSearch::new(q);
                if let Some(l) = args.limit {
                    s = s.limit(l);
                }
                list(client.search_users(&s), args.all, args.limit).await
            }
            Search::Playlists { q } => {
                let mut s = PlaylistSearch::new(q);
                if let Some(l) = args.limit {
                    s = s.limit(l);
                }
                list(client.search_playlists(&s), args.all, args.limit).await
            }
        },
        Cmd::Comments { id } => {
            list(client.comments(track(&id)?, &opts), args.all, args.limit).await
        }
        Cmd::Comment { id, body, at } => out(&client
            .post_comment(track(&id)?, &body, at)
            .await
            .map_err(api)?),
        Cmd::Like {
            kind: Kind::Track,
            id,
        } => client
            .like_track(track(&id)?)
            .await
            .map_err(api)
            .and_then(|()| out(&json!({"liked": id}))),
        Cmd::Like {
            kind: Kind::Playlist,
            id,
        } => client
            .like_playlist(PlaylistUrn::parse(&id).map_err(usage)?)
            .await
            .map_err(api)
            .and_then(|()| out(&json!({"liked": id}))),
        Cmd::Unlike {
            kind: Kind::Track,
            id,
        } => client
            .unlike_track(track(&id)?)
            .await
            .map_err(api)
            .and_then(|()| out(&json!({"unliked": id}))),
        Cmd::Unlike {
            kind: Kind::Playlist,
            id,
        } => client
            .unlike_playlist(PlaylistUrn::parse(&id).map_err(usage)?)
            .await
            .map_err(api)
            .and_then(|()| out(&json!({"unliked": id}))),
        Cmd::Follow { user } => client
            .follow(UserUrn::parse(&user).map_err(usage)?)
            .await
            .map_err(api)
            .and_then(|()| out(&json!({"following": user}))),
        Cmd::Unfollow { user } => client
            .unfollow(UserUrn::parse(&user).map_err(usage)?)
            .await
            .map_err(api)
            .and_then(|()| out(&json!({"unfollowed": user}))),
        Cmd::Playlist { action } => match action {
            PlaylistCmd::Create {
                title,
                tracks,
                album,
                sharing,
            } => {
                let draft = PlaylistDraft {
                    title: Some(title),
                    sharing,
                    kind: Some(if album {
                        PlaylistKind::Album
                    } else {
                        PlaylistKind::Playlist
                    }),
                    tracks: Some(tracks.iter().map(|t| track(t)).collect::<Result<_, _>>()?),
                    ..PlaylistDraft::default()
                };
                out(&client.create_playlist(&draft).await.map_err(api)?)
            }
            PlaylistCmd::Add { id, tracks } => {
                let urn = PlaylistUrn::parse(&id).map_err(usage)?;
                let current = client.playlist(urn, true, None).await.map_err(api)?;
                let mut list: Vec<TrackUrn> = current
                    .tracks
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|t| t.urn.as_deref().and_then(|u| TrackUrn::parse(u).ok()))
                    .collect();
                for t in &tracks {
                    list.push(track(t)?);
                }
                let draft = PlaylistDraft {
                    tracks: Some(list),
                    ..PlaylistDraft::default()
                };
                out(&client.update_playlist(urn, &draft).await.map_err(api)?)
            }
            PlaylistCmd::Show { id } => out(&client
                .playlist(PlaylistUrn::parse(&id).map_err(usage)?, true, None)
                .await
                .map_err(api)?),
            PlaylistCmd::Delete { id } => client
                .delete_playlist(PlaylistUrn::parse(&id).map_err(usage)?)
                .await
                .map_err(api)
                .and_then(|()| out(&json!({"deleted": id}))),
        },
        Cmd::Upload {
            file,
            title,
            artwork,
            description,
            genre,
            sharing,
        } => {
            let len = std::fs::metadata(&file)
                .map_err(|e| usage(format!("{}: {e}", file.display())))?
                .len();
            let bar = indicatif::ProgressBar::new(len);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            let b = bar.clone();
            let upload = TrackUpload {
                audio: file,
                fields: TrackFields {
                    title: Some(title),
                    description,
                    genre,
                    sharing,
                    ..TrackFields::default()
                },
                artwork,
                progress: Some(Arc::new(move |done, _| b.set_position(done))),
            };
            let t = client.upload_track(&upload).await.map_err(api);
            bar.finish_and_clear();
            out(&t?)
        }
        Cmd::Update {
            id,
            title,
            description,
            genre,
            tags,
            sharing,
            artwork,
        } => {
            let fields = TrackFields {
                title,
                description,
                genre,
                tag_list: tags,
                sharing,
                ..TrackFields::default()
            };
            let urn = track(&id)?;
            let t = match artwork {
                Some(a) => {
                    client
                        .update_track_with_artwork(urn, &fields, Some(&a))
                        .await
                }
                None => client.update_track(urn, &fields).await,
            };
            out(&t.map_err(api)?)
        }
        Cmd::Token {
            action: TokenCmd::Status { json },
        } => {
            let store = args.api.store_label();
            let (token, fleet) = token_status::read(&client).await.map_err(api)?;
            if json {
                out(&token_status::json(&store, token.as_ref(), fleet.as_ref()))
            } else {
                println!(
                    "{}",
                    token_status::text(&store, token.as_ref(), fleet.as_ref())
                );
                Ok(())
            }
        }
        Cmd::SignOut => client
            .sign_out()
            .await
            .map_err(api)
            .and_then(|()| out(&json!({"signed_out": true}))),
    }
}

fn main() -> ExitCode {
    cli::main_with("sc", |args| async move {
        run(args)
            .await
            .map_err(|Fail(code, message)| (code, message))
    })
}
