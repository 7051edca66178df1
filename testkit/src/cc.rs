//! C programs against a library of the workspace: compiling them with `cc`, and locating (or
//! building) a crate's cdylib.

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use crate::paths::{profile_dir, target_dir, workspace_root};
use crate::process::output_within;

/// Bound of one compiler run.
const CC_LIMIT: Duration = Duration::from_secs(120);
/// Bound of a cargo build of a cdylib that `cargo test` did not build.
const BUILD_LIMIT: Duration = Duration::from_secs(900);

/// One `cc` invocation: `cc FLAGS -I… SOURCES -o EXE -L… -l… -Wl,-rpath,…`.
///
/// ```no_run
/// # use testkit::Cc;
/// # let (dir, lib_dir) = (std::path::Path::new("/tmp"), std::path::Path::new("/tmp"));
/// Cc::new()
///     .flags(["-std=c99", "-Wall", "-Werror"])
///     .include("hpsocket4c/include")
///     .source("hpsocket4c/examples/c/echo_server.c")
///     .link(lib_dir, "hpsocket4c")
///     .build(&dir.join("echo_server"))
///     .unwrap();
/// ```
#[derive(Default)]
pub struct Cc {
    flags: Vec<OsString>,
    sources: Vec<PathBuf>,
    link: Vec<OsString>,
}

impl Cc {
    /// An invocation with no flags yet.
    pub fn new() -> Cc {
        Cc::default()
    }

    /// Adds compiler flags (placed before the sources).
    pub fn flags<S: Into<OsString>>(mut self, flags: impl IntoIterator<Item = S>) -> Cc {
        self.flags.extend(flags.into_iter().map(Into::into));
        self
    }

    /// Adds an include folder (`-I`).
    pub fn include(mut self, dir: impl AsRef<Path>) -> Cc {
        self.flags.push("-I".into());
        self.flags.push(dir.as_ref().into());
        self
    }

    /// Adds a source file.
    pub fn source(mut self, file: impl AsRef<Path>) -> Cc {
        self.sources.push(file.as_ref().to_path_buf());
        self
    }

    /// Links library `name` from `dir` (`-L<dir> -l<name>`; a name starting with `:` is a file
    /// name, as in `-l:libfoo.so.1`) and records `dir` as a run-time search path, so the program
    /// runs without `LD_LIBRARY_PATH`.
    pub fn link(mut self, dir: impl AsRef<Path>, name: &str) -> Cc {
        let dir = dir.as_ref().display();
        self.link.push(format!("-L{dir}").into());
        self.link.push(format!("-l{name}").into());
        self.link.push(format!("-Wl,-rpath,{dir}").into());
        self
    }

    /// Compiles into `exe`. The compiler writes a private temporary file that is then renamed,
    /// so a concurrent test process never runs a half-written program. On failure: the
    /// compiler's status and messages.
    pub fn build(self, exe: &Path) -> Result<(), String> {
        let tmp = exe.with_file_name(format!(
            "{}.{}.tmp",
            exe.file_name().and_then(|n| n.to_str()).unwrap_or("a.out"),
            std::process::id()
        ));
        let mut cmd = Command::new("cc");
        cmd.args(&self.flags)
            .args(&self.sources)
            .arg("-o")
            .arg(&tmp)
            .args(&self.link);
        let what = format!("{cmd:?}");
        let out = output_within(cmd, CC_LIMIT);
        if !out.status.success() {
            let _ = std::fs::remove_file(&tmp);
            return Err(format!(
                "{what} failed ({}):\n{}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        std::fs::rename(&tmp, exe).map_err(|e| format!("{}: {e}", exe.display()))
    }
}

fn mtime(p: &Path) -> Option<SystemTime> {
    std::fs::metadata(p).and_then(|m| m.modified()).ok()
}

/// The cdylib `lib<lib>.so` of workspace package `package`, matching this test build.
///
/// `cargo test` builds it (when the crate types include `cdylib`) into `<profile>/deps/`, and
/// `cargo build` also copies it to `<profile>/`: the newer of the two is taken. If neither
/// exists (a test executable run on its own), the package is built once into the separate
/// target folder `<target>/<package>-selfbuild`, so that the build lock of a running
/// `cargo test` cannot block it. Panics if that build fails.
pub fn cdylib(package: &str, lib: &str) -> PathBuf {
    static LIBS: Mutex<Option<HashMap<String, PathBuf>>> = Mutex::new(None);
    let mut libs = LIBS.lock().unwrap_or_else(|e| e.into_inner());
    let libs = libs.get_or_insert_with(HashMap::new);
    if let Some(p) = libs.get(lib) {
        return p.clone();
    }
    let file = format!("lib{lib}.so");
    let dir = profile_dir();
    let found = [dir.join("deps").join(&file), dir.join(&file)]
        .into_iter()
        .filter_map(|p| mtime(&p).map(|t| (t, p)))
        .max()
        .map(|(_, p)| p);
    let p = found.unwrap_or_else(|| {
        let target = target_dir().join(format!("{package}-selfbuild"));
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.args(["build", "-p", package, "--target-dir"])
            .arg(&target)
            .current_dir(workspace_root());
        let out = output_within(cmd, BUILD_LIMIT);
        assert!(
            out.status.success(),
            "cargo build -p {package} failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let p = target.join("debug").join(&file);
        assert!(p.is_file(), "{} missing after the build", p.display());
        p
    });
    libs.insert(lib.to_string(), p.clone());
    p
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::paths::TempDir;

    #[test]
    fn compiles_and_links_a_program() {
        let d = TempDir::new("testkit-cc");
        let lib_src = d.write("answer.c", "int answer(void) { return 42; }\n");
        let main_src = d.write(
            "main.c",
            "#include <stdio.h>\nint answer(void);\nint main(void) { printf(\"%d\\n\", answer()); return 0; }\n",
        );
        Cc::new()
            .flags(["-shared", "-fPIC"])
            .source(&lib_src)
            .build(&d.join("libanswer.so"))
            .unwrap();
        let exe = d.join("main");
        Cc::new()
            .flags(["-Wall", "-Werror"])
            .source(&main_src)
            .link(d.path(), "answer")
            .build(&exe)
            .unwrap();
        let out = output_within(Command::new(&exe), Duration::from_secs(20));
        assert!(out.status.success());
        assert_eq!(out.stdout, b"42\n");
        // No temporary file is left behind.
        assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 4);
    }

    #[test]
    fn a_compile_error_is_reported() {
        let d = TempDir::new("testkit-cc-bad");
        let src = d.write("bad.c", "int main(void) { return undeclared; }\n");
        let err = Cc::new().source(&src).build(&d.join("bad")).unwrap_err();
        assert!(err.contains("undeclared"), "{err}");
        assert!(!d.join("bad").exists());
    }
}
