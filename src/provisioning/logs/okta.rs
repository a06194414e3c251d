//! The provisioning logs in Okta's shape: one System Log `LogEvent` per record, with the
//! event types Okta's catalog names for app provisioning (developer.okta.com, "Event
//! types"), as `GET /api/v1/logs` returns them, so a script written for Okta's System Log
//! reads the simulator's. The imports follow the pushes, as `system.import.*` events.

use super::graph::JobContext;
use super::{Action, LogRecord, ObjectKind, Outcome};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};
use std::io::Write as _;
use std::path::Path;

/// The System Log event type of a push, and the catalog's description of it.
pub fn event_type(kind: ObjectKind, action: Action) -> (&'static str, &'static str) {
    match (kind, action) {
        (ObjectKind::User, Action::Create) => (
            "application.provision.user.push",
            "Push new user to external application",
        ),
        (ObjectKind::User, Action::Disable) => (
            "application.provision.user.deactivate",
            "Push user deactivation to external application",
        ),
        (ObjectKind::User, Action::Reactivate) => (
            "application.provision.user.reactivate",
            "Push user reactivation in external application",
        ),
        (ObjectKind::User, _) => (
            "application.provision.user.push_profile",
            "Push user's profile to external application",
        ),
        (ObjectKind::Group, Action::Create) => (
            "application.provision.group_push.pushed",
            "A group was pushed to an app",
        ),
        (ObjectKind::Group, Action::Delete) => (
            "application.provision.group_push.delete_appgroup",
            "Group push deleted application group",
        ),
        (ObjectKind::Group, _) => (
            "application.provision.group_push.push_memberships",
            "Group push pushed memberships",
        ),
    }
}

/// One import, as the log tells it.
#[derive(Debug, Clone)]
pub struct ImportEvent {
    pub at: DateTime<Utc>,
    pub ok: bool,
    pub reason: String,
}

fn actor() -> Value {
    json!({"id": "okta-system", "type": "SystemPrincipal", "alternateId": "system@okta.com",
           "displayName": "Okta System"})
}

fn app(job: &JobContext) -> Value {
    json!({"id": job.job_id, "type": "AppInstance", "alternateId": "scim2",
           "displayName": job.target})
}

fn published(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The event of one record (`i`: its line).
pub fn event(r: &LogRecord, i: usize, job: &JobContext) -> Value {
    let (event_type, message) = event_type(r.kind, r.action);
    let failed = r.result == Outcome::Failure;
    let mut debug = serde_json::Map::new();
    if let Some(s) = r.status {
        debug.insert("httpStatus".into(), json!(s.to_string()));
    }
    if let Some(a) = &r.answer {
        debug.insert("request".into(), json!(a.request));
        debug.insert("answer".into(), json!(a.answer_line()));
        debug.insert("answerBody".into(), json!(a.body));
    }
    if !r.modified.is_empty() {
        let changed: Vec<&str> = r.modified.iter().map(|(p, _, _)| p.as_str()).collect();
        debug.insert("changedAttributes".into(), json!(changed.join(",")));
    }
    let object_type = match r.kind {
        ObjectKind::User => "User",
        ObjectKind::Group => "UserGroup",
    };
    json!({
        "uuid": job.id(3, i as u64, r.cycle as u64),
        "published": published(r.at),
        "eventType": event_type,
        "version": "0",
        "severity": if failed { "ERROR" } else { "INFO" },
        "displayMessage": message,
        "actor": actor(),
        "outcome": {
            "result": if failed { "FAILURE" } else { "SUCCESS" },
            "reason": r.reason,
        },
        "target": [
            {"id": r.source_id, "type": object_type, "alternateId": r.name,
             "displayName": r.name},
            app(job),
        ],
        "transaction": {"type": "JOB", "id": format!("push-{}", r.cycle), "detail": {}},
        "debugContext": {"debugData": debug},
    })
}

/// An import's start and end.
fn import_events(e: &ImportEvent, n: usize, job: &JobContext) -> [Value; 2] {
    let tx = json!({"type": "JOB", "id": format!("import-{n}"), "detail": {}});
    [
        json!({
            "uuid": job.id(4, n as u64, 0),
            "published": published(e.at),
            "eventType": "system.import.start",
            "version": "0",
            "severity": "INFO",
            "displayMessage": "import started",
            "actor": actor(),
            "outcome": {"result": "SUCCESS"},
            "target": [app(job)],
            "transaction": tx,
            "debugContext": {"debugData": {}},
        }),
        json!({
            "uuid": job.id(4, n as u64, 1),
            "published": published(e.at),
            "eventType": "system.import.complete",
            "version": "0",
            "severity": if e.ok { "INFO" } else { "WARN" },
            "displayMessage": "Import process complete",
            "actor": actor(),
            "outcome": {"result": if e.ok { "SUCCESS" } else { "FAILURE" }, "reason": e.reason},
            "target": [app(job)],
            "transaction": tx,
            "debugContext": {"debugData": {}},
        }),
    ]
}

/// Writes the records, one event per line in record order (a failure group's record numbers
/// are these lines), then the imports.
pub fn write_jsonl(
    records: &[LogRecord],
    imports: &[ImportEvent],
    job: &JobContext,
    path: &Path,
) -> std::io::Result<()> {
    let file = std::fs::File::create(path)?;
    let mut out = std::io::BufWriter::new(file);
    for (i, r) in records.iter().enumerate() {
        serde_json::to_writer(&mut out, &event(r, i, job))?;
        out.write_all(b"\n")?;
    }
    for (n, e) in imports.iter().enumerate() {
        for v in import_events(e, n, job) {
            serde_json::to_writer(&mut out, &v)?;
            out.write_all(b"\n")?;
        }
    }
    out.flush()
}
