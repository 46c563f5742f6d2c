//! `GET /metrics`: the Prometheus text format (version 0.0.4), no credential (like the probes).
//!
//! One recorder per process (`metrics-exporter-prometheus`, without its HTTP server), installed
//! by [`install`]; the store reports through the same `metrics` facade and describes its own
//! metrics (`Store::describe_metrics`). This module adds the HTTP metrics ([`track`]: requests by route template, method
//! and status, their latency, requests in flight), rate-limit rejections, idempotent replays,
//! build info, and the process metrics read from `/proc` at each scrape (Linux). Each metric is
//! described in docs/operations.md.
//!
//! The request path stays cheap: the handles of each (route template, method, status) series are
//! registered once (the template interned, the labels made then) and afterwards looked up with
//! the borrowed template under a read lock, so a request allocates nothing here and takes no
//! exclusive lock.

use std::collections::HashSet;
use std::sync::{LazyLock, OnceLock, RwLock};
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request};
use axum::http::{header, HeaderValue, Method};
use axum::response::{IntoResponse, Response};
use clientele_core::FastMap;
use metrics::{
    counter, describe_counter, describe_gauge, describe_histogram, gauge, Counter, Histogram, Unit,
};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

pub const HTTP_REQUESTS: &str = "clientele_http_requests_total";
pub const HTTP_REQUEST_SECONDS: &str = "clientele_http_request_duration_seconds";
pub const HTTP_IN_FLIGHT: &str = "clientele_http_requests_in_flight";
pub const RATE_LIMIT_REJECTIONS: &str = "clientele_rate_limit_rejections_total";
pub const IDEMPOTENT_REPLAYS: &str = "clientele_idempotent_replays_total";
pub const BUILD_INFO: &str = "clientele_build_info";

/// The media type of the text format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Latency buckets (seconds), from half a millisecond to the request timeout.
const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];
/// Buckets of every `*_batch_size` histogram (the SQLite writer's: at most 64 writes a batch).
const BATCH_BUCKETS: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0];
/// How often histogram samples are folded into their buckets between scrapes.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the process's recorder (once; later calls return the same handle). `None` when
/// another recorder was installed first (then `/metrics` answers 503).
pub fn install() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets(LATENCY_BUCKETS)
                .and_then(|b| {
                    b.set_buckets_for_metric(Matcher::Suffix("_batch_size".into()), BATCH_BUCKETS)
                });
            let recorder = match builder {
                Ok(b) => b.build_recorder(),
                Err(e) => {
                    tracing::error!(error = %e, "metrics buckets refused");
                    return None;
                }
            };
            let handle = recorder.handle();
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!("a metrics recorder was already installed; /metrics is off");
                return None;
            }
            describe();
            gauge!(BUILD_INFO, "version" => env!("CARGO_PKG_VERSION")).set(1.0);
            // Rare events start at 0, so that rates and alerts see them before the first one.
            for by in ["credential", "address"] {
                counter!(RATE_LIMIT_REJECTIONS, "by" => by).absolute(0);
            }
            for kind in ["response", "committed"] {
                counter!(IDEMPOTENT_REPLAYS, "kind" => kind).absolute(0);
            }
            let upkeep = handle.clone();
            let spawned = std::thread::Builder::new()
                .name("metrics-upkeep".into())
                .spawn(move || loop {
                    std::thread::sleep(UPKEEP_EVERY);
                    upkeep.run_upkeep();
                });
            if let Err(e) = spawned {
                tracing::warn!(error = %e, "no metrics upkeep thread; histograms fold at scrapes");
            }
            Some(handle)
        })
        .as_ref()
}

fn describe() {
    describe_counter!(
        HTTP_REQUESTS,
        "HTTP requests answered, by route template, method and status."
    );
    describe_histogram!(
        HTTP_REQUEST_SECONDS,
        Unit::Seconds,
        "Latency of HTTP requests until the response head, by route template and method."
    );
    describe_gauge!(HTTP_IN_FLIGHT, "HTTP requests being served now.");
    describe_counter!(
        RATE_LIMIT_REJECTIONS,
        "Requests refused with 429 by the rate limit, by what was limited (credential or address)."
    );
    describe_counter!(
        IDEMPOTENT_REPLAYS,
        "Retries answered from an Idempotency-Key instead of running again, by kind (response: the stored response; committed: re-rendered from the committed write)."
    );
    describe_gauge!(
        BUILD_INFO,
        "Always 1; the version label names the running build."
    );
}

