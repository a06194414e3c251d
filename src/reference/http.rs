//! The reference service provider over HTTP (axum): routing, authentication, media types, body
//! limits, ETag preconditions, and the single `ScimError -> Response` conversion.

use super::body::read_json;
use super::config::ReferenceConfig;
use super::discovery;
use super::etag::etag;
use super::resources::{self, ListParams};
pub use super::response::{ApiError, ApiResult, SCIM_JSON, scim_response, scim_text_response};
pub use super::state::AppState;
use super::store::Kind;
use crate::scim::ScimError;
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use serde_json::Value;
use subtle::ConstantTimeEq;

fn with_etag(mut resp: Response, version: u64) -> Response {
    if let Ok(v) = HeaderValue::from_str(&etag(version)) {
        resp.headers_mut().insert(header::ETAG, v);
    }
    resp
}

/// The base URL resources are located under, from the Host header and the configured prefix.
fn base_url(headers: &HeaderMap, cfg: &ReferenceConfig) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    format!("http://{host}{}", cfg.base_path.trim_end_matches('/'))
}

fn header_str(headers: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    headers.get(name).and_then(|h| h.to_str().ok())
}

/// Builds the router with every SCIM endpoint under the configured base path.
pub fn router(state: AppState) -> Router {
    let scim = Router::new()
        .route("/ServiceProviderConfig", get(spc))
        .route("/admin/v1/limits", get(limits))
        .route("/Schemas", get(schemas))
        .route("/Schemas/{id}", get(schema_by_id))
        .route("/ResourceTypes", get(resource_types))
        .route("/ResourceTypes/{id}", get(resource_type_by_id))
        .route("/Me", any(me))
        .route("/Me/{*rest}", any(me))
        .route("/.search", post(root_search))
        .route("/Bulk", post(bulk))
        .merge(super::domains::admin_routes())
        .merge(super::admin::routes())
        .route("/{resource}", get(list).post(create))
        .route(
            "/{resource}/{id}",
            get(read)
                .put(replace)
                .patch(patch)
                .delete(delete)
                .post(search),
        )
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(state.clone(), auth))
        .with_state(state.clone());
    let base = state.config().base_path.trim_end_matches('/').to_string();
    let app = if base.is_empty() {
        scim
    } else {
        Router::new().nest(&base, scim).fallback(not_found)
    };
    // Outermost, so a body refused before any route reads it (401, 404) is drained too.
    app.layer(middleware::from_fn_with_state(
        state,
        super::body::drain_unread,
    ))
}

/// Serves until `shutdown` completes (so tests bind port 0 and stop cleanly).
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}

async fn auth(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if let Some(expected) = &state.config().token {
        let given = header_str(req.headers(), header::AUTHORIZATION)
            .and_then(|h| {
                // The scheme name is case-insensitive (RFC 7235 §2.1).
                let (scheme, token) = h.trim().split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then_some(token)
            })
            .map(str::trim);
        let ok = given.is_some_and(|g| bool::from(g.as_bytes().ct_eq(expected.as_bytes())));
        if !ok {
            let detail = if given.is_none() {
                "authentication required: send 'Authorization: Bearer <token>'"
            } else {
                "the bearer token is not valid"
            };
            return ApiError(ScimError::status(401, detail)).into_response();
        }
    }
    let resp = next.run(req).await;
    // Every response we produce is SCIM JSON; axum's own rejections (405, a path that is not
    // UTF-8 once decoded ...) are plain text, and are rewritten into SCIM errors here.
    let json = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.contains("json"));
    let status = resp.status();
    if json || !(status.is_client_error() || status.is_server_error()) {
        return resp;
    }
    let detail = if status == StatusCode::METHOD_NOT_ALLOWED {
        "method not allowed on this endpoint".to_string()
    } else {
        let text = axum::body::to_bytes(resp.into_body(), 4096)
            .await
            .unwrap_or_default();
        match String::from_utf8_lossy(&text).trim() {
            "" => status
                .canonical_reason()
                .unwrap_or("the request was refused")
                .to_string(),
            t => t.to_string(),
        }
    };
    ApiError(ScimError::status(status.as_u16(), detail)).into_response()
}

async fn not_found() -> ApiError {
    ApiError(ScimError::not_found("no such endpoint"))
}

