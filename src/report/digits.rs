//! Short pieces of a row appended to a buffer without a call to `memcpy`: a copy of a
//! slice of unknown length is a library call, which for the dozens of short keys and
//! numbers of each row of a sweep costs more than the bytes. Each piece is built in a
//! fixed-size array, appended whole (a copy of known length, inlined) and the buffer cut
//! back to the piece's length.

/// Longest piece, bytes.
pub const PIECE: usize = 32;

/// A piece of text of at most [`PIECE`] bytes, padded.
#[derive(Debug, Clone, Copy)]
pub struct Piece {
    bytes: [u8; PIECE],
    len: u8,
}

impl Piece {
    /// The piece holding `s` (cut at [`PIECE`] bytes).
    pub fn new(s: &[u8]) -> Piece {
        let len = s.len().min(PIECE);
        let mut bytes = [0; PIECE];
        bytes[..len].copy_from_slice(&s[..len]);
        Piece {
            bytes,
            len: len as u8,
        }
    }

    /// Appends the piece to `out`.
    #[inline]
    pub fn put(&self, out: &mut Vec<u8>) {
        let end = out.len() + usize::from(self.len);
        out.extend_from_slice(&self.bytes);
        out.truncate(end);
    }
}

/// Two decimal digits of 0..100.
const PAIRS: &[u8; 200] = b"0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// Appends `v` in decimal, as itoa (and so serde_json and the `csv` crate) writes it.
#[inline]
pub fn put_u64(out: &mut Vec<u8>, v: u64) {
    let n = v.checked_ilog10().unwrap_or(0) as usize + 1;
    let mut d = [b'0'; 20];
    let (mut v, mut i) = (v, n);
    while i >= 2 {
        let p = (v % 100) as usize * 2;
        d[i - 2..i].copy_from_slice(&PAIRS[p..p + 2]);
        v /= 100;
        i -= 2;
    }
    if i == 1 {
        d[0] = b'0' + v as u8;
    }
    let end = out.len() + n;
    out.extend_from_slice(&d);
    out.truncate(end);
}

/// Appends `v` in decimal, a minus sign first when negative.
#[inline]
pub fn put_i64(out: &mut Vec<u8>, v: i64) {
    if v < 0 {
        out.push(b'-');
    }
    put_u64(out, v.unsigned_abs());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_are_written_as_itoa_writes_them() {
        let mut edges: Vec<u64> = vec![0, 1, 9, 10, 99, 100, 101, 999, u64::MAX, u64::MAX - 1];
        edges.extend((1..20).flat_map(|k| [10u64.pow(k) - 1, 10u64.pow(k), 10u64.pow(k) + 1]));
        edges.extend((0..2000).map(|i| 0x9E37_79B9_7F4A_7C15u64.wrapping_mul(i) >> (i % 64)));
        for v in edges {
            let mut out = b"x".to_vec();
            put_u64(&mut out, v);
            assert_eq!(&out[1..], itoa::Buffer::new().format(v).as_bytes(), "{v}");
        }
        for v in [0i64, -1, 7, -12345, i64::MIN, i64::MAX] {
            let mut out = Vec::new();
            put_i64(&mut out, v);
            assert_eq!(out, itoa::Buffer::new().format(v).as_bytes(), "{v}");
        }
    }

    #[test]
    fn a_piece_appends_its_bytes_only() {
        let mut out = b"ab".to_vec();
        Piece::new(b",\"key\":").put(&mut out);
        Piece::new(b"").put(&mut out);
        assert_eq!(out, b"ab,\"key\":");
    }
}
