//! The attribute-path parsers (`attributes=`, `sortBy`, PATCH paths): any text, never a panic;
//! what parses and binds reads values out of a stored user.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scim_harness::scim::path::{AttrPath, PatchPath};
use std::sync::LazyLock;

#[path = "sample.rs"]
mod sample;

static USER: LazyLock<serde_json::Value> = LazyLock::new(sample::user);

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let rt = scim_harness::scim::schema::user_type();
    if let Ok(p) = AttrPath::parse(text)
        && let Ok(bound) = p.bind(rt)
    {
        let _ = bound.def(rt);
        let _ = bound.values_in(&USER);
    }
    let _ = PatchPath::parse(text);
});
