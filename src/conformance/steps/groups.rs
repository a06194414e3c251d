//! Groups and memberships (RFC 7643 §4.1.2, §4.2; RFC 7644 §3.5.2), including the identity
//! provider's group request shapes (BEHAVIOUR E-G-01, E-F-01).

use super::discovery::list_resources;
use super::{ensure, get_ci, names, show};
use crate::client::encode;
use crate::conformance::ScimWorld;
use crate::conformance::assert::{Failure, StepResult};
use crate::scim::schema::GROUP_SCHEMA;
use cucumber::{given, then, when};
use reqwest::Method;
use serde_json::{Value, json};

fn member_ids(w: &ScimWorld, list: &str) -> Result<Vec<String>, Failure> {
    names(list)
        .iter()
        .map(|n| w.user(n).map(|u| u.id))
        .collect()
}

#[given(regex = r#"^a group "([^"]+)"$"#)]
async fn a_group(w: &mut ScimWorld, name: String) -> StepResult {
    w.create_group(&name, &[]).await.map(|_| ())
}

/// The member ids a group holds, sorted (from a read of the group).
fn held_members(body: &Value) -> Vec<String> {
    let mut got: Vec<String> = get_ci(body, "members")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|m| {
            get_ci(m, "value")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .collect();
    got.sort();
    got
}

/// A group made for a scenario is read back. A server may ignore the members of a POST
/// (RFC 7644 §3.3); the identity provider adds members by PATCH anyway (E-G-01), so the setup
/// does the same. Only when neither gives the group its members is every scenario that
/// needed them blocked, by that one finding.
#[given(regex = r#"^a group "([^"]+)" with members? (.+)$"#)]
async fn a_group_with(w: &mut ScimWorld, name: String, list: String) -> StepResult {
    let mut want = member_ids(w, &list)?;
    want.sort();
    let group = w.create_group(&name, &want).await?;
    let r = w.read("Groups", &group.id).await?;
    if r.status == 200 && held_members(&r.body) == want {
        return Ok(());
    }
    let values: Vec<Value> = want.iter().map(|id| json!({"value": id})).collect();
    let add = json!({
        "schemas": [crate::scim::schema::PATCH_OP],
        "Operations": [{"op": "add", "path": "members", "value": values}],
    });
    let path = format!("/Groups/{}", group.id);
    w.call(Method::PATCH, &path, Some(&add), &[]).await?;
    let r = w.read("Groups", &group.id).await?;
    let got = held_members(&r.body);
    ensure(
        r.status == 200 && got == want,
        w.last.as_ref(),
        "RFC 7644 §3.5.2.1, RFC 7643 §4.2",
        "a group can be given members, by its POST or by a PATCH that adds them",
        format!("200 with {} member(s)", want.len()),
        format!("{} with {} member(s)", r.status, got.len()),
    )
    .map_err(|f| f.blocking().general())
}

#[when(regex = r#"^I create a group "([^"]+)" with no members$"#)]
async fn create_empty(w: &mut ScimWorld, name: String) -> StepResult {
    post_group(w, &name, &[]).await
}

#[when(regex = r#"^I create a group "([^"]+)" with members? (.+)$"#)]
async fn create_with(w: &mut ScimWorld, name: String, list: String) -> StepResult {
    let ids = member_ids(w, &list)?;
    post_group(w, &name, &ids).await
}

async fn post_group(w: &mut ScimWorld, name: &str, ids: &[String]) -> StepResult {
    let members: Vec<Value> = ids.iter().map(|id| json!({"value": id})).collect();
    let body = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "displayName": w.group_name(name),
        "externalId": w.external_id(&format!("group-{name}")),
        "members": members,
    });
    let r = w.call(Method::POST, "/Groups", Some(&body), &[]).await?;
    if let Some(id) = r.body.get("id").and_then(Value::as_str) {
        w.cleanup.push(("Groups".into(), id.to_string()));
        if r.status == 201 && !w.groups.contains_key(name) {
            w.groups.insert(
                name.to_string(),
                crate::conformance::world::Created {
                    id: id.to_string(),
                    real_name: w.group_name(name),
                },
            );
        }
    }
    Ok(())
}

