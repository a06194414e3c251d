//! Resource operations independent of HTTP (list, search, read, create, replace, patch), shared
//! by the REST handlers and `/Bulk`.

use super::store::{Kind, MemberChange, Members, Selection, Snapshot, Store, parse_id};
use crate::scim::ScimError;
use crate::scim::filter::{CompValue, CompareOp, Filter};
use crate::scim::patch::{self, PatchOp, PatchOpKind, PatchOptions};
use crate::scim::path::PatchPath;
use crate::scim::query::{
    Page, Projection, SortBy, SortKey, SortOrder, compare_keys, list_response,
};
use crate::scim::resource::{InputOptions, canonicalize, check_immutable};
use crate::scim::schema::SEARCH_REQUEST;
use serde_json::Value;

/// Query parameters of a list or search (RFC 7644 §3.4.2).
#[derive(Debug, Default, Clone)]
pub struct ListParams {
    pub filter: Option<String>,
    pub sort_by: Option<String>,
    pub sort_order: Option<String>,
    pub start_index: Option<i64>,
    pub count: Option<i64>,
    pub attributes: Option<String>,
    pub excluded_attributes: Option<String>,
}

/// Reads a SearchRequest body (RFC 7644 §3.4.3) into list parameters.
pub fn search_params(req: &Value) -> Result<ListParams, ScimError> {
    let obj = req
        .as_object()
        .ok_or_else(|| ScimError::invalid_syntax("a SearchRequest must be a JSON object"))?;
    let get = |name: &str| {
        obj.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    };
    let schemas_ok = get("schemas").and_then(Value::as_array).is_some_and(|a| {
        a.iter().any(|s| {
            s.as_str()
                .is_some_and(|s| s.eq_ignore_ascii_case(SEARCH_REQUEST))
        })
    });
    if !schemas_ok {
        return Err(ScimError::invalid_syntax(format!(
            "'schemas' must contain {SEARCH_REQUEST}"
        )));
    }
    let string = |name: &str| -> Result<Option<String>, ScimError> {
        match get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(ScimError::invalid_value(format!(
                "'{name}' must be a string"
            ))),
        }
    };
    let list = |name: &str| -> Result<Option<String>, ScimError> {
        match get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Array(a)) => a
                .iter()
                .map(|v| {
                    v.as_str().ok_or_else(|| {
                        ScimError::invalid_value(format!("'{name}' must list strings"))
                    })
                })
                .collect::<Result<Vec<_>, _>>()
                .map(|v| Some(v.join(","))),
            Some(_) => Err(ScimError::invalid_value(format!(
                "'{name}' must be an array of strings"
            ))),
        }
    };
    let int = |name: &str| -> Result<Option<i64>, ScimError> {
        match get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v
                .as_i64()
                .map(Some)
                .ok_or_else(|| ScimError::invalid_value(format!("'{name}' must be an integer"))),
        }
    };
    Ok(ListParams {
        filter: string("filter")?,
        sort_by: string("sortBy")?,
        sort_order: string("sortOrder")?,
        start_index: int("startIndex")?,
        count: int("count")?,
        attributes: list("attributes")?,
        excluded_attributes: list("excludedAttributes")?,
    })
}

fn mentions(f: &Filter, name: &str) -> bool {
    match f {
        Filter::Present(p) | Filter::Compare(p, _, _) | Filter::ValuePath(p, _) => p.name == name,
        Filter::And(a, b) | Filter::Or(a, b) => mentions(a, name) || mentions(b, name),
        Filter::Not(a) => mentions(a, name),
    }
}

struct Prepared {
    filter: Option<Filter>,
    sort: Option<(SortBy, SortOrder)>,
    page: Page,
    projection: Projection,
    with_members: bool,
}

fn prepare(store: &Store, kind: Kind, p: &ListParams) -> Result<Prepared, ScimError> {
    let rt = kind.resource_type();
    let filter = match &p.filter {
        Some(f) => Some(Filter::parse(f)?.bind(rt)?),
        None => None,
    };
    let order = p
        .sort_order
        .as_deref()
        .map(SortOrder::parse)
        .transpose()?
        .unwrap_or_default();
    let sort = p
        .sort_by
        .as_deref()
        .map(|s| SortBy::parse(s, rt))
        .transpose()?
        .map(|s| (s, order));
    let page = Page::resolve(p.start_index, p.count, store.config.limits.max_results);
    let projection = Projection::parse(
        p.attributes.as_deref(),
        p.excluded_attributes.as_deref(),
        rt,
    );
    let with_members = kind == Kind::Group
        && (rt
            .schema
            .attr("members")
            .is_some_and(|d| projection.wants(None, d))
            || filter.as_ref().is_some_and(|f| mentions(f, "members")));
    Ok(Prepared {
        filter,
        sort,
        page,
        projection,
        with_members,
    })
}

