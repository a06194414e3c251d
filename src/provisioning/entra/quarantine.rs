//! Escrows, quarantine and notification emails (E-RT-01, E-Q-01, E-Q-02, E-Q-03).
//!
//! Defaults for facts the provider does not publish (all configurable in [`Policy`]):
//! - An escrow is retried 1, 2, 4, then every 8 cycles after each failure ("gradually less
//!   frequency").
//! - A cycle in which every call failed is a *failed cycle*; 3 failed cycles in a row mean the
//!   calls "consistently fail" and quarantine the job, whatever the counts.
//! - The accidental-deletion guard's threshold is 500 disables + deletes per cycle.

use crate::provisioning::logs::ObjectKind;
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use std::collections::BTreeMap;

/// Thresholds and schedules.
#[derive(Debug, Clone)]
pub struct Policy {
    /// E-Q-01: escrow thresholds are evaluated from this many failures on.
    pub evaluate_after_failures: u64,
    /// E-Q-01: quarantine above this share of failed events.
    pub failed_share: f64,
    /// E-Q-01: or above this many failures (reference failures excluded from both).
    pub max_failures: u64,
    /// E-Q-01: quarantine at this many failures of any kind.
    pub max_failures_any: u64,
    /// Failed cycles in a row that quarantine (unpublished: 3).
    pub failed_cycles: u32,
    /// E-Q-03: disables + deletes in one cycle above this are staged (unpublished: 500).
    pub deletion_threshold: usize,
    /// E-Q-02: quarantine lasting this long disables the job.
    pub disable_after: Duration,
    /// Longest gap between escrow retries, in cycles (unpublished: 8).
    pub max_escrow_gap: u32,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            evaluate_after_failures: 5_000,
            failed_share: 0.40,
            max_failures: 40_000,
            max_failures_any: 60_000,
            failed_cycles: 3,
            deletion_threshold: 500,
            disable_after: Duration::days(28),
            max_escrow_gap: 8,
        }
    }
}

/// Why the job is in quarantine.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum QuarantineReason {
    /// 401/403: the credentials are not accepted.
    CredentialFailure { status: u16 },
    /// The target breaks the protocol the provider relies on (e.g. 404 on a filter query).
    ComplianceFailure { detail: String },
    /// E-Q-01 escrow thresholds: which one, and the counts it judged.
    EscrowThreshold {
        threshold: EscrowThreshold,
        failures: u64,
        events: u64,
    },
    /// Every call failed for several cycles in a row.
    ConsistentFailure { cycles: u32 },
    /// E-Q-03: too many disables + deletes staged for the admin.
    AccidentalDeletions { count: usize, threshold: usize },
}

/// Which E-Q-01 threshold was crossed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum EscrowThreshold {
    /// 60,000 failures of any kind, reference failures included.
    Total,
    /// More than 40,000 failures, reference failures left out.
    Base,
    /// More than 40 % of the events failed (from 5,000 failures on).
    Proportion,
}

impl QuarantineReason {
    /// Graph's `synchronizationQuarantine.reason` (`quarantineReason`). Microsoft does not
    /// define the base and total escrow thresholds apart; this reads "total" as failures of
    /// any kind and "base" as object failures without the references. Credential and
    /// compliance failures are exceptions the service raises (`error` says which).
    pub fn code(&self) -> &'static str {
        match self {
            QuarantineReason::CredentialFailure { .. }
            | QuarantineReason::ComplianceFailure { .. } => "EncounteredQuarantineException",
            QuarantineReason::EscrowThreshold { threshold, .. } => match threshold {
                EscrowThreshold::Total => "EncounteredTotalEscrowThreshold",
                EscrowThreshold::Base => "EncounteredBaseEscrowThreshold",
                EscrowThreshold::Proportion => "EncounteredEscrowProportionThreshold",
            },
            // "Most or all calls consistently fail": the failed share is the whole cycle.
            QuarantineReason::ConsistentFailure { .. } => "EncounteredEscrowProportionThreshold",
            QuarantineReason::AccidentalDeletions { .. } => "TooManyDeletes",
        }
    }

    /// What Graph's `synchronizationQuarantine.error` says, in words.
    pub fn message(&self) -> String {
        match self {
            QuarantineReason::CredentialFailure { status } => {
                format!("the target refused the credentials ({status})")
            }
            QuarantineReason::ComplianceFailure { detail } => detail.clone(),
            QuarantineReason::EscrowThreshold {
                failures, events, ..
            } => format!("{failures} failures in {events} events"),
            QuarantineReason::ConsistentFailure { cycles } => {
                format!("every call failed in {cycles} cycles in a row")
            }
            QuarantineReason::AccidentalDeletions { count, threshold } => format!(
                "{count} disables and deletes in one cycle, above the threshold of {threshold}"
            ),
        }
    }

    /// A short name, as the portal shows it.
    pub fn label(&self) -> &'static str {
        match self {
            QuarantineReason::CredentialFailure { .. } => "credential failure",
            QuarantineReason::ComplianceFailure { .. } => "compliance failure",
            QuarantineReason::EscrowThreshold { .. } => "escrow threshold",
            QuarantineReason::ConsistentFailure { .. } => "calls consistently fail",
            QuarantineReason::AccidentalDeletions { .. } => "accidental deletions",
        }
    }
    /// The same kind of reason (an email is sent when the kind changes).
    pub fn same_kind(&self, other: &QuarantineReason) -> bool {
        std::mem::discriminant(self) == std::mem::discriminant(other)
    }
}

