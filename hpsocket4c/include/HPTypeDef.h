/*
 * HPTypeDef.h: types, enumerations and callback types of the HP-Socket "4C" C API, as
 * implemented by libhpsocket4c (the Rust hpsocket4c crate).
 *
 * Written for this project from the API's published facts (names, numeric values, signatures);
 * the values are HP-Socket 5.x's, so code written for HP-Socket compiles against this header.
 * Linux only: LPCTSTR / TCHAR are narrow (UTF-8) strings and WCHAR is wchar_t (4 bytes).
 */
#ifndef HPSOCKET4C_HPTYPEDEF_H
#define HPSOCKET4C_HPTYPEDEF_H

#include <stddef.h>
#include <stdint.h>
#include <wchar.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Calling convention and export marker (plain C ABI on Linux) ---- */

#ifndef __HP_CALL
#define __HP_CALL
#endif

#ifndef HPSOCKET_API
#define HPSOCKET_API extern
#endif

/* ---- Basic types (Windows-style names, as the API uses them; define
 *      HPSOCKET4C_NO_BASIC_TYPES to skip them when another header already provides them) ---- */

#ifndef HPSOCKET4C_NO_BASIC_TYPES
typedef int BOOL;
#ifndef TRUE
#define TRUE 1
#endif
#ifndef FALSE
#define FALSE 0
#endif
typedef void VOID;
typedef uint8_t BYTE;
typedef BYTE* LPBYTE;
typedef const BYTE* LPCBYTE;
typedef unsigned short USHORT;
typedef unsigned int UINT;
typedef int INT;
typedef uint32_t DWORD;
typedef unsigned long ULONG;
typedef unsigned long long ULONGLONG;
typedef uintptr_t UINT_PTR;
typedef uintptr_t ULONG_PTR;
typedef void* PVOID;
typedef void* LPVOID;
typedef char CHAR;
typedef char TCHAR;
typedef wchar_t WCHAR;
typedef const char* LPCSTR;
typedef const char* LPCTSTR;
typedef char* LPSTR;
typedef char* LPTSTR;
typedef int SOCKET;
typedef int FD;
typedef ULONG THR_ID; /* a pthread_t on Linux */
typedef unsigned long WPARAM;
typedef long LPARAM;
#endif

/* "No limit" for the DWORD timeouts (HP_ThreadPool_Stop, HP_Server_Wait, ...). */
#ifndef INFINITE
#define INFINITE ((DWORD)-1)
#endif

/* A connection ID: pointer-sized and unsigned; 0 is never a valid ID. */
typedef ULONG_PTR HP_CONNID;
typedef HP_CONNID CONNID;

/* Scatter buffer for the SendPackets functions. The length comes first. */
typedef struct _WSABUF {
    UINT len;
    BYTE* buf;
} WSABUF, *LPWSABUF;

/* ---- Objects: opaque handles ---- */

typedef PVOID HP_Object;

typedef HP_Object HP_Server;
typedef HP_Object HP_Agent;
typedef HP_Object HP_Client;
typedef HP_Object HP_TcpServer;
typedef HP_Object HP_TcpAgent;
typedef HP_Object HP_TcpClient;
typedef HP_Object HP_TcpPullServer;
typedef HP_Object HP_TcpPullAgent;
typedef HP_Object HP_TcpPullClient;
typedef HP_Object HP_TcpPackServer;
typedef HP_Object HP_TcpPackAgent;
typedef HP_Object HP_TcpPackClient;

/* SSL components (declared in HPSocket4C-SSL.h); they take the TCP listeners. */
typedef HP_Object HP_SSLServer;
typedef HP_Object HP_SSLAgent;
typedef HP_Object HP_SSLClient;
typedef HP_Object HP_SSLPullServer;
typedef HP_Object HP_SSLPullAgent;
typedef HP_Object HP_SSLPullClient;
typedef HP_Object HP_SSLPackServer;
typedef HP_Object HP_SSLPackAgent;
typedef HP_Object HP_SSLPackClient;

