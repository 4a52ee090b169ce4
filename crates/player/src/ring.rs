//! The byte ring between the network and the decoder: a bounded lock-free SPSC ring
//! (`ringbuf`) of byte chunks, an async producer that waits for room, and a blocking reader
//! for symphonia that waits for data and reports end-of-stream only once the producer is
//! done.
//!
//! The ring holds chunks, not bytes: a fetched HLS segment goes in as the very buffer the
//! segment cache keeps ([`ByteProducer::write`]), so the audio on its way to the decoder is
//! not held twice. Its capacity still counts bytes: the producer waits while that many are
//! queued and not yet read.

use std::io::{self, Read};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::Thread;
use std::time::{Duration, Instant};

use bytes::{Buf, Bytes};
use ringbuf::HeapRb;
use ringbuf::traits::{Consumer, Observer, Producer};
use ringbuf::wrap::{Cons, Prod};
use symphonia::core::io::MediaSource;
use tokio::sync::Notify;

/// Chunks the ring holds at most (a segment is a few chunks; a progressive body's chunks
/// are what the network gave, copied): far more than its byte capacity needs.
const SLOTS: usize = 512;

/// The largest chunk a copied write makes (below glibc's `mmap` threshold, so freed chunks
/// are reused, not handed back to the kernel and faulted in again).
const COPY_CHUNK: usize = 64 * 1024;

type Rb = Arc<HeapRb<Bytes>>;

struct Shared {
    /// The reading thread, parked while the ring is empty (a preloaded stream is opened on
    /// one thread and read on another).
    reader: Mutex<Option<Thread>>,
    /// The reader waited longer than its watchdog allows.
    timed_out: AtomicBool,
    /// Woken when the reader made room for what the producer waits to write.
    space: Notify,
    /// Bytes of room the producer waits for (0: it does not wait).
    wanted: AtomicUsize,
    /// Set to make the reader return end-of-stream at once (stop, seek).
    cancelled: AtomicBool,
    /// Bytes written and not yet read (counted before a chunk goes in, so never below what
    /// the reader can see).
    queued: AtomicUsize,
    /// The most bytes queued at once.
    capacity: usize,
}

/// The writing end (held by the fetch task). Dropping it ends the stream.
pub struct ByteProducer {
    /// `None` only while it is dropped.
    prod: Option<Prod<Rb>>,
    shared: Arc<Shared>,
}

/// The reading end (held by the decoder): `Read` + symphonia's `MediaSource`.
pub struct ByteReader {
    cons: Cons<Rb>,
    /// What is left of the chunk being read.
    current: Bytes,
    shared: Arc<Shared>,
    watchdog: Option<Duration>,
    /// Called before the reader sleeps for data (its thread hands on what it has first).
    on_wait: Option<Arc<dyn Fn() + Send + Sync>>,
}

/// A cancel switch for a ring, usable from any thread.
#[derive(Clone)]
pub struct RingCancel(Arc<Shared>);

impl RingCancel {
    /// Makes the reader return end-of-stream and the producer stop.
    pub fn cancel(&self) {
        self.0.cancelled.store(true, Ordering::Release);
        self.0.space.notify_waiters();
        self.0.wake_reader();
    }

    /// Whether the reader gave up waiting for data (its watchdog).
    pub fn timed_out(&self) -> bool {
        self.0.timed_out.load(Ordering::Acquire)
    }
}

impl Shared {
    fn wake_reader(&self) {
        if let Ok(r) = self.reader.lock()
            && let Some(t) = r.as_ref()
        {
            t.unpark();
        }
    }

    /// Bytes that may be queued before the producer waits.
    fn room(&self) -> usize {
        self.capacity
            .saturating_sub(self.queued.load(Ordering::SeqCst))
    }
}

