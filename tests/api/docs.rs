//! The documentation cites real files: every repository path in `docs/*.md` and `README.md`
//! (a token starting with `src/`, `tests/`, `templates/`, … ) exists. A module that moves fails
//! this test until the documents that cite it are fixed. No server is needed.

use std::path::{Path, PathBuf};

/// Folders of this repository whose paths the documents cite.
const PREFIXES: &[&str] = &[
    "src/",
    "tests/",
    "templates/",
    "static/",
    "script/",
    "benches/",
    "migrations/",
    "models/",
    "docs/",
];

/// Paths `script/setup` downloads or generates (git-ignored), so a fresh checkout lacks them.
const GENERATED: &[&str] = &["models/demo/", "models/lib/", "models/.cache/"];

/// Characters that split a line into tokens besides whitespace: Markdown code spans, links,
/// parentheses and quotes.
fn is_separator(c: char) -> bool {
    c.is_whitespace() || matches!(c, '`' | '(' | ')' | '[' | ']' | '"' | '\'')
}

/// The repository path a token names, if it names one that can be checked: without an anchor
/// (`#…`) or a line number (`:184`), without trailing punctuation; `None` for a token outside the
/// cited folders, a pattern (`*`, `{a,b}`, `<name>`, `$VAR`, `...`, `…`) or a generated file.
fn cited_path(token: &str) -> Option<&str> {
    let t = token.split('#').next().unwrap_or("");
    let t = t.split(':').next().unwrap_or("");
    if t.contains(['*', '{', '}', '<', '>', '$', '…']) || t.contains("...") {
        return None;
    }
    let t = t.trim_end_matches(['.', ',', ';', ':', ')', '!', '?']);
    if !PREFIXES.iter().any(|p| t.starts_with(p)) {
        return None;
    }
    let generated = GENERATED.iter().any(|g| t.starts_with(g))
        || (t.starts_with("models/") && t.ends_with(".onnx"));
    if generated {
        return None;
    }
    Some(t)
}

/// `README.md` and every `docs/*.md`, sorted.
fn documents(root: &Path) -> Vec<PathBuf> {
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root.join("docs"))
        .expect("docs/ is readable")
        .map(|e| e.expect("a docs/ entry is readable").path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    docs.sort();
    docs.push(root.join("README.md"));
    docs
}

#[test]
fn every_source_path_cited_in_the_docs_exists() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut checked = 0;
    let mut missing = Vec::new();
    for doc in documents(root) {
        let text = std::fs::read_to_string(&doc)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", doc.display()));
        let name = doc.strip_prefix(root).unwrap_or(&doc).display().to_string();
        for (n, line) in text.lines().enumerate() {
            for token in line.split(is_separator).filter(|t| !t.is_empty()) {
                let Some(path) = cited_path(token) else {
                    continue;
                };
                checked += 1;
                if !root.join(path).exists() {
                    missing.push(format!("{name}:{}: {path}", n + 1));
                }
            }
        }
    }
    assert!(
        checked > 0,
        "no repository paths found in the docs: is the scan broken?"
    );
    assert!(
        missing.is_empty(),
        "{} path(s) cited in the docs do not exist (of {checked} checked):\n  {}",
        missing.len(),
        missing.join("\n  ")
    );
}

#[test]
fn the_scan_reads_paths_as_the_docs_write_them() {
    assert_eq!(
        cited_path("src/cases/images.rs,"),
        Some("src/cases/images.rs")
    );
    assert_eq!(cited_path("docs/SECURITY.md)."), Some("docs/SECURITY.md"));
    assert_eq!(
        cited_path("docs/OPERATIONS.md#retention"),
        Some("docs/OPERATIONS.md")
    );
    assert_eq!(
        cited_path("src/search/job.rs:184"),
        Some("src/search/job.rs")
    );
    assert_eq!(cited_path("src/web/cases/"), Some("src/web/cases/"));
    for skipped in [
        "src/cli/{gallery,bench}.rs",
        "templates/email/<name>/",
        "src/web/cases/*",
        "src/...",
        "models/demo/obama2.jpg",
        "models/sface_2021dec.onnx",
        "upsampler/avx2.rs",
        "fuzz/regressions/",
        "data/outbox/",
    ] {
        assert_eq!(cited_path(skipped), None, "{skipped}");
    }
}
