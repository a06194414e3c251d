//! The SCIM 2.0 protocol core: pure, no I/O. The reference server and every client use it.

pub mod error;
pub mod filter;
pub mod patch;
pub mod path;
pub mod query;
pub mod resource;
pub mod schema;

pub use error::{ScimError, ScimType};
