//! Steps of `features/provisioning` about manager references (E-CY-01): who reports to whom in
//! the directory, and whether the app's enterprise `manager` points at the right user.

use super::provisioning::{check, log_lines, scenario, target_user, user_index};
use crate::clock::Clock;
use crate::conformance::ScimWorld;
use crate::conformance::assert::{Failure, StepResult};
use crate::provisioning::mapping::manager_of;
use cucumber::{given, then, when};

#[given(regex = r#"^the app maps each user's manager$"#)]
async fn maps_manager(w: &mut ScimWorld) -> StepResult {
    let s = scenario(w).await?;
    s.job.map_manager();
    Ok(())
}

/// Sets (or clears, with `None`) a user's manager in the directory.
async fn set_manager(w: &mut ScimWorld, name: &str, boss: Option<&str>) -> StepResult {
    let s = scenario(w).await?;
    let i = user_index(s, name)?;
    let manager = match boss {
        Some(b) => Some(s.tenant.users[user_index(s, b)?].object_id.clone()),
        None => None,
    };
    let now = s.clock.now() + chrono::Duration::seconds(1);
    let u = &mut s.tenant.users[i];
    u.manager = manager;
    u.modified = now;
    Ok(())
}

#[given(regex = r#"^(\w+) reports to (\w+)$"#)]
async fn reports_to(w: &mut ScimWorld, name: String, boss: String) -> StepResult {
    set_manager(w, &name, Some(&boss)).await
}

#[when(regex = r#"^(\w+) gets (\w+) as (?:her|his|their) new manager$"#)]
async fn new_manager(w: &mut ScimWorld, name: String, boss: String) -> StepResult {
    set_manager(w, &name, Some(&boss)).await
}

#[when(regex = r#"^(\w+) no longer has a manager$"#)]
async fn no_manager(w: &mut ScimWorld, name: String) -> StepResult {
    set_manager(w, &name, None).await
}

#[then(regex = r#"^the app has (\w+) (?:reporting to (\w+)|with no manager)$"#)]
async fn app_manager(w: &mut ScimWorld, name: String, boss: String) -> StepResult {
    let s = scenario(w).await?;
    let user = target_user(s, &name)
        .await?
        .ok_or_else(|| Failure::suite(format!("{name} is not in the app")))?;
    let want = if boss.is_empty() {
        None
    } else {
        let b = &s.tenant.users[user_index(s, &boss)?].object_id;
        Some(
            s.job
                .user_links()
                .get(b)
                .cloned()
                .ok_or_else(|| Failure::suite(format!("{boss} is not in the app")))?,
        )
    };
    let got = manager_of(&user);
    let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "(no manager)".into());
    check(
        got == want,
        &format!("{name}'s manager in the app (E-CY-01)"),
        show(&want),
        show(&got),
    )
}

#[then(regex = r#"^the provisioning log shows "([^"]+)" after "([^"]+)"$"#)]
async fn log_order(w: &mut ScimWorld, later: String, earlier: String) -> StepResult {
    let s = scenario(w).await?;
    let lines = log_lines(s.job.logs());
    let a = lines.iter().position(|l| *l == earlier);
    let b = lines.iter().rposition(|l| *l == later);
    check(
        matches!((a, b), (Some(a), Some(b)) if a < b),
        "the references phase follows the creates",
        format!("\"{earlier}\" before \"{later}\""),
        lines.join("; "),
    )
}
