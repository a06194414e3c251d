//! Discovery (RFC 7644 §4, RFC 7643 §5-§7): the configuration, schemas and resource types, and
//! checks that advertised limits are enforced (with the paging checks of an empty page).

use super::{check_error_body, ensure, get_ci, json_kind, show};
use crate::conformance::ScimWorld;
use crate::conformance::assert::{Checks, Failure, StepResult};
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

/// Why an advertised endpoint is not the one RFC 7643 §6 describes (relative to the base URL,
/// e.g. "/Users"); `None` when it is `want` with or without its leading slash.
fn endpoint_problem(got: &str, want: &str, base_path: &str) -> Option<String> {
    if got == want || got == want.trim_start_matches('/') {
        return None;
    }
    let lower = got.to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        return Some(format!(
            "{got} (a full URL, not a path relative to the base URL)"
        ));
    }
    let base = base_path.trim_end_matches('/');
    if !base.is_empty() && got.starts_with(&format!("{base}/")) {
        return Some(format!(
            "{got} (a path that includes the base path {base}: appended to the base URL it names {base}{got})"
        ));
    }
    Some(got.to_string())
}

#[then(regex = r#"^the list contains the resource type "(\w+)" at endpoint "([^"]+)"$"#)]
async fn list_has_type(w: &mut ScimWorld, name: String, endpoint: String) -> StepResult {
    let r = w.response()?;
    let x = w.last.as_ref();
    let mut c = Checks::new();
    // A ListResponse that lacks totalResults is its own finding; the endpoints it lists are
    // still judged.
    let items = match list_resources(w) {
        Ok(items) => items,
        Err(f) => match get_ci(&r.body, "Resources").and_then(Value::as_array) {
            Some(items) if r.status == 200 && !f.is_skip() => {
                c.add(Err(f))?;
                items.clone()
            }
            _ => return Err(f),
        },
    };
    let found = items
        .iter()
        .find(|i| get_ci(i, "name").and_then(Value::as_str) == Some(name.as_str()));
    let Some(found) = found else {
        c.add(ensure(
            false,
            x,
            "RFC 7644 §4",
            &format!("/ResourceTypes lists the {name} resource type"),
            &name,
            format!("no resource type named {name}"),
        ))?;
        return c.finish();
    };
    let base_path = reqwest::Url::parse(&w.ctx()?.base_url)
        .map(|u| u.path().to_string())
        .unwrap_or_default();
    let got_endpoint = get_ci(found, "endpoint");
    let problem = match got_endpoint {
        Some(Value::String(s)) => endpoint_problem(s, &endpoint, &base_path),
        other => Some(format!("{} ({})", show(other), json_kind(other))),
    };
    c.add(ensure(
        problem.is_none(),
        x,
        "RFC 7643 §6",
        "a resource type's endpoint is relative to the base URL of the service provider, e.g. \"/Users\"",
        format!(
            "\"{endpoint}\" (or \"{}\")",
            endpoint.trim_start_matches('/')
        ),
        format!("{name}: {}", problem.unwrap_or_default()),
    ))?;
    let schema = get_ci(found, "schema");
    c.add(ensure(
        schema.and_then(Value::as_str).is_some(),
        x,
        "RFC 7643 §6",
        "a resource type names its core schema",
        "a schema URN",
        show(schema),
    ))?;
    c.finish()
}

