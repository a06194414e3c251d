//! The `provider-cycle` and `read-mix` operations: the identity provider's request shapes
//! (default mode, BEHAVIOUR E-U-01, E-U-03, E-G-01) and the reads of a directory browser, one
//! object action per scheduled operation, as the provider's logs count them (E-LOG-01).

use super::metrics::{Completed, KindId, OpStatus};
use super::op::{ScenarioOp, patch_body, user_body};
use crate::client::encode;
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Instant;

/// `provider-cycle` kinds. `user.create` is the whole match-then-create action (GET filter, then
/// POST); `user.match` is its GET alone.
pub const CYCLE_KINDS: &[&str] = &[
    "user.create",
    "user.match",
    "group.members",
    "user.update",
    "user.active",
];
const CREATE: KindId = 0;
const MATCH: KindId = 1;
const MEMBERS: KindId = 2;
const UPDATE: KindId = 3;
const ACTIVE: KindId = 4;

/// `read-mix` kinds.
pub const READ_KINDS: &[&str] = &["user.get", "user.filter", "user.page", "group.filter"];

/// PATCHes one user: the operation `kind`'s whole action.
pub(super) async fn patch_user(
    s: &ScenarioOp,
    kind: KindId,
    lane: usize,
    id: &str,
    body: String,
) -> Completed {
    let path = format!("/Users/{id}");
    done(
        kind,
        s.target.send(lane, Method::PATCH, &path, Some(body)).await,
    )
}

/// An operation's result as the driver counts it.
pub(super) fn done(
    kind: KindId,
    r: Result<super::http::Reply, super::metrics::TransportFailure>,
) -> Completed {
    match r {
        Ok(r) => Completed::of(kind, r.outcome()),
        Err(t) => Completed::of(kind, OpStatus::Transport(t)),
    }
}

/// One action of the provider's cycle. Before `incremental_from`, the initial cycle: four
/// match-then-create actions, then one group PATCH adding a batch of members. From then on, the
/// incremental cycle: attribute updates and enable/disable toggles, alternating.
pub async fn cycle_op(s: &ScenarioOp, k: u64, lane: usize) -> Completed {
    if k < s.config.incremental_from {
        if k % 5 == 4 {
            members(s, k, lane).await
        } else {
            match_then_create(s, k, lane).await
        }
    } else if k.is_multiple_of(2) {
        update(s, k, lane).await
    } else {
        active(s, k, lane).await
    }
}

async fn match_then_create(s: &ScenarioOp, k: u64, lane: usize) -> Completed {
    let user_name = new_user_name(s, "load", k);
    let filter = encode(&format!("userName eq \"{user_name}\""));
    let body = user_body(&user_name, &format!("c{k}"));
    let lookup = format!("/Users?filter={filter}");
    match_then_post(s, lane, &lookup, &[200], &body, (CREATE, MATCH)).await
}

/// The userName of the user operation `k` creates: run id and shard in it, so shards and
/// runs never collide on a shared target.
pub(super) fn new_user_name(s: &ScenarioOp, prefix: &str, k: u64) -> String {
    format!(
        "{prefix}-{}-s{}-c{k}@example.test",
        s.config.run_id, s.config.shard_index
    )
}

/// A match-then-create action: GET `lookup`, which must answer one of `not_found`, then POST
/// `body`. The whole action counts as `kinds.0`, the lookup alone as `kinds.1`.
pub(super) async fn match_then_post(
    s: &ScenarioOp,
    lane: usize,
    lookup: &str,
    not_found: &[u16],
    body: &Value,
    kinds: (KindId, KindId),
) -> Completed {
    let matched = match s.target.get(lane, lookup).await {
        Ok(r) if not_found.contains(&r.status) => Instant::now(),
        other => return done(kinds.0, other),
    };
    let mut d = done(
        kinds.0,
        s.target
            .send(lane, Method::POST, "/Users", Some(body.to_string()))
            .await,
    );
    d.extra = Some((kinds.1, matched));
    d
}

async fn members(s: &ScenarioOp, k: u64, lane: usize) -> Completed {
    let pop = &s.population;
    let (Some(group), n) = (
        pop.groups
            .get((s.local(k) % pop.groups.len().max(1) as u64) as usize),
        pop.users.len(),
    ) else {
        return Completed::of(MEMBERS, OpStatus::Http(0));
    };
    let batch = s.config.member_batch.max(1);
    let first = (s.local(k) as usize).wrapping_mul(batch) % n.max(1);
    let values: Vec<Value> = (0..batch.min(n))
        .map(|i| json!({"value": pop.users[(first + i) % n].id}))
        .collect();
    let body = patch_body(json!([{"op": "Add", "path": "members", "value": values}]));
    done(
        MEMBERS,
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

async fn update(s: &ScenarioOp, k: u64, lane: usize) -> Completed {
    let user = s.user_for(k);
    let body = patch_body(json!([
        {"op": "Replace", "path": "name.familyName", "value": format!("F{k}")},
        {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": user.name}
    ]));
    patch_user(s, UPDATE, lane, &user.id, body).await
}

async fn active(s: &ScenarioOp, k: u64, lane: usize) -> Completed {
    let user = s.user_for(k);
    // Default mode sends the string, not the boolean (E-U-03).
    let value = if (k / 2).is_multiple_of(2) {
        "False"
    } else {
        "True"
    };
    let body = patch_body(json!([{"op": "Replace", "path": "active", "value": value}]));
    patch_user(s, ACTIVE, lane, &user.id, body).await
}

/// One read: by id, by `userName eq`, a page of 50, or a group by `displayName eq` without its
/// members (as the provider asks, E-F-01).
pub async fn read_op(s: &ScenarioOp, k: u64, lane: usize) -> Completed {
    let user = s.user_for(k);
    let kind = (k % 4) as KindId;
    let path = match kind {
        0 => format!("/Users/{}", user.id),
        1 => format!(
            "/Users?filter={}",
            encode(&format!("userName eq \"{}\"", user.name))
        ),
        2 => {
            let n = s.population.users.len().max(1) as u64;
            format!("/Users?startIndex={}&count=50", (s.local(k) * 37) % n + 1)
        }
        _ => {
            let groups = &s.population.groups;
            let g = groups
                .get((s.local(k) % groups.len().max(1) as u64) as usize)
                .map(|g| g.name.as_str())
                .unwrap_or("none");
            format!(
                "/Groups?filter={}&excludedAttributes=members",
                encode(&format!("displayName eq \"{g}\""))
            )
        }
    };
    done(kind, s.target.get(lane, &path).await)
}
