//! Child processes with bounded waits: run to completion, or keep running and read its output
//! line by line. Every child is killed and reaped if the test lets go of it early.

use std::borrow::BorrowMut;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// Runs a command to completion with no input (stdin on `/dev/null`), collecting its stdout and
/// stderr; kills it and panics (showing what it printed) if it takes longer than `limit`.
pub fn output_within(mut cmd: impl BorrowMut<Command>, limit: Duration) -> Output {
    let cmd = cmd.borrow_mut();
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

/// A running child process with piped stdin and stdout, its stdout lines delivered by a reader
/// thread (so the child never blocks on a full pipe); killed and reaped on drop. Its stderr is
/// whatever the command was set up with (inherited unless set).
pub struct Proc {
    /// The process.
    pub child: Child,
    /// Its standard input, until [`Proc::finish`] (or the caller) closes it.
    pub stdin: Option<ChildStdin>,
    lines: mpsc::Receiver<String>,
    /// The lines [`Proc::line`] and [`Proc::line_where`] have returned or skipped so far.
    pub seen: Vec<String>,
}

impl Proc {
    /// Starts `cmd` with piped stdin and stdout; panics if it cannot be started.
    pub fn spawn(mut cmd: impl BorrowMut<Command>) -> Proc {
        let cmd = cmd.borrow_mut();
        cmd.stdin(Stdio::piped()).stdout(Stdio::piped());
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

    /// The next stdout line, waiting at most `limit`; `None` on time-out or end of output.
    pub fn line(&mut self, limit: Duration) -> Option<String> {
        let l = self.lines.recv_timeout(limit).ok()?;
        self.seen.push(l.clone());
        Some(l)
    }

    /// The next stdout line that satisfies `f`, skipping the others, within `limit` in all.
    pub fn line_where(&mut self, limit: Duration, f: impl Fn(&str) -> bool) -> Option<String> {
        let deadline = Instant::now() + limit;
        loop {
            let l = self.line(deadline.saturating_duration_since(Instant::now()))?;
            if f(&l) {
                return Some(l);
            }
        }
    }

    /// Writes `line` and a newline to the child's stdin and flushes.
    pub fn send_line(&mut self, line: &str) -> std::io::Result<()> {
        let stdin = self.stdin.as_mut().ok_or(std::io::ErrorKind::BrokenPipe)?;
        stdin.write_all(line.as_bytes())?;
        stdin.write_all(b"\n")?;
        stdin.flush()
    }

    /// Closes stdin and waits at most `limit` for the exit; returns the exit code (`None` if
    /// the child did not exit in time or was killed by a signal) and the output lines not read
    /// yet.
    pub fn finish(&mut self, limit: Duration) -> (Option<i32>, Vec<String>) {
        self.stdin.take();
        let deadline = Instant::now() + limit;
        loop {
            match self.child.try_wait() {
                Ok(Some(s)) => {
                    let mut rest: Vec<String> = self.lines.try_iter().collect();
                    // The reader may still be draining: give it a moment.
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

#[cfg(test)]
mod tests {
    use super::*;

    const LIMIT: Duration = Duration::from_secs(20);

    #[test]
    fn output_within_collects_both_streams() {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "echo out; echo err >&2; exit 3"]);
        let out = output_within(cmd, LIMIT);
        assert_eq!(out.status.code(), Some(3));
        assert_eq!(out.stdout, b"out\n");
        assert_eq!(out.stderr, b"err\n");
    }

    #[test]
    #[should_panic(expected = "did not finish within")]
    fn output_within_kills_a_command_that_overruns() {
        output_within(Command::new("sleep").arg("30"), Duration::from_millis(100));
    }

    #[test]
    fn proc_reads_lines_and_finishes_on_eof() {
        let mut p = Proc::spawn(Command::new("cat"));
        p.send_line("one").unwrap();
        p.send_line("two").unwrap();
        assert_eq!(p.line(LIMIT).as_deref(), Some("one"));
        p.send_line("three").unwrap();
        assert_eq!(
            p.line_where(LIMIT, |l| l.starts_with("th")).as_deref(),
            Some("three")
        );
        assert_eq!(p.seen, ["one", "two", "three"]);
        assert_eq!(p.finish(LIMIT), (Some(0), vec![]));
    }
}
