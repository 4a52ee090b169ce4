//! Media playlists, parsed with `hls_m3u8` behind checks that keep hostile input from
//! panicking it (negative, NaN, infinite or huge `EXTINF`s are refused first, and any panic
//! left is contained), with encrypted playlists refused and the current `EXT-X-MAP` carried
//! to every segment after it.

use std::sync::Arc;
use std::time::Duration;

use url::Url;

use crate::PlayerError;
use crate::error::shown;

/// The most a playlist may weigh, in bytes.
pub const MAX_PLAYLIST_BYTES: usize = 4 << 20;

/// One media segment. Its `Debug` leaves out query strings (signatures).
#[derive(Clone, PartialEq)]
pub struct Segment {
    /// Absolute URL.
    pub url: Url,
    /// Duration in seconds (`EXTINF`).
    pub duration: f64,
    /// The init segment (`EXT-X-MAP`) in force for it (shared by the segments it covers).
    pub init: Option<Arc<Url>>,
    /// The bytes of `url` it is (`EXT-X-BYTERANGE`, start inclusive, end exclusive); the
    /// whole resource when `None`.
    pub range: Option<std::ops::Range<u64>>,
}

impl std::fmt::Debug for Segment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Segment")
            .field("url", &shown(&self.url))
            .field("duration", &self.duration)
            .field("init", &self.init.as_deref().map(shown))
            .field("range", &self.range)
            .finish()
    }
}

/// A parsed media playlist.
#[derive(Debug, Clone, PartialEq)]
pub struct MediaPlaylist {
    /// Segments in order.
    pub segments: Vec<Segment>,
}

impl MediaPlaylist {
    /// Total duration in seconds.
    pub fn duration(&self) -> f64 {
        self.segments.iter().map(|s| s.duration).sum()
    }

    /// The segment holding `secs`, and the time its first sample stands for.
    pub fn locate(&self, secs: f64) -> Option<(usize, f64)> {
        let mut start = 0.0;
        for (i, s) in self.segments.iter().enumerate() {
            if secs < start + s.duration || i + 1 == self.segments.len() {
                return Some((i, start));
            }
            start += s.duration;
        }
        None
    }
}

/// A playlist error; its message may quote the playlist (signed URLs included), so every
/// query string is cut from it.
fn bad(url: &Url, message: impl Into<String>) -> PlayerError {
    PlayerError::Playlist {
        url: shown(url),
        message: scplay_core::redact(&message.into()),
    }
}

/// Refuses what makes `hls_m3u8` panic, and encrypted playlists.
fn precheck(text: &str, url: &Url) -> Result<(), PlayerError> {
    if text.len() > MAX_PLAYLIST_BYTES {
        return Err(bad(url, "playlist larger than 4 MiB"));
    }
    if !text.trim_start().starts_with("#EXTM3U") {
        return Err(bad(url, "not an M3U8 playlist"));
    }
    for line in text.lines() {
        let line = line.trim();
        // An unbalanced quote (an attribute that is a lone `"`) makes `hls_m3u8` slice
        // out of bounds.
        if line.starts_with('#') && !line.matches('"').count().is_multiple_of(2) {
            return Err(bad(url, format!("unbalanced quotes in {line:?}")));
        }
        // Byte ranges whose start + length overflow make `hls_m3u8` panic.
        for value in byte_ranges(line) {
            if !byte_range_ok(value) {
                return Err(bad(url, format!("bad byte range {value:?}")));
            }
        }
        if let Some(rest) = line.strip_prefix("#EXTINF:") {
            let value = rest.split(',').next().unwrap_or("").trim();
            let d: f64 = value
                .parse()
                .map_err(|_| bad(url, format!("bad EXTINF {value:?}")))?;
            if !d.is_finite() || !(0.0..=86_400.0).contains(&d) {
                return Err(bad(url, format!("EXTINF out of range: {value}")));
            }
        } else if let Some(rest) = line.strip_prefix("#EXT-X-TARGETDURATION:") {
            let v: u64 = rest
                .trim()
                .parse()
                .map_err(|_| bad(url, "bad EXT-X-TARGETDURATION"))?;
            if v > 86_400 {
                return Err(bad(url, "EXT-X-TARGETDURATION out of range"));
            }
        } else if let Some(rest) = line.strip_prefix("#EXT-X-KEY:") {
            let method = rest
                .split(',')
                .find_map(|a| a.trim().strip_prefix("METHOD="))
                .unwrap_or("")
                .trim_matches('"');
            if method != "NONE" {
                return Err(PlayerError::Drm {
                    method: method.to_string(),
                });
            }
        } else if line.starts_with("#EXT-X-STREAM-INF") {
            return Err(bad(url, "a master playlist, not a media playlist"));
        }
    }
    Ok(())
}

