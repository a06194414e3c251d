//! Creating, reading, replacing and deleting users (RFC 7644 §3.3-§3.6), and the attribute
//! rules that apply to them (RFC 7643 §2.2, §7; RFC 7644 §3.9).

use super::{ensure, get_ci, lookup, matches_text, show};
use crate::client::encode;
use crate::conformance::ScimWorld;
use crate::conformance::assert::{Checks, Failure, StepResult};
use crate::conformance::world::ENTERPRISE;
use crate::scim::schema::USER_SCHEMA;
use cucumber::gherkin::Step;
use cucumber::{given, then, when};
use reqwest::Method;
use serde_json::{Value, json};

#[given(regex = r#"^a user "([^"]+)"$"#)]
async fn a_user(w: &mut ScimWorld, name: String) -> StepResult {
    let body = w.user_body(&name, Some(&format!("{name}@example.com")));
    w.create_user(&name, &body).await.map(|_| ())
}

#[given(regex = r#"^a user "([^"]+)" with email "([^"]+)"$"#)]
async fn a_user_with_email(w: &mut ScimWorld, name: String, email: String) -> StepResult {
    let body = w.user_body(&name, Some(&email));
    w.create_user(&name, &body).await.map(|_| ())
}

/// `Given these users:` with a header row; columns: user, givenName, familyName, title,
/// nickName, email, emailType, active, externalId, department. Empty cells are left out.
#[given(regex = r"^these users:$")]
async fn these_users(w: &mut ScimWorld, step: &Step) -> StepResult {
    let table = step
        .table
        .as_ref()
        .ok_or_else(|| Failure::suite("the step needs a table"))?;
    let header = table.rows.first().cloned().unwrap_or_default();
    for row in table.rows.iter().skip(1) {
        let cell = |name: &str| {
            header
                .iter()
                .position(|h| h == name)
                .and_then(|i| row.get(i))
                .map(String::as_str)
                .filter(|s| !s.is_empty())
        };
        let name = cell("user").ok_or_else(|| Failure::suite("a row without a user"))?;
        let mut body = w.user_body(name, None);
        let o = body
            .as_object_mut()
            .ok_or_else(|| Failure::suite("user body is not an object"))?;
        if let Some(g) = cell("givenName") {
            o.insert("name".into(), json!({"givenName": g}));
        }
        if let Some(f) = cell("familyName") {
            match o.get_mut("name").and_then(Value::as_object_mut) {
                Some(n) => {
                    n.insert("familyName".into(), json!(f));
                }
                None => {
                    o.insert("name".into(), json!({"familyName": f}));
                }
            }
        } else if let Some(n) = o.get_mut("name").and_then(Value::as_object_mut) {
            n.remove("familyName");
        }
        for attr in ["title", "nickName"] {
            if let Some(v) = cell(attr) {
                o.insert(attr.into(), json!(v));
            }
        }
        if let Some(e) = cell("email") {
            let ty = cell("emailType").unwrap_or("work");
            o.insert(
                "emails".into(),
                json!([{"value": w.email(e), "type": ty, "primary": true}]),
            );
        }
        if let Some(a) = cell("active") {
            o.insert("active".into(), json!(a == "true"));
        }
        if let Some(x) = cell("externalId") {
            o.insert("externalId".into(), json!(w.external_id(x)));
        }
        if let Some(d) = cell("department") {
            o.insert("schemas".into(), json!([USER_SCHEMA, ENTERPRISE]));
            o.insert(ENTERPRISE.into(), json!({"department": d}));
        }
        w.shape(&mut body);
        w.create_user(name, &body).await?;
    }
    Ok(())
}

#[given(regex = r#"^(\d+) users named "([^"]+)"$"#)]
async fn n_users(w: &mut ScimWorld, n: usize, base: String) -> StepResult {
    for i in 1..=n {
        let name = format!("{base}-{i}");
        let body = w.user_body(&name, None);
        w.create_user(&name, &body).await?;
    }
    Ok(())
}

