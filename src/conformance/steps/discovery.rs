//! Discovery (RFC 7644 §4, RFC 7643 §5-§7): the configuration, schemas and resource types, and
//! checks that advertised limits are enforced.

use super::{ensure, get_ci, show};
use crate::conformance::ScimWorld;
use crate::conformance::assert::{Failure, StepResult};
use crate::scim::schema::{LIST_RESPONSE, USER_SCHEMA};
use cucumber::{then, when};
use reqwest::Method;
use serde_json::Value;

#[when(regex = r"^I read the service provider configuration$")]
async fn read_spc(w: &mut ScimWorld) -> StepResult {
    w.call(Method::GET, "/ServiceProviderConfig", None, &[])
        .await
        .map(|_| ())
}

#[when(regex = r"^I read the service provider configuration with a filter$")]
async fn read_spc_filtered(w: &mut ScimWorld) -> StepResult {
    let path = format!(
        "/ServiceProviderConfig?filter={}",
        crate::client::encode("patch.supported eq true")
    );
    w.call(Method::GET, &path, None, &[]).await.map(|_| ())
}

#[when(regex = r"^I read the (schemas|resource types)$")]
async fn read_list(w: &mut ScimWorld, what: String) -> StepResult {
    let path = if what == "schemas" {
        "/Schemas"
    } else {
        "/ResourceTypes"
    };
    w.call(Method::GET, path, None, &[]).await.map(|_| ())
}

#[when(regex = r#"^I read the (schema|resource type) "([^"]+)"$"#)]
async fn read_one(w: &mut ScimWorld, what: String, id: String) -> StepResult {
    let path = if what == "schema" {
        format!("/Schemas/{id}")
    } else {
        format!("/ResourceTypes/{id}")
    };
    w.call(Method::GET, &path, None, &[]).await.map(|_| ())
}

#[then(regex = r"^the configuration says whether (.+) are supported$")]
async fn declares_support(w: &mut ScimWorld, list: String) -> StepResult {
    let r = w.response()?;
    for feature in super::names(&list) {
        let got = get_ci(&r.body, &feature).and_then(|o| get_ci(o, "supported"));
        ensure(
            got.is_some_and(Value::is_boolean),
            w.last.as_ref(),
            "RFC 7643 §5",
            &format!("the configuration declares {feature}.supported as a boolean"),
            "true or false",
            show(got),
        )?;
    }
    Ok(())
}

#[then(regex = r"^the configuration lists an authentication scheme$")]
async fn lists_auth(w: &mut ScimWorld) -> StepResult {
    let r = w.response()?;
    let schemes = get_ci(&r.body, "authenticationSchemes").and_then(Value::as_array);
    let ok = schemes.is_some_and(|a| {
        !a.is_empty()
            && a.iter()
                .all(|s| get_ci(s, "type").is_some() && get_ci(s, "name").is_some())
    });
    ensure(
        ok,
        w.last.as_ref(),
        "RFC 7643 §5",
        "authenticationSchemes lists at least one scheme with a type and a name",
        "a non-empty list",
        show(get_ci(&r.body, "authenticationSchemes")),
    )
}

/// Checks that the last response is a ListResponse (RFC 7644 §3.4.2) and returns its resources.
pub fn list_resources(w: &ScimWorld) -> Result<Vec<Value>, Failure> {
    let r = w.response()?;
    let x = w.last.as_ref();
    ensure(
        r.status == 200,
        x,
        "RFC 7644 §3.4.2",
        "a query answers 200",
        200,
        r.status,
    )?;
    let schemas_ok = get_ci(&r.body, "schemas")
        .and_then(Value::as_array)
        .is_some_and(|a| a.iter().any(|s| s.as_str() == Some(LIST_RESPONSE)));
    ensure(
        schemas_ok,
        x,
        "RFC 7644 §3.4.2",
        "a query answers with a ListResponse",
        LIST_RESPONSE,
        show(get_ci(&r.body, "schemas")),
    )?;
    let total = get_ci(&r.body, "totalResults");
    ensure(
        total.is_some_and(Value::is_u64),
        x,
        "RFC 7644 §3.4.2",
        "a ListResponse has totalResults",
        "a non-negative integer",
        show(total),
    )?;
    Ok(get_ci(&r.body, "Resources")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default())
}

#[then(regex = r"^the response is a ListResponse$")]
async fn is_list(w: &mut ScimWorld) -> StepResult {
    list_resources(w).map(|_| ())
}

#[then(regex = r#"^the list contains the schema "([^"]+)"$"#)]
async fn list_has_schema(w: &mut ScimWorld, id: String) -> StepResult {
    let items = list_resources(w)?;
    let ids: Vec<String> = items
        .iter()
        .filter_map(|i| get_ci(i, "id").and_then(Value::as_str).map(str::to_string))
        .collect();
    ensure(
        ids.contains(&id),
        w.last.as_ref(),
        "RFC 7644 §4",
        "/Schemas lists every schema the service provider supports",
        &id,
        ids.join(", "),
    )
}

#[then(regex = r#"^the list contains the resource type "(\w+)" at endpoint "([^"]+)"$"#)]
async fn list_has_type(w: &mut ScimWorld, name: String, endpoint: String) -> StepResult {
    let items = list_resources(w)?;
    let found = items
        .iter()
        .find(|i| get_ci(i, "name").and_then(Value::as_str) == Some(name.as_str()));
    let got_endpoint = found.and_then(|f| get_ci(f, "endpoint"));
    ensure(
        got_endpoint.and_then(Value::as_str) == Some(endpoint.as_str()),
        w.last.as_ref(),
        "RFC 7643 §6",
        &format!("/ResourceTypes describes {name} at its endpoint"),
        &endpoint,
        show(got_endpoint),
    )?;
    let schema = found.and_then(|f| get_ci(f, "schema"));
    ensure(
        schema.and_then(Value::as_str).is_some(),
        w.last.as_ref(),
        "RFC 7643 §6",
        "a resource type names its core schema",
        "a schema URN",
        show(schema),
    )
}

#[then(regex = r#"^the response describes "([^"]+)"$"#)]
async fn describes(w: &mut ScimWorld, id: String) -> StepResult {
    let r = w.response()?;
    let got = get_ci(&r.body, "id").or_else(|| get_ci(&r.body, "name"));
    ensure(
        r.status == 200 && got.and_then(Value::as_str) == Some(id.as_str()),
        w.last.as_ref(),
        "RFC 7644 §4",
        "reading a schema or resource type by id returns it",
        format!("200 with id {id}"),
        format!("{} with id {}", r.status, show(got)),
    )
}

#[then(regex = r"^the user schema describes userName as required and not case-exact$")]
async fn user_schema_user_name(w: &mut ScimWorld) -> StepResult {
    let r = w.response()?;
    let attr = get_ci(&r.body, "attributes")
        .and_then(Value::as_array)
        .and_then(|a| {
            a.iter()
                .find(|x| get_ci(x, "name").and_then(Value::as_str) == Some("userName"))
        });
    let required = attr.and_then(|a| get_ci(a, "required"));
    let case_exact = attr.and_then(|a| get_ci(a, "caseExact"));
    ensure(
        required == Some(&Value::Bool(true)) && case_exact == Some(&Value::Bool(false)),
        w.last.as_ref(),
        "RFC 7643 §4.1.1, §8.7.1",
        &format!("the {USER_SCHEMA} schema defines userName as required, caseExact false"),
        "required: true, caseExact: false",
        format!(
            "required: {}, caseExact: {}",
            show(required),
            show(case_exact)
        ),
    )
}
