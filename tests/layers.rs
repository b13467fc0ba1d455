//! The crate's layers only point down (`docs/architecture.md`): no module imports from a layer
//! above its own, nor from another module of its own layer, so no two modules depend on each
//! other.
//!
//! The check reads the source: every `crate::` path outside comments (imports and inline
//! paths alike) names the module it reaches, through the root's re-exports when it names one.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
};

/// Each top-level module and its layer, bottom up. Modules of one layer do not import each
/// other.
const LAYERS: &[(&str, u8)] = &[
    // Foundations: constants and generated data.
    ("catalog", 0),
    ("defaults", 0),
    ("spec_version", 0),
    ("types", 0),
    // Domain types, no HTTP.
    ("contact", 1),
    ("phone", 1),
    ("template", 1),
    // The error every call ends in.
    ("error", 2),
    // Configuration and the request path; the PostgreSQL connection and schema.
    ("runtime", 3),
    ("postgres", 3),
    // The generated client, on the runtime.
    ("generated", 4),
    // Conveniences: checked requests, pollers and webhooks; bulk sends on the checked
    // requests; campaigns shared by workers on bulk sends; the extension trait that starts
    // them all; the crate root.
    ("checked", 5),
    ("poll", 5),
    ("webhook", 5),
    ("bulk", 6),
    ("campaign", 7),
    ("ext", 8),
    ("lib", 9),
];

/// Where the root's re-exports lead (external ones lead nowhere inside the crate).
const ROOT_EXPORTS: &[(&str, Option<&str>)] = &[
    ("Error", Some("error")),
    ("Client", Some("generated")),
    ("builder", Some("generated")),
    ("ClientBuilder", Some("runtime")),
    ("ConfigError", Some("runtime")),
    ("retry", Some("runtime")),
    ("ratelimit", Some("runtime")),
    ("prelude", Some("lib")),
    ("ClientInfo", None),
    ("ResponseValue", None),
    ("reqwest", None),
];

fn layer(module: &str) -> u8 {
    LAYERS
        .iter()
        .find(|(name, _)| *name == module)
        .unwrap_or_else(|| panic!("module `{module}` is not in LAYERS: give it a layer"))
        .1
}

/// The module a `crate::<name>` path reaches, `None` for an external re-export.
fn target(name: &str) -> Option<&'static str> {
    if let Some((module, _)) = LAYERS.iter().find(|(module, _)| *module == name) {
        return Some(module);
    }
    ROOT_EXPORTS
        .iter()
        .find(|(export, _)| *export == name)
        .unwrap_or_else(|| panic!("`crate::{name}` is neither a module nor a known re-export"))
        .1
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src/ is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file of `src/` belongs to (`lib` for the root).
fn module_of(src: &Path, file: &Path) -> String {
    let relative = file.strip_prefix(src).expect("a file under src/");
    let first = relative.components().next().expect("a path");
    let name = first.as_os_str().to_string_lossy();
    name.trim_end_matches(".rs").to_owned()
}

/// The names right after `crate::` in `code`: `crate::a::b` gives `a`, `crate::{a, b::c}` gives
/// `a` and `b`.
fn crate_paths(code: &str) -> Vec<String> {
    let mut names = Vec::new();
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        let after = &rest[at + "crate::".len()..];
        if let Some(group) = after.strip_prefix('{') {
            let mut depth = 1;
            let mut item = String::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    _ => {}
                }
                if depth == 0 {
                    break;
                }
                if depth == 1 && c == ',' {
                    names.push(ident(item.trim()));
                    item.clear();
                } else {
                    item.push(c);
                }
            }
            names.push(ident(item.trim()));
        } else {
            names.push(ident(after));
        }
        rest = after;
    }
    names.retain(|n| !n.is_empty());
    names
}

/// The file without comments (`//` to the end of a line, outside string literals).
fn code_of(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let mut in_string = false;
        let mut previous = ' ';
        let mut cut = line.len();
        for (i, c) in line.char_indices() {
            if c == '"' && previous != '\\' {
                in_string = !in_string;
            }
            if !in_string && c == '/' && previous == '/' {
                cut = i - 1;
                break;
            }
            previous = c;
        }
        out.push_str(&line[..cut]);
        out.push('\n');
    }
    out
}

#[test]
fn every_import_points_down_to_a_lower_layer() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut edges: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for file in &files {
        let from = module_of(&src, file);
        let code = code_of(&std::fs::read_to_string(file).expect("a readable source file"));
        for name in crate_paths(&code) {
            if let Some(to) = target(&name)
                && to != from
            {
                let place = file.strip_prefix(&src).unwrap().display().to_string();
                edges
                    .entry((from.clone(), to.to_owned()))
                    .or_default()
                    .push(format!("{place}: crate::{name}"));
            }
        }
    }
    let upward: Vec<String> = edges
        .iter()
        .filter(|((from, to), _)| layer(to) >= layer(from))
        .map(|((from, to), uses)| format!("{from} -> {to}: {}", uses.join(", ")))
        .collect();
    assert!(
        upward.is_empty(),
        "imports that do not point down:\n{}",
        upward.join("\n")
    );
    // The walk saw the crate: the runtime reaches the error, the conveniences the client.
    for edge in [
        ("runtime", "error"),
        ("checked", "generated"),
        ("ext", "bulk"),
        ("campaign", "bulk"),
        ("poll", "postgres"),
    ] {
        assert!(
            edges.contains_key(&(edge.0.to_owned(), edge.1.to_owned())),
            "{edge:?} not found"
        );
    }
}

#[test]
fn the_path_scanner_reads_imports_and_inline_paths() {
    assert_eq!(
        crate_paths("use crate::{Client, error::Acted, runtime::{self, x}};"),
        ["Client", "error", "runtime"]
    );
    assert_eq!(
        crate_paths("let x = crate::defaults::TIMEOUT;"),
        ["defaults"]
    );
    assert_eq!(
        code_of("let url = \"https://x\"; // crate::ext\nuse crate::poll;"),
        "let url = \"https://x\"; \nuse crate::poll;\n"
    );
}
