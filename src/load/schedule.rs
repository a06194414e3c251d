//! The arrival schedule of an open-loop run: when operation `k` is *meant* to be sent.
//!
//! The schedule is a pure function of the rate profile and `k`, computed in closed form rather
//! than by a timer loop. That is what makes sharding exact without any coordination: shard `i`
//! of `N` takes the operations `k` with `k % N == i`, and the union of every shard's operations is
//! precisely the single-process schedule, each at the same intended offset.

use std::time::Duration;

/// Why a rate profile or shard specification was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ScheduleError {
    #[error("rate must be a positive, finite number of operations per second, got {0}")]
    BadRate(f64),
    #[error(
        "bad rate '{0}': expected operations per second (2000), or a count per unit as vegeta and k6 write it: 2000/s, 120000/m, 50/100ms"
    )]
    BadRateText(String),
    #[error("bad ramp '{0}': expected FROM:TO rates, e.g. 100:5000 or 6000/m:300000/m")]
    BadRamp(String),
    #[error("bad steps '{0}': expected RATE@DURATION,... e.g. 100@10s,500/s@10s,60000/m@20s")]
    BadSteps(String),
    #[error("bad shard '{0}': expected i/N with 0 <= i < N, e.g. 3/16")]
    BadShard(String),
    #[error("bad duration '{0}': expected e.g. 30s, 2m, 1500ms or a plain number of seconds")]
    BadDuration(String),
}

/// How the target rate changes over the run.
#[derive(Debug, Clone, PartialEq)]
pub enum RateProfile {
    /// The same rate for the whole run.
    Constant { per_second: f64 },
    /// A linear ramp from `from` to `to` over `over`, then `to` for the rest of the run.
    Ramp { from: f64, to: f64, over: Duration },
    /// Consecutive segments of constant rate; after the last, its rate continues.
    Steps(Vec<(f64, Duration)>),
}

impl RateProfile {
    /// The target rate at `t` seconds into the run (for plots and the report).
    pub fn rate_at(&self, t: f64) -> f64 {
        match self {
            RateProfile::Constant { per_second } => *per_second,
            RateProfile::Ramp { from, to, over } => {
                let d = over.as_secs_f64();
                if d <= 0.0 || t >= d {
                    *to
                } else {
                    from + (to - from) * t / d
                }
            }
            RateProfile::Steps(steps) => {
                let mut start = 0.0;
                for (rate, len) in steps {
                    start += len.as_secs_f64();
                    if t < start {
                        return *rate;
                    }
                }
                steps.last().map(|s| s.0).unwrap_or(0.0)
            }
        }
    }

    /// Operations due in `[0, t)`: the integral of the rate.
    pub fn cumulative(&self, t: f64) -> f64 {
        match self {
            RateProfile::Constant { per_second } => per_second * t,
            RateProfile::Ramp { from, to, over } => {
                let d = over.as_secs_f64();
                if d <= 0.0 {
                    return to * t;
                }
                let tr = t.min(d);
                let ramp = from * tr + (to - from) * tr * tr / (2.0 * d);
                ramp + to * (t - tr).max(0.0)
            }
            RateProfile::Steps(steps) => {
                let (mut acc, mut start) = (0.0, 0.0);
                for (rate, len) in steps {
                    let l = len.as_secs_f64();
                    if t < start + l {
                        return acc + rate * (t - start);
                    }
                    acc += rate * l;
                    start += l;
                }
                acc + steps.last().map(|s| s.0).unwrap_or(0.0) * (t - start).max(0.0)
            }
        }
    }

    /// The intended offset of operation `k` from the start: the `t` where `cumulative(t) == k`.
    pub fn offset_of(&self, k: u64) -> f64 {
        if k == 0 {
            return 0.0;
        }
        let k = k as f64;
        match self {
            RateProfile::Constant { per_second } => k / per_second,
            RateProfile::Ramp { from, to, over } => {
                let d = over.as_secs_f64();
                let ramp_total = (from + to) * d / 2.0;
                if d <= 0.0 {
                    return k / to;
                }
                if k >= ramp_total {
                    return d + (k - ramp_total) / to;
                }
                let s = (to - from) / d;
                if s.abs() < 1e-12 {
                    k / from
                } else {
                    // from*t + s*t^2/2 = k, the positive root, written to stay exact when from = 0.
                    2.0 * k / (from + (from * from + 2.0 * s * k).sqrt())
                }
            }
            RateProfile::Steps(steps) => {
                let (mut acc, mut start) = (0.0, 0.0);
                for (rate, len) in steps {
                    let l = len.as_secs_f64();
                    if k < acc + rate * l {
                        return start + (k - acc) / rate;
                    }
                    acc += rate * l;
                    start += l;
                }
                let last = steps.last().map(|s| s.0).unwrap_or(1.0);
                start + (k - acc) / last
            }
        }
    }

