//! MP3 assets: a frame index over one encode, and "virtual" MP3 files of any length built by
//! looping a whole-period stretch of its frames, with the Info (Xing) header rewritten so a
//! decoder sees one honest file: 60-minute tracks without 60-minute fixtures.

use std::ops::Range;

/// Samples per MPEG-1 Layer III frame.
pub const SAMPLES_PER_FRAME: u64 = 1152;

/// One parsed MP3 encode: its Info frame and the byte range of every audio frame.
#[derive(Debug)]
pub struct Mp3Asset {
    bytes: &'static [u8],
    info: Range<usize>,
    /// Start offset of every audio frame, plus the end of the last one.
    offsets: Vec<usize>,
    /// Sample rate in Hz.
    pub sample_rate: u32,
    /// First and past-last frame of the stretch that loops seamlessly.
    loop_frames: Range<usize>,
}

fn frame_len(h: [u8; 4]) -> Option<(usize, u32)> {
    if h[0] != 0xFF || h[1] & 0xE0 != 0xE0 {
        return None;
    }
    let version = (h[1] >> 3) & 3; // 3 = MPEG1, 2 = MPEG2, 0 = MPEG2.5
    let layer = (h[1] >> 1) & 3; // 1 = Layer III
    if layer != 1 || version == 1 {
        return None;
    }
    let br_idx = usize::from(h[2] >> 4);
    let sr_idx = usize::from((h[2] >> 2) & 3);
    if br_idx == 0 || br_idx == 15 || sr_idx == 3 {
        return None;
    }
    const V1: [u32; 15] = [
        0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320,
    ];
    const V2: [u32; 15] = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];
    let (kbps, base_rate, coef) = if version == 3 {
        (V1[br_idx], [44_100, 48_000, 32_000][sr_idx], 144)
    } else {
        (V2[br_idx], [22_050, 24_000, 16_000][sr_idx], 72)
    };
    let rate = if version == 0 {
        base_rate / 2
    } else {
        base_rate
    };
    let padding = u32::from((h[2] >> 1) & 1);
    Some(((coef * kbps * 1000 / rate + padding) as usize, rate))
}

/// Offset of the `Xing`/`Info` tag inside a frame, if the frame carries one.
fn info_tag_offset(frame: &[u8]) -> Option<usize> {
    [36usize, 21, 13].into_iter().find(|&o| {
        frame
            .get(o..o + 4)
            .is_some_and(|t| t == b"Info" || t == b"Xing")
    })
}

impl Mp3Asset {
    /// Indexes `bytes`, an MP3 file without ID3 whose first frame is an Info frame.
    /// `loop_seconds` is the period of the source material: frames from about a quarter in,
    /// spanning that period, are the stretch a longer virtual file repeats.
    pub fn parse(bytes: &'static [u8], loop_seconds: f64) -> Result<Self, String> {
        let mut offsets = Vec::new();
        let mut pos = 0;
        let mut info = 0..0;
        let mut rate = 0;
        while pos + 4 <= bytes.len() {
            let h = [bytes[pos], bytes[pos + 1], bytes[pos + 2], bytes[pos + 3]];
            let (len, r) = frame_len(h).ok_or_else(|| format!("bad MP3 frame at byte {pos}"))?;
            let end = (pos + len).min(bytes.len());
            if pos == 0 && info_tag_offset(&bytes[pos..end]).is_some() {
                info = 0..end;
            } else {
                offsets.push(pos);
            }
            rate = r;
            pos = end;
        }
        offsets.push(pos);
        let frames = offsets.len() - 1;
        let loop_len = ((loop_seconds * f64::from(rate)) / SAMPLES_PER_FRAME as f64) as usize;
        let start = frames / 4;
        if info.is_empty() || start + loop_len > frames || loop_len == 0 {
            return Err("MP3 fixture lacks an Info frame or is shorter than its loop".into());
        }
        Ok(Self {
            bytes,
            info,
            offsets,
            sample_rate: rate,
            loop_frames: start..start + loop_len,
        })
    }

    /// Number of audio frames in the encode itself.
    pub fn frames(&self) -> usize {
        self.offsets.len() - 1
    }

