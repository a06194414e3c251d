//! The provisioning logs in Microsoft Graph's shape (E-LOG-02): one `provisioningObjectSummary`
//! per record, as `GET /auditLogs/provisioning` returns them, so a script written for Entra's
//! logs reads the simulator's. `--report DIR` writes them as JSON Lines.
//!
//! Error codes are only the ones Microsoft publishes in its table of provisioning-log errors
//! ("How to download and analyze the Microsoft Entra provisioning logs", Error codes); a
//! failure the table has no code for gets `errorCode: null` and says why in `reason`, rather
//! than a code Entra never emits.

use super::{Action, FailureClass, LogRecord, ObjectKind, Outcome, STAGED_REASON};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use std::io::Write as _;
use std::path::Path;

/// Where the records come from: one job, against one target.
#[derive(Debug, Clone)]
pub struct JobContext {
    /// `scim.<seed>`: Entra's job ids are `<template>.<tenant>.<id>`.
    pub job_id: String,
    pub seed: u64,
    /// The source system as Entra names it.
    pub source_system: String,
    pub target: String,
}

impl JobContext {
    pub fn new(seed: u64, source_system: &str, target: &str) -> JobContext {
        JobContext {
            job_id: format!("scim.{seed:016x}"),
            seed,
            source_system: source_system.into(),
            target: target.into(),
        }
    }
    /// A stable id for (what, a, b): the same seed gives the same ids.
    pub(crate) fn id(&self, what: u64, a: u64, b: u64) -> String {
        let hi = mix(self.seed ^ mix(what) ^ mix(a.rotate_left(17)));
        let lo = mix(hi ^ b);
        uuid::Builder::from_u128(((hi as u128) << 64) | lo as u128)
            .with_variant(uuid::Variant::RFC4122)
            .with_version(uuid::Version::Random)
            .into_uuid()
            .to_string()
    }
}

/// splitmix64's finaliser: spreads the bits of a counter.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Graph's `provisioningAction`.
pub fn provisioning_action(r: &LogRecord) -> &'static str {
    match r.action {
        Action::Create => "create",
        Action::Update | Action::Reactivate | Action::Members | Action::Manager => "update",
        Action::Disable => "disable",
        Action::Delete => "delete",
        Action::Skip if r.reason == STAGED_REASON => "stagedDelete",
        Action::Skip => "other",
    }
}

/// The published error code for a failure, if the table has one.
pub fn error_code(r: &LogRecord) -> Option<&'static str> {
    if r.result == Outcome::Skipped && r.reason.starts_with("not effectively entitled") {
        return Some("NotEffectivelyEntitled");
    }
    let class = r.failure?;
    let transport = r.answer.as_ref().is_some_and(|a| a.status.is_none());
    Some(match class {
        FailureClass::Conflict => "EntryConflict",
        FailureClass::Compliance => "SystemForCrossDomainIdentityManagementServiceIncompatible",
        FailureClass::Escrow if r.status == Some(429) => "TooManyRequests",
        FailureClass::Escrow if transport && r.reason.contains("timed out") => "Timeout",
        FailureClass::Escrow if r.status.is_some_and(|s| s >= 500) => "InternalServerError",
        FailureClass::Refused if r.reason.contains("duplicate target entries") => {
            "DuplicateTargetEntries"
        }
        _ => return None,
    })
}

fn recommended_action(class: FailureClass) -> &'static str {
    match class {
        FailureClass::Escrow => {
            "The provisioning service retries this object in later cycles (escrow). If it keeps \
             failing, check that the target is reachable and healthy."
        }
        FailureClass::Conflict => {
            "The target holds a conflicting object. Resolve the conflict in the target or fix the \
             matching attributes; the object is retried when it changes."
        }
        FailureClass::Credentials => {
            "The target refused the credentials. Check the secret token or the OAuth client; the \
             job is quarantined until the connection works."
        }
        FailureClass::Compliance => {
            "The target's answer does not follow the SCIM protocol as the provisioning service \
             uses it. Work with the application developer to make the SCIM endpoint compatible."
        }
        FailureClass::Refused => {
            "The target refused the request. Read its answer in additionalDetails, then fix the \
             attribute mappings or the target; the object is retried when it changes."
        }
    }
}

/// The target's answer, as Entra writes it into `additionalDetails`.
fn additional_details(r: &LogRecord) -> Option<String> {
    let a = r.answer.as_ref()?;
    let mut out = format!("{} {}", a.method, a.path);
    match a.status {
        Some(s) => out.push_str(&format!(" answered {s}")),
        None => out.push_str(" got no answer"),
    }
    if let Some(t) = &a.scim_type {
        out.push_str(&format!("; scimType: {t}"));
    }
    if let Some(d) = &a.detail {
        out.push_str(&format!("; detail: {d}"));
    }
    out.push_str(&format!("; body: {}", a.body));
    Some(out)
}

fn kind_name(k: ObjectKind) -> &'static str {
    match k {
        ObjectKind::User => "User",
        ObjectKind::Group => "Group",
    }
}

fn step(n: &str, kind: &str, status: &str, description: String) -> Value {
    json!({
        "name": n,
        "provisioningStepType": kind,
        "status": status,
        "description": description,
        "details": {},
    })
}

