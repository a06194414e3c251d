//! Entra's pace (E-CY-03): how many simulated minutes the provider spends per object, so the
//! simulated clock keeps Entra's time rather than the target's. Microsoft publishes 0.01 to
//! 0.08 minutes per object for an initial cycle (N = users + groups + memberships) and
//! "usually under 10 minutes" for an incremental cycle of fewer than 5,000 changes.
//!
//! The default is 0.03 minutes per object: the range spans a factor of 8, so its geometric
//! middle (√(0.01 × 0.08) ≈ 0.028) is the guess least wrong in ratio at either end, rounded.
//! An incremental cycle spends a fortieth of that per change: `high` (0.08 / 40 = 0.002) then
//! takes 10 minutes for 5,000 changes, the published bound, and the default 3.75.

use serde::Serialize;

/// The published bounds, minutes per object of an initial cycle.
pub const PUBLISHED_LOW: f64 = 0.01;
pub const PUBLISHED_HIGH: f64 = 0.08;
/// The default, minutes per object of an initial cycle.
pub const DEFAULT_MINUTES_PER_OBJECT: f64 = 0.03;
/// An incremental cycle's pace per change, as a share of the initial pace.
pub const INCREMENTAL_SHARE: f64 = 1.0 / 40.0;

/// Minutes per object of an initial cycle; 0 is `target` (only the target's time counts).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Pace {
    pub minutes_per_object: f64,
    /// How it was asked for: `default`, `low`, `high`, `target` or the number.
    pub name: &'static str,
}

impl Default for Pace {
    fn default() -> Self {
        Pace {
            minutes_per_object: DEFAULT_MINUTES_PER_OBJECT,
            name: "default",
        }
    }
}

impl Pace {
    /// Only the target's real time (and `Retry-After` waits) count.
    pub const TARGET: Pace = Pace {
        minutes_per_object: 0.0,
        name: "target",
    };

    /// `low`, `high`, `target`, `default` or minutes per object (0 to 10).
    pub fn parse(s: &str) -> Result<Pace, String> {
        let named = |m, name| {
            Ok(Pace {
                minutes_per_object: m,
                name,
            })
        };
        match s.trim().to_ascii_lowercase().as_str() {
            "low" => named(PUBLISHED_LOW, "low"),
            "high" => named(PUBLISHED_HIGH, "high"),
            "default" => Ok(Pace::default()),
            "target" => Ok(Pace::TARGET),
            other => match other.parse::<f64>() {
                Ok(m) if (0.0..=10.0).contains(&m) => named(m, "minutes per object"),
                _ => Err(format!(
                    "--pace '{s}': use low ({PUBLISHED_LOW}), high ({PUBLISHED_HIGH}), target, or minutes per object between 0 and 10, e.g. 0.05"
                )),
            },
        }
    }

    /// The simulated minutes `objects` take: the initial pace per object, or an incremental
    /// cycle's per change.
    pub fn minutes(&self, objects: usize, initial: bool) -> f64 {
        let per = if initial {
            self.minutes_per_object
        } else {
            self.minutes_per_object * INCREMENTAL_SHARE
        };
        per * objects as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_lies_inside_the_published_range_and_high_meets_the_incremental_bound() {
        let d = Pace::default();
        assert!((PUBLISHED_LOW..=PUBLISHED_HIGH).contains(&d.minutes_per_object));
        let high = Pace::parse("high").expect("high");
        assert!((high.minutes(5_000, false) - 10.0).abs() < 1e-9);
        assert!(d.minutes(4_999, false) < 10.0);
        assert_eq!(
            Pace::parse("target").expect("target").minutes(1_000, true),
            0.0
        );
    }

    #[test]
    fn a_bad_pace_names_the_choices() {
        for bad in ["fast", "-1", "11", ""] {
            let e = Pace::parse(bad).expect_err(bad);
            assert!(e.contains("low") && e.contains("target"), "{e}");
        }
        assert_eq!(Pace::parse("0.05").expect("n").minutes_per_object, 0.05);
    }
}
