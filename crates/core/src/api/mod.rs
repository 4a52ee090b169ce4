//! Every operation of the public API as a typed method on [`crate::Client`], one module per
//! resource family, with the option structs they take.

mod me;
mod options;
mod playlists;
mod resolve;
mod search;
mod social;
mod tracks;
mod upload;
mod users;

pub use options::{ListOptions, PlaylistDraft, Sort, TrackFields};
pub use resolve::{OEmbed, OEmbedOptions, Resource};
pub use search::{PlaylistSearch, TrackSearch, UserSearch};
pub use upload::{Progress, TrackUpload};

use crate::models::Access;

/// `access` as the API takes it: a comma-separated list.
pub(crate) fn access_csv(access: &[Access]) -> String {
    access
        .iter()
        .map(Access::as_str)
        .collect::<Vec<_>>()
        .join(",")
}
