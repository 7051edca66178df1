//! Export coverage: every C API function of the TCP and UDP families that the original
//! HP-Socket 5.2.1 library (`libhpsocket4c_amd64_64.so` from the PyPI package `hpsocket` 0.9.3)
//! exports must be exported by ours too. The HTTP family (names containing `Http`, the
//! `http_*` parser internals, `g_CookieMgr`) and `SYS_CharsetConvert` are left out; so are the
//! C++ symbols (names starting with `_`), which are not part of the C API.
//!
//! Needs the original package (fetched by `scripts/fetch-hpsocket.sh`); set
//! `HPSOCKET_SKIP_INTEROP=1` to skip on purpose.
//!
//! Also: every function of HP-Socket 5.8's SSL API for the TCP components (a list written out
//! here, since 5.2.1 has none) is exported, and no other SSL name.
#![cfg(all(target_os = "linux", target_arch = "x86_64"))]

mod common;

use std::collections::BTreeSet;

use common::*;

#[test]
fn ours_exports_every_tcp_and_udp_function_of_the_original() {
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

/// Every function of HP-Socket 5.8's `HPSocket4C-SSL.h` that concerns the TCP SSL components
/// (the HTTPS ones are left out), with 5.8's names. The 5.2.1 library has no SSL exports, so
/// the list is written out here rather than read from the original.
const SSL_5_8: &[&str] = &[
    "Create_HP_SSLServer",
    "Create_HP_SSLAgent",
    "Create_HP_SSLClient",
    "Create_HP_SSLPullServer",
    "Create_HP_SSLPullAgent",
    "Create_HP_SSLPullClient",
    "Create_HP_SSLPackServer",
    "Create_HP_SSLPackAgent",
    "Create_HP_SSLPackClient",
    "Destroy_HP_SSLServer",
    "Destroy_HP_SSLAgent",
    "Destroy_HP_SSLClient",
    "Destroy_HP_SSLPullServer",
    "Destroy_HP_SSLPullAgent",
    "Destroy_HP_SSLPullClient",
    "Destroy_HP_SSLPackServer",
    "Destroy_HP_SSLPackAgent",
    "Destroy_HP_SSLPackClient",
    "HP_SSL_DefaultServerNameCallback",
    "HP_SSL_RemoveThreadLocalState",
    "HP_SSLServer_SetupSSLContext",
    "HP_SSLServer_SetupSSLContextByMemory",
    "HP_SSLServer_AddSSLContext",
    "HP_SSLServer_AddSSLContextByMemory",
    "HP_SSLServer_BindSSLServerName",
    "HP_SSLServer_CleanupSSLContext",
    "HP_SSLAgent_SetupSSLContext",
    "HP_SSLAgent_SetupSSLContextByMemory",
    "HP_SSLAgent_CleanupSSLContext",
    "HP_SSLClient_SetupSSLContext",
    "HP_SSLClient_SetupSSLContextByMemory",
    "HP_SSLClient_CleanupSSLContext",
    "HP_SSLServer_StartSSLHandShake",
    "HP_SSLServer_SetSSLAutoHandShake",
    "HP_SSLServer_IsSSLAutoHandShake",
    "HP_SSLServer_SetSSLCipherList",
    "HP_SSLServer_GetSSLCipherList",
    "HP_SSLServer_GetSSLSessionInfo",
    "HP_SSLAgent_StartSSLHandShake",
    "HP_SSLAgent_SetSSLAutoHandShake",
    "HP_SSLAgent_IsSSLAutoHandShake",
    "HP_SSLAgent_SetSSLCipherList",
    "HP_SSLAgent_GetSSLCipherList",
    "HP_SSLAgent_GetSSLSessionInfo",
    "HP_SSLClient_StartSSLHandShake",
    "HP_SSLClient_SetSSLAutoHandShake",
    "HP_SSLClient_IsSSLAutoHandShake",
    "HP_SSLClient_SetSSLCipherList",
    "HP_SSLClient_GetSSLCipherList",
    "HP_SSLClient_GetSSLSessionInfo",
];

#[test]
fn ours_exports_every_tcp_ssl_function_of_5_8() {
    let unique: BTreeSet<&&str> = SSL_5_8.iter().collect();
    assert_eq!(unique.len(), SSL_5_8.len(), "a name is listed twice");
    let ours = exported_names(&cdylib());
    let missing: Vec<&&str> = SSL_5_8.iter().filter(|n| !ours.contains(**n)).collect();
    assert!(
        missing.is_empty(),
        "SSL functions not exported: {missing:?}"
    );
    // Nothing SSL-named beyond the list either: a typo'd name would show up here.
    let extra: Vec<&String> = ours
        .iter()
        .filter(|n| n.contains("SSL") && !SSL_5_8.contains(&n.as_str()))
        .collect();
    assert!(extra.is_empty(), "SSL exports not in 5.8: {extra:?}");
    println!("{} SSL functions exported", SSL_5_8.len());
}