/// Matching, sorted resources of one kind (before pagination).
fn matching(store: &Store, kind: Kind, pr: &Prepared, base: &str) -> Result<Vec<Value>, ScimError> {
    let rt = kind.resource_type();
    let snaps = store.select(
        kind,
        &Selection {
            filter: pr.filter.as_ref(),
            with_members: pr.with_members,
        },
    );
    let mut out: Vec<Value> = Vec::new();
    for s in snaps {
        let v = s.to_value(base);
        if pr.filter.as_ref().is_none_or(|f| f.matches(&v, rt)) {
            out.push(v);
            if pr.filter.is_some() && out.len() > store.config.limits.max_filter_matches {
                return Err(ScimError::too_many(format!(
                    "the filter matches more than {} resources; narrow it",
                    store.config.limits.max_filter_matches
                )));
            }
        }
    }
    if let Some((by, order)) = &pr.sort {
        let mut keyed: Vec<_> = out.into_iter().map(|v| (by.key(&v), v)).collect();
        keyed.sort_by(|a, b| compare_keys(&a.0, &b.0, *order));
        out = keyed.into_iter().map(|(_, v)| v).collect();
    }
    Ok(out)
}

/// A ListResponse assembled from already serialized resources.
fn list_text(total: usize, start_index: usize, items: &[String]) -> String {
    let mut out = format!(
        "{{\"schemas\":[\"{}\"],\"totalResults\":{total},\"startIndex\":{start_index},\"itemsPerPage\":{},\"Resources\":[",
        crate::scim::schema::LIST_RESPONSE,
        items.len()
    );
    for (i, it) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(it);
    }
    out.push_str("]}");
    out
}

/// GET `/{type}` or POST `/{type}/.search`, as JSON text. With the default projection, an
/// unfiltered listing and an indexed equality filter are answered by splicing stored text.
pub fn list(store: &Store, kind: Kind, p: &ListParams, base: &str) -> Result<String, ScimError> {
    let rt = kind.resource_type();
    let pr = prepare(store, kind, p)?;
    let fast = pr.projection.is_default() && pr.sort.is_none();
    if pr.filter.is_none() && pr.sort.is_none() {
        let (total, snaps) = store.page(
            kind,
            pr.page.start_index - 1,
            pr.page.count,
            pr.with_members,
        );
        let items: Vec<String> = if fast {
            snaps.iter().map(|s| s.to_json_string(base)).collect()
        } else {
            snaps
                .iter()
                .map(|s| pr.projection.apply(&s.to_value(base), rt).to_string())
                .collect()
        };
        return Ok(list_text(total, pr.page.start_index, &items));
    }
    if let (true, Some(f)) = (fast, pr.filter.as_ref())
        && Store::is_exact_index(kind, f)
    {
        let snaps = store.select(
            kind,
            &Selection {
                filter: Some(f),
                with_members: pr.with_members,
            },
        );
        let total = snaps.len();
        let items: Vec<String> = snaps[pr.page.range(total)]
            .iter()
            .map(|s| s.to_json_string(base))
            .collect();
        return Ok(list_text(total, pr.page.start_index, &items));
    }
    let all = matching(store, kind, &pr, base)?;
    let total = all.len();
    let items: Vec<String> = all[pr.page.range(total)]
        .iter()
        .map(|v| pr.projection.apply(v, rt).to_string())
        .collect();
    Ok(list_text(total, pr.page.start_index, &items))
}