async fn me() -> ApiError {
    ApiError(ScimError::status(
        501,
        "/Me is not implemented: the reference has no authenticated subject",
    ))
}

fn kind_of(resource: &str) -> Result<Kind, ApiError> {
    match resource {
        "Users" => Ok(Kind::User),
        "Groups" => Ok(Kind::Group),
        _ => Err(ApiError(ScimError::not_found(format!(
            "no resource type at /{resource}"
        )))),
    }
}

fn query_pairs(q: &Option<String>) -> Vec<(String, String)> {
    q.as_deref()
        .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default()
}

fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn int_param(pairs: &[(String, String)], name: &str) -> Result<Option<i64>, ScimError> {
    param(pairs, name)
        .map(|v| {
            v.trim().parse::<i64>().map_err(|_| {
                ScimError::invalid_value(format!("'{name}' must be an integer, got '{v}'"))
            })
        })
        .transpose()
}

fn list_params(pairs: &[(String, String)]) -> Result<ListParams, ScimError> {
    Ok(ListParams {
        filter: param(pairs, "filter").map(str::to_string),
        sort_by: param(pairs, "sortBy").map(str::to_string),
        sort_order: param(pairs, "sortOrder").map(str::to_string),
        start_index: int_param(pairs, "startIndex")?,
        count: int_param(pairs, "count")?,
        attributes: param(pairs, "attributes").map(str::to_string),
        excluded_attributes: param(pairs, "excludedAttributes").map(str::to_string),
    })
}

async fn spc(State(st): State<AppState>, headers: HeaderMap, RawQuery(q): RawQuery) -> ApiResult {
    if param(&query_pairs(&q), "filter").is_some() {
        // RFC 7644 §4: filtering the configuration SHOULD answer 403.
        return Err(ApiError(ScimError::status(
            403,
            "/ServiceProviderConfig does not support filtering",
        )));
    }
    let base = base_url(&headers, st.config());
    Ok(scim_response(
        StatusCode::OK,
        &discovery::service_provider_config(st.config(), &base),
    ))
}

async fn limits(State(st): State<AppState>) -> ApiResult {
    Ok(scim_response(
        StatusCode::OK,
        &discovery::limits(st.config()),
    ))
}

async fn schemas(State(st): State<AppState>, headers: HeaderMap) -> ApiResult {
    Ok(scim_response(
        StatusCode::OK,
        &discovery::schemas_list(&base_url(&headers, st.config())),
    ))
}

async fn schema_by_id(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    discovery::schema(&id, &base_url(&headers, st.config()))
        .map(|v| scim_response(StatusCode::OK, &v))
        .ok_or_else(|| ApiError(ScimError::not_found(format!("no schema '{id}'"))))
}

async fn resource_types(State(st): State<AppState>, headers: HeaderMap) -> ApiResult {
    Ok(scim_response(
        StatusCode::OK,
        &discovery::resource_types_list(&base_url(&headers, st.config())),
    ))
}

async fn resource_type_by_id(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    discovery::resource_type(&id, &base_url(&headers, st.config()))
        .map(|v| scim_response(StatusCode::OK, &v))
        .ok_or_else(|| ApiError(ScimError::not_found(format!("no resource type '{id}'"))))
}

async fn list(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(resource): Path<String>,
    RawQuery(q): RawQuery,
) -> ApiResult {
    let kind = kind_of(&resource)?;
    let params = list_params(&query_pairs(&q))?;
    let body = resources::list(&st.store, kind, &params, &base_url(&headers, st.config()))?;
    Ok(scim_text_response(StatusCode::OK, body))
}

/// POST `/{type}/.search` (RFC 7644 §3.4.3). Other POSTs to `/{type}/{id}` are not allowed.
async fn search(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path((resource, id)): Path<(String, String)>,
    body: Body,
) -> ApiResult {
    let kind = kind_of(&resource)?;
    if id != ".search" {
        return Err(ApiError(ScimError::status(
            405,
            "POST is only allowed on the collection and on .search",
        )));
    }
    let req = read_json(&st, &headers, body).await?;
    let params = resources::search_params(&req)?;
    let body = resources::list(&st.store, kind, &params, &base_url(&headers, st.config()))?;
    Ok(scim_text_response(StatusCode::OK, body))
}