/// Metrics in the Prometheus text format: requests, store, pool and process.
///
/// No credential needed. Requests are counted by route template (never the raw path), method
/// and status; the store's operations, the SQLite writer or the PostgreSQL pool, rate-limit
/// rejections, idempotent replays, build info and the process (memory, CPU, open files) are
/// reported too. Meant for a Prometheus scraper on the operator's network.
#[utoipa::path(get, path = "/metrics", tag = "operations", operation_id = "metrics",
    responses(
        (status = 200, description = "Metrics in the Prometheus text format (version 0.0.4)",
         body = String, content_type = "text/plain; version=0.0.4; charset=utf-8"),
        (status = 503, description = "No metrics recorder in this process", body = crate::error::ErrorBody),
    ))]
pub async fn scrape() -> Response {
    let Some(handle) = install() else {
        return crate::error::ApiError::unavailable("Metrics are not recorded in this process")
            .into_response();
    };
    let mut body = handle.render();
    process::render(&mut body);
    let mut res = body.into_response();
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    res
}

// ---- requests ----------------------------------------------------------------------------------

/// The handles of one (route, method, status) series.
struct Series {
    requests: Counter,
    latency: Histogram,
}

static ROUTES: LazyLock<RwLock<HashSet<&'static str>>> = LazyLock::new(Default::default);
/// Keyed by (route template, method, status). Requests that matched no route are `unmatched`.
#[allow(clippy::type_complexity)]
static SERIES: LazyLock<RwLock<FastMap<(&'static str, &'static str, u16), Series>>> =
    LazyLock::new(Default::default);
static IN_FLIGHT: LazyLock<metrics::Gauge> = LazyLock::new(|| gauge!(HTTP_IN_FLIGHT));

/// A route template as a `'static` string: the router's templates are a fixed set, so each is
/// leaked once, when its first series is registered.
fn intern(route: &str) -> &'static str {
    let mut routes = ROUTES.write().unwrap_or_else(|e| e.into_inner());
    if let Some(r) = routes.get(route) {
        return r;
    }
    let r: &'static str = Box::leak(route.to_owned().into_boxed_str());
    routes.insert(r);
    r
}

