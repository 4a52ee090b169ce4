//! The deterministic seeded catalog. Tests name things by the constants in [`crate::catalog`].

use crate::catalog::*;
use crate::media::{AssetId, MediaSpec};
use crate::model::{Access, Comment, Playlist, Store, Track, User, WebProfile};

/// 2024-01-01 00:00:00 UTC.
const EPOCH: i64 = 1_704_067_200;
const DAY: i64 = 86_400;

fn user(id: u64, permalink: &str, full_name: &str, days: i64) -> User {
    User {
        id,
        username: permalink.to_string(),
        permalink: permalink.to_string(),
        full_name: full_name.to_string(),
        city: None,
        country: None,
        description: None,
        created_at: EPOCH + days * DAY,
        plan: "Free",
    }
}

fn track(id: u64, user_id: u64, title: &str, media: MediaSpec, days: i64) -> Track {
    Track {
        id,
        user_id,
        title: title.to_string(),
        permalink: slug(title),
        description: None,
        genre: Some("Electronic".into()),
        tag_list: String::new(),
        bpm: None,
        created_at: EPOCH + days * DAY,
        public: true,
        secret_token: None,
        access: Access::Playable,
        commentable: true,
        downloadable: false,
        license: "all-rights-reserved".into(),
        label_name: None,
        isrc: None,
        key_signature: None,
        release_year: Some(2024),
        artwork: None,
        playback_count: 0,
        duration_ms: media.duration_ms(),
        media,
        progressive_full: false,
        storefront: None,
    }
}

/// A URL slug: lowercase ASCII words joined by '-'.
pub fn slug(title: &str) -> String {
    let mut out = String::new();
    for word in title
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if !out.is_empty() {
            out.push('-');
        }
        out.push_str(&word.to_ascii_lowercase());
    }
    out
}

const fn main_media(loops: u64, aac: bool) -> MediaSpec {
    MediaSpec {
        asset: AssetId::Main,
        loops,
        aac,
        drm: false,
    }
}

fn playlist(id: u64, user_id: u64, title: &str, tracks: Vec<u64>, days: i64) -> Playlist {
    Playlist {
        id,
        user_id,
        title: title.to_string(),
        permalink: slug(title),
        description: None,
        genre: None,
        tag_list: String::new(),
        public: true,
        secret_token: None,
        set_type: "playlist".into(),
        created_at: EPOCH + days * DAY,
        last_modified: EPOCH + days * DAY,
        tracks,
    }
}

