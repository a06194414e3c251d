//! `/Bulk` (RFC 7644 §3.7): bulkId references, failOnErrors, and the advertised maxOperations
//! and maxPayloadSize enforced with 413.

use super::{ensure, get_ci, show, skip_unless};
use crate::client::ScimResponse;
use crate::client::write_first;
use crate::conformance::ScimWorld;
use crate::conformance::assert::{Exchange, Failure, StepResult, cut};
use crate::conformance::world::Created;
use crate::scim::schema::{BULK_REQUEST, GROUP_SCHEMA};
use cucumber::{then, when};
use reqwest::Method;
use serde_json::{Value, json};

async fn send_bulk(w: &mut ScimWorld, ops: Vec<Value>, fail_on_errors: Option<u64>) -> StepResult {
    let mut body = json!({"schemas": [BULK_REQUEST], "Operations": ops});
    if let (Some(f), Some(o)) = (fail_on_errors, body.as_object_mut()) {
        o.insert("failOnErrors".into(), json!(f));
    }
    let r = w.call(Method::POST, "/Bulk", Some(&body), &[]).await?;
    track_created(w, &r.body);
    Ok(())
}

/// Tracks everything a BulkResponse says was created, whatever else happened.
fn track_created(w: &mut ScimWorld, response: &Value) {
    for op in get_ci(response, "Operations")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let loc = get_ci(op, "location").and_then(Value::as_str).unwrap_or("");
        if let Some((endpoint, id)) = loc.rsplit_once('/').and_then(|(head, id)| {
            head.rsplit('/')
                .next()
                .map(|e| (e.to_string(), id.to_string()))
        }) && (endpoint == "Users" || endpoint == "Groups")
            && get_ci(op, "method")
                .and_then(Value::as_str)
                .is_some_and(|m| m.eq_ignore_ascii_case("POST"))
        {
            w.cleanup.push((endpoint, id));
        }
    }
}

fn bulk_id_of(op: &Value) -> Option<&str> {
    get_ci(op, "bulkId").and_then(Value::as_str)
}

#[when(
    regex = r#"^I send one bulk request creating user "([^"]+)" and group "([^"]+)" that has the user as a member by bulkId$"#
)]
async fn bulk_reference(w: &mut ScimWorld, user: String, group: String) -> StepResult {
    let u = w.user_body(&user, None);
    // The group comes first, so the server must resolve a forward reference.
    let ops = vec![
        json!({"method": "POST", "path": "/Groups", "bulkId": "g1", "data": {
            "schemas": [GROUP_SCHEMA],
            "displayName": w.group_name(&group),
            "externalId": w.external_id(&format!("group-{group}")),
            "members": [{"value": "bulkId:u1"}]
        }}),
        json!({"method": "POST", "path": "/Users", "bulkId": "u1", "data": u}),
    ];
    send_bulk(w, ops, None).await?;
    // Remember what was created under the feature's names.
    let r = w.response()?.clone();
    for op in get_ci(&r.body, "Operations")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let id = get_ci(op, "location")
            .and_then(Value::as_str)
            .and_then(|l| l.rsplit('/').next())
            .map(str::to_string);
        match (bulk_id_of(op), id) {
            (Some("u1"), Some(id)) => {
                let real_name = w.user_name(&user);
                w.users.insert(user.clone(), Created { id, real_name });
            }
            (Some("g1"), Some(id)) => {
                let real_name = w.group_name(&group);
                w.groups.insert(group.clone(), Created { id, real_name });
            }
            _ => {}
        }
    }
    Ok(())
}

#[then(regex = r#"^every bulk operation succeeded with status "(\d+)"$"#)]
async fn all_succeeded(w: &mut ScimWorld, status: String) -> StepResult {
    let r = w.response()?;
    let x = w.last.as_ref();
    ensure(
        r.status == 200,
        x,
        "RFC 7644 §3.7",
        "a processed bulk request answers 200",
        200,
        r.status,
    )?;
    let ops = get_ci(&r.body, "Operations")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    ensure(
        !ops.is_empty(),
        x,
        "RFC 7644 §3.7.3",
        "the BulkResponse lists every operation",
        "operations",
        "none",
    )?;
    for op in &ops {
        let got = get_ci(op, "status");
        // RFC 7644 §3.7.3 shows status as a string; a bare number is tolerated here but named.
        ensure(
            got.and_then(Value::as_str) == Some(status.as_str()),
            x,
            "RFC 7644 §3.7.3",
            &format!(
                "operation {} succeeded, its status a string",
                bulk_id_of(op).unwrap_or("?")
            ),
            format!("\"{status}\""),
            got.map_or("(absent)".into(), Value::to_string),
        )?;
    }
    Ok(())
}

