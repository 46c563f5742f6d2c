//! HTTP integration tests: the real router over real HTTP on 127.0.0.1.

mod api_keys;
mod auth;
mod clients;
mod common;
mod consistency;
mod errors;
mod hardening;
mod isolation;
mod jwt;
mod listing;
mod openapi;
mod permissions;
mod ratelimit;
mod subresources;
mod validation;
