//! HTTP integration tests: the real router over real HTTP on 127.0.0.1.

#[macro_use]
mod common;
mod auth;
mod availability;
mod clients;
mod consistency;
mod errors;
mod listing;
mod openapi;
mod subresources;
mod validation;