    /// A short human description for summaries.
    pub fn describe(&self) -> String {
        match self {
            RateProfile::Constant { per_second } => format!("constant {per_second}/s"),
            RateProfile::Ramp { from, to, over } => {
                format!("ramp {from}/s -> {to}/s over {:.0} s", over.as_secs_f64())
            }
            RateProfile::Steps(s) => {
                let parts: Vec<String> = s
                    .iter()
                    .map(|(r, d)| format!("{r}/s for {:.0} s", d.as_secs_f64()))
                    .collect();
                format!("steps {}", parts.join(", "))
            }
        }
    }

    fn check(&self) -> Result<(), ScheduleError> {
        let ok = |r: f64| r.is_finite() && r >= 0.0;
        match self {
            RateProfile::Constant { per_second } if !ok(*per_second) || *per_second <= 0.0 => {
                Err(ScheduleError::BadRate(*per_second))
            }
            RateProfile::Ramp { from, to, .. } if !ok(*from) || !ok(*to) || *to <= 0.0 => {
                Err(ScheduleError::BadRate(*to))
            }
            RateProfile::Steps(s)
                if s.is_empty() || s.iter().any(|(r, _)| !ok(*r) || *r <= 0.0) =>
            {
                Err(ScheduleError::BadSteps(format!("{s:?}")))
            }
            _ => Ok(()),
        }
    }

    /// `--ramp FROM:TO` over `over`.
    pub fn parse_ramp(s: &str, over: Duration) -> Result<RateProfile, ScheduleError> {
        let bad = || ScheduleError::BadRamp(s.to_string());
        let (a, b) = s.split_once(':').ok_or_else(bad)?;
        let from = parse_rate(a).map_err(|_| bad())?;
        let to = parse_rate(b).map_err(|_| bad())?;
        let p = RateProfile::Ramp { from, to, over };
        p.check().map_err(|_| bad())?;
        Ok(p)
    }

    /// `--steps RATE@DURATION,...`.
    pub fn parse_steps(s: &str) -> Result<RateProfile, ScheduleError> {
        let bad = || ScheduleError::BadSteps(s.to_string());
        let mut steps = Vec::new();
        for part in s.split(',').filter(|p| !p.trim().is_empty()) {
            let (r, d) = part.split_once('@').ok_or_else(bad)?;
            let rate = parse_rate(r).map_err(|_| bad())?;
            let dur = parse_duration(d).map_err(|_| bad())?;
            steps.push((rate, dur));
        }
        let p = RateProfile::Steps(steps);
        p.check().map_err(|_| bad())?;
        Ok(p)
    }

    /// A constant rate.
    pub fn constant(per_second: f64) -> Result<RateProfile, ScheduleError> {
        let p = RateProfile::Constant { per_second };
        p.check()?;
        Ok(p)
    }
}

/// A rate in operations per second: `2000`, or a count per unit as vegeta (`50/1s`) and k6
/// (`rate` per `timeUnit`) users write it: `2000/s`, `120000/m`, `7200000/h`, `50/100ms`.
pub fn parse_rate(s: &str) -> Result<f64, ScheduleError> {
    let bad = || ScheduleError::BadRateText(s.to_string());
    let (count, per) = match s.trim().split_once('/') {
        Some((c, u)) => (c, u.trim()),
        None => (s.trim(), "s"),
    };
    let count: f64 = count.trim().parse().map_err(|_| bad())?;
    // A bare unit means one of it: "/m" is "/1m".
    let per = if per.starts_with(|c: char| c.is_ascii_alphabetic()) {
        format!("1{per}")
    } else {
        per.to_string()
    };
    let secs = parse_duration(&per).map_err(|_| bad())?.as_secs_f64();
    let rate = count / secs;
    if !rate.is_finite() || rate <= 0.0 || secs == 0.0 {
        return Err(bad());
    }
    Ok(rate)
}

/// `30s`, `2m`, `1500ms`, `1h` or plain seconds (`2.5`).
pub fn parse_duration(s: &str) -> Result<Duration, ScheduleError> {
    let t = s.trim();
    let bad = || ScheduleError::BadDuration(s.to_string());
    let (num, unit) = match t.find(|c: char| c.is_ascii_alphabetic()) {
        Some(i) => t.split_at(i),
        None => (t, "s"),
    };
    let v: f64 = num.trim().parse().map_err(|_| bad())?;
    let secs = match unit {
        "ms" => v / 1000.0,
        "s" => v,
        "m" => v * 60.0,
        "h" => v * 3600.0,
        _ => return Err(bad()),
    };
    if !secs.is_finite() || !(0.0..=7.0 * 86_400.0).contains(&secs) {
        return Err(bad());
    }
    Ok(Duration::from_secs_f64(secs))
}

/// Which slice of the schedule this process runs: operations `k` with `k % count == index`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl Shard {
    /// The whole schedule.
    pub const ALL: Shard = Shard { index: 0, count: 1 };

    /// `i/N`.
    pub fn parse(s: &str) -> Result<Shard, ScheduleError> {
        let bad = || ScheduleError::BadShard(s.to_string());
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let index: u64 = i.trim().parse().map_err(|_| bad())?;
        let count: u64 = n.trim().parse().map_err(|_| bad())?;
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }

    /// How many of `total` operations belong to this shard.
    pub fn len_of(&self, total: u64) -> u64 {
        if total <= self.index {
            0
        } else {
            (total - self.index).div_ceil(self.count)
        }
    }

    /// The global operation number of this shard's `j`-th operation.
    pub fn global(&self, j: u64) -> u64 {
        j * self.count + self.index
    }
}