typedef HP_Object HP_Listener;
typedef HP_Object HP_ServerListener;
typedef HP_Object HP_AgentListener;
typedef HP_Object HP_ClientListener;
typedef HP_Object HP_TcpServerListener;
typedef HP_Object HP_TcpAgentListener;
typedef HP_Object HP_TcpClientListener;
typedef HP_Object HP_TcpPullServerListener;
typedef HP_Object HP_TcpPullAgentListener;
typedef HP_Object HP_TcpPullClientListener;
typedef HP_Object HP_TcpPackServerListener;
typedef HP_Object HP_TcpPackAgentListener;
typedef HP_Object HP_TcpPackClientListener;
typedef HP_Object HP_UdpServer;
typedef HP_Object HP_UdpClient;
typedef HP_Object HP_UdpCast;
typedef HP_Object HP_UdpServerListener;
typedef HP_Object HP_UdpClientListener;
typedef HP_Object HP_UdpCastListener;
typedef HP_Object HP_Http;
typedef HP_Object HP_HttpServer;
typedef HP_Object HP_HttpAgent;
typedef HP_Object HP_HttpClient;
typedef HP_Object HP_HttpSyncClient;
typedef HP_Object HP_HttpsServer;
typedef HP_Object HP_HttpsAgent;
typedef HP_Object HP_HttpsClient;
typedef HP_Object HP_HttpsSyncClient;
typedef HP_Object HP_HttpServerListener;
typedef HP_Object HP_HttpAgentListener;
typedef HP_Object HP_HttpClientListener;
typedef HP_Object HP_ThreadPool;
typedef HP_Object HP_ThreadPoolListener;

/* ---- Enumerations (HP-Socket's numeric values) ---- */

/* State of a component. */
typedef enum En_HP_ServiceState {
    SS_STARTING = 0,
    SS_STARTED = 1,
    SS_STOPPING = 2,
    SS_STOPPED = 3
} En_HP_ServiceState;

/* Operation during which a connection closed (OnClose). */
typedef enum En_HP_SocketOperation {
    SO_UNKNOWN = 0,
    SO_ACCEPT = 1,
    SO_CONNECT = 2,
    SO_SEND = 3,
    SO_RECEIVE = 4,
    SO_CLOSE = 5
} En_HP_SocketOperation;

/* What a callback returns. */
typedef enum En_HP_HandleResult {
    HR_OK = 0,
    HR_IGNORE = 1,
    HR_ERROR = 2
} En_HP_HandleResult;

/* Result of the PULL Fetch / Peek functions. */
typedef enum En_HP_FetchResult {
    FR_OK = 0,
    FR_LENGTH_TOO_LONG = 1,
    FR_DATA_NOT_FOUND = 2
} En_HP_FetchResult;

/* Send policy (accepted for compatibility; no effect on Linux). */
typedef enum En_HP_SendPolicy {
    SP_PACK = 0,
    SP_SAFE = 1,
    SP_DIRECT = 2
} En_HP_SendPolicy;

/* OnSend synchronisation policy (accepted for compatibility; no effect on Linux). */
typedef enum En_HP_OnSendSyncPolicy {
    OSSP_NONE = 0,
    OSSP_CLOSE = 1,
    OSSP_RECEIVE = 2
} En_HP_OnSendSyncPolicy;

/* Address reuse of the sockets a component binds. */
typedef enum En_HP_ReuseAddressPolicy {
    RAP_NONE = 0,
    RAP_ADDR_ONLY = 1,
    RAP_ADDR_AND_PORT = 2
} En_HP_ReuseAddressPolicy;

/* Component error codes (GetLastError); descriptions via HP_GetSocketErrorDesc. */
typedef enum En_HP_SocketError {
    SE_OK = 0,
    SE_ILLEGAL_STATE = 1,
    SE_INVALID_PARAM = 2,
    SE_SOCKET_CREATE = 3,
    SE_SOCKET_BIND = 4,
    SE_SOCKET_PREPARE = 5,
    SE_SOCKET_LISTEN = 6,
    SE_CP_CREATE = 7,
    SE_WORKER_THREAD_CREATE = 8,
    SE_DETECT_THREAD_CREATE = 9,
    SE_SOCKE_ATTACH_TO_CP = 10, /* sic: the API's spelling */
    SE_CONNECT_SERVER = 11,
    SE_NETWORK = 12,
    SE_DATA_PROC = 13,
    SE_DATA_SEND = 14,
    SE_SSL_ENV_NOT_READY = 101
} En_HP_SocketError;

