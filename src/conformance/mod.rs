//! The Gherkin conformance suite: runs `features/scim/*.feature` against a SCIM service (the
//! embedded reference by default) and judges the result by RFC level.
//!
//! How a run goes:
//! 1. The target is chosen: `--target URL` (+ token), or the embedded reference started on an
//!    ephemeral loopback port with a random token.
//! 2. Discovery: `/ServiceProviderConfig` is read once. An unreachable target, a rejected
//!    token or a missing configuration ends the run here with a one-line reason (exit 2),
//!    rather than with a wall of failed scenarios.
//! 3. Cucumber runs the scenarios selected by the profile and `--tags`, concurrently. The
//!    `before` hook gives each scenario's World the shared context and skips scenarios tagged
//!    `@needs-<feature>` that the target does not advertise; the `after` hook deletes what the
//!    scenario created, even after a failed step.
//!    Scenarios tagged `@strict-rfc` expect an RFC answer that the identity provider's shapes
//!    contradict (E-U-03); they run only with `--profile rfc` against a target that does not
//!    advertise entra compatibility.
//! 4. The [`recorder::Recorder`] keeps every step's result; [`RunReport::finish`] applies the
//!    levels: a failed `@must` fails the run, a failed `@should` is a warning (a failure with
//!    `--fail-on should`), a failed `@may` never fails.

pub mod assert;
pub mod cli;
pub mod recorder;
pub mod schema;
pub mod steps;
pub mod target;
pub mod world;

pub use world::ScimWorld;

use crate::reference::config::{Limits, ReferenceConfig};
use crate::reference::server::RunningReference;
use crate::report::{FailOn, ReportError, RunReport};
use assert::SKIP_MARKER;
use cucumber::World as _;
use cucumber::gherkin;
use cucumber::tag::Ext as _;
use futures::FutureExt as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;
use target::RunContext;

/// Why a run could not produce a verdict (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum ConformanceError {
    /// The target is unreachable or misconfigured.
    #[error("target: {0}")]
    Target(String),
    /// The options are inconsistent (bad tag expression, missing features folder).
    #[error("configuration: {0}")]
    Config(String),
    #[error("report: {0}")]
    Report(#[from] ReportError),
}

/// Which request shapes to test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Profile {
    /// Strict RFC 7643/7644 only (`@rfc`).
    Rfc,
    /// Only the identity provider's non-standard shapes (`@entra-compat`).
    EntraCompat,
    /// Both.
    #[default]
    All,
    /// Okta's provisioning client (`@okta`; the built-in `features/okta`).
    Okta,
}

impl Profile {
    fn tag_expression(self) -> Option<&'static str> {
        match self {
            Profile::Rfc => Some("@rfc"),
            Profile::EntraCompat => Some("@entra-compat"),
            Profile::All => None,
            Profile::Okta => Some("@okta"),
        }
    }
}

/// Options of a conformance run (the command line's, or a test's).
#[derive(Debug, Clone, Default)]
pub struct ConformanceOptions {
    /// SCIM base URL; `None` starts the embedded reference.
    pub target: Option<String>,
    /// How to reach `target` (credentials, headers, TLS); unused for the embedded reference.
    pub connection: crate::client::Connection,
    /// Folder of `.feature` files on disk; `None` runs the built-in ones.
    pub features: Option<PathBuf>,
    /// Without `features`: which built-in folder runs (`scim` when `None`).
    pub built_in: Option<String>,
    /// A cucumber tag expression, AND-ed with the profile.
    pub tags: Option<String>,
    pub profile: Profile,
    pub junit: Option<PathBuf>,
    pub json: Option<PathBuf>,
    pub html: Option<PathBuf>,
    pub fail_on: FailOn,
    /// Scenarios in flight at once (0 means [`DEFAULT_CONCURRENCY`]).
    pub concurrency: usize,
    /// Print one line per scenario as it finishes.
    pub echo: bool,
    /// Deviations the configuration accepts (scim-harness.toml's `[[accepted]]`).
    pub accepted: Vec<crate::report::Acceptance>,
}

