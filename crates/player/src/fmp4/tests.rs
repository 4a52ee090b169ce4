//! The demuxer on hostile boxes: sizes, counts and times around the integer limits.

use super::*;
use proptest::prelude::*;

/// A box: 32-bit size, type, payload.
fn boxed(t: &[u8; 4], payload: &[u8]) -> Vec<u8> {
    let mut b = ((payload.len() + 8) as u32).to_be_bytes().to_vec();
    b.extend_from_slice(t);
    b.extend_from_slice(payload);
    b
}

/// The init segment of a real AAC rendition (the emulator's fixture), up to its `moov`.
fn real_init() -> Vec<u8> {
    let file: &[u8] = include_bytes!("../../../emulator/fixtures/demo1.aac160.mp4");
    let mut at = 0;
    while at + 8 <= file.len() {
        let size = be32(file, at).unwrap_or(0) as usize;
        if &file[at + 4..at + 8] == b"moov" {
            return file[..at + size].to_vec();
        }
        at += size.max(8);
    }
    panic!("no moov in the fixture");
}

/// Reads at most `limit` packets; the total bytes, or the error.
fn drain(bytes: Vec<u8>, limit: usize) -> io::Result<usize> {
    let mut d = Fmp4Demuxer::new(io::Cursor::new(bytes))?;
    let mut total = 0;
    for _ in 0..limit {
        match d.next_packet()? {
            Some(p) => total += p.data.len(),
            None => return Ok(total),
        }
    }
    Ok(total)
}

#[test]
fn a_box_size_near_u64_max_inside_moov_is_refused_at_once() {
    // moov { trak (size 1: a 64-bit size of u64::MAX - 3) }: `at + size` used to wrap.
    let mut trak = 1u32.to_be_bytes().to_vec();
    trak.extend_from_slice(b"trak");
    trak.extend_from_slice(&(u64::MAX - 3).to_be_bytes());
    trak.extend_from_slice(&[0; 760]);
    let moov = boxed(b"moov", &trak);
    let start = std::time::Instant::now();
    assert!(Fmp4Demuxer::new(io::Cursor::new(moov)).is_err());
    assert!(start.elapsed() < std::time::Duration::from_secs(1));
    // The same escape as a child list's own entry, and a 32-bit size past the parent.
    for size in [u32::MAX, 9, 7] {
        let mut body = size.to_be_bytes().to_vec();
        body.extend_from_slice(b"trak");
        assert!(children(&body, 0, body.len()).is_empty(), "{size}");
    }
}

#[test]
fn trun_counts_are_capped_by_the_box_and_the_fragment() {
    // 2,000 tiny truns, each claiming 65,535 samples of the default size and carrying
    // none: the table stops at MAX_FRAGMENT_SAMPLES instead of 131 M entries.
    let mut trun = 0u32.to_be_bytes().to_vec(); // no per-sample fields
    trun.extend_from_slice(&65_535u32.to_be_bytes());
    let trun = boxed(b"trun", &trun);
    let mut tfhd = 0x10u32.to_be_bytes().to_vec(); // default sample size present
    tfhd.extend_from_slice(&1u32.to_be_bytes()); // track id
    tfhd.extend_from_slice(&4u32.to_be_bytes()); // default size 4
    let mut traf = boxed(b"tfhd", &tfhd);
    for _ in 0..2000 {
        traf.extend_from_slice(&trun);
    }
    let moof = boxed(b"traf", &traf);
    let (samples, _) = parse_moof(&moof, SampleDefaults::default());
    assert_eq!(samples.len(), MAX_FRAGMENT_SAMPLES);
    // With per-sample sizes, a trun yields only what its payload holds.
    let mut trun = 0x200u32.to_be_bytes().to_vec();
    trun.extend_from_slice(&65_535u32.to_be_bytes());
    trun.extend_from_slice(&[0, 0, 0, 9, 0, 0, 0, 7]);
    let (samples, _) = parse_moof(
        &boxed(b"traf", &boxed(b"trun", &trun)),
        SampleDefaults::default(),
    );
    let sizes: Vec<u32> = samples.iter().map(|s| s.size).collect();
    assert_eq!(sizes, [9, 7]);
}

#[test]
fn a_decode_time_at_the_top_of_the_range_saturates() {
    let mut tfdt = vec![1, 0, 0, 0]; // version 1: a 64-bit time
    tfdt.extend_from_slice(&(u64::MAX - 10).to_be_bytes());
    let mut trun = 0x200u32.to_be_bytes().to_vec();
    trun.extend_from_slice(&3u32.to_be_bytes());
    trun.extend_from_slice(&[0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2]);
    let mut traf = boxed(b"tfdt", &tfdt);
    traf.extend_from_slice(&boxed(b"trun", &trun));
    let mut stream = real_init();
    stream.extend_from_slice(&boxed(b"moof", &boxed(b"traf", &traf)));
    stream.extend_from_slice(&boxed(b"mdat", &[1, 2, 3, 4, 5, 6]));
    let mut d = Fmp4Demuxer::new(io::Cursor::new(stream)).expect("init");
    let mut last = 0;
    while let Some(p) = d.next_packet().expect("packets") {
        assert_eq!(p.data.len(), 2);
        assert!(p.ts >= last);
        last = p.ts;
    }
    assert_eq!(d.ts, u64::MAX);
}

