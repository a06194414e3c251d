//! The User Sync admin API (`/admin/v1/...`): rules, the switch, licenses, the outbox, the
//! applied sequence, per-user results, and the organization. It is documented in
//! `openapi/usersync-admin.json` so another User Sync implementation can serve the same API
//! and be gated by the same features; a test checks the file against [`ROUTES`] and the live
//! router. The routes sit inside the SCIM router, so the same bearer authentication applies.
//!
//! Errors use the SCIM Error body (RFC 7644 §3.12) like the rest of the server; refusing to
//! turn the switch on adds `unmetPrerequisites`.

mod org;
mod usersync;

use super::response::json_response;
use super::state::AppState;
use super::usersync::UserSync;
use crate::scim::ScimError;
use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use std::sync::Arc;

/// Builds [`ROUTES`] and [`routes`] from one list, so the table the OpenAPI test reads is the
/// router itself.
macro_rules! admin_routes {
    ($( $method:ident $path:literal => $handler:path ),* $(,)?) => {
        /// Every (method, path) of the admin API, as axum routes them.
        pub const ROUTES: &[(&str, &str)] = &[ $( (stringify!($method), $path) ),* ];

        /// The admin API routes, merged into the SCIM router (inside its authentication).
        pub fn routes() -> Router<AppState> {
            let mut r = Router::new();
            $( r = r.route($path, axum::routing::$method($handler)); )*
            r
        }
    };
}

admin_routes! {
    get "/admin/v1/org" => org::show,
    get "/admin/v1/org/admins" => org::list_admins,
    post "/admin/v1/org/admins" => org::add_admin,
    put "/admin/v1/org/admins/{admin_id}/roles" => org::set_roles,
    delete "/admin/v1/org/admins/{admin_id}" => org::remove_admin,
    put "/admin/v1/org/domains/{domain}" => org::set_domain,
    delete "/admin/v1/org/domains/{domain}" => org::remove_domain,
    get "/admin/v1/usersync/switch" => usersync::get_switch,
    put "/admin/v1/usersync/switch" => usersync::put_switch,
    get "/admin/v1/usersync/rules" => usersync::list_rules,
    post "/admin/v1/usersync/rules" => usersync::create_rule,
    get "/admin/v1/usersync/rules/{rule_id}" => usersync::get_rule,
    put "/admin/v1/usersync/rules/{rule_id}" => usersync::replace_rule,
    delete "/admin/v1/usersync/rules/{rule_id}" => usersync::delete_rule,
    put "/admin/v1/usersync/rule-order" => usersync::reorder,
    get "/admin/v1/usersync/custom-attributes" => usersync::get_custom,
    put "/admin/v1/usersync/custom-attributes" => usersync::put_custom,
    get "/admin/v1/usersync/licenses" => usersync::list_licenses,
    put "/admin/v1/usersync/licenses/{product}" => usersync::set_license,
    get "/admin/v1/usersync/outbox" => usersync::outbox,
    get "/admin/v1/usersync/foreign-accounts" => usersync::list_foreign,
    put "/admin/v1/usersync/foreign-accounts/{user_name}" => usersync::add_foreign,
    delete "/admin/v1/usersync/foreign-accounts/{user_name}" => usersync::remove_foreign,
    get "/admin/v1/usersync/sequence" => usersync::sequence,
    get "/admin/v1/usersync/sequence/wait" => usersync::wait,
    get "/admin/v1/usersync/results" => usersync::results,
    post "/admin/v1/usersync/results/retry" => usersync::retry_failed,
    get "/admin/v1/usersync/users/{user_id}" => usersync::user_result,
    post "/admin/v1/usersync/users/{user_id}/retry" => usersync::retry_user,
    post "/admin/v1/usersync/users/{user_id}/login" => usersync::login,
    get "/admin/v1/usersync/users/{user_id}/product-data" => usersync::list_product_data,
    post "/admin/v1/usersync/users/{user_id}/product-data" => usersync::add_product_data,
}

/// An admin API error: a SCIM error body, plus the unmet prerequisites when there are some.
#[derive(Debug)]
pub struct AdminError {
    pub error: ScimError,
    pub unmet: Vec<String>,
}

impl From<ScimError> for AdminError {
    fn from(error: ScimError) -> Self {
        AdminError {
            error,
            unmet: Vec::new(),
        }
    }
}

impl From<super::usersync::UserSyncError> for AdminError {
    fn from(e: super::usersync::UserSyncError) -> Self {
        use super::org::OrgError as O;
        use super::usersync::UserSyncError as E;
        let detail = e.to_string();
        let error = match &e {
            E::Rule(_) => ScimError::invalid_value(detail),
            E::Org(O::NoAdmin(_) | O::NoDomain(_)) | E::NoRule(_) | E::NoUser(_) => {
                ScimError::not_found(detail)
            }
            E::Org(O::BadDomain(_) | O::BadEmail(_) | O::InvalidDomain(_)) => {
                ScimError::invalid_value(detail)
            }
            E::Org(O::VerifiedDomain(_) | O::Proven(_))
            | E::Prerequisites(_)
            | E::Off
            | E::NoAccount(_)
            | E::Suspended(_) => ScimError::status(409, detail),
        };
        let unmet = match e {
            E::Prerequisites(u) => u,
            _ => Vec::new(),
        };
        AdminError { error, unmet }
    }
}

impl From<super::org::OrgError> for AdminError {
    fn from(e: super::org::OrgError) -> Self {
        super::usersync::UserSyncError::from(e).into()
    }
}

impl IntoResponse for AdminError {
    fn into_response(self) -> Response {
        let mut body = self.error.to_body();
        if !self.unmet.is_empty()
            && let Some(o) = body.as_object_mut()
        {
            o.insert("unmetPrerequisites".into(), self.unmet.into());
        }
        let status =
            StatusCode::from_u16(self.error.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        json_response(status, &body)
    }
}

pub(crate) type AdminResult = Result<Response, AdminError>;

/// 204 without a body.
pub(crate) fn no_content() -> AdminResult {
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub(crate) fn ok(body: Value) -> AdminResult {
    Ok(json_response(StatusCode::OK, &body))
}

/// The engine, or 404 when this server runs without User Sync.
pub(crate) fn engine(st: &AppState) -> Result<&Arc<UserSync>, AdminError> {
    st.usersync
        .as_ref()
        .ok_or_else(|| ScimError::not_found("User Sync is not enabled on this server").into())
}
