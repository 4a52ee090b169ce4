//! A streaming demuxer for AAC in fragmented MP4 (CMAF): the init segment's `moov` gives the
//! codec configuration and the priming (edit list); each `moof` + `mdat` gives packets, and is
//! forgotten once read, so memory stays flat however long the stream (symphonia's MP4 reader
//! keeps every fragment's tables, about 5 KiB per 10 s segment).

use std::io::{self, Read};

use symphonia::core::audio::{Channels, Position};
use symphonia::core::codecs::audio::AudioCodecParameters;
use symphonia::core::codecs::audio::well_known::CODEC_ID_AAC;

/// Largest `moov` or `moof` accepted, in bytes.
const MAX_META_BOX: u64 = 1 << 20;
/// Largest `mdat` accepted, in bytes.
const MAX_MDAT: u64 = 32 << 20;
/// Most samples one `moof` may list (all its `trun`s together): a 10 s AAC segment has 431,
/// so this is far above any real fragment and bounds the table at 256 KiB.
const MAX_FRAGMENT_SAMPLES: usize = 1 << 16;
/// Longest edit-list length believed, in samples (about a week at 48 kHz).
const MAX_LENGTH: u64 = 1 << 35;

/// The first bytes of a stream that this demuxer handles.
pub fn sniff(head: &[u8]) -> bool {
    head.get(4..8)
        .is_some_and(|t| matches!(t, b"ftyp" | b"styp" | b"moov"))
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn be64(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_be_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

/// Child boxes of `b[start..end]`: (type, payload start, end). A box whose size does not fit
/// what is left of its parent ends the list (sizes are compared in `u64` before any addition or
/// cast, so no size from the input can overflow).
fn children(b: &[u8], start: usize, end: usize) -> Vec<([u8; 4], usize, usize)> {
    let mut out = Vec::new();
    let end = end.min(b.len());
    let mut at = start;
    while end.saturating_sub(at) >= 8 {
        let left = (end - at) as u64;
        let Some(size) = be32(b, at) else { break };
        let (size, header) = match size {
            1 => match be64(b, at + 8) {
                Some(s) => (s, 16u64),
                None => break,
            },
            0 => (left, 8),
            s => (u64::from(s), 8),
        };
        if size < header || size > left {
            break;
        }
        // Both fit in `left`, itself a `usize`.
        let (size, header) = (size as usize, header as usize);
        let mut t = [0; 4];
        t.copy_from_slice(&b[at + 4..at + 8]);
        out.push((t, at + header, at + size));
        at += size;
    }
    out
}

fn child(b: &[u8], start: usize, end: usize, path: &[&[u8; 4]]) -> Option<(usize, usize)> {
    let (first, rest) = path.split_first()?;
    let (_, s, e) = children(b, start, end)
        .into_iter()
        .find(|(t, _, _)| t == *first)?;
    if rest.is_empty() {
        Some((s, e))
    } else {
        child(b, s, e, rest)
    }
}

/// The priming samples an init segment's edit list declares (0 when none).
pub fn priming(init: &[u8]) -> u64 {
    let Some((moov_s, moov_e)) = child(init, 0, init.len(), &[b"moov"]) else {
        return 0;
    };
    parse_priming(init, moov_s, moov_e)
}

fn parse_priming(b: &[u8], s: usize, e: usize) -> u64 {
    let Some((es, _)) = child(b, s, e, &[b"trak", b"edts", b"elst"]) else {
        return 0;
    };
    let v = if b.get(es) == Some(&1) {
        be64(b, es + 16).map(|v| v as i64)
    } else {
        be32(b, es + 12).map(|v| i64::from(v as i32))
    };
    v.filter(|v| (0..=1 << 20).contains(v)).unwrap_or(0) as u64
}

/// The first edit's `segment_duration` converted from the movie timescale (`mvhd`) to
/// samples at `rate`; `None` when it is 0 (unknown, as in most fragmented files).
fn edit_length(b: &[u8], rate: u32) -> Option<u64> {
    let (ms, _) = child(b, 0, b.len(), &[b"mvhd"])?;
    let timescale = if b.get(ms) == Some(&1) {
        be32(b, ms + 20)?
    } else {
        be32(b, ms + 12)?
    };
    let (es, _) = child(b, 0, b.len(), &[b"trak", b"edts", b"elst"])?;
    let duration = if b.get(es) == Some(&1) {
        be64(b, es + 8)?
    } else {
        u64::from(be32(b, es + 8)?)
    };
    if duration == 0 || timescale == 0 || rate == 0 {
        return None;
    }
    let samples = u128::from(duration) * u128::from(rate) / u128::from(timescale);
    // More than a few days of audio is not a length this player believes.
    u64::try_from(samples).ok().filter(|s| *s <= MAX_LENGTH)
}

/// Finds `esds`' DecoderSpecificInfo (the AudioSpecificConfig).
fn audio_specific_config(esds: &[u8]) -> Option<Vec<u8>> {
    // Skip version/flags, then walk descriptors: tag, variable-length size.
    let mut at = 4;
    let read_len = |at: &mut usize| -> Option<usize> {
        let mut len = 0usize;
        for _ in 0..4 {
            let b = *esds.get(*at)?;
            *at += 1;
            len = (len << 7) | usize::from(b & 0x7F);
            if b & 0x80 == 0 {
                break;
            }
        }
        Some(len)
    };
    while at < esds.len() {
        let tag = esds[at];
        at += 1;
        let len = read_len(&mut at)?;
        match tag {
            0x03 => at += 3,  // ES_Descriptor: ES_ID(2) + flags(1); assume no optional fields
            0x04 => at += 13, // DecoderConfigDescriptor fixed part
            0x05 => return esds.get(at..at + len).map(<[u8]>::to_vec),
            _ => at += len,
        }
    }
    None
}

/// Codec configuration from an init segment.
#[derive(Debug, Clone)]
pub struct InitInfo {
    /// Codec parameters for symphonia's AAC decoder.
    pub params: AudioCodecParameters,
    /// Samples of encoder delay to trim from the front.
    pub priming: u64,
    /// Samples to play after the priming, when the edit list says (its `segment_duration`):
    /// what follows is encoder padding.
    pub length: Option<u64>,
    /// Samples per second of the decoded audio (the sample entry's rate; 0 when unknown).
    pub rate: u32,
    /// Units per second of the track's decode times and durations (`mdhd`; 0 when unknown,
    /// then taken to be the sample rate).
    pub timescale: u32,
    /// Sample defaults of the movie (`trex`).
    defaults: SampleDefaults,
}

/// A fragment's per-sample defaults (`trex`, overridden by `tfhd`); 0 when not given.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct SampleDefaults {
    size: u32,
    duration: u32,
}

/// One sample of a fragment's table: its size in bytes and its duration in timescale units.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Sample {
    size: u32,
    duration: u32,
}

