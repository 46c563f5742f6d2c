//! Per-credential rate limits with GCRA (the generic cell rate algorithm): a budget of `count`
//! requests per `per_seconds`, available as a burst, refilled one request every
//! `per_seconds / count`. In process with `governor`; shared by several instances through Redis
//! with the same algorithm in one atomic Lua script.
//!
//! When Redis cannot be reached the configured [`FailMode`] decides: `open` falls back to this
//! instance's own budget (limits stay on, only not shared), `closed` answers 503. Either way one
//! warning is logged (at most every [`WARN_EVERY`]), never a 500.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clientele_core::tenant::RateLimit;
use clientele_core::FastMap;
use governor::clock::{Clock as _, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter as Governor};

/// Longest wait for Redis (connecting or answering) before the failure mode applies.
pub const REDIS_TIMEOUT: Duration = Duration::from_millis(500);
/// After a failed connection, Redis is not tried again for this long.
const RECONNECT_AFTER: Duration = Duration::from_secs(1);
/// Redis failures are logged at most this often.
pub const WARN_EVERY: Duration = Duration::from_secs(10);
/// Local state of idle credentials is dropped every this many checks.
const HOUSEKEEPING_EVERY: u64 = 4096;

/// What to do when the shared (Redis) state cannot be reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailMode {
    /// Keep limiting with this instance's own budget.
    Open,
    /// Refuse requests with 503 until Redis answers again.
    Closed,
}

impl FailMode {
    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "open" => Ok(Self::Open),
            "closed" => Ok(Self::Closed),
            _ => Err("must be open or closed".into()),
        }
    }
}

/// The outcome of one check, for the `RateLimit-*` headers and `GET /v1/me`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    pub policy: RateLimit,
    /// Requests left right now after this one.
    pub remaining: u32,
    /// Seconds until the whole budget is available again.
    pub reset_secs: u64,
    /// Seconds until a refused request may be retried (0 when allowed).
    pub retry_after_secs: u64,
}

/// Redis failed and the fail mode is `closed`.
#[derive(Debug, Clone, Copy)]
pub struct Unavailable;

fn emission_interval(limit: RateLimit) -> Duration {
    Duration::from_nanos(
        (u64::from(limit.per_seconds) * 1_000_000_000 / u64::from(limit.count.max(1))).max(1),
    )
}

fn ceil_secs(d: Duration) -> u64 {
    d.as_nanos().div_ceil(1_000_000_000) as u64
}

type Keyed =
    Governor<String, DefaultKeyedStateStore<String>, DefaultClock, StateInformationMiddleware>;

/// In-process GCRA: one keyed `governor` limiter per distinct budget.
#[derive(Default)]
struct Local {
    limiters: Mutex<FastMap<(u32, u32), Arc<Keyed>>>,
    checks: AtomicU64,
    clock: DefaultClock,
}

impl Local {
    fn limiter(&self, limit: RateLimit) -> Arc<Keyed> {
        let mut map = self
            .limiters
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        map.entry((limit.count, limit.per_seconds))
            .or_insert_with(|| {
                let burst = NonZeroU32::new(limit.count).unwrap_or(NonZeroU32::MIN);
                let quota = Quota::with_period(emission_interval(limit))
                    .unwrap_or_else(|| Quota::per_second(burst))
                    .allow_burst(burst);
                Arc::new(Governor::keyed(quota).with_middleware::<StateInformationMiddleware>())
            })
            .clone()
    }

    fn housekeeping(&self) {
        // HOUSEKEEPING_EVERY is a power of two: a mask is the remainder.
        if self.checks.fetch_add(1, Ordering::Relaxed) & (HOUSEKEEPING_EVERY - 1) != 0 {
            return;
        }
        let all: Vec<Arc<Keyed>> = self
            .limiters
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .values()
            .cloned()
            .collect();
        for l in all {
            l.retain_recent();
            l.shrink_to_fit();
        }
    }