/// A fragment of three 2-byte samples: `tfhd_duration` as the fragment's default sample
/// duration (flag 0x8) when given, `durations` per sample (flag 0x100) when given.
fn fragment(tfhd_duration: Option<u32>, durations: Option<[u32; 3]>) -> Vec<u8> {
    let mut tfhd = match tfhd_duration {
        Some(_) => 0x8u32,
        None => 0,
    }
    .to_be_bytes()
    .to_vec();
    tfhd.extend_from_slice(&1u32.to_be_bytes());
    if let Some(d) = tfhd_duration {
        tfhd.extend_from_slice(&d.to_be_bytes());
    }
    let flags = 0x200 | if durations.is_some() { 0x100 } else { 0 };
    let mut trun = (flags as u32).to_be_bytes().to_vec();
    trun.extend_from_slice(&3u32.to_be_bytes());
    for i in 0..3 {
        if let Some(d) = durations {
            trun.extend_from_slice(&d[i].to_be_bytes());
        }
        trun.extend_from_slice(&2u32.to_be_bytes());
    }
    let mut tfdt = vec![0, 0, 0, 0];
    tfdt.extend_from_slice(&4096u32.to_be_bytes());
    let mut traf = boxed(b"tfhd", &tfhd);
    traf.extend_from_slice(&boxed(b"tfdt", &tfdt));
    traf.extend_from_slice(&boxed(b"trun", &trun));
    let mut out = boxed(b"moof", &boxed(b"traf", &traf));
    out.extend_from_slice(&boxed(b"mdat", &[0; 6]));
    out
}

/// The decode times and durations of every packet of `stream`.
fn times(stream: Vec<u8>) -> Vec<(u64, u64)> {
    let mut d = Fmp4Demuxer::new(io::Cursor::new(stream)).expect("init");
    let mut out = Vec::new();
    while let Some(p) = d.next_packet().expect("packets") {
        out.push((p.ts, p.duration));
    }
    out
}

#[test]
fn packet_times_follow_the_sample_durations_the_fragment_gives() {
    let with = |f: Vec<u8>| {
        let mut s = real_init();
        s.extend_from_slice(&f);
        times(s)
    };
    // Per-sample durations (HE-AAC's 2048, or uneven ones) win over every default.
    assert_eq!(
        with(fragment(Some(960), Some([2048, 2048, 1000]))),
        [(4096, 2048), (6144, 2048), (8192, 1000)]
    );
    // The fragment's default duration.
    assert_eq!(
        with(fragment(Some(960), None)),
        [(4096, 960), (5056, 960), (6016, 960)]
    );
    // Neither: the movie's (`trex`), else an AAC frame.
    let init = Fmp4Demuxer::new(io::Cursor::new(real_init())).expect("init").init;
    let frame = match init.defaults.duration {
        0 => 1024,
        d => u64::from(d),
    };
    assert_eq!(
        with(fragment(None, None)),
        [(4096, frame), (4096 + frame, frame), (4096 + 2 * frame, frame)]
    );
}

#[test]
fn times_in_a_timescale_other_than_the_sample_rate_are_converted_to_samples() {
    let mut stream = real_init();
    let init = Fmp4Demuxer::new(io::Cursor::new(stream.clone())).expect("init").init;
    assert!(init.rate > 0, "the fixture's rate");
    // Rewrite the fixture's mdhd timescale to 90 kHz (video's clock, used by some packagers).
    let at = stream.windows(4).position(|w| w == b"mdhd").expect("mdhd") + 4;
    let field = if stream[at] == 1 { at + 20 } else { at + 12 };
    stream[field..field + 4].copy_from_slice(&90_000u32.to_be_bytes());
    stream.extend_from_slice(&fragment(None, Some([1920, 1920, 1920])));
    let rate = u64::from(init.rate);
    let s = |t: u64| t * rate / 90_000;
    assert_eq!(
        times(stream),
        [
            (s(4096), s(1920)),
            (s(4096 + 1920), s(1920)),
            (s(4096 + 3840), s(1920))
        ]
    );
}

