//! `sc`: the SoundCloud API from the command line, JSON out.
//!
//! ```text
//! cargo run --example sc -- search tracks "night drive" --genres House --bpm-from 118 --limit 20
//! cargo run --example sc -- resolve https://soundcloud.com/artist/track
//! cargo run --example sc -- upload take.wav --title "Take One" --artwork cover.jpg
//! cargo run --example sc -- --help
//! ```
//!
//! Exit codes: 0 done; 2 usage; 3 not found; 4 authentication failed (sign in with the
//! `login` example); 5 network gave up; 141 stdout closed; 1 anything else.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use scplay::core::{Client, Error, TrackFields, TrackUpload};
use serde_json::{Value, json};

#[path = "common/cli.rs"]
mod cli;
#[path = "sc/fail.rs"]
mod fail;
#[path = "sc/page.rs"]
mod page;
#[path = "sc/playlists.rs"]
mod playlists;
#[path = "sc/search.rs"]
mod search;
#[path = "sc/targets.rs"]
mod targets;
#[path = "common/token_status.rs"]
mod token_status;

use fail::{Fail, api, out, usage};
use page::{Page, list};
use playlists::{PlaylistCmd, playlist};
use search::{Search, search};

/// The SoundCloud API from the command line. Prints JSON on stdout.
#[derive(Debug, Parser)]
#[command(
    name = "sc",
    version,
    after_help = "TRACK, PLAYLIST and USER take a URN (soundcloud:tracks:123), a numeric id, a soundcloud.com URL, or a permalink path (artist, artist/track, artist/sets/name). Flags go anywhere on the line.\n\nExamples:\n  sc me\n  sc me likes --all\n  sc search tracks \"night drive\" --genres House --limit 20\n  sc like track https://soundcloud.com/artist/track\n  sc playlist show artist/sets/album\n  sc follow lena-tide\n  sc upload take.wav --title \"Take One\" --sharing private\n\nExit codes: 0 done; 2 usage; 3 not found; 4 authentication failed; 5 network gave up; 141 stdout closed; 1 anything else."
)]
struct Args {
    #[command(flatten)]
    api: cli::ApiArgs,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// The signed-in user, or their playlists, likes or feed.
    #[command(
        after_help = "Examples:\n  sc me\n  sc me playlists\n  sc me likes playlist --all\n  sc me feed --limit 10"
    )]
    Me {
        #[command(subcommand)]
        what: Option<MeCmd>,
    },
    /// What a soundcloud.com URL names (track, playlist or user).
    #[command(after_help = "Example:\n  sc resolve https://soundcloud.com/artist/track")]
    Resolve {
        /// A soundcloud.com URL.
        url: String,
    },
    /// A track's metadata.
    #[command(
        after_help = "Examples:\n  sc track 123\n  sc track https://soundcloud.com/artist/track"
    )]
    Track {
        /// The track (URN, id, URL or artist/track).
        track: String,
    },
    /// A track's signed stream URL (expires within minutes; for a player or curl).
    #[command(
        after_help = "Examples:\n  sc stream-url 123\n  sc stream-url artist/track --format hls_mp3_128"
    )]
    StreamUrl {
        /// The track (URN, id, URL or artist/track).
        track: String,
        /// hls_aac_160, hls_aac_96, hls_mp3_128, http_mp3_128 or preview_mp3_128 (default: the
        /// first the track has, in that order).
        #[arg(long)]
        format: Option<String>,
    },
    /// Search tracks, users or playlists.
    Search {
        #[command(subcommand)]
        what: Search,
    },
    /// A track's comments.
    #[command(after_help = "Examples:\n  sc comments 123\n  sc comments artist/track --all")]
    Comments {
        /// The track (URN, id, URL or artist/track).
        track: String,
        #[command(flatten)]
        page: Page,
    },
    /// Comment on a track, optionally at a position.
    #[command(after_help = "Example:\n  sc comment 123 --body \"Lovely drop\" --at 61000")]
    Comment {
        /// The track (URN, id, URL or artist/track).
        track: String,
        /// The comment's text.
        #[arg(long)]
        body: String,
        /// Position in the track, in milliseconds.
        #[arg(long)]
        at: Option<u64>,
    },
    /// Like a track or playlist.
    #[command(
        after_help = "Examples:\n  sc like track 123\n  sc like playlist https://soundcloud.com/artist/sets/album"
    )]
    Like {
        /// track or playlist.
        kind: Kind,
        /// The track or playlist (URN, id, URL or permalink path).
        id: String,
    },
    /// Unlike a track or playlist.
    #[command(after_help = "Example:\n  sc unlike track 123")]
    Unlike {
        /// track or playlist.
        kind: Kind,
        /// The track or playlist (URN, id, URL or permalink path).
        id: String,
    },
    /// Follow a user.
    #[command(after_help = "Examples:\n  sc follow lena-tide\n  sc follow soundcloud:users:1001")]
    Follow {
        /// The user (URN, id, URL or permalink).
        user: String,
    },
    /// Unfollow a user.
    #[command(after_help = "Example:\n  sc unfollow lena-tide")]
    Unfollow {
        /// The user (URN, id, URL or permalink).
        user: String,
    },
    /// Playlists: create, add to, show, delete.
    Playlist {
        #[command(subcommand)]
        action: PlaylistCmd,
    },
    /// Upload a track (WAV, FLAC, MP3, AAC, OGG, AIFF, …).
    #[command(
        after_help = "Example:\n  sc upload take.wav --title \"Take One\" --genre House --sharing private"
    )]
    Upload {
        /// The audio file.
        file: PathBuf,
        /// The track's title.
        #[arg(long)]
        title: String,
        /// A JPEG or PNG cover.
        #[arg(long)]
        artwork: Option<PathBuf>,
        /// The track's description.
        #[arg(long)]
        description: Option<String>,
        /// The track's genre.
        #[arg(long)]
        genre: Option<String>,
        /// Who can hear it: public (everyone) or private (you and people with its secret link).
        #[arg(long, value_enum, default_value = "public")]
        sharing: Sharing,
    },
    /// Change a track's metadata (only the fields given).
    #[command(after_help = "Example:\n  sc update 123 --title \"Take Two\" --sharing public")]
    Update {
        /// The track (URN, id, URL or artist/track).
        track: String,
        /// New title.
        #[arg(long)]
        title: Option<String>,
        /// New description.
        #[arg(long)]
        description: Option<String>,
        /// New genre.
        #[arg(long)]
        genre: Option<String>,
        /// New tags, space-separated (quote multi-word tags).
        #[arg(long)]
        tags: Option<String>,
        /// public or private.
        #[arg(long, value_enum)]
        sharing: Option<Sharing>,
        /// New cover (JPEG or PNG).
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

#[derive(Debug, Subcommand)]
enum MeCmd {
    /// Your playlists and albums.
    Playlists {
        #[command(flatten)]
        page: Page,
    },
    /// What you liked: tracks (default) or playlists.
    Likes {
        /// track or playlist.
        #[arg(value_enum, default_value = "track")]
        kind: Kind,
        #[command(flatten)]
        page: Page,
    },
    /// Your feed: new tracks and reposts from the people you follow.
    Feed {
        #[command(flatten)]
        page: Page,
    },
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Kind {
    Track,
    Playlist,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Sharing {
    Public,
    Private,
}

impl Sharing {
    fn api(self) -> scplay::core::Sharing {
        match self {
            Sharing::Public => scplay::core::Sharing::Public,
            Sharing::Private => scplay::core::Sharing::Private,
        }
    }
}

async fn run(args: Args) -> Result<(), Fail> {
    let client: Client = args
        .api
        .client(None)
        .map_err(usage)?
        .ok_or_else(|| usage("--client-id (or SOUNDCLOUD_CLIENT_ID) is required."))?;
    let c = &client;
    match args.cmd {
        Cmd::Me { what: None } => out(&client.me().await.map_err(api)?),
        Cmd::Me {
            what: Some(MeCmd::Playlists { page }),
        } => list(client.my_playlists(&page.options()), page).await,
        Cmd::Me {
            what: Some(MeCmd::Likes { kind, page }),
        } => match kind {
            Kind::Track => list(client.my_liked_tracks(&page.options()), page).await,
            Kind::Playlist => list(client.my_liked_playlists(&page.options()), page).await,
        },
        Cmd::Me {
            what: Some(MeCmd::Feed { page }),
        } => list(client.feed(&page.options()), page).await,
        Cmd::Resolve { url } => {
            let v: Value = match client.resolve(&url).await.map_err(api)? {
                scplay::core::Resource::Track(t) => json!(t),
                scplay::core::Resource::User(u) => json!(u),
                scplay::core::Resource::Playlist(p) => json!(p),
            };
            out(&v)
        }
        Cmd::Track { track } => out(&client
            .track(targets::track(c, &track).await?)
            .await
            .map_err(api)?),
        Cmd::StreamUrl { track, format } => stream_url(c, &track, format.as_deref()).await,
        Cmd::Search { what } => search(c, what).await,
        Cmd::Comments { track, page } => {
            let urn = targets::track(c, &track).await?;
            list(client.comments(urn, &page.options()), page).await
        }
        Cmd::Comment { track, body, at } => {
            let urn = targets::track(c, &track).await?;
            out(&client.post_comment(urn, &body, at).await.map_err(api)?)
        }
        Cmd::Like { kind, id } => {
            match kind {
                Kind::Track => client.like_track(targets::track(c, &id).await?).await,
                Kind::Playlist => client.like_playlist(targets::playlist(c, &id).await?).await,
            }
            .map_err(api)?;
            out(&json!({"liked": id}))
        }
        Cmd::Unlike { kind, id } => {
            match kind {
                Kind::Track => client.unlike_track(targets::track(c, &id).await?).await,
                Kind::Playlist => {
                    client
                        .unlike_playlist(targets::playlist(c, &id).await?)
                        .await
                }
            }
            .map_err(|e| match e {
                Error::NotFound { .. } => Fail(3, format!("{id} is not among your likes.")),
                e => api(e),
            })?;
            out(&json!({"unliked": id}))
        }
        Cmd::Follow { user } => {
            client
                .follow(targets::user(c, &user).await?)
                .await
                .map_err(api)?;
            out(&json!({"following": user}))
        }
        Cmd::Unfollow { user } => {
            client
                .unfollow(targets::user(c, &user).await?)
                .await
                .map_err(api)?;
            out(&json!({"unfollowed": user}))
        }
        Cmd::Playlist { action } => playlist(c, action).await,
        Cmd::Upload {
            file,
            title,
            artwork,
            description,
            genre,
            sharing,
        } => {
            // Everything is checked before the first byte is sent.
            let len = std::fs::metadata(&file)
                .map_err(|e| usage(format!("cannot read {}: {e}.", file.display())))?
                .len();
            if let Some(a) = &artwork {
                std::fs::metadata(a)
                    .map_err(|e| usage(format!("cannot read the artwork {}: {e}.", a.display())))?;
            }
            if title.trim().is_empty() {
                return Err(usage("--title must not be empty."));
            }
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
                    sharing: Some(sharing.api()),
                    ..TrackFields::default()
                },
                artwork,
                progress: Some(Arc::new(move |done, _| b.set_position(done))),
            };
            let t = client.upload_track(&upload).await.map_err(api);
            bar.finish_and_clear();
            let t = t?;
            eprintln!(
                "sc: uploaded {} ({}): {}",
                t.title.as_deref().unwrap_or("the track"),
                sharing.api(),
                t.permalink_url.as_deref().unwrap_or("no link yet")
            );
            out(&t)
        }
        Cmd::Update {
            track,
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
                sharing: sharing.map(Sharing::api),
                ..TrackFields::default()
            };
            let urn = targets::track(c, &track).await?;
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
        Cmd::SignOut => client
            .sign_out()
            .await
            .map_err(api)
            .and_then(|()| out(&json!({"signed_out": true}))),
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
    }
}

/// `sc stream-url`: the signed CDN URL of one of the track's streams.
async fn stream_url(client: &Client, track: &str, format: Option<&str>) -> Result<(), Fail> {
    let urn = targets::track(client, track).await?;
    let streams = client.streams(urn, None).await.map_err(api)?;
    let all = [
        ("hls_aac_160", &streams.hls_aac_160_url),
        ("hls_aac_96", &streams.hls_aac_96_url),
        ("hls_mp3_128", &streams.hls_mp3_128_url),
        ("http_mp3_128", &streams.http_mp3_128_url),
        ("preview_mp3_128", &streams.preview_mp3_128_url),
    ];
    if let Some(f) = format
        && !all.iter().any(|(name, _)| *name == f)
    {
        return Err(usage(format!(
            "--format takes hls_aac_160, hls_aac_96, hls_mp3_128, http_mp3_128 or preview_mp3_128, not {f:?}."
        )));
    }
    let (name, api_url) = all
        .iter()
        .find_map(|(name, url)| {
            url.as_deref()
                .filter(|_| format.is_none_or(|f| f == *name))
                .map(|u| (*name, u))
        })
        .ok_or_else(|| {
            Fail(
                3,
                format!("{track} has no {} stream.", format.unwrap_or("playable")),
            )
        })?;
    let location = client.stream_location(api_url).await.map_err(api)?;
    out(&json!({"format": name, "url": location.as_str()}))
}

fn main() -> ExitCode {
    cli::main_with("sc", |args| async move {
        run(args)
            .await
            .map_err(|Fail(code, message)| (code, message))
    })
}