fn method_label(m: &Method) -> &'static str {
    match *m {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// Runs `f` on the handles of the (route, method, status) series: under a read lock once the
/// series exists (the common case), registering it first otherwise.
fn with_series(route: &str, method: &'static str, status: u16, f: impl FnOnce(&Series)) {
    {
        let all = SERIES.read().unwrap_or_else(|e| e.into_inner());
        // Looked up with the borrowed template (the map's keys are `'static`).
        let map: &FastMap<(&str, &'static str, u16), Series> = &all;
        if let Some(s) = map.get(&(route, method, status)) {
            return f(s);
        }
    }
    let route = intern(route);
    let series = Series {
        requests: counter!(HTTP_REQUESTS, "route" => route, "method" => method, "status" => status.to_string()),
        latency: metrics::histogram!(HTTP_REQUEST_SECONDS, "route" => route, "method" => method),
    };
    let mut all = SERIES.write().unwrap_or_else(|e| e.into_inner());
    f(all.entry((route, method, status)).or_insert(series));
}

/// Counts `-1` in flight when dropped: a request whose client went away still leaves.
struct InFlight;

impl Drop for InFlight {
    fn drop(&mut self) {
        IN_FLIGHT.decrement(1.0);
    }
}

/// A request being counted and timed (in the outermost layers, `layers::Outer`, but for the
/// request id) under its route template, never its raw path (which may hold ids or external
/// ids): [`Tracked::start`] when it arrives, [`Tracked::finish`] with its response. Dropped
/// without a response (the client went away), it leaves the in-flight count alone.
pub struct Tracked {
    started: Instant,
    /// A clone of the template is a reference count, not a copy.
    route: Option<MatchedPath>,
    method: &'static str,
    _leaving: InFlight,
}

impl Tracked {
    pub fn start(req: &Request) -> Self {
        IN_FLIGHT.increment(1.0);
        Self {
            started: Instant::now(),
            route: req.extensions().get::<MatchedPath>().cloned(),
            method: method_label(req.method()),
            _leaving: InFlight,
        }
    }

    pub fn finish(self, res: &Response) {
        let route = self.route.as_ref().map_or("unmatched", MatchedPath::as_str);
        with_series(route, self.method, res.status().as_u16(), |s| {
            s.requests.increment(1);
            s.latency.record(self.started.elapsed().as_secs_f64());
        });
    }
}

/// A request refused by the rate limit; `by` is `credential` or `address`.
pub fn rate_limited(by: &'static str) {
    counter!(RATE_LIMIT_REJECTIONS, "by" => by).increment(1);
}

/// A retry answered from its `Idempotency-Key`: `response` (stored) or `committed`.
pub fn replayed(kind: &'static str) {
    counter!(IDEMPOTENT_REPLAYS, "kind" => kind).increment(1);
}

// ---- the process -------------------------------------------------------------------------------

mod process {
    //! The usual `process_*` metrics, read from `/proc/self` at each scrape; on other systems
    //! (no `/proc`) none are written.

    use std::fmt::Write as _;

    /// `USER_HZ`: the unit of CPU times in `/proc`, 100 on every Linux architecture.
    const TICKS_PER_SECOND: f64 = 100.0;

    struct Sample {
        cpu_seconds: f64,
        resident_bytes: f64,
        virtual_bytes: f64,
        start_time_seconds: Option<f64>,
        open_fds: Option<f64>,
        max_fds: Option<f64>,
    }

    fn sample() -> Option<Sample> {
        let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
        // Fields after the command name, which is in parentheses and may hold spaces.
        let rest = stat.rsplit_once(')')?.1;
        let f: Vec<&str> = rest.split_whitespace().collect();
        // `rest` starts at field 3 (state): field n is f[n - 3].
        let num = |n: usize| f.get(n - 3).and_then(|v| v.parse::<f64>().ok());
        let cpu_seconds = (num(14)? + num(15)?) / TICKS_PER_SECOND;
        let virtual_bytes = num(23)?;
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let resident_bytes = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())?
            * 1024.0;
        let boot_time = std::fs::read_to_string("/proc/stat").ok().and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("btime "))
                .and_then(|v| v.trim().parse::<f64>().ok())
        });
        let start_time_seconds = match (boot_time, num(22)) {
            (Some(boot), Some(ticks)) => Some(boot + ticks / TICKS_PER_SECOND),
            _ => None,
        };
        let open_fds = std::fs::read_dir("/proc/self/fd")
            .ok()
            .map(|d| d.count() as f64);
        let max_fds = std::fs::read_to_string("/proc/self/limits")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("Max open files"))
                    .and_then(|l| l.split_whitespace().nth(3))
                    .and_then(|v| v.parse::<f64>().ok())
            });
        Some(Sample {
            cpu_seconds,
            resident_bytes,
            virtual_bytes,
            start_time_seconds,
            open_fds,
            max_fds,
        })
    }

    fn metric(out: &mut String, name: &str, kind: &str, help: &str, value: Option<f64>) {
        if let Some(v) = value {
            let _ = write!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {v}\n\n"
            );
        }
    }

    /// Appends the process metrics to a rendered exposition.
    pub(super) fn render(out: &mut String) {
        let Some(s) = sample() else { return };
        if !out.is_empty() && !out.ends_with("\n\n") {
            out.push('\n');
        }
        metric(
            out,
            "process_cpu_seconds_total",
            "counter",
            "Total user and system CPU time spent in seconds.",
            Some(s.cpu_seconds),
        );
        metric(
            out,
            "process_resident_memory_bytes",
            "gauge",
            "Resident memory size in bytes.",
            Some(s.resident_bytes),
        );
        metric(
            out,
            "process_virtual_memory_bytes",
            "gauge",
            "Virtual memory size in bytes.",
            Some(s.virtual_bytes),
        );
        metric(
            out,
            "process_start_time_seconds",
            "gauge",
            "Start time of the process since the Unix epoch in seconds.",
            s.start_time_seconds,
        );
        metric(
            out,
            "process_open_fds",
            "gauge",
            "Number of open file descriptors.",
            s.open_fds,
        );
        metric(
            out,
            "process_max_fds",
            "gauge",
            "Maximum number of open file descriptors.",
            s.max_fds,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_static_strings() {
        let a = intern("/v1/things/{id}");
        assert!(std::ptr::eq(a, intern("/v1/things/{id}")), "interned once");
        assert_eq!(
            method_label(&Method::from_bytes(b"BREW").expect("method")),
            "other"
        );
    }

    #[test]
    fn process_metrics_are_read_on_linux() {
        let mut out = String::new();
        process::render(&mut out);
        if cfg!(target_os = "linux") {
            assert!(out.contains("process_resident_memory_bytes "), "{out}");
            assert!(out.contains("process_open_fds "), "{out}");
        }
    }
}