/* UDP cast mode (UDP family: not available in this library yet). */
typedef enum En_HP_CastMode {
    CM_UNICAST = -1,
    CM_MULTICAST = 0,
    CM_BROADCAST = 1
} En_HP_CastMode;

/* IP address family filter / kind. */
typedef enum En_HP_IPAddrType {
    IPT_ALL = 0,
    IPT_IPV4 = 1,
    IPT_IPV6 = 2
} En_HP_IPAddrType;

/* Which end of a TLS session a context is for. */
typedef enum En_HP_SSLSessionMode {
    SSL_SM_CLIENT = 0,
    SSL_SM_SERVER = 1
} En_HP_SSLSessionMode;

/* Peer verification, bit flags with OpenSSL's meaning. FAIL_IF_NO_PEER_CERT and CLIENT_ONCE
 * only matter together with PEER; PEER on a server needs a CA to check clients against. */
typedef enum En_HP_SSLVerifyMode {
    SSL_VM_NONE = 0x00,
    SSL_VM_PEER = 0x01,
    SSL_VM_FAIL_IF_NO_PEER_CERT = 0x02,
    SSL_VM_CLIENT_ONCE = 0x04
} En_HP_SSLVerifyMode;

/* What GetSSLSessionInfo is asked for. The original returns OpenSSL objects for these; this
 * library has none (it is built on rustls), so GetSSLSessionInfo always fails here. */
typedef enum En_HP_SSLSessionInfo {
    SSL_SSI_MIN = 0,
    SSL_SSI_CTX = 0,
    SSL_SSI_CTX_METHOD = 1,
    SSL_SSI_CTX_CIPHERS = 2,
    SSL_SSI_CTX_CERT_STORE = 3,
    SSL_SSI_SERVER_NAME_TYPE = 4,
    SSL_SSI_SERVER_NAME = 5,
    SSL_SSI_VERSION = 6,
    SSL_SSI_METHOD = 7,
    SSL_SSI_CERT = 8,
    SSL_SSI_PKEY = 9,
    SSL_SSI_CURRENT_CIPHER = 10,
    SSL_SSI_CIPHERS = 11,
    SSL_SSI_CLIENT_CIPHERS = 12,
    SSL_SSI_PEER_CERT = 13,
    SSL_SSI_PEER_CERT_CHAIN = 14,
    SSL_SSI_VERIFIED_CHAIN = 15,
    SSL_SSI_MAX = 15
} En_HP_SSLSessionInfo;

/* One address of SYS_EnumHostIPAddresses. */
typedef struct HP_TIPAddr {
    En_HP_IPAddrType type;
    LPCTSTR address;
} HP_TIPAddr, *HP_LPTIPAddr;

/* ---- Thread pool types (HP-Socket 5.8.6's names and values) ---- */

/* What HP_ThreadPool_Submit / _Submit_Task do when the pool's queue is full. */
typedef enum EnRejectedPolicy {
    TRP_CALL_FAIL = 0,  /* fail at once (errno EXFULL) */
    TRP_WAIT_FOR = 1,   /* wait for room, up to dwMaxWait (then errno ETIMEDOUT) */
    TRP_CALLER_RUN = 2  /* run the task on the submitting thread */
} En_HP_RejectedPolicy;

/* How a socket task holds its buffer: TBT_COPY a malloc'ed copy it frees; TBT_REFER the
 * caller's bytes, not freed; TBT_ATTACH the caller's allocation, freed with free() with the
 * task (so it must come from SYS_Malloc / SYS_Calloc). */
typedef enum EnTaskBufferType {
    TBT_COPY = 0,
    TBT_REFER = 1,
    TBT_ATTACH = 2
} En_HP_TaskBufferType;

/* A task of HP_ThreadPool_Submit. */
typedef VOID (__HP_CALL *Fn_TaskProc)(PVOID pvArg);
typedef Fn_TaskProc HP_Fn_TaskProc;

/* HP-Socket 5.8: the output callback of the compressor / decompressor objects: one piece of
 * output (at most the object's buffer size), its length and the pContext of the Process call;
 * FALSE stops the call. */
typedef BOOL (__HP_CALL *Fn_DataCallback)(const BYTE* pData, int iLength, PVOID pContext);
typedef Fn_DataCallback Fn_CompressDataCallback;
typedef Fn_DataCallback Fn_DecompressDataCallback;
typedef Fn_DataCallback HP_Fn_DataCallback;
typedef Fn_DataCallback HP_Fn_CompressDataCallback;
typedef Fn_DataCallback HP_Fn_DecompressDataCallback;

