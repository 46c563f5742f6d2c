//! The seed dialects (docs/dialects.md): each a module that maps its vendor's API onto the core.

pub mod seed004;