#[then(regex = r#"^the response describes "([^"]+)"$"#)]
async fn describes(w: &mut ScimWorld, id: String) -> StepResult {
    let r = w.response()?;
    let got = get_ci(&r.body, "id").or_else(|| get_ci(&r.body, "name"));
    ensure(
        r.status == 200 && got.and_then(Value::as_str) == Some(id.as_str()),
        w.last.as_ref(),
        "RFC 7644 §4",
        "a single schema or resource type can be read by appending its id to /Schemas or /ResourceTypes",
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

/// RFC 7644 §3.4.2.4 and RFC 7643 §5 (filter.maxResults): asked for more than the maximum, a
/// server either caps the page (and totalResults still counts every match) or refuses with 400
/// tooMany. Both are conformant.
#[then(
    regex = r"^the page holds at most the advertised maximum number of users, or the request is refused as too many$"
)]
async fn capped_or_refused(w: &mut ScimWorld) -> StepResult {
    let max = w.ctx()?.discovery.filter_max_results.unwrap_or(0);
    let r = w.response()?;
    let x = w.last.as_ref();
    let source = "RFC 7644 §3.4.2.4, RFC 7643 §5";
    let statement = "a count above filter.maxResults is capped to it, or refused with 400 tooMany";
    let either = format!("200 with at most {max} resources, or 400 with scimType tooMany");
    let mut c = Checks::new();
    match r.status {
        400 => {
            c.add(check_error_body(w))?;
            c.add(super::scim_type_is(w, "tooMany"))?;
        }
        200 => {
            let items = list_resources(w)?;
            let total = get_ci(&r.body, "totalResults");
            c.add(ensure(
                items.len() as u64 <= max,
                x,
                source,
                statement,
                &either,
                format!("200 with {} resources", items.len()),
            ))?;
            c.add(ensure(
                total.and_then(Value::as_u64) == Some(max + 1),
                x,
                "RFC 7644 §3.4.2",
                "totalResults counts every match, not only the resources on the page",
                format!("totalResults {}", max + 1),
                format!("totalResults {}", show(total)),
            ))?;
        }
        s => c.add(ensure(false, x, source, statement, &either, s))?,
    }
    c.finish()
}

/// An empty page (RFC 7644 §3.4.2.4) with what it means in `statement`; itemsPerPage is "the
/// number of resources returned in a list response page" (RFC 7644 §3.4.2), so 0 if present.
fn empty_page(w: &ScimWorld, total: u64, statement: &str) -> StepResult {
    let items = list_resources(w)?;
    let body = &w.response()?.body;
    let x = w.last.as_ref();
    let t = get_ci(body, "totalResults").and_then(Value::as_u64);
    // Without a filter the target's other users count too (see `paging`).
    let total = total + w.page_offset.unwrap_or(0);
    let mut c = Checks::new();
    c.add(ensure(
        items.is_empty() && t == Some(total),
        x,
        "RFC 7644 §3.4.2.4",
        statement,
        format!("totalResults {total}, no resources"),
        format!(
            "totalResults {}, {} resources",
            t.map_or("(absent)".into(), |t| t.to_string()),
            items.len()
        ),
    ))?;
    let n = items.len() as u64;
    let ipp = get_ci(body, "itemsPerPage").filter(|v| !v.is_null());
    c.add(ensure(
        ipp.is_none_or(|v| v.as_u64() == Some(n)),
        x,
        "RFC 7644 §3.4.2",
        "itemsPerPage is the number of resources returned in the page",
        format!("itemsPerPage {n}, or no itemsPerPage"),
        format!("itemsPerPage {} ({})", show(ipp), json_kind(ipp)),
    ))?;
    c.finish()
}

#[then(regex = r"^only the total comes back: totalResults (\d+) and no resources$")]
async fn only_total(w: &mut ScimWorld, total: u64) -> StepResult {
    empty_page(
        w,
        total,
        "count 0 (a negative count is read as 0) returns no resources, only totalResults",
    )
}

#[then(regex = r"^the page past the end is empty: totalResults (\d+) and no resources$")]
async fn past_the_end(w: &mut ScimWorld, total: u64) -> StepResult {
    empty_page(
        w,
        total,
        "a startIndex past the last result returns a page with no resources, and totalResults still counts every match",
    )
}

#[cfg(test)]
mod tests {
    use super::endpoint_problem;

    #[test]
    fn endpoints_are_relative_to_the_base_url() {
        assert_eq!(endpoint_problem("/Users", "/Users", "/scim/v2"), None);
        assert_eq!(endpoint_problem("Users", "/Users", "/scim/v2"), None);
        assert!(
            endpoint_problem("/scim/v2/Users", "/Users", "/scim/v2/")
                .is_some_and(|p| p.contains("includes the base path /scim/v2"))
        );
        assert!(
            endpoint_problem("https://h.example/scim/v2/Users", "/Users", "/scim/v2")
                .is_some_and(|p| p.contains("a full URL"))
        );
        assert_eq!(
            endpoint_problem("/Accounts", "/Users", "").as_deref(),
            Some("/Accounts")
        );
    }
}