/// The quarantine state.
#[derive(Debug, Clone, Serialize)]
pub struct Quarantine {
    pub reason: QuarantineReason,
    /// The first failure: the retry schedule counts from here (Graph's `seriesBegan`).
    pub since: DateTime<Utc>,
    /// When the quarantine was last evaluated and imposed (Graph's `currentBegan`).
    pub current: DateTime<Utc>,
    /// Retries made so far under quarantine.
    pub retries: u32,
}

impl Quarantine {
    /// E-Q-02: 6 h, 12 h and 24 h after the first failure, then daily.
    pub fn next_attempt(&self) -> DateTime<Utc> {
        let hours = match self.retries {
            0 => 6,
            1 => 12,
            n => 24 * (n as i64 - 1),
        };
        self.since + Duration::hours(hours)
    }
}

/// An object whose last attempt failed and that is retried in later cycles.
#[derive(Debug, Clone, Serialize)]
pub struct Escrow {
    pub kind: ObjectKind,
    pub source_id: String,
    /// Failures so far.
    pub attempts: u32,
    /// The cycle number of the next retry.
    pub next_cycle: u32,
    pub reason: String,
    pub status: Option<u16>,
    /// Only the references (memberships) of a group failed.
    pub references: bool,
}

/// Escrowed objects by (kind, source id, references).
#[derive(Debug, Clone, Default)]
pub struct Escrows {
    pub items: BTreeMap<(ObjectKind, String, bool), Escrow>,
}

impl Escrows {
    /// Records a failure in `cycle`; the next retry comes 1, 2, 4, ... cycles later.
    #[allow(clippy::too_many_arguments)]
    pub fn fail(
        &mut self,
        kind: ObjectKind,
        source_id: &str,
        references: bool,
        cycle: u32,
        reason: String,
        status: Option<u16>,
        max_gap: u32,
    ) {
        let e = self
            .items
            .entry((kind, source_id.to_string(), references))
            .or_insert(Escrow {
                kind,
                source_id: source_id.to_string(),
                attempts: 0,
                next_cycle: cycle,
                reason: String::new(),
                status: None,
                references,
            });
        e.attempts += 1;
        let gap = 1u32
            .checked_shl(e.attempts.saturating_sub(1))
            .unwrap_or(u32::MAX)
            .min(max_gap.max(1));
        e.next_cycle = cycle + gap;
        e.reason = reason;
        e.status = status;
    }

    /// Clears an object's escrow after a success.
    pub fn succeed(&mut self, kind: ObjectKind, source_id: &str, references: bool) {
        self.items
            .remove(&(kind, source_id.to_string(), references));
    }

    /// Escrows due in `cycle`.
    pub fn due(&self, cycle: u32) -> Vec<Escrow> {
        self.items
            .values()
            .filter(|e| e.next_cycle <= cycle)
            .cloned()
            .collect()
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

/// Failure counters for the E-Q-01 thresholds, since the job started or last left quarantine.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Counters {
    pub events: u64,
    pub failures: u64,
    pub reference_events: u64,
    pub reference_failures: u64,
}

impl Counters {
    /// The E-Q-01 verdict, if the counters call for quarantine.
    pub fn verdict(&self, p: &Policy) -> Option<QuarantineReason> {
        let any = self.failures + self.reference_failures;
        if any >= p.max_failures_any {
            return Some(QuarantineReason::EscrowThreshold {
                threshold: EscrowThreshold::Total,
                failures: any,
                events: self.events + self.reference_events,
            });
        }
        if any < p.evaluate_after_failures {
            return None;
        }
        let share = if self.events == 0 {
            0.0
        } else {
            self.failures as f64 / self.events as f64
        };
        let threshold = if self.failures > p.max_failures {
            EscrowThreshold::Base
        } else if share > p.failed_share {
            EscrowThreshold::Proportion
        } else {
            return None;
        };
        Some(QuarantineReason::EscrowThreshold {
            threshold,
            failures: self.failures,
            events: self.events,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_is_6_12_24_then_daily() {
        let t0 = DateTime::<Utc>::default();
        let mut q = Quarantine {
            reason: QuarantineReason::ConsistentFailure { cycles: 3 },
            since: t0,
            current: t0,
            retries: 0,
        };
        let mut got = Vec::new();
        for _ in 0..5 {
            got.push((q.next_attempt() - t0).num_hours());
            q.retries += 1;
        }
        assert_eq!(got, vec![6, 12, 24, 48, 72]);
    }

    #[test]
    fn escrows_back_off() {
        let mut e = Escrows::default();
        let mut cycle = 1;
        let mut gaps = Vec::new();
        for _ in 0..6 {
            e.fail(
                ObjectKind::User,
                "u",
                false,
                cycle,
                "500".into(),
                Some(500),
                8,
            );
            let next = e.due(u32::MAX)[0].next_cycle;
            gaps.push(next - cycle);
            cycle = next;
        }
        assert_eq!(gaps, vec![1, 2, 4, 8, 8, 8]);
        e.succeed(ObjectKind::User, "u", false);
        assert!(e.is_empty());
    }

    #[test]
    fn thresholds() {
        let p = Policy::default();
        let c = |events, failures, rf| Counters {
            events,
            failures,
            reference_events: rf,
            reference_failures: rf,
        };
        assert!(c(100, 90, 0).verdict(&p).is_none(), "under 5,000 failures");
        assert!(c(20_000, 8_200, 0).verdict(&p).is_some(), "41 %");
        assert!(c(20_000, 6_000, 0).verdict(&p).is_none(), "30 %");
        assert!(c(200_000, 41_000, 0).verdict(&p).is_some(), "over 40,000");
        assert!(
            c(1_000_000, 0, 60_000).verdict(&p).is_some(),
            "60,000 of any kind"
        );
        assert!(
            c(100_000, 1_000, 30_000).verdict(&p).is_none(),
            "references excluded"
        );
    }
}
