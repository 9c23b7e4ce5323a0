//! The house's rule as a test: a module of the library may import only modules
//! below it in the layer list of `ARCHITECTURE.md` (the one place the order is
//! written). Reads every `src/**/*.rs` file outside `src/bin/`, finds its
//! `crate::…` paths (tests and comments aside), and fails naming each import
//! that points up, each module missing from the list, and each listed module
//! that no longer exists.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test or bench may stop at the first failure

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The layer list: the first word of each line inside the `layers` block.
fn layers() -> Vec<String> {
    let text = std::fs::read_to_string(root().join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    let start = text
        .find("<!-- layers -->")
        .expect("a <!-- layers --> marker");
    let end = text
        .find("<!-- /layers -->")
        .expect("a <!-- /layers --> marker");
    text[start..end]
        .lines()
        .skip(1)
        .filter(|line| !line.starts_with("```") && !line.trim().is_empty())
        .filter_map(|line| line.split_whitespace().next().map(str::to_string))
        .collect()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read_dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file of `src/` belongs to (`None` for `lib.rs` and the binary).
fn module_of(file: &Path) -> Option<String> {
    let relative = file.strip_prefix(root().join("src")).ok()?;
    let first = relative.components().next()?.as_os_str().to_str()?;
    match first {
        "lib.rs" | "bin" => None,
        name => Some(name.trim_end_matches(".rs").to_string()),
    }
}

fn is_test_file(file: &Path) -> bool {
    let name = file
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    name == "tests.rs" || name.ends_with("_tests.rs") || name == "test_support.rs"
}

/// The file's code without comments and without a trailing `#[cfg(test)] mod … { … }`.
fn code(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod ") {
        Some(at) => &text[..at],
        None => text,
    };
    text.lines()
        .map(|line| match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// What `lib.rs` re-exports at the crate root (`Error` → `error`, …), so
/// `crate::Error` counts as an import of `error`.
fn root_reexports() -> BTreeMap<String, String> {
    let lib = std::fs::read_to_string(root().join("src/lib.rs")).expect("lib.rs");
    let mut names = BTreeMap::new();
    for line in lib.lines() {
        let Some(rest) = line.trim().strip_prefix("pub use ") else {
            continue;
        };
        let Some((module, items)) = rest.split_once("::") else {
            continue;
        };
        for item in items
            .trim_end_matches(';')
            .trim_matches(|c| c == '{' || c == '}')
            .split(',')
        {
            let name = item.rsplit("::").next().unwrap_or(item).trim();
            if !name.is_empty() {
                names.insert(name.to_string(), module.to_string());
            }
        }
    }
    names
}

/// The top-level modules `code` names through `crate::`.
fn imports(code: &str, reexports: &BTreeMap<String, String>) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        let after = &rest[at + "crate::".len()..];
        let preceded_by_word = rest[..at]
            .chars()
            .last()
            .is_some_and(|c| c.is_alphanumeric() || c == '_');
        if !preceded_by_word {
            let names: Vec<String> = if let Some(group) = after.strip_prefix('{') {
                let end = group.find('}').unwrap_or(group.len());
                group[..end]
                    .split(',')
                    .map(|item| item.trim().split("::").next().unwrap_or("").to_string())
                    .collect()
            } else {
                let end = after
                    .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .unwrap_or(after.len());
                vec![after[..end].to_string()]
            };
            for name in names.into_iter().filter(|n| !n.is_empty()) {
                match reexports.get(&name) {
                    Some(module) => found.insert(module.clone()),
                    None => found.insert(name),
                };
            }
        }
        rest = after;
    }
    found
}

#[test]
fn imports_point_down_the_layers_of_architecture_md() {
    let order = layers();
    assert!(
        order.len() > 5,
        "the layer list is empty or unreadable: {order:?}"
    );
    let rank: BTreeMap<&str, usize> = order
        .iter()
        .enumerate()
        .map(|(i, m)| (m.as_str(), i))
        .collect();
    let reexports = root_reexports();
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    files.sort();

    let mut problems = Vec::new();
    let mut modules = BTreeSet::new();
    for file in &files {
        let Some(module) = module_of(file) else {
            continue;
        };
        modules.insert(module.clone());
        let Some(&own) = rank.get(module.as_str()) else {
            continue;
        };
        if is_test_file(file) {
            continue;
        }
        let text = std::fs::read_to_string(file).expect("read");
        for import in imports(&code(&text), &reexports) {
            if import == module {
                continue;
            }
            if let Some(&other) = rank.get(import.as_str())
                && other < own
            {
                problems.push(format!(
                    "{}: `{module}` imports `crate::{import}`, which is above it",
                    file.strip_prefix(root()).unwrap_or(file).display()
                ));
            }
        }
    }
    for module in &modules {
        if !rank.contains_key(module.as_str()) {
            problems.push(format!(
                "src/{module} is not in the layer list of ARCHITECTURE.md: give it its place"
            ));
        }
    }
    for listed in &order {
        if !modules.contains(listed) {
            problems.push(format!(
                "ARCHITECTURE.md lists `{listed}`, which is not a module of src/ any more"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "the house's layering is broken:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_checker_sees_plain_grouped_and_reexported_imports() {
    let reexports: BTreeMap<String, String> = [("Error".to_string(), "error".to_string())]
        .into_iter()
        .collect();
    let found = imports(
        "use crate::session::Session;\nuse crate::{Error, storage::clock};\nlet x = crate::registry::names::model(y);\nsomecrate::ml",
        &reexports,
    );
    let expected: BTreeSet<String> = ["error", "registry", "session", "storage"]
        .into_iter()
        .map(String::from)
        .collect();
    assert_eq!(found, expected);
    assert_eq!(
        code("use crate::a; // crate::b\n#[cfg(test)]\nmod tests { use crate::c; }"),
        "use crate::a; "
    );
}
