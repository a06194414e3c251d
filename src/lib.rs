//! scim-harness: a conformance test and load simulation harness for SCIM 2.0 provisioning and
//! User Sync. ARCHITECTURE.md has the module map: a pure protocol core (`scim`), the embedded
//! reference implementation (`reference`), the client every driver uses (`client`), and the
//! jobs the command line runs (`run`, `bench`).

pub mod bench;
pub mod client;
pub mod clock;
pub mod config;
pub mod conformance;
pub mod features;
pub mod load;
pub mod provisioning;
pub mod reference;
pub mod report;
pub mod run;
pub mod scim;
pub mod verification;