/// A ring of `capacity` bytes.
pub fn byte_ring(capacity: usize) -> (ByteProducer, ByteReader, RingCancel) {
    let rb: Rb = Arc::new(HeapRb::new(SLOTS));
    let shared = Arc::new(Shared {
        reader: Mutex::new(None),
        timed_out: AtomicBool::new(false),
        space: Notify::new(),
        wanted: AtomicUsize::new(0),
        cancelled: AtomicBool::new(false),
        queued: AtomicUsize::new(0),
        capacity: capacity.max(1),
    });
    (
        ByteProducer {
            prod: Some(Prod::new(rb.clone())),
            shared: shared.clone(),
        },
        ByteReader {
            cons: Cons::new(rb),
            current: Bytes::new(),
            shared: shared.clone(),
            watchdog: None,
            on_wait: None,
        },
        RingCancel(shared),
    )
}

/// The ring was cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cancelled;

impl ByteProducer {
    /// Writes all of `data` without copying it (the ring keeps parts of the same buffer),
    /// waiting for room as needed.
    pub async fn write(&mut self, mut data: Bytes) -> Result<(), Cancelled> {
        while !data.is_empty() {
            let n = self.room_for(data.len()).await?;
            self.push(data.split_to(n));
        }
        Ok(())
    }

    /// Writes a copy of all of `data`, waiting for room as needed (in chunks of at most
    /// 64 KiB, which the allocator reuses).
    pub async fn write_all(&mut self, mut data: &[u8]) -> Result<(), Cancelled> {
        while !data.is_empty() {
            let n = self.room_for(data.len()).await?.min(COPY_CHUNK);
            self.push(Bytes::copy_from_slice(&data[..n]));
            data = &data[n..];
        }
        Ok(())
    }

    /// Writes a copy of what fits of `data` without waiting; how much that was.
    pub fn try_write(&mut self, data: &[u8]) -> usize {
        let n = self.vacant().min(data.len());
        if n > 0 {
            self.push(Bytes::copy_from_slice(&data[..n]));
        }
        n
    }

    /// Bytes that can be written without waiting.
    pub fn vacant(&self) -> usize {
        if self.prod.as_ref().is_none_or(|p| p.is_full()) {
            0
        } else {
            self.shared.room()
        }
    }

    /// Whether the ring was cancelled.
    pub fn is_cancelled(&self) -> bool {
        self.shared.cancelled.load(Ordering::Acquire)
    }

    /// How much of `len` bytes to write now (at least 1): what there is room for, once
    /// there is room for a good part of it (a quarter of the ring at most), so the producer
    /// wakes once per burst of reading, not after every read.
    async fn room_for(&mut self, len: usize) -> Result<usize, Cancelled> {
        let want = len.min(self.shared.capacity / 4).max(1);
        loop {
            if self.is_cancelled() {
                return Err(Cancelled);
            }
            let vacant = self.vacant();
            if vacant >= want {
                return Ok(vacant.min(len));
            }
            // Registered before the last look: a cancel (`notify_waiters`) or the reader's
            // `notify_one` that comes in between still wakes it. The timeout is only a
            // safety net.
            let notified = self.shared.space.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            self.shared.wanted.store(want, Ordering::SeqCst);
            if self.vacant() < want && !self.is_cancelled() {
                let _ = tokio::time::timeout(Duration::from_secs(1), notified).await;
            }
            self.shared.wanted.store(0, Ordering::SeqCst);
        }
    }

    /// Queues `chunk` (there is room: [`Self::vacant`] said so).
    fn push(&mut self, chunk: Bytes) {
        let len = chunk.len();
        // Counted first: the reader subtracts only what it has seen.
        self.shared.queued.fetch_add(len, Ordering::SeqCst);
        let pushed = match self.prod.as_mut() {
            Some(p) => p.try_push(chunk),
            None => Err(chunk),
        };
        if let Err(chunk) = pushed {
            // Not reached (the caller checked for a free slot); the bytes are not lost to
            // the count either way.
            self.shared.queued.fetch_sub(chunk.len(), Ordering::SeqCst);
            return;
        }
        self.shared.wake_reader();
    }
}

impl Drop for ByteProducer {
    fn drop(&mut self) {
        // The write end is let go first, so the reader it wakes sees the producer gone (and
        // ends once it has drained the ring) instead of sleeping on.
        drop(self.prod.take());
        self.shared.wake_reader();
    }
}

