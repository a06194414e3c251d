//! The filter parser, binder and evaluator: any text, never a panic; what parses and binds
//! evaluates against a stored user.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scim_harness::scim::filter::Filter;
use std::sync::LazyLock;

#[path = "sample.rs"]
mod sample;

static USER: LazyLock<serde_json::Value> = LazyLock::new(sample::user);

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let rt = scim_harness::scim::schema::user_type();
    if let Ok(f) = Filter::parse(text)
        && let Ok(bound) = f.bind(rt)
    {
        let _ = bound.matches(&USER, rt);
    }
});
