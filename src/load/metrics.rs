//! What a load run measures: one pair of HdrHistograms per operation kind (corrected: from the
//! intended send time; raw: from the actual send), a per-second series (throughput, errors,
//! entitlements, p50/p99), errors by HTTP status and by transport failure, and HdrHistogram V2
//! interval logs in the standard format so shards on other machines can be merged exactly.
//!
//! Recording takes one short lock per completed operation. Closed one-second intervals are kept
//! only as compressed V2 histograms plus a few numbers, so an hour-long run stays small.

use hdrhistogram::Histogram;
use hdrhistogram::serialization::interval_log::{IntervalLogWriterBuilder, Tag};
use hdrhistogram::serialization::{Deserializer, Serializer, V2DeflateSerializer};
use parking_lot::Mutex;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

/// Three significant figures: 0.1 % value precision, HdrHistogram's usual setting.
pub const SIGNIFICANT_FIGURES: u8 = 3;
/// Latencies are recorded in microseconds, 1 µs to 1 h; longer ones saturate at 1 h.
pub const HIGHEST_US: u64 = 3_600_000_000;
/// The seed's only throughput figure (BEHAVIOUR S-US-04): 1000 entitlements every few
/// (taken as 3) minutes.
pub const BASELINE_ENTITLEMENTS_PER_MINUTE: f64 = 1000.0 / 3.0;
/// Interval-log tag suffix of the raw (from actual send) histograms; corrected ones carry the
/// bare kind name.
pub const RAW_SUFFIX: &str = ".raw";

/// A fixed-bounds histogram for recording (no resizing on the hot path).
pub fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, HIGHEST_US, SIGNIFICANT_FIGURES)
        .expect("constant histogram bounds are valid")
}

/// An auto-resizing histogram, the target of merges of histograms with unknown bounds.
pub fn merge_histogram() -> Histogram<u64> {
    Histogram::new(SIGNIFICANT_FIGURES).expect("constant precision is valid")
}

/// Index of an operation kind in the scenario's kind list.
pub type KindId = usize;

/// A transport-level failure: no usable HTTP answer came back. Each kind has its own row in
/// the error table, so a hostile target's failure mode is visible at a glance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum TransportFailure {
    /// Connection refused or not established.
    Connect,
    /// Connecting took longer than --connect-timeout.
    ConnectTimeout,
    /// The target's host name did not resolve.
    Dns,
    /// The TLS handshake failed (certificate, protocol).
    Tls,
    /// No response headers within --timeout, or the run's hard deadline cut it.
    Timeout,
    /// The headers came, the body did not finish within --timeout.
    BodyTimeout,
    /// The connection closed or reset while the body was read.
    Reset,
    /// The body passed --max-body: the rest is not read.
    TooLarge,
    /// What came back is not an HTTP response (garbage, oversized headers).
    Malformed,
    /// Anything else.
    Other,
}

impl TransportFailure {
    /// The error table's row.
    pub fn key(self) -> &'static str {
        match self {
            TransportFailure::Connect => "transport: connect",
            TransportFailure::ConnectTimeout => "transport: connect timeout",
            TransportFailure::Dns => "transport: DNS failure",
            TransportFailure::Tls => "transport: TLS failure",
            TransportFailure::Timeout => "transport: timeout",
            TransportFailure::BodyTimeout => "transport: timeout during the body",
            TransportFailure::Reset => "transport: reset mid-body",
            TransportFailure::TooLarge => "transport: body over --max-body",
            TransportFailure::Malformed => "transport: not an HTTP response",
            TransportFailure::Other => "transport: other",
        }
    }
}

/// How an operation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpStatus {
    /// Success, with the HTTP status of the operation's last response.
    Ok(u16),
    /// A non-success HTTP status.
    Http(u16),
    Transport(TransportFailure),
    /// The change was accepted but never became visible before the visibility timeout.
    NotVisible,
}

impl OpStatus {
    fn error_key(&self) -> Option<String> {
        match self {
            OpStatus::Ok(_) => None,
            OpStatus::Http(s) => Some(format!("HTTP {s}")),
            OpStatus::Transport(t) => Some(t.key().into()),
            OpStatus::NotVisible => Some("not visible before the timeout".into()),
        }
    }
}

/// What an operation reports back to the driver.
#[derive(Debug, Clone, Copy)]
pub struct Completed {
    pub kind: KindId,
    pub status: OpStatus,
    /// Entitlements this operation granted (and, for end-to-end, saw become visible).
    pub entitlements: u64,
    /// A second measurement of the same operation, from the same start, ending earlier (e.g. the
    /// PATCH response inside a change->visible operation).
    pub extra: Option<(KindId, Instant)>,
    /// When the operation finished; set by the driver if left `None`.
    pub end: Option<Instant>,
}

