//! A cached credential confirmed by the request's own first read, instead of a database round
//! trip of its own (PostgreSQL; on SQLite the check is a local read and runs up front).
//!
//! A store keeps resolved API keys with the credentials' generation they were read under (a
//! number bumped in the same transaction as any change to a key). Normally it reads the current
//! generation before using a cached key. Inside [`scope`] (the gate opens one for read-only
//! requests) it may instead hand out the cached key at once and note the generation it expects
//! ([`defer`]); the request's first read then also reads the generation, pipelined on the same
//! connection in the same round trip ([`wanted`], [`observe`]). When the request is done,
//! [`Outcome`] says whether the generation seen was the one expected. If not (or if the request
//! read nothing), the gate resolves the credential again before answering, so a revoked or
//! changed key never gets a response: the read ran after the change was committed, so it saw the
//! new generation.
//!
//! A write request ([`write_scope`]) may be answered only if its credential held when its write
//! was applied, not merely when it was answered: a store whose writes run where the credentials
//! can be read in the same transaction (`Backend::checks_credentials_in_writes` in the store
//! crate: SQLite's writer) hands the cached key out with what it resolved ([`defer_write`]), and
//! its first write reads the generation inside its own transaction ([`write_check`]). Unchanged,
//! or changed while the key still resolves to exactly what was handed out (another key was
//! created, say), the write goes on and the check holds ([`confirm`]); otherwise the write is
//! refused unapplied, and the gate resolves the credential again as above.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::sync::Arc;

use crate::{ApiKey, Tenant};

tokio::task_local! {
    static CHECK: Check;
}

#[derive(Default)]
struct Check {
    /// Whether the scope is a write request's ([`write_scope`]).
    writes: bool,
    /// The generation a credential handed out unconfirmed was read under.
    expected: Cell<Option<i64>>,
    /// The generation the request's first read saw.
    observed: Cell<Option<i64>>,
    /// In a write scope: the key handed out unconfirmed, for the write to check.
    handed_out: RefCell<Option<Arc<WriteCheck>>>,
}

/// What a write checks in its own transaction before it applies anything ([`write_check`]).
#[derive(Debug, PartialEq)]
pub struct WriteCheck {
    /// The credentials' generation the key was read under.
    pub generation: i64,
    /// The key's hash, to resolve it again when the generation changed.
    pub hash: [u8; 32],
    /// What the key resolved to when it was handed out.
    pub resolved: (ApiKey, Tenant),
}

/// What became of a scope's deferred check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// No credential was handed out unconfirmed.
    NotDeferred,
    /// A read saw the generation the credential was read under: it was current.
    Confirmed,
    /// The generation changed, or nothing read it: the credential must be resolved again.
    Unconfirmed,
}

/// Runs `f` (a read-only request, credentials included) allowing deferred checks; returns its
/// output and whether a deferred check held.
pub async fn scope<F: Future>(f: F) -> (F::Output, Outcome) {
    scoped(Check::default(), f).await
}

/// [`scope`] for a request that may write: a credential is handed out unconfirmed only to be
/// checked by the write itself ([`defer_write`], [`write_check`]).
pub async fn write_scope<F: Future>(f: F) -> (F::Output, Outcome) {
    let check = Check {
        writes: true,
        ..Check::default()
    };
    scoped(check, f).await
}

async fn scoped<F: Future>(check: Check, f: F) -> (F::Output, Outcome) {
    CHECK
        .scope(check, async {
            let out = f.await;
            let outcome = CHECK.with(|c| match (c.expected.get(), c.observed.get()) {
                (None, _) => Outcome::NotDeferred,
                (Some(e), Some(o)) if e == o => Outcome::Confirmed,
                _ => Outcome::Unconfirmed,
            });
            (out, outcome)
        })
        .await
}

/// Whether a credential read under `generation` may be used unconfirmed: inside a [`scope`]
/// where none was yet. Records the expectation when it may.
pub fn defer(generation: i64) -> bool {
    CHECK
        .try_with(|c| {
            if c.writes || c.expected.get().is_some() {
                return false;
            }
            c.expected.set(Some(generation));
            true
        })
        .unwrap_or(false)
}

/// Whether the current scope is a write request's ([`write_scope`]).
pub fn in_write_scope() -> bool {
    CHECK.try_with(|c| c.writes).unwrap_or(false)
}

/// [`defer`] in a [`write_scope`]: the key with hash `hash`, read under `generation`, resolved to
/// `resolved`, may be used unconfirmed; its first write checks it ([`write_check`]).
pub fn defer_write(generation: i64, hash: [u8; 32], resolved: &(ApiKey, Tenant)) -> bool {
    CHECK
        .try_with(|c| {
            if !c.writes || c.expected.get().is_some() {
                return false;
            }
            c.expected.set(Some(generation));
            *c.handed_out.borrow_mut() = Some(Arc::new(WriteCheck {
                generation,
                hash,
                resolved: resolved.clone(),
            }));
            true
        })
        .unwrap_or(false)
}

