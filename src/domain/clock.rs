//! Where "now" comes from. Operations never read the wall clock directly
//! (clippy's `disallowed-methods` enforces it); they get a [`Clock`] through
//! the operation context so tests and the `/_local/clock` control can move time.
//!
//! Two clocks exist at run time: the *wall* clock, used only for signature
//! timestamp windows (clients sign with real time), and the *virtual* clock,
//! which drives every timestamp the API returns and every deadline.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use super::time::Timestamp;

/// A source of the current instant.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current instant.
    fn now(&self) -> Timestamp;
}

/// The real wall clock: the one place that reads system time.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods, reason = "this is the one real clock implementation")]
    fn now(&self) -> Timestamp {
        Timestamp::from_millis(chrono::Utc::now().timestamp_millis())
    }
}

/// A clock that only moves when told to; for tests.
#[derive(Debug)]
pub struct ManualClock(AtomicI64);

impl ManualClock {
    /// A manual clock standing at `start`.
    #[must_use]
    pub fn new(start: Timestamp) -> Self {
        Self(AtomicI64::new(start.millis()))
    }

    /// Moves the clock to `to`.
    pub fn set(&self, to: Timestamp) {
        self.0.store(to.millis(), Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_millis(self.0.load(Ordering::SeqCst))
    }
}

/// The service's virtual clock: a base clock plus an offset that the control
/// plane can advance or set. Time keeps flowing at the base clock's rate, as
/// it does on the real service; tests that need it frozen use a
/// [`ManualClock`] as the base.
#[derive(Debug)]
pub struct VirtualClock {
    base: Arc<dyn Clock>,
    offset_ms: AtomicI64,
}

impl VirtualClock {
    /// A virtual clock over `base`, starting `offset_ms` ahead of it.
    #[must_use]
    pub fn new(base: Arc<dyn Clock>, offset_ms: i64) -> Self {
        Self { base, offset_ms: AtomicI64::new(offset_ms) }
    }

    /// The current offset from the base clock, in milliseconds.
    #[must_use]
    pub fn offset_ms(&self) -> i64 {
        self.offset_ms.load(Ordering::SeqCst)
    }

    /// Replaces the offset (after the store has recorded it).
    pub fn set_offset_ms(&self, offset_ms: i64) {
        self.offset_ms.store(offset_ms, Ordering::SeqCst);
    }

    /// The offset that would make the clock read `target` now.
    #[must_use]
    pub fn offset_for(&self, target: Timestamp) -> i64 {
        target.millis().saturating_sub(self.base.now().millis())
    }
}

impl Clock for VirtualClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_millis(self.base.now().millis().saturating_add(self.offset_ms()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn virtual_clock_follows_its_base_plus_offset() {
        let base = Arc::new(ManualClock::new(Timestamp::from_millis(1_000)));
        let clock = VirtualClock::new(base.clone(), 500);
        assert_eq!(clock.now().millis(), 1_500);
        base.set(Timestamp::from_millis(2_000));
        assert_eq!(clock.now().millis(), 2_500);
        clock.set_offset_ms(clock.offset_for(Timestamp::from_millis(10_000)));
        assert_eq!(clock.now().millis(), 10_000);
    }
}
