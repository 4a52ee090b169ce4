//! Resource identifiers: a URN (`soundcloud:tracks:123`) or a bare numeric id.

use std::fmt;
use std::str::FromStr;

/// What kind of resource a [`Urn`] names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// `soundcloud:tracks:…`
    Track,
    /// `soundcloud:users:…`
    User,
    /// `soundcloud:playlists:…`
    Playlist,
    /// `soundcloud:comments:…`
    Comment,
}

impl Kind {
    /// The URN's middle word (`tracks`, `users`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Track => "tracks",
            Kind::User => "users",
            Kind::Playlist => "playlists",
            Kind::Comment => "comments",
        }
    }
}

/// A typed SoundCloud resource id.
///
/// ```
/// use scplay_core::{Kind, Urn};
/// let a = Urn::parse(Kind::Track, "soundcloud:tracks:308946187").unwrap();
/// let b = Urn::parse(Kind::Track, "308946187").unwrap();
/// assert_eq!(a, b);
/// assert_eq!(a.to_string(), "soundcloud:tracks:308946187");
/// assert!(Urn::parse(Kind::Track, "soundcloud:users:1").is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Urn {
    kind: Kind,
    id: u64,
}

/// Why a string is not a URN of the expected kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a SoundCloud {expected} URN or numeric id: {input:?}")]
pub struct UrnError {
    /// The kind that was expected.
    pub expected: &'static str,
    /// The rejected input (ids are not secret).
    pub input: String,
}

impl Urn {
    /// A URN of `kind` with numeric `id`.
    pub fn new(kind: Kind, id: u64) -> Self {
        Self { kind, id }
    }

    /// Parses `soundcloud:{kind}:{id}` or a bare numeric id.
    pub fn parse(kind: Kind, s: &str) -> Result<Self, UrnError> {
        let err = || UrnError {
            expected: kind.as_str(),
            input: s.chars().take(100).collect(),
        };
        let t = s.trim();
        let num = match t.strip_prefix("soundcloud:") {
            Some(rest) => rest
                .strip_prefix(kind.as_str())
                .and_then(|r| r.strip_prefix(':'))
                .ok_or_else(err)?,
            None => t,
        };
        if num.is_empty() || !num.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err());
        }
        num.parse().map(|id| Self { kind, id }).map_err(|_| err())
    }

    /// The resource kind.
    pub fn kind(self) -> Kind {
        self.kind
    }

    /// The numeric id.
    pub fn id(self) -> u64 {
        self.id
    }
}

impl fmt::Display for Urn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "soundcloud:{}:{}", self.kind.as_str(), self.id)
    }
}

impl FromStr for Urn {
    type Err = UrnError;

    /// Parses a full URN of any kind (a bare number has no kind: use [`Urn::parse`]).
    fn from_str(s: &str) -> Result<Self, UrnError> {
        let kind = [Kind::Track, Kind::User, Kind::Playlist, Kind::Comment]
            .into_iter()
            .find(|k| s.trim().starts_with(&format!("soundcloud:{}:", k.as_str())))
            .ok_or_else(|| UrnError {
                expected: "resource",
                input: s.chars().take(100).collect(),
            })?;
        Self::parse(kind, s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_forms_and_rejects_others() {
        assert_eq!(Urn::parse(Kind::User, " 42 ").map(Urn::id), Ok(42));
        assert_eq!(
            "soundcloud:playlists:7".parse::<Urn>().map(Urn::kind),
            Ok(Kind::Playlist)
        );
        for bad in [
            "",
            "soundcloud:tracks:",
            "soundcloud:tracks:-1",
            "12a",
            "soundcloud:tracks:99999999999999999999999",
        ] {
            assert!(Urn::parse(Kind::Track, bad).is_err(), "{bad}");
        }
        assert!("42".parse::<Urn>().is_err());
    }
}

macro_rules! typed_urn {
    ($(#[$doc:meta])* $name:ident, $kind:expr) => {
        $(#[$doc])*
        ///
        /// Accepts a URN or a bare numeric id; always written (and sent) as the URN.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub struct $name(Urn);

        impl $name {
            /// Parses a URN of this kind or a numeric id.
            pub fn parse(s: &str) -> Result<Self, UrnError> {
                Urn::parse($kind, s).map(Self)
            }

            /// The numeric id.
            pub fn id(self) -> u64 {
                self.0.id()
            }

            /// The untyped URN.
            pub fn urn(self) -> Urn {
                self.0
            }
        }

        impl From<u64> for $name {
            fn from(id: u64) -> Self {
                Self(Urn::new($kind, id))
            }
        }

        impl FromStr for $name {
            type Err = UrnError;
            fn from_str(s: &str) -> Result<Self, UrnError> {
                Self::parse(s)
            }
        }

        impl TryFrom<&str> for $name {
            type Error = UrnError;
            fn try_from(s: &str) -> Result<Self, UrnError> {
                Self::parse(s)
            }
        }

        impl TryFrom<&String> for $name {
            type Error = UrnError;
            fn try_from(s: &String) -> Result<Self, UrnError> {
                Self::parse(s)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            /// From the URN string (or a bare numeric id, as a string or a number).
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                #[derive(serde::Deserialize)]
                #[serde(untagged)]
                enum Wire {
                    Text(String),
                    Id(u64),
                }
                match Wire::deserialize(d)? {
                    Wire::Text(t) => Self::parse(&t).map_err(serde::de::Error::custom),
                    Wire::Id(id) => Ok(Self::from(id)),
                }
            }
        }
    };
}

typed_urn!(
    /// A track id (`soundcloud:tracks:123`).
    TrackUrn,
    Kind::Track
);
typed_urn!(
    /// A user id (`soundcloud:users:123`).
    UserUrn,
    Kind::User
);
typed_urn!(
    /// A playlist id (`soundcloud:playlists:123`).
    PlaylistUrn,
    Kind::Playlist
);
typed_urn!(
    /// A comment id (`soundcloud:comments:123`).
    CommentUrn,
    Kind::Comment
);

/// Reads an optional URN field leniently: a value that is not a URN of the field's kind
/// (a typo in the service's data, another kind) is absent rather than failing the whole
/// object, as unreadable timestamps are.
pub(crate) fn lenient_urn<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum Maybe<T> {
        Urn(T),
        Other(serde::de::IgnoredAny),
    }
    Ok(
        match <Option<Maybe<T>> as serde::Deserialize>::deserialize(d)? {
            Some(Maybe::Urn(t)) => Some(t),
            Some(Maybe::Other(_)) | None => None,
        },
    )
}
