//! "Now", injectable so tests get deterministic timestamps, and the one way
//! Firn stores times in its tables (milliseconds, UTC).

use std::fmt::Debug;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, TimeDelta, Utc};
use datafusion::arrow::datatypes::{DataType, Field, TimeUnit};

/// The type of every timestamp column: milliseconds, UTC.
pub fn timestamp_type() -> DataType {
    DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into()))
}

/// A nullable timestamp column named `name`.
pub fn timestamp_field(name: &str) -> Field {
    Field::new(name, timestamp_type(), true)
}

/// A source of the current time.
pub trait Clock: Send + Sync + Debug {
    /// The current time.
    fn now(&self) -> DateTime<Utc>;
}

/// The system's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A deterministic clock: starts at a fixed instant and moves forward by a fixed
/// step on every reading, so successive events are strictly ordered.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use firnml::registry::{Clock, SteppingClock};
/// let start = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
/// let clock = SteppingClock::new(start, chrono::TimeDelta::seconds(1));
/// assert_eq!(clock.now(), start);
/// assert_eq!(clock.now(), start + chrono::TimeDelta::seconds(1));
/// ```
#[derive(Debug)]
pub struct SteppingClock {
    start: DateTime<Utc>,
    step_millis: i64,
    readings: AtomicI64,
}

impl SteppingClock {
    /// A clock reading `start`, then `start + step`, `start + 2 step`, ….
    pub fn new(start: DateTime<Utc>, step: TimeDelta) -> Self {
        Self {
            start,
            step_millis: step.num_milliseconds(),
            readings: AtomicI64::new(0),
        }
    }
}

impl Clock for SteppingClock {
    fn now(&self) -> DateTime<Utc> {
        let n = self.readings.fetch_add(1, Ordering::SeqCst);
        self.start
            .checked_add_signed(TimeDelta::milliseconds(n.saturating_mul(self.step_millis)))
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
    }
}