#[when(regex = r#"^I create a user "([^"]+)" with email "([^"]+)"$"#)]
async fn create_user(w: &mut ScimWorld, name: String, email: String) -> StepResult {
    let body = w.user_body(&name, Some(&email));
    post_user(w, &name, &body).await
}

/// POSTs a user and tracks it for clean-up whatever the status.
async fn post_user(w: &mut ScimWorld, name: &str, body: &Value) -> StepResult {
    let r = w.call(Method::POST, "/Users", Some(body), &[]).await?;
    if let Some(id) = r.body.get("id").and_then(Value::as_str) {
        w.cleanup.push(("Users".into(), id.to_string()));
        if r.status == 201 {
            w.users.insert(
                name.to_string(),
                crate::conformance::world::Created {
                    id: id.to_string(),
                    real_name: w.user_name(name),
                },
            );
        }
    }
    Ok(())
}

#[when(regex = r#"^I create a user "([^"]+)" with the password "([^"]+)"$"#)]
async fn create_with_password(w: &mut ScimWorld, name: String, pw: String) -> StepResult {
    let mut body = w.user_body(&name, None);
    if let Some(o) = body.as_object_mut() {
        o.insert("password".into(), json!(pw));
    }
    post_user(w, &name, &body).await
}

#[when(
    regex = r#"^I create a user "([^"]+)" giving my own id "([^"]+)" and creation date "([^"]+)"$"#
)]
async fn create_with_read_only(
    w: &mut ScimWorld,
    name: String,
    id: String,
    created: String,
) -> StepResult {
    let mut body = w.user_body(&name, None);
    if let Some(o) = body.as_object_mut() {
        o.insert("id".into(), json!(id));
        o.insert("meta".into(), json!({"created": created}));
    }
    post_user(w, &name, &body).await
}

#[when(regex = r#"^I create another user with the userName of "([^"]+)"( in upper case|)$"#)]
async fn create_duplicate(w: &mut ScimWorld, name: String, upper: String) -> StepResult {
    let mut real = w.user(&name)?.real_name;
    if !upper.is_empty() {
        real = real.to_uppercase();
    }
    let mut body = w.user_body(&format!("{name}-twin"), None);
    if let Some(o) = body.as_object_mut() {
        o.insert("userName".into(), json!(real));
    }
    post_user(w, &format!("{name}-twin"), &body).await
}

#[when(regex = r"^I create a user without a userName$")]
async fn create_without_user_name(w: &mut ScimWorld) -> StepResult {
    let mut body = w.user_body("nameless", None);
    if let Some(o) = body.as_object_mut() {
        o.remove("userName");
    }
    post_user(w, "nameless", &body).await
}

#[when(regex = r#"^I read user "([^"]+)"$"#)]
async fn read_user(w: &mut ScimWorld, name: String) -> StepResult {
    let id = w.user(&name)?.id;
    w.read("Users", &id).await.map(|_| ())
}

#[when(regex = r#"^I read user "([^"]+)" asking only for "([^"]+)"$"#)]
async fn read_user_attrs(w: &mut ScimWorld, name: String, attrs: String) -> StepResult {
    let id = w.user(&name)?.id;
    let path = format!("/Users/{id}?attributes={}", encode(&attrs));
    w.call(Method::GET, &path, None, &[]).await.map(|_| ())
}

#[when(regex = r#"^I read user "([^"]+)" without "([^"]+)"$"#)]
async fn read_user_excluding(w: &mut ScimWorld, name: String, attrs: String) -> StepResult {
    let id = w.user(&name)?.id;
    let path = format!("/Users/{id}?excludedAttributes={}", encode(&attrs));
    w.call(Method::GET, &path, None, &[]).await.map(|_| ())
}

#[when(regex = r"^I read a user that does not exist$")]
async fn read_missing(w: &mut ScimWorld) -> StepResult {
    let path = format!("/Users/{}", uuid::Uuid::new_v4());
    w.call(Method::GET, &path, None, &[]).await.map(|_| ())
}

