//! The embedded reference implementation: a complete in-memory SCIM 2.0 service provider.

pub mod admin;
pub mod body;
pub mod bulk;
pub mod cli;
pub mod config;
pub mod discovery;
pub mod domains;
pub mod etag;
pub mod http;
pub mod org;
pub mod resources;
pub mod response;
pub mod server;
pub mod state;
pub mod store;
pub mod usersync;
