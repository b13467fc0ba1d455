//! Client construction.

use std::sync::Arc;

/// State shared by all clones of a [`crate::Client`].
#[derive(Debug, Clone, Default)]
pub struct Shared {
    _inner: Arc<()>,
}

/// Builds a configured [`crate::Client`].
#[derive(Debug, Default)]
pub struct ClientBuilder {}
