//! `include/HPSocket4C.h`, `include/HPSocket4C-SSL.h`, `include/HPTypeDef.h` and our
//! extension's `include/HPSocket4C-WS.h` against the built library:
//!
//! - every function the headers declare is exported by `libhpsocket4c.so`, and every exported
//!   `HP_` / `SYS_` / `Create_` / `Destroy_` name of the TCP, SSL, UDP and HTTP families and
//!   every `HPX_` name of ours is declared (`nm -D`), the SSL and HTTPS ones in the SSL header
//!   only, the `HPX_` ones in the WS header only;
//! - the headers compile cleanly as C99 and C++ and a program taking the address of every
//!   declared function links against the library;
//! - the C layouts and enum values match what the Rust side uses (the thread pool's
//!   `TSocketTask` field by field);
//! - the pkg-config template resolves to the include folder and `-lhpsocket4c`.
#![cfg(target_os = "linux")]

mod common;

use std::collections::BTreeSet;
use std::process::Command;
use std::time::Duration;

use common::*;

const MAIN: &str = "HPSocket4C.h";
const SSL: &str = "HPSocket4C-SSL.h";
/// Our extension (not HP-Socket's): the WebSocket components.
const WS: &str = "HPSocket4C-WS.h";

fn header_text(name: &str) -> String {
    let p = root().join("hpsocket4c/include").join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The function names the three headers declare.
fn declared_names() -> Vec<String> {
    let mut names = declared_in(MAIN);
    names.extend(declared_in(SSL));
    names.extend(declared_in(WS));
    names
}

/// The function names declared in one header: each declaration reads
/// `HPSOCKET_API <type> __HP_CALL <Name>(...)`.
fn declared_in(header: &str) -> Vec<String> {
    let text = header_text(header);
    let mut names = Vec::new();
    for (i, _) in text.match_indices("__HP_CALL") {
        let rest = text[i + "__HP_CALL".len()..].trim_start();
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        let after = rest[name.len()..].trim_start();
        if !name.is_empty() && after.starts_with('(') {
            names.push(name);
        }
    }
    names
}

#[test]
fn header_and_library_agree_both_ways() {
    let declared = declared_names();
    let unique: BTreeSet<&String> = declared.iter().collect();
    assert_eq!(unique.len(), declared.len(), "a function is declared twice");
    assert!(
        declared.len() > 250,
        "only {} declarations parsed",
        declared.len()
    );

    let exported: BTreeSet<String> = exported_names(&cdylib())
        .into_iter()
        .filter(|n| is_api_name(n) || is_ours_name(n))
        .collect();

    let not_exported: Vec<&String> = declared.iter().filter(|n| !exported.contains(*n)).collect();
    assert!(
        not_exported.is_empty(),
        "declared in HPSocket4C.h but not exported by libhpsocket4c.so: {not_exported:?}"
    );

    let undeclared: Vec<&String> = exported
        .iter()
        .filter(|n| !outside_tcp_family(n) && !unique.contains(n))
        .collect();
    assert!(
        undeclared.is_empty(),
        "exported by libhpsocket4c.so but not declared in HPSocket4C.h: {undeclared:?}"
    );
    // The SSL family lives in its own header, as in HP-Socket.
    let ssl = declared_in(SSL);
    assert!(
        ssl.len() >= 50,
        "only {} SSL declarations parsed",
        ssl.len()
    );
    let main = declared_in(MAIN);
    let misplaced: Vec<&String> = main
        .iter()
        .chain(&ssl)
        .filter(|n| is_ssl_header_name(n) != ssl.contains(n))
        .collect();
    assert!(
        misplaced.is_empty(),
        "SSL and HTTPS functions belong in {SSL}, others in {MAIN}: {misplaced:?}"
    );
    // Our extension in its own header, and nothing else there.
    let ws = declared_in(WS);
    assert!(ws.len() >= 80, "only {} WS declarations parsed", ws.len());
    let misplaced: Vec<&String> = declared
        .iter()
        .filter(|n| is_ours_name(n) != ws.contains(n))
        .collect();
    assert!(
        misplaced.is_empty(),
        "HPX_ functions belong in {WS}, and only they: {misplaced:?}"
    );
    println!(
        "{} declared, {} exported API names ({} of families not implemented)",
        declared.len(),
        exported.len(),
        exported.iter().filter(|n| outside_tcp_family(n)).count()
    );
}

#[test]
fn header_has_guards() {
    let text = header_text(MAIN);
    assert!(text.contains("#ifndef HPSOCKET4C_HPSOCKET4C_H"));
    assert!(text.contains("#define HPSOCKET4C_HPSOCKET4C_H"));
    assert!(text.contains("extern \"C\" {"));
    assert!(text.contains("#include \"HPTypeDef.h\""));
    // Programs opt into SSL by including the SSL header, which brings in the main one.
    assert!(!text.contains(&format!("#include \"{SSL}\"")));
    let ssl = header_text(SSL);
    assert!(ssl.contains("#ifndef HPSOCKET4C_HPSOCKET4C_SSL_H"));
    assert!(ssl.contains("#define HPSOCKET4C_HPSOCKET4C_SSL_H"));
    assert!(ssl.contains("extern \"C\" {"));
    assert!(ssl.contains(&format!("#include \"{MAIN}\"")));
    let ws = header_text(WS);
    assert!(ws.contains("#ifndef HPSOCKET4C_HPSOCKET4C_WS_H"));
    assert!(ws.contains("#define HPSOCKET4C_HPSOCKET4C_WS_H"));
    assert!(ws.contains("extern \"C\" {"));
    assert!(ws.contains(&format!("#include \"{MAIN}\"")));
    assert!(
        ws.contains("OUR EXTENSION") && ws.contains("not part of HP-Socket"),
        "{WS} must say at the top that it is ours"
    );
    assert!(!text.contains(WS) && !ssl.contains(WS));
    let td = std::fs::read_to_string(root().join("hpsocket4c/include/HPTypeDef.h")).unwrap();
    assert!(td.contains("#ifndef HPSOCKET4C_HPTYPEDEF_H"));
    assert!(td.contains("extern \"C\" {"));
}

/// A C program that takes the address of every declared function (so each must be declared
/// correctly and resolve at link time) and prints the layouts and enum values.
fn probe_source(names: &[String]) -> String {
    let mut s = String::from(
        "#include <stdio.h>\n#include <stddef.h>\n#include \"HPSocket4C-SSL.h\"\n\
         #include \"HPSocket4C-WS.h\"\n\
         typedef void (*any_fn)(void);\n\
         /* The SNI callback type fits the default callback. */\n\
         static const HP_Fn_SNI_ServerNameCallback default_sni = HP_SSL_DefaultServerNameCallback;\n\
         static const any_fn all_functions[] = {\n",
    );
    for n in names {
        s.push_str(&format!("    (any_fn){n},\n"));
    }
    s.push_str(
        "};\n\
         int main(void) {\n\
             size_t i, n = sizeof(all_functions) / sizeof(all_functions[0]);\n\
             for (i = 0; i < n; i++) if (!all_functions[i]) return 1;\n\
             printf(\"sni %d\\n\", default_sni(\"a.example\", NULL));\n\
             printf(\"functions %u\\n\", (unsigned)n);\n\
             printf(\"WSABUF %u %u %u\\n\", (unsigned)sizeof(WSABUF), (unsigned)offsetof(WSABUF, len), (unsigned)offsetof(WSABUF, buf));\n\
             printf(\"TIPAddr %u %u %u\\n\", (unsigned)sizeof(HP_TIPAddr), (unsigned)offsetof(HP_TIPAddr, type), (unsigned)offsetof(HP_TIPAddr, address));\n\
             printf(\"HP_CONNID %u\\n\", (unsigned)sizeof(HP_CONNID));\n\
             printf(\"WCHAR %u\\n\", (unsigned)sizeof(WCHAR));\n\
             printf(\"enums %d %d %d %d %d %d %d %d %d %d\\n\", SS_STOPPED, SO_CLOSE, HR_ERROR, FR_DATA_NOT_FOUND, SP_DIRECT, OSSP_RECEIVE, RAP_ADDR_AND_PORT, SE_CONNECT_SERVER, SE_SSL_ENV_NOT_READY, IPT_IPV6);\n\
             printf(\"ssl %d %d %d %d %d %d %d %d\\n\", SSL_SM_SERVER, SSL_VM_NONE, SSL_VM_PEER, SSL_VM_FAIL_IF_NO_PEER_CERT, SSL_VM_CLIENT_ONCE, SSL_SSI_SERVER_NAME, SSL_SSI_VERIFIED_CHAIN, SSL_SSI_MAX);\n\
             printf(\"sizes %u %u\\n\", (unsigned)sizeof(THR_ID), (unsigned)sizeof(En_HP_SSLSessionInfo));\n\
             printf(\"http %d %d %d %d %d %d %d %d\\n\", HV_1_0, HV_1_1, HUF_USERINFO, HUF_MAX, HPR_ERROR, HPR_UPGRADE, HUT_UNKNOWN, HSC_UNPARSEABLE_RESPONSE_HEADERS);\n\
             printf(\"THeader %u %u %u %u\\n\", (unsigned)sizeof(HP_THeader), (unsigned)offsetof(HP_THeader, name), (unsigned)offsetof(HP_THeader, value), (unsigned)sizeof(HP_TCookie));\n\
             printf(\"tsockettask %u %u %u %u %u %u %u %u %u\\n\", (unsigned)sizeof(HP_TSocketTask), (unsigned)offsetof(TSocketTask, fn), (unsigned)offsetof(TSocketTask, sender), (unsigned)offsetof(TSocketTask, connID), (unsigned)offsetof(TSocketTask, buf), (unsigned)offsetof(TSocketTask, bufLen), (unsigned)offsetof(TSocketTask, bufType), (unsigned)offsetof(TSocketTask, wparam), (unsigned)offsetof(TSocketTask, lparam));\n\
             printf(\"pool %d %d %d %d %d %d %u %u\\n\", TRP_CALL_FAIL, TRP_WAIT_FOR, TRP_CALLER_RUN, TBT_COPY, TBT_REFER, TBT_ATTACH, (unsigned)INFINITE, (unsigned)sizeof(En_HP_RejectedPolicy));\n\
             printf(\"version %u\\n\", (unsigned)HP_GetHPSocketVersion());\n\
             printf(\"desc %s\\n\", HP_GetSocketErrorDesc(SE_ILLEGAL_STATE));\n\
             return 0;\n\
         }\n",
    );
    s
}

#[test]
fn header_compiles_links_and_matches_layouts() {
    let dir = scratch("header");
    cdylib_copy(&dir);
    let names = declared_names();
    let src = dir.join("probe.c");
    std::fs::write(&src, probe_source(&names)).unwrap();
    let exe = dir.join("probe");
    compile_c(&[&src], &exe, &dir, &["-pedantic"]);

    let out = output_within(Command::new(&exe), Duration::from_secs(30));
    assert!(out.status.success(), "probe failed: {}", out.status);
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let get = |key: &str| -> String {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{key} ")))
            .unwrap_or_else(|| panic!("no {key} line in:\n{text}"))
            .to_string()
    };

    assert_eq!(get("functions"), names.len().to_string());
    let wsabuf = format!(
        "{} {} {}",
        std::mem::size_of::<hpsocket4c::ops::WSABUF>(),
        std::mem::offset_of!(hpsocket4c::ops::WSABUF, len),
        std::mem::offset_of!(hpsocket4c::ops::WSABUF, buf),
    );
    assert_eq!(get("WSABUF"), wsabuf);
    assert_eq!(get("WSABUF"), "16 0 8", "length first, then the pointer");
    let tip = format!(
        "{} {} {}",
        std::mem::size_of::<hpsocket4c::sys::TIPAddr>(),
        std::mem::offset_of!(hpsocket4c::sys::TIPAddr, kind),
        std::mem::offset_of!(hpsocket4c::sys::TIPAddr, address),
    );
    assert_eq!(get("TIPAddr"), tip);
    assert_eq!(get("HP_CONNID"), std::mem::size_of::<usize>().to_string());
    assert_eq!(get("WCHAR"), "4");
    assert_eq!(get("enums"), "3 5 2 2 2 2 2 11 101 2");
    assert_eq!(get("ssl"), "1 0 1 2 4 5 15 15");
    assert_eq!(get("http"), "1 257 6 7 -1 2 -1 600");
    let theader = format!(
        "{} {} {} {}",
        std::mem::size_of::<hpsocket4c::http::TNVPair>(),
        std::mem::offset_of!(hpsocket4c::http::TNVPair, name),
        std::mem::offset_of!(hpsocket4c::http::TNVPair, value),
        std::mem::size_of::<hpsocket4c::http::TNVPair>(),
    );
    assert_eq!(get("THeader"), theader);
    assert_eq!(
        get("sni"),
        "0",
        "no server as context: the default certificate"
    );
    // THR_ID is a pthread_t (unsigned long); the enum is passed as the Rust side's c_int.
    assert_eq!(
        get("sizes"),
        format!(
            "{} {}",
            std::mem::size_of::<std::ffi::c_ulong>(),
            std::mem::size_of::<std::ffi::c_int>()
        )
    );
    assert_eq!(
        get("version"),
        hpsocket4c::HP_GetHPSocketVersion().to_string()
    );
    assert_eq!(get("desc"), "Illegal State");
    // The thread pool's socket task, field by field as the Rust side reads it.
    {
        use hpsocket4c::thread_pool::TSocketTask as T;
        use std::mem::{offset_of, size_of};
        let want = format!(
            "{} {} {} {} {} {} {} {} {}",
            size_of::<T>(),
            offset_of!(T, r#fn),
            offset_of!(T, sender),
            offset_of!(T, conn_id),
            offset_of!(T, buf),
            offset_of!(T, buf_len),
            offset_of!(T, buf_type),
            offset_of!(T, wparam),
            offset_of!(T, lparam),
        );
        assert_eq!(get("tsockettask"), want);
        assert_eq!(
            get("tsockettask"),
            "56 0 8 16 24 32 36 40 48",
            "HP-Socket's layout"
        );
    }
    assert_eq!(
        get("pool"),
        format!(
            "0 1 2 0 1 2 {} {}",
            u32::MAX,
            std::mem::size_of::<std::ffi::c_int>()
        )
    );

    // C++ too (the extern "C" guards), when a C++ compiler is there.
    if Command::new("c++").arg("--version").output().is_ok() {
        let cpp = dir.join("probe.cpp");
        std::fs::copy(&src, &cpp).unwrap();
        let mut cmd = Command::new("c++");
        cmd.args(["-Wall", "-Wextra", "-Werror", "-fsyntax-only", "-I"])
            .arg(root().join("hpsocket4c/include"))
            .arg(&cpp);
        let out = output_within(cmd, Duration::from_secs(120));
        assert!(
            out.status.success(),
            "the header does not compile as C++:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn pkg_config_template_resolves() {
    let template = std::fs::read_to_string(root().join("hpsocket4c/hpsocket4c.pc")).unwrap();
    assert!(template.contains("prefix=@PREFIX@"));
    if Command::new("pkg-config")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("NOTICE: pkg-config not installed: only the template's text was checked");
        return;
    }
    let dir = scratch("pkgconfig");
    let prefix = dir.join("usr");
    std::fs::write(
        dir.join("hpsocket4c.pc"),
        template.replace("@PREFIX@", &prefix.display().to_string()),
    )
    .unwrap();
    let mut cmd = Command::new("pkg-config");
    cmd.args(["--cflags", "--libs", "hpsocket4c"])
        .env("PKG_CONFIG_PATH", &dir);
    let out = output_within(cmd, Duration::from_secs(30));
    let flags = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let inc = format!("-I{}/include/hpsocket4c", prefix.display());
    let lib = format!("-L{}/lib", prefix.display());
    for want in [inc.as_str(), lib.as_str(), "-lhpsocket4c"] {
        assert!(
            flags.split_whitespace().any(|f| f == want),
            "{want} not in {flags:?}"
        );
    }
}