    fn frame(&self, i: usize) -> &'static [u8] {
        &self.bytes[self.offsets[i]..self.offsets[i + 1]]
    }

    fn bytes_before(&self, i: usize) -> u64 {
        (self.offsets[i] - self.offsets[0]) as u64
    }

    /// The encoder delay and padding stored in the LAME tag, in samples.
    fn lame_delay_padding(&self) -> Option<(u32, u32)> {
        let f = &self.bytes[self.info.clone()];
        let tag = info_tag_offset(f)?;
        let at = tag + 8 + 4 + 4 + 100 + 4 + 21;
        let b = f.get(at..at + 3)?;
        let delay = (u32::from(b[0]) << 4) | (u32::from(b[1]) >> 4);
        let padding = ((u32::from(b[1]) & 0x0F) << 8) | u32::from(b[2]);
        Some((delay, padding))
    }
}

/// An MP3 "file" of `total_frames` audio frames made from an [`Mp3Asset`]: shorter than the
/// encode it is a prefix (a preview), longer it repeats the loop stretch and ends with the
/// encode's own tail.
#[derive(Debug, Clone)]
pub struct VirtualMp3 {
    asset: &'static Mp3Asset,
    total_frames: u64,
    header: Vec<u8>,
}

impl VirtualMp3 {
    /// A virtual file of `total_frames` frames.
    pub fn new(asset: &'static Mp3Asset, total_frames: u64) -> Self {
        let mut v = Self {
            asset,
            total_frames: total_frames.max(1),
            header: asset.bytes[asset.info.clone()].to_vec(),
        };
        v.patch_header();
        v
    }

    /// The encode extended by `loops` repetitions of its seamless stretch.
    pub fn with_loops(asset: &'static Mp3Asset, loops: u64) -> Self {
        let l = asset.loop_frames.len() as u64;
        Self::new(asset, asset.frames() as u64 + loops * l)
    }

    fn patch_header(&mut self) {
        let Some(tag) = info_tag_offset(&self.header) else {
            return;
        };
        let total_bytes = self.len();
        let frames = self.total_frames as u32;
        let flags = u32::from_be_bytes([
            self.header[tag + 4],
            self.header[tag + 5],
            self.header[tag + 6],
            self.header[tag + 7],
        ]);
        let mut at = tag + 8;
        if flags & 1 != 0 {
            self.header[at..at + 4].copy_from_slice(&frames.to_be_bytes());
            at += 4;
        }
        if flags & 2 != 0 {
            self.header[at..at + 4].copy_from_slice(&(total_bytes as u32).to_be_bytes());
        }
        // A prefix cut at a frame boundary carries no end padding.
        if self.total_frames < self.asset.frames() as u64 {
            let p = tag + 8 + 4 + 4 + 100 + 4 + 21;
            if let Some(b) = self.header.get_mut(p + 1..p + 3) {
                b[0] &= 0xF0;
                b[1] = 0;
            }
        }
    }

    /// Source frame index of virtual frame `v`.
    fn source_frame(&self, v: u64) -> usize {
        let n = self.asset.frames() as u64;
        if self.total_frames <= n {
            return v as usize;
        }
        let lp = &self.asset.loop_frames;
        let (a, l) = (lp.start as u64, lp.len() as u64);
        let tail = n - lp.end as u64;
        if v < a {
            v as usize
        } else if v >= self.total_frames - tail {
            (n - (self.total_frames - v)) as usize
        } else {
            (a + (v - a) % l) as usize
        }
    }

    /// Byte offset (in the virtual file) where virtual frame `v` starts; `v == total` gives the
    /// file length.
    pub fn frame_offset(&self, v: u64) -> u64 {
        let h = self.header.len() as u64;
        let a = self.asset;
        let n = a.frames() as u64;
        if self.total_frames <= n {
            return h + a.bytes_before(v as usize);
        }
        let lp = &a.loop_frames;
        let (ls, l) = (lp.start as u64, lp.len() as u64);
        let loop_bytes = a.bytes_before(lp.end) - a.bytes_before(lp.start);
        let tail = n - lp.end as u64;
        let tail_start = self.total_frames - tail;
        if v <= ls {
            h + a.bytes_before(v as usize)
        } else if v < tail_start {
            let k = (v - ls) / l;
            let r = (v - ls) % l;
            h + a.bytes_before(lp.start)
                + k * loop_bytes
                + (a.bytes_before(lp.start + r as usize) - a.bytes_before(lp.start))
        } else {
            let k = (tail_start - ls) / l;
            let extra = (tail_start - ls) % l;
            let base = h
                + a.bytes_before(lp.start)
                + k * loop_bytes
                + (a.bytes_before(lp.start + extra as usize) - a.bytes_before(lp.start));
            base + (a.bytes_before((n - (self.total_frames - v)) as usize) - a.bytes_before(lp.end))
        }
    }

