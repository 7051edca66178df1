//! Export coverage: every C API function of the TCP, UDP and HTTP families that the original
//! HP-Socket 5.2.1 library (`libhpsocket4c_amd64_64.so` from the PyPI package `hpsocket` 0.9.3)
//! exports must be exported by ours too, the WebSocket `SendWSMessage` / `GetWSMessageState`
//! included. Left out: `g_CookieMgr` (a C++ object), the `http_*` parser internals and
//! `SYS_CharsetConvert` (see `common::outside_tcp_family`); so are the C++ symbols (names
//! starting with `_`), which are not part of the C API.
//!
//! Needs the original package (fetched by `scripts/fetch-hpsocket.sh`); set
//! `HPSOCKET_SKIP_INTEROP=1` to skip on purpose.
//!
//! Also: every function of HP-Socket 5.8's SSL API for the TCP components (a list written out
//! here, since 5.2.1 has none) is exported, and no other SSL name; HP-Socket 5.8.6's HTTP
//! function list (built here from its header's families) is covered whole; and the WebSocket
//! functions and callback types of our header have 5.8.6's exact C types (its prototypes,
//! redeclared after our header, compile without a conflict).
//!
//! HP-Socket 5.8.6's thread pool (19 functions, 4 callback setters) and the five `SYS_*`
//! memory functions (a list written out here: 5.2.1 has none) are exported, nothing else
//! thread-pool-named, and their prototypes and types are 5.8.6's (redeclared after our
//! header, they compile).
//!
//! HP-Socket 5.8's compressor / decompressor objects (21 functions) and its four Brotli
//! `SYS_*` codecs are exported, and nothing else compressor- or Brotli-named.
//!
//! Our own extension (`HPSocket4C-WS.h`: `HPX_*`, `Create_HPX_*`, `Destroy_HPX_*`) is kept
//! apart: its names are never counted against HP-Socket's lists, none of them is one of
//! HP-Socket's or looks like one (no `HP_` prefix), and the original exports no `HPX` name.
#![cfg(all(target_os = "linux", target_arch = "x86_64"))]

mod common;

use std::collections::BTreeSet;

use common::*;

