//! The target's published User schema against what clients send (RFC 7643 §6-§8.7.1), checked
//! once per run so a departure is one finding, not a failure in every scenario it touches.

use crate::conformance::ScimWorld;
use crate::conformance::assert::{Failure, StepResult, ensure};
use crate::conformance::schema::TargetSchema;
use cucumber::{then, when};
use reqwest::Method;

/// Attributes this product's default user mapping in the provider sends (BEHAVIOUR E-MAP-01:
/// the product's mapping, not every Entra application's).
const PROVIDER_MAPPING: [&str; 10] = [
    "userName",
    "externalId",
    "active",
    "name.givenName",
    "name.familyName",
    "emails[type eq \"work\"].value",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:division",
];

fn published(w: &ScimWorld) -> Result<TargetSchema, Failure> {
    let ctx = w.ctx()?;
    if ctx.schema.user.is_none() {
        return Err(Failure::skip(
            "the target publishes no readable User schema in /Schemas, so RFC 7643's is assumed",
        ));
    }
    Ok(ctx.schema.clone())
}

#[when(regex = r"^I read the target's published User schema$")]
async fn read_schema(w: &mut ScimWorld) -> StepResult {
    published(w)?;
    w.call(Method::GET, "/Schemas", None, &[]).await.map(|_| ())
}

#[then(regex = r"^it departs in nothing from RFC 7643's core User attributes$")]
async fn no_departures(w: &mut ScimWorld) -> StepResult {
    let departures = published(w)?.departures();
    ensure(
        departures.is_empty(),
        None,
        "RFC 7643 §4.1, §8.7.1",
        "the User schema declares RFC 7643's core attributes with their optionality (an interoperability finding: clients that send RFC-shaped users will be refused or lose data)",
        "no departure",
        departures.join("; "),
    )
}

#[then(regex = r"^it declares every attribute of this product's default user mapping$")]
async fn provider_attributes(w: &mut ScimWorld) -> StepResult {
    let schema = published(w)?;
    let mut missing: Vec<String> = Vec::new();
    for m in PROVIDER_MAPPING.iter().filter_map(|p| schema.lacks(p)) {
        if !missing.contains(&m) {
            missing.push(m);
        }
    }
    ensure(
        missing.is_empty(),
        None,
        "Microsoft Entra ID, this product's default attribute mappings (E-MAP-01)",
        "the target declares every attribute this product's default mapping in the provider sends",
        "all declared",
        format!("not declared: {}", missing.join(", ")),
    )
}
