//! PATCH parse and apply, strict and with the identity provider's shapes: any JSON body, never a
//! panic; a PATCH never changes the id, and what it returns keeps the required userName.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scim_harness::scim::patch::{PatchOptions, apply, parse_request};
use std::sync::LazyLock;

#[path = "sample.rs"]
mod sample;

static USER: LazyLock<serde_json::Value> = LazyLock::new(sample::user);

fuzz_target!(|data: &[u8]| {
    let Ok(body) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let rt = scim_harness::scim::schema::user_type();
    for compat in [false, true] {
        let opts = PatchOptions { compat };
        let Ok(ops) = parse_request(&body, opts) else {
            continue;
        };
        if let Ok(out) = apply(&USER, &ops, rt, opts) {
            assert_eq!(out["id"], USER["id"], "a PATCH changed the id");
            assert!(
                out["userName"].as_str().is_some_and(|u| !u.trim().is_empty()),
                "a PATCH left no userName: {out}"
            );
        }
    }
});
