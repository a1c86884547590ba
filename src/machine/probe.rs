//! The host memory bandwidth probe: a multi-threaded streaming kernel in the manner of
//! STREAM (McCalpin, <https://www.cs.virginia.edu/stream/>), run on every logical CPU.
//!
//! Two kernels: *read* (sum of a `u64` array: what decode does to the weights) and *triad*
//! (`a[i] = b[i] + s·c[i]` on `f64`, counted as STREAM counts it, 24 bytes per element,
//! write-allocate traffic not counted). Each thread allocates and first touches its own
//! slice, so pages land on its NUMA node. The arrays together are at least
//! [`MIN_BYTES`] and four times the last-level cache (beyond any cache), at most an eighth
//! of the available memory. Each kernel runs several passes; the best pass is the figure
//! (noise only ever slows a pass). The whole probe stops after about
//! [`TIME_BUDGET`], whatever the pass count.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Barrier;
use std::time::{Duration, Instant};

/// Smallest total size of the arrays, bytes.
pub const MIN_BYTES: u64 = 512 << 20;
/// Largest total size of the arrays, bytes.
pub const MAX_BYTES: u64 = 4 << 30;
/// Passes per kernel (the best is kept).
pub const PASSES: usize = 6;
/// Time after which no further pass starts.
pub const TIME_BUDGET: Duration = Duration::from_secs(3);

/// What the probe measured.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct ProbeResult {
    /// Best read bandwidth, GB/s.
    pub read_gb_s: f64,
    /// Best triad bandwidth, GB/s.
    pub triad_gb_s: f64,
    /// Threads used.
    pub threads: usize,
    /// Total bytes of the arrays.
    pub bytes: u64,
    /// Passes run per kernel.
    pub passes: usize,
}

/// The array size for a last-level cache and available memory (both bytes; either may be
/// unknown): four caches, at least [`MIN_BYTES`], at most [`MAX_BYTES`] and an eighth of
/// the available memory.
pub fn array_bytes(llc_bytes: Option<u64>, available_bytes: Option<u64>) -> u64 {
    let want = llc_bytes.map_or(MIN_BYTES, |c| (4 * c).max(MIN_BYTES));
    let cap = available_bytes.map_or(MAX_BYTES, |a| (a / 8).min(MAX_BYTES));
    want.min(cap).max(64 << 20)
}

/// The last-level cache from `/sys/devices/system/cpu/cpu0/cache/index*/size` (`32768K`),
/// bytes; `None` where the files are absent.
pub fn last_level_cache_bytes() -> Option<u64> {
    (0..8)
        .filter_map(|i| {
            std::fs::read_to_string(format!("/sys/devices/system/cpu/cpu0/cache/index{i}/size"))
                .ok()
        })
        .filter_map(|s| parse_cache_size(&s))
        .max()
}

/// Parses a sysfs cache size (`48K`, `32768K`, `2M`), bytes.
pub fn parse_cache_size(s: &str) -> Option<u64> {
    let t = s.trim();
    let (num, scale) = match t.chars().last()? {
        'K' => (&t[..t.len() - 1], 1u64 << 10),
        'M' => (&t[..t.len() - 1], 1 << 20),
        'G' => (&t[..t.len() - 1], 1 << 30),
        _ => (t, 1),
    };
    num.parse::<u64>().ok()?.checked_mul(scale)
}

/// Runs the probe with `threads` threads over arrays of `total_bytes` in all.
pub fn run_probe(threads: usize, total_bytes: u64) -> ProbeResult {
    let threads = threads.max(1);
    // Three f64 arrays per thread: the read kernel streams all three, triad writes one.
    let per_thread_elems = (total_bytes / 8 / 3 / threads as u64).max(1024) as usize;
    let barrier = Barrier::new(threads + 1);
    let stop = AtomicBool::new(false);
    let start = Instant::now();
    let mut read_best = Duration::MAX;
    let mut triad_best = Duration::MAX;
    let mut passes = 0;
    std::thread::scope(|s| {
        for _ in 0..threads {
            let (b, st) = (&barrier, &stop);
            s.spawn(move || worker(b, st, per_thread_elems));
        }
        loop {
            let go = passes < PASSES && (passes == 0 || start.elapsed() < TIME_BUDGET);
            stop.store(!go, Ordering::SeqCst);
            barrier.wait(); // A: workers start the pass (or stop)
            if !go {
                break;
            }
            let t0 = Instant::now();
            barrier.wait(); // B: every read done
            read_best = read_best.min(t0.elapsed());
            let t1 = Instant::now();
            barrier.wait(); // C: every triad done
            triad_best = triad_best.min(t1.elapsed());
            passes += 1;
        }
    });
    let bytes = (per_thread_elems * threads) as f64 * 24.0;
    let gb_s = |t: Duration| bytes / t.as_secs_f64().max(1e-9) / 1e9;
    ProbeResult {
        read_gb_s: gb_s(read_best),
        triad_gb_s: gb_s(triad_best),
        threads,
        bytes: bytes as u64,
        passes,
    }
}

/// One thread: allocate and first-touch its arrays (untimed: before the first pass), then
/// run read and triad once per pass until told to stop.
fn worker(barrier: &Barrier, stop: &AtomicBool, n: usize) {
    let mut a = vec![1.0f64; n];
    let b = vec![2.0f64; n];
    let c = vec![0.5f64; n];
    loop {
        barrier.wait(); // A
        if stop.load(Ordering::SeqCst) {
            return;
        }
        // The kernels are in their own crate, optimized in every build (see its docs).
        std::hint::black_box(stream_kernels::read(&[&a, &b, &c]));
        barrier.wait(); // B
        stream_kernels::triad(&mut a, &b, &c);
        std::hint::black_box(&mut a);
        barrier.wait(); // C
    }
}

/// The probe as `detect` runs it: every logical CPU, arrays sized by [`array_bytes`].
pub fn probe_host(available_bytes: Option<u64>) -> ProbeResult {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    run_probe(
        threads,
        array_bytes(last_level_cache_bytes(), available_bytes),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_cache_size("32768K\n"), Some(32 << 20));
        assert_eq!(parse_cache_size("2M"), Some(2 << 20));
        assert_eq!(parse_cache_size("x"), None);
        // 384 MiB of L3 (EPYC 9654): four times it, 1.5 GiB.
        assert_eq!(array_bytes(Some(384 << 20), None), 1536 << 20);
        // Small cache: the floor; little memory: an eighth of it.
        assert_eq!(array_bytes(Some(8 << 20), None), MIN_BYTES);
        assert_eq!(array_bytes(None, Some(1 << 30)), 128 << 20);
    }

    #[test]
    fn a_small_run_gives_positive_figures() {
        // Too small to say anything of DRAM; checks the mechanics only.
        let r = run_probe(2, 8 << 20);
        assert!(r.read_gb_s > 0.0 && r.triad_gb_s > 0.0);
        assert!(r.passes >= 1 && r.passes <= PASSES);
    }
}
