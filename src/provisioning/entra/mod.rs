//! Microsoft Entra ID's provisioning service: the job and its cycles, scoping, escrows and
//! quarantine, provision on demand, and the convergence check of its simulation.

pub mod check;
pub mod cycle;
pub mod job;
mod plan;
pub mod pod;
pub mod quarantine;
mod references;
pub mod sim;
