//! The sandbox clock: wall time that tests can move forward.
//!
//! Token expiry, the 10-day cancellation window, `createdAt` and the balance's date range all
//! read this clock, never the system clock directly, so a test can jump ten days ahead with
//! [`Sandbox::advance_clock`](crate::Sandbox::advance_clock) instead of sleeping. A frozen
//! clock ([`SandboxBuilder::frozen_clock`](crate::SandboxBuilder::frozen_clock)) moves only
//! then, so a test can stand exactly on a boundary such as the tenth day.
//!
//! ```
//! use std::time::Duration;
//! let clock = carbonext_sandbox::clock::SandboxClock::starting_at(None);
//! let before = clock.now();
//! clock.advance(Duration::from_secs(86_400));
//! assert!(clock.now() - before >= chrono::Duration::days(1));
//! ```

use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};

/// Start of the clock in deterministic mode: 2024-01-15T12:00:00Z.
pub fn deterministic_start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 1, 15, 12, 0, 0)
        .single()
        .expect("a valid fixed instant")
}

/// A clock that runs at wall-clock speed from a start instant (unless frozen), plus any time
/// added by [`SandboxClock::advance`].
#[derive(Debug)]
pub struct SandboxClock {
    start: DateTime<Utc>,
    /// `None` when frozen: only [`SandboxClock::advance`] moves the clock.
    started: Option<Instant>,
    offset: Mutex<Duration>,
}

impl SandboxClock {
    /// A clock starting at `start`, or at the current system time when `None`.
    pub fn starting_at(start: Option<DateTime<Utc>>) -> Self {
        Self {
            start: start.unwrap_or_else(Utc::now),
            started: Some(Instant::now()),
            offset: Mutex::new(Duration::ZERO),
        }
    }

    /// A clock standing still at `start` (or at the current system time when `None`) until
    /// [`SandboxClock::advance`] moves it.
    ///
    /// ```
    /// use std::time::Duration;
    /// let clock = carbonext_sandbox::clock::SandboxClock::frozen_at(None);
    /// let before = clock.now();
    /// assert_eq!(clock.now(), before);
    /// clock.advance(Duration::from_millis(1));
    /// assert_eq!(clock.now() - before, chrono::Duration::milliseconds(1));
    /// ```
    pub fn frozen_at(start: Option<DateTime<Utc>>) -> Self {
        Self {
            started: None,
            ..Self::starting_at(start)
        }
    }

    /// A clock restored from a state file (see [`crate::state_file`]): at `now` plus the
    /// time since, having been moved forward by `advanced` in all.
    pub fn restored(now: DateTime<Utc>, advanced: Duration) -> Self {
        let advanced_chrono = chrono::Duration::from_std(advanced).unwrap_or(chrono::Duration::MAX);
        Self {
            start: now.checked_sub_signed(advanced_chrono).unwrap_or(now),
            started: Some(Instant::now()),
            offset: Mutex::new(advanced),
        }
    }

    /// How far [`SandboxClock::advance`] has moved the clock in all.
    pub fn advanced(&self) -> Duration {
        *self.offset.lock().expect("clock lock")
    }

    /// The current sandbox time.
    pub fn now(&self) -> DateTime<Utc> {
        let offset = *self.offset.lock().expect("clock lock");
        let running = self
            .started
            .map_or(Duration::ZERO, |started| started.elapsed());
        let elapsed = running + offset;
        self.start + chrono::Duration::from_std(elapsed).unwrap_or(chrono::Duration::MAX)
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let mut offset = self.offset.lock().expect("clock lock");
        *offset = offset.saturating_add(by);
    }
}

/// `at` as the server writes timestamps: seven fractional digits and `Z`
/// (`2022-07-24T18:26:44.4176783Z`).
pub fn timestamp(at: DateTime<Utc>) -> carbonext_api::Timestamp {
    carbonext_api::Timestamp::from_utc(at)
}
