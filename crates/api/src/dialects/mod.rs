//! The seed dialects (DIALECTS.md): each a module that maps its vendor's API onto the core.

pub mod seed004;
