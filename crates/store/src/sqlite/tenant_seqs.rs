//! The tenant's two sequences a write takes from, on the SQLite writer: client numbers
//! (`tenants.client_seq`) and positions in the tenant's feed (`audit_records.pos`).
//!
//! Outside a batch (and in a batch that runs its jobs again one by one) each take reads the
//! database: an `UPDATE` and a `SELECT` for numbers, a `SELECT max(pos)` for positions. In an
//! ordinary writer batch ([`defer`]) each is read once per tenant, the batch's creates count on
//! from there in memory, and the numbers taken are added to `client_seq` once at the end of the
//! batch ([`flush`], before its commit); the positions need no write of their own (the audit
//! rows carry them). Every take goes through [`take_numbers`] and [`take_positions`], so a
//! count kept here is the database's own; were it not, the unique indexes on
//! `(tenant_id, number)` and `(tenant_id, pos)` would refuse the batch's row, and its jobs would
//! run again one by one, reading the database, as after any failed job.

use std::cell::RefCell;
use std::collections::HashMap;

use clientele_core::TenantId;
use rusqlite::{params, Connection, OptionalExtension};
use uuid::Uuid;

use crate::statements::{
    LAST_CLIENT_NUMBER_SQLITE, LAST_FEED_POSITION_SQLITE, TAKE_CLIENT_NUMBERS_SQLITE,
};

/// What the current batch took, per tenant.
#[derive(Default)]
struct Taken {
    /// The tenant's `client_seq` when the batch first read it, and how many numbers it took
    /// since (added to `client_seq` by [`flush`]).
    numbers: HashMap<TenantId, (i64, i64)>,
    /// The next position of the tenant's feed.
    positions: HashMap<TenantId, i64>,
}

thread_local! {
    /// `Some` while the writer's current batch counts its sequences here (a thread-local: only
    /// the writer thread writes).
    static TAKEN: RefCell<Option<Taken>> = const { RefCell::new(None) };
}

/// From now on this thread's takes are counted in [`TAKEN`] until [`flush`] or [`discard`] (the
/// writer, at the start of an ordinary batch).
pub(super) fn defer() {
    TAKEN.with(|t| *t.borrow_mut() = Some(Taken::default()));
}

/// Forgets what the batch took (it is rolled back) and stops deferring.
pub(super) fn discard() {
    TAKEN.with(|t| *t.borrow_mut() = None);
}

/// Adds the numbers the batch took to each tenant's `client_seq` (the end of the batch, before
/// its commit) and stops deferring.
pub(super) fn flush(conn: &Connection) -> rusqlite::Result<()> {
    let Some(taken) = TAKEN.with(|t| t.borrow_mut().take()) else {
        return Ok(());
    };
    let mut st = conn.prepare_cached(TAKE_CLIENT_NUMBERS_SQLITE)?;
    for (tenant, (_, n)) in &taken.numbers {
        if *n > 0 {
            st.execute(params![n, text(tenant, &mut Uuid::encode_buffer())])?;
        }
    }
    Ok(())
}

/// The tenant's next `n` client numbers: the last one of them (`None`: no such tenant).
pub(super) fn take_numbers(
    conn: &Connection,
    tenant: TenantId,
    n: i64,
) -> rusqlite::Result<Option<i64>> {
    // `None`: no batch is counting; `Some(None)`: this batch has not read the tenant's yet.
    let counted = TAKEN.with(|t| {
        t.borrow()
            .as_ref()
            .map(|taken| taken.numbers.get(&tenant).copied())
    });
    let (base, before) = match counted {
        Some(Some(counted)) => counted,
        Some(None) => match last_number(conn, tenant)? {
            Some(base) => (base, 0),
            None => return Ok(None),
        },
        None => {
            let mut buf = Uuid::encode_buffer();
            conn.prepare_cached(TAKE_CLIENT_NUMBERS_SQLITE)?
                .execute(params![n, text(&tenant, &mut buf)])?;
            return last_number(conn, tenant);
        }
    };
    TAKEN.with(|t| {
        if let Some(taken) = t.borrow_mut().as_mut() {
            taken.numbers.insert(tenant, (base, before + n));
        }
    });
    Ok(Some(base + before + n))
}

