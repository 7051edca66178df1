//! The thread pool C example (`hpsocket4c/examples/c/thread_pool.c`) compiled with
//! `cc -std=c99 -Wall -Wextra -Werror` against `include/HPSocket4C.h` and our
//! `libhpsocket4c.so`, and run:
//!
//! - as is: 2,000 plain and 2,000 socket tasks (copied, attached and NULL buffers) from four
//!   threads, each run once with its own bytes, a resize while submitting, the events, the
//!   three rejection policies on a full queue, a stop that times out, the memory functions;
//! - under valgrind (`--leak-check=full`, definite and indirect leaks and every memory error
//!   fail the run) when valgrind is installed, so every buffer the pool frees is freed exactly
//!   once and none leaks; without valgrind that run is skipped with a notice.
//!
//! Every wait is bounded.
#![cfg(target_os = "linux")]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::*;

const LIMIT: Duration = Duration::from_secs(60);
/// Valgrind runs the program some 20 to 50 times slower.
const VALGRIND_LIMIT: Duration = Duration::from_secs(300);
const TASKS: &str = "2000";

fn build(dir: &Path) -> PathBuf {
    let exe = dir.join("thread_pool");
    compile_c(
        &[&root().join("hpsocket4c/examples/c/thread_pool.c")],
        &exe,
        dir,
        &[],
    );
    exe
}

fn expected() -> String {
    format!("OK tasks={TASKS} socket_tasks={TASKS} workers=6 events=1/1")
}

#[test]
fn c_thread_pool_example_runs() {
    let dir = scratch("thread-pool-c-example");
    cdylib_copy(&dir);
    let exe = build(&dir);
    let mut cmd = program(&exe);
    cmd.arg(TASKS);
    let out = output_within(cmd, LIMIT);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "thread_pool failed ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stdout.trim(), expected());
}

#[test]
fn c_thread_pool_example_under_valgrind() {
    if Command::new("valgrind").arg("--version").output().is_err() {
        eprintln!("NOTICE: valgrind not installed: the run under valgrind is skipped");
        return;
    }
    let dir = scratch("thread-pool-c-example-valgrind");
    cdylib_copy(&dir);
    let exe = build(&dir);
    let mut cmd = Command::new("valgrind");
    cmd.env_remove("LD_LIBRARY_PATH")
        .args([
            "--error-exitcode=99",
            "--leak-check=full",
            "--show-leak-kinds=definite,indirect",
            "--errors-for-leak-kinds=definite,indirect",
        ])
        .arg(&exe)
        .arg(TASKS);
    let out = output_within(cmd, VALGRIND_LIMIT);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "thread_pool under valgrind failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    assert_eq!(stdout.trim(), expected());
    assert!(
        stderr.contains("ERROR SUMMARY: 0 errors"),
        "valgrind found errors:\n{stderr}"
    );
    assert!(
        stderr.contains("definitely lost: 0 bytes")
            || stderr.contains("All heap blocks were freed"),
        "valgrind found leaks:\n{stderr}"
    );
    println!(
        "{}",
        stderr
            .lines()
            .filter(|l| l.contains("ERROR SUMMARY")
                || l.contains("lost:")
                || l.contains("total heap usage"))
            .collect::<Vec<_>>()
            .join("\n")
    );
}
