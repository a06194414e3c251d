//! Reading a JSON request body, one policy for every route (SCIM, the admin API, the domain
//! and test API): the configured `maxPayloadSize` (413), a JSON media type or none (415
//! otherwise), and JSON that parses into what the route expects (400 invalidSyntax).

use super::response::SCIM_JSON;
use super::state::AppState;
use crate::scim::ScimError;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, header};
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Reads the body as `T`: size (413), media type (415), syntax and shape (400 invalidSyntax).
pub async fn read_json<T: DeserializeOwned>(
    st: &AppState,
    headers: &HeaderMap,
    body: Body,
) -> Result<T, ScimError> {
    let bytes = read_bytes(st, headers, body).await?;
    parse(&bytes)
}

/// As [`read_json`], for routes whose body is optional: an empty body is `{}`.
pub async fn read_optional_json(
    st: &AppState,
    headers: &HeaderMap,
    body: Body,
) -> Result<Value, ScimError> {
    let bytes = read_bytes(st, headers, body).await?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Default::default()));
    }
    parse(&bytes)
}

/// The body within the limit, once its media type is known to be JSON.
async fn read_bytes(st: &AppState, headers: &HeaderMap, body: Body) -> Result<Bytes, ScimError> {
    let limit = st.config().limits.max_payload_size;
    let too_large = || {
        ScimError::status(
            413,
            format!("the request body exceeds the maximum payload size of {limit} bytes"),
        )
    };
    let header = |name| headers.get(name).and_then(|h| h.to_str().ok());
    if let Some(len) = header(header::CONTENT_LENGTH).and_then(|l| l.parse::<usize>().ok())
        && len > limit
    {
        return Err(too_large());
    }
    // The body is read (within the limit) before the media type is judged, so a 415 leaves the
    // keep-alive connection usable: a refused body left unread makes the server close it,
    // which races with a client reusing the connection.
    let bytes = axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| too_large())?;
    // No Content-Type is taken as JSON: clients that send none still mean it.
    if let Some(ct) = header(header::CONTENT_TYPE) {
        let essence = ct
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if essence != SCIM_JSON && essence != "application/json" {
            return Err(ScimError::status(
                415,
                format!("unsupported media type '{ct}': send {SCIM_JSON} or application/json"),
            ));
        }
    }
    Ok(bytes)
}

fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ScimError> {
    serde_json::from_slice(bytes).map_err(|e| {
        let detail = if e.classify() == serde_json::error::Category::Data {
            format!("the request body is not valid: {e}")
        } else {
            format!("the request body is not valid JSON: {e}")
        };
        ScimError::invalid_syntax(detail)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reference::config::{Limits, ReferenceConfig};
    use crate::reference::store::Store;
    use std::sync::Arc;

    fn state(limit: usize) -> AppState {
        let config = ReferenceConfig {
            limits: Limits {
                max_payload_size: limit,
                ..Limits::default()
            },
            ..ReferenceConfig::default()
        };
        AppState::new(Arc::new(Store::new(
            config,
            Arc::new(crate::clock::SystemClock),
        )))
    }

    fn headers(ct: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Some(ct) = ct {
            h.insert(header::CONTENT_TYPE, ct.parse().expect("header value"));
        }
        h
    }

    async fn status(limit: usize, ct: Option<&str>, body: &'static str) -> u16 {
        match read_json::<Value>(&state(limit), &headers(ct), Body::from(body)).await {
            Ok(_) => 200,
            Err(e) => e.status,
        }
    }

    #[tokio::test]
    async fn one_policy_for_size_media_type_and_syntax() {
        assert_eq!(status(64, Some("application/json"), "{}").await, 200);
        assert_eq!(
            status(64, Some("application/scim+json; charset=utf-8"), "{}").await,
            200
        );
        assert_eq!(status(64, None, "{}").await, 200, "no Content-Type is JSON");
        assert_eq!(status(64, Some("text/plain"), "{}").await, 415);
        assert_eq!(status(4, Some("application/json"), "{\"a\":1}").await, 413);
        assert_eq!(status(64, Some("application/json"), "{").await, 400);
    }

    #[tokio::test]
    async fn an_optional_body_may_be_empty_but_not_wrongly_typed() {
        let st = state(64);
        let v = read_optional_json(&st, &headers(None), Body::from(" "))
            .await
            .expect("empty is {}");
        assert_eq!(v, serde_json::json!({}));
        let e = read_optional_json(&st, &headers(Some("text/plain")), Body::from("{}"))
            .await
            .expect_err("415");
        assert_eq!(e.status, 415);
    }
}