/// The first of the tenant's next `n` feed positions.
pub(super) fn take_positions(conn: &Connection, tenant: TenantId, n: i64) -> rusqlite::Result<i64> {
    let counted = TAKEN.with(|t| {
        t.borrow()
            .as_ref()
            .and_then(|taken| taken.positions.get(&tenant).copied())
    });
    let first = match counted {
        Some(next) => next,
        None => {
            let mut buf = Uuid::encode_buffer();
            let last: Option<i64> = conn
                .prepare_cached(LAST_FEED_POSITION_SQLITE)?
                .query_row([text(&tenant, &mut buf)], |r| r.get(0))?;
            last.unwrap_or(0) + 1
        }
    };
    TAKEN.with(|t| {
        if let Some(taken) = t.borrow_mut().as_mut() {
            taken.positions.insert(tenant, first + n);
        }
    });
    Ok(first)
}

fn last_number(conn: &Connection, tenant: TenantId) -> rusqlite::Result<Option<i64>> {
    let mut buf = Uuid::encode_buffer();
    conn.prepare_cached(LAST_CLIENT_NUMBER_SQLITE)?
        .query_row([text(&tenant, &mut buf)], |r| r.get(0))
        .optional()
}

fn text<'a>(tenant: &TenantId, buf: &'a mut [u8; 45]) -> &'a str {
    tenant.0.hyphenated().encode_lower(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db(tenants: &[TenantId]) -> Connection {
        let conn = Connection::open_in_memory().expect("open");
        conn.execute_batch(
            "CREATE TABLE tenants (id TEXT PRIMARY KEY, client_seq INTEGER NOT NULL);
             CREATE TABLE audit_records (tenant_id TEXT NOT NULL, pos INTEGER NOT NULL);",
        )
        .expect("schema");
        for (i, t) in tenants.iter().enumerate() {
            conn.execute(
                "INSERT INTO tenants VALUES (?1, ?2)",
                params![t.0.to_string(), 10 * (i as i64 + 1)],
            )
            .expect("tenant");
            conn.execute(
                "INSERT INTO audit_records VALUES (?1, ?2)",
                params![t.0.to_string(), 100 * (i as i64 + 1)],
            )
            .expect("record");
        }
        conn
    }

    fn seq(conn: &Connection, t: TenantId) -> i64 {
        conn.query_row(
            "SELECT client_seq FROM tenants WHERE id = ?1",
            [t.0.to_string()],
            |r| r.get(0),
        )
        .expect("seq")
    }

    #[test]
    fn outside_a_batch_every_take_is_written_at_once() {
        let a = TenantId(Uuid::now_v7());
        let conn = db(&[a]);
        assert_eq!(take_numbers(&conn, a, 2).expect("take"), Some(12));
        assert_eq!(seq(&conn, a), 12);
        assert_eq!(take_positions(&conn, a, 3).expect("take"), 101);
        let nobody = TenantId(Uuid::now_v7());
        assert_eq!(take_numbers(&conn, nobody, 1).expect("take"), None);
    }

    #[test]
    fn a_batch_counts_each_tenants_takes_and_writes_the_numbers_once() {
        let (a, b) = (TenantId(Uuid::now_v7()), TenantId(Uuid::now_v7()));
        let conn = db(&[a, b]);
        defer();
        assert_eq!(take_numbers(&conn, a, 1).expect("take"), Some(11));
        assert_eq!(take_numbers(&conn, b, 2).expect("take"), Some(22));
        assert_eq!(take_numbers(&conn, a, 3).expect("take"), Some(14));
        assert_eq!(take_positions(&conn, a, 1).expect("take"), 101);
        assert_eq!(take_positions(&conn, a, 2).expect("take"), 102);
        assert_eq!(take_positions(&conn, b, 1).expect("take"), 201);
        assert_eq!(
            (seq(&conn, a), seq(&conn, b)),
            (10, 20),
            "not before the flush"
        );
        flush(&conn).expect("flush");
        assert_eq!((seq(&conn, a), seq(&conn, b)), (14, 22));
        // The batch is over: the next take reads and writes the database again.
        assert_eq!(take_numbers(&conn, a, 1).expect("take"), Some(15));
        assert_eq!(seq(&conn, a), 15);
    }

    #[test]
    fn a_discarded_batch_leaves_nothing_counted() {
        let a = TenantId(Uuid::now_v7());
        let conn = db(&[a]);
        defer();
        assert_eq!(take_numbers(&conn, a, 5).expect("take"), Some(15));
        assert_eq!(take_positions(&conn, a, 5).expect("take"), 101);
        discard();
        flush(&conn).expect("nothing to flush");
        assert_eq!(seq(&conn, a), 10);
        assert_eq!(take_numbers(&conn, a, 1).expect("take"), Some(11));
        assert_eq!(take_positions(&conn, a, 1).expect("take"), 101);
    }
}