    fn check(&self, key: &str, limit: RateLimit) -> Decision {
        self.housekeeping();
        let t = emission_interval(limit);
        match self.limiter(limit).check_key(&key.to_string()) {
            Ok(snapshot) => {
                let remaining = snapshot.remaining_burst_capacity().min(limit.count);
                Decision {
                    allowed: true,
                    policy: limit,
                    remaining,
                    reset_secs: ceil_secs(t * (limit.count - remaining)),
                    retry_after_secs: 0,
                }
            }
            Err(not_until) => {
                let wait = not_until.wait_time_from(self.clock.now());
                Decision {
                    allowed: false,
                    policy: limit,
                    remaining: 0,
                    reset_secs: ceil_secs(wait + t * limit.count.saturating_sub(1)),
                    retry_after_secs: ceil_secs(wait).max(1),
                }
            }
        }
    }
}

/// GCRA in Redis: the key holds the theoretical arrival time (µs, Redis clock) and expires when
/// the budget is full again. Returns {allowed, remaining, retry_after_us, reset_us}.
const GCRA_LUA: &str = r#"
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now) or now
if tat < now then tat = now end
local new_tat = tat + interval
local allow_at = new_tat - burst * interval
if now < allow_at then
  return {0, 0, allow_at - now, tat - now}
end
local ttl = math.ceil((new_tat - now) / 1000)
if ttl < 1 then ttl = 1 end
redis.call('SET', KEYS[1], string.format('%.0f', new_tat), 'PX', ttl)
return {1, math.floor((now - allow_at) / interval), 0, new_tat - now}
"#;

struct Shared {
    client: redis::Client,
    prefix: String,
    script: redis::Script,
    conn: tokio::sync::Mutex<(Option<redis::aio::MultiplexedConnection>, Option<Instant>)>,
}

impl Shared {
    async fn connection(&self) -> Result<redis::aio::MultiplexedConnection, String> {
        let mut state = self.conn.lock().await;
        if let Some(c) = &state.0 {
            return Ok(c.clone());
        }
        if state.1.is_some_and(|at| at.elapsed() < RECONNECT_AFTER) {
            return Err("Redis was unreachable moments ago".into());
        }
        let config = redis::AsyncConnectionConfig::new()
            .set_connection_timeout(REDIS_TIMEOUT)
            .set_response_timeout(REDIS_TIMEOUT);
        let attempt = tokio::time::timeout(
            REDIS_TIMEOUT,
            self.client
                .get_multiplexed_async_connection_with_config(&config),
        )
        .await;
        match attempt {
            Ok(Ok(c)) => {
                *state = (Some(c.clone()), None);
                Ok(c)
            }
            Ok(Err(e)) => {
                state.1 = Some(Instant::now());
                Err(e.to_string())
            }
            Err(_) => {
                state.1 = Some(Instant::now());
                Err("connecting timed out".into())
            }
        }
    }

    async fn forget_connection(&self) {
        let mut state = self.conn.lock().await;
        *state = (None, Some(Instant::now()));
    }

    async fn check(&self, key: &str, limit: RateLimit) -> Result<Decision, String> {
        let mut conn = self.connection().await?;
        let interval_us = (emission_interval(limit).as_micros() as u64).max(1);
        let mut invocation = self.script.key(format!("{}{key}", self.prefix));
        invocation.arg(interval_us).arg(limit.count);
        let reply = tokio::time::timeout(
            REDIS_TIMEOUT,
            invocation.invoke_async::<Vec<i64>>(&mut conn),
        )
        .await;
        let r = match reply {
            Ok(Ok(r)) if r.len() == 4 => r,
            Ok(Ok(_)) => return Err("unexpected reply from the rate-limit script".into()),
            Ok(Err(e)) => {
                self.forget_connection().await;
                return Err(e.to_string());
            }
            Err(_) => {
                self.forget_connection().await;
                return Err("Redis did not answer in time".into());
            }
        };
        let us = |v: i64| Duration::from_micros(v.max(0) as u64);
        Ok(Decision {
            allowed: r[0] == 1,
            policy: limit,
            remaining: r[1].clamp(0, i64::from(limit.count)) as u32,
            reset_secs: ceil_secs(us(r[3])),
            retry_after_secs: if r[0] == 1 {
                0
            } else {
                ceil_secs(us(r[2])).max(1)
            },
        })
    }
}

/// The rate limiter of one server: in process, or shared through Redis.
pub struct RateLimiter {
    local: Local,
    shared: Option<Shared>,
    fail_mode: FailMode,
    last_warning: Mutex<Option<Instant>>,
}