#[when(regex = r#"^I replace group "([^"]+)" with (no members|members? .+)$"#)]
async fn replace_group(w: &mut ScimWorld, name: String, list: String) -> StepResult {
    let id = w.group(&name)?.id;
    let members: Vec<Value> = member_ids(w, member_list(&list))?
        .iter()
        .map(|m| json!({"value": m}))
        .collect();
    let body = json!({
        "schemas": [GROUP_SCHEMA],
        "id": id,
        "displayName": w.group_name(&name),
        "externalId": w.external_id(&format!("group-{name}")),
        "members": members,
    });
    w.call(Method::PUT, &format!("/Groups/{id}"), Some(&body), &[])
        .await
        .map(|_| ())
}

#[then(regex = r"^the replacement is accepted$")]
async fn replacement_accepted(w: &mut ScimWorld) -> StepResult {
    let r = w.response()?;
    ensure(
        (200..300).contains(&r.status),
        w.last.as_ref(),
        "RFC 7644 §3.5",
        "Implementers MUST support HTTP PUT: a group can be replaced",
        "a successful status (200 OK with the group)",
        format!("{}: {}", r.status, super::lifecycle::reason(r)),
    )
}

#[when(regex = r#"^I create another group named "([^"]+)"$"#)]
async fn create_duplicate(w: &mut ScimWorld, name: String) -> StepResult {
    let body = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "displayName": w.group_name(&name),
        "externalId": w.external_id("group-twin"),
    });
    let r = w.call(Method::POST, "/Groups", Some(&body), &[]).await?;
    if let Some(id) = r.body.get("id").and_then(Value::as_str) {
        w.cleanup.push(("Groups".into(), id.to_string()));
    }
    Ok(())
}

/// The provider identifies groups by displayName or externalId, and several matches are an
/// error (duplicate target entries): a second group of one name makes its lookup ambiguous.
/// RFC 7643 declares displayName uniqueness "none", so this is the provider's SHOULD.
#[then(
    regex = r"^the duplicate name is refused, since the provider's match by displayName would be ambiguous$"
)]
async fn duplicate_name_refused(w: &mut ScimWorld) -> StepResult {
    let r = w.response()?;
    ensure(
        (400..500).contains(&r.status),
        w.last.as_ref(),
        "Microsoft Entra ID: groups are matched by displayName or externalId (Microsoft Q&A 923479, answered by Microsoft), and several matches fail as duplicate target entries (E-U-02)",
        "a second group with the same displayName is refused, so the provider's displayName lookup stays unambiguous",
        "a 4xx refusal (409 uniqueness is usual)",
        "a second group of that name was created",
    )
}

#[when(regex = r#"^I delete group "([^"]+)"$"#)]
async fn delete_group(w: &mut ScimWorld, name: String) -> StepResult {
    let id = w.group(&name)?.id;
    w.call(Method::DELETE, &format!("/Groups/{id}"), None, &[])
        .await
        .map(|_| ())
}

#[when(regex = r#"^I look up groups named "([^"]+)" without their members$"#)]
async fn lookup_group(w: &mut ScimWorld, name: String) -> StepResult {
    let filter = format!("displayName eq \"{}\"", w.group_name(&name));
    let path = format!(
        "/Groups?filter={}&excludedAttributes=members",
        encode(&filter)
    );
    w.call(Method::GET, &path, None, &[]).await.map(|_| ())
}

#[then(regex = r#"^exactly 1 group named "([^"]+)" is found, without members$"#)]
async fn one_group_found(w: &mut ScimWorld, name: String) -> StepResult {
    let items = list_resources(w)?;
    let real = w.group_name(&name);
    let ok = items.len() == 1
        && get_ci(&items[0], "displayName").and_then(Value::as_str) == Some(real.as_str());
    ensure(
        ok,
        w.last.as_ref(),
        "RFC 7644 §3.4.2.2",
        "a displayName eq filter finds the group",
        format!("1 group named {real}"),
        format!("{} group(s)", items.len()),
    )?;
    let members = get_ci(&items[0], "members");
    ensure(
        members.is_none(),
        w.last.as_ref(),
        "RFC 7644 §3.4.2.5",
        "excludedAttributes=members leaves the members out",
        "no members attribute",
        show(members),
    )
}

