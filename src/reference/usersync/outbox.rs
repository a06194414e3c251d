//! The enrollment outbox: the emails User Sync would send. A user gets exactly one, the first
//! time it receives an entitlement (BEHAVIOUR S-US-02); tests read the outbox instead of a
//! mail server.

use parking_lot::Mutex;
use serde::Serialize;
use uuid::Uuid;

/// Subject of the enrollment email.
pub const ENROLLMENT_SUBJECT: &str = "Your new product account is ready";

/// One email.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Email {
    pub id: u64,
    pub user_id: Uuid,
    pub to: String,
    pub subject: String,
    pub body: String,
    pub sent_at: String,
}

/// Append-only list of emails.
#[derive(Debug, Default)]
pub struct Outbox {
    emails: Mutex<Vec<Email>>,
}

impl Outbox {
    /// Writes the enrollment email for a user.
    pub fn enroll(&self, user_id: Uuid, to: &str, products: &[String], sent_at: String) {
        let body = format!(
            "Hello,\n\nyou now have access to {}. Log in at https://login.example.com with {to}, \
             change your password when asked, and your account is ready to use on the desktop, \
             in a browser or on your mobile device.\n",
            products.join(", ")
        );
        let mut e = self.emails.lock();
        let id = e.len() as u64 + 1;
        e.push(Email {
            id,
            user_id,
            to: to.to_string(),
            subject: ENROLLMENT_SUBJECT.to_string(),
            body,
            sent_at,
        });
    }

    /// The emails, optionally only those to one user.
    pub fn list(&self, user: Option<Uuid>) -> Vec<Email> {
        self.emails
            .lock()
            .iter()
            .filter(|e| user.is_none_or(|u| e.user_id == u))
            .cloned()
            .collect()
    }

    pub fn len(&self) -> usize {
        self.emails.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
