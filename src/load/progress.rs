//! The live progress line (elapsed, achieved rate, p99 so far, errors) shown while a run goes.
//!
//! It is drawn only on a terminal and never under CI (`CI` set), where a redrawn line would only
//! clutter the log: DESIGN.md's rule for long runs.

use super::metrics::Live;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::time::Duration;

/// True when a progress line should be drawn: stderr is a terminal and `CI` is not set.
pub fn wanted() -> bool {
    std::env::var_os("CI").is_none() && std::io::stderr().is_terminal()
}

/// A progress line, or nothing when it is not wanted.
pub struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    /// A line counting up to `scheduled` operations; hidden unless `enabled` and `wanted()`.
    pub fn new(enabled: bool, scheduled: u64) -> Progress {
        if !enabled || !wanted() {
            return Progress { bar: None };
        }
        let bar = ProgressBar::with_draw_target(Some(scheduled), ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
        bar.set_style(style);
        Progress { bar: Some(bar) }
    }

    /// Redraws with the figures at `elapsed`.
    pub fn update(&self, elapsed: Duration, live: Live) {
        if let Some(bar) = &self.bar {
            let rate = live.completed as f64 / elapsed.as_secs_f64().max(1e-3);
            bar.set_position(live.completed);
            bar.set_message(format!(
                "{rate:.0}/s  p99 {:.2} ms  errors {}",
                live.p99_us as f64 / 1000.0,
                live.errors
            ));
        }
    }

    /// Removes the line.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
