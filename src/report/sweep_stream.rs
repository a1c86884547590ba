//! A sweep written as it is computed: the rows of [`Plan`]s that pass a [`Filter`], encoded
//! in chunks on every core and written in order by one [`StreamWriter`], so memory does not
//! grow with the number of rows (see `docs/architecture.md`, "A row's journey").

use super::row_encoder::RowEncoder;
use super::stream::{RowFormat, StreamWriter};
use crate::advise::ordered::for_each_ordered;
use crate::advise::select::Filter;
use crate::advise::sweep::Plan;
use crate::error::Error;
use serde_json::Value;
use std::io::Write;
use std::sync::Mutex;

/// Rows a chunk of work encodes (about; whole units of contexts).
const ROWS_PER_CHUNK: usize = 512;

fn io(e: std::io::Error) -> Error {
    Error::Io {
        path: "<output>".into(),
        cause: e,
    }
}

/// Writes the rows of `plans` that `keep` passes to `sink` in order: chunks of units
/// predicted and encoded on every core ([`for_each_ordered`]), buffers reused, `progress`
/// told how many rows each chunk covered. Returns the sink.
pub fn write_sweep<W: Write + Send>(
    plans: &[Plan],
    rf: RowFormat,
    keep: Filter,
    inputs: &Value,
    sink: W,
    mut progress: impl FnMut(u64) + Send,
) -> crate::error::Result<W> {
    // Chunks larger than the buffer go straight to the sink.
    let sink = std::io::BufWriter::with_capacity(64 << 10, sink);
    let mut w = StreamWriter::begin(sink, rf, inputs).map_err(io)?;
    // Written chunks' buffers, reused: fresh ones would be faulted in page by page.
    let pool: Mutex<Vec<Vec<u8>>> = Mutex::new(Vec::new());
    let take = || {
        pool.lock()
            .ok()
            .and_then(|mut p| p.pop())
            .unwrap_or_else(|| Vec::with_capacity(ROWS_PER_CHUNK * 1024))
    };
    for plan in plans {
        let units_per_chunk = (ROWS_PER_CHUNK / plan.rows_per_unit().max(1)).max(1);
        for_each_ordered(
            plan.units(),
            units_per_chunk,
            |units| -> crate::error::Result<(Vec<u8>, u64)> {
                // Any chunk may hold the first row that passes the filter: each CSV chunk
                // starts with the header, and the writer keeps only the first one.
                let mut e = RowEncoder::new(rf, rf == RowFormat::Csv, take());
                let mut err = Ok(());
                let mut seen = 0u64;
                plan.for_each_row(units, |r| {
                    seen += 1;
                    if err.is_ok() && keep.keeps(r) {
                        err = e.row(r);
                    }
                })?;
                err.map_err(io)?;
                Ok((e.finish().map_err(io)?, seen))
            },
            |(bytes, seen)| {
                let rows = match rf {
                    RowFormat::Csv if !w.is_empty() => bytes
                        .iter()
                        .position(|b| *b == b'\n')
                        .map_or(&bytes[..], |i| &bytes[i + 1..]),
                    _ => &bytes[..],
                };
                w.chunk(rows).map_err(io)?;
                progress(seen);
                if let Ok(mut p) = pool.lock() {
                    p.push(bytes);
                }
                Ok(())
            },
        )?;
    }
    let buffered = w.finish(None, &[]).map_err(io)?;
    buffered.into_inner().map_err(|e| io(e.into_error()))
}