/// POST `/.search` over Users then Groups. A filter naming an attribute one type lacks simply
/// matches nothing of that type.
pub fn list_all(store: &Store, p: &ListParams, base: &str) -> Result<Value, ScimError> {
    let mut all: Vec<(Kind, Value, Option<SortKey>)> = Vec::new();
    let mut first_error = None;
    let mut understood = false;
    for kind in [Kind::User, Kind::Group] {
        match prepare(store, kind, p) {
            Ok(pr) => {
                understood = true;
                for v in matching(store, kind, &pr, base)? {
                    let key = pr.sort.as_ref().and_then(|(by, _)| by.key(&v));
                    all.push((kind, v, key));
                }
            }
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    if !understood {
        return Err(first_error
            .unwrap_or_else(|| ScimError::invalid_filter("the query fits no resource type")));
    }
    // Each type's matches came back sorted; the combined list is sorted again as one.
    if p.sort_by.is_some() {
        let order = p
            .sort_order
            .as_deref()
            .map(SortOrder::parse)
            .transpose()?
            .unwrap_or_default();
        all.sort_by(|a, b| compare_keys(&a.2, &b.2, order));
    }
    let page = Page::resolve(p.start_index, p.count, store.config.limits.max_results);
    let total = all.len();
    let items = all[page.range(total)]
        .iter()
        .map(|(k, v, _)| {
            project(
                *k,
                v,
                p.attributes.as_deref(),
                p.excluded_attributes.as_deref(),
            )
        })
        .collect();
    Ok(list_response(total, page.start_index, items))
}

fn project(kind: Kind, v: &Value, attrs: Option<&str>, excl: Option<&str>) -> Value {
    let rt = kind.resource_type();
    Projection::parse(attrs, excl, rt).apply(v, rt)
}

/// GET `/{type}/{id}`: the version (for the ETag) and the projected resource as JSON text.
pub fn read(
    store: &Store,
    kind: Kind,
    id: &str,
    attrs: Option<&str>,
    excl: Option<&str>,
    base: &str,
) -> Result<(u64, String), ScimError> {
    let rt = kind.resource_type();
    let projection = Projection::parse(attrs, excl, rt);
    let with_members = kind == Kind::Group
        && rt
            .schema
            .attr("members")
            .is_some_and(|d| projection.wants(None, d));
    let snap = store.get(kind, id, with_members)?;
    let text = if projection.is_default() {
        snap.to_json_string(base)
    } else {
        projection.apply(&snap.to_value(base), rt).to_string()
    };
    Ok((snap.version, text))
}

fn input_options(store: &Store) -> InputOptions {
    InputOptions {
        lenient_booleans: store.config.entra_compat,
    }
}

/// POST `/{type}`: version, location and the projected new resource.
pub fn create(
    store: &Store,
    kind: Kind,
    input: &Value,
    attrs: Option<&str>,
    excl: Option<&str>,
    base: &str,
) -> Result<(u64, String, Value), ScimError> {
    let body = canonicalize(input, kind.resource_type(), input_options(store))?;
    let snap = store.create(kind, body)?;
    let full = snap.to_value(base);
    let location = format!("{base}/{}/{}", kind.endpoint(), snap.id);
    Ok((snap.version, location, project(kind, &full, attrs, excl)))
}

/// The stored body of a full resource: without the attributes the store derives.
fn strip_derived(mut v: Value) -> Value {
    if let Some(o) = v.as_object_mut() {
        o.remove("id");
        o.remove("meta");
        o.remove("groups");
    }
    v
}

/// A write to one resource (PUT or PATCH), as the REST handlers and `/Bulk` both receive it.
#[derive(Debug, Clone, Copy)]
pub struct WriteRequest<'a> {
    pub kind: Kind,
    pub id: &'a str,
    /// The request body.
    pub input: &'a Value,
    /// The `If-Match` header (or a bulk operation's `version`).
    pub if_match: Option<&'a str>,
    /// `attributes` / `excludedAttributes` of the response.
    pub attrs: Option<&'a str>,
    pub excl: Option<&'a str>,
    /// The base URL resources are located under.
    pub base: &'a str,
}

/// PUT `/{type}/{id}` (RFC 7644 §3.5.1): read-only values in the body are ignored, immutable
/// ones must not change.
pub fn replace(store: &Store, w: &WriteRequest<'_>) -> Result<(u64, Value), ScimError> {
    let WriteRequest {
        kind,
        id,
        input,
        if_match,
        attrs,
        excl,
        base,
    } = *w;
    let rt = kind.resource_type();
    let body = canonicalize(input, rt, input_options(store))?;
    let snap = store.update(kind, id, if_match, whole(kind), &|current: &Snapshot| {
        check_immutable(&current.to_value(base), &body, rt)?;
        let mut b = body.clone();
        if kind == Kind::Group
            && b.get("members").is_none()
            && let Some(o) = b.as_object_mut()
        {
            o.insert("members".into(), Value::Array(vec![]));
        }
        Ok((b, vec![]))
    })?;
    Ok((
        snap.version,
        project(kind, &snap.to_value(base), attrs, excl),
    ))
}

/// A member operation the store can apply to its member set directly.
fn member_change(op: &PatchOp, compat: bool) -> Option<Result<MemberChange, ScimError>> {
    let path = PatchPath::parse(op.path.as_deref()?).ok()?;
    if !path.attr.name.eq_ignore_ascii_case("members")
        || path.attr.sub.is_some()
        || path.sub.is_some()
    {
        return None;
    }
    if path
        .attr
        .urn
        .as_deref()
        .is_some_and(|u| !u.eq_ignore_ascii_case(crate::scim::schema::GROUP_SCHEMA))
    {
        return None;
    }
    let ids = |v: Option<&Value>| -> Option<Result<Vec<uuid::Uuid>, ScimError>> {
        let items: Vec<&Value> = match v? {
            Value::Array(a) => a.iter().collect(),
            o @ Value::Object(_) if compat => vec![o],
            _ => return None,
        };
        let mut out = Vec::new();
        for i in items {
            let s = i.get("value").and_then(Value::as_str)?;
            match parse_id(s) {
                Some(id) => out.push(id),
                None => {
                    return Some(Err(ScimError::invalid_value(format!(
                        "member '{s}' does not exist"
                    ))));
                }
            }
        }
        Some(Ok(out))
    };
    match (op.op, &path.filter) {
        (PatchOpKind::Add, None) => ids(op.value.as_ref()).map(|r| r.map(MemberChange::Add)),
        (PatchOpKind::Replace, None) => ids(op.value.as_ref()).map(|r| r.map(MemberChange::Set)),
        (PatchOpKind::Remove, None) if compat && op.value.is_some() => {
            ids(op.value.as_ref()).map(|r| r.map(MemberChange::Remove))
        }
        (PatchOpKind::Remove, None) => Some(Ok(MemberChange::Set(vec![]))),
        (PatchOpKind::Remove, Some(Filter::Compare(p, CompareOp::Eq, CompValue::Str(v))))
            if p.name.eq_ignore_ascii_case("value") && p.sub.is_none() && p.urn.is_none() =>
        {
            let id = parse_id(v.as_str())?;
            Some(Ok(if compat {
                MemberChange::Remove(vec![id])
            } else {
                MemberChange::RemoveExisting(vec![id])
            }))
        }
        _ => None,
    }
}

/// Whether an operation reaches a group's `members` (by path, or by a key of a path-less value).
fn touches_members(op: &PatchOp) -> bool {
    let is_members = |p: &str| p.to_ascii_lowercase().split(['[', '.']).next() == Some("members");
    match &op.path {
        Some(p) => is_members(p.trim()),
        None => op
            .value
            .as_ref()
            .and_then(Value::as_object)
            .is_some_and(|o| o.keys().any(|k| is_members(k))),
    }
}

/// PATCH `/{type}/{id}` (RFC 7644 §3.5.2). Users answer 200 with the resource; Groups answer
/// 204 unless `attributes`/`excludedAttributes` ask for a body, because a group's member list
/// can be very large and RFC 7644 §3.5.2 lets the server choose.
pub fn patch(store: &Store, w: &WriteRequest<'_>) -> Result<(u64, Option<Value>), ScimError> {
    let WriteRequest {
        kind,
        id,
        input,
        if_match,
        attrs,
        excl,
        base,
    } = *w;
    let rt = kind.resource_type();
    let opts = PatchOptions {
        compat: store.config.entra_compat,
    };
    let ops = patch::parse_request(input, opts)?;
    // Groups: simple member operations go straight to the member set (O(1) per member); the
    // rest go through the PATCH engine on the group without its members. Anything subtler on
    // `members` takes the general path with the member list materialized.
    let mut changes = Vec::new();
    let mut rest = Vec::new();
    let mut general = kind == Kind::User;
    if kind == Kind::Group {
        for op in &ops {
            match member_change(op, opts.compat) {
                Some(c) => changes.push(c?),
                None if touches_members(op) => general = true,
                None => rest.push(op.clone()),
            }
        }
    }
    let wants_body = kind == Kind::User || attrs.is_some() || excl.is_some();
    let snap = if general {
        store.update(kind, id, if_match, whole(kind), &|current| {
            let new = patch::apply(&current.to_value(base), &ops, rt, opts)?;
            let mut new = strip_derived(new);
            if kind == Kind::Group
                && new.get("members").is_none()
                && let Some(o) = new.as_object_mut()
            {
                o.insert("members".into(), Value::Array(vec![]));
            }
            Ok((new, vec![]))
        })?
    } else {
        // The members are copied only into the answer, when one is wanted: reading them
        // afterwards could show (and version) another client's later write.
        let members = if wants_body {
            Members::InAnswer
        } else {
            Members::None
        };
        store.update(kind, id, if_match, members, &|current| {
            let cur = current.to_value(base);
            let new = if rest.is_empty() {
                cur
            } else {
                patch::apply(&cur, &rest, rt, opts)?
            };
            Ok((strip_derived(new), changes.clone()))
        })?
    };
    if !wants_body {
        return Ok((snap.version, None));
    }
    Ok((
        snap.version,
        Some(project(kind, &snap.to_value(base), attrs, excl)),
    ))
}

/// A group is read and answered with its members when it is written whole.
fn whole(kind: Kind) -> Members {
    match kind {
        Kind::User => Members::None,
        Kind::Group => Members::Everywhere,
    }
}
