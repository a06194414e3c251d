//! The organization behind the reference: its admins and their roles. User Sync reads it for
//! its prerequisites (S-US-10): an admin holding both the organization-admin and the
//! product-admin role, and a verified domain.
//!
//! The domains themselves live in one place, the [`DomainRegistry`] (codes, deadlines, DNS and
//! web verification). The organization's admin API reads them from there, and its
//! `PUT /admin/v1/org/domains/{domain}` is an administrator setting the registry's state
//! directly, for setups that cannot publish a DNS record.

use super::domains::{DomainError, DomainRegistry, DomainState};
use parking_lot::RwLock;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeSet;
use std::sync::Arc;
use uuid::Uuid;

/// An admin role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum AdminRole {
    /// "Organization admin".
    OrganizationAdmin,
    /// The product admin role ("LogMeIn product admin" in the product's words).
    ProductAdmin,
}

/// An admin of the organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Admin {
    pub id: Uuid,
    pub email: String,
    pub roles: BTreeSet<AdminRole>,
}

/// A domain of the organization as its admin API shows it (the registry holds the rest).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Domain {
    pub name: String,
    pub verified: bool,
}

/// Why an organization change was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrgError {
    #[error("no admin with id {0}")]
    NoAdmin(Uuid),
    #[error("no domain '{0}'")]
    NoDomain(String),
    #[error("'{0}' is not a domain name")]
    BadDomain(String),
    #[error("'{0}' is not an email address")]
    BadEmail(String),
    #[error("domain '{0}' is verified and cannot be deleted")]
    VerifiedDomain(String),
    /// The registry's reason (`'a_b.example' contains '_'; ...`).
    #[error("not a valid domain name: {0}")]
    InvalidDomain(String),
    /// A domain proven by DNS or web verification cannot be marked unverified.
    #[error(transparent)]
    Proven(DomainError),
}

impl From<DomainError> for OrgError {
    fn from(e: DomainError) -> Self {
        match e {
            DomainError::NotFound(d) => OrgError::NoDomain(d),
            DomainError::VerifiedCannotBeDeleted(d) => OrgError::VerifiedDomain(d),
            DomainError::InvalidDomain(reason) => OrgError::InvalidDomain(reason),
            // Neither is reachable from the organization's API (set_verified inserts).
            e @ (DomainError::Proven(_) | DomainError::Exists(_)) => OrgError::Proven(e),
        }
    }
}

/// The organization (one per reference instance, as a SCIM token is per organization).
#[derive(Debug)]
pub struct Org {
    admins: RwLock<Vec<Admin>>,
    domains: Arc<DomainRegistry>,
}

impl Org {
    /// An organization with no admins, whose domains are those of `domains`.
    pub fn new(domains: Arc<DomainRegistry>) -> Org {
        Org {
            admins: RwLock::default(),
            domains,
        }
    }

    /// The organization as JSON for the admin API.
    pub fn to_json(&self) -> serde_json::Value {
        json!({"admins": self.admins(), "domains": self.domains()})
    }

    pub fn admins(&self) -> Vec<Admin> {
        self.admins.read().clone()
    }

    /// Adds an admin.
    pub fn add_admin(&self, email: &str, roles: BTreeSet<AdminRole>) -> Result<Admin, OrgError> {
        let email = email.trim();
        if !email.contains('@') || email.len() < 3 {
            return Err(OrgError::BadEmail(email.to_string()));
        }
        let a = Admin {
            id: Uuid::new_v4(),
            email: email.to_string(),
            roles,
        };
        self.admins.write().push(a.clone());
        Ok(a)
    }

    /// Replaces an admin's roles.
    pub fn set_roles(&self, id: Uuid, roles: BTreeSet<AdminRole>) -> Result<Admin, OrgError> {
        let mut admins = self.admins.write();
        let a = admins
            .iter_mut()
            .find(|a| a.id == id)
            .ok_or(OrgError::NoAdmin(id))?;
        a.roles = roles;
        Ok(a.clone())
    }

    pub fn remove_admin(&self, id: Uuid) -> Result<(), OrgError> {
        let mut admins = self.admins.write();
        let before = admins.len();
        admins.retain(|a| a.id != id);
        if admins.len() == before {
            return Err(OrgError::NoAdmin(id));
        }
        Ok(())
    }

