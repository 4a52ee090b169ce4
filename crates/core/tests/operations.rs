//! Every operation of the spec through its typed method, against the emulator.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use futures_util::{StreamExt, TryStreamExt};
use scplay_core::models::{PlaylistKind, Storefront};
use scplay_core::{
    Access, Items, ListOptions, OEmbedOptions, PlaylistDraft, PlaylistSearch, Resource, Sort,
    Timestamp, TrackFields, TrackSearch, TrackUpload, UserSearch,
};
use scplay_emulator::catalog;

async fn some<T>(items: Items<T>) -> Vec<T> {
    items.take(3).try_collect().await.unwrap()
}

#[tokio::test]
async fn me_and_my_collections() {
    let emu = emulator().await;
    let c = user_client(&emu).await;
    let o = ListOptions::default();
    assert_eq!(
        c.me()
            .await
            .unwrap()
            .user
            .urn
            .map(|u| u.to_string())
            .as_deref(),
        Some("soundcloud:users:1001")
    );
    assert!(!some(c.feed(&o)).await.is_empty());
    assert!(!some(c.feed_tracks(&o)).await.is_empty());
    assert!(!some(c.activities(&o)).await.is_empty());
    assert!(!some(c.own_activities(&o)).await.is_empty());
    assert!(!some(c.track_activities(&o)).await.is_empty());
    assert_eq!(c.recently_played(&[]).await.unwrap().len(), 3);
    assert!(!some(c.my_liked_tracks(&o)).await.is_empty());
    assert!(!some(c.my_liked_playlists(&o)).await.is_empty());
    assert!(!some(c.my_followings(&o)).await.is_empty());
    assert!(!some(c.my_followings_tracks(&o)).await.is_empty());
    assert!(c.is_following(catalog::USER_ORBIT).await.unwrap());
    assert!(!c.is_following(1101).await.unwrap());
    c.follow(1101).await.unwrap();
    assert!(c.is_following(1101).await.unwrap());
    c.unfollow(1101).await.unwrap();
    assert!(!some(c.my_followers(&o)).await.is_empty());
    assert!(c.my_follower(1100).await.unwrap().is_some());
    assert!(c.my_follower(catalog::USER_DEMO).await.unwrap().is_none());
    assert!(!some(c.my_playlists(&o)).await.is_empty());
    let asc = ListOptions {
        sort: Some(Sort::Ascending),
        ..ListOptions::default()
    };
    let mine: Vec<_> = c.my_tracks(&asc).try_collect().await.unwrap();
    assert!(mine.windows(2).all(|w| w[0].created_at <= w[1].created_at));
    assert!(!some(c.my_reposted_tracks(&o)).await.is_empty());
    assert!(!some(c.my_reposted_playlists(&o)).await.is_empty());
}

/// The service includes a playlist's tracks unless told not to: playlist lists leave them out
/// by sending `show_tracks=false`, and include them when asked.
#[tokio::test]
async fn playlist_lists_leave_tracks_out_unless_asked() {
    let emu = emulator().await;
    let c = user_client(&emu).await;
    let bare: Vec<_> = c
        .my_playlists(&ListOptions::default())
        .try_collect()
        .await
        .unwrap();
    assert!(!bare.is_empty() && bare.iter().all(|p| p.tracks.is_none()));
    let found: Vec<_> = some(c.search_playlists(&PlaylistSearch::new("demo"))).await;
    assert!(!found.is_empty() && found.iter().all(|p| p.tracks.is_none()));
    let with = ListOptions {
        show_tracks: Some(true),
        ..ListOptions::default()
    };
    let full: Vec<_> = some(c.user_playlists(catalog::USER_ORBIT, &with)).await;
    assert!(
        full.iter()
            .all(|p| p.tracks.as_ref().is_some_and(|t| !t.is_empty()))
    );
    let found = some(c.search_playlists(&PlaylistSearch::new("demo").show_tracks(true))).await;
    assert!(found[0].tracks.as_ref().is_some_and(|t| !t.is_empty()));
    let sent: Vec<String> = emu
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/playlists"))
        .map(|r| r.query.unwrap_or_default())
        .collect();
    assert_eq!(sent.len(), 4, "{sent:?}");
    assert!(sent[0].contains("show_tracks=false") && sent[1].contains("show_tracks=false"));
    assert!(sent[2].contains("show_tracks=true") && sent[3].contains("show_tracks=true"));
}

