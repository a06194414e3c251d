//! No update is lost under contention (issue 16, item 4). Sixteen writers change the same few
//! users and groups at once over loopback: PATCH (emails, title, members), PUT, DELETE (and
//! re-create), half of them with `If-Match`. Every answer is recorded. Then:
//!
//! - every 2xx write carries its own version: no two share one, and each writer's versions
//!   grow in the order it sent them;
//! - a write conditional on version `v` that was applied as `w` had no other applied write on
//!   the same resource between `v` and `w`;
//! - replaying the applied writes (2xx only) in the order of their ETag versions reproduces
//!   the resource each of them answered with, and the final state read back.
//!
//! The checker is shown to catch lost updates: the same run against a server whose PATCH is a
//! read, a pause and an unconditional PUT (no versioning, as a naive server does it) fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use fake::rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use reqwest::Method;
use scim_harness::client::{Connection, ScimClient, ScimResponse};
use scim_harness::clock::SystemClock;
use scim_harness::reference::config::ReferenceConfig;
use scim_harness::reference::server::RunningReference;
use scim_harness::scim::patch::{PatchOptions, apply, parse_request};
use scim_harness::scim::schema::{group_type, user_type};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tower::ServiceExt;

use crate::common::*;

mod replay;

use replay::{Applied, Change, State, check, group_state, user_state, version};

const WRITERS: usize = 16;
const OPS_PER_WRITER: usize = 40;
const USERS: usize = 3;
const GROUPS: usize = 2;

/// The ids every writer shares: users (re-created when deleted) and groups.
struct Shared {
    users: Mutex<Vec<String>>,
    groups: Vec<String>,
}

async fn send(
    c: &ScimClient,
    m: Method,
    path: &str,
    body: Option<&Value>,
    ifm: Option<&str>,
) -> ScimResponse {
    let headers: Vec<(&str, &str)> = ifm.map(|v| ("If-Match", v)).into_iter().collect();
    c.send(m, path, body, &headers)
        .await
        .expect("the server answers")
}

/// One writer: `OPS_PER_WRITER` random writes, half of them conditional. `racy`: the server
/// writes a PATCH back whole, so any group PATCH may name a member deleted meanwhile.
async fn writer(c: ScimClient, shared: Arc<Shared>, w: usize, racy: bool) -> Vec<Applied> {
    let mut rng = ChaCha8Rng::seed_from_u64(w as u64);
    let mut applied = Vec::new();
    for seq in 0..OPS_PER_WRITER {
        let token = format!("w{w}s{seq}");
        let users = shared.users.lock().unwrap().clone();
        let slot = rng.random_range(0..USERS);
        let user = users[slot].clone();
        let group = shared.groups[rng.random_range(0..GROUPS)].clone();
        let member = users[rng.random_range(0..USERS)].clone();
        let roll = rng.random_range(0..100);
        let (path, change, method, body) = match roll {
            0..25 => (
                format!("/Users/{user}"),
                Change::AddEmail(format!("{token}@x.example")),
                Method::PATCH,
                Some(ops(
                    json!([{"op": "add", "path": "emails", "value": [{"value": format!("{token}@x.example"), "type": "other"}]}]),
                )),
            ),
            25..35 => (
                format!("/Users/{user}"),
                Change::SetTitle(token.clone()),
                Method::PATCH,
                Some(ops(
                    json!([{"op": "replace", "path": "title", "value": token}]),
                )),
            ),
            35..45 => {
                let (title, email) = (format!("put-{token}"), format!("put-{token}@x.example"));
                let name = format!("slot{slot}-{}", &user[..8]);
                let body = json!({"schemas": [USER], "userName": name, "title": title, "emails": [{"value": email, "type": "work"}]});
                (
                    format!("/Users/{user}"),
                    Change::PutUser { title, email },
                    Method::PUT,
                    Some(body),
                )
            }
            45..50 => (
                format!("/Users/{user}"),
                Change::DeleteUser,
                Method::DELETE,
                None,
            ),
            50..70 => (
                format!("/Groups/{group}?attributes=displayName,members"),
                Change::AddMember(member.clone()),
                Method::PATCH,
                Some(ops(
                    json!([{"op": "add", "path": "members", "value": [{"value": member}]}]),
                )),
            ),
            70..88 => (
                format!("/Groups/{group}?attributes=displayName,members"),
                Change::RemoveMember(member.clone()),
                Method::PATCH,
                Some(ops(
                    json!([{"op": "remove", "path": format!("members[value eq \"{member}\"]")}]),
                )),
            ),
            _ => {
                let members: Vec<String> = users
                    .iter()
                    .filter(|_| rng.random_bool(0.5))
                    .cloned()
                    .collect();
                let name = format!("group-{token}");
                let body = json!({"schemas": [GROUP], "displayName": name,
                    "members": members.iter().map(|m| json!({"value": m})).collect::<Vec<_>>()});
                (
                    format!("/Groups/{group}"),
                    Change::PutGroup { name, members },
                    Method::PUT,
                    Some(body),
                )
            }
        };
        let id = path
            .trim_start_matches("/Users/")
            .trim_start_matches("/Groups/");
        let id = id.split('?').next().unwrap_or(id).to_string();
        let base = if rng.random_bool(0.5) {
            let resource = if path.starts_with("/Users") {
                "Users"
            } else {
                "Groups"
            };
            let r = send(&c, Method::GET, &format!("/{resource}/{id}"), None, None).await;
            if r.status != 200 {
                assert!(r.status == 404 && resource == "Users", "{}", r.raw);
                continue;
            }
            r.etag.clone()
        } else {
            None
        };
        let names_a_member = matches!(change, Change::AddMember(_) | Change::PutGroup { .. })
            || (racy && path.starts_with("/Groups"));
        let r = send(&c, method, &path, body.as_ref(), base.as_deref()).await;
        if !(200..300).contains(&r.status) {
            // The refusals contention explains, and no others.
            let explained = match r.status {
                404 => path.starts_with("/Users"), // deleted meanwhile; groups never are
                412 => base.is_some(),
                400 => names_a_member && r.raw.contains("does not exist"),
                _ => false,
            };
            assert!(
                explained,
                "an unexpected refusal of {change:?}: {} {}",
                r.status, r.raw
            );
            continue;
        }
        let answered = match r.body.get("schemas") {
            None => None,
            Some(_) if path.starts_with("/Users") => Some(State::User(user_state(&r.body))),
            Some(_) => Some(State::Group(group_state(&r.body))),
        };
        let deleted = matches!(change, Change::DeleteUser);
        applied.push(Applied {
            writer: w,
            id,
            change,
            version: version(r.etag.as_deref()),
            base: version(base.as_deref()),
            answered,
            until: None,
        });
        if deleted {
            // The user's slot gets a new user, so the others keep contending.
            let r = create_user(&c, &format!("slot{slot}-w{w}s{seq}")).await;
            shared.users.lock().unwrap()[slot] = r.id.clone();
            if let Some(d) = applied.last_mut() {
                d.until = r.version;
            }
            applied.push(Applied { writer: w, ..r });
        }
    }
    applied
}

