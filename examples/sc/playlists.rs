//! `sc playlist create|add|show|delete`.

use clap::Subcommand;
use scplay::core::models::PlaylistKind;
use scplay::core::{Client, PlaylistDraft, TrackUrn};
use serde_json::json;

use crate::Sharing;
use crate::fail::{Fail, api, out};
use crate::targets;

#[derive(Debug, Subcommand)]
pub enum PlaylistCmd {
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

/// `sc playlist …`.
pub async fn playlist(client: &Client, action: PlaylistCmd) -> Result<(), Fail> {
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
                .filter_map(|t| t.track_urn())
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
