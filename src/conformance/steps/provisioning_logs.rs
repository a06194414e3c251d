//! Steps of `features/provisioning/logs.feature`: the provisioning logs in Graph's shape
//! (E-LOG-02) and the failures grouped by cause, explaining the convergence check (E-LOG-03).

use super::provisioning::{check, scenario, user_index};
use crate::conformance::ScimWorld;
use crate::conformance::assert::{Failure, StepResult};
use crate::provisioning::logs::graph::{JobContext, summary};
use crate::provisioning::sim::converge::Convergence;
use crate::provisioning::sim::failures::{self, FailureGroup, attributes_line};
use cucumber::{given, then, when};
use serde_json::{Value, json};

#[given(
    regex = r#"^the app refuses (the enterprise extension|member removals with a value list)$"#
)]
async fn app_refuses(w: &mut ScimWorld, what: String) -> StepResult {
    let s = scenario(w).await?;
    let target = s.target.as_ref().ok_or_else(|| {
        Failure::skip("this scenario injects refusals, which only the embedded reference can")
    })?;
    target.control.update(|f| match what.as_str() {
        "the enterprise extension" => f.refuse_enterprise_extension = true,
        _ => f.refuse_remove_with_value = true,
    });
    Ok(())
}

#[when(regex = r#"^the app's own admin sets (\w+)'s department to "([^"]+)" in the app$"#)]
async fn drift(w: &mut ScimWorld, name: String, dept: String) -> StepResult {
    let s = scenario(w).await?;
    let i = user_index(s, &name)?;
    let source = s.tenant.users[i].object_id.clone();
    let id = s
        .job
        .user_links()
        .get(&source)
        .cloned()
        .ok_or_else(|| Failure::suite(format!("{name} was never provisioned")))?;
    let patch = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{
            "op": "replace",
            "path": format!("{}:department", crate::scim::schema::ENTERPRISE_USER_SCHEMA),
            "value": dept,
        }],
    });
    let r = s
        .job
        .client()
        .send(
            reqwest::Method::PATCH,
            &format!("/Users/{id}"),
            Some(&patch),
            &[],
        )
        .await
        .map_err(|e| Failure::suite(e.to_string()))?;
    if !(200..300).contains(&r.status) {
        return Err(Failure::suite(format!(
            "the app refused the admin's change: {}",
            r.status
        )));
    }
    Ok(())
}

/// The latest Graph record whose line reads `Action Firstname`.
async fn record(w: &mut ScimWorld, what: &str) -> Result<Value, Failure> {
    let s = scenario(w).await?;
    let job = JobContext::new(1, "Microsoft Entra ID", "the app");
    let logs = s.job.logs();
    logs.iter()
        .enumerate()
        .rev()
        .find(|(_, r)| {
            let first = r.name.split(' ').next().unwrap_or("");
            format!("{} {first}", r.action.as_str()) == what
        })
        .map(|(i, r)| summary(r, i, &job))
        .ok_or_else(|| Failure::suite(format!("no log record for {what:?}")))
}

fn text_at(v: &Value, pointer: &str) -> String {
    match v.pointer(pointer) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => "(absent)".into(),
        Some(other) => other.to_string(),
    }
}

#[then(regex = r#"^the log record for "([^"]+)" has (\S+) "([^"]*)"$"#)]
async fn record_has(w: &mut ScimWorld, what: String, pointer: String, want: String) -> StepResult {
    let got = text_at(&record(w, &what).await?, &pointer);
    check(
        got == want,
        "the provisioning log record has Graph's provisioningObjectSummary shape",
        format!("{pointer} = {want:?}"),
        format!("{got:?}"),
    )
}

