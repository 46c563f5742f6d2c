//! Layers every request passes, whatever it is for: request id, access log, error
//! normalisation, CORS, header-size limit, `nosniff`, and the in-handler guards (body limit,
//! timeout, catch-panic). What depends on the route (credentials, rate limits, permissions,
//! idempotency, `Cache-Control`) is the surface's (`surface.rs`).

use std::convert::Infallible;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::{header, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use tower::layer::util::{Identity, Stack};
use tower::{ServiceBuilder, ServiceExt};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::auth::Identity as Who;
use crate::error::ApiError;
use crate::extract::BODY_LIMIT;
use crate::idempotency::{self, Idempotency};
use crate::request_id;

/// The guards around every handler, innermost first: body limit, timeout (503), catch-panic.
/// Applied to each part of the router separately so that a surface's gate can sit outside them.
/// They are one layer ([`Within`] and the body limit stacked): axum wraps each route in each
/// layer on its own and clones the stack below each of them for every request, so every layer
/// less on a route is work less on every request.
pub fn guard<S>(router: Router<S>, timeout: Duration) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    router.layer(guards(timeout, None))
}

/// The guards as one layer (see [`guard`]), with a surface's idempotency
/// (`crate::idempotency`) inside the timeout and catch-panic when it has one.
pub fn guards(
    timeout: Duration,
    idempotency: Option<Idempotency>,
) -> ServiceBuilder<Stack<DefaultBodyLimit, Stack<Within, Identity>>> {
    ServiceBuilder::new()
        .layer(Within {
            timeout,
            idempotency,
        })
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
}

/// Runs the rest of the stack for at most `timeout` (then `503` with an empty body, which
/// [`normalize_errors`] gives the error envelope, as `tower_http`'s timeout layer did) and turns
/// a panic into a `500` with the error envelope (the panic hook,
/// `logging::install_panic_hook`, already logged it, masked): a panic while the request is
/// handed to the stack below or while its response is awaited. On a surface's routes, path
/// parameters that cannot be stored are refused first
/// (`extract::refuse_unstorable_path_params`), and a request with an `Idempotency-Key` for an
/// idempotent route is answered through `idempotency::respond` within the same limits. A service of its own rather than a `from_fn`
/// layer, which would clone the whole stack below it for every request.
#[derive(Clone)]
pub struct Within {
    timeout: Duration,
    idempotency: Option<Idempotency>,
}

impl<S> tower::Layer<S> for Within {
    type Service = WithinService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        WithinService {
            inner,
            timeout: self.timeout,
            idempotency: self.idempotency.clone(),
        }
    }
}

/// See [`Within`].
#[derive(Clone)]
pub struct WithinService<S> {
    inner: S,
    timeout: Duration,
    idempotency: Option<Idempotency>,
}

type BoxResponseFuture = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

impl<S> tower::Service<Request> for WithinService<S>
where
    S: tower::Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = BoxResponseFuture;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request) -> Self::Future {
        let timeout = self.timeout;
        if let Some(state) = &self.idempotency {
            if let Some(refused) = crate::extract::refuse_unstorable_path_params(&mut req) {
                return Box::pin(std::future::ready(Ok(refused)));
            }
            if idempotency::applies(state, &req) {
                // The service made ready runs this request; a clone stays for the next one.
                let clone = self.inner.clone();
                let inner = std::mem::replace(&mut self.inner, clone);
                let state = state.clone();
                return Box::pin(async move {
                    let run = async move {
                        let next = |req: Request| inner.oneshot(req);
                        Ok(idempotency::respond(&state, req, next).await)
                    };
                    Ok(within(timeout, run).await)
                });
            }
        }
        let inner = &mut self.inner;
        let Ok(run) = std::panic::catch_unwind(AssertUnwindSafe(|| inner.call(req))) else {
            return Box::pin(std::future::ready(Ok(panicked())));
        };
        Box::pin(async move { Ok(within(timeout, run).await) })
    }
}

