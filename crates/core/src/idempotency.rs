//! Idempotency keys: a retried write replays its first response instead of running twice.

use uuid::Uuid;

use crate::tenant::TenantId;

/// How long a key is remembered.
pub const RETENTION_SECONDS: i64 = 24 * 3600;
/// A claim whose server instance is gone is taken over at once by a retry; one of a running
/// instance still marked in flight after this long (longer than any request may run) is taken to
/// have been abandoned.
pub const IN_FLIGHT_TIMEOUT_SECONDS: i64 = 120;

/// A key is scoped to the tenant and the credential that sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyScope {
    pub tenant: TenantId,
    pub credential_id: String,
    pub key: String,
}

/// A response as first sent, to be replayed byte for byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    pub status: u16,
    /// Headers worth replaying (`Location`, `ETag`, `Content-Type`).
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// What `begin` found for a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdempotencyBegin {
    /// New (or expired, or abandoned): the caller runs the request and then finishes or aborts.
    Started,
    /// The first request with this key is still running.
    InFlight,
    /// The key was used for a different request.
    Mismatch,
    /// The first response, to replay.
    Replay(StoredResponse),
    /// The first request's write committed but its response was not recorded (the server
    /// stopped in between): the entity and the status it was answered with.
    Committed {
        entity_type: String,
        entity_id: Uuid,
        status: u16,
    },
}
