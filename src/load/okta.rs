//! The `okta-push` operations: Okta's provisioning client's request mix (Okta developer
//! documentation, "SCIM 2.0 protocol reference"; statements O-MATCH-01 to O-GROUP-01). Pushes
//! are event-driven, so there is no initial/incremental split: each operation is one of
//! Okta's actions, in the proportions a directory with steady joiners and changes sends.

use super::metrics::{Completed, KindId, OpStatus};
use super::op::{ScenarioOp, patch_body, user_body};
use super::provider::{done, match_then_post, new_user_name, patch_user};
use crate::client::encode;
use reqwest::Method;
use serde_json::{Value, json};

/// `okta-push` kinds. `user.create` is Okta's whole match-then-create (GET filter with
/// startIndex and count, then POST); `user.match` its GET alone; `user.put` a GET then a full
/// PUT (an OIN app's update); `user.deactivate` the path-less replace of `active`;
/// `group.push` the rename-and-add PATCH Okta sends with every membership change.
pub const KINDS: &[&str] = &[
    "user.create",
    "user.match",
    "user.put",
    "user.deactivate",
    "group.push",
];
const CREATE: KindId = 0;
const MATCH: KindId = 1;
const PUT: KindId = 2;
const DEACTIVATE: KindId = 3;
const GROUP: KindId = 4;

/// One of Okta's actions: of every five, a create, two PUT updates, a deactivation or
/// reactivation, and a group push.
pub async fn op(s: &ScenarioOp, k: u64, lane: usize) -> Completed {
    match k % 5 {
        0 => create(s, k, lane).await,
        1 | 3 => put(s, k, lane).await,
        2 => deactivate(s, k, lane).await,
        _ => group_push(s, k, lane).await,
    }
}

async fn create(s: &ScenarioOp, k: u64, lane: usize) -> Completed {
    let user_name = new_user_name(s, "okta", k);
    let filter = encode(&format!("userName eq \"{user_name}\""));
    let lookup = format!("/Users?filter={filter}&startIndex=1&count=100");
    let mut body = user_body(&user_name, &format!("00u{k}"));
    if let Some(o) = body.as_object_mut() {
        o.insert("locale".into(), json!("en-US"));
        o.insert("groups".into(), json!([]));
        o.insert("password".into(), json!("Okta-Load-1!a"));
    }
    // Okta takes a 404 with the Error schema as "not found" too (O-MATCH-01).
    match_then_post(s, lane, &lookup, &[200, 404], &body, (CREATE, MATCH)).await
}

async fn put(s: &ScenarioOp, k: u64, lane: usize) -> Completed {
    let user = s.user_for(k);
    let path = format!("/Users/{}", user.id);
    let read = match s.target.get(lane, &path).await {
        Ok(r) if r.status == 200 => r,
        other => return done(PUT, other),
    };
    let Ok(mut body) = serde_json::from_slice::<Value>(&read.body) else {
        return Completed::of(PUT, OpStatus::Http(read.status));
    };
    if let Some(o) = body.as_object_mut() {
        o.remove("meta");
        o.insert("groups".into(), json!([]));
        o.insert(
            "name".into(),
            json!({"givenName": "Okta", "familyName": format!("F{k}")}),
        );
    }
    done(
        PUT,
        s.target
            .send(lane, Method::PUT, &path, Some(body.to_string()))
            .await,
    )
}

async fn deactivate(s: &ScenarioOp, k: u64, lane: usize) -> Completed {
    let user = s.user_for(k);
    // Alternates, so a user deactivated once is reactivated the next time.
    let active = !(k / 5).is_multiple_of(2);
    let body = patch_body(json!([{"op": "replace", "value": {"active": active}}]));
    patch_user(s, DEACTIVATE, lane, &user.id, body).await
}

async fn group_push(s: &ScenarioOp, k: u64, lane: usize) -> Completed {
    let pop = &s.population;
    let Some(group) = pop
        .groups
        .get((s.local(k) % pop.groups.len().max(1) as u64) as usize)
    else {
        return Completed::of(GROUP, OpStatus::Http(0));
    };
    let user = s.user_for(k);
    let body = patch_body(json!([
        {"op": "replace", "value": {"id": group.id, "displayName": group.name}},
        {"op": "add", "path": "members", "value": [{"value": user.id, "display": user.name}]}
    ]));
    done(
        GROUP,
        s.target
            .send(
                lane,
                Method::PATCH,
                &format!("/Groups/{}", group.id),
                Some(body),
            )
            .await,
    )
}
