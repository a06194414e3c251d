//! Resource canonicalisation against the User and Group schemas: any JSON body, never a panic;
//! a canonical resource is a fixed point (canonicalising it again changes nothing).
#![no_main]

use libfuzzer_sys::fuzz_target;
use scim_harness::scim::resource::{InputOptions, canonicalize};
use scim_harness::scim::schema::{group_type, user_type};

fuzz_target!(|data: &[u8]| {
    let Ok(body) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    for rt in [user_type(), group_type()] {
        for lenient_booleans in [false, true] {
            let opts = InputOptions { lenient_booleans };
            if let Ok(once) = canonicalize(&body, rt, opts) {
                let twice = canonicalize(&once, rt, opts);
                assert_eq!(twice.as_ref().ok(), Some(&once), "not a fixed point: {body}");
            }
        }
    }
});
