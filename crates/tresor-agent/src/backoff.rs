//! Exponential backoff with jitter, between a floor and a ceiling.

use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Backoff {
    min: Duration,
    max: Duration,
    current: Duration,
}

impl Backoff {
    pub fn new(min: Duration, max: Duration) -> Self {
        let min = min.max(Duration::from_millis(10));
        Self {
            min,
            max: max.max(min),
            current: min,
        }
    }

    /// The next wait: the current one with up to a quarter of jitter, then doubled.
    pub fn next(&mut self) -> Duration {
        let wait = self.current;
        self.current = (self.current * 2).min(self.max);
        let jitter = wait.mul_f64(0.25 * random_unit());
        wait.saturating_sub(jitter)
    }

    /// The wait before attempt `n + 1` after `n` failures in a row (`n` >= 1), without
    /// keeping a backoff between them.
    pub fn nth(mut self, n: u32) -> Duration {
        let doublings = n.saturating_sub(1).min(31);
        self.current = self.min.saturating_mul(1u32 << doublings).min(self.max);
        self.next()
    }

    pub fn reset(&mut self) {
        self.current = self.min;
    }
}

/// A number in [0, 1) from the OS's randomness (no state of our own).
fn random_unit() -> f64 {
    let mut b = [0u8; 4];
    match tresor_crypto::random::fill(&mut b) {
        Ok(()) => f64::from(u32::from_le_bytes(b)) / (f64::from(u32::MAX) + 1.0),
        Err(_) => 0.5,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_up_to_the_ceiling_and_resets() {
        let mut b = Backoff::new(Duration::from_millis(100), Duration::from_millis(700));
        let waits: Vec<u128> = (0..6).map(|_| b.next().as_millis()).collect();
        for (w, cap) in waits.iter().zip([100, 200, 400, 700, 700, 700]) {
            assert!(*w <= cap && *w >= cap * 3 / 4, "{waits:?}");
        }
        b.reset();
        assert!(b.next() <= Duration::from_millis(100));
        let fresh = || Backoff::new(Duration::from_millis(100), Duration::from_millis(700));
        for (n, cap) in [(1, 100), (2, 200), (3, 400), (4, 700), (40, 700)] {
            let w = fresh().nth(n).as_millis();
            assert!(w <= cap && w >= cap * 3 / 4, "nth({n}) = {w}");
        }
    }
}
