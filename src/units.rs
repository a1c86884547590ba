//! Physical quantities as newtypes over `f64` in SI base units.
//!
//! Capacities follow the house rule: binary GiB (2^30 B) for memory sizes, decimal GB/s
//! (1e9 B/s) for bandwidth and decimal TFLOP/s (1e12 FLOP/s) for compute. Conversion happens
//! once, at the edge, through the named constructors and accessors below.

use std::ops::{Add, AddAssign, Div, Mul, Sub};

/// Bytes in one GiB (2^30).
pub const GIB: f64 = 1_073_741_824.0;
/// Bytes in one GB (1e9).
pub const GB: f64 = 1e9;

macro_rules! quantity {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default, serde::Serialize)]
        #[serde(transparent)]
        pub struct $name(pub f64);

        impl Add for $name {
            type Output = $name;
            fn add(self, o: $name) -> $name {
                $name(self.0 + o.0)
            }
        }
        impl AddAssign for $name {
            fn add_assign(&mut self, o: $name) {
                self.0 += o.0;
            }
        }
        impl Sub for $name {
            type Output = $name;
            fn sub(self, o: $name) -> $name {
                $name(self.0 - o.0)
            }
        }
        impl Mul<f64> for $name {
            type Output = $name;
            fn mul(self, k: f64) -> $name {
                $name(self.0 * k)
            }
        }
        impl std::iter::Sum for $name {
            fn sum<I: Iterator<Item = $name>>(it: I) -> $name {
                $name(it.map(|x| x.0).sum())
            }
        }
        impl $name {
            /// The zero quantity.
            pub const ZERO: $name = $name(0.0);
            /// The larger of two quantities.
            pub fn max(self, o: $name) -> $name {
                $name(self.0.max(o.0))
            }
            /// The smaller of two quantities.
            pub fn min(self, o: $name) -> $name {
                $name(self.0.min(o.0))
            }
        }
    };
}

quantity!(
    /// A count of bytes.
    Bytes
);
quantity!(
    /// A duration in seconds.
    Seconds
);
quantity!(
    /// A count of floating-point operations.
    Flop
);
quantity!(
    /// A rate of floating-point operations, FLOP/s.
    FlopPerSecond
);
quantity!(
    /// A bandwidth, bytes per second.
    BytesPerSecond
);

impl Bytes {
    /// From binary gibibytes.
    pub fn from_gib(g: f64) -> Bytes {
        Bytes(g * GIB)
    }
    /// From decimal gigabytes.
    pub fn from_gb(g: f64) -> Bytes {
        Bytes(g * GB)
    }
    /// In binary gibibytes.
    pub fn gib(self) -> f64 {
        self.0 / GIB
    }
    /// In decimal gigabytes.
    pub fn gb(self) -> f64 {
        self.0 / GB
    }
}

impl BytesPerSecond {
    /// From decimal GB/s.
    pub fn from_gb_per_s(g: f64) -> BytesPerSecond {
        BytesPerSecond(g * GB)
    }
    /// In decimal GB/s.
    pub fn gb_per_s(self) -> f64 {
        self.0 / GB
    }
}

impl FlopPerSecond {
    /// From TFLOP/s (1e12 FLOP/s).
    pub fn from_tflops(t: f64) -> FlopPerSecond {
        FlopPerSecond(t * 1e12)
    }
    /// In TFLOP/s.
    pub fn tflops(self) -> f64 {
        self.0 / 1e12
    }
}

impl Seconds {
    /// From milliseconds.
    pub fn from_ms(ms: f64) -> Seconds {
        Seconds(ms * 1e-3)
    }
}

impl Div<BytesPerSecond> for Bytes {
    type Output = Seconds;
    fn div(self, bw: BytesPerSecond) -> Seconds {
        Seconds(self.0 / bw.0)
    }
}

impl Div<FlopPerSecond> for Flop {
    type Output = Seconds;
    fn div(self, f: FlopPerSecond) -> Seconds {
        Seconds(self.0 / f.0)
    }
}

impl Div<Seconds> for Bytes {
    type Output = BytesPerSecond;
    fn div(self, t: Seconds) -> BytesPerSecond {
        BytesPerSecond(self.0 / t.0)
    }
}

impl Div<Seconds> for Flop {
    type Output = FlopPerSecond;
    fn div(self, t: Seconds) -> FlopPerSecond {
        FlopPerSecond(self.0 / t.0)
    }
}