async fn create_user(c: &ScimClient, name: &str) -> Applied {
    let r = c
        .post("/Users", &json!({"schemas": [USER], "userName": name}))
        .await
        .unwrap();
    assert_eq!(r.status, 201, "{}", r.raw);
    Applied {
        writer: usize::MAX,
        id: r.body["id"].as_str().unwrap().to_string(),
        change: Change::CreateUser,
        version: version(r.etag.as_deref()),
        base: None,
        answered: Some(State::User(user_state(&r.body))),
        until: None,
    }
}

/// Runs the sixteen writers against `c` and returns how many writes were applied and what the
/// checker finds.
async fn contend(c: &ScimClient, racy: bool) -> (usize, Vec<String>) {
    let mut history = Vec::new();
    let mut users = Vec::new();
    for i in 0..USERS {
        let a = create_user(c, &format!("slot{i}-initial")).await;
        users.push(a.id.clone());
        history.push(a);
    }
    let mut groups = Vec::new();
    for i in 0..GROUPS {
        let name = format!("group-initial-{i}");
        let r = c
            .post("/Groups", &json!({"schemas": [GROUP], "displayName": name}))
            .await
            .unwrap();
        assert_eq!(r.status, 201, "{}", r.raw);
        let id = r.body["id"].as_str().unwrap().to_string();
        groups.push(id.clone());
        history.push(Applied {
            writer: usize::MAX,
            id,
            change: Change::CreateGroup(name),
            version: version(r.etag.as_deref()),
            base: None,
            answered: Some(State::Group(group_state(&r.body))),
            until: None,
        });
    }
    let shared = Arc::new(Shared {
        users: Mutex::new(users),
        groups,
    });
    let tasks: Vec<_> = (0..WRITERS)
        .map(|w| tokio::spawn(writer(c.clone(), shared.clone(), w, racy)))
        .collect();
    for t in tasks {
        history.extend(t.await.unwrap());
    }
    let mut actual = BTreeMap::new();
    let ids: BTreeSet<String> = history.iter().map(|a| a.id.clone()).collect();
    for id in ids {
        let user = send(c, Method::GET, &format!("/Users/{id}"), None, None).await;
        let state = if user.status == 200 {
            Some(State::User(user_state(&user.body)))
        } else {
            let group = send(c, Method::GET, &format!("/Groups/{id}"), None, None).await;
            (group.status == 200).then(|| State::Group(group_state(&group.body)))
        };
        actual.insert(id, state);
    }
    let listed = c.get("/Users?count=1000").await.unwrap();
    for u in listed.body["Resources"].as_array().into_iter().flatten() {
        let id = u["id"].as_str().unwrap_or("").to_string();
        actual
            .entry(id)
            .or_insert_with(|| Some(State::User(user_state(u))));
    }
    let applied = history.len();
    (applied, check(&history, &actual))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixteen_writers_lose_no_update() {
    let (_srv, c) = start().await;
    let (applied, problems) = contend(&c, false).await;
    eprintln!("{applied} writes applied, {} problems", problems.len());
    assert!(
        applied > WRITERS * OPS_PER_WRITER / 3,
        "only {applied} writes applied"
    );
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// PATCH done the way a server without versioning does it: read, pause, write back whole.
async fn racy_patch(inner: Router, req: Request<Body>) -> Response {
    if req.method() != axum::http::Method::PATCH {
        return inner.oneshot(req).await.into_response();
    }
    let (parts, body) = req.into_parts();
    let path = parts.uri.path().to_string();
    let get = |method: &str, body: Body| {
        let mut r = Request::builder().method(method).uri(&path);
        for name in [header::AUTHORIZATION, header::HOST] {
            if let Some(v) = parts.headers.get(&name) {
                r = r.header(name, v);
            }
        }
        r.header(header::CONTENT_TYPE, "application/scim+json")
            .body(body)
            .unwrap()
    };
    let current = inner
        .clone()
        .oneshot(get("GET", Body::empty()))
        .await
        .unwrap();
    if current.status() != StatusCode::OK {
        return current.into_response(); // a deleted user's 404
    }
    let etag = current.headers().get(header::ETAG).cloned();
    let current: Value = serde_json::from_slice(
        &axum::body::to_bytes(current.into_body(), 1 << 20)
            .await
            .unwrap(),
    )
    .unwrap_or(Value::Null);
    if let Some(want) = parts.headers.get(header::IF_MATCH)
        && Some(want) != etag.as_ref()
    {
        return StatusCode::PRECONDITION_FAILED.into_response();
    }
    tokio::time::sleep(Duration::from_millis(2)).await;
    let request: Value =
        serde_json::from_slice(&axum::body::to_bytes(body, 1 << 20).await.unwrap()).unwrap();
    let rt = if path.contains("/Groups/") {
        group_type()
    } else {
        user_type()
    };
    let opts = PatchOptions { compat: true };
    let new = match parse_request(&request, opts).and_then(|o| apply(&current, &o, rt, opts)) {
        Ok(new) => new,
        Err(_) => return StatusCode::BAD_REQUEST.into_response(),
    };
    inner
        .oneshot(get("PUT", Body::from(new.to_string())))
        .await
        .into_response()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_check_catches_the_updates_an_unversioned_patch_loses() {
    let srv = RunningReference::start_wrapped(
        ReferenceConfig {
            token: Some("t".into()),
            ..Default::default()
        },
        Arc::new(SystemClock),
        "127.0.0.1:0".parse().unwrap(),
        |inner| {
            Router::new().fallback_service(tower::service_fn(move |req| {
                let inner = inner.clone();
                async move { Ok::<_, std::convert::Infallible>(racy_patch(inner, req).await) }
            }))
        },
    )
    .await
    .unwrap();
    let c = ScimClient::new(&srv.base_url, Connection::bearer("t")).unwrap();
    let (applied, problems) = contend(&c, true).await;
    eprintln!(
        "unversioned PATCH: {applied} writes applied, {} problems",
        problems.len()
    );
    assert!(
        problems.iter().any(|p| p.contains("the replay gives")),
        "lost updates went unnoticed; found only: {problems:?}"
    );
}

/// Regression: a group PATCH that asks for a body (`attributes`) answered with a second read
/// taken after its write, so under contention it showed, and versioned, another client's later
/// write; two answers then carried the same ETag. Each answer is now taken with its write.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_group_patch_answers_with_its_own_version() {
    let (_srv, c) = start().await;
    let r = c
        .post(
            "/Groups",
            &json!({"schemas": [GROUP], "displayName": "crowded"}),
        )
        .await
        .unwrap();
    let group = r.body["id"].as_str().unwrap().to_string();
    let tasks: Vec<_> = (0..WRITERS)
        .map(|w| {
            let (c, group) = (c.clone(), group.clone());
            tokio::spawn(async move {
                let mut mine = Vec::new();
                for i in 0..30 {
                    mine.push(create_user(&c, &format!("m{w}-{i}")).await.id);
                }
                let mut answers = Vec::new();
                for m in mine {
                    let body =
                        ops(json!([{"op": "add", "path": "members", "value": [{"value": m}]}]));
                    let path = format!("/Groups/{group}?attributes=members");
                    let r = send(&c, Method::PATCH, &path, Some(&body), None).await;
                    assert_eq!(r.status, 200, "{}", r.raw);
                    answers.push((m, version(r.etag.as_deref()).unwrap(), group_state(&r.body)));
                }
                answers
            })
        })
        .collect();
    let mut answers = Vec::new();
    for t in tasks {
        answers.extend(t.await.unwrap());
    }
    answers.sort_by_key(|a| a.1);
    let mut so_far = BTreeSet::new();
    for (i, (m, v, state)) in answers.iter().enumerate() {
        assert!(
            i == 0 || answers[i - 1].1 < *v,
            "version {v} answered twice"
        );
        so_far.insert(m.clone());
        assert_eq!(
            &state.members, &so_far,
            "the answer at version {v} is not its own write's"
        );
    }
}
