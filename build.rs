//! Compiles `features/` into the binary: writes `$OUT_DIR/features.rs`, a table of every file's
//! path (relative to `features/`) and its text, so the suite runs from a binary copied
//! anywhere. Cargo re-runs this when anything under `features/` changes.
//!
//! Also records the commit the binary was built from (`SCIM_HARNESS_COMMIT`, shown by
//! `--version`), so a CI log says exactly which suite judged a server.

use std::path::{Path, PathBuf};

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        // Editor and OS leftovers (.DS_Store, .swp, backups) are not part of the suite.
        let name = e.file_name().to_string_lossy().to_string();
        if name.starts_with('.') {
            continue;
        }
        if p.is_dir() {
            walk(&p, out);
        } else if p.extension().is_some_and(|x| x == "feature" || x == "md") {
            out.push(p);
        }
    }
}

fn git(args: &[&str]) -> Option<String> {
    let out = std::process::Command::new("git").args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
        .filter(|s| !s.is_empty())
}

/// The short commit HEAD points to; "unknown" outside a git checkout (a crates.io source,
/// say). Uncommitted changes are not detected: cargo would not re-run this for them.
fn commit() -> String {
    // Re-run when HEAD moves: HEAD, the branch ref it points to, and packed-refs (after
    // `git gc` the ref lives there). Only existing files: cargo re-runs forever for a missing one.
    let mut watch = vec![git(&["rev-parse", "--git-path", "HEAD"])];
    watch.push(git(&["rev-parse", "--git-path", "packed-refs"]));
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
        watch.push(git(&["rev-parse", "--git-path", &branch]));
    }
    for p in watch.into_iter().flatten() {
        if Path::new(&p).is_file() {
            println!("cargo:rerun-if-changed={p}");
        }
    }
    git(&["rev-parse", "--short=12", "HEAD"]).unwrap_or_else(|| "unknown".into())
}

fn main() {
    println!("cargo:rustc-env=SCIM_HARNESS_COMMIT={}", commit());
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into()))
        .join("features");
    println!("cargo:rerun-if-changed=features");
    let mut files = Vec::new();
    walk(&root, &mut files);
    files.sort();
    if !files
        .iter()
        .any(|f| f.extension().is_some_and(|x| x == "feature"))
    {
        panic!(
            "no .feature files under {}: the suite would be empty",
            root.display()
        );
    }
    let mut table = String::from("pub static FILES: &[(&str, &str)] = &[\n");
    for f in &files {
        let rel = f
            .strip_prefix(&root)
            .unwrap_or(f)
            .to_string_lossy()
            .replace('\\', "/");
        table.push_str(&format!(
            "    ({rel:?}, include_str!({:?})),\n",
            f.display().to_string()
        ));
    }
    table.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_else(|_| ".".into()));
    if let Err(e) = std::fs::write(out.join("features.rs"), table) {
        panic!("cannot write {}: {e}", out.join("features.rs").display());
    }
}
