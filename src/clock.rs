//! Time as a dependency. The reference and the simulations read time only through `Clock`, so a
//! simulated day of 40-minute provisioning cycles or a 10-day verification deadline runs in
//! milliseconds with a `SimClock`, and nothing ever sleeps to wait for simulated time.

use chrono::{DateTime, TimeZone, Utc};
use std::sync::atomic::{AtomicI64, Ordering};

/// A source of the current time.
pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> DateTime<Utc>;
}

/// The wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that only moves when told to. Millisecond resolution.
#[derive(Debug)]
pub struct SimClock {
    millis: AtomicI64,
}

impl SimClock {
    /// Starts at the given instant.
    pub fn at(start: DateTime<Utc>) -> Self {
        SimClock {
            millis: AtomicI64::new(start.timestamp_millis()),
        }
    }

    /// Moves time forward (a negative duration is ignored: simulated time never runs back).
    pub fn advance(&self, by: chrono::Duration) {
        let ms = by.num_milliseconds().max(0);
        self.millis.fetch_add(ms, Ordering::SeqCst);
    }

    /// Moves time to `t` if it is later than now.
    pub fn advance_to(&self, t: DateTime<Utc>) {
        self.millis
            .fetch_max(t.timestamp_millis(), Ordering::SeqCst);
    }
}

impl Default for SimClock {
    /// 2026-01-01T00:00:00Z, a fixed start so reports are reproducible.
    fn default() -> Self {
        SimClock::at(
            Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
                .single()
                .unwrap_or_default(),
        )
    }
}

impl Clock for SimClock {
    fn now(&self) -> DateTime<Utc> {
        Utc.timestamp_millis_opt(self.millis.load(Ordering::SeqCst))
            .single()
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sim_clock_moves_only_forward_when_told() {
        let c = SimClock::default();
        let t0 = c.now();
        assert_eq!(c.now(), t0);
        c.advance(chrono::Duration::minutes(40));
        assert_eq!(c.now() - t0, chrono::Duration::minutes(40));
        c.advance(chrono::Duration::minutes(-5));
        assert_eq!(c.now() - t0, chrono::Duration::minutes(40));
        c.advance_to(t0);
        assert_eq!(c.now() - t0, chrono::Duration::minutes(40));
    }
}
