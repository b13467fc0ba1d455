//! The runtime: what every request goes through, whichever method sent it.
//!
//! - [`config`]: [`ClientBuilder`], the HTTP client it builds (auth, timeouts, TLS, redirects)
//!   and the settings below;
//! - [`execute`]: the path of one call, from the generated `send()` to a response or an
//!   [`Error`](crate::Error): rate limiter, attempts, retries, response bounds, error answers;
//! - [`retry`]: the retry policy and decision; [`ratelimit`]: the proactive limiter;
//!   [`trace`]: one span per attempt.
//!
//! The runtime knows nothing of the generated client nor of the conveniences built on it: the
//! generated `send()` methods call [`execute`] with their `reqwest::Client`, this [`Shared`]
//! state and the operation's id, and conveniences keep their own per-client state in
//! [`Shared::extension`].

pub(crate) mod config;
pub(crate) mod execute;
pub mod ratelimit;
pub mod retry;
mod trace;

use std::{
    any::{Any, TypeId},
    collections::HashMap,
    fmt,
    sync::{Arc, Mutex},
};

pub(crate) use execute::{IntoError, error_response, execute, read_json};

use self::{config::Settings, ratelimit::Limiter, retry::RetryBudget};

/// The state every clone of a [`Client`](crate::Client) shares: its settings, its rate
/// limiter, its retry budget, and the state of the conveniences.
///
/// Opaque: [`ClientBuilder::build`](crate::ClientBuilder::build) makes it.
#[derive(Clone)]
pub struct Shared(Arc<State>);

struct State {
    settings: Settings,
    limiter: Option<Limiter>,
    budget: RetryBudget,
    extensions: Mutex<HashMap<TypeId, Arc<dyn Any + Send + Sync>>>,
}

impl Shared {
    pub(crate) fn new(settings: Settings, limiter: Option<Limiter>) -> Self {
        Self(Arc::new(State {
            settings,
            limiter,
            budget: RetryBudget::new(),
            extensions: Mutex::new(HashMap::new()),
        }))
    }

    pub(crate) fn settings(&self) -> &Settings {
        &self.0.settings
    }

    pub(crate) fn limiter(&self) -> Option<&Limiter> {
        self.0.limiter.as_ref()
    }

    pub(crate) fn budget(&self) -> &RetryBudget {
        &self.0.budget
    }

    /// The client's one value of `T`, made with `T::default()` on first use.
    ///
    /// Conveniences keep their per-client state here (the template cache, say), so that the
    /// runtime holds it without knowing its type.
    pub(crate) fn extension<T: Default + Send + Sync + 'static>(&self) -> Arc<T> {
        let mut extensions = self.0.extensions.lock().unwrap_or_else(|e| e.into_inner());
        let value = extensions
            .entry(TypeId::of::<T>())
            .or_insert_with(|| Arc::new(T::default()))
            .clone();
        // The entry for `TypeId::of::<T>()` only ever holds a `T`.
        value
            .downcast::<T>()
            .unwrap_or_else(|_| Arc::new(T::default()))
    }
}

impl fmt::Debug for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shared")
            .field("settings", &self.0.settings)
            .field("rate_limiter", &self.0.limiter.is_some())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_extension_is_made_once_and_shared_by_clones() {
        #[derive(Default)]
        struct Counter(std::sync::atomic::AtomicU32);
        let shared = Shared::new(Settings::default(), None);
        let clone = shared.clone();
        shared
            .extension::<Counter>()
            .0
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let seen = clone.extension::<Counter>();
        assert_eq!(seen.0.load(std::sync::atomic::Ordering::Relaxed), 1);
        assert!(Arc::ptr_eq(&seen, &shared.extension::<Counter>()));
    }
}
