//! The identity provider's own requests, sent as the provider sends them (BEHAVIOUR E-F-01,
//! E-U-01). The provider never reads `/ServiceProviderConfig`: it looks users up with `eq`
//! filters whatever the target advertises, and it creates users with the enterprise extension
//! in the body. The recorder cites the provider's documentation for these checks.

use super::discovery::list_resources;
use super::lifecycle::{own_email, reason};
use super::{ensure, get_ci, show};
use crate::conformance::ScimWorld;
use crate::conformance::assert::StepResult;
use crate::conformance::world::ENTERPRISE;
use crate::scim::schema::USER_SCHEMA;
use cucumber::{then, when};
use serde_json::{Map, Value, json};

#[when(
    regex = r#"^the provider looks up users by (userName|externalId) equal to that of "([^"]+)"$"#
)]
async fn provider_lookup(w: &mut ScimWorld, attr: String, name: String) -> StepResult {
    let value = if attr == "userName" {
        w.user(&name)?.real_name
    } else {
        w.user(&name)?;
        w.external_id(&name)
    };
    let filter = format!("{attr} eq \"{value}\"");
    w.filter_users(&filter).await.map(|_| ())
}

#[then(regex = r#"^exactly user "([^"]+)" is found in a ListResponse$"#)]
async fn exactly_user(w: &mut ScimWorld, name: String) -> StepResult {
    let want = w.user(&name)?;
    let items = list_resources(w)?;
    let total = get_ci(&w.response()?.body, "totalResults").and_then(Value::as_u64);
    let ids: Vec<String> = items.iter().map(|i| show(get_ci(i, "id"))).collect();
    let actual = if items.is_empty() {
        format!(
            "no user (totalResults {}): the lookup silently found nothing, so the provider would create a duplicate",
            total.map_or("(absent)".into(), |t| t.to_string())
        )
    } else {
        format!(
            "{} user(s) [{}], totalResults {}",
            items.len(),
            items
                .iter()
                .map(|i| show(get_ci(i, "userName")))
                .collect::<Vec<_>>()
                .join(", "),
            total.map_or("(absent)".into(), |t| t.to_string())
        )
    };
    ensure(
        ids == [want.id.clone()] && total == Some(1),
        w.last.as_ref(),
        "RFC 7644 §3.4.2.2",
        "an eq lookup by a matching attribute finds exactly the user it names",
        format!("1 user, {}, totalResults 1", want.real_name),
        actual,
    )
}

#[when(regex = r#"^the provider creates user "([^"]+)" with its create request$"#)]
async fn provider_creates(w: &mut ScimWorld, name: String) -> StepResult {
    let user_name = w.user_name(&name);
    let mut given = name.chars();
    let given: String = given
        .next()
        .map(|c| c.to_uppercase().chain(given).collect())
        .unwrap_or_default();
    let mut body = Map::new();
    body.insert("schemas".into(), json!([USER_SCHEMA, ENTERPRISE]));
    body.insert("externalId".into(), json!(w.external_id(&name)));
    body.insert("userName".into(), json!(user_name));
    body.insert("active".into(), json!(true));
    body.insert(
        "emails".into(),
        json!([{"primary": true, "type": "work", "value": own_email(w, &name)}]),
    );
    body.insert(
        "name".into(),
        json!({"givenName": given, "familyName": "Tester"}),
    );
    body.insert(ENTERPRISE.into(), json!({"department": "Sales"}));
    let body = Value::Object(body);
    w.post_user(&body).await.map(|_| ())
}

#[then(regex = r"^the user is created with an id$")]
async fn created_with_id(w: &mut ScimWorld) -> StepResult {
    let r = w.response()?;
    let id = get_ci(&r.body, "id").and_then(Value::as_str).unwrap_or("");
    ensure(
        r.status == 201 && !id.is_empty(),
        w.last.as_ref(),
        "RFC 7644 §3.3",
        "the provider's create request (core and enterprise schemas, externalId, userName, active, a primary work email, name, enterprise department) answers 201 Created with an id",
        "201 with an id",
        match r.status {
            201 => "201 without an id".to_string(),
            s if (200..300).contains(&s) => format!("{s}, not 201 Created"),
            s => format!("{s}: {}", reason(r)),
        },
    )
}