    /// Total length in bytes.
    pub fn len(&self) -> u64 {
        self.frame_offset(self.total_frames)
    }

    /// Number of audio frames.
    pub fn frames(&self) -> u64 {
        self.total_frames
    }

    /// Sample rate in Hz.
    pub fn sample_rate(&self) -> u32 {
        self.asset.sample_rate
    }

    /// Decoded duration in seconds, after the encoder delay and padding are trimmed.
    pub fn duration_secs(&self) -> f64 {
        let (delay, padding) = self.asset.lame_delay_padding().unwrap_or((0, 0));
        let padding = if self.total_frames < self.asset.frames() as u64 {
            0
        } else {
            padding
        };
        let samples = self.total_frames * SAMPLES_PER_FRAME;
        samples.saturating_sub(u64::from(delay + padding)) as f64 / f64::from(self.sample_rate())
    }

    /// The bytes in `range` (clamped to the file).
    pub fn read(&self, range: Range<u64>) -> Vec<u8> {
        let end = range.end.min(self.len());
        let mut out = Vec::with_capacity(end.saturating_sub(range.start) as usize);
        let mut pos = range.start;
        let h = self.header.len() as u64;
        if pos < h {
            out.extend_from_slice(&self.header[pos as usize..end.min(h) as usize]);
            pos = h;
        }
        if pos >= end {
            return out;
        }
        // Binary search for the frame holding `pos`.
        let (mut lo, mut hi) = (0u64, self.total_frames);
        while hi - lo > 1 {
            let mid = (lo + hi) / 2;
            if self.frame_offset(mid) <= pos {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        let mut v = lo;
        while pos < end && v < self.total_frames {
            let start = self.frame_offset(v);
            let frame = self.asset.frame(self.source_frame(v));
            let from = (pos - start) as usize;
            let to = ((end - start) as usize).min(frame.len());
            out.extend_from_slice(&frame[from..to]);
            pos = start + to as u64;
            v += 1;
        }
        out
    }

    /// HLS segments the way the live service cuts MP3: about 2 s, about 3 s, then about 10 s,
    /// as (frame range) pairs; the first includes the header.
    pub fn hls_segments(&self) -> Vec<Range<u64>> {
        let per_sec = f64::from(self.sample_rate()) / SAMPLES_PER_FRAME as f64;
        let sizes = [2.0, 3.0];
        let mut out = Vec::new();
        let mut at = 0u64;
        let mut i = 0;
        while at < self.total_frames {
            let secs = sizes.get(i).copied().unwrap_or(10.0);
            let n = ((secs * per_sec).round() as u64).max(1);
            let end = (at + n).min(self.total_frames);
            out.push(at..end);
            at = end;
            i += 1;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asset() -> &'static Mp3Asset {
        crate::media::assets().main_mp3()
    }

    #[test]
    fn identity_when_not_extended() {
        let a = asset();
        let v = VirtualMp3::new(a, a.frames() as u64);
        let bytes = v.read(0..v.len());
        assert_eq!(bytes.len() as u64, v.len());
        assert_eq!(&bytes[v.header.len()..], &a.bytes[a.offsets[0]..]);
    }

    #[test]
    fn extended_file_is_consistent() {
        let a = asset();
        let v = VirtualMp3::with_loops(a, 3);
        let whole = v.read(0..v.len());
        assert_eq!(whole.len() as u64, v.len());
        // Every frame starts where the index says, with a valid header.
        for f in [0, 500, 1000, 2500, v.frames() - 1] {
            let o = v.frame_offset(f) as usize;
            let h = [whole[o], whole[o + 1], whole[o + 2], whole[o + 3]];
            assert!(frame_len(h).is_some(), "frame {f} at {o}");
        }
        // A range read equals the same slice of the whole.
        assert_eq!(v.read(12_345..98_765), whole[12_345..98_765].to_vec());
        // The header counts every frame.
        let tag = info_tag_offset(&whole).expect("info tag");
        let frames = u32::from_be_bytes([
            whole[tag + 8],
            whole[tag + 9],
            whole[tag + 10],
            whole[tag + 11],
        ]);
        assert_eq!(u64::from(frames), v.frames());
    }

    #[test]
    fn segments_grow_like_the_service() {
        let v = VirtualMp3::with_loops(asset(), 0);
        let segs = v.hls_segments();
        assert_eq!(segs[0], 0..77);
        assert_eq!(segs[1].end - segs[1].start, 115);
        assert_eq!(segs[2].end - segs[2].start, 383);
    }
}
