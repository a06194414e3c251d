//! Okta's provisioning client as a third source: what it sends ([`app`], for an OIN or a
//! custom app), its event-driven pushes and the tasks a failed one leaves ([`push`]), its
//! scheduled import ([`import`]), and `simulate --idp okta` ([`sim`]). The target is checked
//! with the check Entra's simulation uses (`sim::check`).

pub mod app;
pub mod import;
pub mod push;
pub mod sim;
