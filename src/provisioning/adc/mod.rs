//! The Active Directory Connector v2 as a second source (the first seed makes it a
//! prerequisite of User Sync): an on-premises directory ([`directory`]) built on the shared
//! seeded tenant and churn, a connector ([`connector`]) that polls it on the simulated clock
//! and pushes users, groups and nested groups into the product, a from-scratch check of the
//! result including User Sync's entitlements ([`check`]), and `simulate --source adc`
//! ([`sim`]).

pub mod check;
pub mod connector;
pub mod directory;
mod push;
pub mod sim;

pub use connector::{AdcConfig, Connector};
pub use directory::{Directory, DirectorySpec};
