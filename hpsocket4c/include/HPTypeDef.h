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
typedef uint8_t BYTE;
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
