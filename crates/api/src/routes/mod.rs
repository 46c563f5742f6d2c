pub mod api_keys;
pub mod clients;
pub mod health;
pub mod me;
