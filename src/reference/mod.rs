//! The embedded reference implementation: a complete in-memory SCIM 2.0 service provider.

pub mod bulk;
pub mod config;
pub mod discovery;
pub mod http;
pub mod resources;
pub mod server;
pub mod store;