/// Scenarios in flight at once unless told otherwise: low, so the suite's own load does not
/// break a server that is not thread-safe.
pub const DEFAULT_CONCURRENCY: usize = 4;

/// Limits of the embedded reference during a conformance run. Smaller than the reference's
/// defaults so the suite can probe every advertised limit (a page cap, a filter-match cap, a
/// bulk operation cap) with a few dozen resources; the scenarios read them from discovery.
pub fn embedded_limits() -> Limits {
    Limits {
        max_payload_size: 256 * 1024,
        max_results: 20,
        max_filter_matches: 40,
        bulk_max_operations: 100,
    }
}

/// The features folder: the given one, or the built-in `opts.built_in` folder (compiled into
/// the binary, written to a private temporary folder that lives as long as the guard).
fn features_dir(
    opts: &ConformanceOptions,
) -> Result<(PathBuf, Option<crate::features::BuiltIn>), ConformanceError> {
    if let Some(p) = &opts.features {
        return if p.is_dir() {
            Ok((p.clone(), None))
        } else {
            Err(ConformanceError::Config(format!(
                "features folder {} does not exist",
                p.display()
            )))
        };
    }
    let built_in = crate::features::on_disk()
        .map_err(|e| ConformanceError::Config(format!("the built-in features: {e}")))?;
    let folder = match (&opts.built_in, opts.profile) {
        (Some(f), _) => f.as_str(),
        (None, Profile::Okta) => "okta",
        (None, _) => "scim",
    };
    Ok((built_in.path().join(folder), Some(built_in)))
}

fn tag_filter(
    opts: &ConformanceOptions,
) -> Result<Option<gherkin::tagexpr::TagOperation>, ConformanceError> {
    let parts: Vec<String> = [
        opts.profile.tag_expression().map(str::to_string),
        opts.tags.clone().filter(|t| !t.trim().is_empty()),
    ]
    .into_iter()
    .flatten()
    .map(|p| format!("({p})"))
    .collect();
    if parts.is_empty() {
        return Ok(None);
    }
    let expr = parts.join(" and ");
    expr.parse()
        .map(Some)
        .map_err(|e| ConformanceError::Config(format!("bad tag expression '{expr}': {e}")))
}

fn all_tags<'a>(
    f: &'a gherkin::Feature,
    r: Option<&'a gherkin::Rule>,
    s: &'a gherkin::Scenario,
) -> impl Iterator<Item = &'a String> + Clone {
    let rule_tags: &'a [String] = r.map_or(&[], |r| r.tags.as_slice());
    f.tags.iter().chain(rule_tags.iter()).chain(s.tags.iter())
}

