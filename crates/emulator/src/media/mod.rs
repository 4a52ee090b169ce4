//! Real encoded media: the committed fixtures (see `fixtures/README.md`), parsed once, and the
//! per-track renditions built from them.

pub mod mp3;
pub mod mp4;

use std::sync::OnceLock;

use mp3::{Mp3Asset, VirtualMp3};
use mp4::{AacAsset, VirtualAac};

/// Seconds after which the main fixture's source material repeats exactly (two AAC segments).
const MAIN_PERIOD_SECS: f64 = 2.0 * 431.0 * 1024.0 / 44_100.0;

/// Length of a preview, in seconds.
pub const PREVIEW_SECS: f64 = 30.0;

/// Which encode a track's audio comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssetId {
    /// 36 s of music-like material whose middle loops seamlessly; AAC 160 and 96, MP3 128.
    Main,
    /// A 6 s jingle; AAC 160 and MP3 128.
    Demo1,
    /// An 8 s jingle; AAC 160 and MP3 128.
    Demo2,
    /// The items of a continuous set (3.4 s, 10.6 s, 3.7 s), cut gaplessly from one encode;
    /// AAC 160 (edit list with priming and duration) and MP3 128 (LAME delay and padding).
    Set1,
    /// The second item of the set (two HLS segments).
    Set2,
    /// The third item of the set.
    Set3,
}

struct Encodes {
    aac160: AacAsset,
    aac96: Option<AacAsset>,
    mp3: Mp3Asset,
}

/// Every fixture, parsed.
pub struct Assets {
    main: Encodes,
    demo1: Encodes,
    demo2: Encodes,
    set: [Encodes; 3],
}

fn encodes(
    aac160: &'static [u8],
    aac96: Option<&'static [u8]>,
    mp3: &'static [u8],
    period: f64,
) -> Encodes {
    let fail = |e: String| -> ! { panic!("committed media fixture is invalid: {e}") };
    Encodes {
        aac160: AacAsset::parse(aac160).unwrap_or_else(|e| fail(e)),
        aac96: aac96.map(|b| AacAsset::parse(b).unwrap_or_else(|e| fail(e))),
        mp3: Mp3Asset::parse(mp3, period).unwrap_or_else(|e| fail(e)),
    }
}

/// The parsed fixtures (parsed on first use; they are compiled into the emulator).
pub fn assets() -> &'static Assets {
    static ASSETS: OnceLock<Assets> = OnceLock::new();
    ASSETS.get_or_init(|| Assets {
        main: encodes(
            include_bytes!("../../fixtures/main.aac160.mp4"),
            Some(include_bytes!("../../fixtures/main.aac96.mp4")),
            include_bytes!("../../fixtures/main.mp3"),
            MAIN_PERIOD_SECS,
        ),
        demo1: encodes(
            include_bytes!("../../fixtures/demo1.aac160.mp4"),
            None,
            include_bytes!("../../fixtures/demo1.mp3"),
            1.0,
        ),
        demo2: encodes(
            include_bytes!("../../fixtures/demo2.aac160.mp4"),
            None,
            include_bytes!("../../fixtures/demo2.mp3"),
            1.0,
        ),
        set: [
            encodes(
                include_bytes!("../../fixtures/set1.aac160.mp4"),
                None,
                include_bytes!("../../fixtures/set1.mp3"),
                1.0,
            ),
            encodes(
                include_bytes!("../../fixtures/set2.aac160.mp4"),
                None,
                include_bytes!("../../fixtures/set2.mp3"),
                1.0,
            ),
            encodes(
                include_bytes!("../../fixtures/set3.aac160.mp4"),
                None,
                include_bytes!("../../fixtures/set3.mp3"),
                1.0,
            ),
        ],
    })
}

impl Assets {
    fn get(&self, id: AssetId) -> &Encodes {
        match id {
            AssetId::Main => &self.main,
            AssetId::Demo1 => &self.demo1,
            AssetId::Demo2 => &self.demo2,
            AssetId::Set1 => &self.set[0],
            AssetId::Set2 => &self.set[1],
            AssetId::Set3 => &self.set[2],
        }
    }

    /// The main AAC encode at `kbps` (160 or 96).
    #[cfg(test)]
    pub fn main_aac(&self, kbps: u32) -> &AacAsset {
        match (kbps, &self.main.aac96) {
            (96, Some(a)) => a,
            _ => &self.main.aac160,
        }
    }

    /// The main MP3 encode.
    #[cfg(test)]
    pub fn main_mp3(&self) -> &Mp3Asset {
        &self.main.mp3
    }
}

/// What audio a track has and how long it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MediaSpec {
    /// The encode.
    pub asset: AssetId,
    /// Extra repetitions of the encode's seamless middle (0 = the encode as is).
    pub loops: u64,
    /// Whether AAC HLS renditions exist (older tracks have MP3 only).
    pub aac: bool,
    /// Whether the AAC renditions are DRM-protected (`EXT-X-KEY` SAMPLE-AES); such tracks
    /// offer no MP3.
    pub drm: bool,
}

/// The renditions of one track.
#[derive(Debug, Clone)]
pub struct TrackMedia {
    /// AAC 160 kbps HLS (fMP4).
    pub aac160: Option<VirtualAac>,
    /// AAC 96 kbps HLS (fMP4), where the encode has it.
    pub aac96: Option<VirtualAac>,
    /// The full MP3 (progressive, and byte-ranged for MP3 HLS).
    pub mp3: VirtualMp3,
    /// The 30 s MP3 preview.
    pub preview: VirtualMp3,
    /// Whether the HLS renditions are DRM-protected.
    pub drm: bool,
}

impl MediaSpec {
    /// Builds the renditions.
    pub fn media(&self) -> TrackMedia {
        let enc = assets().get(self.asset);
        let mp3 = VirtualMp3::with_loops(&enc.mp3, self.loops);
        let preview_frames = (PREVIEW_SECS * f64::from(enc.mp3.sample_rate)
            / mp3::SAMPLES_PER_FRAME as f64)
            .ceil() as u64;
        TrackMedia {
            aac160: self
                .aac
                .then(|| VirtualAac::with_loops(&enc.aac160, self.loops)),
            aac96: enc
                .aac96
                .as_ref()
                .filter(|_| self.aac)
                .map(|a| VirtualAac::with_loops(a, self.loops)),
            preview: VirtualMp3::new(&enc.mp3, preview_frames.min(mp3.frames())),
            mp3,
            drm: self.drm,
        }
    }

    /// The track's duration in milliseconds, as its metadata reports it.
    pub fn duration_ms(&self) -> u64 {
        let m = self.media();
        let secs = m
            .aac160
            .map(|a| a.duration_secs())
            .unwrap_or_else(|| m.mp3.duration_secs());
        (secs * 1000.0).round() as u64
    }
}