/// One AAC packet out of the demuxer.
#[derive(Debug, PartialEq)]
pub struct Fmp4Packet<'a> {
    /// Decode time, in samples of the decoded audio.
    pub ts: u64,
    /// Duration, in samples of the decoded audio.
    pub duration: u64,
    /// The AAC access unit.
    pub data: &'a [u8],
}

/// AAC-LC's frame: what a sample lasts when neither `trun`, `tfhd` nor `trex` says.
const AAC_FRAME: u32 = 1024;

fn parse_moov(b: &[u8]) -> io::Result<InitInfo> {
    let bad = |m: &str| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("fMP4 init segment: {m}"),
        )
    };
    let (trak_s, trak_e) = child(b, 0, b.len(), &[b"trak"]).ok_or_else(|| bad("no trak"))?;
    let (stsd_s, stsd_e) = child(b, trak_s, trak_e, &[b"mdia", b"minf", b"stbl", b"stsd"])
        .ok_or_else(|| bad("no stsd"))?;
    // stsd: version/flags(4) + entry_count(4), then sample entries.
    let (t, es, ee) = children(b, stsd_s + 8, stsd_e)
        .into_iter()
        .next()
        .ok_or_else(|| bad("empty stsd"))?;
    if &t != b"mp4a" {
        return Err(bad("not AAC (mp4a)"));
    }
    // AudioSampleEntry: reserved(6) + dref(2) + reserved(8) + channels(2) + size(2) + pre(2)
    // + reserved(2) + rate(4, 16.16), then child boxes.
    let channels = b
        .get(es + 16..es + 18)
        .map_or(2, |c| u16::from_be_bytes([c[0], c[1]]));
    let rate = be32(b, es + 24).map_or(0, |r| r >> 16);
    let (ds, de) = child(b, es + 28, ee, &[b"esds"]).ok_or_else(|| bad("no esds"))?;
    let asc = audio_specific_config(&b[ds..de]).ok_or_else(|| bad("no AudioSpecificConfig"))?;
    let mut params = AudioCodecParameters::new();
    params
        .for_codec(CODEC_ID_AAC)
        .with_extra_data(asc.into_boxed_slice());
    if rate > 0 {
        params.with_sample_rate(rate);
    }
    if let Some(p) = Position::from_count(u32::from(channels.max(1))) {
        params.with_channels(Channels::Positioned(p));
    }
    // trex: version/flags(4) + track(4) + description index(4) + duration(4) + size(4).
    let defaults = child(b, 0, b.len(), &[b"mvex", b"trex"])
        .map(|(s, _)| SampleDefaults {
            duration: be32(b, s + 12).unwrap_or(0),
            size: be32(b, s + 16).unwrap_or(0),
        })
        .unwrap_or_default();
    // mdhd: version/flags(4), then times of 4 or 8 bytes (version 1) before the timescale.
    let timescale = child(b, trak_s, trak_e, &[b"mdia", b"mdhd"])
        .and_then(|(s, _)| be32(b, if b.get(s) == Some(&1) { s + 20 } else { s + 12 }))
        .unwrap_or(0);
    Ok(InitInfo {
        params,
        priming: parse_priming(b, 0, b.len()),
        length: edit_length(b, rate),
        rate,
        timescale,
        defaults,
    })
}

