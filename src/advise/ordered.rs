//! Work in parallel, results in order: chunks of an index range are processed on every
//! core (rayon) a window at a time and handed to a single consumer in index order, so the
//! output is deterministic and at most one window of results is held in memory.

use rayon::prelude::*;
use std::ops::Range;

/// Chunks in flight per thread: enough to even out uneven chunks, few enough to bound memory.
const CHUNKS_PER_THREAD: usize = 4;

/// Splits `0..n` into chunks of `chunk` indices, runs `work` on each in parallel and hands
/// the results to `emit` in order. While one window of chunks is emitted the next is being
/// worked on, so a slow consumer (a file) and the producers overlap. Stops at the first
/// error from `work` or `emit`.
pub fn for_each_ordered<T, E>(
    n: usize,
    chunk: usize,
    work: impl Fn(Range<usize>) -> Result<T, E> + Sync,
    mut emit: impl FnMut(T) -> Result<(), E> + Send,
) -> Result<(), E>
where
    T: Send,
    E: Send,
{
    let chunk = chunk.max(1);
    let window = rayon::current_num_threads().max(1) * CHUNKS_PER_THREAD * chunk;
    let run = |start: usize| -> Vec<Result<T, E>> {
        let end = (start + window).min(n);
        let ranges: Vec<Range<usize>> = (start..end)
            .step_by(chunk)
            .map(|s| s..(s + chunk).min(end))
            .collect();
        ranges.into_par_iter().map(&work).collect()
    };
    let mut emit_all = |done: Vec<Result<T, E>>| -> Result<(), E> {
        for r in done {
            emit(r?)?;
        }
        Ok(())
    };
    let mut pending = run(0);
    let mut start = window;
    while start < n {
        let (next, wrote) = rayon::join(|| run(start), || emit_all(pending));
        wrote?;
        pending = next;
        start += window;
    }
    emit_all(pending)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_in_index_order() {
        let mut seen = Vec::new();
        for_each_ordered::<_, ()>(
            1003,
            7,
            |r| Ok(r.collect::<Vec<_>>()),
            |v| {
                seen.extend(v);
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(seen, (0..1003).collect::<Vec<_>>());
    }

    #[test]
    fn the_first_error_stops() {
        let mut emitted = 0;
        // Chunk 3 fails: the chunks before it are emitted, none after.
        let r = for_each_ordered(
            100,
            10,
            |r| if r.start == 30 { Err(r.start) } else { Ok(()) },
            |_| {
                emitted += 1;
                Ok(())
            },
        );
        assert_eq!(r, Err(30));
        assert_eq!(emitted, 3);
    }
}
