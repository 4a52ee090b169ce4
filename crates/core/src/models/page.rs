use serde::{Deserialize, Deserializer, Serialize};

/// One page of a collection: `{collection, next_href}`, or the deprecated bare array (then
/// `next_href` is `None`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Page<T> {
    /// The items.
    pub collection: Vec<T>,
    /// The next page's URL, absent on the last page.
    pub next_href: Option<String>,
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Page<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Shape<T> {
            Linked {
                collection: Vec<T>,
                #[serde(default)]
                next_href: Option<String>,
            },
            Bare(Vec<T>),
        }
        Ok(match Shape::deserialize(d)? {
            Shape::Linked {
                collection,
                next_href,
            } => Page {
                collection,
                next_href,
            },
            Shape::Bare(collection) => Page {
                collection,
                next_href: None,
            },
        })
    }
}
