//! The Gherkin features, compiled into the binary (`build.rs` embeds every file under
//! `features/`), so `conformance`, `run` and `features` work from a binary copied anywhere.
//! `--features DIR` still reads a folder from disk; [`export`] writes the built-in copy out
//! for a product owner to read and edit; [`scenarios`] lists what a folder or the built-in copy
//! holds, with tags and levels.

use std::path::{Path, PathBuf};

pub mod cli;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/features.rs"));
}

/// Every built-in file: its path under `features/` (`scim/crud.feature`) and its text.
pub fn files() -> impl Iterator<Item = (&'static str, &'static str)> {
    embedded::FILES.iter().copied()
}

/// Why the features could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum FeaturesError {
    #[error(
        "cannot write {path}: {source} (the built-in features are written to the temporary \
         folder: set TMPDIR to a writable one, or export them once and pass --features DIR)"
    )]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{0} exists and differs from the built-in copy; pass --force to overwrite it, or export \
         into an empty folder"
    )]
    Exists(PathBuf),
    #[error("{path} is not valid Gherkin: {detail}")]
    Parse { path: PathBuf, detail: String },
}

fn write(path: &Path, text: &str) -> Result<(), FeaturesError> {
    let err = |source| FeaturesError::Write {
        path: path.to_path_buf(),
        source,
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(err)?;
    }
    std::fs::write(path, text).map_err(err)
}

/// Writes every built-in file under `dir`, keeping the folders; returns how many. A file that
/// exists with other content (or cannot be read) is never overwritten unless `force`: nothing
/// is lost.
pub fn export(dir: &Path, force: bool) -> Result<usize, FeaturesError> {
    if !force {
        for (rel, text) in files() {
            let path = dir.join(rel);
            match std::fs::read(&path) {
                Ok(existing) if existing == text.as_bytes() => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                _ => return Err(FeaturesError::Exists(path)),
            }
        }
    }
    let mut n = 0;
    for (rel, text) in files() {
        write(&dir.join(rel), text)?;
        n += 1;
    }
    Ok(n)
}

/// The built-in features written out for one run (cucumber reads folders): a private folder
/// (mode 0700 on Unix) removed when this is dropped, so no other user can change what runs.
#[derive(Debug)]
pub struct BuiltIn {
    dir: tempfile::TempDir,
}

impl BuiltIn {
    /// The folder holding `scim/`, `usersync/`, `provisioning/` and `verification/`.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `features/scim/x.feature` for a path inside this folder (the name a report shows).
    pub fn display_name(&self, path: &str) -> Option<String> {
        let rel = Path::new(path).strip_prefix(self.path()).ok()?;
        Some(format!("features/{}", rel.display()).replace('\\', "/"))
    }
}

/// Writes the built-in features into a new private temporary folder.
pub fn on_disk() -> Result<BuiltIn, FeaturesError> {
    let dir = tempfile::Builder::new()
        .prefix("scim-harness-features-")
        .tempdir()
        .map_err(|source| FeaturesError::Write {
            path: std::env::temp_dir(),
            source,
        })?;
    export(dir.path(), true)?;
    Ok(BuiltIn { dir })
}

/// One scenario as `features list` prints it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ScenarioEntry {
    /// The file, relative to the features folder.
    pub file: String,
    pub line: usize,
    pub feature: String,
    pub name: String,
    /// Its own tags, then those it inherits from its rule and its feature.
    pub tags: Vec<String>,
    /// `must`, `should` or `may`: the strongest level among its tags, and `must` when it has
    /// none, exactly as `conformance` judges it.
    pub level: String,
    /// Rows of its Examples tables (0 for a plain scenario).
    pub examples: usize,
}

