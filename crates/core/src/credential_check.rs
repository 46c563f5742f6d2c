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

use std::cell::Cell;
use std::future::Future;

tokio::task_local! {
    static CHECK: Check;
}

#[derive(Default)]
struct Check {
    /// The generation a credential handed out unconfirmed was read under.
    expected: Cell<Option<i64>>,
    /// The generation the request's first read saw.
    observed: Cell<Option<i64>>,
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
    CHECK
        .scope(Check::default(), async {
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
            if c.expected.get().is_some() {
                return false;
            }
            c.expected.set(Some(generation));
            true
        })
        .unwrap_or(false)
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
}
