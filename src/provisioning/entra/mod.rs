//! Microsoft Entra ID's provisioning service: the job and its cycles, scoping, escrows and
//! quarantine, provision on demand, and the convergence check of its simulation.

pub mod cycle;
pub mod job;
pub mod managers;
pub mod members;
pub mod objects;
pub mod plan;
pub mod pod;
pub mod quarantine;
pub mod sim;
pub mod status;