async fn within<F>(timeout: Duration, run: F) -> Response
where
    F: Future<Output = Result<Response, Infallible>>,
{
    let run = tokio::time::timeout(timeout, run);
    let mut run = std::pin::pin!(run);
    let outcome = std::future::poll_fn(|cx| {
        match std::panic::catch_unwind(AssertUnwindSafe(|| run.as_mut().poll(cx))) {
            Ok(Poll::Ready(r)) => Poll::Ready(Some(r)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(_) => Poll::Ready(None),
        }
    })
    .await;
    match outcome {
        Some(Ok(Ok(res))) => res,
        Some(Ok(Err(never))) => match never {},
        Some(Err(_elapsed)) => {
            let mut res = Response::new(Body::empty());
            *res.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
            res
        }
        None => panicked(),
    }
}

fn panicked() -> Response {
    ApiError::internal("handler panicked").into_response()
}

/// The guards around a streaming route (`Surface::streaming`): catch-panic alone. Its handler
/// reads the body as a stream under its own size limit, and a bulk import or export takes as
/// long as its rows do (the server's header and idle timeouts still apply).
pub fn guard_streaming<S>(router: Router<S>) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    router.layer(CatchPanicLayer::custom(|_| {
        ApiError::internal("handler panicked").into_response()
    }))
}

/// Browsers may call the API only from the configured origins; credentials travel in headers
/// (never cookies), so no `Access-Control-Allow-Credentials`.
pub fn cors(origins: &[HeaderValue]) -> CorsLayer {
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins.iter().cloned()))
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::IF_MATCH,
            header::IF_NONE_MATCH,
            HeaderName::from_static("x-api-key"),
            HeaderName::from_static("tenant"),
            HeaderName::from_static("idempotency-key"),
            HeaderName::from_static("x-request-id"),
        ])
        .expose_headers([
            header::ETAG,
            header::LOCATION,
            header::RETRY_AFTER,
            HeaderName::from_static("x-request-id"),
            HeaderName::from_static("ratelimit-limit"),
            HeaderName::from_static("ratelimit-remaining"),
            HeaderName::from_static("ratelimit-reset"),
            HeaderName::from_static("ratelimit-policy"),
            HeaderName::from_static("idempotent-replayed"),
        ])
        .max_age(std::time::Duration::from_secs(600))
}

/// The refusal of a request whose headers (names and values together) exceed the configured
/// size, if they do.
fn oversized(max: usize, req: &Request) -> Option<Response> {
    let size: usize = req
        .headers()
        .iter()
        .map(|(k, v)| k.as_str().len() + v.len())
        .sum();
    if size <= max {
        return None;
    }
    let status = StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE;
    Some(
        ApiError::new(
            status,
            ApiError::code_for(status),
            format!("The request headers exceed the limit of {max} bytes"),
        )
        .into_response(),
    )
}

/// The Content-Security-Policy of Swagger UI at `/docs`: everything from this server only (it
/// renders offline), scripts only from files (no inline script, no `eval`), inline styles (the
/// viewer sets them), `data:` images (its icons), and no framing by any page.
pub const DOCS_CSP: &str =
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; font-src 'self' data:; connect-src 'self'; manifest-src 'self'; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The Content-Security-Policy of every other response (JSON, never a page): nothing may load
/// and nothing may frame it.
pub const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'";

/// The Content-Security-Policy of the answer to a request for `path` ([`secure`]).
fn csp_for(path: &str) -> &'static str {
    if path == "/docs" || path.starts_with("/docs/") {
        DOCS_CSP
    } else if path == "/console" || path.starts_with("/console/") {
        crate::console::CONTENT_SECURITY_POLICY
    } else {
        API_CSP
    }
}

/// `nosniff`, a Content-Security-Policy and `X-Frame-Options: DENY` everywhere (the `/docs` page
/// and the console with policies that let them run, [`csp_for`]). (A surface sets its own
/// `Cache-Control`: `/v1`'s tenant data must not be cached by intermediaries.)
fn secure(mut res: Response, csp: &'static str) -> Response {
    let h = res.headers_mut();
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(csp),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    res
}

pub async fn not_found() -> ApiError {
    ApiError::not_found("No such route")
}

/// Errors produced outside our handlers (405 from routing, 408 from the timeout) get the same
/// JSON envelope as ours; headers such as `Allow` are kept.
fn normalize_errors(res: Response) -> Response {
    let status = res.status();
    let is_json = res.headers().get(header::CONTENT_TYPE).is_some_and(|v| {
        // The console's HTML error pages are already meant for people.
        v.as_bytes().starts_with(b"application/json") || v.as_bytes().starts_with(b"text/html")
    });
    if status.as_u16() < 400 || is_json {
        return res;
    }
    let (parts, _) = res.into_parts();
    let message = match status {
        StatusCode::METHOD_NOT_ALLOWED => "This method is not allowed on this route; see Allow",
        StatusCode::SERVICE_UNAVAILABLE => "The request took too long and was abandoned",
        _ => status.canonical_reason().unwrap_or("Error"),
    };
    let mut out = ApiError::new(status, ApiError::code_for(status), message).into_response();
    *out.extensions_mut() = parts.extensions;
    for (k, v) in parts.headers.iter() {
        if k != header::CONTENT_TYPE && k != header::CONTENT_LENGTH {
            out.headers_mut().insert(k.clone(), v.clone());
        }
    }
    out
}

