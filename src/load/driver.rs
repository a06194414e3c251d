//! The open-loop driver: sends each operation at its *intended* time from the arrival schedule,
//! whatever happened to earlier ones, and measures latency from that intended time.
//!
//! A closed-loop tool (send, wait, send the next) slows down when the server does, so it sends
//! fewer requests exactly when they would have queued, and its percentiles hide the stall
//! ("coordinated omission"). Here the schedule never waits for responses. Concurrency is still
//! bounded: `connections` workers each take the next operation of the schedule, sleep until its
//! intended time if it is in the future, send it, and record it. When every worker is busy the
//! next operation starts late, and that lateness is part of its corrected latency, so queueing
//! shows instead of disappearing. The raw histogram (from the actual send) is kept alongside.
//!
//! The run is bounded twice: the schedule holds at most `max_ops` operations due before
//! `duration`, and a hard deadline (`duration + drain`) stops everything: operations not yet sent
//! then are counted as not sent, and operations still in flight are cut and counted as timeouts.
//!
//! Timer resolution: tokio timers tick in milliseconds, so an operation can start up to ~1 ms
//! after its intended time even on an idle machine. That shows in the `lag` percentiles and in
//! the corrected latency (never in the raw one).

use super::metrics::{Completed, Metrics, OpStatus, TransportFailure};
use super::schedule::Schedule;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// One kind of work the driver can schedule: operation `k` of the global schedule.
///
/// Implementations must bound their own waits (request timeouts, polling deadlines); the
/// driver's hard deadline is the last resort.
pub trait Operation: Send + Sync + 'static {
    /// Performs operation `k` (its number in the whole, unsharded schedule) on `lane`, the
    /// worker's own connection.
    fn run(&self, k: u64, lane: usize) -> impl Future<Output = Completed> + Send;
}

/// How the driver runs a schedule.
#[derive(Debug, Clone)]
pub struct DriverOptions {
    /// Workers, and so the most operations in flight at once.
    pub connections: usize,
    /// How long after the end of the schedule in-flight and late operations may still finish.
    pub drain: Duration,
    /// How often the progress callback and the interval closing run.
    pub tick: Duration,
}

impl Default for DriverOptions {
    fn default() -> Self {
        DriverOptions {
            connections: 64,
            drain: Duration::from_secs(5),
            tick: Duration::from_millis(250),
        }
    }
}

/// What the driver did, as opposed to what the target did (that is in `Metrics`).
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
pub struct DriveStats {
    /// Operations of this shard in the schedule.
    pub scheduled: u64,
    /// Operations started.
    pub sent: u64,
    /// Operations never started: the hard deadline came first (the target or the in-flight bound
    /// could not keep up).
    pub not_sent: u64,
    /// Operations in flight at the hard deadline, cut and counted as timeouts.
    pub cut: u64,
    /// From the schedule start to the last operation's end.
    pub elapsed_s: f64,
}

/// Runs `schedule` with `op`, recording into `metrics`, from `start` (the schedule's zero, also
/// the metrics' second 0). `on_tick(elapsed)` is called every `opts.tick` while it runs.
pub async fn drive<O: Operation>(
    op: Arc<O>,
    schedule: Arc<Schedule>,
    metrics: Arc<Metrics>,
    start: Instant,
    opts: &DriverOptions,
    mut on_tick: impl FnMut(Duration),
) -> DriveStats {
    let hard_deadline = start + schedule.duration + opts.drain;
    let next = Arc::new(AtomicU64::new(0));
    let sent = Arc::new(AtomicU64::new(0));
    let cut = Arc::new(AtomicU64::new(0));
    let workers = opts
        .connections
        .max(1)
        .min(schedule.local_len().max(1) as usize);
    let mut set = tokio::task::JoinSet::new();
    for lane in 0..workers {
        let w = Worker {
            lane,
            op: op.clone(),
            schedule: schedule.clone(),
            metrics: metrics.clone(),
            next: next.clone(),
            sent: sent.clone(),
            cut: cut.clone(),
            start,
            hard_deadline,
        };
        set.spawn(w.run());
    }
    let mut ticker = tokio::time::interval(opts.tick.max(Duration::from_millis(10)));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tokio::select! {
            joined = set.join_next() => {
                if joined.is_none() {
                    break;
                }
            }
            _ = ticker.tick() => {
                metrics.tick();
                on_tick(start.elapsed());
            }
        }
    }
    let sent = sent.load(Ordering::Relaxed);
    let scheduled = schedule.local_len();
    DriveStats {
        scheduled,
        sent,
        not_sent: scheduled.saturating_sub(sent),
        cut: cut.load(Ordering::Relaxed),
        elapsed_s: start.elapsed().as_secs_f64(),
    }
}

struct Worker<O> {
    lane: usize,
    op: Arc<O>,
    schedule: Arc<Schedule>,
    metrics: Arc<Metrics>,
    next: Arc<AtomicU64>,
    sent: Arc<AtomicU64>,
    cut: Arc<AtomicU64>,
    start: Instant,
    hard_deadline: Instant,
}

impl<O: Operation> Worker<O> {
    async fn run(self) {
        let len = self.schedule.local_len();
        loop {
            let j = self.next.fetch_add(1, Ordering::Relaxed);
            if j >= len {
                break;
            }
            let (k, offset) = self.schedule.local(j);
            let intended = self.start + offset;
            if intended > Instant::now() {
                tokio::time::sleep_until(intended.into()).await;
            }
            let actual = Instant::now();
            if actual >= self.hard_deadline {
                break;
            }
            self.sent.fetch_add(1, Ordering::Relaxed);
            let done =
                match tokio::time::timeout_at(self.hard_deadline.into(), self.op.run(k, self.lane))
                    .await
                {
                    Ok(done) => done,
                    Err(_) => {
                        self.cut.fetch_add(1, Ordering::Relaxed);
                        Completed::of(0, OpStatus::Transport(TransportFailure::Timeout))
                    }
                };
            self.metrics.record(intended, actual, done);
        }
    }
}
