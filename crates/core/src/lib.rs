//! Clientele's domain: types that hold only valid values, the list query, the `Store` trait,
//! and the use cases every API surface calls (`service`).

pub mod audit;
pub mod bulk;
pub mod client;
pub mod codes;
pub mod credential_check;
pub mod document;
pub mod enums;
pub mod error;
pub mod filter;
pub mod idempotency;
pub mod mask;
pub mod parse;
pub mod query;
#[cfg(feature = "openapi")]
pub mod schema;
pub mod search;
pub mod service;
pub mod store;
pub mod sub;
pub mod tenant;
pub mod types;

pub use client::{Address, Client, ClientData, Credit};
pub use enums::{ClientKind, ClientStatus, Creditworthiness, PartnerType, Permission};
pub use error::{FieldError, StoreError};
pub use store::{Store, WriteCtx};
pub use tenant::{ApiKey, Caller, Tenant, TenantId};

/// A hash map with a fast hasher (foldhash, seeded per process) for the per-request lookups of
/// fixed or server-made keys (routes, metric series, credential digests): SipHash, the
/// standard map's, was about 2% of a point read's instructions.
pub type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
