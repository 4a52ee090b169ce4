//! The service's string enums: known values as variants, unknown ones kept as sent.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A string enum of the wire format that never fails to parse: a value this version does not
/// know is kept (`Unknown`) and written back as it came.
macro_rules! wire_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $wire:literal,)+ }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vdoc])* $variant,)+
            /// A value this version does not know, kept as sent.
            Unknown(String),
        }

        impl $name {
            /// The wire name.
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $wire,)+
                    $name::Unknown(s) => s,
                }
            }

            /// Parses a wire name (never fails: unknown names are kept).
            pub fn parse(s: &str) -> Self {
                match s {
                    $($wire => $name::$variant,)+
                    other => $name::Unknown(other.to_string()),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                Ok($name::parse(&String::deserialize(d)?))
            }
        }
    };
}

wire_enum! {
    /// What a client may stream of a track.
    Access {
        /// The full track.
        Playable = "playable",
        /// A 30 s preview only.
        Preview = "preview",
        /// Metadata only.
        Blocked = "blocked",
    }
}

wire_enum! {
    /// Who can see a track or playlist.
    Sharing {
        /// Everyone.
        Public = "public",
        /// The owner and those given its secret link.
        Private = "private",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values_parse_and_unknown_ones_are_kept() {
        let v: Vec<Sharing> =
            serde_json::from_str(r#"["public","private","team"]"#).expect("parses");
        assert_eq!(
            v,
            [
                Sharing::Public,
                Sharing::Private,
                Sharing::Unknown("team".into())
            ]
        );
        assert_eq!(
            serde_json::to_string(&v).expect("writes"),
            r#"["public","private","team"]"#
        );
        assert_eq!(Access::parse("preview"), Access::Preview);
        assert_eq!(Access::parse("geo").as_str(), "geo");
    }
}
