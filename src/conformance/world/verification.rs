//! Domain verification: the run's fake servers and the codes the target issued.

use crate::verification::dns::FakeDns;
use crate::verification::web::FakeWeb;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;

/// The fake servers of one run.
#[derive(Debug)]
pub struct Fakes {
    pub dns: FakeDns,
    pub web: FakeWeb,
}

/// What a verification scenario keeps between steps.
#[derive(Debug, Default)]
pub struct VerificationState {
    pub(crate) fakes: Option<Arc<Fakes>>,
    /// Codes the target issued, by the domain as the feature names it.
    pub(crate) codes: HashMap<String, String>,
    /// The last verification (the `verification` object of the answer).
    pub(crate) last: Option<Value>,
    /// The domain the scenario started verifying last.
    pub(crate) last_started: Option<String>,
}