/// Runs the suite and writes the requested reports. The returned report says whether the run
/// passed; [`exit_code`] maps it.
pub async fn run(opts: &ConformanceOptions) -> Result<RunReport, ConformanceError> {
    let (dir, built_in) = features_dir(opts)?;
    let filter = tag_filter(opts)?;
    let started = chrono::Utc::now().to_rfc3339();
    let clock = Instant::now();

    let mut embedded = None;
    let ctx = match &opts.target {
        Some(url) => RunContext::connect(url, opts.connection.clone(), false).await?,
        None => {
            let token = uuid::Uuid::new_v4().simple().to_string();
            // A simulated clock (starting now) enables the reference's test-only endpoints,
            // e.g. the time travel of the domain verification deadline (E-DV-04).
            let clock = Arc::new(crate::clock::SimClock::at(chrono::Utc::now()));
            let server = RunningReference::start_simulated(
                ReferenceConfig {
                    token: Some(token.clone()),
                    limits: embedded_limits(),
                    ..Default::default()
                },
                clock,
            )
            .await
            .map_err(|e| ConformanceError::Target(format!("cannot start the reference: {e}")))?;
            let url = server.base_url.clone();
            embedded = Some(server);
            let connection = crate::client::Connection::bearer(token).direct();
            RunContext::connect(&url, connection, true).await?
        }
    };
    let ctx = Arc::new(ctx);
    let target = ctx.base_url.clone();

    let hook_ctx = ctx.clone();
    // Requests that only succeeded when retried, by (feature name, scenario line).
    type FlakyMap = std::collections::HashMap<(String, usize), Vec<String>>;
    let flaky: Arc<std::sync::Mutex<FlakyMap>> = Default::default();
    let flaky_sink = flaky.clone();
    let strict_profile = opts.profile == Profile::Rfc;
    let recorder = ScimWorld::cucumber()
        .with_writer(recorder::Recorder::new(opts.echo))
        .with_default_cli()
        .max_concurrent_scenarios(if opts.concurrency == 0 {
            DEFAULT_CONCURRENCY
        } else {
            opts.concurrency
        })
        .before(move |f, r, s, world| {
            let ctx = hook_ctx.clone();
            async move {
                world.start(ctx.clone());
                for tag in all_tags(f, r, s) {
                    if tag == "strict-rfc" && (!strict_profile || ctx.discovery.entra_compatibility) {
                        std::panic::panic_any(format!(
                            "{SKIP_MARKER}strict RFC answer that the identity provider's shapes contradict (run with --profile rfc against a target without entra compatibility)"
                        ));
                    }
                    // `@usersync-api` needs the User Sync admin API, like `@needs-usersync-api`.
                    let cap = if tag == "usersync-api" {
                        tag.as_str()
                    } else if let Some(cap) = tag.strip_prefix("needs-") {
                        cap
                    } else {
                        continue;
                    };
                    match ctx.discovery.advertises(cap) {
                        Some(true) => {}
                        Some(false) => {
                            std::panic::panic_any(format!("{SKIP_MARKER}not advertised: {cap}"))
                        }
                        None => std::panic::panic_any(format!(
                            "unknown capability tag @{tag} (a defect of the feature file)"
                        )),
                    }
                }
            }
            .boxed_local()
        })
        .after(move |f, _, s, _, world| {
            let flaky = flaky_sink.clone();
            async move {
                if let Some(w) = world {
                    if !w.flaky.is_empty()
                        && let Ok(mut m) = flaky.lock()
                    {
                        m.insert((f.name.clone(), s.position.line), w.flaky.clone());
                    }
                    w.clean_up().await;
                }
            }
            .boxed_local()
        })
        .filter_run(dir.clone(), move |f, r, s| {
            filter
                .as_ref()
                .is_none_or(|op| op.eval(all_tags(f, r, s)))
        })
        .await;

    if let Some(server) = embedded {
        server.stop().await;
    }
    let mut report = RunReport {
        target,
        embedded: ctx.embedded,
        tag_expression: tag_filter(opts)?.map(|_| {
            [opts.profile.tag_expression(), opts.tags.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" and ")
        }),
        fail_on: opts.fail_on,
        started,
        duration_ms: clock.elapsed().as_millis() as u64,
        counts: Default::default(),
        findings: Vec::new(),
        features: recorder.features,
        errors: recorder.errors,
        accepted: Vec::new(),
        insecure: ctx.connection.is_insecure(),
    };
    report.features.retain(|f| !f.scenarios.is_empty());
    // Built-in features are named as they are in the binary, not by the temporary folder.
    if let Some(b) = &built_in {
        for f in &mut report.features {
            if let Some(name) = f.path.as_deref().and_then(|p| b.display_name(p)) {
                f.path = Some(name);
            }
        }
    }
    if let Ok(m) = flaky.lock() {
        for f in &mut report.features {
            for s in &mut f.scenarios {
                if let Some(v) = m.get(&(f.name.clone(), s.line)) {
                    s.flaky = v.clone();
                }
            }
        }
    }
    report.features.sort_by(|a, b| a.path.cmp(&b.path));
    report.finish_accepting(&opts.accepted, chrono::Utc::now().date_naive());
    if let Some(p) = &opts.junit {
        crate::report::junit::write(&report, p)?;
    }
    if let Some(p) = &opts.json {
        report.write_json(p)?;
    }
    if let Some(p) = &opts.html {
        let ids = crate::report::html::statements();
        crate::report::html::write(&report, &ids, p)?;
    }
    Ok(report)
}

