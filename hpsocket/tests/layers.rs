//! Imports only point down: every `crate::` path in the library's code names a module of its
//! own layer or of a layer below it (docs/ARCHITECTURE.md draws the layers). This reads the
//! sources, so a new upward import fails here, in review, before it grows into a circle.

use std::path::{Path, PathBuf};

/// The layers, lowest first, as (name, top-level modules of `src/` in it).
const LAYERS: &[(&str, &[&str])] = &[
    (
        "types and system calls",
        &["types", "clock", "model", "sys"],
    ),
    ("sans-IO cores", &["cores", "tls"]),
    ("configuration and errors", &["config", "error"]),
    // A building block beside the components: it uses types and errors, only `lib` uses it.
    ("thread pool", &["thread_pool"]),
    ("session", &["session"]),
    ("reactor", &["reactor"]),
    ("component", &["component"]),
    ("roles", &["roles", "listener"]),
    ("public API", &["lib"]),
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|(_, mods)| mods.contains(&module))
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The top-level module a source file belongs to (`src/reactor/conn.rs` → `reactor`).
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap();
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_string()
}

/// Top-level modules named by `crate::…` paths in code (comments skipped).
fn imports(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(i) = rest.find("crate::") {
            rest = &rest[i + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                .collect();
            // `crate::TcpServer` and friends are the public API's re-exports: type defaults of
            // the listener traits name them; they are not module imports.
            if !name.is_empty() {
                out.push(name);
            }
        }
    }
    out
}

#[test]
fn imports_point_down_only() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    files.sort();
    let mut wrong = Vec::new();
    for f in &files {
        let module = module_of(&src, f);
        let Some(from) = layer_of(&module) else {
            wrong.push(format!("{}: module {module} is in no layer", f.display()));
            continue;
        };
        let text = std::fs::read_to_string(f).unwrap();
        for target in imports(&text) {
            match layer_of(&target) {
                None => wrong.push(format!("{}: crate::{target} is in no layer", f.display())),
                Some(to) if to > from => wrong.push(format!(
                    "{} ({}) imports crate::{target} ({}), a layer above it",
                    f.display(),
                    LAYERS[from].0,
                    LAYERS[to].0
                )),
                Some(_) => {}
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // The check itself sees the imports it is meant to police.
    assert!(files.len() > 30, "found only {} source files", files.len());
}

#[test]
fn the_checker_catches_an_upward_import() {
    let text = "use crate::roles::server::Server; // a session importing a role\n";
    let found = imports(text);
    assert_eq!(found, vec!["roles"]);
    assert!(layer_of("roles") > layer_of("session"));
    assert!(imports("// use crate::roles::x;\n").is_empty());
}
