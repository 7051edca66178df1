//! Helpers shared by the integration tests that look at the built C library from outside: the
//! generic ones come from `testkit` (re-exported here); this file adds what is particular to
//! this crate: our cdylib, C programs compiled against our header and library, the names a
//! library exports, and ([`http`]) calls of the HTTP exports.
#![allow(dead_code)] // each test file uses a different subset

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

pub use testkit::*;

pub mod http;

/// The workspace root.
pub fn root() -> PathBuf {
    workspace_root()
}

/// A private scratch folder for one test of this crate (see [`testkit::scratch`]), emptied
/// first; `name` must be unique among this crate's tests.
pub fn scratch(name: &str) -> PathBuf {
    testkit::scratch(&format!("hpsocket4c-{name}"))
}

/// Our `libhpsocket4c.so`, the one this test build matches (see [`testkit::cdylib`]).
pub fn cdylib() -> PathBuf {
    testkit::cdylib("hpsocket4c", "hpsocket4c")
}

/// Copies our library into `dir` as `libhpsocket4c.so` (a private copy: the build may
/// replace the original while a test runs).
pub fn cdylib_copy(dir: &Path) -> PathBuf {
    let dst = dir.join("libhpsocket4c.so");
    std::fs::copy(cdylib(), &dst).unwrap_or_else(|e| panic!("copy to {}: {e}", dst.display()));
    dst
}

/// A command running `exe`, a program built by a test, without `LD_LIBRARY_PATH`: `cargo test`
/// puts `target/debug` (which holds our `libhpsocket4c.so`) on it, and the loader searches it
/// before a program's run-time path, so a program built on the original library (whose SONAME
/// is `libhpsocket4c.so` too) would silently run on ours.
pub fn program(exe: impl AsRef<Path>) -> Command {
    let mut cmd = Command::new(exe.as_ref());
    cmd.env_remove("LD_LIBRARY_PATH");
    cmd
}

/// Compiles C sources strictly (C99, all warnings as errors) against our headers and the
/// `libhpsocket4c.so` in `lib_dir`; panics with the compiler's messages on failure.
pub fn compile_c(sources: &[&Path], exe: &Path, lib_dir: &Path, extra: &[&str]) {
    let mut cc = Cc::new()
        .flags(["-std=c99", "-Wall", "-Wextra", "-Werror", "-O1", "-pthread"])
        .include(root().join("hpsocket4c/include"))
        .flags(extra.iter().copied());
    for s in sources {
        cc = cc.source(s);
    }
    cc.link(lib_dir, "hpsocket4c")
        .build(exe)
        .unwrap_or_else(|e| panic!("{e}"));
}

/// The names a shared library defines in its dynamic symbol table (`nm -D --defined-only`).
pub fn exported_names(lib: &Path) -> BTreeSet<String> {
    let out = Command::new("nm")
        .args(["-D", "--defined-only"])
        .arg(lib)
        .output()
        .unwrap_or_else(|e| panic!("cannot run nm (binutils): {e}"));
    assert!(
        out.status.success(),
        "nm {}: {}",
        lib.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().nth(2).map(str::to_string))
        .collect()
}

/// The C API's names: the `HP_`, `SYS_`, `Create_` and `Destroy_` functions.
pub fn is_api_name(n: &str) -> bool {
    ["HP_", "SYS_", "Create_", "Destroy_"]
        .iter()
        .any(|p| n.starts_with(p))
}

/// Whether an API name belongs to a family this library does not implement (HP-Socket 5.8's
/// UdpNode and UDP ARQ components, absent from 5.2.1) or is one of the original's internals.
pub fn outside_tcp_family(n: &str) -> bool {
    n.contains("UdpNode")
        || n.contains("UdpArq")
        || n.starts_with("http_")
        || n == "g_CookieMgr"
        || n == "SYS_CharsetConvert"
}

/// Whether a name is our own extension's (`HPX_*`, `Create_HPX_*`, `Destroy_HPX_*`, declared
/// in `HPSocket4C-WS.h`), not HP-Socket's: HP-Socket has no `HPX_` name, so these are never
/// counted against its function lists.
pub fn is_ours_name(n: &str) -> bool {
    ["HPX_", "Create_HPX_", "Destroy_HPX_"]
        .iter()
        .any(|p| n.starts_with(p))
}

/// Whether a name belongs in `HPSocket4C-SSL.h`: the SSL functions and the HTTPS components.
pub fn is_ssl_header_name(n: &str) -> bool {
    n.contains("SSL") || n.contains("Https")
}