/// The sample table of one `moof`, and its base media decode time (`tfdt`) when it has one.
fn parse_moof(b: &[u8], movie: SampleDefaults) -> (Vec<Sample>, Option<u64>) {
    let mut samples = Vec::new();
    let mut decode_time = None;
    for (t, s, e) in children(b, 0, b.len()) {
        if &t != b"traf" {
            continue;
        }
        let mut defaults = movie;
        for (ct, cs, ce) in children(b, s, e) {
            match &ct {
                b"tfhd" => {
                    // version/flags(4) + track(4), then the optional fields in flag order.
                    let flags = be32(b, cs).unwrap_or(0) & 0xFF_FFFF;
                    let mut at = cs + 8;
                    for (bit, width) in [(0x1, 8), (0x2, 4)] {
                        if flags & bit != 0 {
                            at += width;
                        }
                    }
                    if flags & 0x8 != 0 {
                        defaults.duration = be32(b, at).unwrap_or(defaults.duration);
                        at += 4;
                    }
                    if flags & 0x10 != 0 {
                        defaults.size = be32(b, at).unwrap_or(defaults.size);
                    }
                }
                b"tfdt" => {
                    decode_time = if b.get(cs) == Some(&1) {
                        be64(b, cs + 4)
                    } else {
                        be32(b, cs + 4).map(u64::from)
                    };
                }
                b"trun" => parse_trun(b, cs, ce, defaults, &mut samples),
                _ => {}
            }
        }
    }
    (samples, decode_time)
}

/// Appends the samples of one `trun` (payload `b[s..e]`) to `samples`. The count is what
/// the box says, capped by what its payload can hold and by [`MAX_FRAGMENT_SAMPLES`] for the
/// whole fragment. A duration comes from the sample, else the fragment's or movie's default,
/// else an AAC frame.
fn parse_trun(b: &[u8], s: usize, e: usize, defaults: SampleDefaults, samples: &mut Vec<Sample>) {
    let flags = be32(b, s).unwrap_or(0) & 0xFF_FFFF;
    let count = be32(b, s + 4).unwrap_or(0) as usize;
    let mut at = s + 8;
    if flags & 0x1 != 0 {
        at += 4; // data offset
    }
    if flags & 0x4 != 0 {
        at += 4; // first sample flags
    }
    let per = [0x100, 0x200, 0x400, 0x800]
        .iter()
        .filter(|f| flags & **f != 0)
        .count()
        * 4;
    let room = MAX_FRAGMENT_SAMPLES.saturating_sub(samples.len());
    let fits = match per {
        0 => room, // sizes from the defaults: nothing per sample in the box
        per => e.saturating_sub(at) / per,
    };
    let default_duration = match defaults.duration {
        0 => AAC_FRAME,
        d => d,
    };
    for i in 0..count.min(fits).min(room) {
        let mut field = at + i * per;
        let mut duration = default_duration;
        if flags & 0x100 != 0 {
            duration = be32(b, field).unwrap_or(duration);
            field += 4;
        }
        let size = if flags & 0x200 != 0 {
            be32(b, field).unwrap_or(0)
        } else {
            defaults.size
        };
        samples.push(Sample { size, duration });
    }
}

