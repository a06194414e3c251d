//! The codemap in ARCHITECTURE.md, enforced: every top-level module of `src/` has a row, and
//! imports only what its row allows. Plus the invariants the document states: the protocol
//! core does no I/O, the simulated parts read time only through `Clock`, and the conformance
//! steps depend on the World, never the other way.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    if dir.is_file() {
        out.push(dir.to_path_buf());
        return;
    }
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// `scim/` or `clock.rs` -> `scim` / `clock`.
fn module_name(cell: &str) -> Option<String> {
    let c = cell.trim().trim_matches('`');
    let name = c.strip_suffix('/').or_else(|| c.strip_suffix(".rs"))?;
    (!name.is_empty() && name.chars().all(|ch| ch.is_ascii_lowercase() || ch == '_'))
        .then(|| name.to_string())
}

/// The codemap: module -> what it may import (`None`: everything).
fn codemap() -> BTreeMap<String, Option<BTreeSet<String>>> {
    let text = std::fs::read_to_string(root().join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    let mut map = BTreeMap::new();
    for line in text.lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = line.trim_matches('|').split('|').collect();
        let (Some(first), Some(last)) = (cells.first(), cells.last()) else {
            continue;
        };
        let Some(name) = module_name(first) else {
            continue;
        };
        let allowed = match last.trim() {
            "everything" => None,
            "nothing" => Some(BTreeSet::new()),
            list => Some(
                list.split(',')
                    .map(|s| s.trim().trim_matches('`').to_string())
                    .collect(),
            ),
        };
        map.insert(name, allowed);
    }
    map
}

/// The top-level modules of the crate a file imports (`crate::X`), without itself.
fn imports(text: &str, own: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (i, _) in text.match_indices("crate::") {
        // `scim_harness::` in doc examples is the binary's view; only `crate::` counts here.
        let rest = &text[i + "crate::".len()..];
        // `crate::{a::x, b}` names several modules at once.
        let heads: Vec<&str> = match rest.strip_prefix('{') {
            Some(group) => group
                .split('}')
                .next()
                .unwrap_or_default()
                .split(',')
                .collect(),
            None => vec![rest],
        };
        for head in heads {
            let name: String = head
                .trim_start()
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                .collect();
            if !name.is_empty() && name != own {
                out.insert(name);
            }
        }
    }
    out
}

#[test]
fn every_module_imports_only_what_the_codemap_allows() {
    let src = root().join("src");
    let map = codemap();
    assert!(map.len() >= 10, "the codemap table was found: {map:?}");
    let mut offences = Vec::new();
    let mut checked = 0;
    for e in std::fs::read_dir(&src).expect("src").flatten() {
        let p = e.path();
        let file_name = e.file_name().to_string_lossy().to_string();
        if matches!(file_name.as_str(), "lib.rs" | "main.rs") {
            continue;
        }
        let own = file_name.trim_end_matches(".rs").to_string();
        let Some(allowed) = map.get(&own) else {
            offences.push(format!(
                "src/{file_name} has no row in ARCHITECTURE.md's codemap"
            ));
            continue;
        };
        let Some(allowed) = allowed else { continue };
        let mut files = Vec::new();
        rust_files(&p, &mut files);
        for f in files {
            checked += 1;
            let text = std::fs::read_to_string(&f).unwrap_or_default();
            for m in imports(&text, &own) {
                if !allowed.contains(&m) {
                    let rel = f.strip_prefix(root()).unwrap_or(&f).display().to_string();
                    offences.push(format!("{rel} imports crate::{m}, which `{own}` may not"));
                }
            }
        }
    }
    assert!(checked > 50, "the walk found the sources ({checked})");
    assert!(offences.is_empty(), "{}", offences.join("\n"));
}

/// Files under `dir` (relative to src/) whose text contains any of `needles`.
fn containing(dir: &str, needles: &[&str]) -> Vec<String> {
    let mut files = Vec::new();
    rust_files(&root().join("src").join(dir), &mut files);
    files
        .into_iter()
        .filter(|f| {
            let text = std::fs::read_to_string(f).unwrap_or_default();
            needles.iter().any(|n| text.contains(n))
        })
        .map(|f| f.display().to_string())
        .collect()
}

#[test]
fn the_protocol_core_does_no_io() {
    let io = [
        "tokio::",
        "reqwest",
        "axum",
        "hyper",
        "std::fs",
        "std::net",
        "std::io::stdin",
    ];
    let found = containing("scim", &io);
    assert!(found.is_empty(), "I/O in the pure core: {found:?}");
}

#[test]
fn the_simulated_parts_read_time_only_through_the_clock() {
    let wall = ["Utc::now()", "SystemTime::now()", "Local::now()"];
    for dir in [
        "scim",
        "reference",
        "provisioning",
        "verification",
        "client",
    ] {
        let found = containing(dir, &wall);
        assert!(found.is_empty(), "the wall clock read directly: {found:?}");
    }
}

#[test]
fn conformance_steps_depend_on_the_world_never_the_other_way() {
    let found = containing("conformance/world", &["steps::"]);
    assert!(found.is_empty(), "the World imports steps: {found:?}");
}

#[test]
fn the_codemap_check_can_fail() {
    // A row that allows nothing, and a file importing something: the import is seen.
    assert_eq!(
        imports("use crate::scim::path;\nuse crate::client::X;", "client"),
        BTreeSet::from(["scim".to_string()])
    );
    assert_eq!(
        module_name("`provisioning/`").as_deref(),
        Some("provisioning")
    );
    assert_eq!(module_name("`clock.rs`").as_deref(), Some("clock"));
    assert_eq!(module_name("folder"), None);
}