/// The steps Entra lists for a record, up to the one that failed or skipped it.
fn steps(r: &LogRecord, source: &str) -> Vec<Value> {
    let kind = kind_name(r.kind);
    let name = &r.name;
    let mut out = vec![step(
        "EntryImport",
        "import",
        "success",
        format!("Received {kind} '{name}' from {source}"),
    )];
    let failed = r.result == Outcome::Failure;
    let answer = r
        .answer
        .as_ref()
        .map(|a| a.answer_line())
        .unwrap_or_default();
    match r.action {
        Action::Skip => {
            let scoping = r.reason.contains("scope") || r.reason.contains("entitled");
            out.push(step(
                if scoping {
                    "EntrySynchronizationScoping"
                } else {
                    "EntrySynchronizationSkipped"
                },
                if scoping { "scoping" } else { "processing" },
                "skipped",
                r.reason.clone(),
            ));
        }
        Action::Members | Action::Manager => {
            let what = if r.action == Action::Members {
                "members"
            } else {
                "manager"
            };
            out.push(step(
                "EntryReferenceResolution",
                "referenceResolution",
                "success",
                format!("Resolved the {what} references of '{name}'"),
            ));
            out.push(export_step(r, failed, &answer));
        }
        _ => {
            out.push(step(
                "EntrySynchronizationScoping",
                "scoping",
                "success",
                format!("{kind} '{name}' is in scope"),
            ));
            let lookup_failed = failed && r.answer.as_ref().is_some_and(|a| a.method == "GET");
            let matched = match (r.action, lookup_failed) {
                (_, true) => (
                    "failure",
                    format!("Looking {name} up in the target failed: {answer}"),
                ),
                (Action::Create, _) => ("success", format!("No matching {kind} in the target")),
                _ => ("success", format!("Matched {kind} '{name}' in the target")),
            };
            out.push(step("EntryMatching", "matching", matched.0, matched.1));
            if lookup_failed {
                return out;
            }
            out.push(step(
                "EntrySynchronizationAdd",
                "processing",
                "success",
                format!("Determined the action: {}", r.action.as_str()),
            ));
            out.push(export_step(r, failed, &answer));
        }
    }
    out
}

fn export_step(r: &LogRecord, failed: bool, answer: &str) -> Value {
    let kind = kind_name(r.kind);
    if failed {
        step(
            "EntryExport",
            "export",
            "failure",
            format!(
                "The target did not apply the change to {kind} '{}': {answer}",
                r.name
            ),
        )
    } else {
        step(
            "EntryExport",
            "export",
            "success",
            format!(
                "{kind} '{}' was {} in the target (HTTP {})",
                r.name,
                match r.action {
                    Action::Create => "created",
                    Action::Delete => "deleted",
                    Action::Disable => "disabled",
                    _ => "updated",
                },
                r.status.map_or("-".to_string(), |s| s.to_string())
            ),
        )
    }
}

/// One record as a Graph `provisioningObjectSummary`. `index` is its position in the run.
pub fn summary(r: &LogRecord, index: usize, job: &JobContext) -> Value {
    let at: DateTime<Utc> = r.at;
    let error = (r.result != Outcome::Success).then(|| {
        let category = match r.result {
            Outcome::Failure => "nonServiceFailure",
            _ => "success",
        };
        json!({
            "errorCode": error_code(r),
            "reason": r.reason,
            "additionalDetails": additional_details(r),
            "errorCategory": category,
            "recommendedAction": r.failure.map(recommended_action),
        })
    });
    let modified: Vec<Value> = r
        .modified
        .iter()
        .map(|(name, old, new)| json!({"displayName": name, "oldValue": old, "newValue": new}))
        .collect();
    json!({
        "id": job.id(1, r.cycle as u64, index as u64),
        "activityDateTime": at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "tenantId": job.id(4, 0, 0),
        "jobId": job.job_id,
        "cycleId": job.id(2, r.cycle as u64, 0),
        "changeId": job.id(3, r.cycle as u64, index as u64),
        "durationInMilliseconds": r.duration_ms,
        "initiatedBy": {
            "id": "",
            "displayName": "Microsoft Entra ID provisioning service (simulated)",
            "initiatorType": "system",
        },
        "provisioningAction": provisioning_action(r),
        "provisioningStatusInfo": {
            "status": r.result.as_str(),
            "errorInformation": error,
        },
        "provisioningSteps": steps(r, &job.source_system),
        "servicePrincipal": {
            "id": job.id(5, 0, 0),
            "displayName": "scim-harness simulate",
        },
        "sourceSystem": {
            "id": job.id(6, 0, 0),
            "displayName": job.source_system,
            "details": {},
        },
        "targetSystem": {
            "id": job.id(7, 0, 0),
            "displayName": job.target,
            "details": {},
        },
        "sourceIdentity": {
            "id": r.source_id,
            "displayName": r.name,
            "identityType": kind_name(r.kind),
            "details": {},
        },
        "targetIdentity": {
            "id": r.target_id.clone().unwrap_or_default(),
            "displayName": r.name,
            "identityType": kind_name(r.kind),
            "details": {},
        },
        "modifiedProperties": modified,
    })
}

/// Writes every record as one JSON object per line.
pub fn write_jsonl(records: &[LogRecord], job: &JobContext, path: &Path) -> std::io::Result<()> {
    let file = std::fs::File::create(path)?;
    let mut out = std::io::BufWriter::new(file);
    for (i, r) in records.iter().enumerate() {
        serde_json::to_writer(&mut out, &summary(r, i, job))?;
        out.write_all(b"\n")?;
    }
    out.flush()
}
