//! AAC in fragmented MP4 (CMAF): the init segment and media segments of one encode, and
//! "virtual" renditions of any length that repeat a seamless stretch of segments with their
//! sequence numbers and decode times rewritten, so a decoder sees one continuous stream.

use std::ops::Range;

/// AAC-LC samples per packet.
pub const SAMPLES_PER_PACKET: u64 = 1024;

#[derive(Debug)]
struct Segment {
    bytes: Range<usize>,
    packets: u64,
    /// Absolute offsets of the fields rewritten per position: (offset, is 64-bit).
    mfhd_seq: Option<usize>,
    tfdt: Option<(usize, bool)>,
    sidx_ept: Option<(usize, bool)>,
}

/// One AAC fMP4 encode split into its init segment and media segments.
#[derive(Debug)]
pub struct AacAsset {
    bytes: &'static [u8],
    init: Range<usize>,
    segments: Vec<Segment>,
    /// Media timescale (the sample rate) from `mdhd`.
    pub timescale: u32,
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// Top-level or child boxes in `range`: (type, start, end).
fn boxes(b: &[u8], range: Range<usize>) -> Vec<([u8; 4], usize, usize)> {
    let mut out = Vec::new();
    let mut at = range.start;
    while at + 8 <= range.end {
        let Some(size) = be32(b, at) else { break };
        let size = size as usize;
        if size < 8 || at + size > range.end {
            break;
        }
        let mut typ = [0; 4];
        typ.copy_from_slice(&b[at + 4..at + 8]);
        out.push((typ, at, at + size));
        at += size;
    }
    out
}

fn find(b: &[u8], range: Range<usize>, path: &[&[u8; 4]]) -> Option<(usize, usize)> {
    let (first, rest) = path.split_first()?;
    let (_, s, e) = boxes(b, range).into_iter().find(|(t, _, _)| t == *first)?;
    if rest.is_empty() {
        Some((s, e))
    } else {
        find(b, s + 8..e, rest)
    }
}

impl AacAsset {
    /// Splits an init segment followed by media segments (each `styp`? `sidx`? `moof` `mdat`).
    pub fn parse(bytes: &'static [u8]) -> Result<Self, String> {
        let top = boxes(bytes, 0..bytes.len());
        let first_media = top
            .iter()
            .position(|(t, _, _)| t == b"styp" || t == b"moof")
            .ok_or("no media segment in the AAC fixture")?;
        let init_end = top[first_media].1;
        let (mdhd, _) =
            find(bytes, 0..init_end, &[b"moov", b"trak", b"mdia", b"mdhd"]).ok_or("no mdhd box")?;
        let version = bytes[mdhd + 8];
        let timescale =
            be32(bytes, mdhd + if version == 1 { 28 } else { 20 }).ok_or("short mdhd box")?;
        let mut segments: Vec<Segment> = Vec::new();
        let mut seen_moof = false;
        for (t, s, e) in &top[first_media..] {
            let starts_new = t == b"styp" || (t == b"moof" && seen_moof) || segments.is_empty();
            if starts_new && (t == b"styp" || t == b"moof") {
                segments.push(Segment {
                    bytes: *s..*e,
                    packets: 0,
                    mfhd_seq: None,
                    tfdt: None,
                    sidx_ept: None,
                });
                seen_moof = false;
            }
            let seg = segments.last_mut().ok_or("media before any segment")?;
            seg.bytes.end = *e;
            match t {
                b"sidx" => seg.sidx_ept = Some((s + 8 + 4 + 4 + 4, bytes[s + 8] == 1)),
                b"moof" => {
                    seen_moof = true;
                    if let Some((m, _)) = find(bytes, *s + 8..*e, &[b"mfhd"]) {
                        seg.mfhd_seq = Some(m + 12);
                    }
                    if let Some((d, _)) = find(bytes, *s + 8..*e, &[b"traf", b"tfdt"]) {
                        seg.tfdt = Some((d + 12, bytes[d + 8] == 1));
                    }
                    let (r, _) =
                        find(bytes, *s + 8..*e, &[b"traf", b"trun"]).ok_or("moof without trun")?;
                    seg.packets += u64::from(be32(bytes, r + 12).ok_or("short trun")?);
                }
                _ => {}
            }
        }
        if segments.is_empty() {
            return Err("the AAC fixture has no media segment".into());
        }
        Ok(Self {
            bytes,
            init: 0..init_end,
            segments,
            timescale,
        })
    }

    /// The init segment (`ftyp` + `moov`).
    pub fn init(&self) -> &'static [u8] {
        &self.bytes[self.init.clone()]
    }

    /// Number of media segments in the encode.
    pub fn segment_count(&self) -> usize {
        self.segments.len()
    }

