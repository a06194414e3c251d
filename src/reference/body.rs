//! Reading a JSON request body, one policy for every route (SCIM, the admin API, the domain
//! and test API): the configured `maxPayloadSize` (413), a JSON media type or none (415
//! otherwise), and JSON that parses into what the route expects (400 invalidSyntax).
//!
//! A body the route did not read to its end (refused as too large, or never looked at: a
//! 401, a 404) is read and discarded after the answer is sent ([`drain_unread`]), up to a
//! bound. Many clients write their whole body before reading anything; closing with the body
//! unread makes the kernel reset the connection, and such a client sees a broken pipe, not
//! the answer.

use super::response::SCIM_JSON;
use super::state::AppState;
use crate::scim::ScimError;
use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::Response;
use http_body_util::BodyExt;
use hyper::body::{Frame, SizeHint};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

/// At least this much of an unread body is discarded (20 MB uploads are common enough).
const DISCARD_AT_LEAST: usize = 64 << 20;
/// How long a connection may spend sending a body nobody reads before it is closed.
const DISCARD_FOR: Duration = Duration::from_secs(10);

/// How much of an unread body is discarded before the connection is closed instead.
#[derive(Debug, Clone, Copy)]
pub struct DiscardBound {
    pub bytes: usize,
    pub time: Duration,
}

impl DiscardBound {
    /// Four times the payload limit, at least 64 MiB; 10 seconds.
    pub fn for_limit(max_payload_size: usize) -> DiscardBound {
        DiscardBound {
            bytes: max_payload_size.saturating_mul(4).max(DISCARD_AT_LEAST),
            time: DISCARD_FOR,
        }
    }
}

/// Middleware (outermost): whatever part of the request body the route leaves unread is read
/// and dropped in the background while the answer is written, so the connection stays usable
/// and the client can read the answer. A client that sent `Expect: 100-continue` and was not
/// asked for the body is not asked now either.
pub async fn drain_unread(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let asks_first = req
        .headers()
        .get(header::EXPECT)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
    let bound = DiscardBound::for_limit(st.config().limits.max_payload_size);
    let req = req.map(|body| {
        Body::new(Unread {
            inner: Some(body),
            polled: false,
            ended: false,
            asks_first,
            bound,
        })
    });
    next.run(req).await
}

/// A request body that hands its unread rest to [`discard`] when dropped.
struct Unread {
    inner: Option<Body>,
    polled: bool,
    ended: bool,
    asks_first: bool,
    bound: DiscardBound,
}

impl HttpBody for Unread {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = self.get_mut();
        this.polled = true;
        let Some(inner) = this.inner.as_mut() else {
            return Poll::Ready(None);
        };
        let frame = Pin::new(inner).poll_frame(cx);
        if matches!(frame, Poll::Ready(None)) {
            this.ended = true;
        }
        frame
    }

    fn is_end_stream(&self) -> bool {
        self.ended || self.inner.as_ref().is_none_or(HttpBody::is_end_stream)
    }

    fn size_hint(&self) -> SizeHint {
        self.inner
            .as_ref()
            .map_or_else(|| SizeHint::with_exact(0), HttpBody::size_hint)
    }
}

impl Drop for Unread {
    fn drop(&mut self) {
        let Some(inner) = self.inner.take() else {
            return;
        };
        // Polling a body the client holds back would send it "100 Continue".
        if self.ended || inner.is_end_stream() || (self.asks_first && !self.polled) {
            return;
        }
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            let bound = self.bound;
            rt.spawn(async move {
                discard(inner, bound).await;
            });
        }
    }
}

/// Reads and drops `body` within `bound`. Returns the bytes read and whether the body ended;
/// when it did not (too long, too slow, or broken), dropping it closes the connection.
pub async fn discard(mut body: Body, bound: DiscardBound) -> (usize, bool) {
    let mut read = 0usize;
    let ended = tokio::time::timeout(bound.time, async {
        while let Some(frame) = body.frame().await {
            let Ok(frame) = frame else { return false };
            if let Some(data) = frame.data_ref() {
                read = read.saturating_add(data.len());
                if read > bound.bytes {
                    return false;
                }
            }
        }
        true
    })
    .await
    .unwrap_or(false);
    (read, ended)
}

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

    fn stream_of(chunks: usize, then_wait: bool) -> Body {
        use futures::StreamExt;
        let data = futures::stream::iter(
            (0..chunks).map(|_| Ok::<_, std::io::Error>(Bytes::from(vec![b' '; 1000]))),
        );
        if then_wait {
            Body::from_stream(data.chain(futures::stream::pending()))
        } else {
            Body::from_stream(data)
        }
    }

    #[tokio::test]
    async fn an_unread_body_is_discarded_to_its_end_within_the_bound() {
        let bound = DiscardBound {
            bytes: 10_000,
            time: Duration::from_secs(10),
        };
        assert_eq!(discard(stream_of(10, false), bound).await, (10_000, true));
    }

    #[tokio::test]
    async fn discarding_stops_past_the_byte_bound() {
        let bound = DiscardBound {
            bytes: 10_000,
            time: Duration::from_secs(10),
        };
        let (read, ended) = discard(stream_of(1_000, false), bound).await;
        assert!(!ended);
        assert_eq!(read, 11_000, "it stops at the first chunk past the bound");
    }

    #[tokio::test]
    async fn discarding_stops_at_the_time_bound() {
        let bound = DiscardBound {
            bytes: 10_000,
            time: Duration::from_millis(50),
        };
        let (read, ended) = discard(stream_of(3, true), bound).await;
        assert_eq!(
            (read, ended),
            (3_000, false),
            "a client that stalls is let go"
        );
    }

    #[test]
    fn the_bound_scales_with_the_limit() {
        assert_eq!(DiscardBound::for_limit(1 << 20).bytes, 64 << 20);
        assert_eq!(DiscardBound::for_limit(100 << 20).bytes, 400 << 20);
        assert_eq!(DiscardBound::for_limit(usize::MAX).bytes, usize::MAX);
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