    /// Gives `role` to the admin with this email, creating the admin if there is none: the
    /// account that verifies a domain becomes organization admin (E-DV-01) without duplicates.
    pub fn grant_role(&self, email: &str, role: AdminRole) -> Result<Admin, OrgError> {
        let email = email.trim();
        {
            let mut admins = self.admins.write();
            if let Some(a) = admins
                .iter_mut()
                .find(|a| a.email.eq_ignore_ascii_case(email))
            {
                a.roles.insert(role);
                return Ok(a.clone());
            }
        }
        self.add_admin(email, BTreeSet::from([role]))
    }

    /// Adds a domain or sets its verification state, as an administrator.
    pub fn set_domain(&self, name: &str, verified: bool) -> Result<Domain, OrgError> {
        let d = self.domains.set_verified(name, verified)?;
        Ok(Domain {
            verified: d.state == DomainState::Verified,
            name: d.name,
        })
    }

    /// Deletes an unverified domain (a verified one cannot be deleted, E-DV-04).
    pub fn remove_domain(&self, name: &str) -> Result<(), OrgError> {
        Ok(self.domains.delete(name)?)
    }

    pub fn domains(&self) -> Vec<Domain> {
        self.domains
            .list()
            .into_iter()
            .map(|d| Domain {
                verified: d.state == DomainState::Verified,
                name: d.name,
            })
            .collect()
    }

    /// The organization prerequisites of User Sync that do not hold, in words.
    pub fn unmet_prerequisites(&self) -> Vec<String> {
        let mut out = Vec::new();
        let both = self.admins.read().iter().any(|a| {
            a.roles.contains(&AdminRole::OrganizationAdmin)
                && a.roles.contains(&AdminRole::ProductAdmin)
        });
        if !both {
            out.push(
                "no admin holds both the Organization admin and the product admin role".to_string(),
            );
        }
        if !self.domains.has_verified_domain() {
            out.push("the organization has no verified domain".to_string());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org() -> Org {
        Org::new(Arc::new(DomainRegistry::new(Arc::new(
            crate::clock::SystemClock,
        ))))
    }

    #[test]
    fn verifying_account_gains_the_role_once() {
        let org = org();
        org.add_admin("ann@example.com", [AdminRole::ProductAdmin].into())
            .expect("valid");
        org.grant_role("ANN@example.com", AdminRole::OrganizationAdmin)
            .expect("valid");
        org.grant_role("ann@example.com", AdminRole::OrganizationAdmin)
            .expect("valid");
        let admins = org.admins();
        assert_eq!(admins.len(), 1);
        assert!(admins[0].roles.contains(&AdminRole::OrganizationAdmin));
        assert!(admins[0].roles.contains(&AdminRole::ProductAdmin));
        org.grant_role("bob@example.com", AdminRole::OrganizationAdmin)
            .expect("valid");
        assert_eq!(org.admins().len(), 2);
    }

    #[test]
    fn prerequisites_need_both_roles_on_one_admin_and_a_verified_domain() {
        let org = org();
        assert_eq!(org.unmet_prerequisites().len(), 2);
        org.add_admin("a@example.com", [AdminRole::OrganizationAdmin].into())
            .expect("valid");
        org.add_admin("b@example.com", [AdminRole::ProductAdmin].into())
            .expect("valid");
        org.set_domain("example.com", false).expect("valid");
        assert_eq!(org.unmet_prerequisites().len(), 2);
        org.add_admin(
            "c@example.com",
            [AdminRole::OrganizationAdmin, AdminRole::ProductAdmin].into(),
        )
        .expect("valid");
        org.set_domain("Example.com.", true).expect("valid");
        assert!(org.unmet_prerequisites().is_empty());
        assert_eq!(
            org.remove_domain("example.com"),
            Err(OrgError::VerifiedDomain("example.com".into()))
        );
        // One source of truth: the registry holds what the organization's API set.
        assert_eq!(org.domains.list().len(), 1);
        org.set_domain("example.com", false).expect("valid");
        assert!(!org.domains.has_verified_domain());
        assert_eq!(org.unmet_prerequisites().len(), 1);
    }
}
