//! Contract tests of the published forms: generated documents are current, and every golden
//! fixture (every stored version ever written, every published form) still loads.
//!
//! Set `HIRELEDGER_BLESS=1` to rewrite the generated files (JSON Schemas, AsyncAPI document,
//! published fixtures) instead of comparing; review the diff before committing it.

// Test code through and through (helpers included): a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod documents;
mod fixtures;

use std::path::{Path, PathBuf};

/// The `schemas/` folder of this crate.
fn crate_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Whether this run rewrites generated files (`HIRELEDGER_BLESS=1`) instead of checking them.
fn blessing() -> bool {
    std::env::var("HIRELEDGER_BLESS").is_ok_and(|v| v == "1")
}

/// Files under `dir` (recursively), relative to `crate_dir()`, sorted.
fn files_under(dir: &str) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else {
                out.push(path.strip_prefix(crate_dir()).unwrap().to_path_buf());
            }
        }
    }
    let mut out = Vec::new();
    walk(&crate_dir().join(dir), &mut out);
    out.sort();
    out
}

/// Checks `content` against the checked-in file at `relative`, or writes it when blessing.
fn check_or_bless(relative: &Path, content: &str) {
    let path = crate_dir().join(relative);
    if blessing() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, content).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == content,
        "{} is not current; run `HIRELEDGER_BLESS=1 cargo test -p hireledger-schemas` and review \
         the diff\n--- committed\n{committed}\n--- generated\n{content}",
        relative.display()
    );
}

/// Removes (when blessing) or reports files under `dir` that nothing generates any more.
fn check_no_stale(dir: &str, generated: &[PathBuf]) {
    let stale: Vec<PathBuf> = files_under(dir)
        .into_iter()
        .filter(|p| !generated.contains(p))
        .collect();
    if blessing() {
        for path in &stale {
            std::fs::remove_file(crate_dir().join(path)).unwrap();
        }
    } else {
        assert!(stale.is_empty(), "stale generated files: {stale:?}");
    }
}