/// The scenarios of these `(relative path, text)` files, in file order.
pub fn scenarios<'a>(
    files: impl IntoIterator<Item = (String, &'a str)>,
) -> Result<Vec<ScenarioEntry>, FeaturesError> {
    let mut out = Vec::new();
    for (rel, text) in files {
        if !rel.ends_with(".feature") {
            continue;
        }
        let f = cucumber::gherkin::Feature::parse(text, cucumber::gherkin::GherkinEnv::default())
            .map_err(|e| FeaturesError::Parse {
            path: PathBuf::from(&rel),
            detail: e.to_string(),
        })?;
        let plain = f.scenarios.iter().map(|s| (None, s));
        let ruled = f
            .rules
            .iter()
            .flat_map(|r| r.scenarios.iter().map(move |s| (Some(r), s)));
        for (rule, s) in plain.chain(ruled) {
            let tags: Vec<String> = s
                .tags
                .iter()
                .chain(rule.map_or(&[][..], |r| r.tags.as_slice()))
                .chain(&f.tags)
                .map(|t| format!("@{t}"))
                .collect();
            let own = s
                .tags
                .iter()
                .chain(rule.map_or(&[][..], |r| r.tags.as_slice()))
                .chain(&f.tags);
            let level = crate::report::Level::from_tags(own)
                .as_str()
                .to_ascii_lowercase();
            out.push(ScenarioEntry {
                file: rel.clone(),
                line: s.position.line,
                feature: f.name.clone(),
                name: s.name.clone(),
                tags,
                level,
                examples: s
                    .examples
                    .iter()
                    .filter_map(|e| e.table.as_ref())
                    .map(|t| t.rows.len().saturating_sub(1))
                    .sum(),
            });
        }
    }
    Ok(out)
}

/// The scenarios of a folder on disk (every `.feature` below it).
pub fn scenarios_in(dir: &Path) -> Result<Vec<ScenarioEntry>, FeaturesError> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
        for e in std::fs::read_dir(dir)? {
            let p = e?.path();
            if p.is_dir() {
                walk(&p, out)?;
            } else if p.extension().is_some_and(|x| x == "feature") {
                out.push(p);
            }
        }
        Ok(())
    }
    let mut paths = Vec::new();
    walk(dir, &mut paths).map_err(|source| FeaturesError::Read {
        path: dir.to_path_buf(),
        source,
    })?;
    paths.sort();
    let mut texts = Vec::new();
    for p in &paths {
        let text = std::fs::read_to_string(p).map_err(|source| FeaturesError::Read {
            path: p.clone(),
            source,
        })?;
        let rel = p
            .strip_prefix(dir)
            .unwrap_or(p)
            .display()
            .to_string()
            .replace('\\', "/");
        texts.push((rel, text));
    }
    scenarios(texts.iter().map(|(r, t)| (r.clone(), t.as_str())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_feature_file_is_built_in() {
        let names: Vec<&str> = files().map(|(p, _)| p).collect();
        for must in [
            "scim/users.feature",
            "STATEMENTS.md",
            "usersync/prerequisites.feature",
        ] {
            assert!(names.contains(&must), "{must} is built in: {names:?}");
        }
        let on_disk = scenarios_in(&Path::new(env!("CARGO_MANIFEST_DIR")).join("features"))
            .expect("the source tree's features parse");
        let built_in = scenarios(files().map(|(p, t)| (p.to_string(), t))).expect("parse");
        assert_eq!(built_in, on_disk, "the built-in copy is the source tree's");
        assert!(built_in.len() > 150, "{}", built_in.len());
        assert!(built_in.iter().all(|s| !s.tags.is_empty()));
    }

    #[test]
    fn export_never_overwrites_a_changed_file_without_force() {
        let dir = tempfile::tempdir().expect("tmp");
        let n = export(dir.path(), false).expect("into an empty folder");
        assert_eq!(n, files().count());
        // Exporting the same content again is fine; a changed file is kept.
        export(dir.path(), false).expect("same content");
        let edited = dir.path().join("scim/users.feature");
        std::fs::write(&edited, "Feature: mine\n").expect("write");
        assert!(matches!(
            export(dir.path(), false),
            Err(FeaturesError::Exists(p)) if p == edited
        ));
        assert_eq!(
            std::fs::read_to_string(&edited).expect("read"),
            "Feature: mine\n"
        );
        export(dir.path(), true).expect("forced");
        assert_ne!(
            std::fs::read_to_string(&edited).expect("read"),
            "Feature: mine\n"
        );
    }

    #[test]
    fn levels_and_inherited_tags_are_listed() {
        let text = "@part\nFeature: F\n\n  @must @R-1\n  Scenario: S\n    Given x\n\n  Scenario Outline: O\n    Given <a>\n\n    Examples:\n      | a |\n      | 1 |\n      | 2 |\n";
        let s = scenarios([("f.feature".to_string(), text)]).expect("parse");
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].tags, vec!["@must", "@R-1", "@part"]);
        assert_eq!(s[0].level, "must");
        assert_eq!(s[0].line, 5);
        // Untagged is judged as MUST by the suite, and listed so.
        assert_eq!(s[1].level, "must");
        assert_eq!(s[1].examples, 2);
    }
}