impl Drop for ByteReader {
    fn drop(&mut self) {
        // Nobody will read what is queued: the producer stops instead of waiting for room.
        self.shared.cancelled.store(true, Ordering::Release);
        self.shared.space.notify_waiters();
    }
}

impl ByteReader {
    /// Bytes waiting in the ring.
    pub fn available(&self) -> usize {
        self.shared.queued.load(Ordering::Acquire)
    }

    /// Makes a read that waits longer than `limit` for data end the stream (as a timeout)
    /// instead of waiting on; [`RingCancel::timed_out`] then says so.
    pub fn set_watchdog(&mut self, limit: Duration) {
        self.watchdog = Some(limit);
    }

    /// Calls `f` each time a read is about to sleep for data.
    pub fn on_wait(&mut self, f: Arc<dyn Fn() + Send + Sync>) {
        self.on_wait = Some(f);
    }

    /// Copies what is queued into `buf`, chunk after chunk; how much that was.
    fn take(&mut self, buf: &mut [u8]) -> usize {
        let mut n = 0;
        while n < buf.len() {
            if self.current.is_empty() {
                match self.cons.try_pop() {
                    Some(c) => self.current = c,
                    None => break,
                }
            }
            let k = self.current.len().min(buf.len() - n);
            buf[n..n + k].copy_from_slice(&self.current[..k]);
            self.current.advance(k);
            n += k;
        }
        if self.current.is_empty() {
            // Let go of the buffer (the segment cache may hold it on).
            self.current = Bytes::new();
        }
        if n > 0 {
            self.shared.queued.fetch_sub(n, Ordering::SeqCst);
            let wanted = self.shared.wanted.load(Ordering::SeqCst);
            if wanted > 0
                && self.cons.vacant_len() >= SLOTS / 4
                && self.shared.room() >= wanted
            {
                self.shared.wanted.store(0, Ordering::SeqCst);
                self.shared.space.notify_one();
            }
        }
        n
    }
}

impl Read for ByteReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let mut since: Option<Instant> = None;
        loop {
            if self.shared.cancelled.load(Ordering::Acquire) {
                return Ok(0);
            }
            let n = self.take(buf);
            if n > 0 {
                return Ok(n);
            }
            if !self.cons.write_is_held() {
                // The producer is gone: drain what it wrote last, then end.
                return Ok(self.take(buf));
            }
            let Some(waited) = since else {
                // First wait: say which thread to wake, then look once more before sleeping
                // (data written in between would otherwise wait for the timeout).
                if let Ok(mut r) = self.shared.reader.lock() {
                    let me = std::thread::current();
                    if r.as_ref().is_none_or(|t| t.id() != me.id()) {
                        *r = Some(me);
                    }
                }
                since = Some(Instant::now());
                continue;
            };
            if self.watchdog.is_some_and(|w| waited.elapsed() > w) {
                self.shared.timed_out.store(true, Ordering::Release);
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "no data within the watchdog's limit",
                ));
            }
            if let Some(f) = &self.on_wait {
                f();
            }
            // The producer wakes this thread when it writes; the timeout keeps the watchdog.
            std::thread::park_timeout(Duration::from_millis(250));
        }
    }
}

impl MediaSource for ByteReader {
    fn is_seekable(&self) -> bool {
        false
    }

    fn byte_len(&self) -> Option<u64> {
        None
    }
}