#[when(
    regex = r#"^I replace user "([^"]+)" with displayName "([^"]+)" and a made-up id and creation date$"#
)]
async fn replace_user(w: &mut ScimWorld, name: String, display: String) -> StepResult {
    let u = w.user(&name)?;
    let mut body = w.user_body(&name, Some(&format!("{name}@example.com")));
    if let Some(o) = body.as_object_mut() {
        o.insert("displayName".into(), json!(w.display_name(&display)));
        o.insert("id".into(), json!(uuid::Uuid::new_v4().to_string()));
        o.insert("meta".into(), json!({"created": "1999-01-01T00:00:00Z"}));
    }
    let path = format!("/Users/{}", u.id);
    w.call(Method::PUT, &path, Some(&body), &[])
        .await
        .map(|_| ())
}

#[when(regex = r#"^I delete user "([^"]+)"$"#)]
async fn delete_user(w: &mut ScimWorld, name: String) -> StepResult {
    let id = w.user(&name)?.id;
    let path = format!("/Users/{id}");
    w.call(Method::DELETE, &path, None, &[]).await.map(|_| ())
}

#[then(regex = r"^the user is created with a Location header pointing to it$")]
async fn created_with_location(w: &mut ScimWorld) -> StepResult {
    let r = w.response()?.clone();
    let x = w.last.clone();
    ensure(
        r.status == 201,
        x.as_ref(),
        "RFC 7644 §3.3",
        "a successful create answers 201 Created",
        201,
        r.status,
    )?;
    let mut c = Checks::new();
    let id = get_ci(&r.body, "id").and_then(Value::as_str).unwrap_or("");
    c.add(ensure(
        !id.is_empty(),
        x.as_ref(),
        "RFC 7643 §3.1",
        "a created resource has a server-assigned id",
        "an id",
        "(absent)",
    ))?;
    let loc = r.location.clone().unwrap_or_default();
    c.add(ensure(
        loc.ends_with(&format!("/Users/{id}")),
        x.as_ref(),
        "RFC 7644 §3.3",
        "the Location header holds the new resource's URI",
        ".../Users/{id}",
        if loc.is_empty() {
            "(no Location header)".into()
        } else {
            loc.clone()
        },
    ))?;
    let meta_loc = lookup(&r.body, "meta.location");
    c.add(ensure(
        loc.is_empty() || meta_loc.and_then(Value::as_str) == Some(loc.as_str()),
        x.as_ref(),
        "RFC 7644 §3.3",
        "the Location header equals meta.location",
        &loc,
        show(meta_loc),
    ))?;
    c.finish()
}

#[then(
    regex = r#"^the response carries meta with resourceType "(\w+)", created, lastModified and location$"#
)]
async fn carries_meta(w: &mut ScimWorld, rt: String) -> StepResult {
    let r = w.response()?;
    let x = w.last.as_ref();
    let mut c = Checks::new();
    let got = lookup(&r.body, "meta.resourceType");
    c.add(ensure(
        got.and_then(Value::as_str) == Some(rt.as_str()),
        x,
        "RFC 7643 §3.1",
        "meta.resourceType names the resource type",
        &rt,
        show(got),
    ))?;
    for field in ["created", "lastModified"] {
        let v = lookup(&r.body, &format!("meta.{field}"));
        let ok = v
            .and_then(Value::as_str)
            .is_some_and(|s| chrono::DateTime::parse_from_rfc3339(s).is_ok());
        c.add(ensure(
            ok,
            x,
            "RFC 7643 §3.1",
            &format!("meta.{field} is an xsd:dateTime"),
            "a date-time like 2024-01-01T00:00:00Z",
            format!("{} ({})", show(v), super::json_kind(v)),
        ))?;
    }
    let loc = lookup(&r.body, "meta.location");
    c.add(ensure(
        loc.and_then(Value::as_str).is_some(),
        x,
        "RFC 7643 §3.1",
        "meta.location is present",
        "a URI",
        show(loc),
    ))?;
    c.finish()
}

