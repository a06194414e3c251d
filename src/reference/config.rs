//! Settings of the embedded reference service provider. Every limit here is enforced by the
//! server and advertised by `/ServiceProviderConfig`, so what it says is what it does.

/// Hostile-input limits and page sizes.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest request body accepted on any endpoint (413 above it); also `bulk.maxPayloadSize`.
    pub max_payload_size: usize,
    /// Largest page (`filter.maxResults`): a larger `count` is capped to it.
    pub max_results: usize,
    /// A filtered query matching more resources than this answers 400 `tooMany`, rather than
    /// computing and sorting an unbounded result (RFC 7644 §3.12).
    pub max_filter_matches: usize,
    /// `bulk.maxOperations`.
    pub bulk_max_operations: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_payload_size: 1024 * 1024,
            max_results: 1000,
            max_filter_matches: 10_000,
            bulk_max_operations: 1000,
        }
    }
}

/// How the reference behaves.
#[derive(Debug, Clone)]
pub struct ReferenceConfig {
    /// Bearer token clients must present; `None` disables authentication (local exploration).
    pub token: Option<String>,
    /// Path prefix the SCIM endpoints are served under ("" serves them at the root).
    pub base_path: String,
    /// Accept Microsoft Entra ID's non-standard request shapes (BEHAVIOUR E-U-03, E-G-01).
    /// On by default: a real service must accept them to work with that provider. Off gives
    /// the strict RFC answer.
    pub entra_compat: bool,
    /// Refuse a second group with the same `displayName` (409), as the provider expects (E-G-01).
    pub unique_group_names: bool,
    pub limits: Limits,
}

impl Default for ReferenceConfig {
    fn default() -> Self {
        ReferenceConfig {
            token: None,
            base_path: String::new(),
            entra_compat: true,
            unique_group_names: true,
            limits: Limits::default(),
        }
    }
}
