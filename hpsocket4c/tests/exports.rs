//! Export coverage: every C API function of the TCP family that the original HP-Socket 5.2.1
//! library (`libhpsocket4c_amd64_64.so` from the PyPI package `hpsocket` 0.9.3) exports must be
//! exported by ours too. The UDP and HTTP families (names containing `Udp` / `Http`, the
//! `http_*` parser internals, `g_CookieMgr`) and `SYS_CharsetConvert` are left out; so are the
//! C++ symbols (names starting with `_`), which are not part of the C API.
//!
//! Needs the original package (fetched by `scripts/fetch-hpsocket.sh`); set
//! `HPSOCKET_SKIP_INTEROP=1` to skip on purpose.
#![cfg(all(target_os = "linux", target_arch = "x86_64"))]

mod common;

use std::collections::BTreeSet;

use common::*;

#[test]
fn ours_exports_every_tcp_family_function_of_the_original() {
    let Some(pkg) = original_package() else {
        return;
    };
    let original = exported_names(&pkg.join("libhpsocket4c_amd64_64.so"));
    let wanted: BTreeSet<&String> = original
        .iter()
        .filter(|n| !n.starts_with('_') && !outside_tcp_family(n))
        .collect();
    // Everything left is C API: a name of another shape would need a decision here.
    let odd: Vec<&&String> = wanted.iter().filter(|n| !is_api_name(n)).collect();
    assert!(
        odd.is_empty(),
        "unexpected exports in the original: {odd:?}"
    );

    let ours = exported_names(&cdylib());
    let missing: Vec<&&String> = wanted.iter().filter(|n| !ours.contains(**n)).collect();
    let covered = wanted.len() - missing.len();
    println!("covered {covered} / {}", wanted.len());
    assert!(
        missing.is_empty(),
        "covered {covered} / {}; missing: {missing:?}",
        wanted.len()
    );
    assert!(
        wanted.len() >= 250,
        "only {} names found in the original",
        wanted.len()
    );
}