#[then(regex = r#"^the returned user is "([^"]+)"$"#)]
async fn returned_user_is(w: &mut ScimWorld, name: String) -> StepResult {
    let want = w.user(&name)?;
    let r = w.response()?;
    let got = get_ci(&r.body, "userName");
    ensure(
        r.status == 200
            && got
                .and_then(Value::as_str)
                .is_some_and(|g| g.eq_ignore_ascii_case(&want.real_name)),
        w.last.as_ref(),
        "RFC 7644 §3.4.1",
        "reading a resource by id returns it with 200",
        format!("200 with userName {}", want.real_name),
        format!("{} with userName {}", r.status, show(got)),
    )
}

#[then(regex = r"^the server assigned its own id and creation date$")]
async fn own_id(w: &mut ScimWorld) -> StepResult {
    let r = w.response()?;
    let x = w.last.as_ref();
    ensure(
        r.status == 201,
        x,
        "RFC 7644 §3.3",
        "a create with readOnly values in it still succeeds",
        201,
        r.status,
    )?;
    let id = get_ci(&r.body, "id");
    ensure(
        id.and_then(Value::as_str).is_some_and(|i| i != "my-own-id"),
        x,
        "RFC 7644 §3.3, RFC 7643 §3.1",
        "readOnly values in a request are ignored: the server assigns the id",
        "an id other than my-own-id",
        show(id),
    )?;
    let created = lookup(&r.body, "meta.created");
    ensure(
        created
            .and_then(Value::as_str)
            .is_some_and(|c| !c.starts_with("1999")),
        x,
        "RFC 7644 §3.3, RFC 7643 §3.1",
        "readOnly values in a request are ignored: the server sets meta.created",
        "a creation date other than 1999-01-01",
        show(created),
    )
}

#[then(regex = r#"^user "([^"]+)" keeps its id and creation date$"#)]
async fn keeps_id(w: &mut ScimWorld, name: String) -> StepResult {
    let u = w.user(&name)?;
    let r = w.response()?;
    let x = w.last.as_ref();
    ensure(
        r.status == 200,
        x,
        "RFC 7644 §3.5.1",
        "a successful replace answers 200 with the resource",
        200,
        r.status,
    )?;
    let id = get_ci(&r.body, "id");
    ensure(
        id.and_then(Value::as_str) == Some(u.id.as_str()),
        x,
        "RFC 7644 §3.5.1",
        "PUT ignores readOnly values: the id does not change",
        &u.id,
        show(id),
    )?;
    let created = lookup(&r.body, "meta.created");
    ensure(
        created
            .and_then(Value::as_str)
            .is_some_and(|c| !c.starts_with("1999")),
        x,
        "RFC 7644 §3.5.1",
        "PUT ignores readOnly values: meta.created does not change",
        "the original creation date",
        show(created),
    )
}

/// Reads a user afresh and returns its body (200 required).
pub async fn fetch_user(w: &mut ScimWorld, name: &str) -> Result<Value, Failure> {
    let id = w.user(name)?.id;
    let r = w.read("Users", &id).await?;
    ensure(
        r.status == 200,
        w.last.as_ref(),
        "RFC 7644 §3.4.1",
        &format!("user \"{name}\" can be read"),
        200,
        r.status,
    )?;
    Ok(r.body)
}

#[then(regex = r#"^user "([^"]+)" has ((?:[^\s\[]|\[[^\]]*\])+) "([^"]*)"$"#)]
async fn user_has(w: &mut ScimWorld, name: String, path: String, want: String) -> StepResult {
    w.applicable(&path)?;
    let want = w.expected_value(&path, &want);
    let body = fetch_user(w, &name).await?;
    let got = lookup(&body, &path);
    ensure(
        got.is_some_and(|g| matches_text(g, &want)),
        w.last.as_ref(),
        "RFC 7644 §3.5",
        &format!("user \"{name}\" has {path} \"{want}\""),
        &want,
        show(got),
    )
}

