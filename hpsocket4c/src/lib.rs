//! HP-Socket's "4C" C API over `hpsocket`: same function names, signatures, enum values and
//! return conventions as `libhpsocket4c`, so programs written for HP-Socket can link this
//! library instead.
//!
//! This crate only maps: every behaviour lives in `hpsocket`. Conventions:
//! - Objects (components and listeners) are handles into a registry of live objects, so a
//!   call on a destroyed or never-created object fails cleanly (FALSE, `errno` = `EBADF`)
//!   instead of touching freed memory.
//! - Every exported function catches panics; a failing call returns FALSE / 0 / NULL with
//!   `errno` set (read it with `SYS_GetLastError`).
//! - Callbacks run on the worker threads, as in the original.
//!
//! Modules, in layers; each imports only from the layers below it, never from a module of its
//! own layer (except within a folder), so the imports form no circle:
//! 1. [`marshal`]: FFI marshalling (C types, errno, the panic guard, results, strings,
//!    addresses and buffers to and from C).
//! 2. [`roles`] (the handle registries, the role enums `Srv` / `Agt` / `Cli` with their TCP,
//!    SSL, UDP, HTTP and WebSocket variants, the `Component` trait and the dispatch macros,
//!    the listener bridge) and [`ops`] (export generators shared by the families).
//! 3. The families, the exports themselves: [`server`], [`agent`], [`client`], [`ssl`],
//!    [`udp`], [`http`], [`http_cookie`], [`ws`], [`listener`], [`sys`], [`codec`],
//!    [`thread_pool`], and our own extension, [`hpx`] (the WebSocket components,
//!    `include/HPSocket4C-WS.h`).
//!
//! This root only declares them, plus the two global exports below.
#![deny(missing_docs)]
#![allow(clippy::missing_safety_doc)] // every export is documented in include/HPSocket4C.h
#![allow(non_snake_case)] // the 4C names
#![allow(clippy::upper_case_acronyms)] // BOOL, WSABUF: the C names

pub mod marshal;
pub mod ops;
pub mod roles;

pub mod agent;
pub mod client;
pub mod codec;
pub mod hpx;
pub mod http;
pub mod http_cookie;
pub mod listener;
pub mod server;
pub mod ssl;
pub mod sys;
pub mod thread_pool;
pub mod udp;
pub mod ws;

use std::ffi::{c_char, c_int};

use crate::marshal::error_desc;

// ---- global functions ----

/// Version of the 4C API this library implements (5.8.x): (major<<24)|(minor<<16)|(rev<<8)|build.
#[no_mangle]
pub extern "C" fn HP_GetHPSocketVersion() -> u32 {
    (5 << 24) | (8 << 16) | (6 << 8) | 1
}

/// English description of an `En_HP_SocketError` code (static string).
#[no_mangle]
pub extern "C" fn HP_GetSocketErrorDesc(code: c_int) -> *const c_char {
    error_desc(code)
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};
    use std::path::Path;

    /// The layer of each top-level module (see the crate docs).
    const LAYERS: &[(&str, u8)] = &[
        ("marshal", 1),
        ("roles", 2),
        ("ops", 2),
        ("server", 3),
        ("agent", 3),
        ("client", 3),
        ("ssl", 3),
        ("udp", 3),
        ("listener", 3),
        ("sys", 3),
        ("codec", 3),
        ("http", 3),
        ("http_cookie", 3),
        ("ws", 3),
        ("hpx", 3),
        ("thread_pool", 3),
    ];

    /// The top-level modules a source file names as `crate::<module>` (or `$crate::`) in
    /// code, comments left out; `crate::{` (an item of the root) counts as `{`.
    fn named_modules(text: &str) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        for line in text.lines() {
            let code = line.split("//").next().unwrap_or("");
            for (at, _) in code.match_indices("crate::") {
                let before = code[..at].chars().next_back();
                if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                    continue; // e.g. `hpsocket4c_crate::`
                }
                let rest = &code[at + "crate::".len()..];
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                out.insert(if name.is_empty() { "{".into() } else { name });
            }
        }
        out
    }

    fn sources(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                sources(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }

    /// Imports only point down: every module names only modules of lower layers (or itself),
    /// never the crate root's items, so the module graph has no circle.
    #[test]
    fn layers_point_down() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let layer: BTreeMap<&str, u8> = LAYERS.iter().copied().collect();
        let mut files = Vec::new();
        sources(&src, &mut files);
        let mut wrong = Vec::new();
        for f in &files {
            let rel = f.strip_prefix(&src).unwrap();
            let top = rel.iter().next().unwrap().to_str().unwrap();
            let top = top.strip_suffix(".rs").unwrap_or(top);
            if top == "lib" {
                continue;
            }
            let Some(&own) = layer.get(top) else {
                wrong.push(format!("{}: module {top} has no layer", rel.display()));
                continue;
            };
            for m in named_modules(&std::fs::read_to_string(f).unwrap()) {
                if m == top {
                    continue;
                }
                match layer.get(m.as_str()) {
                    Some(&l) if l < own => {}
                    _ => wrong.push(format!("{} (layer {own}) names crate::{m}", rel.display())),
                }
            }
        }
        assert!(
            files.len() > LAYERS.len(),
            "no sources found in {}",
            src.display()
        );
        assert!(wrong.is_empty(), "{wrong:#?}");
    }
}
