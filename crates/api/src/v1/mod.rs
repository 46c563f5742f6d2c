//! The native API, `/v1` (API.md).

pub mod api_keys;
pub mod audit;
pub mod clients;
pub mod me;
pub mod query;
pub mod subresources;
