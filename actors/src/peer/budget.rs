//! What a peer may make the node do, per second: a message budget (a peer that sends more
//! messages than it allows is flooding, and is banned) and a work budget (what its messages
//! cost the node to answer: bytes sent, signature checks, large parses; a peer over it is not
//! punished but throttled: the node stops reading its connection until the budget refills).
//! PROTOCOL.md §8.6 states both; RELIABILITY.md's resource table lists each message's cost.

use std::time::{Duration, Instant};

/// Work units charged per message received, before any other cost.
pub const COST_MESSAGE: f64 = 1.0;
/// Work units per 64 KiB received or sent (parsing, hashing, copying).
pub const COST_PER_64KIB: f64 = 1.0;
/// Work units per transfer signature checked (about 80 µs of CPU, 8× a small message).
pub const COST_SIGNATURE: f64 = 8.0;

/// Returns the work units of moving `bytes` bytes.
pub fn cost_of_bytes(bytes: usize) -> f64 {
    (bytes / 65_536) as f64 * COST_PER_64KIB
}

/// A token bucket: `rate` tokens per second, holding at most `2 × rate`.
#[derive(Debug)]
pub struct TokenBucket {
    tokens: f64,
    rate: f64,
    last: Instant,
}

impl TokenBucket {
    /// Returns a full bucket.
    pub fn new(rate: u32) -> TokenBucket {
        let rate = f64::from(rate.max(1));
        TokenBucket { tokens: rate * 2.0, rate, last: Instant::now() }
    }

    fn refill(&mut self) {
        let now = Instant::now();
        self.tokens = (self.tokens + now.duration_since(self.last).as_secs_f64() * self.rate).min(self.rate * 2.0);
        self.last = now;
    }

    /// Takes `cost` tokens if there are that many (the message budget: refused otherwise).
    pub fn take(&mut self, cost: f64) -> bool {
        self.refill();
        if self.tokens >= cost {
            self.tokens -= cost;
            true
        } else {
            false
        }
    }

    /// Takes `cost` tokens, going into debt if need be (the work budget: the work was done).
    /// Returns how long until the bucket is out of debt: how long to stop reading the peer.
    pub fn charge(&mut self, cost: f64) -> Duration {
        self.refill();
        // A single huge charge cannot make the debt unbounded: at most 10 s of refill.
        self.tokens = (self.tokens - cost).max(-self.rate * 10.0);
        if self.tokens >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-self.tokens / self.rate)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_budget_allows_bursts_then_refuses() {
        let mut b = TokenBucket::new(10);
        let allowed = (0..100).filter(|_| b.take(1.0)).count();
        assert!((20..=21).contains(&allowed), "{allowed}");
    }

    #[test]
    fn the_work_budget_throttles_in_proportion_to_the_debt() {
        let mut b = TokenBucket::new(100);
        assert_eq!(b.charge(150.0), Duration::ZERO, "within the burst");
        let wait = b.charge(150.0);
        assert!(wait > Duration::from_millis(900) && wait <= Duration::from_millis(1000), "{wait:?}");
        let capped = b.charge(1e12);
        assert!(capped <= Duration::from_secs(10), "{capped:?}");
    }

    #[test]
    fn byte_costs_round_down_per_64_kib() {
        assert_eq!(cost_of_bytes(65_535), 0.0);
        assert_eq!(cost_of_bytes(1 << 20), 16.0);
    }
}