/// Tokens per second for `tokens` tokens produced in `t`.
pub fn tok_per_s(tokens: f64, t: Seconds) -> f64 {
    if t.0 > 0.0 {
        tokens / t.0
    } else {
        f64::INFINITY
    }
}

/// How a count's suffix scales it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CountScale {
    /// Context sizes: `k` = 1024, `m` = 1024² (contexts are powers of two in practice, and
    /// llama.cpp's `32k` is 32768).
    Binary,
    /// Volumes of tokens: `k` = 1e3, `M` = 1e6, `B` or `G` = 1e9.
    Decimal,
}

/// The one count parser. Rules: surrounding spaces are ignored, `_` and `,` may group
/// digits, the number may have decimals, and one case-insensitive suffix scales it as
/// `scale` says (`k`, `m`; with [`CountScale::Decimal`] also `b`/`g`). Returns the number
/// (not rounded) and refuses what is not a finite number ≥ 0. `what` names the count in
/// the error, `example` shows valid input.
pub fn parse_count(s: &str, scale: CountScale, what: &str, example: &str) -> Result<f64, String> {
    let t = s.trim().replace(['_', ','], "");
    let last = t.chars().last().map(|c| c.to_ascii_lowercase());
    let mult = match (last, scale) {
        (Some('k'), CountScale::Binary) => 1024.0,
        (Some('m'), CountScale::Binary) => 1024.0 * 1024.0,
        (Some('k'), CountScale::Decimal) => 1e3,
        (Some('m'), CountScale::Decimal) => 1e6,
        (Some('b' | 'g'), CountScale::Decimal) => 1e9,
        _ => 1.0,
    };
    let num = if mult == 1.0 {
        &t[..]
    } else {
        &t[..t.len() - 1]
    };
    let v: f64 = num
        .parse()
        .map_err(|_| format!("'{s}' is not a {what} (expected e.g. {example})"))?;
    if v.is_nan() {
        return Err(format!("'{s}' is not a {what} (expected e.g. {example})"));
    }
    if v < 0.0 {
        return Err(format!(
            "'{s}' is negative; a {what} is a number such as {example}"
        ));
    }
    if !v.is_finite() {
        return Err(format!("'{s}' is too large for a {what}"));
    }
    Ok(v * mult)
}

/// Parses a token count such as `32k`, `32K`, `32768`, `1m` or `128_000` ([`parse_count`]
/// with binary suffixes), rounded to a whole token.
pub fn parse_tokens(s: &str) -> Result<u64, String> {
    let n = parse_count(s, CountScale::Binary, "token count", "4096, 32k or 32K")?;
    if n > 1e9 {
        return Err(format!(
            "'{s}' is too large for a token count (at most 1e9 tokens)"
        ));
    }
    Ok(n.round() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_contexts() {
        assert_eq!(parse_tokens("32k"), Ok(32768));
        assert_eq!(parse_tokens("32K"), Ok(32768));
        assert_eq!(parse_tokens("32768"), Ok(32768));
        assert_eq!(parse_tokens("1m"), Ok(1_048_576));
        assert_eq!(parse_tokens("0.5k"), Ok(512));
        assert!(parse_tokens("-3").is_err());
        assert!(parse_tokens("abc").is_err());
        assert!(parse_tokens("NaN").is_err());
        assert!(parse_tokens("1e12").is_err());
        assert_eq!(parse_tokens("32,768"), Ok(32768));
    }

    #[test]
    fn one_parser_two_scales() {
        let p = |s, scale| parse_count(s, scale, "count", "1k");
        assert_eq!(p("2k", CountScale::Binary), Ok(2048.0));
        assert_eq!(p("2k", CountScale::Decimal), Ok(2000.0));
        assert_eq!(p("12.5M", CountScale::Decimal), Ok(12.5e6));
        assert_eq!(p("2B", CountScale::Decimal), Ok(2e9));
        assert!(p("2B", CountScale::Binary).is_err());
        assert!(p("-1", CountScale::Decimal).is_err());
    }

    #[test]
    fn gib_and_gb_differ() {
        // 24 GiB = 25.769803776 GB
        assert!((Bytes::from_gib(24.0).gb() - 25.769_803_776).abs() < 1e-9);
        // 1008 GB/s moving 1 GB takes 1/1008 s
        let t = Bytes::from_gb(1.0) / BytesPerSecond::from_gb_per_s(1008.0);
        assert!((t.0 - 1.0 / 1008.0).abs() < 1e-15);
    }
}