struct TSocketTask;

/* The procedure of a socket task; the pool frees the task when it returns. */
typedef VOID (__HP_CALL *Fn_SocketTaskProc)(struct TSocketTask* pTask);
typedef Fn_SocketTaskProc HP_Fn_SocketTaskProc;

/* A socket task (Create_HP_SocketTaskObj): a connection's bytes for a pool to work on. */
typedef struct TSocketTask {
    HP_Fn_SocketTaskProc fn;        /* the procedure */
    PVOID sender;                   /* the object that made the task */
    HP_CONNID connID;               /* the connection */
    LPCBYTE buf;                    /* the bytes */
    INT bufLen;                     /* their length */
    En_HP_TaskBufferType bufType;   /* how the task holds them */
    WPARAM wparam;                  /* user values */
    LPARAM lparam;
} TSocketTask, *LPTSocketTask, HP_TSocketTask, *HP_LPTSocketTask;

/* ---- HTTP types (HP-Socket's names and values) ---- */

/* HTTP version: low byte major, high byte minor. */
typedef enum En_HP_HttpVersion {
    HV_1_0 = 0x0001,
    HV_1_1 = 0x0101
} En_HP_HttpVersion;

/* The fields of a request URL (GetUrlField; GetUrlFieldSet has bit 1 << field for each). */
typedef enum En_HP_HttpUrlField {
    HUF_SCHEMA = 0,
    HUF_HOST = 1,
    HUF_PORT = 2,
    HUF_PATH = 3,
    HUF_QUERY = 4,
    HUF_FRAGMENT = 5,
    HUF_USERINFO = 6,
    HUF_MAX = 7
} En_HP_HttpUrlField;

/* What an HTTP parse callback returns. HPR_SKIP_BODY and HPR_UPGRADE only from
 * OnHeadersComplete; HPR_ERROR closes the connection. */
typedef enum En_HP_HttpParseResult {
    HPR_OK = 0,
    HPR_SKIP_BODY = 1,
    HPR_UPGRADE = 2,
    HPR_ERROR = -1
} En_HP_HttpParseResult;

/* The protocol a connection switches to. */
typedef enum En_HP_HttpUpgradeType {
    HUT_NONE = 0,
    HUT_WEB_SOCKET = 1,
    HUT_HTTP_TUNNEL = 2,
    HUT_UNKNOWN = -1
} En_HP_HttpUpgradeType;