#[when(
    regex = r#"^I send one bulk request with failOnErrors 1 that creates a second "([^"]+)" and then user "([^"]+)"$"#
)]
async fn fail_on_errors(w: &mut ScimWorld, dup: String, next: String) -> StepResult {
    let mut twin = w.user_body(&format!("{dup}-twin"), None);
    if let Some(o) = twin.as_object_mut() {
        o.insert("userName".into(), json!(w.user(&dup)?.real_name));
    }
    let ops = vec![
        json!({"method": "POST", "path": "/Users", "bulkId": "dup", "data": twin}),
        json!({"method": "POST", "path": "/Users", "bulkId": "next", "data": w.user_body(&next, None)}),
    ];
    send_bulk(w, ops, Some(1)).await
}

#[then(regex = r#"^the bulk response reports the duplicate as failed with status "(\d+)"$"#)]
async fn dup_failed(w: &mut ScimWorld, status: String) -> StepResult {
    let r = w.response()?;
    let x = w.last.as_ref();
    ensure(
        r.status == 200,
        x,
        "RFC 7644 §3.7.3",
        "a bulk request stopped by failOnErrors still answers 200",
        200,
        r.status,
    )?;
    let ops = get_ci(&r.body, "Operations")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let dup = ops.iter().find(|o| bulk_id_of(o) == Some("dup"));
    let got = dup.and_then(|d| get_ci(d, "status"));
    ensure(
        got.and_then(Value::as_str) == Some(status.as_str()),
        x,
        "RFC 7644 §3.7.3",
        "the failed operation is reported with its status",
        format!("\"{status}\""),
        show(got),
    )
}

#[when(
    regex = r"^I send a bulk request with one more operation than the advertised maxOperations$"
)]
async fn too_many_ops(w: &mut ScimWorld) -> StepResult {
    let max = w.ctx()?.discovery.bulk_max_operations;
    skip_unless(max.is_some(), "the target advertises no bulk.maxOperations")?;
    let max = max.unwrap_or_default();
    skip_unless(max <= 100_000, "bulk.maxOperations is above 100000")?;
    // Deletes of ids that do not exist: harmless if a server runs them anyway.
    let ops: Vec<Value> = (0..=max)
        .map(|_| json!({"method": "DELETE", "path": format!("/Users/{}", uuid::Uuid::new_v4())}))
        .collect();
    send_bulk(w, ops, None).await
}

#[when(regex = r"^I send a bulk request larger than the advertised maxPayloadSize$")]
async fn too_big(w: &mut ScimWorld) -> StepResult {
    let max = bulk_payload_limit(w)?;
    let mut user = w.user_body("bulky", None);
    if let Some(o) = user.as_object_mut() {
        o.insert("nickName".into(), json!("x".repeat(max + 1)));
    }
    let ops = vec![json!({"method": "POST", "path": "/Users", "bulkId": "b1", "data": user})];
    send_bulk(w, ops, None).await
}

/// The advertised bulk.maxPayloadSize, when the suite can exceed it (skipped otherwise).
fn bulk_payload_limit(w: &ScimWorld) -> Result<usize, Failure> {
    // RFC 7644 §3.7.4: maxPayloadSize limits /Bulk requests only, and only a positive one can
    // be exceeded by a request the suite can send.
    let d = &w.ctx()?.discovery;
    skip_unless(d.bulk, "the target does not advertise bulk.supported")?;
    let max = d.bulk_max_payload_size.unwrap_or(0);
    skip_unless(
        max > 0,
        match d.bulk_max_payload_size {
            None => "the target advertises no bulk.maxPayloadSize, so there is no limit to exceed"
                .to_string(),
            Some(_) => {
                "the target advertises bulk.maxPayloadSize 0, so there is no limit to exceed"
                    .to_string()
            }
        },
    )?;
    let max = max as usize;
    skip_unless(
        max <= 16 * 1024 * 1024,
        "bulk.maxPayloadSize is above 16 MiB",
    )?;
    Ok(max)
}