#[then(regex = r#"^the log record for "([^"]+)" has (\S+) containing "([^"]*)"$"#)]
async fn record_contains(
    w: &mut ScimWorld,
    what: String,
    pointer: String,
    want: String,
) -> StepResult {
    let got = text_at(&record(w, &what).await?, &pointer);
    check(
        got.contains(&want),
        "a failed record carries the target's answer",
        format!("{pointer} containing {want:?}"),
        format!("{got:?}"),
    )
}

#[then(regex = r#"^the log record for "([^"]+)" changed (\S+) from "([^"]*)" to "([^"]*)"$"#)]
async fn record_changed(
    w: &mut ScimWorld,
    what: String,
    attribute: String,
    old: String,
    new: String,
) -> StepResult {
    let r = record(w, &what).await?;
    let props = r["modifiedProperties"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let found = props.iter().any(|p| {
        p["displayName"]
            .as_str()
            .is_some_and(|n| n.ends_with(&attribute))
            && p["oldValue"] == json!(old)
            && p["newValue"] == json!(new)
    });
    check(
        found,
        "an update lists its modified properties with the old and the new value",
        format!("{attribute}: {old:?} → {new:?}"),
        Value::Array(props),
    )
}

async fn groups(w: &mut ScimWorld) -> Result<Vec<FailureGroup>, Failure> {
    let s = scenario(w).await?;
    Ok(failures::group(s.job.logs()).0)
}

#[then(regex = r#"^the largest failure group reads "(.+)"$"#)]
async fn largest_group(w: &mut ScimWorld, want: String) -> StepResult {
    let groups = groups(w).await?;
    let first = groups.first().map(FailureGroup::line).unwrap_or_default();
    check(
        first.starts_with(&want),
        "failures are grouped by cause, largest first, each naming the refused request",
        &want,
        groups
            .iter()
            .map(FailureGroup::line)
            .collect::<Vec<_>>()
            .join("; "),
    )
}

/// The convergence check, explained by the failure groups.
async fn explained(w: &mut ScimWorld) -> Result<(Convergence, Vec<FailureGroup>), Failure> {
    let s = scenario(w).await?;
    if let Some(t) = &s.target {
        t.control.set(Default::default());
    }
    let mut c = s
        .job
        .check(&s.tenant)
        .await
        .map_err(|e| Failure::suite(e.to_string()))?;
    let (groups, of_record) = failures::group(s.job.logs());
    failures::explain(&mut c, s.job.logs(), &of_record);
    Ok((c, groups))
}

#[then(regex = r#"^the convergence check explains (\d+) divergences? in (\S+) by "([^"]+)"$"#)]
async fn explains(w: &mut ScimWorld, n: usize, attribute: String, cause: String) -> StepResult {
    let (c, groups) = explained(w).await?;
    let hit = c.explained.iter().find(|e| {
        groups
            .get(e.group)
            .is_some_and(|g| g.line().contains(&cause))
            && e.attributes.contains(&(attribute.clone(), n))
    });
    let seen: Vec<String> = c
        .explained
        .iter()
        .map(|e| failures::explanation_line(e, &groups))
        .collect();
    check(
        hit.is_some(),
        "a divergence is attributed to the failure that left its object behind",
        format!("{n} × {attribute} ← {cause}"),
        format!("{seen:?}, unexplained: {}", c.unexplained),
    )
}

#[then(regex = r#"^the convergence check finds (\d+) unexplained divergences? in (\S+)$"#)]
async fn unexplained(w: &mut ScimWorld, n: usize, attribute: String) -> StepResult {
    let (c, groups) = explained(w).await?;
    let ok = c.unexplained == n && c.unexplained_attributes.contains(&(attribute.clone(), n));
    check(
        ok,
        "a divergence no failure explains is listed as unexplained",
        format!("{n} × {attribute}"),
        format!(
            "unexplained {} ({}); explained {:?}",
            c.unexplained,
            attributes_line(&c.unexplained_attributes),
            c.explained
                .iter()
                .map(|e| failures::explanation_line(e, &groups))
                .collect::<Vec<_>>()
        ),
    )
}
