//! The provisioning sources a simulation runs against a SCIM target, and what they share.
//!
//! [`entra`] is Microsoft Entra ID's provisioning service, [`okta`] Okta's provisioning
//! client, [`adc`] the Active Directory Connector v2; all three read a seeded source directory ([`tenant`]) that changes between cycles
//! ([`churn`]), map it ([`mapping`]) and send requests ([`requests`]) through [`exchange`],
//! writing provisioning logs ([`logs`]). [`sim`] holds a simulation's options, report and
//! convergence verdict, [`cli`] the `simulate` command and the dispatch to a source, and
//! [`faulty_target`] puts faults and protocol bugs in front of the embedded reference.

pub mod adc;
pub mod churn;
pub mod cli;
pub mod entra;
pub mod exchange;
pub mod faulty_target;
pub mod logs;
pub mod mapping;
pub mod okta;
pub mod requests;
pub mod scoping;
pub mod sim;
pub mod tenant;

pub use cli::simulate;
pub use sim::{SimError, SimOptions, SimulationReport};