#[then(regex = r#"^user "([^"]+)" has no ((?:[^\s\[]|\[[^\]]*\])+)$"#)]
async fn user_lacks(w: &mut ScimWorld, name: String, path: String) -> StepResult {
    w.applicable(&path)?;
    let body = fetch_user(w, &name).await?;
    let got = lookup(&body, &path);
    ensure(
        got.is_none_or(|g| g.is_null() || g.as_array().is_some_and(Vec::is_empty)),
        w.last.as_ref(),
        "RFC 7644 §3.5.2.2",
        &format!("user \"{name}\" has no {path}"),
        "(absent)",
        show(got),
    )
}

#[then(regex = r#"^user "([^"]+)" is (active|inactive)$"#)]
async fn user_active(w: &mut ScimWorld, name: String, state: String) -> StepResult {
    let body = fetch_user(w, &name).await?;
    let got = get_ci(&body, "active");
    let want = state == "active";
    ensure(
        got == Some(&Value::Bool(want)),
        w.last.as_ref(),
        "RFC 7643 §4.1.1",
        &format!("user \"{name}\" is {state} (active is a boolean)"),
        want,
        show(got),
    )
}

#[then(regex = r#"^user "([^"]+)" has (\d+) emails?$"#)]
async fn user_email_count(w: &mut ScimWorld, name: String, n: usize) -> StepResult {
    let body = fetch_user(w, &name).await?;
    let emails = get_ci(&body, "emails")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    ensure(
        emails.len() == n,
        w.last.as_ref(),
        "RFC 7644 §3.5.2.1",
        &format!("user \"{name}\" has {n} email(s), without duplicates"),
        n,
        emails.len(),
    )
}

#[then(regex = r#"^user "([^"]+)" has exactly one primary email, "([^"]+)"$"#)]
async fn one_primary(w: &mut ScimWorld, name: String, email: String) -> StepResult {
    let email = w.email(&email);
    let body = fetch_user(w, &name).await?;
    let emails = get_ci(&body, "emails")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let primaries: Vec<String> = emails
        .iter()
        .filter(|e| get_ci(e, "primary") == Some(&Value::Bool(true)))
        .map(|e| show(get_ci(e, "value")))
        .collect();
    ensure(
        primaries == vec![email.clone()],
        w.last.as_ref(),
        "RFC 7643 §2.4, RFC 7644 §3.5.2",
        "the primary value \"true\" appears no more than once; the newest primary wins",
        &email,
        if primaries.is_empty() {
            "(no primary)".into()
        } else {
            primaries.join(", ")
        },
    )
}

#[then(regex = r#"^user "([^"]+)" no longer exists$"#)]
async fn user_gone(w: &mut ScimWorld, name: String) -> StepResult {
    let id = w.user(&name)?.id;
    let r = w.read("Users", &id).await?;
    ensure(
        r.status == 404,
        w.last.as_ref(),
        "RFC 7644 §3.6",
        "a deleted resource is not found afterwards",
        404,
        r.status,
    )?;
    super::check_error_body(w)
}

#[then(regex = r#"^no user named "([^"]+)" exists$"#)]
async fn no_user_named(w: &mut ScimWorld, name: String) -> StepResult {
    let filter = format!("userName eq \"{}\"", w.user_name(&name));
    let r = w.filter_users(&filter).await?;
    let total = get_ci(&r.body, "totalResults").and_then(Value::as_u64);
    ensure(
        r.status == 200 && total == Some(0),
        w.last.as_ref(),
        "RFC 7644 §3.7.3",
        &format!("user \"{name}\" was not created"),
        "totalResults 0",
        format!(
            "{} with totalResults {}",
            r.status,
            total.map_or("(absent)".into(), |t| t.to_string())
        ),
    )
}

#[then(regex = r#"^user "([^"]+)" keeps its userName$"#)]
async fn keeps_user_name(w: &mut ScimWorld, name: String) -> StepResult {
    let want = w.user(&name)?.real_name;
    let body = fetch_user(w, &name).await?;
    let got = get_ci(&body, "userName");
    ensure(
        got.and_then(Value::as_str) == Some(want.as_str()),
        w.last.as_ref(),
        "RFC 7644 §3.5.2",
        "a refused PATCH changes nothing: the userName is the one it had",
        &want,
        show(got),
    )
}
