//! Token buckets for rate limits: each client may burst up to `per_minute` requests,
//! then gets that many back per minute, evenly. Time is in milliseconds, passed in, so
//! the rule is pure and testable.

/// Tokens left at a moment.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TokenBucket {
    pub tokens: f64,
    pub at_ms: f64,
}

impl TokenBucket {
    /// A full bucket.
    pub fn full(per_minute: u32, now_ms: f64) -> TokenBucket {
        TokenBucket { tokens: f64::from(per_minute.max(1)), at_ms: now_ms }
    }

    fn refilled(self, per_minute: u32, now_ms: f64) -> TokenBucket {
        let capacity = f64::from(per_minute.max(1));
        let elapsed = (now_ms - self.at_ms).max(0.0);
        TokenBucket {
            tokens: (self.tokens + elapsed * capacity / 60_000.0).min(capacity),
            at_ms: now_ms.max(self.at_ms),
        }
    }

    /// Whether the bucket would be full by `now_ms` (so forgetting it loses nothing).
    pub fn is_full(self, per_minute: u32, now_ms: f64) -> bool {
        self.refilled(per_minute, now_ms).tokens >= f64::from(per_minute.max(1))
    }

    /// Takes one token. Returns the bucket after, and when refused the whole seconds
    /// (at least 1) until a token is back.
    pub fn take(self, per_minute: u32, now_ms: f64) -> (TokenBucket, Option<u32>) {
        let mut b = self.refilled(per_minute, now_ms);
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            (b, None)
        } else {
            let per_ms = f64::from(per_minute.max(1)) / 60_000.0;
            let wait_s = ((1.0 - b.tokens) / per_ms / 1000.0).ceil();
            (b, Some((wait_s as u32).max(1)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_full_bucket_allows_a_burst_then_refuses_with_a_wait() {
        let mut bucket = TokenBucket::full(3, 1_000.0);
        for _ in 0..3 {
            let (b, refused) = bucket.take(3, 1_000.0);
            assert_eq!(refused, None);
            bucket = b;
        }
        let (b, refused) = bucket.take(3, 1_000.0);
        // Three per minute: one token every 20 s.
        assert_eq!(refused, Some(20));
        assert_eq!(b.take(3, 21_000.0).1, None);
        assert!(!b.is_full(3, 21_000.0));
        assert!(b.is_full(3, 61_000.0));
    }

    #[test]
    fn a_clock_going_backwards_refills_nothing() {
        let (b, _) = TokenBucket::full(2, 10_000.0).take(2, 10_000.0);
        let (b, _) = b.take(2, 10_000.0);
        assert_eq!(b.take(2, 5_000.0).1, Some(30));
    }

    proptest! {
        /// Over any span, no more requests pass than the burst plus the refill.
        #[test]
        fn never_more_than_burst_plus_refill(
            per_minute in 1_u32..500,
            gaps in proptest::collection::vec(0.0_f64..5_000.0, 1..400),
        ) {
            let mut bucket = TokenBucket::full(per_minute, 0.0);
            let mut now = 0.0;
            let mut passed = 0_u32;
            for gap in gaps {
                now += gap;
                let (b, refused) = bucket.take(per_minute, now);
                bucket = b;
                if refused.is_none() {
                    passed += 1;
                } else {
                    prop_assert!(refused.unwrap() >= 1);
                }
            }
            let allowed = f64::from(per_minute) + now * f64::from(per_minute) / 60_000.0;
            prop_assert!(f64::from(passed) <= allowed.floor() + 1e-9);
        }

        /// A refused client that waits the given seconds is let through.
        #[test]
        fn waiting_retry_after_is_enough(per_minute in 1_u32..1_000, burst in 0_u32..50) {
            let mut bucket = TokenBucket::full(per_minute, 0.0);
            let mut now = 0.0;
            loop {
                let (b, refused) = bucket.take(per_minute, now);
                bucket = b;
                if let Some(wait) = refused {
                    now += f64::from(wait) * 1000.0;
                    prop_assert_eq!(bucket.take(per_minute, now).1, None);
                    break;
                }
                now += f64::from(burst);
            }
        }
    }
}