/// 0 when no MUST finding exists (and, with `--fail-on should`, no SHOULD failed); 1 when a
/// MUST finding exists, including one that only blocks other scenarios; 2 when the suite
/// itself could not run (unreadable features, a defect of the suite).
pub fn exit_code(report: &RunReport) -> i32 {
    if !report.errors.is_empty() || report.suite_defects() > 0 {
        2
    } else if report.counts.failed > 0 || report.must_findings() > 0 {
        1
    } else {
        0
    }
}

/// Most scenarios listed under a finding in the terminal; the reports list them all.
const LISTED: usize = 6;

/// A multi-line summary for the terminal: the findings grouped by root cause and area, the
/// counts, and the plain `N passed, N failed` line.
pub fn summary(report: &RunReport) -> String {
    use crate::report::Area;
    let mut out = String::new();
    if !report.findings.is_empty() {
        out.push_str(&format!("\n{}\n", report.headline()));
    }
    if report.insecure {
        out.push_str(&format!("\n{}\n", crate::report::INSECURE_NOTE));
    }
    for area in [Area::Rfc, Area::Entra, Area::Suite] {
        let here: Vec<_> = report.findings.iter().filter(|f| f.area == area).collect();
        if here.is_empty() {
            continue;
        }
        out.push_str(&format!(
            "\n== {} ({} findings)\n",
            area.title(),
            here.len()
        ));
        for f in here {
            out.push_str(&format!(
                "\n{} {:<6} [{}] {}\n",
                f.id,
                f.level.as_str(),
                f.source,
                f.statement
            ));
            if !f.expected.is_empty() {
                out.push_str(&format!("   expected: {}\n", assert::cut(&f.expected)));
            }
            out.push_str(&format!("   observed: {}\n", assert::cut(&f.observed)));
            if let Some(why) = &f.accepted {
                out.push_str(&format!("   accepted: {why} (does not fail the run)\n"));
            }
            out.push_str(&format!(
                "   affects {} scenario{} ({} failed or warned, {} blocked), finding key {}:\n",
                f.reach(),
                if f.reach() == 1 { "" } else { "s" },
                f.failed,
                f.blocked,
                f.key
            ));
            for a in f.scenarios.iter().take(LISTED) {
                out.push_str(&format!(
                    "     - {} {}: {} (line {})\n",
                    a.effect, a.feature, a.scenario, a.line
                ));
            }
            if f.reach() > LISTED {
                out.push_str(&format!("     - and {} more\n", f.reach() - LISTED));
            }
        }
    }
    for e in &report.errors {
        out.push_str(&format!("\nERROR {e}\n"));
    }
    if !report.accepted.is_empty() {
        out.push_str("\n== accepted deviations (scim-harness.toml)\n");
        for a in &report.accepted {
            out.push_str(&format!("   {}\n", a.describe()));
        }
    }
    let c = report.counts;
    out.push_str(&format!(
        "\ntarget {} ({}), {:.1} s: {} warnings, {} accepted, {} blocked, {} not offered (MAY), {} not applicable, {} skipped, {} flaky\n",
        report.target,
        if report.embedded {
            "embedded reference"
        } else {
            "external"
        },
        report.duration_ms as f64 / 1000.0,
        c.warnings,
        c.accepted,
        c.blocked,
        c.not_offered,
        c.not_applicable,
        c.skipped,
        c.flaky
    ));
    if report.findings.is_empty() {
        out.push_str("no findings\n");
    } else {
        out.push_str(&format!("{}\n", report.headline()));
    }
    out.push_str(&report.summary_line());
    out.push('\n');
    out
}
