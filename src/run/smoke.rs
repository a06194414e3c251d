//! The smoke section of `run`: the reference driven end to end through the SCIM client, the
//! way a provisioning client would use it (discovery, bulk creates, identity-provider member
//! PATCHes, indexed filters, paging, sorting, ETags, deletes, errors).

use super::Recorder;
use crate::client::{ClientError, ScimClient, encode};
use futures::StreamExt;
use serde_json::{Value, json};
use std::collections::HashSet;
use std::time::Instant;

fn user_body(i: usize) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
                    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
        "userName": format!("user{i:06}@example.test"),
        "externalId": format!("ext-{i}"),
        "active": true,
        "name": {"givenName": format!("Given{i}"), "familyName": format!("Family{}", i % 97)},
        "emails": [{"value": format!("user{i:06}@example.test"), "type": "work", "primary": true}],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
            "department": format!("Dept{}", i % 7), "employeeNumber": i.to_string()
        }
    })
}

/// Runs the smoke checks against the reference behind `c`.
pub(super) async fn exercise(
    c: &ScimClient,
    opts: &super::RunOptions,
    rec: &mut Recorder,
) -> Result<(), ClientError> {
    // Discovery.
    let t = Instant::now();
    let spc = c.get("/ServiceProviderConfig").await?;
    let schemas = c.get("/Schemas").await?;
    let types = c.get("/ResourceTypes").await?;
    let ok = spc.status == 200
        && spc.body["patch"]["supported"] == true
        && schemas.body["totalResults"].as_u64() == Some(4)
        && types.body["totalResults"].as_u64() == Some(2);
    rec.record(
        "discovery documents",
        t,
        ok,
        format!(
            "{} schemas, {} resource types",
            schemas.body["totalResults"], types.body["totalResults"]
        ),
    );

    // Create users concurrently.
    let t = Instant::now();
    let created: Vec<Result<(u16, String), ClientError>> = futures::stream::iter(0..opts.users)
        .map(|i| async move {
            let r = c.post("/Users", &user_body(i)).await?;
            Ok((
                r.status,
                r.body["id"].as_str().unwrap_or_default().to_string(),
            ))
        })
        .buffered(opts.concurrency.max(1))
        .collect()
        .await;
    let mut ids = Vec::with_capacity(opts.users);
    let mut bad = 0;
    for r in created {
        let (status, id) = r?;
        if status == 201 && !id.is_empty() {
            ids.push(id);
        } else {
            bad += 1;
        }
    }
    let rate = opts.users as f64 / t.elapsed().as_secs_f64().max(1e-9);
    rec.record(
        "create users (POST /Users)",
        t,
        bad == 0,
        format!("{} created, {rate:.0}/s", ids.len()),
    );

    // Uniqueness.
    let t = Instant::now();
    let dup = c.post("/Users", &user_body(0)).await?;
    rec.record(
        "duplicate userName is 409 uniqueness",
        t,
        dup.status == 409 && dup.body["scimType"] == "uniqueness",
        format!("status {}", dup.status),
    );

    // Groups with members added the way the identity provider does it.
    let t = Instant::now();
    let mut group_ids = Vec::new();
    for g in 0..opts.groups {
        let r = c.post("/Groups", &json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": format!("Group {g}"), "members": []})).await?;
        if let Some(id) = r.body["id"].as_str() {
            group_ids.push(id.to_string());
        }
    }
    let mut patched = 0;
    for (gi, gid) in group_ids.iter().enumerate() {
        let members: Vec<Value> = ids
            .iter()
            .enumerate()
            .filter(|(i, _)| i % opts.groups.max(1) == gi)
            .map(|(_, id)| json!({"value": id}))
            .collect();
        for chunk in members.chunks(50) {
            let r = c.patch(&format!("/Groups/{gid}"), &json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "Add", "path": "members", "value": chunk}]})).await?;
            if r.status == 204 || r.status == 200 {
                patched += 1;
            }
        }
    }
    let first_user = ids.first().cloned().unwrap_or_default();
    let u = c.get(&format!("/Users/{first_user}")).await?;
    let in_group = u.body["groups"].as_array().is_some_and(|g| g.len() == 1);
    rec.record(
        "groups and member PATCHes",
        t,
        group_ids.len() == opts.groups && in_group,
        format!("{} groups, {patched} member PATCHes", group_ids.len()),
    );

    // Filter by userName through the index.
    let t = Instant::now();
    let mut hits = 0;
    let probes = ids.len().min(200);
    for i in 0..probes {
        let f = encode(&format!("userName eq \"USER{i:06}@example.test\""));
        let r = c.get(&format!("/Users?filter={f}")).await?;
        if r.body["totalResults"].as_u64() == Some(1) {
            hits += 1;
        }
    }
    rec.record(
        "filter userName eq (case-insensitive)",
        t,
        hits == probes,
        format!("{hits}/{probes} found"),
    );

    // Complex filter.
    let t = Instant::now();
    let f = encode("emails[type eq \"work\" and value co \"user00001\"] and not (active eq false)");
    let r = c.get(&format!("/Users?filter={f}&count=1000")).await?;
    let expected = (0..opts.users)
        .filter(|i| format!("user{i:06}").contains("user00001"))
        .count();
    rec.record(
        "value-path filter with not()",
        t,
        r.body["totalResults"].as_u64() == Some(expected as u64),
        format!("{} matches", r.body["totalResults"]),
    );

    // Pagination: every user exactly once.
    let t = Instant::now();
    let mut seen = HashSet::new();
    let mut start = 1;
    let mut dupes = 0;
    loop {
        let r = c
            .get(&format!(
                "/Users?startIndex={start}&count=100&attributes=userName"
            ))
            .await?;
        let items = r.body["Resources"].as_array().cloned().unwrap_or_default();
        if items.is_empty() {
            break;
        }
        for it in &items {
            if !seen.insert(it["id"].as_str().unwrap_or_default().to_string()) {
                dupes += 1;
            }
        }
        start += items.len();
    }
    rec.record(
        "pagination returns each user once",
        t,
        seen.len() == ids.len() && dupes == 0,
        format!("{} seen, {dupes} duplicates", seen.len()),
    );

    // Sorting.
    let t = Instant::now();
    let r = c
        .get("/Users?sortBy=userName&sortOrder=descending&count=5&attributes=userName")
        .await?;
    let first = r.body["Resources"][0]["userName"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let expected = format!("user{:06}@example.test", opts.users.saturating_sub(1));
    rec.record("sortBy userName descending", t, first == expected, first);

    // Entra-style PATCH: disable with the string "False".
    let t = Instant::now();
    let r = c.patch(&format!("/Users/{first_user}"), &json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "Replace", "path": "active", "value": "False"}]})).await?;
    rec.record(
        "identity-provider PATCH (\"False\")",
        t,
        r.status == 200 && r.body["active"] == false,
        format!("status {}", r.status),
    );

    // ETags.
    let t = Instant::now();
    let g = c.get(&format!("/Users/{first_user}")).await?;
    let etag = g.etag.clone().unwrap_or_default();
    let not_modified = c
        .send(
            reqwest::Method::GET,
            &format!("/Users/{first_user}"),
            None,
            &[("if-none-match", &etag)],
        )
        .await?;
    let stale = c.send(reqwest::Method::PATCH, &format!("/Users/{first_user}"), Some(&json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "replace", "path": "displayName", "value": "x"}]})), &[("if-match", "W/\"0\"")]).await?;
    rec.record(
        "ETag: 304 on match, 412 on stale If-Match",
        t,
        not_modified.status == 304 && stale.status == 412,
        format!("{} / {}", not_modified.status, stale.status),
    );

    // Delete removes the user from its group.
    let t = Instant::now();
    let d = c.delete(&format!("/Users/{first_user}")).await?;
    let gone = c.get(&format!("/Users/{first_user}")).await?;
    let group = c
        .get(&format!(
            "/Groups/{}",
            group_ids.first().cloned().unwrap_or_default()
        ))
        .await?;
    let still_member = group.body["members"]
        .as_array()
        .is_some_and(|m| m.iter().any(|x| x["value"] == first_user.as_str()));
    rec.record(
        "DELETE 204, then 404, membership gone",
        t,
        d.status == 204 && gone.status == 404 && !still_member,
        format!("{} / {}", d.status, gone.status),
    );

    // Errors.
    let t = Instant::now();
    let bad_filter = c
        .get(&format!("/Users?filter={}", encode("userName eq")))
        .await?;
    let bad_json = c
        .send(
            reqwest::Method::POST,
            "/Users",
            None,
            &[("content-type", "application/scim+json")],
        )
        .await?;
    rec.record(
        "invalidFilter and invalidSyntax errors",
        t,
        bad_filter.status == 400
            && bad_filter.body["scimType"] == "invalidFilter"
            && bad_json.status == 400,
        format!("{} / {}", bad_filter.status, bad_json.status),
    );
    Ok(())
}