impl Completed {
    /// A finished operation of `kind` with `status`, nothing else to report.
    pub fn of(kind: KindId, status: OpStatus) -> Completed {
        Completed {
            kind,
            status,
            entitlements: 0,
            extra: None,
            end: None,
        }
    }
}

struct Pair {
    corrected: Histogram<u64>,
    raw: Histogram<u64>,
}

impl Pair {
    fn new() -> Pair {
        Pair {
            corrected: new_histogram(),
            raw: new_histogram(),
        }
    }
}

struct Interval {
    second: u64,
    per_kind: Vec<Pair>,
    completed: u64,
    errors: u64,
    entitlements: u64,
}

/// One closed interval of the log, compressed.
struct Logged {
    start_s: u64,
    duration: Duration,
    tag: String,
    v2: Vec<u8>,
}

struct State {
    current: Interval,
    totals: Vec<Pair>,
    /// Corrected latencies of every kind together, for the live p99 and the per-second p99.
    all: Histogram<u64>,
    interval_all: Histogram<u64>,
    /// Driver lag: actual send minus intended send. Large values mean the driver (or its
    /// in-flight bound) could not keep the schedule.
    lag: Histogram<u64>,
    seconds: Vec<SecondStats>,
    logged: Vec<Logged>,
    statuses: BTreeMap<u16, u64>,
    errors: BTreeMap<String, u64>,
    serializer: V2DeflateSerializer,
}

/// The per-second series point.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct SecondStats {
    pub second: u64,
    pub completed: u64,
    pub errors: u64,
    pub entitlements: u64,
    /// Corrected latency of every kind together; 0 when nothing succeeded in that second.
    pub p50_us: u64,
    pub p99_us: u64,
}

/// Percentiles of one histogram, in microseconds.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Percentiles {
    pub count: u64,
    pub mean_us: f64,
    pub p50_us: u64,
    pub p90_us: u64,
    pub p95_us: u64,
    pub p99_us: u64,
    pub p999_us: u64,
    pub max_us: u64,
}

impl Percentiles {
    /// Reads the usual percentiles out of `h`.
    pub fn of(h: &Histogram<u64>) -> Percentiles {
        if h.is_empty() {
            return Percentiles::default();
        }
        Percentiles {
            count: h.len(),
            mean_us: h.mean(),
            p50_us: h.value_at_quantile(0.5),
            p90_us: h.value_at_quantile(0.9),
            p95_us: h.value_at_quantile(0.95),
            p99_us: h.value_at_quantile(0.99),
            p999_us: h.value_at_quantile(0.999),
            max_us: h.max(),
        }
    }
}

/// The latency distribution as (percentile, µs) points, dense in the tail, for plots.
pub fn percentile_curve(h: &Histogram<u64>) -> Vec<(f64, u64)> {
    if h.is_empty() {
        return Vec::new();
    }
    let mut pts: Vec<(f64, u64)> = (0..=50)
        .map(|i| {
            let q = 1.0 - 10f64.powf(-(i as f64) / 10.0);
            (q * 100.0, h.value_at_quantile(q))
        })
        .collect();
    pts.push((100.0, h.max()));
    pts
}

/// The results of one operation kind.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct KindSummary {
    pub name: String,
    /// From the intended send time: includes queueing in the driver and the server.
    pub corrected: Percentiles,
    /// From the actual send: what a closed-loop tool would report.
    pub raw: Percentiles,
    /// Corrected distribution points for the percentile plot.
    pub curve: Vec<(f64, u64)>,
}

/// Everything `Metrics` measured, ready for the report.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct MetricsSummary {
    pub kinds: Vec<KindSummary>,
    pub all: Percentiles,
    pub lag: Percentiles,
    pub seconds: Vec<SecondStats>,
    pub completed: u64,
    pub errors: u64,
    pub entitlements: u64,
    pub statuses: BTreeMap<u16, u64>,
    pub errors_by_cause: BTreeMap<String, u64>,
}

/// The shared recorder of one run.
pub struct Metrics {
    kinds: Vec<String>,
    start: Instant,
    wall_start: SystemTime,
    state: Mutex<State>,
    completed: AtomicU64,
    errors: AtomicU64,
    entitlements: AtomicU64,
}

/// A cheap live view for the progress line.
#[derive(Debug, Clone, Copy)]
pub struct Live {
    pub completed: u64,
    pub errors: u64,
    pub entitlements: u64,
    pub p99_us: u64,
}