/// The arrival schedule of one run: a profile bounded by a duration and a count.
#[derive(Debug, Clone)]
pub struct Schedule {
    pub profile: RateProfile,
    pub duration: Duration,
    /// Operations in the whole (unsharded) schedule: those due before `duration`, at most
    /// `max_ops`.
    pub total: u64,
    pub shard: Shard,
}

impl Schedule {
    /// The schedule of `profile` over `duration`, capped at `max_ops` operations in total.
    pub fn new(
        profile: RateProfile,
        duration: Duration,
        max_ops: Option<u64>,
        shard: Shard,
    ) -> Schedule {
        let due = profile.cumulative(duration.as_secs_f64()).ceil().max(0.0) as u64;
        let total = max_ops.map_or(due, |m| m.min(due));
        Schedule {
            profile,
            duration,
            total,
            shard,
        }
    }

    /// Operations this shard sends.
    pub fn local_len(&self) -> u64 {
        self.shard.len_of(self.total)
    }

    /// Intended offset from the start of the shard's `j`-th operation, and its global number.
    pub fn local(&self, j: u64) -> (u64, Duration) {
        let k = self.shard.global(j);
        (
            k,
            Duration::from_secs_f64(self.profile.offset_of(k).max(0.0)),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_invert_the_cumulative_count() {
        let profiles = [
            RateProfile::Constant { per_second: 250.0 },
            RateProfile::Ramp {
                from: 0.0,
                to: 1000.0,
                over: Duration::from_secs(10),
            },
            RateProfile::Ramp {
                from: 800.0,
                to: 100.0,
                over: Duration::from_secs(4),
            },
            RateProfile::Steps(vec![
                (100.0, Duration::from_secs(2)),
                (1000.0, Duration::from_secs(3)),
            ]),
        ];
        for p in profiles {
            for k in [0u64, 1, 7, 150, 999, 2500, 9000] {
                let t = p.offset_of(k);
                let back = p.cumulative(t);
                assert!(
                    (back - k as f64).abs() < 1e-6,
                    "{p:?} k={k} t={t} back={back}"
                );
            }
        }
    }

    #[test]
    fn shards_partition_the_schedule() {
        let p = RateProfile::Constant { per_second: 100.0 };
        let whole = Schedule::new(p.clone(), Duration::from_secs(3), Some(250), Shard::ALL);
        assert_eq!(whole.total, 250);
        let mut seen: Vec<u64> = (0..3)
            .flat_map(|i| {
                let s = Schedule::new(
                    p.clone(),
                    Duration::from_secs(3),
                    Some(250),
                    Shard { index: i, count: 3 },
                );
                (0..s.local_len()).map(move |j| s.local(j).0)
            })
            .collect();
        seen.sort_unstable();
        assert_eq!(seen, (0..250).collect::<Vec<_>>());
    }

    #[test]
    fn rates_take_the_units_vegeta_and_k6_users_write() {
        assert_eq!(parse_rate("2000"), Ok(2000.0));
        assert_eq!(parse_rate("2000/s"), Ok(2000.0));
        assert_eq!(parse_rate("120000/m"), Ok(2000.0));
        assert_eq!(parse_rate("7200000/h"), Ok(2000.0));
        assert_eq!(parse_rate("50/100ms"), Ok(500.0));
        assert_eq!(parse_rate(" 30 / 1m "), Ok(0.5));
        for bad in ["", "0/s", "-5/s", "fast", "10/0s", "10/fortnight", "10/"] {
            let e = parse_rate(bad).expect_err(bad);
            assert!(e.to_string().contains("120000/m"), "{e}");
        }
        assert_eq!(
            RateProfile::parse_ramp("6000/m:300000/m", Duration::from_secs(10)),
            Ok(RateProfile::Ramp {
                from: 100.0,
                to: 5000.0,
                over: Duration::from_secs(10)
            })
        );
        assert_eq!(
            RateProfile::parse_steps("60000/m@2s,500@3s"),
            Ok(RateProfile::Steps(vec![
                (1000.0, Duration::from_secs(2)),
                (500.0, Duration::from_secs(3))
            ]))
        );
    }

    #[test]
    fn parses_flags() {
        assert_eq!(parse_duration("1500ms"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("3"), Ok(Duration::from_secs(3)));
        assert!(parse_duration("x").is_err());
        assert_eq!(
            Shard::parse("3/16"),
            Ok(Shard {
                index: 3,
                count: 16
            })
        );
        assert!(Shard::parse("16/16").is_err());
        assert!(RateProfile::parse_steps("100@2s,500@3s").is_ok());
        assert!(RateProfile::parse_ramp("10:x", Duration::from_secs(1)).is_err());
    }
}
