//! Helpers shared by the test suites of the workspace (`hpsocket`, `hpsocket4c`, `hps`): a
//! dev-dependency only, never published.
//!
//! - [`pki`]: a throw-away CA and leaf certificates as PEM text, written to files on request;
//! - [`cc`]: compiling C programs with `cc`, and locating (or building) a crate's cdylib;
//! - [`original`]: the original HP-Socket 5.2.1 library (PyPI `hpsocket` 0.9.3), fetched by
//!   `scripts/fetch-hpsocket.sh` when missing;
//! - [`process`]: child processes with bounded waits;
//! - [`paths`]: the workspace and target folders, per-test scratch folders, temporary folders;
//! - [`wait`] and [`net`]: bounded polling, free loopback ports;
//! - [`procfs`]: this process's resident memory, open file descriptors and threads;
//! - [`alloc`]: a counting global allocator, for the heap a test binary's code holds.
//!
//! It deliberately does not depend on `hpsocket`: as a dev-dependency of `hpsocket` it would
//! otherwise bring a second copy of that crate's types into its tests. Everything here deals in
//! bytes, PEM text, processes and files.

#![deny(missing_docs)]

pub mod alloc;
pub mod cc;
pub mod net;
pub mod original;
pub mod paths;
pub mod pki;
pub mod process;
pub mod procfs;
pub mod wait;

pub use alloc::{heap_live, heap_peak, CountingAlloc, HeapLive};
pub use cc::{cdylib, Cc};
pub use net::{free_tcp_port, free_udp_port};
pub use original::original_package;
pub use paths::{profile_dir, scratch, target_dir, workspace_root, TempDir};
pub use pki::{Leaf, Pki};
pub use process::{output_within, Proc};
pub use procfs::{open_fds, rss_bytes, threads};
pub use wait::eventually;

/// rcgen, for tests that tweak certificate parameters through [`Pki::leaf_with`].
pub use rcgen;
