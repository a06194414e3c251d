//! The integration tests, in one test binary (`cargo test --test it`): one module per former
//! `tests/*.rs` file, so the crate and its dependencies are linked once instead of 38 times.
//! Run one module with its name as the filter, e.g. `cargo test --test it reference_crud`; the
//! filter is a substring, so `reference_patch` also runs `reference_patch_compat` and
//! `reference_patch_multi` (`reference_patch::` runs that module alone).
//!
//! The Gherkin runners (`tests/features.rs`, `tests/verification_features.rs`,
//! `tests/provisioning_features.rs`) are `harness = false` binaries of their own.

mod common;

// The binary on its own, outside the build tree.
mod standalone;

// The codemap of ARCHITECTURE.md and its invariants.
mod architecture;

// What users put in their CI: the examples, the Dockerfile, the manifest, the report schemas.
mod ci_files;
mod report_schemas;

// The embedded reference over HTTP.
mod reference_attributes;
mod reference_body_limit;
mod reference_bulk;
mod reference_concurrency;
mod reference_consistency;
mod reference_crud;
mod reference_discovery;
mod reference_errors;
mod reference_etag;
mod reference_filter;
mod reference_filter_types;
mod reference_groups;
mod reference_identifiers;
mod reference_paging;
mod reference_patch;
mod reference_patch_compat;
mod reference_patch_multi;
mod reference_robustness;

// Property tests of the protocol core.
mod filter_props;
mod paging_props;
mod patch_props;

// The conformance suite itself: against broken servers and the independent peers.
mod conformance_accepted;
mod conformance_faults;
mod peer_panel;
mod peer_simulate;

// The load driver.
mod load_bench;
mod load_coordinated_omission;
mod load_failing_target;
mod load_scenarios;
mod load_shard_merge;

// User Sync and the directory connector.
mod adc_connector;
mod usersync_admin_api;
mod usersync_bench;
mod usersync_concurrency;
mod usersync_faults;
mod usersync_features;

// Domain verification.
mod verification_cli;
mod verification_dns;
mod verification_reference;
mod verification_web;

// Reaching real servers: TLS, Basic, OAuth, headers, proxies.
mod connection;

// The harness against a hostile target: bounded, explained client errors.
mod hostile_target;

// The mock identity provider.
mod provisioning_external;
mod provisioning_requests;
mod provisioning_targets;

// Okta's provisioning client.
mod okta_simulate;
