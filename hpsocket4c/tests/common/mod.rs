//! Helpers shared by the integration tests that look at the built C library from outside:
//! where the cdylib is, the names it exports, the original HP-Socket package, child
//! processes with bounded waits, and test certificates ([`pki`]).
#![allow(dead_code)] // each test file uses a different subset

pub mod pki;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::sync::{mpsc, OnceLock};
use std::thread;
use std::time::{Duration, Instant, SystemTime};

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

/// `<target>/<profile>`: the test executable lives in its `deps/`.
pub fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    exe.parent()
        .and_then(Path::parent)
        .expect("<target>/<profile>/deps/<test>")
        .to_path_buf()
}

/// A private scratch folder under the profile folder, emptied first (one per test: `name`
/// must be unique among the tests).
pub fn scratch(name: &str) -> PathBuf {
    let d = profile_dir().join("hpsocket4c-tests").join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display()));
    d
}

fn mtime(p: &Path) -> Option<SystemTime> {
    std::fs::metadata(p).and_then(|m| m.modified()).ok()
}

/// Our `libhpsocket4c.so`. `cargo test` builds it (the library's crate types include
/// `cdylib`) into `<profile>/deps/`, and `cargo build` also copies it to `<profile>/`: the
/// newer of the two is the one that matches this test build. If neither exists (a test
/// executable run on its own), it is built once into a separate target folder, so that the
/// build lock of a running `cargo test` cannot block it.
pub fn cdylib() -> PathBuf {
    static LIB: OnceLock<PathBuf> = OnceLock::new();
    LIB.get_or_init(|| {
        let dir = profile_dir();
        let found = [
            dir.join("deps/libhpsocket4c.so"),
            dir.join("libhpsocket4c.so"),
        ]
        .into_iter()
        .filter_map(|p| mtime(&p).map(|t| (t, p)))
        .max();
        if let Some((_, p)) = found {
            return p;
        }
        let target = root().join("target/hpsocket4c-selfbuild");
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.args(["build", "-p", "hpsocket4c", "--target-dir"])
            .arg(&target)
            .current_dir(root());
        let out = output_within(cmd, Duration::from_secs(900));
        assert!(
            out.status.success(),
            "cargo build -p hpsocket4c failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let p = target.join("debug/libhpsocket4c.so");
        assert!(p.is_file(), "{} missing after the build", p.display());
        p
    })
    .clone()
}

/// Copies our library into `dir` as `libhpsocket4c.so` (a private copy: the build may
/// replace the original while a test runs).
pub fn cdylib_copy(dir: &Path) -> PathBuf {
    let dst = dir.join("libhpsocket4c.so");
    std::fs::copy(cdylib(), &dst).unwrap_or_else(|e| panic!("copy to {}: {e}", dst.display()));
    dst
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

/// Whether an API name belongs to a family this library does not implement (HTTP; and
/// HP-Socket 5.8's UdpNode and UDP ARQ components, absent from 5.2.1) or is one of the
/// original's internals.
pub fn outside_tcp_family(n: &str) -> bool {
    n.contains("Http")
        || n.contains("UdpNode")
        || n.contains("UdpArq")
        || n.starts_with("http_")
        || n == "g_CookieMgr"
        || n == "SYS_CharsetConvert"
}

/// The unchanged `HPSocket/` folder of the PyPI package `hpsocket` 0.9.3 (with the original
/// 5.2.1 library), fetched by `scripts/fetch-hpsocket.sh` into `<target>/hpsocket-orig/` (or
/// `$HPSOCKET_ORIG_DIR`) when missing. `None` when `HPSOCKET_SKIP_INTEROP=1` (a notice is
/// printed); panics with the reason when it cannot be had.
pub fn original_package() -> Option<PathBuf> {
    static PKG: OnceLock<Result<Option<PathBuf>, String>> = OnceLock::new();
    match PKG.get_or_init(fetch_original) {
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

fn fetch_original() -> Result<Option<PathBuf>, String> {
    if std::env::var("HPSOCKET_SKIP_INTEROP").as_deref() == Ok("1") {
        return Ok(None);
    }
    let hint = "(set HPSOCKET_SKIP_INTEROP=1 to skip the tests needing it on purpose)";
    let orig = match std::env::var_os("HPSOCKET_ORIG_DIR") {
        Some(d) => root().join(d),
        None => root().join("target/hpsocket-orig"),
    };
    let pkg = orig.join("x/HPSocket");
    let lib = pkg.join("libhpsocket4c_amd64_64.so");
    if !lib.is_file() || !pkg.join("pyhpsocket.py").is_file() {
        let script = root().join("scripts/fetch-hpsocket.sh");
        let mut cmd = if script.is_file() {
            let mut c = Command::new("bash");
            c.arg(&script).env("HPSOCKET_ORIG_DIR", &orig);
            c
        } else {
            // The same steps as the script: pip download, then extract the wheel.
            let mut c = Command::new("sh");
            c.arg("-c")
                .arg(
                    "set -e; mkdir -p \"$D\"; \
                     python3 -m pip download --quiet --no-deps --disable-pip-version-check \
                       hpsocket==0.9.3 -d \"$D\" >&2; \
                     rm -rf \"$D/x.tmp\"; \
                     python3 -m zipfile -e \"$D\"/HPSocket-0.9.3-*.whl \"$D/x.tmp\" >&2; \
                     rm -rf \"$D/x\"; mv \"$D/x.tmp\" \"$D/x\"",
                )
                .env("D", &orig);
            c
        };
        cmd.current_dir(root());
        let out = output_within(cmd, Duration::from_secs(300));
        if !out.status.success() || !lib.is_file() {
            return Err(format!(
                "could not obtain the original HP-Socket package (PyPI hpsocket==0.9.3): {}\n{}{} {hint}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr),
            ));
        }
    }
    Ok(Some(pkg))
}

/// Runs a command to completion with no input, collecting its output; kills it and panics
/// if it takes longer than `limit`.
pub fn output_within(mut cmd: Command, limit: Duration) -> Output {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let what = format!("{cmd:?}");
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {what}: {e}"));
    let drain = |r: Option<Box<dyn Read + Send>>| {
        thread::spawn(move || {
            let mut v = Vec::new();
            if let Some(mut r) = r {
                let _ = r.read_to_end(&mut v);
            }
            v
        })
    };
    let out = drain(child.stdout.take().map(|s| Box::new(s) as _));
    let err = drain(child.stderr.take().map(|s| Box::new(s) as _));
    let deadline = Instant::now() + limit;
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break s,
            Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(20)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                let (o, e) = (
                    out.join().unwrap_or_default(),
                    err.join().unwrap_or_default(),
                );
                panic!(
                    "{what} did not finish within {limit:?}\nstdout:\n{}\nstderr:\n{}",
                    String::from_utf8_lossy(&o),
                    String::from_utf8_lossy(&e)
                );
            }
        }
    };
    Output {
        status,
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    }
}

/// Compiles C sources with `cc` against our header and library copy in `lib_dir`.
pub fn compile_c(sources: &[&Path], exe: &Path, lib_dir: &Path, extra: &[&str]) {
    let mut cmd = Command::new("cc");
    cmd.args(["-std=c99", "-Wall", "-Wextra", "-Werror", "-O1", "-pthread"])
        .arg("-I")
        .arg(root().join("hpsocket4c/include"))
        .args(extra)
        .args(sources)
        .arg("-o")
        .arg(exe)
        .arg(format!("-L{}", lib_dir.display()))
        .arg("-lhpsocket4c")
        .arg(format!("-Wl,-rpath,{}", lib_dir.display()));
    let out = output_within(cmd, Duration::from_secs(120));
    assert!(
        out.status.success(),
        "cc failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A running child process with piped stdin / stdout; killed and reaped on drop.
pub struct Proc {
    pub child: Child,
    pub stdin: Option<ChildStdin>,
    lines: mpsc::Receiver<String>,
    pub seen: Vec<String>,
}

impl Proc {
    pub fn spawn(mut cmd: Command) -> Proc {
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, lines) = mpsc::channel();
        thread::spawn(move || {
            for l in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(l).is_err() {
                    break;
                }
            }
        });
        Proc {
            stdin: child.stdin.take(),
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// The next stdout line, waiting at most `limit`.
    pub fn line(&mut self, limit: Duration) -> Option<String> {
        let l = self.lines.recv_timeout(limit).ok()?;
        self.seen.push(l.clone());
        Some(l)
    }

    /// Closes stdin and waits at most `limit` for the exit; returns the exit code and the
    /// remaining output lines.
    pub fn finish(&mut self, limit: Duration) -> (Option<i32>, Vec<String>) {
        self.stdin.take();
        let deadline = Instant::now() + limit;
        loop {
            match self.child.try_wait() {
                Ok(Some(s)) => {
                    let rest: Vec<String> = self.lines.try_iter().collect();
                    // The reader may still be draining: give it a moment.
                    let mut rest = rest;
                    while let Ok(l) = self.lines.recv_timeout(Duration::from_millis(200)) {
                        rest.push(l);
                    }
                    return (s.code(), rest);
                }
                Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(20)),
                _ => return (None, Vec::new()),
            }
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.stdin.take();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
