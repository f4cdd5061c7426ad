//! When a failed delivery is tried again, and when Bino stops trying.
//!
//! The waits come from backon's exponential schedule: doubling from a base (30 s by
//! default) up to half an hour, each stretched by backon's jitter by a random factor
//! between 1 and 2, so no wait exceeds an hour and receivers that failed together are not
//! retried together. Retries go on until the retry window (24 hours by default) has passed
//! since the first attempt, whatever the number of attempts that took.

use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};

/// How long delivering an event is tried before it is recorded as failed.
pub const DEFAULT_RETRY_WINDOW: Duration = Duration::from_secs(24 * 3600);
/// The wait before the first retry, doubled for each next one.
pub const DEFAULT_RETRY_BASE: Duration = Duration::from_secs(30);
/// The longest wait before jitter; jitter at most doubles it.
const MAX_WAIT_BEFORE_JITTER: Duration = Duration::from_secs(30 * 60);

/// The retry policy of deliveries.
#[derive(Clone, Copy, Debug)]
pub struct RetrySchedule {
    /// The wait after the first failed attempt, before jitter.
    pub base: Duration,
    /// Retries stop once this long has passed since the first attempt.
    pub window: Duration,
}

impl Default for RetrySchedule {
    fn default() -> Self {
        RetrySchedule {
            base: DEFAULT_RETRY_BASE,
            window: DEFAULT_RETRY_WINDOW,
        }
    }
}

impl RetrySchedule {
    /// The wait after failed attempt number `failed` (1 for the first attempt), or `None`
    /// when `elapsed` since the first attempt has used up the window: the delivery failed.
    pub fn next_wait(&self, failed: usize, elapsed: Duration) -> Option<Duration> {
        if elapsed >= self.window {
            return None;
        }
        ExponentialBuilder::default()
            .with_min_delay(self.base)
            .with_max_delay(MAX_WAIT_BEFORE_JITTER.max(self.base))
            .with_factor(2.0)
            .without_max_times()
            .with_jitter()
            .build()
            .nth(failed.saturating_sub(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Plays a delivery that always fails: returns the attempt times since the first.
    fn attempts_until_failed(schedule: &RetrySchedule) -> Vec<Duration> {
        let mut at = vec![Duration::ZERO];
        while let Some(wait) = schedule.next_wait(at.len(), *at.last().unwrap()) {
            at.push(*at.last().unwrap() + wait);
            assert!(at.len() < 1_000, "the schedule never ends");
        }
        at
    }

    #[test]
    fn a_delivery_that_always_fails_is_tried_for_at_least_24_hours() {
        let schedule = RetrySchedule::default();

        let attempts = attempts_until_failed(&schedule);

        let last = *attempts.last().unwrap();
        assert!(last >= Duration::from_secs(24 * 3600), "{last:?}");
        assert!(last < Duration::from_secs(26 * 3600), "{last:?}");
        assert!((20..=80).contains(&attempts.len()), "{}", attempts.len());
    }

    #[test]
    fn waits_start_at_the_base_double_and_never_exceed_an_hour() {
        let schedule = RetrySchedule::default();
        let minimums = [30, 60, 120, 240, 480, 960, 1800, 1800, 1800];

        for (index, minimum) in minimums.into_iter().enumerate() {
            let wait = schedule.next_wait(index + 1, Duration::ZERO).unwrap();
            let minimum = Duration::from_secs(minimum);
            assert!(
                wait >= minimum && wait <= minimum * 2,
                "attempt {}: {wait:?}",
                index + 1
            );
            assert!(wait <= Duration::from_secs(3600));
        }
    }

    #[test]
    fn no_retry_once_the_window_has_passed() {
        let schedule = RetrySchedule {
            base: Duration::from_millis(50),
            window: Duration::from_secs(1),
        };

        assert!(schedule.next_wait(3, Duration::from_millis(999)).is_some());
        assert!(schedule.next_wait(3, Duration::from_secs(1)).is_none());
        assert!(
            schedule.next_wait(1, Duration::ZERO).unwrap() < Duration::from_millis(100),
            "a short base gives short waits"
        );
    }
}