async fn fetch_group(w: &mut ScimWorld, name: &str) -> Result<Value, Failure> {
    let id = w.group(name)?.id;
    let r = w.read("Groups", &id).await?;
    ensure(
        r.status == 200,
        w.last.as_ref(),
        "RFC 7644 §3.4.1",
        &format!("group \"{name}\" can be read"),
        200,
        r.status,
    )?;
    Ok(r.body)
}

/// `no members` / `member ann` / `members ann and bob` -> the names.
fn member_list(list: &str) -> &str {
    list.trim_start_matches("no members")
        .trim_start_matches("members ")
        .trim_start_matches("member ")
}

/// Group membership is managed on the Group, and reading it back is the only proof: these
/// steps GET the group afresh rather than trusting the response to the write.
#[then(regex = r#"^group "([^"]+)" has (no members|members? .+)$"#)]
async fn group_members(w: &mut ScimWorld, name: String, list: String) -> StepResult {
    members_are(
        w,
        &name,
        &list,
        "RFC 7643 §4.2",
        &format!("group \"{name}\" has exactly these members"),
    )
    .await
}

#[then(regex = r#"^reading group "([^"]+)" back shows (no members|members? .+)$"#)]
async fn replaced_members(w: &mut ScimWorld, name: String, list: String) -> StepResult {
    members_are(
        w,
        &name,
        &list,
        "RFC 7644 §3.5.1",
        "PUT replaces the resource: the readWrite members it carries SHALL replace the existing members",
    )
    .await
}

async fn members_are(
    w: &mut ScimWorld,
    name: &str,
    list: &str,
    source: &str,
    statement: &str,
) -> StepResult {
    let body = fetch_group(w, name).await?;
    let mut want = member_ids(w, member_list(list))?;
    want.sort();
    let mut got: Vec<String> = get_ci(&body, "members")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|m| show(get_ci(m, "value")))
        .collect();
    got.sort();
    let label = |ids: &[String]| -> String {
        let mut n: Vec<String> = ids
            .iter()
            .map(|id| {
                w.users
                    .iter()
                    .find(|(_, u)| u.id == *id)
                    .map_or(id.clone(), |(n, _)| n.clone())
            })
            .collect();
        n.sort();
        if n.is_empty() {
            "none".into()
        } else {
            n.join(", ")
        }
    };
    ensure(
        got == want,
        w.last.as_ref(),
        source,
        statement,
        label(&want),
        label(&got),
    )
}

#[then(regex = r#"^group "([^"]+)" is named "([^"]+)"$"#)]
async fn group_named(w: &mut ScimWorld, name: String, new: String) -> StepResult {
    let body = fetch_group(w, &name).await?;
    let want = w.group_name(&new);
    let got = get_ci(&body, "displayName");
    ensure(
        got.and_then(Value::as_str) == Some(want.as_str()),
        w.last.as_ref(),
        "RFC 7644 §3.5.2.3",
        "the group was renamed",
        &want,
        show(got),
    )
}

#[then(regex = r#"^user "([^"]+)" lists group "([^"]+)" among its groups$"#)]
async fn user_lists_group(w: &mut ScimWorld, user: String, group: String) -> StepResult {
    let gid = w.group(&group)?.id;
    let body = super::crud::fetch_user(w, &user).await?;
    let groups: Vec<String> = get_ci(&body, "groups")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|g| show(get_ci(g, "value")))
        .collect();
    ensure(
        groups.contains(&gid),
        w.last.as_ref(),
        "RFC 7643 §4.1.2",
        "a user's groups attribute reflects the groups it is a member of",
        format!("groups holding the value of group \"{group}\""),
        if groups.is_empty() {
            "no groups attribute, or an empty one".into()
        } else {
            format!("{} other group(s)", groups.len())
        },
    )
}
