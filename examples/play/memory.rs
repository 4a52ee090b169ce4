//! How `play` asks glibc's allocator to give memory back.
//!
//! By default glibc serves a large block (from 128 KiB) with its own `mmap` only until the
//! first such block is freed; from then on blocks up to that size come from the thread's
//! heap, where media segments (about 200 KiB each, a new one every few seconds) and HTTP
//! read buffers leave holes that are never returned. Playing the hour-long track, that held
//! about 1.1 MiB more at the peak. A fixed threshold keeps every block of 128 KiB or more
//! in its own mapping, unmapped when freed, for about 35 000 more page faults per audio hour
//! (tens of milliseconds of CPU). BENCHMARKS.md, "Cold start and footprint", has the numbers.
//! A program that embeds the player gets the same with `MALLOC_MMAP_THRESHOLD_=131072` in its
//! environment (docs/kiosk.md).

/// Blocks of this many bytes or more get their own mapping (glibc's initial threshold, made
/// fixed).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MMAP_THRESHOLD: libc::c_int = 128 * 1024;

/// Fixes glibc's `mmap` threshold at 128 KiB (see the module). Other C libraries keep their
/// own policy.
pub fn return_large_blocks() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; it is called once, first thing in
    // main, before any other thread exists, and takes no pointers.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
    }
}
