//! The admin API against its OpenAPI description (`openapi/usersync-admin.json`): every
//! documented path and method is served by the live router, and every `/admin/v1` route the
//! router serves is documented. Plus a walk through the API's main answers.

use scim_harness::client::Connection;
use scim_harness::reference::admin::ROUTES;
use scim_harness::reference::config::ReferenceConfig;
use scim_harness::reference::server::RunningReference;
use serde_json::{Value, json};
use std::collections::BTreeSet;

const TOKEN: &str = "admin-api-test-token";

async fn start() -> RunningReference {
    crate::common::reference(ReferenceConfig {
        token: Some(TOKEN.into()),
        ..Default::default()
    })
    .await
}

fn documented() -> BTreeSet<(String, String)> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/openapi/usersync-admin.json"
    ))
    .expect("the OpenAPI file exists");
    let doc: Value = serde_json::from_str(&text).expect("the OpenAPI file is JSON");
    assert!(
        doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")),
        "an OpenAPI 3 document"
    );
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, _) in item.as_object().expect("a path item") {
            out.insert((method.to_uppercase(), path.clone()));
        }
    }
    out
}

/// The routes the router serves under /admin/v1: the admin table plus the limits document
/// served by `reference::http` (and the domain-verification routes, documented elsewhere).
fn served() -> BTreeSet<(String, String)> {
    let mut s: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(m, p)| (m.to_uppercase(), p.to_string()))
        .collect();
    s.insert(("GET".into(), "/admin/v1/limits".into()));
    s
}

fn concrete(path: &str) -> String {
    path.split('/')
        .map(|seg| {
            if seg.starts_with('{') {
                match seg {
                    "{domain}" => "example.org".to_string(),
                    "{product}" | "{user_name}" => "nobody".to_string(),
                    _ => uuid::Uuid::new_v4().to_string(),
                }
            } else {
                seg.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[test]
fn the_openapi_file_and_the_route_table_agree() {
    let doc = documented();
    let served = served();
    let missing: Vec<_> = served.difference(&doc).collect();
    let extra: Vec<_> = doc.difference(&served).collect();
    assert!(missing.is_empty(), "served but not documented: {missing:?}");
    assert!(extra.is_empty(), "documented but not served: {extra:?}");
}

#[tokio::test]
async fn every_documented_operation_is_served_by_the_live_router() {
    let srv = start().await;
    let http = reqwest::Client::new();
    for (method, path) in documented() {
        let url = format!("{}{}", srv.base_url, concrete(&path));
        let m = reqwest::Method::from_bytes(method.as_bytes()).expect("a method");
        let mut req = http.request(m, &url).bearer_auth(TOKEN);
        if matches!(method.as_str(), "PUT" | "POST") {
            req = req.header("content-type", "application/json").body("{}");
        }
        let resp = req.send().await.expect("an answer");
        let status = resp.status().as_u16();
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        let fallback = body["detail"].as_str() == Some("no such endpoint");
        assert!(
            status != 405 && !fallback,
            "{method} {path} is not routed: {status} {body}"
        );
        // The bearer token is required like everywhere else.
        let anon = http
            .request(
                reqwest::Method::from_bytes(method.as_bytes()).expect("a method"),
                &url,
            )
            .send()
            .await
            .expect("an answer");
        assert_eq!(
            anon.status().as_u16(),
            401,
            "{method} {path} without a token"
        );
    }
    srv.stop().await;
}

#[tokio::test]
async fn the_switch_refuses_without_prerequisites_and_rules_are_ordered() {
    let srv = start().await;
    let c = scim_harness::client::ScimClient::new(&srv.base_url, Connection::bearer(TOKEN))
        .expect("a client");
    let r = c
        .put("/admin/v1/usersync/switch", &json!({"on": true}))
        .await
        .expect("an answer");
    assert_eq!(r.status, 409);
    let unmet = r.body["unmetPrerequisites"]
        .as_array()
        .expect("a list")
        .len();
    assert_eq!(unmet, 4, "admin, domain, groups, users: {}", r.body);

    let g = c
        .post(
            "/Groups",
            &json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Sales"}),
        )
        .await
        .expect("a group");
    let gid = g.body["id"].as_str().expect("an id").to_string();
    let bad = c
        .post("/admin/v1/usersync/rules", &json!({"groupId": gid}))
        .await
        .expect("an answer");
    assert_eq!(
        bad.status, 400,
        "a rule without products or role: {}",
        bad.body
    );
    let r1 = c
        .post(
            "/admin/v1/usersync/rules",
            &json!({"groupId": gid, "products": ["Meeting"]}),
        )
        .await
        .expect("a rule");
    assert_eq!(r1.status, 201);
    let r2 = c
        .post(
            "/admin/v1/usersync/rules",
            &json!({"groupId": gid, "products": ["Webinar"], "priority": 1}),
        )
        .await
        .expect("a rule");
    assert_eq!(r2.body["priority"], 1);
    let list = c.get("/admin/v1/usersync/rules").await.expect("rules");
    assert_eq!(list.body["rules"][0]["id"], r2.body["id"]);
    assert_eq!(list.body["rules"][1]["priority"], 2);
    assert_eq!(list.body["rules"][1]["groupDisplayName"], "Sales");
    let order = c
        .put(
            "/admin/v1/usersync/rule-order",
            &json!({"ruleIds": [r2.body["id"]]}),
        )
        .await
        .expect("an answer");
    assert_eq!(order.status, 400, "an order must list every rule");
    let wait = c
        .get("/admin/v1/usersync/sequence/wait?sequence=0&timeoutMs=10")
        .await
        .expect("an answer");
    assert_eq!(wait.body["reached"], true);
    let never = c
        .get("/admin/v1/usersync/sequence/wait?sequence=999999&timeoutMs=20")
        .await
        .expect("an answer");
    assert_eq!(never.body["reached"], false, "bounded, not a hang");
    srv.stop().await;
}

/// Whether `path` is an instance of the route `template` (`{x}` matches one segment).
fn instance_of(template: &str, path: &str) -> bool {
    let (t, p): (Vec<&str>, Vec<&str>) = (template.split('/').collect(), path.split('/').collect());
    t.len() == p.len()
        && t.iter()
            .zip(&p)
            .all(|(t, p)| t == p || (t.starts_with('{') && !p.is_empty()))
}

/// Every path the typed admin client builds is one the router serves, so the two cannot
/// drift apart. The domain-verification routes are listed here (documented elsewhere).
#[test]
fn every_admin_client_path_is_served() {
    let mut templates: Vec<String> = served().into_iter().map(|(_, p)| p).collect();
    templates.extend(
        [
            "/admin/v1/domains",
            "/admin/v1/domains/{domain}",
            "/admin/v1/domains/{domain}/code",
            "/admin/v1/domains/{domain}/verify",
            "/admin/v1/test/clock",
            "/admin/v1/test/clock/advance",
            "/admin/v1/test/verification-servers",
        ]
        .map(String::from),
    );
    let examples = scim_harness::client::admin::path::examples();
    assert!(examples.len() > 30, "every path function has an example");
    for p in examples {
        let bare = p.split('?').next().unwrap_or_default();
        assert!(
            templates.iter().any(|t| instance_of(t, bare)),
            "the admin client builds {p}, which no route serves"
        );
    }
}
