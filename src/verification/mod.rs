//! Domain verification (BEHAVIOUR E-DV-01..05): an organization exists once one of its domains
//! is verified, by a DNS TXT record or by a file on the domain's web server, within 10 days.
//!
//! - [`dns`]: a real authoritative DNS server (hickory-server) on loopback whose zone and
//!   faults the scenarios control.
//! - [`web`]: a fake web server (wiremock) serving the verification file per Host header.
//! - [`verifier`]: the reference implementation's verifier: the rules, and one distinct,
//!   explained [`verifier::Outcome`] for every way a verification can end.

pub mod cli;
pub mod dns;
pub mod outcome;
pub mod rules;
pub mod verifier;
pub mod web;