impl io::Seek for ByteReader {
    fn seek(&mut self, _: io::SeekFrom) -> io::Result<u64> {
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "a live stream is not seekable",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn run(data: Vec<u8>, chunks: Vec<usize>, capacity: usize, read_size: usize) -> Vec<u8> {
        let (mut prod, mut reader, _) = byte_ring(capacity);
        let reading = std::thread::spawn(move || {
            let mut out = Vec::new();
            let mut buf = vec![0u8; read_size.max(1)];
            loop {
                match reader.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => out.extend_from_slice(&buf[..n]),
                    Err(e) => panic!("{e}"),
                }
            }
            out
        });
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .map_err(|e| e.to_string());
        let Ok(rt) = rt else { return Vec::new() };
        rt.block_on(async {
            let mut rest = &data[..];
            let mut i = 0;
            while !rest.is_empty() {
                let n = chunks
                    .get(i % chunks.len().max(1))
                    .copied()
                    .unwrap_or(1)
                    .clamp(1, rest.len());
                // Copied and shared writes in turn.
                if i % 2 == 0 {
                    prod.write_all(&rest[..n]).await.ok();
                } else {
                    prod.write(Bytes::copy_from_slice(&rest[..n])).await.ok();
                }
                rest = &rest[n..];
                i += 1;
            }
        });
        drop(prod);
        reading.join().unwrap_or_default()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn bytes_out_equal_bytes_in(
            data in proptest::collection::vec(any::<u8>(), 0..20_000),
            chunks in proptest::collection::vec(1usize..5000, 1..8),
            capacity in 1usize..4096,
            read_size in 1usize..3000,
        ) {
            prop_assert_eq!(run(data.clone(), chunks, capacity, read_size), data);
        }
    }

    #[test]
    fn a_written_buffer_is_shared_not_copied_and_let_go_once_read() {
        let (mut prod, mut reader, _) = byte_ring(100);
        let segment = Bytes::from((0..250u8).collect::<Vec<_>>());
        let writing = {
            let segment = segment.clone();
            std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_time()
                    .build()
                    .expect("a runtime");
                rt.block_on(prod.write(segment)).expect("written");
            })
        };
        // The producer waits for room: at most the capacity is queued, as parts of the one
        // buffer (the caller's copy is not the only one).
        let mut head = [0u8; 10];
        assert_eq!(reader.read(&mut head).expect("read"), 10);
        assert_eq!(head[..], segment[..10]);
        assert!(reader.available() <= 100, "{}", reader.available());
        assert!(!segment.is_unique());
        let mut rest = Vec::new();
        reader.read_to_end(&mut rest).expect("read");
        writing.join().expect("the writer");
        assert_eq!(rest[..], segment[10..]);
        assert!(segment.is_unique(), "the ring let go of it");
    }

    #[test]
    fn tiny_writes_fill_the_slots_and_still_all_come_through() {
        // 1-byte writes into a 64 KiB ring: the slots run out long before the bytes do.
        let data: Vec<u8> = (0..20_000u32).map(|i| (i % 251) as u8).collect();
        assert_eq!(run(data.clone(), vec![1], 64 * 1024, 7), data);
    }

    #[test]
    fn dropping_the_reader_stops_a_producer_waiting_for_room() {
        let (mut prod, reader, _) = byte_ring(16);
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("a runtime");
        rt.block_on(async {
            assert_eq!(prod.write_all(&[0u8; 16]).await, Ok(()));
            // Nobody will read: the write that waits for room ends instead of waiting on.
            let dropping = std::thread::spawn(move || drop(reader));
            let waited =
                tokio::time::timeout(Duration::from_secs(5), prod.write_all(&[1u8; 8])).await;
            assert_eq!(waited, Ok(Err(Cancelled)));
            dropping.join().expect("dropped");
        });
    }

    #[test]
    fn cancel_ends_the_reader() {
        let (prod, mut reader, cancel) = byte_ring(16);
        let t = std::thread::spawn(move || {
            let mut b = [0u8; 4];
            reader.read(&mut b).ok()
        });
        // Once the reader waits for data (it names its thread first), the cancel ends it.
        let waiting = || prod.shared.reader.lock().is_ok_and(|r| r.is_some());
        let end = std::time::Instant::now() + Duration::from_secs(5);
        while !waiting() {
            assert!(std::time::Instant::now() < end, "the reader never waited");
            std::thread::yield_now();
        }
        cancel.cancel();
        assert_eq!(t.join().ok().flatten(), Some(0));
        drop(prod);
    }
}