/// One line per request: method, route template (never the raw path, which may hold ids or
/// external ids), status, latency, request id, tenant and actor (`-` when unauthenticated):
/// [`AccessLog::start`] when it arrives, [`AccessLog::finish`] with its response.
struct AccessLog {
    started: Instant,
    method: Method,
    route: Option<String>,
}

impl AccessLog {
    /// Nothing is copied for a line that is not written (`RUST_LOG=warn`).
    fn start(req: &Request) -> Option<Self> {
        if !tracing::enabled!(tracing::Level::INFO) {
            return None;
        }
        Some(Self {
            started: Instant::now(),
            method: req.method().clone(),
            route: req
                .extensions()
                .get::<MatchedPath>()
                .map(|m| m.as_str().to_string()),
        })
    }

    fn finish(self, res: &Response) {
        let Self {
            started,
            method,
            route,
        } = self;
        let route = route.unwrap_or_else(|| "-".into());
        let (tenant, actor) = res
            .extensions()
            .get::<Who>()
            .map(|i| (i.tenant.as_str(), i.actor.as_str()))
            .unwrap_or(("-", "-"));
        tracing::info!(
            request_id = %request_id::current(),
            %method,
            route,
            status = res.status().as_u16(),
            // Whole microseconds: `0.023`, not `0.023294000000000002`.
            latency_ms = started.elapsed().as_micros() as f64 / 1000.0,
            tenant,
            actor,
            "request"
        );
    }
}

/// The layers outside CORS, as one service: request id, metrics, access log, error
/// normalisation, in that order from the outside. Their work before the route runs is
/// synchronous, so the service calls the route it wraps directly: a `from_fn` layer clones the
/// whole stack below it for every request (see [`guard`]).
#[derive(Clone, Copy)]
pub struct Outer;

impl<S> tower::Layer<S> for Outer {
    type Service = OuterService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        OuterService { inner }
    }
}

/// See [`Outer`].
#[derive(Clone)]
pub struct OuterService<S> {
    inner: S,
}

impl<S> tower::Service<Request> for OuterService<S>
where
    S: tower::Service<Request, Response = Response, Error = Infallible>,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = BoxResponseFuture;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request) -> Self::Future {
        let id = request_id::assign(&mut req);
        let tracked = crate::metrics::Tracked::start(&req);
        let logged = AccessLog::start(&req);
        let inner = &mut self.inner;
        let run = id.sync_scope(|| inner.call(req));
        Box::pin(async move {
            let res = id
                .scope(async move {
                    let res = match run.await {
                        Ok(res) => res,
                        Err(never) => match never {},
                    };
                    let res = normalize_errors(res);
                    if let Some(line) = logged {
                        line.finish(&res);
                    }
                    res
                })
                .await;
            tracked.finish(&res);
            Ok(res)
        })
    }
}

/// The layers inside CORS, as one service: the header-size limit, then `nosniff` and the other
/// security headers (not on a refusal of the limit). Called synchronously, as [`Outer`].
#[derive(Clone, Copy)]
pub struct Inner {
    pub max_header_bytes: usize,
}

impl<S> tower::Layer<S> for Inner {
    type Service = InnerService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        InnerService {
            inner,
            max_header_bytes: self.max_header_bytes,
        }
    }
}

/// See [`Inner`].
#[derive(Clone)]
pub struct InnerService<S> {
    inner: S,
    max_header_bytes: usize,
}

impl<S> tower::Service<Request> for InnerService<S>
where
    S: tower::Service<Request, Response = Response, Error = Infallible>,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = BoxResponseFuture;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        if let Some(refused) = oversized(self.max_header_bytes, &req) {
            return Box::pin(std::future::ready(Ok(refused)));
        }
        let csp = csp_for(req.uri().path());
        let run = self.inner.call(req);
        Box::pin(async move {
            match run.await {
                Ok(res) => Ok(secure(res, csp)),
                Err(never) => match never {},
            }
        })
    }
}