#[tokio::test]
async fn users() {
    let emu = emulator().await;
    let c = app_client(&emu);
    let o = ListOptions::default();
    let lena = c
        .user(
            "soundcloud:users:1001"
                .parse::<scplay_core::UserUrn>()
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(lena.username.as_deref(), Some("lena-tide"));
    assert_eq!(
        c.search_users(&UserSearch::new("orbit"))
            .try_collect::<Vec<_>>()
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(!some(c.related_users(1001, &o)).await.is_empty());
    assert!(!some(c.user_favorites(1001, &o)).await.is_empty());
    assert!(!some(c.user_followers(1001, &o)).await.is_empty());
    assert!(!some(c.user_followings(1001, &o)).await.is_empty());
    assert!(c.user_follows(1001, catalog::USER_ORBIT).await.unwrap());
    assert!(!some(c.user_playlists(1001, &o)).await.is_empty());
    assert!(!some(c.user_tracks(1001, &o)).await.is_empty());
    assert_eq!(c.web_profiles(1001).await.unwrap().len(), 2);
    assert!(!some(c.user_liked_tracks(1001, &o)).await.is_empty());
    assert!(!some(c.user_liked_playlists(1001, &o)).await.is_empty());
    assert!(!some(c.user_reposted_tracks(1001, &o)).await.is_empty());
    assert!(!some(c.user_reposted_playlists(1001, &o)).await.is_empty());
}

fn wav_file(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("take.wav");
    let mut v = b"RIFF\0\0\0\0WAVEfmt ".to_vec();
    v.resize(4096, 0);
    std::fs::write(&path, v).unwrap();
    path
}

#[tokio::test]
async fn tracks_comments_and_social() {
    let emu = emulator().await;
    let c = user_client(&emu).await;
    let o = ListOptions::default();
    let t = c.track(catalog::TRACK_PLAYABLE).await.unwrap();
    assert_eq!(t.access, Some(Access::Playable));
    assert_eq!(t.tags(), ["ambient", "field recording", "lisbon"]);
    assert!(
        c.private_track(catalog::TRACK_PRIVATE, catalog::SECRET_TOKEN_TRACK)
            .await
            .is_ok()
    );
    let found: Vec<_> = c
        .search_tracks(
            &TrackSearch::new("orbit")
                .genres(["House"])
                .tags(["night", "summer"])
                .bpm(90.0..=200.0)
                .duration_ms(30_000..=200_000)
                .created_between(Timestamp::parse("2024-01-01 00:00:00Z"), None)
                .access([Access::Playable])
                .limit(10),
        )
        .try_collect()
        .await
        .unwrap();
    assert!(!found.is_empty() && found.iter().all(|t| t.genre.as_deref() == Some("House")));
    let by_urn: Vec<_> = c
        .search_tracks(&TrackSearch::new("").urns([2201.into(), 2202.into()]))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(by_urn.len(), 2);

    let dir = std::env::temp_dir().join(format!("scplay-ops-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let art = dir.join("art.jpg");
    std::fs::write(&art, [0xFF, 0xD8, 0xFF, 0xE0]).unwrap();
    let up = c
        .upload_track(&TrackUpload {
            audio: wav_file(&dir),
            fields: TrackFields {
                title: Some("Take One".into()),
                genre: Some("Ambient".into()),
                ..TrackFields::default()
            },
            artwork: Some(art.clone()),
            progress: None,
        })
        .await
        .unwrap();
    let urn: scplay_core::TrackUrn = up.urn.unwrap();
    let edited = c
        .update_track(
            urn,
            &TrackFields {
                title: Some("Take Two".into()),
                bpm: Some(100.0),
                ..TrackFields::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (edited.title.as_deref(), edited.bpm),
        (Some("Take Two"), Some(100.0))
    );
    let edited = c
        .update_track_with_artwork(
            urn,
            &TrackFields {
                description: Some("d".into()),
                ..TrackFields::default()
            },
            Some(&art),
        )
        .await
        .unwrap();
    assert_eq!(edited.description.as_deref(), Some("d"));
    let sf = Storefront {
        title: Some("Buy".into()),
        kind: Some("digital".into()),
        link: Some("https://example.com".into()),
        ..Storefront::default()
    };
    assert_eq!(
        c.set_storefront(urn, &sf).await.unwrap().title.as_deref(),
        Some("Buy")
    );
    let preview = c.preview_url(catalog::TRACK_PLAYABLE, None).await.unwrap();
    assert!(preview.as_str().starts_with(emu.cdn_base()));
    let streams = c.streams(catalog::TRACK_PLAYABLE, None).await.unwrap();
    assert!(streams.hls_aac_96_url.is_some());
    let cdn = c
        .stream_location(streams.hls_aac_160_url.as_deref().unwrap())
        .await
        .unwrap();
    assert!(cdn.as_str().starts_with(emu.cdn_base()));
    assert!(
        !some(c.comments(catalog::TRACK_PLAYABLE, &o))
            .await
            .is_empty()
    );
    let comment = c
        .post_comment(catalog::TRACK_PLAYABLE, "at 12 s", Some(12_000))
        .await
        .unwrap();
    assert_eq!(comment.position_ms(), Some(12_000));
    assert!(
        !some(c.favoriters(catalog::TRACK_PLAYABLE, &o))
            .await
            .is_empty()
    );
    assert!(
        !some(c.track_reposters(catalog::TRACK_PLAYABLE, &o))
            .await
            .is_empty()
    );
    assert!(
        !some(c.related_tracks(catalog::TRACK_PLAYABLE, &o))
            .await
            .is_empty()
    );
    c.like_track(2202).await.unwrap();
    c.unlike_track(2202).await.unwrap();
    c.like_playlist(catalog::PLAYLIST_DEMO).await.unwrap();
    c.unlike_playlist(catalog::PLAYLIST_DEMO).await.unwrap();
    c.repost_track(2203).await.unwrap();
    c.unrepost_track(2203).await.unwrap();
    c.repost_playlist(catalog::PLAYLIST_DEMO).await.unwrap();
    c.unrepost_playlist(catalog::PLAYLIST_DEMO).await.unwrap();
    c.delete_track(urn).await.unwrap();
    assert!(matches!(
        c.track(urn).await,
        Err(scplay_core::Error::NotFound { .. })
    ));
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn playlists_resolve_and_oembed() {
    let emu = emulator().await;
    let c = user_client(&emu).await;
    let o = ListOptions::default();
    let p = c
        .create_playlist(&PlaylistDraft {
            title: Some("Road".into()),
            kind: Some(PlaylistKind::Album),
            tracks: Some(vec![2001.into()]),
            ..PlaylistDraft::default()
        })
        .await
        .unwrap();
    let urn: scplay_core::PlaylistUrn = p.urn.unwrap();
    let p = c
        .update_playlist(
            urn,
            &PlaylistDraft {
                tracks: Some(vec![2001.into(), 2002.into()]),
                ..PlaylistDraft::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(p.tracks.map(|t| t.len()), Some(2));
    let shown = c.playlist(urn, false, None).await.unwrap();
    assert!(shown.tracks.is_none());
    assert!(
        c.playlist(
            catalog::PLAYLIST_SECRET,
            true,
            Some(catalog::SECRET_TOKEN_PLAYLIST)
        )
        .await
        .is_ok()
    );
    assert_eq!(
        c.playlist_tracks(urn, &o)
            .try_collect::<Vec<_>>()
            .await
            .unwrap()
            .len(),
        2
    );
    assert!(
        !some(c.playlist_reposters(catalog::PLAYLIST_LENA, &o))
            .await
            .is_empty()
    );
    assert!(
        !some(c.search_playlists(&PlaylistSearch::new("demo").show_tracks(true)))
            .await
            .is_empty()
    );
    c.delete_playlist(urn).await.unwrap();
    match c
        .resolve("https://soundcloud.com/scplay-demo/sets/scplay-demo")
        .await
        .unwrap()
    {
        Resource::Playlist(p) => assert_eq!(p.tracks.map(|t| t.len()), Some(2)),
        r => panic!("{r:?}"),
    }
    assert!(matches!(
        c.resolve("https://soundcloud.com/lena-tide/tidal-lines")
            .await
            .unwrap(),
        Resource::Track(_)
    ));
    assert!(matches!(
        c.resolve("https://soundcloud.com/lena-tide").await.unwrap(),
        Resource::User(_)
    ));
    let o = c
        .oembed(
            "https://soundcloud.com/lena-tide/tidal-lines",
            &OEmbedOptions {
                maxheight: Some(200),
                ..OEmbedOptions::default()
            },
        )
        .await
        .unwrap();
    assert!(o.html.unwrap().contains("iframe"));
}