/// What the current write must check in its transaction before applying anything: the key
/// handed out unconfirmed in this [`write_scope`], unless the check already held ([`confirm`]).
/// A read that saw another generation does not settle it: the write still checks.
pub fn write_check() -> Option<Arc<WriteCheck>> {
    CHECK
        .try_with(|c| {
            let expected = c.expected.get()?;
            if c.observed.get() == Some(expected) {
                return None;
            }
            c.handed_out.borrow().clone()
        })
        .ok()
        .flatten()
}

/// Records that a write found the handed-out key still resolving to what it resolved to
/// ([`write_check`]): the check holds, whatever a read saw before.
pub fn confirm() {
    let _ = CHECK.try_with(|c| c.observed.set(c.expected.get()));
}

/// Whether the current read should also read the credentials' generation (something was
/// deferred and no read saw the generation yet).
pub fn wanted() -> bool {
    CHECK
        .try_with(|c| c.expected.get().is_some() && c.observed.get().is_none())
        .unwrap_or(false)
}

/// Records the generation a read saw.
pub fn observe(generation: i64) {
    let _ = CHECK.try_with(|c| {
        if c.observed.get().is_none() {
            c.observed.set(Some(generation));
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block_on<F: Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime")
            .block_on(f)
    }

    #[test]
    fn outside_a_scope_nothing_is_deferred() {
        assert!(!defer(1));
        assert!(!wanted());
    }

    #[test]
    fn a_deferred_check_holds_only_when_a_read_saw_the_same_generation() {
        let (_, o) = block_on(scope(async {}));
        assert_eq!(o, Outcome::NotDeferred);
        let (_, o) = block_on(scope(async {
            assert!(defer(7));
            assert!(!defer(7), "one deferral per request");
            assert!(wanted());
            observe(7);
            assert!(!wanted());
        }));
        assert_eq!(o, Outcome::Confirmed);
        let (_, o) = block_on(scope(async {
            assert!(defer(7));
            observe(8);
        }));
        assert_eq!(o, Outcome::Unconfirmed);
        let (_, o) = block_on(scope(async {
            assert!(defer(7));
        }));
        assert_eq!(o, Outcome::Unconfirmed, "nothing read the generation");
    }

    fn resolved() -> (ApiKey, Tenant) {
        let tenant = Tenant {
            id: crate::TenantId(uuid::Uuid::nil()),
            name: crate::types::TenantName::parse("acme").expect("name"),
            default_currency: crate::types::CurrencyCode::eur(),
            created_at: crate::types::Timestamp::now(),
        };
        let key = ApiKey {
            id: uuid::Uuid::nil(),
            tenant_id: tenant.id,
            name: None,
            prefix: "ck_test".into(),
            permissions: vec![],
            rate_limit: None,
            created_at: tenant.created_at,
            revoked_at: None,
        };
        (key, tenant)
    }

    #[test]
    fn a_write_scope_hands_out_keys_only_for_the_write_to_check() {
        let found = resolved();
        let (_, o) = block_on(write_scope(async {
            assert!(in_write_scope());
            assert!(!defer(7), "a read's deferral does not apply to writes");
            assert!(write_check().is_none());
            assert!(defer_write(7, [1; 32], &found));
            assert!(!defer_write(7, [1; 32], &found), "one deferral per request");
            let check = write_check().expect("the write checks");
            assert_eq!((check.generation, check.hash), (7, [1; 32]));
            assert_eq!(check.resolved, found);
            confirm();
            assert!(write_check().is_none(), "checked once");
        }));
        assert_eq!(o, Outcome::Confirmed);
        let (_, o) = block_on(scope(async {
            assert!(!in_write_scope());
            assert!(!defer_write(7, [1; 32], &found), "only in a write scope");
        }));
        assert_eq!(o, Outcome::NotDeferred);
    }

    #[test]
    fn a_write_checks_even_after_a_read_saw_another_generation() {
        let found = resolved();
        let (_, o) = block_on(write_scope(async {
            assert!(defer_write(7, [1; 32], &found));
            assert!(wanted());
            observe(8);
            assert!(write_check().is_some(), "the read did not confirm the key");
        }));
        assert_eq!(o, Outcome::Unconfirmed, "no write confirmed it");
        let (_, o) = block_on(write_scope(async {
            assert!(defer_write(7, [1; 32], &found));
            observe(8);
            confirm();
        }));
        assert_eq!(o, Outcome::Confirmed);
        let (_, o) = block_on(write_scope(async {
            assert!(defer_write(7, [1; 32], &found));
            observe(7);
            assert!(write_check().is_none(), "a read saw the same generation");
        }));
        assert_eq!(o, Outcome::Confirmed);
    }
}