/* Standard status codes. */
typedef enum En_HP_HttpStatusCode {
    HSC_CONTINUE = 100,
    HSC_SWITCHING_PROTOCOLS = 101,
    HSC_PROCESSING = 102,
    HSC_OK = 200,
    HSC_CREATED = 201,
    HSC_ACCEPTED = 202,
    HSC_NON_AUTHORITATIVE_INFORMATION = 203,
    HSC_NO_CONTENT = 204,
    HSC_RESET_CONTENT = 205,
    HSC_PARTIAL_CONTENT = 206,
    HSC_MULTI_STATUS = 207,
    HSC_ALREADY_REPORTED = 208,
    HSC_IM_USED = 226,
    HSC_MULTIPLE_CHOICES = 300,
    HSC_MOVED_PERMANENTLY = 301,
    HSC_MOVED_TEMPORARILY = 302,
    HSC_SEE_OTHER = 303,
    HSC_NOT_MODIFIED = 304,
    HSC_USE_PROXY = 305,
    HSC_SWITCH_PROXY = 306,
    HSC_TEMPORARY_REDIRECT = 307,
    HSC_PERMANENT_REDIRECT = 308,
    HSC_BAD_REQUEST = 400,
    HSC_UNAUTHORIZED = 401,
    HSC_PAYMENT_REQUIRED = 402,
    HSC_FORBIDDEN = 403,
    HSC_NOT_FOUND = 404,
    HSC_METHOD_NOT_ALLOWED = 405,
    HSC_NOT_ACCEPTABLE = 406,
    HSC_PROXY_AUTHENTICATION_REQUIRED = 407,
    HSC_REQUEST_TIMEOUT = 408,
    HSC_CONFLICT = 409,
    HSC_GONE = 410,
    HSC_LENGTH_REQUIRED = 411,
    HSC_PRECONDITION_FAILED = 412,
    HSC_REQUEST_ENTITY_TOO_LARGE = 413,
    HSC_REQUEST_URI_TOO_LONG = 414,
    HSC_UNSUPPORTED_MEDIA_TYPE = 415,
    HSC_REQUESTED_RANGE_NOT_SATISFIABLE = 416,
    HSC_EXPECTATION_FAILED = 417,
    HSC_MISDIRECTED_REQUEST = 421,
    HSC_UNPROCESSABLE_ENTITY = 422,
    HSC_LOCKED = 423,
    HSC_FAILED_DEPENDENCY = 424,
    HSC_UNORDERED_COLLECTION = 425,
    HSC_UPGRADE_REQUIRED = 426,
    HSC_PRECONDITION_REQUIRED = 428,
    HSC_TOO_MANY_REQUESTS = 429,
    HSC_REQUEST_HEADER_FIELDS_TOO_LARGE = 431,
    HSC_UNAVAILABLE_FOR_LEGAL_REASONS = 451,
    HSC_RETRY_WITH = 449,
    HSC_INTERNAL_SERVER_ERROR = 500,
    HSC_NOT_IMPLEMENTED = 501,
    HSC_BAD_GATEWAY = 502,
    HSC_SERVICE_UNAVAILABLE = 503,
    HSC_GATEWAY_TIMEOUT = 504,
    HSC_HTTP_VERSION_NOT_SUPPORTED = 505,
    HSC_VARIANT_ALSO_NEGOTIATES = 506,
    HSC_INSUFFICIENT_STORAGE = 507,
    HSC_LOOP_DETECTED = 508,
    HSC_BANDWIDTH_LIMIT_EXCEEDED = 509,
    HSC_NOT_EXTENDED = 510,
    HSC_NETWORK_AUTHENTICATION_REQUIRED = 511,
    HSC_UNPARSEABLE_RESPONSE_HEADERS = 600
} En_HP_HttpStatusCode;

/* HP-Socket's __time64_t (seconds since the Unix epoch), under a name of its own: glibc
 * reserves __time64_t for itself. */
typedef int64_t HP_Time64;

/* Cookie SameSite values of HP_HttpCookie_MGR_SetCookie / HP_HttpCookie_HLP_ToString
 * (HP-Socket's CCookie::EnSameSite). */
typedef enum En_HP_CookieSameSite {
    HP_COOKIE_SS_NONE = 0,
    HP_COOKIE_SS_STRICT = 1,
    HP_COOKIE_SS_LAX = 2
} En_HP_CookieSameSite;

/* A name and a value: a header (THeader) or a cookie (TCookie). */
typedef struct TNVPair {
    LPCSTR name;
    LPCSTR value;
} HP_TNVPair,
  TParam, HP_TParam, *LPPARAM, *HP_LPPARAM,
  THeader, HP_THeader, *LPHEADER, *HP_LPHEADER,
  TCookie, HP_TCookie, *LPCOOKIE, *HP_LPCOOKIE;

/* ---- Callback types (pSender is the component that fires the event) ---- */

/* Server */
typedef En_HP_HandleResult (__HP_CALL *HP_FN_Server_OnPrepareListen)(HP_Server pSender, UINT_PTR soListen);
typedef En_HP_HandleResult (__HP_CALL *HP_FN_Server_OnAccept)(HP_Server pSender, HP_CONNID dwConnID, UINT_PTR soClient);
typedef En_HP_HandleResult (__HP_CALL *HP_FN_Server_OnHandShake)(HP_Server pSender, HP_CONNID dwConnID);
typedef En_HP_HandleResult (__HP_CALL *HP_FN_Server_OnSend)(HP_Server pSender, HP_CONNID dwConnID, const BYTE* pData, int iLength);
typedef En_HP_HandleResult (__HP_CALL *HP_FN_Server_OnReceive)(HP_Server pSender, HP_CONNID dwConnID, const BYTE* pData, int iLength);
typedef En_HP_HandleResult (__HP_CALL *HP_FN_Server_OnPullReceive)(HP_Server pSender, HP_CONNID dwConnID, int iLength);
typedef En_HP_HandleResult (__HP_CALL *HP_FN_Server_OnClose)(HP_Server pSender, HP_CONNID dwConnID, En_HP_SocketOperation enOperation, int iErrorCode);
typedef En_HP_HandleResult (__HP_CALL *HP_FN_Server_OnShutdown)(HP_Server pSender);

