//! What every handler and layer may need, cheap to clone.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use clientele_core::Store;

use crate::config::Config;

/// Everything a handler may need, cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    /// Set on shutdown: `/readyz` answers 503 so load balancers stop sending traffic.
    pub draining: Arc<AtomicBool>,
    pub config: Arc<Config>,
}

impl AppState {
    /// A state with the default configuration: no JWT, in-process rate limits, CORS off.
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self::with_config(store, Config::default())
    }

    pub fn with_config(store: Arc<dyn Store>, config: Config) -> Self {
        Self {
            store,
            draining: Arc::new(AtomicBool::new(false)),
            config: Arc::new(config),
        }
    }
}
