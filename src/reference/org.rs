//! The organization behind the reference: its admins and their roles, and its domains with
//! their verification state. User Sync reads it for its prerequisites (BEHAVIOUR S-US-10): an
//! admin holding both the organization-admin and the product-admin role, and a verified
//! domain. Until domain verification (E-DV-*) is wired in, a domain's `verified` flag is set
//! through the admin API or [`Org::set_domain`].

use parking_lot::RwLock;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
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

/// A domain of the organization.
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
}

#[derive(Debug, Default, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct OrgState {
    admins: Vec<Admin>,
    domains: Vec<Domain>,
}

/// The organization (one per reference instance, as a SCIM token is per organization).
#[derive(Debug, Default)]
pub struct Org {
    state: RwLock<OrgState>,
}

impl Org {
    /// The organization as JSON for the admin API.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(&*self.state.read()).unwrap_or_default()
    }

    pub fn admins(&self) -> Vec<Admin> {
        self.state.read().admins.clone()
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
        self.state.write().admins.push(a.clone());
        Ok(a)
    }

    /// Replaces an admin's roles.
    pub fn set_roles(&self, id: Uuid, roles: BTreeSet<AdminRole>) -> Result<Admin, OrgError> {
        let mut st = self.state.write();
        let a = st
            .admins
            .iter_mut()
            .find(|a| a.id == id)
            .ok_or(OrgError::NoAdmin(id))?;
        a.roles = roles;
        Ok(a.clone())
    }

    pub fn remove_admin(&self, id: Uuid) -> Result<(), OrgError> {
        let mut st = self.state.write();
        let before = st.admins.len();
        st.admins.retain(|a| a.id != id);
        if st.admins.len() == before {
            return Err(OrgError::NoAdmin(id));
        }
        Ok(())
    }

    /// Adds a domain or changes its verification state. The domain-verification part calls
    /// this when a TXT record or web file proves ownership.
    /// Gives `role` to the admin with this email, creating the admin if there is none: the
    /// account that verifies a domain becomes organization admin (E-DV-01) without duplicates.
    pub fn grant_role(&self, email: &str, role: AdminRole) -> Result<Admin, OrgError> {
        let email = email.trim();
        {
            let mut st = self.state.write();
            if let Some(a) = st
                .admins
                .iter_mut()
                .find(|a| a.email.eq_ignore_ascii_case(email))
            {
                a.roles.insert(role);
                return Ok(a.clone());
            }
        }
        self.add_admin(email, BTreeSet::from([role]))
    }

    pub fn set_domain(&self, name: &str, verified: bool) -> Result<Domain, OrgError> {
        let name = name.trim().trim_end_matches('.').to_ascii_lowercase();
        let ok = name.contains('.')
            && name
                .split('.')
                .all(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
        if !ok {
            return Err(OrgError::BadDomain(name));
        }
        let mut st = self.state.write();
        let d = match st.domains.iter_mut().find(|d| d.name == name) {
            Some(d) => {
                d.verified = verified;
                d.clone()
            }
            None => {
                let d = Domain { name, verified };
                st.domains.push(d.clone());
                d
            }
        };
        Ok(d)
    }

    /// Deletes an unverified domain (a verified one cannot be deleted, E-DV-04).
    pub fn remove_domain(&self, name: &str) -> Result<(), OrgError> {
        let name = name.trim().to_ascii_lowercase();
        let mut st = self.state.write();
        match st.domains.iter().find(|d| d.name == name) {
            None => Err(OrgError::NoDomain(name)),
            Some(d) if d.verified => Err(OrgError::VerifiedDomain(name)),
            Some(_) => {
                st.domains.retain(|d| d.name != name);
                Ok(())
            }
        }
    }

    pub fn domains(&self) -> Vec<Domain> {
        self.state.read().domains.clone()
    }

    /// The organization prerequisites of User Sync that do not hold, in words.
    pub fn unmet_prerequisites(&self) -> Vec<String> {
        let st = self.state.read();
        let mut out = Vec::new();
        let both = st.admins.iter().any(|a| {
            a.roles.contains(&AdminRole::OrganizationAdmin)
                && a.roles.contains(&AdminRole::ProductAdmin)
        });
        if !both {
            out.push(
                "no admin holds both the Organization admin and the product admin role".to_string(),
            );
        }
        if !st.domains.iter().any(|d| d.verified) {
            out.push("the organization has no verified domain".to_string());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verifying_account_gains_the_role_once() {
        let org = Org::default();
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
        let org = Org::default();
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
    }
}