#[test]
fn ours_exports_every_tcp_udp_and_http_function_of_the_original() {
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

/// HP-Socket 5.8.6's HTTP functions (`HPSocket4C.h` and `HPSocket4C-SSL.h`): 149 functions
/// and 59 callback setters.
fn http_5_8_6() -> Vec<String> {
    let mut v: Vec<String> = Vec::new();
    let mut add = |s: String| v.push(s);
    for c in ["HttpServer", "HttpAgent", "HttpClient", "HttpSyncClient"] {
        add(format!("Create_HP_{c}"));
        add(format!("Destroy_HP_{c}"));
        let https = c.replace("Http", "Https");
        add(format!("Create_HP_{https}"));
        add(format!("Destroy_HP_{https}"));
    }
    for l in ["HttpServer", "HttpAgent", "HttpClient"] {
        add(format!("Create_HP_{l}Listener"));
        add(format!("Destroy_HP_{l}Listener"));
    }
    let parse = [
        "MessageBegin",
        "Header",
        "HeadersComplete",
        "Body",
        "ChunkHeader",
        "ChunkComplete",
        "MessageComplete",
        "Upgrade",
        "ParseError",
        "WSMessageHeader",
        "WSMessageBody",
        "WSMessageComplete",
        "HandShake",
        "Receive",
        "Send",
        "Close",
    ];
    for (r, own) in [
        (
            "HttpServer",
            &["RequestLine", "PrepareListen", "Accept", "Shutdown"][..],
        ),
        (
            "HttpAgent",
            &["StatusLine", "PrepareConnect", "Connect", "Shutdown"][..],
        ),
        (
            "HttpClient",
            &["StatusLine", "PrepareConnect", "Connect"][..],
        ),
    ] {
        for e in parse.iter().chain(own) {
            add(format!("HP_Set_FN_{r}_On{e}"));
        }
    }
    let getters = [
        "SetLocalVersion",
        "GetLocalVersion",
        "IsUpgrade",
        "IsKeepAlive",
        "GetVersion",
        "GetContentLength",
        "GetContentType",
        "GetContentEncoding",
        "GetTransferEncoding",
        "GetUpgradeType",
        "GetParseErrorCode",
        "GetHeader",
        "GetHeaders",
        "GetAllHeaders",
        "GetAllHeaderNames",
        "GetCookie",
        "GetAllCookies",
        "GetWSMessageState",
        "SetHttpAutoStart",
        "IsHttpAutoStart",
        "StartHttp",
        "SendLocalFile",
        "SendChunkData",
        "SendWSMessage",
    ];
    for f in getters.iter().chain(&[
        "SendResponse",
        "Release",
        "SetReleaseDelay",
        "GetReleaseDelay",
        "GetUrlFieldSet",
        "GetUrlField",
        "GetMethod",
        "GetHost",
    ]) {
        add(format!("HP_HttpServer_{f}"));
    }
    for r in ["HttpAgent", "HttpClient"] {
        for f in getters.iter().chain(&[
            "SendRequest",
            "SendPost",
            "SendPut",
            "SendPatch",
            "SendGet",
            "SendDelete",
            "SendHead",
            "SendTrace",
            "SendOptions",
            "SendConnect",
            "GetStatusCode",
            "SetUseCookie",
            "IsUseCookie",
        ]) {
            add(format!("HP_{r}_{f}"));
        }
    }
    for f in [
        "OpenUrl",
        "CleanupRequestResult",
        "SetConnectTimeout",
        "SetRequestTimeout",
        "GetConnectTimeout",
        "GetRequestTimeout",
        "GetResponseBody",
    ] {
        add(format!("HP_HttpSyncClient_{f}"));
    }
    for f in [
        "MGR_LoadFromFile",
        "MGR_SaveToFile",
        "MGR_ClearCookies",
        "MGR_RemoveExpiredCookies",
        "MGR_SetCookie",
        "MGR_DeleteCookie",
        "MGR_SetEnableThirdPartyCookie",
        "MGR_IsEnableThirdPartyCookie",
        "HLP_ParseExpires",
        "HLP_MakeExpiresStr",
        "HLP_ToString",
        "HLP_CurrentUTCTime",
        "HLP_MaxAgeToExpires",
        "HLP_ExpiresToMaxAge",
    ] {
        add(format!("HP_HttpCookie_{f}"));
    }
    v
}

#[test]
fn ours_exports_every_http_function_of_5_8_6() {
    let all = http_5_8_6();
    let unique: BTreeSet<&String> = all.iter().collect();
    assert_eq!(unique.len(), all.len(), "a name is listed twice");
    let setters = all.iter().filter(|n| n.starts_with("HP_Set_FN_")).count();
    assert_eq!((all.len() - setters, setters), (149, 59), "5.8.6's counts");

    let ours = exported_names(&cdylib());
    // Every one is part of a family built here (WebSocket included).
    let outside: Vec<&String> = all.iter().filter(|n| outside_tcp_family(n)).collect();
    assert!(outside.is_empty(), "counted as not built: {outside:?}");
    let missing: Vec<&String> = all.iter().filter(|n| !ours.contains(*n)).collect();
    assert!(
        missing.is_empty(),
        "HTTP functions not exported: {missing:?}"
    );
    // And nothing HTTP-named beyond 5.8.6's list.
    let extra: Vec<&String> = ours
        .iter()
        .filter(|n| is_api_name(n) && n.contains("Http") && !unique.contains(n))
        .collect();
    assert!(extra.is_empty(), "HTTP exports not in 5.8.6: {extra:?}");
    println!(
        "HTTP: {} of 5.8.6's {} functions exported ({} setters)",
        all.len() - missing.len(),
        all.len(),
        setters
    );
}

/// HP-Socket 5.8.6's prototypes of the WebSocket functions and its WebSocket callback types,
/// in its own spelling (`LPCBYTE`, `const BYTE lpszMask[4]`): written after our header, a
/// prototype whose types differ from our declaration is a conflicting redeclaration, and a
/// callback type that differs an incompatible pointer assignment; both fail the strict build.
const WS_5_8_6: &str = r#"
BOOL HP_HttpServer_SendWSMessage(HP_HttpServer pServer, HP_CONNID dwConnID, BOOL bFinal, BYTE iReserved, BYTE iOperationCode, const BYTE* pData, int iLength, ULONGLONG ullBodyLen);
BOOL HP_HttpAgent_SendWSMessage(HP_HttpAgent pAgent, HP_CONNID dwConnID, BOOL bFinal, BYTE iReserved, BYTE iOperationCode, const BYTE lpszMask[4], const BYTE* pData, int iLength, ULONGLONG ullBodyLen);
BOOL HP_HttpClient_SendWSMessage(HP_HttpClient pClient, BOOL bFinal, BYTE iReserved, BYTE iOperationCode, const BYTE lpszMask[4], const BYTE* pData, int iLength, ULONGLONG ullBodyLen);
BOOL HP_HttpServer_GetWSMessageState(HP_HttpServer pServer, HP_CONNID dwConnID, BOOL* lpbFinal, BYTE* lpiReserved, BYTE* lpiOperationCode, LPCBYTE* lpszMask, ULONGLONG* lpullBodyLen, ULONGLONG* lpullBodyRemain);
BOOL HP_HttpAgent_GetWSMessageState(HP_HttpAgent pAgent, HP_CONNID dwConnID, BOOL* lpbFinal, BYTE* lpiReserved, BYTE* lpiOperationCode, LPCBYTE* lpszMask, ULONGLONG* lpullBodyLen, ULONGLONG* lpullBodyRemain);
BOOL HP_HttpClient_GetWSMessageState(HP_HttpClient pClient, BOOL* lpbFinal, BYTE* lpiReserved, BYTE* lpiOperationCode, LPCBYTE* lpszMask, ULONGLONG* lpullBodyLen, ULONGLONG* lpullBodyRemain);
typedef En_HP_HandleResult (*ws_header_5_8_6)(HP_Http pSender, HP_CONNID dwConnID, BOOL bFinal, BYTE iReserved, BYTE iOperationCode, const BYTE lpszMask[4], ULONGLONG ullBodyLen);
typedef En_HP_HandleResult (*ws_body_5_8_6)(HP_Http pSender, HP_CONNID dwConnID, const BYTE* pData, int iLength);
typedef En_HP_HandleResult (*ws_complete_5_8_6)(HP_Http pSender, HP_CONNID dwConnID);
void HP_Set_FN_HttpServer_OnWSMessageHeader(HP_HttpServerListener pListener, ws_header_5_8_6 fn);
void HP_Set_FN_HttpServer_OnWSMessageBody(HP_HttpServerListener pListener, ws_body_5_8_6 fn);
void HP_Set_FN_HttpServer_OnWSMessageComplete(HP_HttpServerListener pListener, ws_complete_5_8_6 fn);
void HP_Set_FN_HttpAgent_OnWSMessageHeader(HP_HttpAgentListener pListener, ws_header_5_8_6 fn);
void HP_Set_FN_HttpAgent_OnWSMessageBody(HP_HttpAgentListener pListener, ws_body_5_8_6 fn);
void HP_Set_FN_HttpAgent_OnWSMessageComplete(HP_HttpAgentListener pListener, ws_complete_5_8_6 fn);
void HP_Set_FN_HttpClient_OnWSMessageHeader(HP_HttpClientListener pListener, ws_header_5_8_6 fn);
void HP_Set_FN_HttpClient_OnWSMessageBody(HP_HttpClientListener pListener, ws_body_5_8_6 fn);
void HP_Set_FN_HttpClient_OnWSMessageComplete(HP_HttpClientListener pListener, ws_complete_5_8_6 fn);
int main(void)
{
    ws_header_5_8_6 h = (HP_FN_HttpServer_OnWSMessageHeader)0;
    ws_body_5_8_6 b = (HP_FN_HttpAgent_OnWSMessageBody)0;
    ws_complete_5_8_6 c = (HP_FN_HttpClient_OnWSMessageComplete)0;
    void (*any)(void) = (void (*)(void))HP_HttpServer_SendWSMessage;
    return (h != 0) + (b != 0) + (c != 0) + (any == 0);
}
"#;

#[test]
fn websocket_prototypes_are_5_8_6s() {
    let dir = scratch("ws-prototypes");
    cdylib_copy(&dir);
    let src = dir.join("ws_prototypes.c");
    std::fs::write(&src, format!("#include \"HPSocket4C.h\"\n{WS_5_8_6}")).unwrap();
    // Linked too: the six functions resolve in the library.
    compile_c(&[&src], &dir.join("ws_prototypes"), &dir, &["-pedantic"]);
    // The check bites: 5.2's server form (a mask before pData) conflicts with ours.
    let bad = dir.join("ws_5_2.c");
    std::fs::write(
        &bad,
        "#include \"HPSocket4C.h\"\n\
         BOOL HP_HttpServer_SendWSMessage(HP_HttpServer pServer, HP_CONNID dwConnID, BOOL bFinal, \
         BYTE iReserved, BYTE iOperationCode, const BYTE lpszMask[4], BYTE* pData, int iLength, \
         ULONGLONG ullBodyLen);\nint main(void) { return 0; }\n",
    )
    .unwrap();
    let r = std::panic::catch_unwind(|| compile_c(&[&bad], &dir.join("ws_5_2"), &dir, &[]));
    assert!(r.is_err(), "5.2's SendWSMessage prototype was accepted");
}

/// HP-Socket 5.8.6's thread pool family (`HPSocket4C.h`'s thread pool exports): 19 functions
/// and the 4 callback setters of its listener.
const THREAD_POOL_5_8_6: &[&str] = &[
    "Create_HP_ThreadPoolListener",
    "Destroy_HP_ThreadPoolListener",
    "Create_HP_ThreadPool",
    "Destroy_HP_ThreadPool",
    "Create_HP_SocketTaskObj",
    "Destroy_HP_SocketTaskObj",
    "HP_ThreadPool_Start",
    "HP_ThreadPool_Stop",
    "HP_ThreadPool_Submit",
    "HP_ThreadPool_Submit_Task",
    "HP_ThreadPool_AdjustThreadCount",
    "HP_ThreadPool_Wait",
    "HP_ThreadPool_HasStarted",
    "HP_ThreadPool_GetState",
    "HP_ThreadPool_GetQueueSize",
    "HP_ThreadPool_GetTaskCount",
    "HP_ThreadPool_GetThreadCount",
    "HP_ThreadPool_GetMaxQueueSize",
    "HP_ThreadPool_GetRejectedPolicy",
    "HP_Set_FN_ThreadPool_OnStartup",
    "HP_Set_FN_ThreadPool_OnShutdown",
    "HP_Set_FN_ThreadPool_OnWorkerThreadStart",
    "HP_Set_FN_ThreadPool_OnWorkerThreadEnd",
];

/// HP-Socket 5.8.6's memory functions (its global functions), which socket tasks rely on.
const SYS_MEMORY_5_8_6: &[&str] = &[
    "SYS_Malloc",
    "SYS_Realloc",
    "SYS_Free",
    "SYS_Calloc",
    "SYS_Alloca",
];

#[test]
fn ours_exports_the_thread_pool_of_5_8_6() {
    let unique: BTreeSet<&&str> = THREAD_POOL_5_8_6.iter().chain(SYS_MEMORY_5_8_6).collect();
    assert_eq!(
        unique.len(),
        THREAD_POOL_5_8_6.len() + SYS_MEMORY_5_8_6.len(),
        "a name is listed twice"
    );
    let setters = THREAD_POOL_5_8_6
        .iter()
        .filter(|n| n.starts_with("HP_Set_FN_"))
        .count();
    assert_eq!(
        (
            THREAD_POOL_5_8_6.len() - setters,
            setters,
            SYS_MEMORY_5_8_6.len()
        ),
        (19, 4, 5),
        "5.8.6's counts"
    );
    let ours = exported_names(&cdylib());
    let missing: Vec<&&&str> = unique.iter().filter(|n| !ours.contains(***n)).collect();
    assert!(missing.is_empty(), "not exported: {missing:?}");
    assert!(unique.iter().all(|n| !outside_tcp_family(n)));
    // Nothing thread-pool-named beyond 5.8.6's list.
    let extra: Vec<&String> = ours
        .iter()
        .filter(|n| {
            is_api_name(n)
                && (n.contains("ThreadPool") || n.contains("SocketTask"))
                && !THREAD_POOL_5_8_6.contains(&n.as_str())
        })
        .collect();
    assert!(
        extra.is_empty(),
        "thread pool exports not in 5.8.6: {extra:?}"
    );
    println!(
        "thread pool: {} of 5.8.6's {} functions exported ({setters} setters); memory: {} of {}",
        THREAD_POOL_5_8_6.len(),
        THREAD_POOL_5_8_6.len(),
        SYS_MEMORY_5_8_6.len(),
        SYS_MEMORY_5_8_6.len()
    );
}

/// HP-Socket 5.8's compressor / decompressor objects (21 functions, as we read its 4C API:
/// the stored sources let us confirm the C++ objects and their semantics, not every 4C name)
/// and its Brotli one-shot codecs (4, confirmed in its `HPSocket4C.h`).
const COMPRESSOR_5_8_6: &[&str] = &[
    "Create_HP_ZLibCompressor",
    "Create_HP_ZLibCompressorEx",
    "Create_HP_GZipCompressor",
    "Create_HP_GZipCompressorEx",
    "Create_HP_ZLibDecompressor",
    "Create_HP_ZLibDecompressorEx",
    "Create_HP_GZipDecompressor",
    "Create_HP_GZipDecompressorEx",
    "Create_HP_BrotliCompressor",
    "Create_HP_BrotliCompressorEx",
    "Create_HP_BrotliDecompressor",
    "Create_HP_BrotliDecompressorEx",
    "Destroy_HP_Compressor",
    "Destroy_HP_Decompressor",
    "HP_Compressor_Process",
    "HP_Compressor_ProcessEx",
    "HP_Compressor_Reset",
    "HP_Compressor_IsValid",
    "HP_Decompressor_Process",
    "HP_Decompressor_Reset",
    "HP_Decompressor_IsValid",
];
const SYS_BROTLI_5_8_6: &[&str] = &[
    "SYS_BrotliCompress",
    "SYS_BrotliCompressEx",
    "SYS_BrotliUncompress",
    "SYS_BrotliGuessCompressBound",
];

#[test]
fn ours_exports_the_compressors_and_brotli_of_5_8_6() {
    let unique: BTreeSet<&&str> = COMPRESSOR_5_8_6.iter().chain(SYS_BROTLI_5_8_6).collect();
    assert_eq!(
        unique.len(),
        COMPRESSOR_5_8_6.len() + SYS_BROTLI_5_8_6.len(),
        "a name is listed twice"
    );
    let ours = exported_names(&cdylib());
    let missing: Vec<&&&str> = unique.iter().filter(|n| !ours.contains(***n)).collect();
    assert!(missing.is_empty(), "not exported: {missing:?}");
    // Nothing compressor- or Brotli-named beyond the list.
    let extra: Vec<&String> = ours
        .iter()
        .filter(|n| {
            is_api_name(n)
                && (n.contains("ompressor") || n.contains("Brotli"))
                && !unique.contains(&n.as_str())
        })
        .collect();
    assert!(extra.is_empty(), "not in the list: {extra:?}");
    println!(
        "compressors: {} functions; Brotli: {}",
        COMPRESSOR_5_8_6.len(),
        SYS_BROTLI_5_8_6.len()
    );
}

/// HP-Socket 5.8.6's prototypes of the thread pool and memory functions, its callback types and
/// its `TSocketTask` fields, in its own spelling (`HP_LPTSocketTask`, `LPCBYTE`, `INT`,
/// `WPARAM`, `LPARAM`, `VOID`, `LPBYTE`): written after our header, a prototype whose types
/// differ from our declaration is a conflicting redeclaration and fails the build.
const THREAD_POOL_PROTOTYPES_5_8_6: &str = r#"
typedef void (*tp_event_5_8_6)(HP_ThreadPool pThreadPool);
typedef void (*tp_thread_event_5_8_6)(HP_ThreadPool pThreadPool, THR_ID dwThreadID);
typedef VOID (*task_5_8_6)(PVOID pvArg);
typedef VOID (*socket_task_5_8_6)(TSocketTask* pTask);
HP_ThreadPoolListener Create_HP_ThreadPoolListener();
void Destroy_HP_ThreadPoolListener(HP_ThreadPoolListener pListener);
HP_ThreadPool Create_HP_ThreadPool(HP_ThreadPoolListener pListener);
void Destroy_HP_ThreadPool(HP_ThreadPool pThreadPool);
HP_LPTSocketTask Create_HP_SocketTaskObj(Fn_SocketTaskProc fnTaskProc, PVOID pSender, HP_CONNID dwConnID, LPCBYTE pBuffer, INT iBuffLen, En_HP_TaskBufferType enBuffType, WPARAM wParam, LPARAM lParam);
void Destroy_HP_SocketTaskObj(HP_LPTSocketTask pTask);
BOOL HP_ThreadPool_Start(HP_ThreadPool pThreadPool, DWORD dwThreadCount, DWORD dwMaxQueueSize, En_HP_RejectedPolicy enRejectedPolicy, DWORD dwStackSize);
BOOL HP_ThreadPool_Stop(HP_ThreadPool pThreadPool, DWORD dwMaxWait);
BOOL HP_ThreadPool_Submit(HP_ThreadPool pThreadPool, HP_Fn_TaskProc fnTaskProc, PVOID pvArg, DWORD dwMaxWait);
BOOL HP_ThreadPool_Submit_Task(HP_ThreadPool pThreadPool, HP_LPTSocketTask pTask, DWORD dwMaxWait);
BOOL HP_ThreadPool_AdjustThreadCount(HP_ThreadPool pThreadPool, DWORD dwNewThreadCount);
BOOL HP_ThreadPool_Wait(HP_ThreadPool pThreadPool, DWORD dwMilliseconds);
BOOL HP_ThreadPool_HasStarted(HP_ThreadPool pThreadPool);
En_HP_ServiceState HP_ThreadPool_GetState(HP_ThreadPool pThreadPool);
DWORD HP_ThreadPool_GetQueueSize(HP_ThreadPool pThreadPool);
DWORD HP_ThreadPool_GetTaskCount(HP_ThreadPool pThreadPool);
DWORD HP_ThreadPool_GetThreadCount(HP_ThreadPool pThreadPool);
DWORD HP_ThreadPool_GetMaxQueueSize(HP_ThreadPool pThreadPool);
En_HP_RejectedPolicy HP_ThreadPool_GetRejectedPolicy(HP_ThreadPool pThreadPool);
void HP_Set_FN_ThreadPool_OnStartup(HP_ThreadPoolListener pListener, tp_event_5_8_6 fn);
void HP_Set_FN_ThreadPool_OnShutdown(HP_ThreadPoolListener pListener, tp_event_5_8_6 fn);
void HP_Set_FN_ThreadPool_OnWorkerThreadStart(HP_ThreadPoolListener pListener, tp_thread_event_5_8_6 fn);
void HP_Set_FN_ThreadPool_OnWorkerThreadEnd(HP_ThreadPoolListener pListener, tp_thread_event_5_8_6 fn);
LPBYTE SYS_Malloc(int size);
LPBYTE SYS_Realloc(LPBYTE p, int size);
VOID SYS_Free(LPBYTE p);
LPVOID SYS_Calloc(int number, int size);
LPBYTE SYS_Alloca(int size);
static VOID my_task(TSocketTask* t)
{
    /* The fields by 5.8.6's names and types. */
    Fn_SocketTaskProc f = t->fn;
    PVOID s = t->sender;
    CONNID id = t->connID;
    LPCBYTE b = t->buf;
    INT n = t->bufLen;
    En_HP_TaskBufferType k = t->bufType;
    WPARAM w = t->wparam;
    LPARAM l = t->lparam;
    (void)f; (void)s; (void)id; (void)b; (void)n; (void)k; (void)w; (void)l;
}
int main(void)
{
    tp_event_5_8_6 a = (HP_FN_ThreadPool_OnStartup)0;
    tp_event_5_8_6 b = (HP_FN_ThreadPool_OnShutdown)0;
    tp_thread_event_5_8_6 c = (HP_FN_ThreadPool_OnWorkerThreadStart)0;
    tp_thread_event_5_8_6 d = (HP_FN_ThreadPool_OnWorkerThreadEnd)0;
    task_5_8_6 e = (HP_Fn_TaskProc)0;
    socket_task_5_8_6 f = my_task;
    HP_Fn_SocketTaskProc g = f;
    En_HP_RejectedPolicy p = TRP_CALLER_RUN;
    En_HP_TaskBufferType t = TBT_ATTACH;
    return (a != 0) + (b != 0) + (c != 0) + (d != 0) + (e != 0) + (g == 0) + (p != 2) + (t != 2);
}
"#;

#[test]
fn thread_pool_prototypes_are_5_8_6s() {
    let dir = scratch("thread-pool-prototypes");
    cdylib_copy(&dir);
    let src = dir.join("tp_prototypes.c");
    std::fs::write(
        &src,
        format!("#include \"HPSocket4C.h\"\n{THREAD_POOL_PROTOTYPES_5_8_6}"),
    )
    .unwrap();
    // Linked too: every function resolves in the library.
    compile_c(&[&src], &dir.join("tp_prototypes"), &dir, &["-pedantic"]);
    // The check bites: a wrong parameter type conflicts with ours.
    let bad = dir.join("tp_bad.c");
    std::fs::write(
        &bad,
        "#include \"HPSocket4C.h\"\n\
         BOOL HP_ThreadPool_Stop(HP_ThreadPool pThreadPool, int dwMaxWait);\n\
         int main(void) { return 0; }\n",
    )
    .unwrap();
    let r = std::panic::catch_unwind(|| compile_c(&[&bad], &dir.join("tp_bad"), &dir, &[]));
    assert!(r.is_err(), "a conflicting Stop prototype was accepted");
}

/// Our WebSocket extension is ours: every export naming `HPX` has one of the extension's
/// prefixes, none is in HP-Socket's lists (5.8's SSL functions, 5.8.6's HTTP functions) or
/// passes for one of HP-Socket's C API names, and the original library has no `HPX` name.
#[test]
fn our_extension_is_apart_from_hp_socket() {
    let ours = exported_names(&cdylib());
    let ext: Vec<&String> = ours.iter().filter(|n| n.contains("HPX")).collect();
    assert!(ext.len() >= 80, "only {} HPX exports", ext.len());
    let odd: Vec<&&String> = ext.iter().filter(|n| !is_ours_name(n)).collect();
    assert!(odd.is_empty(), "HPX names without our prefixes: {odd:?}");
    let http = http_5_8_6();
    let clash: Vec<&&String> = ext
        .iter()
        .filter(|n| SSL_5_8.contains(&n.as_str()) || http.contains(n) || n.starts_with("HP_"))
        .collect();
    assert!(clash.is_empty(), "counted as HP-Socket's: {clash:?}");
    // `Create_HPX_*` / `Destroy_HPX_*` look like API names by prefix; they are still ours.
    assert!(ext
        .iter()
        .filter(|n| is_api_name(n))
        .all(|n| n.starts_with("Create_HPX_") || n.starts_with("Destroy_HPX_")));
    println!("{} functions of our extension exported", ext.len());
    let Some(pkg) = original_package() else {
        return;
    };
    let original = exported_names(&pkg.join("libhpsocket4c_amd64_64.so"));
    let theirs: Vec<&String> = original
        .iter()
        .filter(|n| n.to_ascii_uppercase().contains("HPX"))
        .collect();
    assert!(theirs.is_empty(), "the original uses HPX: {theirs:?}");
}
