use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// What a client may stream of a track.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Access {
    /// The full track.
    Playable,
    /// A 30 s preview only.
    Preview,
    /// Metadata only.
    Blocked,
    /// A value this version does not know, kept as sent.
    Unknown(String),
}

impl Access {
    /// The wire name.
    pub fn as_str(&self) -> &str {
        match self {
            Access::Playable => "playable",
            Access::Preview => "preview",
            Access::Blocked => "blocked",
            Access::Unknown(s) => s,
        }
    }

    /// Parses a wire name (never fails: unknown names are kept).
    pub fn parse(s: &str) -> Self {
        match s {
            "playable" => Access::Playable,
            "preview" => Access::Preview,
            "blocked" => Access::Blocked,
            other => Access::Unknown(other.to_string()),
        }
    }
}

impl fmt::Display for Access {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Access {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Access {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Access::parse(&String::deserialize(d)?))
    }
}
