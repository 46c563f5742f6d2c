pub mod api_keys;
pub mod audit;
pub mod clients;
pub mod health;
pub mod me;
pub mod subresources;