/// Builds the seeded store.
pub fn seed() -> Store {
    let mut s = Store {
        next_id: 900_000,
        ..Store::default()
    };
    let mut lena = user(USER_LENA, "lena-tide", "Lena Tide", 0);
    lena.city = Some("Lisbon".into());
    lena.country = Some("Portugal".into());
    lena.description = Some("Field recordings and slow synths.".into());
    lena.plan = "Pro Unlimited";
    s.users.insert(lena.id, lena);
    s.users
        .insert(USER_DEMO, user(USER_DEMO, "scplay-demo", "scplay demo", 1));
    s.users.insert(
        USER_ORBIT,
        user(USER_ORBIT, "orbit-collective", "Orbit Collective", 2),
    );
    for i in 0..LISTENERS {
        let id = FIRST_LISTENER + i;
        let name = format!("listener-{i:03}");
        s.users.insert(
            id,
            user(id, &name, &format!("Listener {i}"), 3 + i as i64 % 300),
        );
        s.follows.insert((id, USER_LENA));
        if i % 3 == 0 {
            s.follows.insert((id, USER_ORBIT));
        }
    }

    let mut t = track(
        TRACK_PLAYABLE,
        USER_LENA,
        "Tidal Lines",
        main_media(0, true),
        10,
    );
    t.tag_list = "ambient \"field recording\" lisbon".into();
    t.bpm = Some(96.0);
    t.description = Some("Waves under a slow pad.".into());
    t.key_signature = Some("A".into());
    t.isrc = Some("PTXX12400001".into());
    t.playback_count = 1234;
    s.tracks.insert(t.id, t);

    let mut t = track(
        TRACK_MP3_ONLY,
        USER_LENA,
        "Old Tape",
        main_media(0, false),
        11,
    );
    t.progressive_full = true;
    t.genre = Some("Lo-Fi".into());
    s.tracks.insert(t.id, t);

    let mut t = track(
        TRACK_PREVIEW,
        USER_LENA,
        "Go Plus Only",
        main_media(2, true),
        12,
    );
    t.access = Access::Preview;
    s.tracks.insert(t.id, t);

    let mut t = track(
        TRACK_BLOCKED,
        USER_LENA,
        "Label Locked",
        main_media(0, true),
        13,
    );
    t.access = Access::Blocked;
    s.tracks.insert(t.id, t);

    let mut t = track(
        TRACK_PRIVATE,
        USER_LENA,
        "Secret Sketch",
        main_media(0, true),
        14,
    );
    t.public = false;
    t.secret_token = Some(SECRET_TOKEN_TRACK.into());
    s.tracks.insert(t.id, t);

    let mut t = track(
        TRACK_NO_COMMENTS,
        USER_LENA,
        "No Comments Please",
        main_media(0, true),
        15,
    );
    t.commentable = false;
    s.tracks.insert(t.id, t);

    let mut t = track(
        TRACK_HOUR,
        USER_LENA,
        "One Hour Drift",
        main_media(178, true),
        16,
    );
    t.genre = Some("Ambient".into());
    t.tag_list = "ambient longform".into();
    s.tracks.insert(t.id, t);

    let mut t = track(
        TRACK_THREE_MINUTES,
        USER_LENA,
        "Three Minutes",
        main_media(7, true),
        18,
    );
    t.genre = Some("Ambient".into());
    s.tracks.insert(t.id, t);

    let mut t = track(
        TRACK_DRM,
        USER_LENA,
        "Encrypted Edition",
        MediaSpec {
            drm: true,
            ..main_media(0, true)
        },
        17,
    );
    t.genre = Some("Classical".into());
    s.tracks.insert(t.id, t);

    let demo = |asset| MediaSpec {
        asset,
        loops: 0,
        aac: true,
        drm: false,
    };
    let mut t = track(
        TRACK_DEMO_1,
        USER_DEMO,
        "First Light",
        demo(AssetId::Demo1),
        20,
    );
    t.genre = Some("Electronic".into());
    s.tracks.insert(t.id, t);
    let mut t = track(
        TRACK_DEMO_2,
        USER_DEMO,
        "Harbour Steps",
        demo(AssetId::Demo2),
        21,
    );
    t.genre = Some("Electronic".into());
    s.tracks.insert(t.id, t);

    for (id, asset, title) in [
        (TRACK_SET_1, AssetId::Set1, "Undertow I: Ebb"),
        (TRACK_SET_2, AssetId::Set2, "Undertow II: Slack Water"),
        (TRACK_SET_3, AssetId::Set3, "Undertow III: Flood"),
    ] {
        let mut t = track(id, USER_ORBIT, title, demo(asset), 30);
        t.genre = Some("Ambient".into());
        s.tracks.insert(t.id, t);
    }

    // Orbit Collective's catalog: varied metadata for search filters.
    const GENRES: [&str; 4] = ["House", "Techno", "Pop", "Ambient"];
    const TAGS: [&str; 3] = ["night", "summer", "\"deep cuts\""];
    for i in 0..ORBIT_TRACKS {
        let id = FIRST_ORBIT_TRACK + i;
        let mut t = track(
            id,
            USER_ORBIT,
            &format!("Orbit {i:02}"),
            main_media(i % 5, i % 7 != 3),
            30 + i as i64 * 7,
        );
        t.genre = Some(GENRES[(i % 4) as usize].into());
        t.tag_list = format!("orbit {}", TAGS[(i % 3) as usize]);
        t.bpm = Some(90.0 + (i * 3) as f64);
        t.access = match i % 10 {
            8 => Access::Preview,
            9 => Access::Blocked,
            _ => Access::Playable,
        };
        s.tracks.insert(id, t);
        s.track_likes.insert((USER_LENA, id));
    }

    s.playlists.insert(
        PLAYLIST_LENA,
        playlist(
            PLAYLIST_LENA,
            USER_LENA,
            "Night Drive",
            vec![
                TRACK_PLAYABLE,
                TRACK_MP3_ONLY,
                TRACK_PREVIEW,
                TRACK_BLOCKED,
                TRACK_NO_COMMENTS,
            ],
            40,
        ),
    );
    let mut p = playlist(
        PLAYLIST_DEMO,
        USER_DEMO,
        "scplay demo",
        vec![TRACK_DEMO_1, TRACK_DEMO_2],
        41,
    );
    p.description = Some("Two short pieces for the scplay quick start.".into());
    s.playlists.insert(p.id, p);
    let mut p = playlist(
        PLAYLIST_SECRET,
        USER_LENA,
        "Secret Set",
        vec![TRACK_PRIVATE],
        42,
    );
    p.public = false;
    p.secret_token = Some(SECRET_TOKEN_PLAYLIST.into());
    s.playlists.insert(p.id, p);
    let mut p = playlist(
        PLAYLIST_ORBIT,
        USER_ORBIT,
        "Orbit Complete",
        (FIRST_ORBIT_TRACK..FIRST_ORBIT_TRACK + ORBIT_TRACKS).collect(),
        43,
    );
    p.set_type = "album".into();
    s.playlists.insert(p.id, p);
    let mut p = playlist(
        PLAYLIST_SET,
        USER_ORBIT,
        "Undertow",
        vec![TRACK_SET_1, TRACK_SET_2, TRACK_SET_3],
        44,
    );
    p.set_type = "album".into();
    p.description = Some("One continuous piece in three movements: play it gapless.".into());
    s.playlists.insert(p.id, p);

    for i in 0..COMMENTS_ON_PLAYABLE {
        let id = FIRST_COMMENT + i;
        s.comments.insert(
            id,
            Comment {
                id,
                track_id: TRACK_PLAYABLE,
                user_id: FIRST_LISTENER + i % LISTENERS,
                body: format!("Comment {i}"),
                timestamp_ms: (i % 2 == 0).then_some(i * 250),
                created_at: EPOCH + 60 * DAY + i as i64 * 3600,
            },
        );
        s.track_likes
            .insert((FIRST_LISTENER + i % LISTENERS, TRACK_PLAYABLE));
    }

    s.follows.insert((USER_LENA, USER_ORBIT));
    s.follows.insert((USER_LENA, USER_DEMO));
    s.follows.insert((USER_ORBIT, USER_LENA));
    s.playlist_likes.insert((USER_LENA, PLAYLIST_ORBIT));
    s.track_reposts.insert((USER_LENA, FIRST_ORBIT_TRACK));
    s.track_reposts.insert((USER_ORBIT, TRACK_PLAYABLE));
    s.playlist_reposts.insert((USER_LENA, PLAYLIST_ORBIT));
    s.playlist_reposts.insert((USER_ORBIT, PLAYLIST_LENA));
    s.recently_played.insert(
        USER_LENA,
        vec![TRACK_DEMO_1, TRACK_PLAYABLE, FIRST_ORBIT_TRACK],
    );
    for (i, (service, title, url)) in [
        ("instagram", "Instagram", "https://instagram.com/lenatide"),
        ("personal", "Website", "https://lenatide.example"),
    ]
    .into_iter()
    .enumerate()
    {
        s.web_profiles.push(WebProfile {
            id: 5001 + i as u64,
            user_id: USER_LENA,
            service: service.into(),
            title: title.into(),
            url: url.into(),
            username: Some("lenatide".into()),
            created_at: EPOCH + 5 * DAY,
        });
    }
    s
}