    /// Priming samples signalled by the edit list (`elst` media_time).
    pub fn priming(&self) -> u64 {
        let b = self.bytes;
        find(b, self.init.clone(), &[b"moov", b"trak", b"edts", b"elst"])
            .and_then(|(s, _)| {
                if b[s + 8] == 1 {
                    Some(u64::from_be_bytes(b.get(s + 24..s + 32)?.try_into().ok()?))
                } else {
                    be32(b, s + 20).map(u64::from)
                }
            })
            .unwrap_or(0)
    }
}

/// A rendition of `segments` media segments built from an [`AacAsset`]: the first segment, the
/// seamless stretch (every segment but the first and last, repeated), then the last.
#[derive(Debug, Clone, Copy)]
pub struct VirtualAac {
    asset: &'static AacAsset,
    segments: u64,
}

impl VirtualAac {
    /// The encode itself, extended by `loops` repetitions of its middle segments.
    /// An encode of fewer than three segments has no middle to repeat and is served as is.
    pub fn with_loops(asset: &'static AacAsset, loops: u64) -> Self {
        let middle = (asset.segment_count() as u64).saturating_sub(2);
        Self {
            asset,
            segments: asset.segment_count() as u64 + loops * middle,
        }
    }

    fn source(&self, i: u64) -> &'static Segment {
        let n = self.asset.segment_count() as u64;
        let idx = if self.segments == n || i == 0 {
            i
        } else if i + 1 == self.segments {
            n - 1
        } else {
            1 + (i - 1) % (n - 2)
        };
        &self.asset.segments[idx as usize]
    }

    /// Number of media segments.
    pub fn segments(&self) -> u64 {
        self.segments
    }

    /// The init segment.
    pub fn init(&self) -> &'static [u8] {
        self.asset.init()
    }

    /// Packets before segment `i`.
    fn packets_before(&self, i: u64) -> u64 {
        let n = self.asset.segment_count() as u64;
        let seg = |k: usize| self.asset.segments[k].packets;
        if self.segments == n {
            return (0..i as usize).map(seg).sum();
        }
        if i == 0 {
            return 0;
        }
        let middle: u64 = (1..n as usize - 1).map(seg).sum();
        let mids = (i - 1).min(self.segments - 2);
        let part: u64 = (1..1 + (mids % (n - 2)) as usize).map(seg).sum();
        let mut total = seg(0) + (mids / (n - 2)) * middle + part;
        if i == self.segments {
            total += seg(n as usize - 1);
        }
        total
    }

    /// Duration of segment `i` in seconds (its packets' length).
    pub fn segment_secs(&self, i: u64) -> f64 {
        (self.source(i).packets * SAMPLES_PER_PACKET) as f64 / f64::from(self.asset.timescale)
    }

    /// Decoded duration in seconds, priming excluded.
    pub fn duration_secs(&self) -> f64 {
        let samples = self.packets_before(self.segments) * SAMPLES_PER_PACKET;
        samples.saturating_sub(self.asset.priming()) as f64 / f64::from(self.asset.timescale)
    }

    /// Media segment `i` with its sequence number and decode time rewritten for position `i`.
    pub fn segment(&self, i: u64) -> Option<Vec<u8>> {
        if i >= self.segments {
            return None;
        }
        let src = self.source(i);
        let mut out = self.asset.bytes[src.bytes.clone()].to_vec();
        let base = src.bytes.start;
        let decode_time = self.packets_before(i) * SAMPLES_PER_PACKET;
        let mut put = |at: usize, wide: bool, v: u64| {
            let at = at - base;
            if wide {
                out[at..at + 8].copy_from_slice(&v.to_be_bytes());
            } else {
                out[at..at + 4].copy_from_slice(&(v as u32).to_be_bytes());
            }
        };
        if let Some(at) = src.mfhd_seq {
            put(at, false, i + 1);
        }
        if let Some((at, wide)) = src.tfdt {
            put(at, wide, decode_time);
        }
        if let Some((at, wide)) = src.sidx_ept {
            put(at, wide, decode_time);
        }
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_the_fixture_into_segments() {
        let a = crate::media::assets().main_aac(160);
        assert_eq!(a.timescale, 44_100);
        assert_eq!(a.segment_count(), 4);
        assert_eq!(a.priming(), 1024);
        assert!(a.segments[..3].iter().all(|s| s.packets == 431));
    }

    #[test]
    fn extended_segments_have_continuous_decode_times() {
        let a = crate::media::assets().main_aac(160);
        let v = VirtualAac::with_loops(a, 5);
        assert_eq!(v.segments(), 14);
        let mut expected = 0;
        for i in 0..v.segments() {
            let seg = v.segment(i).expect("segment");
            let off = v.source(i).tfdt.expect("tfdt").0 - v.source(i).bytes.start;
            let t = u64::from_be_bytes(seg[off..off + 8].try_into().expect("8 bytes"));
            assert_eq!(t, expected, "segment {i}");
            expected += v.source(i).packets * SAMPLES_PER_PACKET;
        }
        assert_eq!(v.packets_before(v.segments()) * 1024, expected);
    }
}
