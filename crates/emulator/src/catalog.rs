//! Names of the seeded catalog, so tests and demos can refer to its resources.
//!
//! | what | id |
//! | --- | --- |
//! | the signed-in user (`lena-tide`), owner of most tracks | [`USER_LENA`] |
//! | the quick-start demo user (`scplay-demo`) | [`USER_DEMO`] |
//! | another artist with [`ORBIT_TRACKS`] tracks of varied genre, tags, bpm, length, access | [`USER_ORBIT`] |
//! | playable, AAC 160 + AAC 96 + MP3, 36 s | [`TRACK_PLAYABLE`] |
//! | MP3 only (legacy; its progressive MP3 is the full track) | [`TRACK_MP3_ONLY`] |
//! | `access: preview` | [`TRACK_PREVIEW`] |
//! | `access: blocked` | [`TRACK_BLOCKED`] |
//! | private, unlocked by [`SECRET_TOKEN_TRACK`] | [`TRACK_PRIVATE`] |
//! | comments disabled | [`TRACK_NO_COMMENTS`] |
//! | about 60 minutes | [`TRACK_HOUR`] |
//! | about 3 minutes | [`TRACK_THREE_MINUTES`] |
//! | DRM-protected AAC HLS only | [`TRACK_DRM`] |
//! | the demo playlist's two short tracks | [`TRACK_DEMO_1`], [`TRACK_DEMO_2`] |
//! | a continuous set in three gapless items (AAC + MP3 HLS each) | [`TRACK_SET_1`], [`TRACK_SET_2`], [`TRACK_SET_3`] |
//! | playlists | [`PLAYLIST_LENA`], [`PLAYLIST_DEMO`], [`PLAYLIST_SECRET`], [`PLAYLIST_ORBIT`], [`PLAYLIST_SET`] |

/// The signed-in user of the emulator's `/authorize`, `lena-tide`.
pub const USER_LENA: u64 = 1001;
/// The demo user, `scplay-demo`.
pub const USER_DEMO: u64 = 1002;
/// A second artist, `orbit-collective`.
pub const USER_ORBIT: u64 = 1003;
/// The first of [`LISTENERS`] users who all follow [`USER_LENA`].
pub const FIRST_LISTENER: u64 = 1100;
/// How many listener accounts exist (a collection larger than one page of 200).
pub const LISTENERS: u64 = 260;

/// Playable; AAC 160, AAC 96 and MP3 renditions; 36 s; 120 comments.
pub const TRACK_PLAYABLE: u64 = 2001;
/// Playable, MP3 only; its `http_mp3_128_url` is the full track.
pub const TRACK_MP3_ONLY: u64 = 2002;
/// `access: preview`: only the 30 s preview streams.
pub const TRACK_PREVIEW: u64 = 2003;
/// `access: blocked`: metadata only.
pub const TRACK_BLOCKED: u64 = 2004;
/// Private; readable with [`SECRET_TOKEN_TRACK`] or by its owner.
pub const TRACK_PRIVATE: u64 = 2005;
/// Playable, comments disabled by its creator.
pub const TRACK_NO_COMMENTS: u64 = 2006;
/// Playable, about 60 minutes long.
pub const TRACK_HOUR: u64 = 2007;
/// Playable, about 3 minutes long (a typical track, for memory comparisons).
pub const TRACK_THREE_MINUTES: u64 = 2009;
/// Playable on paper, but its only stream is DRM-protected AAC HLS (`EXT-X-KEY` SAMPLE-AES).
pub const TRACK_DRM: u64 = 2008;
/// The demo playlist's first track (about 6 s).
pub const TRACK_DEMO_1: u64 = 2101;
/// The demo playlist's second track (about 8 s).
pub const TRACK_DEMO_2: u64 = 2102;
/// The first item of a continuous 17.7 s set cut into three gapless items (3.4 s, 10.6 s,
/// 3.7 s): each its own AAC 160 HLS (edit list: priming and duration) and MP3 HLS (LAME delay
/// and padding), cut from one encode so they join sample-exactly. The continuous encodes are
/// `fixtures/set.aac` and `fixtures/set.mp3`.
pub const TRACK_SET_1: u64 = 2301;
/// The second item of the set (10.6 s: two HLS segments).
pub const TRACK_SET_2: u64 = 2302;
/// The third item of the set.
pub const TRACK_SET_3: u64 = 2303;
/// The first of [`ORBIT_TRACKS`] tracks by [`USER_ORBIT`].
pub const FIRST_ORBIT_TRACK: u64 = 2201;
/// How many tracks [`USER_ORBIT`] has.
pub const ORBIT_TRACKS: u64 = 40;

/// [`USER_LENA`]'s public playlist of playable, MP3-only, preview, blocked and comment-less tracks.
pub const PLAYLIST_LENA: u64 = 3001;
/// The quick-start demo playlist (`https://soundcloud.com/scplay-demo/sets/scplay-demo`).
pub const PLAYLIST_DEMO: u64 = 3002;
/// A private playlist, readable with [`SECRET_TOKEN_PLAYLIST`].
pub const PLAYLIST_SECRET: u64 = 3003;
/// An album of every [`USER_ORBIT`] track.
pub const PLAYLIST_ORBIT: u64 = 3004;

/// The continuous set, [`TRACK_SET_1`] to [`TRACK_SET_3`] in order (an album by
/// [`USER_ORBIT`]).
pub const PLAYLIST_SET: u64 = 3005;

/// The secret token of [`TRACK_PRIVATE`].
pub const SECRET_TOKEN_TRACK: &str = "s-Xy7Qp2";
/// The secret token of [`PLAYLIST_SECRET`].
pub const SECRET_TOKEN_PLAYLIST: &str = "s-Pl4yL1";

/// The first comment id; [`COMMENTS_ON_PLAYABLE`] comments on [`TRACK_PLAYABLE`] follow.
pub const FIRST_COMMENT: u64 = 4001;
/// How many comments [`TRACK_PLAYABLE`] has.
pub const COMMENTS_ON_PLAYABLE: u64 = 120;

/// The seeded app's client id.
pub const CLIENT_ID: &str = "scplay-emulator-client";
/// The seeded app's client secret.
pub const CLIENT_SECRET: &str = "scplay-emulator-secret";
/// The seeded app's registered redirect URI.
pub const REDIRECT_URI: &str = "http://127.0.0.1:8765/callback";
