//! The streaming kernels of tokenfit's memory-bandwidth probe (`tokenfit detect`).
//!
//! They live in their own crate so that the root `Cargo.toml` can compile this crate with
//! optimizations in every profile (`[profile.dev.package.stream-kernels]`): a debug build
//! of an element-by-element loop runs an order of magnitude below the memory's bandwidth, so
//! a probe in a debug binary would measure the compiler instead of the memory.

/// Reads every element of `arrays` once and returns a checksum of their bits (so the reads
/// cannot be optimized away).
#[inline(never)]
pub fn read(arrays: &[&[f64]]) -> u64 {
    arrays.iter().fold(0u64, |acc, v| {
        v.iter().fold(acc, |s, x| s.wrapping_add(x.to_bits()))
    })
}

/// STREAM's triad, `a = b + 3·c`: reads two arrays and writes one.
#[inline(never)]
pub fn triad(a: &mut [f64], b: &[f64], c: &[f64]) {
    for ((x, y), z) in a.iter_mut().zip(b).zip(c) {
        *x = y + 3.0 * z;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_sums_the_bits_and_triad_computes_b_plus_3c() {
        let (b, c) = (vec![2.0f64; 4], vec![0.5f64; 4]);
        let mut a = vec![1.0f64; 4];
        assert_eq!(read(&[&a]), 4 * 1.0f64.to_bits());
        triad(&mut a, &b, &c);
        assert!(a.iter().all(|x| *x == 3.5));
    }
}