impl std::fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiter")
            .field("shared", &self.shared.is_some())
            .field("fail_mode", &self.fail_mode)
            .finish()
    }
}

/// The default prefix of the limiter's Redis keys.
pub const DEFAULT_REDIS_PREFIX: &str = "clientele:ratelimit:";

impl RateLimiter {
    /// Limits kept in this process only.
    pub fn local() -> Self {
        Self {
            local: Local::default(),
            shared: None,
            fail_mode: FailMode::Open,
            last_warning: Mutex::new(None),
        }
    }

    /// Limits shared through the Redis at `url`, under keys starting with `prefix`. The URL is
    /// checked here; the connection is made on first use (and remade after failures).
    pub fn redis(url: &str, prefix: &str, fail_mode: FailMode) -> Result<Self, String> {
        let client = redis::Client::open(url)
            .map_err(|_| "invalid Redis URL (expected redis://HOST[:PORT][/DB])".to_string())?;
        Ok(Self {
            shared: Some(Shared {
                client,
                prefix: prefix.to_string(),
                script: redis::Script::new(GCRA_LUA),
                conn: tokio::sync::Mutex::new((None, None)),
            }),
            fail_mode,
            ..Self::local()
        })
    }

    /// Counts one request of `key` against `limit`.
    pub async fn check(&self, key: &str, limit: RateLimit) -> Result<Decision, Unavailable> {
        let Some(shared) = &self.shared else {
            return Ok(self.local.check(key, limit));
        };
        // Boxed: the Redis round trip is a large future, and an unboxed one would make every
        // request's gate future (moved into a box by each layer it passes) as large, shared or not.
        match Box::pin(shared.check(key, limit)).await {
            Ok(d) => Ok(d),
            Err(error) => {
                self.warn(&error);
                match self.fail_mode {
                    FailMode::Open => Ok(self.local.check(key, limit)),
                    FailMode::Closed => Err(Unavailable),
                }
            }
        }
    }

    fn warn(&self, error: &str) {
        let mut last = self
            .last_warning
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if last.is_some_and(|at| at.elapsed() < WARN_EVERY) {
            return;
        }
        *last = Some(Instant::now());
        let mode = match self.fail_mode {
            FailMode::Open => "open: limiting per instance",
            FailMode::Closed => "closed: refusing requests with 503",
        };
        tracing::warn!(
            error = %clientele_core::mask::mask_text(error),
            fail_mode = mode,
            "rate-limit store (Redis) unavailable"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn per_min(count: u32) -> RateLimit {
        RateLimit {
            count,
            per_seconds: 60,
        }
    }

    #[tokio::test]
    async fn the_burst_is_the_budget_then_requests_are_refused() {
        let l = RateLimiter::local();
        let limit = per_min(3);
        let mut remaining = Vec::new();
        for _ in 0..3 {
            let d = l.check("k", limit).await.expect("local never fails");
            assert!(d.allowed);
            remaining.push(d.remaining);
        }
        assert_eq!(remaining, vec![2, 1, 0]);
        let d = l.check("k", limit).await.expect("local");
        assert!(!d.allowed);
        assert!((1..=20).contains(&d.retry_after_secs), "{d:?}");
        assert!(d.reset_secs >= 40 && d.reset_secs <= 60, "{d:?}");
        // Another key has its own budget.
        assert!(l.check("other", limit).await.expect("local").allowed);
    }

    #[tokio::test]
    async fn unreachable_redis_fails_open_to_the_local_budget_or_closed() {
        let open =
            RateLimiter::redis("redis://127.0.0.1:1", "t:", FailMode::Open).expect("valid url");
        let d = open.check("k", per_min(5)).await.expect("fails open");
        assert!(d.allowed);
        assert_eq!(d.remaining, 4);
        let closed =
            RateLimiter::redis("redis://127.0.0.1:1", "t:", FailMode::Closed).expect("valid url");
        assert!(closed.check("k", per_min(5)).await.is_err());
    }

    #[test]
    fn bad_redis_urls_are_refused() {
        assert!(RateLimiter::redis("http://nope", "p:", FailMode::Open).is_err());
    }
}
