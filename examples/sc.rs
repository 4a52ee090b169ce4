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
use scplay::core::models::PlaylistKind;
use scplay::core::{
    Access, Client, Error, PlaylistDraft, PlaylistSearch, Timestamp, TrackFields, TrackSearch,
    TrackUpload, TrackUrn, UserSearch,
};
use serde_json::{Value, json};

#[path = "common/cli.rs"]
mod cli;
#[path = "sc/fail.rs"]
mod fail;
#[path = "sc/page.rs"]
mod page;
#[path = "sc/targets.rs"]
mod targets;

use fail::{Fail, api, out, usage};
use page::{Page, list};

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
    fn api(self) -> String {
        match self {
            Sharing::Public => "public".into(),
            Sharing::Private => "private".into(),
        }
    }
}

/// The search query: positional words, or `-q`/`--q`.
#[derive(Debug, Clone, clap::Args)]
struct Query {
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
enum Search {
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

#[derive(Debug, Subcommand)]
enum PlaylistCmd {
    /// Create a playlist (or album) with tracks.
    #[command(
        after_help = "Example:\n  sc playlist create --title \"Road trip\" 123 artist/track --sharing private"
    )]
    Create {
        /// Its title.
        #[arg(long)]
        title: String,
        /// Tracks (URN, id, URL or artist/track), in order.
        tracks: Vec<String>,
        /// Make it an album.
        #[arg(long)]
        album: bool,
        /// Who can see it: public or private.
        #[arg(long, value_enum, default_value = "public")]
        sharing: Sharing,
    },
    /// Append tracks to a playlist.
    #[command(
        after_help = "Example:\n  sc playlist add artist/sets/road-trip 456 soundcloud:tracks:789"
    )]
    Add {
        /// The playlist (URN, id, URL or artist/sets/name).
        playlist: String,
        /// Tracks to append (URN, id, URL or artist/track).
        #[arg(required = true)]
        tracks: Vec<String>,
    },
    /// Show a playlist with its tracks.
    #[command(after_help = "Example:\n  sc playlist show https://soundcloud.com/artist/sets/album")]
    Show {
        /// The playlist (URN, id, URL or artist/sets/name).
        playlist: String,
    },
    /// Delete a playlist.
    #[command(after_help = "Example:\n  sc playlist delete soundcloud:playlists:123")]
    Delete {
        /// The playlist (URN, id, URL or artist/sets/name).
        playlist: String,
    },
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

/// `sc search …`.
async fn search(client: &Client, what: Search) -> Result<(), Fail> {
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

/// `sc playlist …`.
async fn playlist(client: &Client, action: PlaylistCmd) -> Result<(), Fail> {
    match action {
        PlaylistCmd::Create {
            title,
            tracks,
            album,
            sharing,
        } => {
            let mut urns = Vec::with_capacity(tracks.len());
            for t in &tracks {
                urns.push(targets::track(client, t).await?);
            }
            let draft = PlaylistDraft {
                title: Some(title),
                sharing: Some(sharing.api()),
                kind: Some(if album {
                    PlaylistKind::Album
                } else {
                    PlaylistKind::Playlist
                }),
                tracks: Some(urns),
                ..PlaylistDraft::default()
            };
            out(&client.create_playlist(&draft).await.map_err(api)?)
        }
        PlaylistCmd::Add { playlist, tracks } => {
            let urn = targets::playlist(client, &playlist).await?;
            let mut added = Vec::with_capacity(tracks.len());
            for t in &tracks {
                added.push(targets::track(client, t).await?);
            }
            let current = client.playlist(urn, true, None).await.map_err(api)?;
            let mut list: Vec<TrackUrn> = current
                .tracks
                .unwrap_or_default()
                .iter()
                .filter_map(|t| t.urn.as_deref().and_then(|u| TrackUrn::parse(u).ok()))
                .collect();
            list.extend(added);
            let draft = PlaylistDraft {
                tracks: Some(list),
                ..PlaylistDraft::default()
            };
            out(&client.update_playlist(urn, &draft).await.map_err(api)?)
        }
        PlaylistCmd::Show { playlist } => out(&client
            .playlist(targets::playlist(client, &playlist).await?, true, None)
            .await
            .map_err(api)?),
        PlaylistCmd::Delete { playlist } => {
            client
                .delete_playlist(targets::playlist(client, &playlist).await?)
                .await
                .map_err(api)?;
            out(&json!({"deleted": playlist}))
        }
    }
}

fn main() -> ExitCode {
    cli::main_with("sc", |args| async move {
        run(args)
            .await
            .map_err(|Fail(code, message)| (code, message))
    })
}
