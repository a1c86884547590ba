//! The web page: HTML, CSS and JavaScript compiled into the binary (no CDN, no build step),
//! served from memory.

/// A file of the page.
#[derive(Debug)]
pub(crate) struct Asset {
    /// Content type.
    pub content_type: &'static str,
    /// Bytes.
    pub body: &'static [u8],
}

/// The file at a request path, if it is one of the page's.
pub(crate) fn asset(path: &str) -> Option<Asset> {
    let (content_type, body): (&str, &[u8]) = match path {
        "/" | "/index.html" => (
            "text/html; charset=utf-8",
            include_bytes!("../../../assets/web/index.html"),
        ),
        "/app.js" => (
            "text/javascript; charset=utf-8",
            include_bytes!("../../../assets/web/app.js"),
        ),
        "/style.css" => (
            "text/css; charset=utf-8",
            include_bytes!("../../../assets/web/style.css"),
        ),
        "/favicon.svg" | "/favicon.ico" => (
            "image/svg+xml",
            include_bytes!("../../../assets/web/favicon.svg"),
        ),
        _ => return None,
    };
    Some(Asset { content_type, body })
}