/* Agent */
typedef En_HP_HandleResult (__HP_CALL *HP_FN_Agent_OnPrepareConnect)(HP_Agent pSender, HP_CONNID dwConnID, UINT_PTR socket);
typedef En_HP_HandleResult (__HP_CALL *HP_FN_Agent_OnConnect)(HP_Agent pSender, HP_CONNID dwConnID);
typedef En_HP_HandleResult (__HP_CALL *HP_FN_Agent_OnHandShake)(HP_Agent pSender, HP_CONNID dwConnID);
typedef En_HP_HandleResult (__HP_CALL *HP_FN_Agent_OnSend)(HP_Agent pSender, HP_CONNID dwConnID, const BYTE* pData, int iLength);
typedef En_HP_HandleResult (__HP_CALL *HP_FN_Agent_OnReceive)(HP_Agent pSender, HP_CONNID dwConnID, const BYTE* pData, int iLength);
typedef En_HP_HandleResult (__HP_CALL *HP_FN_Agent_OnPullReceive)(HP_Agent pSender, HP_CONNID dwConnID, int iLength);
typedef En_HP_HandleResult (__HP_CALL *HP_FN_Agent_OnClose)(HP_Agent pSender, HP_CONNID dwConnID, En_HP_SocketOperation enOperation, int iErrorCode);
typedef En_HP_HandleResult (__HP_CALL *HP_FN_Agent_OnShutdown)(HP_Agent pSender);

/* Client (no OnShutdown) */
typedef En_HP_HandleResult (__HP_CALL *HP_FN_Client_OnPrepareConnect)(HP_Client pSender, HP_CONNID dwConnID, UINT_PTR socket);
typedef En_HP_HandleResult (__HP_CALL *HP_FN_Client_OnConnect)(HP_Client pSender, HP_CONNID dwConnID);
typedef En_HP_HandleResult (__HP_CALL *HP_FN_Client_OnHandShake)(HP_Client pSender, HP_CONNID dwConnID);
typedef En_HP_HandleResult (__HP_CALL *HP_FN_Client_OnSend)(HP_Client pSender, HP_CONNID dwConnID, const BYTE* pData, int iLength);
typedef En_HP_HandleResult (__HP_CALL *HP_FN_Client_OnReceive)(HP_Client pSender, HP_CONNID dwConnID, const BYTE* pData, int iLength);
typedef En_HP_HandleResult (__HP_CALL *HP_FN_Client_OnPullReceive)(HP_Client pSender, HP_CONNID dwConnID, int iLength);
typedef En_HP_HandleResult (__HP_CALL *HP_FN_Client_OnClose)(HP_Client pSender, HP_CONNID dwConnID, En_HP_SocketOperation enOperation, int iErrorCode);

/* HTTP parse events (servers: OnRequestLine; agents and clients: OnStatusLine). The strings
 * are valid during the call; the getters (HP_HttpServer_GetHeader, ...) work inside every one
 * of them for (pSender, dwConnID). */
