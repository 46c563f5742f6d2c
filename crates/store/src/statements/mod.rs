//! Statements built once with sea-query, for every backend, one module per resource. Values are
//! always bound.

mod audit;
mod base;
mod clients;
mod idempotency;
mod keys;
mod list;
mod rows;
mod subresources;
mod tenants;

pub use audit::*;
pub use base::{clients, col, Shaped, Statement};
pub use clients::*;
pub use idempotency::*;
pub use keys::*;
pub use list::*;
pub use rows::Rows;
pub use subresources::*;
pub use tenants::*;
