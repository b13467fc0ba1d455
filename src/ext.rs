//! Hand-written methods on the generated client, in sealed extension traits.
//!
//! Bring them into scope with `use qyvo::prelude::*;`. Generated methods are named after the
//! spec's operationIds; the names here are checked against every operationId by a test, so a
//! new operation can never silently shadow one of them.

use crate::{Client, ratelimit::RateLimitStatus};

mod sealed {
    pub trait Sealed {}
    impl Sealed for crate::Client {}
}

/// SDK conveniences on [`Client`]: quota introspection.
///
/// Sealed: only [`Client`] implements it.
pub trait QyvoClientExt: sealed::Sealed {
    /// What the server last said about the quota (`X-RateLimit-Limit` and
    /// `X-RateLimit-Remaining`), shared by all clones of this client; `None` before the first
    /// response or when the rate limiter is turned off.
    ///
    /// ```no_run
    /// use qyvo::prelude::*;
    ///
    /// # async fn run(client: qyvo::Client) -> Result<(), qyvo::Error> {
    /// client.me().send().await?;
    /// if let Some(quota) = client.rate_limit() {
    ///     println!("{} of {} requests left", quota.remaining, quota.limit);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    fn rate_limit(&self) -> Option<RateLimitStatus>;
}

impl QyvoClientExt for Client {
    fn rate_limit(&self) -> Option<RateLimitStatus> {
        self.inner.runtime.limiter.as_ref()?.status()
    }
}

/// The names of every hand-written method on [`Client`], checked against the operationIds.
#[cfg(test)]
pub(crate) const EXT_METHODS: &[&str] = &["rate_limit"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_operation_id_collides_with_a_hand_written_method() {
        for name in EXT_METHODS {
            assert!(
                crate::retry::operation(name).is_none(),
                "operation {name} would shadow QyvoClientExt::{name}"
            );
        }
    }
}