typedef En_HP_HttpParseResult (__HP_CALL *HP_FN_Http_OnMessageBegin)(HP_Http pSender, HP_CONNID dwConnID);
typedef En_HP_HttpParseResult (__HP_CALL *HP_FN_Http_OnRequestLine)(HP_Http pSender, HP_CONNID dwConnID, LPCSTR lpszMethod, LPCSTR lpszUrl);
typedef En_HP_HttpParseResult (__HP_CALL *HP_FN_Http_OnStatusLine)(HP_Http pSender, HP_CONNID dwConnID, USHORT usStatusCode, LPCSTR lpszDesc);
typedef En_HP_HttpParseResult (__HP_CALL *HP_FN_Http_OnHeader)(HP_Http pSender, HP_CONNID dwConnID, LPCSTR lpszName, LPCSTR lpszValue);
typedef En_HP_HttpParseResult (__HP_CALL *HP_FN_Http_OnHeadersComplete)(HP_Http pSender, HP_CONNID dwConnID);
typedef En_HP_HttpParseResult (__HP_CALL *HP_FN_Http_OnBody)(HP_Http pSender, HP_CONNID dwConnID, const BYTE* pData, int iLength);
typedef En_HP_HttpParseResult (__HP_CALL *HP_FN_Http_OnChunkHeader)(HP_Http pSender, HP_CONNID dwConnID, int iLength);
typedef En_HP_HttpParseResult (__HP_CALL *HP_FN_Http_OnChunkComplete)(HP_Http pSender, HP_CONNID dwConnID);
typedef En_HP_HttpParseResult (__HP_CALL *HP_FN_Http_OnMessageComplete)(HP_Http pSender, HP_CONNID dwConnID);
typedef En_HP_HttpParseResult (__HP_CALL *HP_FN_Http_OnUpgrade)(HP_Http pSender, HP_CONNID dwConnID, En_HP_HttpUpgradeType enUpgradeType);
typedef En_HP_HttpParseResult (__HP_CALL *HP_FN_Http_OnParseError)(HP_Http pSender, HP_CONNID dwConnID, int iErrorCode, LPCSTR lpszErrorDesc);
/* WebSocket frame events, after an accepted "websocket" upgrade (see HPSocket4C.h): lpszMask
 * is NULL for an unmasked frame, else valid during the call; bodies arrive unmasked. */
typedef En_HP_HandleResult (__HP_CALL *HP_FN_Http_OnWSMessageHeader)(HP_Http pSender, HP_CONNID dwConnID, BOOL bFinal, BYTE iReserved, BYTE iOperationCode, const BYTE lpszMask[4], ULONGLONG ullBodyLen);
typedef En_HP_HandleResult (__HP_CALL *HP_FN_Http_OnWSMessageBody)(HP_Http pSender, HP_CONNID dwConnID, const BYTE* pData, int iLength);
typedef En_HP_HandleResult (__HP_CALL *HP_FN_Http_OnWSMessageComplete)(HP_Http pSender, HP_CONNID dwConnID);

/* HttpServer */
typedef HP_FN_Http_OnMessageBegin HP_FN_HttpServer_OnMessageBegin;
typedef HP_FN_Http_OnRequestLine HP_FN_HttpServer_OnRequestLine;
typedef HP_FN_Http_OnHeader HP_FN_HttpServer_OnHeader;
typedef HP_FN_Http_OnHeadersComplete HP_FN_HttpServer_OnHeadersComplete;
typedef HP_FN_Http_OnBody HP_FN_HttpServer_OnBody;
typedef HP_FN_Http_OnChunkHeader HP_FN_HttpServer_OnChunkHeader;
typedef HP_FN_Http_OnChunkComplete HP_FN_HttpServer_OnChunkComplete;
typedef HP_FN_Http_OnMessageComplete HP_FN_HttpServer_OnMessageComplete;
typedef HP_FN_Http_OnUpgrade HP_FN_HttpServer_OnUpgrade;
typedef HP_FN_Http_OnParseError HP_FN_HttpServer_OnParseError;
typedef HP_FN_Http_OnWSMessageHeader HP_FN_HttpServer_OnWSMessageHeader;
typedef HP_FN_Http_OnWSMessageBody HP_FN_HttpServer_OnWSMessageBody;
typedef HP_FN_Http_OnWSMessageComplete HP_FN_HttpServer_OnWSMessageComplete;
typedef HP_FN_Server_OnPrepareListen HP_FN_HttpServer_OnPrepareListen;
typedef HP_FN_Server_OnAccept HP_FN_HttpServer_OnAccept;
typedef HP_FN_Server_OnHandShake HP_FN_HttpServer_OnHandShake;
typedef HP_FN_Server_OnReceive HP_FN_HttpServer_OnReceive;
typedef HP_FN_Server_OnSend HP_FN_HttpServer_OnSend;
typedef HP_FN_Server_OnClose HP_FN_HttpServer_OnClose;
typedef HP_FN_Server_OnShutdown HP_FN_HttpServer_OnShutdown;

