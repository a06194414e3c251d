//! scim-harness: a conformance test and load simulation harness for SCIM 2.0 provisioning and
//! User Sync. The module map follows DESIGN.md: a pure protocol core (`scim`), the embedded
//! reference implementation (`reference`), and the parts that drive it.

pub mod scim;