impl Metrics {
    /// A recorder for `kinds` (names usable as interval-log tags: no spaces or commas) whose
    /// second 0 starts at `start`.
    pub fn new(kinds: &[&str], start: Instant) -> Metrics {
        let n = kinds.len();
        Metrics {
            kinds: kinds
                .iter()
                .map(|k| k.replace([' ', ',', '\r', '\n'], "_"))
                .collect(),
            start,
            wall_start: SystemTime::now(),
            state: Mutex::new(State {
                current: Interval {
                    second: 0,
                    per_kind: (0..n).map(|_| Pair::new()).collect(),
                    completed: 0,
                    errors: 0,
                    entitlements: 0,
                },
                totals: (0..n).map(|_| Pair::new()).collect(),
                all: new_histogram(),
                interval_all: new_histogram(),
                lag: new_histogram(),
                seconds: Vec::new(),
                logged: Vec::new(),
                statuses: BTreeMap::new(),
                errors: BTreeMap::new(),
                serializer: V2DeflateSerializer::new(),
            }),
            completed: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            entitlements: AtomicU64::new(0),
        }
    }

    /// The kind names, in `KindId` order.
    pub fn kinds(&self) -> &[String] {
        &self.kinds
    }

    /// Records one finished operation that was meant to start at `intended` and really started
    /// at `actual`.
    pub fn record(&self, intended: Instant, actual: Instant, done: Completed) {
        let end = done.end.unwrap_or_else(Instant::now);
        let us = |from: Instant, to: Instant| {
            (to.saturating_duration_since(from).as_micros() as u64).clamp(1, HIGHEST_US)
        };
        let ok = matches!(done.status, OpStatus::Ok(_));
        self.completed.fetch_add(1, Ordering::Relaxed);
        if ok {
            self.entitlements
                .fetch_add(done.entitlements, Ordering::Relaxed);
        } else {
            self.errors.fetch_add(1, Ordering::Relaxed);
        }
        let second = end.saturating_duration_since(self.start).as_secs();
        let mut st = self.state.lock();
        if second > st.current.second {
            self.roll_to(&mut st, second);
        }
        st.lag.saturating_record(us(intended, actual));
        st.current.completed += 1;
        match done.status {
            OpStatus::Ok(code) => {
                *st.statuses.entry(code).or_default() += 1;
                st.current.entitlements += done.entitlements;
                if let Some(p) = st.current.per_kind.get_mut(done.kind) {
                    p.corrected.saturating_record(us(intended, end));
                    p.raw.saturating_record(us(actual, end));
                }
                if let Some((kind, at)) = done.extra
                    && let Some(p) = st.current.per_kind.get_mut(kind)
                {
                    p.corrected.saturating_record(us(intended, at));
                    p.raw.saturating_record(us(actual, at));
                }
                st.interval_all.saturating_record(us(intended, end));
            }
            other => {
                st.current.errors += 1;
                if let OpStatus::Http(code) = other {
                    *st.statuses.entry(code).or_default() += 1;
                }
                if let Some(key) = other.error_key() {
                    *st.errors.entry(key).or_default() += 1;
                }
            }
        }
    }

    /// Closes intervals up to now, so quiet seconds appear in the series too.
    pub fn tick(&self) {
        let second = self.start.elapsed().as_secs();
        let mut st = self.state.lock();
        if second > st.current.second {
            self.roll_to(&mut st, second);
        }
    }

    /// Counters and the p99 of the closed intervals, for the progress line.
    pub fn live(&self) -> Live {
        let p99 = {
            let st = self.state.lock();
            if st.all.is_empty() {
                0
            } else {
                st.all.value_at_quantile(0.99)
            }
        };
        Live {
            completed: self.completed.load(Ordering::Relaxed),
            errors: self.errors.load(Ordering::Relaxed),
            entitlements: self.entitlements.load(Ordering::Relaxed),
            p99_us: p99,
        }
    }

    fn roll_to(&self, st: &mut State, second: u64) {
        while st.current.second < second {
            let s = st.current.second;
            self.close(st, Duration::from_secs(1));
            st.current.second = s + 1;
        }
    }