#[test]
fn an_edit_length_that_overflows_is_unknown() {
    // elst version 1 with a segment duration of 2^40 at timescale 1, and a rate of
    // u32::MAX: the product overflows 64 bits; no length.
    let mut mvhd = vec![0u8; 12];
    mvhd.extend_from_slice(&1u32.to_be_bytes());
    let mut elst = vec![1, 0, 0, 0, 0, 0, 0, 1];
    elst.extend_from_slice(&(1u64 << 40).to_be_bytes());
    elst.extend_from_slice(&0u64.to_be_bytes());
    let trak = boxed(b"trak", &boxed(b"edts", &boxed(b"elst", &elst)));
    let mut moov = boxed(b"mvhd", &mvhd);
    moov.extend_from_slice(&trak);
    assert_eq!(edit_length(&moov, u32::MAX), None);
    assert_eq!(
        edit_length(&moov, 1),
        None,
        "2^40 samples is not a believable length"
    );
}

/// Box sizes around the integer limits and the edges of their parent.
fn hostile_size() -> impl Strategy<Value = u32> {
    prop_oneof![
        Just(0u32),
        Just(1),
        Just(7),
        Just(8),
        Just(u32::MAX),
        Just(u32::MAX - 7),
        0u32..64,
        any::<u32>(),
    ]
}

fn hostile_box() -> impl Strategy<Value = Vec<u8>> {
    let types = prop_oneof![
        Just(*b"moof"),
        Just(*b"traf"),
        Just(*b"trun"),
        Just(*b"tfdt"),
        Just(*b"tfhd"),
        Just(*b"mdat"),
        Just(*b"moov"),
        Just(*b"free"),
    ];
    let count = prop_oneof![Just(u32::MAX), Just(65_535u32), 0u32..16, any::<u32>()];
    let wide = prop_oneof![
        Just(u64::MAX),
        Just(u64::MAX - 15),
        Just(16u64),
        any::<u64>()
    ];
    (
        types,
        hostile_size(),
        count,
        wide,
        proptest::collection::vec(any::<u8>(), 0..48),
    )
        .prop_map(|(t, size, count, wide, tail)| {
            let mut b = size.to_be_bytes().to_vec();
            b.extend_from_slice(&t);
            if size == 1 {
                b.extend_from_slice(&wide.to_be_bytes());
            }
            b.extend_from_slice(&[0, 0, 0x0F, 0x01]); // version/flags: every field
            b.extend_from_slice(&count.to_be_bytes());
            b.extend_from_slice(&wide.to_be_bytes());
            b.extend_from_slice(&tail);
            b
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    /// A real init segment followed by boxes with hostile sizes, counts and times, nested
    /// or not: an error or packets, quickly, never a panic or unbounded memory.
    #[test]
    fn hostile_boxes_after_a_real_init_end_in_bounded_time(
        boxes in proptest::collection::vec(hostile_box(), 1..8),
        nest in any::<bool>(),
    ) {
        let mut stream = real_init();
        let body: Vec<u8> = boxes.concat();
        if nest {
            stream.extend_from_slice(&boxed(b"moof", &boxed(b"traf", &body)));
        } else {
            stream.extend_from_slice(&body);
        }
        let start = std::time::Instant::now();
        let _ = drain(stream, MAX_FRAGMENT_SAMPLES * 2);
        prop_assert!(start.elapsed() < std::time::Duration::from_secs(2));
    }

    /// The same boxes where the init segment should be.
    #[test]
    fn hostile_boxes_as_an_init_segment_are_errors(
        boxes in proptest::collection::vec(hostile_box(), 1..8),
    ) {
        let moov = boxed(b"moov", &boxes.concat());
        let _ = drain(moov, 1000);
    }
}

/// A stream of HLS segments (`styp`, `moof`, `mdat`) is read a sample at a time: a 200 KB
/// `mdat` never sits whole in memory, and what follows its samples is skipped to the next
/// segment's.
#[test]
fn an_mdat_is_read_a_sample_at_a_time() {
    let segment = |mdat_len: usize, fill: u8| {
        let mut s = boxed(b"styp", b"msdh\0\0\0\0msdhmsix");
        let mut f = fragment(None, Some([1024; 3]));
        f.truncate(f.len() - boxed(b"mdat", &[0; 6]).len());
        s.extend_from_slice(&f);
        s.extend_from_slice(&boxed(b"mdat", &vec![fill; mdat_len]));
        s
    };
    let mut stream = real_init();
    stream.extend_from_slice(&segment(200_000, 7));
    stream.extend_from_slice(&segment(1_000, 9));
    let mut d = Fmp4Demuxer::new(io::Cursor::new(stream)).expect("init");
    for fill in [7, 7, 7, 9, 9, 9] {
        let p = d.next_packet().expect("a segment").expect("a packet");
        assert_eq!(p.data, [fill, fill]);
        assert!(
            d.buf.capacity() < 4096,
            "the buffer holds more than a box or a sample: {}",
            d.buf.capacity()
        );
    }
    assert!(d.next_packet().expect("the end").is_none());
}
