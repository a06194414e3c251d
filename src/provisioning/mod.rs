//! The mock identity provider: Microsoft Entra ID's provisioning service, scriptable.
//!
//! A seeded source directory ([`tenant`]) changes between cycles ([`churn`]); the job
//! ([`job`]) maps it ([`mapping`]), scopes it ([`scoping`]) and sends the provider's exact
//! request shapes ([`requests`]) through the shared SCIM client, on a simulated clock, with
//! escrows, quarantine and the deletion guard ([`quarantine`]), writing provisioning logs
//! ([`logs`]). [`sim::simulate`] runs a whole day in seconds and checks convergence
//! ([`converge`]); [`faulty_target`] puts faults and protocol bugs in front of the embedded
//! reference for the misbehaving-target scenarios.

pub mod adc;
pub mod churn;
pub mod cli;
pub mod entra;
pub mod exchange;
pub mod faulty_target;
pub mod logs;
pub mod mapping;
pub mod requests;
pub mod scoping;
pub mod sim;
pub mod tenant;

pub use cli::simulate;
pub use sim::{SimError, SimOptions, SimulationReport};
