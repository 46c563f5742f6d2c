//! The console's static files, compiled into the binary. URLs carry a hash of the content, so
//! browsers may cache them for a year and still never run a stale script after an upgrade.

use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

/// Version of the vendored htmx (see `assets/VENDORED.md`).
pub const HTMX_VERSION: &str = "2.0.11";

struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
    /// The same bytes gzip-compressed, when we ship them so.
    gzip: Option<&'static [u8]>,
}

static ASSETS: &[Asset] = &[
    Asset {
        name: "console.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("assets/console.css"),
        gzip: None,
    },
    Asset {
        name: "htmx.min.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("assets/htmx.min.js"),
        gzip: Some(include_bytes!("assets/htmx.min.js.gz")),
    },
    Asset {
        name: "favicon.svg",
        content_type: "image/svg+xml",
        body: include_bytes!("assets/favicon.svg"),
        gzip: None,
    },
];

/// A short hash of every asset's bytes: part of each asset URL.
static VERSION: LazyLock<String> = LazyLock::new(|| {
    let mut h = Sha256::new();
    for a in ASSETS {
        h.update(a.name.as_bytes());
        h.update(a.body);
    }
    hex::encode(&h.finalize()[..6])
});

/// The URL of an asset, e.g. `/console/assets/3f2a.../console.css`.
pub fn url(name: &str) -> String {
    format!("/console/assets/{}/{name}", VERSION.as_str())
}

fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|e| {
            let mut parts = e.split(';');
            let name = parts.next().unwrap_or("").trim();
            let refused = parts.any(|p| p.trim().replace(' ', "") == "q=0");
            name.eq_ignore_ascii_case("gzip") && !refused
        })
}

/// `GET /console/assets/{version}/{name}`. Another version of a known file is still served
/// (a page cached across an upgrade keeps working), but only briefly cached.
pub async fn serve(Path((version, name)): Path<(String, String)>, headers: HeaderMap) -> Response {
    let Some(a) = ASSETS.iter().find(|a| a.name == name) else {
        return (StatusCode::NOT_FOUND, "no such asset").into_response();
    };
    let cache = if version == *VERSION {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let mut res = match a.gzip.filter(|_| accepts_gzip(&headers)) {
        Some(gz) => {
            let mut r = gz.into_response();
            r.headers_mut()
                .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            r
        }
        None => a.body.into_response(),
    };
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(a.content_type),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_compressed_htmx_is_the_same_release() {
        let htmx = ASSETS
            .iter()
            .find(|a| a.name == "htmx.min.js")
            .expect("htmx");
        let gz = htmx.gzip.expect("gzip");
        // gzip's trailer ends with the uncompressed size (mod 2^32), little-endian.
        let n = gz.len();
        let size = u32::from_le_bytes([gz[n - 4], gz[n - 3], gz[n - 2], gz[n - 1]]);
        assert_eq!(size as usize, htmx.body.len());
        assert!(std::str::from_utf8(htmx.body)
            .expect("utf-8")
            .contains(&format!("version:\"{HTMX_VERSION}\"")));
    }

    #[test]
    fn gzip_is_used_only_when_accepted() {
        let mut h = HeaderMap::new();
        assert!(!accepts_gzip(&h));
        h.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("gzip, deflate, br"),
        );
        assert!(accepts_gzip(&h));
        h.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("gzip;q=0, br"),
        );
        assert!(!accepts_gzip(&h));
    }
}
