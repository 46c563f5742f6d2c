//! The tenant's generation as SQLite keeps it (one row per tenant, bumped by triggers), for the
//! list totals remembered in [`crate::counts::CountCache`].

use clientele_core::TenantId;
use rusqlite::{Connection, OptionalExtension};

/// The tenant's current generation.
pub(super) fn generation(conn: &Connection, tenant: TenantId) -> rusqlite::Result<i64> {
    conn.prepare_cached("SELECT gen FROM tenant_generations WHERE tenant_id = ?1")
        .and_then(|mut st| {
            st.query_row([tenant.0.to_string()], |r| r.get(0))
                .optional()
        })
        .map(|g| g.unwrap_or(0))
}
