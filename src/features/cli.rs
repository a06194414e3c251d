//! `scim-harness features`: what the built-in suite (or a folder) holds, and a copy of it on
//! disk for a product owner to read and edit (then run it with `conformance --features DIR`).

use super::{ScenarioEntry, export, files, scenarios, scenarios_in};
use std::path::PathBuf;

/// List the Gherkin scenarios (with tags and levels), or export the built-in features to a
/// folder to read and edit.
///
/// The features are compiled into the binary: `conformance` and `run` use them from any
/// directory; `conformance --features DIR` runs an edited copy instead.
#[derive(Debug, Clone, clap::Args)]
pub struct FeaturesArgs {
    #[command(subcommand)]
    pub command: FeaturesCommand,
}

#[derive(Debug, Clone, clap::Subcommand)]
pub enum FeaturesCommand {
    /// Print every scenario with its file and line, level and tags (its own, then those of
    /// its rule and feature).
    #[command(after_help = "Examples:\n  \
        scim-harness features list\n  \
        scim-harness features list --level must --tag @entra-compat\n  \
        scim-harness features list --features my-features --json\n\n\
        Exit codes:\n  0  listed\n  2  the features could not be read, or the command line is wrong")]
    List {
        /// Read this folder instead of the built-in features.
        #[arg(long)]
        features: Option<PathBuf>,
        /// Only scenarios of this level (an untagged scenario is judged, and listed, as MUST).
        #[arg(long, value_parser = ["must", "should", "may"])]
        level: Option<String>,
        /// Only scenarios carrying this tag (with or without the @); repeatable, all must match.
        #[arg(long)]
        tag: Vec<String>,
        /// One JSON object per scenario instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Write the built-in features (and the statement inventory) into DIR, keeping the
    /// folders (scim/, usersync/, provisioning/, verification/). A file that exists with other
    /// content is left alone unless --force.
    #[command(
        after_help = "Exit codes:\n  0  exported (or already there, unchanged)\n  2  a file could not be written, or one differs from the built-in copy and --force\n     was not given, or the command line is wrong"
    )]
    Export {
        /// The folder to write into (created if missing).
        dir: PathBuf,
        /// Overwrite files that differ from the built-in copy.
        #[arg(long)]
        force: bool,
    },
}

fn keep(s: &ScenarioEntry, level: Option<&str>, tags: &[String]) -> bool {
    level.is_none_or(|l| s.level == l)
        && tags.iter().all(|t| {
            let t = format!("@{}", t.trim_start_matches('@'));
            s.tags.iter().any(|have| have.eq_ignore_ascii_case(&t))
        })
}

/// Runs `features list` or `features export`.
pub fn run(args: &FeaturesArgs) -> anyhow::Result<()> {
    match &args.command {
        FeaturesCommand::List {
            features,
            level,
            tag,
            json,
        } => {
            let all = match features {
                Some(dir) => scenarios_in(dir)?,
                None => scenarios(files().map(|(p, t)| (p.to_string(), t)))?,
            };
            let shown: Vec<&ScenarioEntry> = all
                .iter()
                .filter(|s| keep(s, level.as_deref(), tag))
                .collect();
            for s in &shown {
                if *json {
                    println!("{}", serde_json::to_string(s)?);
                } else {
                    let examples = if s.examples > 0 {
                        format!(" ({} examples)", s.examples)
                    } else {
                        String::new()
                    };
                    println!(
                        "{}:{}  {:<6}  {}: {}{examples}\n        {}",
                        s.file,
                        s.line,
                        s.level,
                        s.feature,
                        s.name,
                        s.tags.join(" ")
                    );
                }
            }
            if !*json {
                println!("{} of {} scenarios", shown.len(), all.len());
            }
            Ok(())
        }
        FeaturesCommand::Export { dir, force } => {
            let n = export(dir, *force)?;
            println!(
                "wrote {n} files to {}; run them with: scim-harness conformance --features {}",
                dir.display(),
                dir.join("scim").display()
            );
            Ok(())
        }
    }
}