/// A byte stream with bytes put back in front (what a resynchronisation read past).
struct Input<R> {
    back: std::collections::VecDeque<u8>,
    inner: R,
}

impl<R: Read> Read for Input<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.back.is_empty() {
            return self.inner.read(buf);
        }
        let n = self.back.len().min(buf.len());
        for (b, v) in buf.iter_mut().zip(self.back.drain(..n)) {
            *b = v;
        }
        Ok(n)
    }
}

/// Reads boxes from a byte stream and yields AAC packets.
pub struct Fmp4Demuxer<R> {
    inner: Input<R>,
    /// The codec configuration (from the first `moov`).
    pub init: InitInfo,
    samples: Vec<Sample>,
    /// One box or one packet at a time: a fragment's `mdat` is read sample by sample, never
    /// held whole (it keeps its capacity, the largest box or sample seen).
    buf: Vec<u8>,
    /// The next sample of `samples` to read.
    next: usize,
    /// Bytes of the `mdat` being read that are still in the stream.
    mdat_left: u64,
    /// Packets dropped because their fragment's tables did not fit its data.
    pub dropped: u64,
    /// Decode time of the next packet, in the track's timescale.
    pub ts: u64,
    /// Init segments read so far (a new one mid-stream means a new decoder configuration).
    pub inits: u64,
}

fn read_header<R: Read>(r: &mut R) -> io::Result<Option<([u8; 4], u64)>> {
    let mut h = [0u8; 8];
    let mut got = 0;
    while got < 8 {
        let n = r.read(&mut h[got..])?;
        if n == 0 {
            return if got == 0 {
                Ok(None)
            } else {
                Err(io::ErrorKind::UnexpectedEof.into())
            };
        }
        got += n;
    }
    let mut t = [0; 4];
    t.copy_from_slice(&h[4..8]);
    let size = u64::from(u32::from_be_bytes([h[0], h[1], h[2], h[3]]));
    let payload = match size {
        1 => {
            let mut l = [0u8; 8];
            r.read_exact(&mut l)?;
            u64::from_be_bytes(l)
                .checked_sub(16)
                .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "bad box size"))?
        }
        0 => u64::MAX,
        s => s
            .checked_sub(8)
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "bad box size"))?,
    };
    Ok(Some((t, payload)))
}

fn read_payload<R: Read>(r: &mut R, len: u64, limit: u64, buf: &mut Vec<u8>) -> io::Result<()> {
    if len > limit {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("MP4 box of {len} bytes exceeds {limit}"),
        ));
    }
    buf.clear();
    // Grown as the bytes arrive, not to what the header claims: a short stream that claims a
    // large box costs only what it holds.
    let got = r.take(len).read_to_end(buf)?;
    if (got as u64) < len {
        return Err(io::ErrorKind::UnexpectedEof.into());
    }
    Ok(())
}

fn skip<R: Read>(r: &mut R, len: u64) -> io::Result<()> {
    let copied = io::copy(&mut r.take(len), &mut io::sink())?;
    if copied < len {
        Err(io::ErrorKind::UnexpectedEof.into())
    } else {
        Ok(())
    }
}

