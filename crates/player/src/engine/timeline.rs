//! The timeline: which item is heard at which output frame. Items are queued at the output
//! frame where their first sample sits in the ring; as the output reports frames played,
//! the timeline turns them into track changes, ends and positions. Pure: no I/O, no clock.

use std::collections::VecDeque;

use crate::pipeline::Stream;

/// An item in the output.
#[derive(Clone)]
pub(crate) struct Entry {
    /// Its queue index.
    pub index: usize,
    pub stream: Stream,
    /// Track seconds at output frame `base`.
    pub start: f64,
    /// The output frame of its first sample.
    pub base: u64,
    /// Its change has been announced (or needs none: a seek within it).
    pub announced: bool,
}

/// What the frames played mean.
pub(crate) enum Mark {
    /// The previous item was heard to its end.
    Ended(Entry),
    /// This item is now heard.
    Changed(Entry),
    /// The position, in track seconds (every `interval`).
    Position(f64),
}

/// Items by the output frame where they start.
#[derive(Default)]
pub(crate) struct Timeline {
    heard: Option<Entry>,
    next: VecDeque<Entry>,
    next_position: f64,
}

impl Timeline {
    /// Queues an item after what is in the output (heard at once when nothing is).
    pub fn queue(&mut self, e: Entry) {
        if self.heard.is_none() && self.next.is_empty() {
            if e.announced {
                self.next_position = e.start;
            }
            self.heard = Some(e);
        } else {
            self.next.push_back(e);
        }
    }

    /// Forgets everything (the output was flushed).
    pub fn clear(&mut self) {
        self.heard = None;
        self.next.clear();
    }

    /// The item being heard.
    pub fn heard(&self) -> Option<&Entry> {
        self.heard.as_ref()
    }

    /// Takes the item being heard (the session ends).
    pub fn take_heard(&mut self) -> Option<Entry> {
        self.next.clear();
        self.heard.take()
    }

    /// The position when `played` frames of `rate` have been played.
    pub fn position(&self, played: u64, rate: u32) -> Option<f64> {
        let h = self.heard.as_ref()?;
        Some(h.start + played.saturating_sub(h.base) as f64 / f64::from(rate.max(1)))
    }

    /// Moves to `played` frames: the marks it passed, in order, into `out`.
    pub fn advance(&mut self, played: u64, rate: u32, interval: f64, out: &mut Vec<Mark>) {
        while self.next.front().is_some_and(|e| played > e.base) {
            let Some(e) = self.next.pop_front() else {
                break;
            };
            if let Some(prev) = self.heard.replace(e) {
                out.push(Mark::Ended(prev));
            }
        }
        let Some(h) = self.heard.as_mut() else {
            return;
        };
        if !h.announced && played > h.base {
            h.announced = true;
            self.next_position = h.start;
            out.push(Mark::Changed(h.clone()));
        }
        if !h.announced || played <= h.base {
            // Positions come once something of it is heard.
            return;
        }
        if let Some(pos) = self.position(played, rate)
            && pos >= self.next_position
        {
            self.next_position = pos + interval;
            out.push(Mark::Position(pos));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Source, StreamPlan, TrackInfo};
    use std::sync::Arc;

    fn entry(index: usize, base: u64) -> Entry {
        let plan = StreamPlan {
            kind: crate::plan::StreamKind::Direct,
            source: Source::File {
                url: url::Url::parse("http://127.0.0.1/a.mp3").expect("url"),
            },
            preview: false,
            info: TrackInfo::default(),
        };
        Entry {
            index,
            stream: Stream {
                plan: Arc::new(plan),
                refresh: None,
                cache: Arc::new(crate::fetch::SegmentCache::new(0)),
                duration: None,
            },
            start: 0.0,
            base,
            announced: false,
        }
    }

    fn kinds(marks: &[Mark]) -> Vec<String> {
        marks
            .iter()
            .map(|m| match m {
                Mark::Ended(e) => format!("end {}", e.index),
                Mark::Changed(e) => format!("change {}", e.index),
                Mark::Position(p) => format!("pos {p:.2}"),
            })
            .collect()
    }

    #[test]
    fn items_change_at_the_frame_where_they_are_heard() {
        let mut t = Timeline::default();
        t.queue(entry(0, 0));
        t.queue(entry(1, 100));
        let mut out = Vec::new();
        t.advance(0, 100, 0.25, &mut out);
        assert!(out.is_empty(), "nothing played yet");
        t.advance(50, 100, 0.25, &mut out);
        assert_eq!(kinds(&out), ["change 0", "pos 0.50"]);
        out.clear();
        t.advance(100, 100, 0.25, &mut out);
        assert_eq!(kinds(&out), ["pos 1.00"], "frame 100 is still item 0's");
        out.clear();
        t.advance(101, 100, 0.25, &mut out);
        assert_eq!(kinds(&out), ["end 0", "change 1", "pos 0.01"]);
        assert_eq!(t.heard().map(|h| h.index), Some(1));
    }

    #[test]
    fn a_seek_continuation_reports_positions_without_a_change() {
        let mut t = Timeline::default();
        let mut e = entry(3, 1000);
        e.start = 20.0;
        e.announced = true;
        t.queue(e);
        let mut out = Vec::new();
        t.advance(1000, 100, 0.25, &mut out);
        assert!(out.is_empty(), "nothing of it heard yet: {:?}", kinds(&out));
        t.advance(1100, 100, 0.25, &mut out);
        assert_eq!(kinds(&out), ["pos 21.00"]);
        assert_eq!(t.position(1200, 100), Some(22.0));
    }
}