/// The byte-range values on a line: `#EXT-X-BYTERANGE:n[@o]` and `BYTERANGE="n[@o]"`.
fn byte_ranges(line: &str) -> impl Iterator<Item = &str> {
    let tag = line.strip_prefix("#EXT-X-BYTERANGE:").map(str::trim);
    let attr = line
        .split_once("BYTERANGE=\"")
        .and_then(|(_, rest)| rest.split('"').next());
    tag.into_iter().chain(attr)
}

/// A length and an optional offset, both below 1 TiB (so their sum cannot overflow).
fn byte_range_ok(value: &str) -> bool {
    let limit = 1u64 << 40;
    let mut parts = value.splitn(2, '@');
    let ok = |p: Option<&str>| p.is_none_or(|p| p.trim().parse::<u64>().is_ok_and(|n| n < limit));
    let length = parts.next();
    length.is_some() && ok(length) && ok(parts.next())
}

/// Parses a media playlist fetched from `url` (relative URIs resolve against it).
pub fn parse(text: &str, url: &Url) -> Result<MediaPlaylist, PlayerError> {
    precheck(text, url)?;
    let parsed = std::panic::catch_unwind(|| {
        hls_m3u8::MediaPlaylist::builder()
            // The live service's segments run a little over the target (10.0078 s for 10).
            .allowable_excess_duration(Duration::from_secs(2))
            .parse(text)
            .map(|pl| {
                pl.segments
                    .values()
                    .map(|s| {
                        (
                            s.uri().to_string(),
                            s.duration.duration().as_secs_f64(),
                            s.map.as_ref().map(|m| m.uri().to_string()),
                            // Starts left out are filled in by the parser (after the
                            // previous range); the precheck bounded both ends.
                            s.byte_range
                                .map(|r| r.start().unwrap_or(0) as u64..r.end() as u64),
                        )
                    })
                    .collect::<Vec<_>>()
            })
            .map_err(|e| e.to_string())
    })
    .map_err(|_| bad(url, "the playlist parser gave up on this input"))?
    .map_err(|e| bad(url, e))?;
    let mut segments = Vec::with_capacity(parsed.len());
    let mut init: Option<Arc<Url>> = None;
    for (uri, duration, map, range) in parsed {
        if range.as_ref().is_some_and(|r| r.is_empty()) {
            return Err(bad(url, "an empty byte range"));
        }
        if let Some(m) = map {
            init = Some(Arc::new(
                url.join(&m)
                    .map_err(|e| bad(url, format!("bad EXT-X-MAP URI: {e}")))?,
            ));
        }
        let seg = url
            .join(&uri)
            .map_err(|e| bad(url, format!("bad segment URI: {e}")))?;
        if !matches!(seg.scheme(), "http" | "https") {
            return Err(bad(url, "segment URIs must be http(s)"));
        }
        segments.push(Segment {
            url: seg,
            duration,
            init: init.clone(),
            range,
        });
    }
    if segments.is_empty() {
        return Err(bad(url, "no segments"));
    }
    Ok(MediaPlaylist { segments })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse("http://cdn.test/a/playlist.m3u8?sig=1").unwrap_or_else(|_| unreachable!())
    }

    #[test]
    fn carries_the_map_and_resolves_relative_uris() {
        let text = "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:10\n#EXT-X-MAP:URI=\"init.mp4\"\n#EXTINF:10.0078,\n0.m4s\n#EXTINF:10.0078,\n1.m4s\n#EXT-X-ENDLIST\n";
        let pl = parse(text, &base()).expect("parses");
        assert_eq!(pl.segments.len(), 2);
        assert_eq!(
            pl.segments[1].init.as_deref().map(Url::as_str),
            Some("http://cdn.test/a/init.mp4")
        );
        assert_eq!(pl.segments[1].url.as_str(), "http://cdn.test/a/1.m4s");
        assert_eq!(pl.locate(12.0), Some((1, 10.0078)));
    }

    #[test]
    fn found_by_fuzzing_an_overflowing_byte_range_is_an_error_not_a_panic() {
        // fuzz/artifacts/playlist/crash-5c8b3e21…: start + length overflowed in `hls_m3u8`.
        let text = "#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:2.0,\n#EXT-X-BYTERANGE:32000@000000000000000000000018446744073709551615\n32";
        assert!(parse(text, &base()).is_err());
        assert!(byte_range_ok("32000@1000") && byte_range_ok("5"));
        assert!(!byte_range_ok("x@1") && !byte_range_ok(""));
    }

    #[test]
    fn found_by_fuzzing_a_lone_quote_is_an_error_not_a_panic() {
        // fuzz/artifacts/playlist/crash-5cd66f84…: `hls_m3u8` sliced "\"" out of bounds.
        let text = "#EXTM3U\n#EXT-X-MAP:URI=\"X%TB-U\n#EXT-X-MAP:URI=\"";
        assert!(parse(text, &base()).is_err());
    }

    #[test]
    fn hostile_durations_and_keys_are_errors_not_panics() {
        for extinf in ["-1", "NaN", "inf", "1e300", "abc", ""] {
            let text = format!("#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:{extinf},\na.ts\n");
            assert!(
                matches!(parse(&text, &base()), Err(PlayerError::Playlist { .. })),
                "{extinf}"
            );
        }
        let drm = "#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXT-X-KEY:METHOD=SAMPLE-AES,URI=\"skd://k\"\n#EXTINF:10,\na.m4s\n";
        assert!(matches!(parse(drm, &base()), Err(PlayerError::Drm { .. })));
        assert!(parse("not a playlist", &base()).is_err());
        assert!(
            parse(
                "#EXTM3U\n#EXT-X-TARGETDURATION:99999999999999999999\n",
                &base()
            )
            .is_err()
        );
    }
}
#[cfg(test)]
mod byte_range_tests {
    use super::*;

