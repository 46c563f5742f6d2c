pub mod clients;
pub mod health;
