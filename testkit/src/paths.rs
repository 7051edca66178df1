//! Where things are: the workspace, its target folder, per-test scratch folders and temporary
//! folders removed on drop.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The workspace root (the folder holding the workspace's `Cargo.toml`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("testkit sits in the workspace root")
        .to_path_buf()
}

/// Cargo's target folder: `$CARGO_TARGET_DIR` (relative to the workspace root) or
/// `<workspace>/target`.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(d) => workspace_root().join(d),
        None => workspace_root().join("target"),
    }
}

/// `<target>/<profile>` of the running test executable, which lives in its `deps/`.
pub fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    exe.parent()
        .and_then(Path::parent)
        .expect("the test executable is <target>/<profile>/deps/<test>")
        .to_path_buf()
}

/// A private scratch folder `<target>/<profile>/testkit-scratch/<name>`, emptied first. One per
/// test: `name` must be unique among the tests of the workspace. It stays after the test (for
/// looking at what a failed test left), and it is on the target folder's file system, so the
/// programs compiled into it can run.
pub fn scratch(name: &str) -> PathBuf {
    let d = profile_dir().join("testkit-scratch").join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display()));
    d
}

/// A fresh folder under the system's temporary folder, removed with its contents on drop.
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    /// Creates `<tmp>/<tag>-<pid>-<n>`, unique within the process.
    pub fn new(tag: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        TempDir { path }
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `name` inside the folder (not created).
    pub fn join(&self, name: impl AsRef<Path>) -> PathBuf {
        self.path.join(name)
    }

    /// Writes `contents` to `name` inside the folder (creating parent folders) and returns its
    /// path.
    pub fn write(&self, name: impl AsRef<Path>, contents: impl AsRef<[u8]>) -> PathBuf {
        let p = self.path.join(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("{}: {e}", parent.display()));
        }
        std::fs::write(&p, contents).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_workspace_root_holds_the_scripts() {
        assert!(workspace_root().join("scripts/fetch-hpsocket.sh").is_file());
        assert!(workspace_root().join("testkit/Cargo.toml").is_file());
    }

    #[test]
    fn temp_dirs_are_distinct_and_removed_on_drop() {
        let a = TempDir::new("testkit-unit");
        let b = TempDir::new("testkit-unit");
        assert_ne!(a.path(), b.path());
        let f = a.write("sub/x.txt", "hello");
        assert_eq!(std::fs::read_to_string(&f).unwrap(), "hello");
        let kept = a.path().to_path_buf();
        drop(a);
        assert!(!kept.exists());
        assert!(b.path().is_dir());
    }

    #[test]
    fn scratch_folders_start_empty() {
        let d = scratch("testkit-unit-scratch");
        std::fs::write(d.join("left-over"), "x").unwrap();
        let d = scratch("testkit-unit-scratch");
        assert_eq!(std::fs::read_dir(&d).unwrap().count(), 0);
    }
}
