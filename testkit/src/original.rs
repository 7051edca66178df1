//! The original HP-Socket 5.2.1 library, for the interoperability tests: the unchanged
//! `HPSocket/` folder of the PyPI package `hpsocket` 0.9.3 (its Python wrapper and
//! [`ORIGINAL_LIB`]), fetched by `scripts/fetch-hpsocket.sh`.

use std::io::Write;
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use crate::paths::{target_dir, workspace_root};
use crate::process::output_within;

/// The original library's file name in the package (its SONAME is `libhpsocket4c.so`, for
/// which the script puts a link next to it).
pub const ORIGINAL_LIB: &str = "libhpsocket4c_amd64_64.so";

/// Bound of the fetch (a pip download of about 2 MB).
const FETCH_LIMIT: Duration = Duration::from_secs(300);

/// The package's `HPSocket/` folder, `<target>/hpsocket-orig/x/HPSocket` (or under
/// `$HPSOCKET_ORIG_DIR`), fetched by `scripts/fetch-hpsocket.sh` (pip, from PyPI) when it is
/// not complete yet; once per test process.
///
/// `None` when `HPSOCKET_SKIP_INTEROP=1`: a notice goes to stderr, past the test harness's
/// capture, and the caller skips its test. Otherwise it panics with the reason when the package
/// cannot be had, so a missing package fails the test rather than skipping it unnoticed.
pub fn original_package() -> Option<PathBuf> {
    static PKG: OnceLock<Result<Option<PathBuf>, String>> = OnceLock::new();
    match PKG.get_or_init(fetch) {
        Ok(Some(p)) => Some(p.clone()),
        Ok(None) => {
            let _ = writeln!(
                std::io::stderr(),
                "NOTICE: HPSOCKET_SKIP_INTEROP=1: test needing the original HP-Socket package skipped"
            );
            None
        }
        Err(e) => panic!("{e}"),
    }
}

fn fetch() -> Result<Option<PathBuf>, String> {
    if std::env::var("HPSOCKET_SKIP_INTEROP").as_deref() == Ok("1") {
        return Ok(None);
    }
    let hint = "(set HPSOCKET_SKIP_INTEROP=1 to skip the tests needing it on purpose)";
    let orig = match std::env::var_os("HPSOCKET_ORIG_DIR") {
        Some(d) => workspace_root().join(d),
        None => target_dir().join("hpsocket-orig"),
    };
    let pkg = orig.join("x").join("HPSocket");
    let lib = pkg.join(ORIGINAL_LIB);
    let complete = || {
        lib.is_file()
            && pkg.join("libhpsocket4c.so").exists()
            && pkg.join("pyhpsocket.py").is_file()
    };
    if !complete() {
        let mut cmd = Command::new("bash");
        cmd.arg(workspace_root().join("scripts/fetch-hpsocket.sh"))
            .env("HPSOCKET_ORIG_DIR", &orig)
            .current_dir(workspace_root());
        let out = output_within(cmd, FETCH_LIMIT);
        if !out.status.success() || !complete() {
            return Err(format!(
                "could not obtain the original HP-Socket package (PyPI hpsocket==0.9.3, \
                 {ORIGINAL_LIB}) with scripts/fetch-hpsocket.sh: {}\n{}{} {hint}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr),
            ));
        }
    }
    Ok(Some(pkg))
}