/* HttpAgent */
typedef HP_FN_Http_OnMessageBegin HP_FN_HttpAgent_OnMessageBegin;
typedef HP_FN_Http_OnStatusLine HP_FN_HttpAgent_OnStatusLine;
typedef HP_FN_Http_OnHeader HP_FN_HttpAgent_OnHeader;
typedef HP_FN_Http_OnHeadersComplete HP_FN_HttpAgent_OnHeadersComplete;
typedef HP_FN_Http_OnBody HP_FN_HttpAgent_OnBody;
typedef HP_FN_Http_OnChunkHeader HP_FN_HttpAgent_OnChunkHeader;
typedef HP_FN_Http_OnChunkComplete HP_FN_HttpAgent_OnChunkComplete;
typedef HP_FN_Http_OnMessageComplete HP_FN_HttpAgent_OnMessageComplete;
typedef HP_FN_Http_OnUpgrade HP_FN_HttpAgent_OnUpgrade;
typedef HP_FN_Http_OnParseError HP_FN_HttpAgent_OnParseError;
typedef HP_FN_Http_OnWSMessageHeader HP_FN_HttpAgent_OnWSMessageHeader;
typedef HP_FN_Http_OnWSMessageBody HP_FN_HttpAgent_OnWSMessageBody;
typedef HP_FN_Http_OnWSMessageComplete HP_FN_HttpAgent_OnWSMessageComplete;
typedef HP_FN_Agent_OnPrepareConnect HP_FN_HttpAgent_OnPrepareConnect;
typedef HP_FN_Agent_OnConnect HP_FN_HttpAgent_OnConnect;
typedef HP_FN_Agent_OnHandShake HP_FN_HttpAgent_OnHandShake;
typedef HP_FN_Agent_OnReceive HP_FN_HttpAgent_OnReceive;
typedef HP_FN_Agent_OnSend HP_FN_HttpAgent_OnSend;
typedef HP_FN_Agent_OnClose HP_FN_HttpAgent_OnClose;
typedef HP_FN_Agent_OnShutdown HP_FN_HttpAgent_OnShutdown;

/* HttpClient */
typedef HP_FN_Http_OnMessageBegin HP_FN_HttpClient_OnMessageBegin;
typedef HP_FN_Http_OnStatusLine HP_FN_HttpClient_OnStatusLine;
typedef HP_FN_Http_OnHeader HP_FN_HttpClient_OnHeader;
typedef HP_FN_Http_OnHeadersComplete HP_FN_HttpClient_OnHeadersComplete;
typedef HP_FN_Http_OnBody HP_FN_HttpClient_OnBody;
typedef HP_FN_Http_OnChunkHeader HP_FN_HttpClient_OnChunkHeader;
typedef HP_FN_Http_OnChunkComplete HP_FN_HttpClient_OnChunkComplete;
typedef HP_FN_Http_OnMessageComplete HP_FN_HttpClient_OnMessageComplete;
typedef HP_FN_Http_OnUpgrade HP_FN_HttpClient_OnUpgrade;
typedef HP_FN_Http_OnParseError HP_FN_HttpClient_OnParseError;
typedef HP_FN_Http_OnWSMessageHeader HP_FN_HttpClient_OnWSMessageHeader;
typedef HP_FN_Http_OnWSMessageBody HP_FN_HttpClient_OnWSMessageBody;
typedef HP_FN_Http_OnWSMessageComplete HP_FN_HttpClient_OnWSMessageComplete;
typedef HP_FN_Client_OnPrepareConnect HP_FN_HttpClient_OnPrepareConnect;
typedef HP_FN_Client_OnConnect HP_FN_HttpClient_OnConnect;
typedef HP_FN_Client_OnHandShake HP_FN_HttpClient_OnHandShake;
typedef HP_FN_Client_OnReceive HP_FN_HttpClient_OnReceive;
typedef HP_FN_Client_OnSend HP_FN_HttpClient_OnSend;
typedef HP_FN_Client_OnClose HP_FN_HttpClient_OnClose;

/* SNI: chooses a server certificate by the host name the client asked for. Return 0 for the
 * default certificate, n > 0 for the context AddSSLContext returned as n, a negative number to
 * refuse the handshake. pContext identifies the server: hand it on to
 * HP_SSL_DefaultServerNameCallback to fall back on the names bound with BindSSLServerName. */
typedef int (__HP_CALL *Fn_SNI_ServerNameCallback)(LPCTSTR lpszServerName, PVOID pContext);
typedef Fn_SNI_ServerNameCallback HP_Fn_SNI_ServerNameCallback;

#ifdef __cplusplus
}
#endif

#endif /* HPSOCKET4C_HPTYPEDEF_H */
