pub mod audit;
pub mod clients;
pub mod health;
pub mod subresources;