    #[test]
    fn errors_never_quote_signed_urls() {
        let base = Url::parse("http://cdn.test/a/playlist.m3u8?Signature=s3cr3t").expect("url");
        // Lines hls_m3u8 refuses, quoting a signed URL in its message.
        let text = "#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXT-X-MEDIA-SEQUENCE:http://cdn.test/0.m4s?Signature=s3cr3t\n#EXTINF:1.0,\nhttp://cdn.test/0.m4s?Signature=s3cr3t\n";
        let e = parse(text, &base).expect_err("refused");
        assert!(!e.to_string().contains("s3cr3t"), "{e}");
        assert!(!format!("{e:?}").contains("s3cr3t"), "{e:?}");
        // Nor does a parsed playlist's Debug.
        let text = "#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXT-X-MAP:URI=\"i.mp4?Signature=s3cr3t\"\n#EXTINF:1.0,\n0.m4s?Signature=s3cr3t\n";
        let pl = parse(text, &base).expect("parses");
        assert!(!format!("{pl:?}").contains("s3cr3t"), "{pl:?}");
    }

    #[test]
    fn byte_ranges_with_and_without_offsets() {
        let base = Url::parse("http://cdn.test/a/playlist.m3u8").expect("url");
        let text = "#EXTM3U\n#EXT-X-VERSION:4\n#EXT-X-TARGETDURATION:10\n#EXTINF:1.0,\n#EXT-X-BYTERANGE:100@0\nf.mp3\n#EXTINF:1.0,\n#EXT-X-BYTERANGE:50\nf.mp3\n#EXTINF:1.0,\n#EXT-X-BYTERANGE:20@500\nf.mp3\n#EXT-X-ENDLIST\n";
        let pl = parse(text, &base).expect("parses");
        let ranges: Vec<_> = pl.segments.iter().map(|s| s.range.clone()).collect();
        assert_eq!(ranges, [Some(0..100), Some(100..150), Some(500..520)]);
    }
}