impl<R: Read> Fmp4Demuxer<R> {
    /// Reads up to and including the first `moov`.
    pub fn new(inner: R) -> io::Result<Self> {
        let mut inner = Input {
            back: Default::default(),
            inner,
        };
        let mut buf = Vec::new();
        loop {
            let Some((t, len)) = read_header(&mut inner)? else {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "stream ended before the init segment",
                ));
            };
            if &t == b"moov" {
                read_payload(&mut inner, len, MAX_META_BOX, &mut buf)?;
                let init = parse_moov(&buf)?;
                return Ok(Self {
                    inner,
                    init,
                    samples: Vec::new(),
                    buf: Vec::new(),
                    next: 0,
                    mdat_left: 0,
                    dropped: 0,
                    ts: 0,
                    inits: 1,
                });
            }
            skip(&mut inner, len)?;
        }
    }

    /// After damaged data: drops what is left of the current fragment and reads on to the
    /// next segment (`styp`) or fragment (`moof`) header whose size is plausible, at most
    /// `MAX_MDAT` bytes on. `false` when the stream ended first.
    pub fn resync(&mut self) -> io::Result<bool> {
        self.samples.clear();
        self.next = 0;
        // The search starts after the fragment's data (as when an `mdat` was read whole).
        let rest = std::mem::take(&mut self.mdat_left);
        match skip(&mut self.inner, rest) {
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(false),
            r => r?,
        }
        let mut window = [0u8; 8];
        let mut filled = 0;
        let mut scanned: u64 = 0;
        let mut byte = [0u8; 1];
        while scanned < MAX_MDAT {
            if self.inner.read(&mut byte)? == 0 {
                return Ok(false);
            }
            scanned += 1;
            if filled < 8 {
                window[filled] = byte[0];
                filled += 1;
            } else {
                window.copy_within(1.., 0);
                window[7] = byte[0];
            }
            if filled == 8 && matches!(&window[4..8], b"styp" | b"moof") {
                let size = u64::from(u32::from_be_bytes([window[0], window[1], window[2], window[3]]));
                if (8..=MAX_META_BOX).contains(&size) {
                    self.inner.back.extend(window);
                    return Ok(true);
                }
            }
        }
        Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "no segment boundary within the largest segment size",
        ))
    }

    /// Track timescale units as samples of the decoded audio (saturating).
    fn to_samples(&self, t: u64) -> u64 {
        let (rate, scale) = (self.init.rate, self.init.timescale);
        if rate == 0 || scale == 0 || rate == scale {
            return t;
        }
        u64::try_from(u128::from(t) * u128::from(rate) / u128::from(scale)).unwrap_or(u64::MAX)
    }

    /// The next packet, or `None` at the end of the stream.
    pub fn next_packet(&mut self) -> io::Result<Option<Fmp4Packet<'_>>> {
        loop {
            if self.mdat_left > 0 {
                if let Some(&Sample { size, duration }) = self.samples.get(self.next) {
                    if u64::from(size) > self.mdat_left {
                        // Sizes beyond the data: drop (and count) the rest of this fragment.
                        self.dropped += (self.samples.len() - self.next) as u64;
                        self.samples.clear();
                        self.next = 0;
                        continue;
                    }
                    self.next += 1;
                    self.mdat_left -= u64::from(size);
                    let ts = self.ts;
                    // A `tfdt` near the top of the range saturates instead of wrapping.
                    self.ts = self.ts.saturating_add(u64::from(duration));
                    if size == 0 {
                        continue; // nothing to decode; its time has passed
                    }
                    read_payload(&mut self.inner, u64::from(size), MAX_MDAT, &mut self.buf)?;
                    return Ok(Some(Fmp4Packet {
                        ts: self.to_samples(ts),
                        duration: self.to_samples(u64::from(duration)),
                        data: &self.buf,
                    }));
                }
                // The rest of the `mdat` is no sample its fragment's tables name.
                skip(&mut self.inner, self.mdat_left)?;
                self.mdat_left = 0;
                continue;
            }
            let Some((t, len)) = read_header(&mut self.inner)? else {
                return Ok(None);
            };
            match &t {
                b"moof" => {
                    read_payload(&mut self.inner, len, MAX_META_BOX, &mut self.buf)?;
                    let (samples, decode_time) = parse_moof(&self.buf, self.init.defaults);
                    self.samples = samples;
                    if let Some(t) = decode_time {
                        self.ts = t;
                    }
                    self.next = 0;
                }
                b"mdat" => {
                    if len > MAX_MDAT {
                        return Err(io::Error::new(
                            io::ErrorKind::InvalidData,
                            format!("MP4 box of {len} bytes exceeds {MAX_MDAT}"),
                        ));
                    }
                    self.mdat_left = len;
                    self.next = 0;
                }
                b"moov" => {
                    // A new init segment (a discontinuity): take its configuration.
                    read_payload(&mut self.inner, len, MAX_META_BOX, &mut self.buf)?;
                    self.init = parse_moov(&self.buf)?;
                    self.inits += 1;
                }
                _ => skip(&mut self.inner, len)?,
            }
        }
    }
}

#[cfg(test)]
mod tests;
