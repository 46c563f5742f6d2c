//! HTTP integration tests: the real router over real HTTP on 127.0.0.1.

#[macro_use]
mod common;
mod api_keys;
mod auth;
mod availability;
mod bearer;
mod bulk;
mod clients;
mod consistency;
mod console;
mod console_browser;
mod cross_dialect;
mod dialect_000;
mod dialect_001;
mod dialect_002;
mod dialect_003;
mod dialect_004;
mod documents;
mod errors;
mod hardening;
mod isolation;
mod jwt;
mod listing;
mod metrics;
mod openapi;
mod permissions;
mod ratelimit;
mod server;
mod subresources;
mod text;
mod totals;
mod validation;
mod webdriver;
