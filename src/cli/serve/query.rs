//! A request's query string: `a=1&b=x%2Cy` into name–value pairs (percent-decoded, `+` a
//! space), bounded in size so one request cannot make the server hold much.

/// The longest request target (path and query) the server reads, bytes.
pub(crate) const MAX_TARGET_BYTES: usize = 4096;
/// The most parameters one query may carry.
pub(crate) const MAX_PARAMS: usize = 64;

/// Splits a query into decoded pairs; an error names what is wrong with it.
pub(crate) fn parse(query: &str) -> Result<Vec<(String, String)>, String> {
    let mut pairs = Vec::new();
    for part in query.split('&').filter(|p| !p.is_empty()) {
        if pairs.len() == MAX_PARAMS {
            return Err(format!("a query carries at most {MAX_PARAMS} parameters"));
        }
        let (k, v) = part.split_once('=').unwrap_or((part, ""));
        pairs.push((decode(k)?, decode(v)?));
    }
    Ok(pairs)
}

/// Percent-decodes one component (`+` is a space); the bytes must be UTF-8.
pub(crate) fn decode(s: &str) -> Result<String, String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = b
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok());
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(v) => out.push(v),
                    None => return Err(format!("'{s}' has a % not followed by two hex digits")),
                }
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| format!("'{s}' does not decode to UTF-8 text"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_are_decoded() {
        let q = parse("model=llama-3.3-70b&ctx=32k&devices=rtx-4090%2Capple-m4-max&x=a+b&flag")
            .unwrap_or_default();
        assert_eq!(q.len(), 5);
        assert_eq!(q[2].1, "rtx-4090,apple-m4-max");
        assert_eq!(q[3].1, "a b");
        assert_eq!(q[4], ("flag".to_string(), String::new()));
    }

    #[test]
    fn bad_escapes_and_too_many_parameters_are_refused() {
        assert!(parse("a=%zz").is_err());
        assert!(parse("a=%4").is_err());
        assert!(parse("a=%ff%fe").is_err());
        let many = vec!["a=1"; MAX_PARAMS + 1].join("&");
        assert!(parse(&many).is_err());
    }
}