/// Clients such as Python's urllib write the whole body, then read. A server that answers 413
/// and closes with the body unread resets the connection under them, and they never see the
/// answer: RFC 9112 §9.6 has servers close "in stages" for that reason. The body is a small
/// BulkRequest padded with whitespace to twice the limit (at least 20 MB), which kernel
/// buffers cannot absorb.
#[when(
    regex = r"^I send a bulk request larger than the advertised maxPayloadSize, writing all of it before reading the answer$"
)]
async fn too_big_written_first(w: &mut ScimWorld) -> StepResult {
    let max = bulk_payload_limit(w)?;
    let ctx = w.ctx()?;
    let url = ctx.client.url("/Bulk");
    skip_unless(
        url.starts_with("http://"),
        "the target is served over TLS, and the write-first client speaks plain HTTP only",
    )?;
    let parsed = reqwest::Url::parse(&url).map_err(|e| Failure::suite(e.to_string()))?;
    skip_unless(
        !ctx.connection.proxied(&parsed),
        "the target is reached through a proxy, and the write-first client connects directly",
    )?;
    // The connection's own credentials and extra headers, as every other request sends them.
    let mut headers: Vec<(String, String)> = ctx
        .connection
        .headers()
        .iter()
        .filter_map(|(k, v)| Some((k.to_string(), v.to_str().ok()?.to_string())))
        .collect();
    let auth = ctx
        .connection
        .authorization()
        .await
        .map_err(|e| Failure::suite(e.to_string()))?;
    if let Some(v) = auth.as_ref().and_then(|v| v.to_str().ok()) {
        headers.push(("Authorization".into(), v.to_string()));
    }
    let user = w.user_body("bulky", None);
    let ops = json!([{"method": "POST", "path": "/Users", "bulkId": "b1", "data": user}]);
    let mut text = json!({"schemas": [BULK_REQUEST], "Operations": ops}).to_string();
    let size = max.saturating_mul(2).max(20_000_000);
    let shown = format!(
        "{} (then whitespace, {size} bytes in all)",
        cut(&ctx.redact(&text))
    );
    text.extend(std::iter::repeat_n(' ', size.saturating_sub(text.len())));
    let ct = "application/scim+json";
    let mut x = Exchange {
        method: "POST".into(),
        url: url.clone(),
        headers: vec![
            ("Content-Type".into(), ct.into()),
            ("Content-Length".into(), text.len().to_string()),
        ],
        body: Some(shown),
        ..Default::default()
    };
    let answer = write_first::send(
        "POST",
        &url,
        &headers,
        ct,
        text.as_bytes(),
        std::time::Duration::from_secs(120),
    )
    .await;
    match answer {
        Ok(a) => {
            x.status = a.status;
            x.response = ctx.redact(&a.body);
            let body: Value = serde_json::from_str(&a.body).unwrap_or(Value::Null);
            track_created(w, &body);
            w.last = Some(x);
            w.last_response = Some(ScimResponse {
                status: a.status,
                etag: None,
                location: None,
                content_type: a.content_type,
                body,
                raw: a.body,
            });
            Ok(())
        }
        Err(e) => {
            x.response = format!("(no answer: {e})");
            w.last = Some(x);
            w.last_response = None;
            Err(Failure::new(
                "RFC 9112 §9.6; RFC 7644 §3.7.4",
                "a client that writes its whole request before reading can read the 413 (the server reads the rest, or closes in stages)",
                "a 413 the client can read",
                e,
            )
            .with(w.last.as_ref()))
        }
    }
}

#[then(regex = r"^the bulk request is refused as too large$")]
async fn refused_too_large(w: &mut ScimWorld) -> StepResult {
    super::expect_status(
        w,
        &[413],
        "RFC 7644 §3.7.4",
        "a bulk request over an advertised limit answers 413",
    )?;
    super::check_error_body(w).map_err(|f: Failure| f)
}