/// POST `/.search`: the same query over every resource type.
async fn root_search(State(st): State<AppState>, headers: HeaderMap, body: Body) -> ApiResult {
    let req = read_json(&st, &headers, body).await?;
    let params = resources::search_params(&req)?;
    let body = resources::list_all(&st.store, &params, &base_url(&headers, st.config()))?;
    Ok(scim_response(StatusCode::OK, &body))
}

async fn read(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path((resource, id)): Path<(String, String)>,
    RawQuery(q): RawQuery,
) -> ApiResult {
    let kind = kind_of(&resource)?;
    let pairs = query_pairs(&q);
    let (version, body) = resources::read(
        &st.store,
        kind,
        &id,
        param(&pairs, "attributes"),
        param(&pairs, "excludedAttributes"),
        &base_url(&headers, st.config()),
    )?;
    if let Some(inm) = header_str(&headers, header::IF_NONE_MATCH)
        && super::etag::if_match_ok(Some(inm), version)
    {
        let resp = StatusCode::NOT_MODIFIED.into_response();
        return Ok(with_etag(resp, version));
    }
    Ok(with_etag(scim_text_response(StatusCode::OK, body), version))
}

async fn create(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(resource): Path<String>,
    RawQuery(q): RawQuery,
    body: Body,
) -> ApiResult {
    let kind = kind_of(&resource)?;
    let input = read_json(&st, &headers, body).await?;
    let pairs = query_pairs(&q);
    let base = base_url(&headers, st.config());
    let (version, location, body) = resources::create(
        &st.store,
        kind,
        &input,
        param(&pairs, "attributes"),
        param(&pairs, "excludedAttributes"),
        &base,
    )?;
    let mut resp = with_etag(scim_response(StatusCode::CREATED, &body), version);
    if let Ok(v) = HeaderValue::from_str(&location) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    Ok(resp)
}

/// What a PUT or PATCH handler reads before the write: the kind, the JSON body, the query.
struct Write {
    kind: Kind,
    input: Value,
    pairs: Vec<(String, String)>,
    base: String,
}

async fn read_write(
    st: &AppState,
    headers: &HeaderMap,
    resource: &str,
    q: &Option<String>,
    body: Body,
) -> Result<Write, ApiError> {
    let kind = kind_of(resource)?;
    let input = read_json(st, headers, body).await?;
    Ok(Write {
        kind,
        input,
        pairs: query_pairs(q),
        base: base_url(headers, st.config()),
    })
}

impl Write {
    fn request<'a>(&'a self, id: &'a str, headers: &'a HeaderMap) -> resources::WriteRequest<'a> {
        resources::WriteRequest {
            kind: self.kind,
            id,
            input: &self.input,
            if_match: header_str(headers, header::IF_MATCH),
            attrs: param(&self.pairs, "attributes"),
            excl: param(&self.pairs, "excludedAttributes"),
            base: &self.base,
        }
    }
}

async fn replace(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path((resource, id)): Path<(String, String)>,
    RawQuery(q): RawQuery,
    body: Body,
) -> ApiResult {
    let w = read_write(&st, &headers, &resource, &q, body).await?;
    let (version, body) = resources::replace(&st.store, &w.request(&id, &headers))?;
    Ok(with_etag(scim_response(StatusCode::OK, &body), version))
}

async fn patch(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path((resource, id)): Path<(String, String)>,
    RawQuery(q): RawQuery,
    body: Body,
) -> ApiResult {
    let w = read_write(&st, &headers, &resource, &q, body).await?;
    let (version, body) = resources::patch(&st.store, &w.request(&id, &headers))?;
    Ok(match body {
        Some(b) => with_etag(scim_response(StatusCode::OK, &b), version),
        None => with_etag(StatusCode::NO_CONTENT.into_response(), version),
    })
}

async fn delete(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path((resource, id)): Path<(String, String)>,
) -> ApiResult {
    let kind = kind_of(&resource)?;
    st.store
        .delete(kind, &id, header_str(&headers, header::IF_MATCH))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn bulk(State(st): State<AppState>, headers: HeaderMap, body: Body) -> ApiResult {
    let req = read_json(&st, &headers, body).await?;
    let base = base_url(&headers, st.config());
    let resp = super::bulk::run(&st.store, &req, &base)?;
    Ok(scim_response(StatusCode::OK, &resp))
}