    fn close(&self, st: &mut State, duration: Duration) {
        let State {
            current,
            totals,
            all,
            interval_all,
            seconds,
            logged,
            serializer,
            ..
        } = st;
        for (i, pair) in current.per_kind.iter_mut().enumerate() {
            for (h, raw) in [(&mut pair.corrected, false), (&mut pair.raw, true)] {
                if h.is_empty() {
                    continue;
                }
                let mut v2 = Vec::new();
                if serializer.serialize(h, &mut v2).is_ok() {
                    let tag = if raw {
                        format!("{}{RAW_SUFFIX}", self.kinds[i])
                    } else {
                        self.kinds[i].clone()
                    };
                    logged.push(Logged {
                        start_s: current.second,
                        duration,
                        tag,
                        v2,
                    });
                }
                let total = if raw {
                    &mut totals[i].raw
                } else {
                    &mut totals[i].corrected
                };
                let _ = total.add(&*h);
                h.reset();
            }
        }
        let (p50, p99) = if interval_all.is_empty() {
            (0, 0)
        } else {
            (
                interval_all.value_at_quantile(0.5),
                interval_all.value_at_quantile(0.99),
            )
        };
        let _ = all.add(&*interval_all);
        interval_all.reset();
        seconds.push(SecondStats {
            second: current.second,
            completed: current.completed,
            errors: current.errors,
            entitlements: current.entitlements,
            p50_us: p50,
            p99_us: p99,
        });
        current.completed = 0;
        current.errors = 0;
        current.entitlements = 0;
    }

    /// Closes the last (partial) interval and summarises the run.
    pub fn finish(&self) -> MetricsSummary {
        let elapsed = self.start.elapsed();
        let mut st = self.state.lock();
        let second = elapsed.as_secs();
        if second > st.current.second {
            self.roll_to(&mut st, second);
        }
        let partial = elapsed.saturating_sub(Duration::from_secs(second));
        if partial > Duration::ZERO || st.current.completed > 0 {
            self.close(&mut st, partial.max(Duration::from_millis(1)));
            st.current.second += 1;
        }
        st.statuses.retain(|_, n| *n > 0);
        let kinds = self
            .kinds
            .iter()
            .zip(&st.totals)
            .map(|(name, p)| KindSummary {
                name: name.clone(),
                corrected: Percentiles::of(&p.corrected),
                raw: Percentiles::of(&p.raw),
                curve: percentile_curve(&p.corrected),
            })
            .collect();
        MetricsSummary {
            kinds,
            all: Percentiles::of(&st.all),
            lag: Percentiles::of(&st.lag),
            seconds: st.seconds.clone(),
            completed: self.completed.load(Ordering::Relaxed),
            errors: self.errors.load(Ordering::Relaxed),
            entitlements: self.entitlements.load(Ordering::Relaxed),
            statuses: st.statuses.clone(),
            errors_by_cause: st.errors.clone(),
        }
    }

    /// Writes the closed intervals as a standard HdrHistogram V2 interval log (values in µs,
    /// max column in ms). Call after `finish`.
    pub fn write_interval_log(
        &self,
        out: &mut impl std::io::Write,
        comment: &str,
    ) -> std::io::Result<()> {
        let st = self.state.lock();
        let mut serializer = V2DeflateSerializer::new();
        let mut builder = IntervalLogWriterBuilder::new();
        builder
            .add_comment(comment)
            .add_comment("values in microseconds; tags: <kind> = corrected (from the intended send time), <kind>.raw = from the actual send")
            .with_start_time(self.wall_start)
            .with_base_time(self.wall_start)
            .with_max_value_divisor(1000.0);
        let mut w = builder.begin_log_with(out, &mut serializer)?;
        let mut de = Deserializer::new();
        for l in &st.logged {
            let h: Histogram<u64> = de
                .deserialize(&mut l.v2.as_slice())
                .map_err(|e| std::io::Error::other(format!("{e:?}")))?;
            w.write_histogram(
                &h,
                Duration::from_secs(l.start_s),
                l.duration,
                Tag::new(&l.tag),
            )
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corrected_counts_from_the_intended_time() {
        let start = Instant::now();
        let m = Metrics::new(&["op"], start);
        let intended = start;
        let actual = start + Duration::from_millis(40);
        let end = start + Duration::from_millis(50);
        let mut done = Completed::of(0, OpStatus::Ok(200));
        done.end = Some(end);
        m.record(intended, actual, done);
        m.record(
            intended,
            actual,
            Completed {
                end: Some(end),
                ..Completed::of(0, OpStatus::Http(500))
            },
        );
        let s = m.finish();
        let k = &s.kinds[0];
        assert!(k.corrected.p99_us >= 49_000, "{k:?}");
        assert!(k.raw.p99_us <= 10_100, "{k:?}");
        assert_eq!(s.errors, 1);
        assert_eq!(s.statuses.get(&500), Some(&1));
        let mut log = Vec::new();
        m.write_interval_log(&mut log, "test").expect("log");
        let text = String::from_utf8(log).expect("utf8");
        assert!(text.contains("Tag=op,"), "{text}");
        assert!(text.contains("Tag=op.raw,"), "{text}");
    }
}
