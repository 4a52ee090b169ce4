#![allow(missing_docs)] // Fields mirror the spec's schemas one to one and keep its names; see the spec.
//! Serde types for every schema of the public API. Forward compatible: unknown fields are
//! ignored, unknown enum values are kept, every field is optional (the live service leaves
//! many `null`), both timestamp formats parse, and numeric `id`s sit beside `urn`s.

mod access;
mod activity;
mod comment;
mod page;
mod playlist;
mod streams;
mod time;
mod track;
mod user;

pub use access::{Access, Sharing};
pub use activity::{Activities, Activity};
pub use comment::{Comment, CommentUser};
pub use page::Page;
pub use playlist::{Playlist, PlaylistKind};
pub use streams::{Storefront, Streams};
pub use time::Timestamp;
pub(crate) use time::lenient as lenient_time;
pub use track::Track;
pub use user::{Me, Quota, Subscription, User, WebProfile};
