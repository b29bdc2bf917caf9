//! Time-sortable message ids: `(ms since 2024-01-01) << 12 | sequence`.
//!
//! 41 bits of milliseconds (69 years) and 12 bits of sequence stay below 2^53, so JavaScript
//! reads them exactly. The in-memory generator serves SQLite, where one process owns the file
//! (PostgreSQL takes ids from a counter row inside each transaction: see
//! [`Storage::take_ids`](super::Storage::take_ids)). It is monotonic even if the clock steps
//! back, and is seeded from the largest stored id so a restart never reuses or reorders ids.

use std::sync::atomic::{AtomicI64, Ordering};

/// 2024-01-01T00:00:00Z in Unix milliseconds.
pub const EPOCH_MS: i64 = 1_704_067_200_000;
const SEQ_BITS: u32 = 12;

#[derive(Debug, Default)]
pub struct IdGenerator {
    last: AtomicI64,
}

impl IdGenerator {
    /// Raises the floor (e.g. to the largest id already stored).
    pub fn observe(&self, id: i64) {
        self.last.fetch_max(id, Ordering::Relaxed);
    }

    /// Takes `n` consecutive ids for messages created at `now_ms`; returns the first.
    pub fn next_block(&self, now_ms: i64, n: i64) -> i64 {
        let floor = Self::floor(now_ms);
        let prev = self
            .last
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |prev| Some((prev + 1).max(floor) + n - 1))
            .unwrap_or_else(|p| p);
        (prev + 1).max(floor)
    }

    /// The smallest id of the millisecond `now_ms`.
    pub fn floor(now_ms: i64) -> i64 {
        (now_ms - EPOCH_MS).max(0) << SEQ_BITS
    }

    /// The Unix time in milliseconds encoded in an id.
    pub fn millis_of(id: i64) -> i64 {
        (id >> SEQ_BITS) + EPOCH_MS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_monotonic_and_time_sortable() {
        let g = IdGenerator::default();
        let t = EPOCH_MS + 1_000;
        let a = g.next_block(t, 1);
        let b = g.next_block(t, 1);
        let c = g.next_block(t - 500, 1); // clock stepped back
        let d = g.next_block(t + 1, 1);
        assert!(a < b && b < c && c < d);
        assert_eq!(IdGenerator::millis_of(a), t);
        assert_eq!(IdGenerator::millis_of(d), t + 1);
    }

    #[test]
    fn blocks_are_consecutive_and_never_overlap() {
        let g = IdGenerator::default();
        let t = EPOCH_MS + 5_000;
        let a = g.next_block(t, 3);
        let b = g.next_block(t, 2);
        assert_eq!(a, IdGenerator::floor(t));
        assert_eq!(b, a + 3);
        assert_eq!(g.next_block(t, 1), b + 2);
    }

    #[test]
    fn ids_stay_javascript_safe_for_decades() {
        let g = IdGenerator::default();
        let in_60_years = EPOCH_MS + 60 * 365 * 24 * 3600 * 1000;
        assert!(g.next_block(in_60_years, 1) < (1_i64 << 53));
    }

    #[test]
    fn seeding_keeps_order_across_restarts() {
        let g = IdGenerator::default();
        g.observe(i64::from(u32::MAX) << 12);
        assert!(g.next_block(EPOCH_MS, 1) > i64::from(u32::MAX) << 12);
    }
}
