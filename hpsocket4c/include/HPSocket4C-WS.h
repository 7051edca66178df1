/*
 * HPSocket4C-WS.h: OUR EXTENSION of the 4C API, not part of HP-Socket. It gives C programs
 * the WebSocket components of the Rust hpsocket library (WsServer, WsAgent, WsClient and their
 * TLS twins WssServer, WssAgent, WssClient): the opening handshake is run for you, messages
 * arrive whole (fragments joined, permessage-deflate inflated, text checked as UTF-8), pings
 * are answered, keep-alive pings and the close handshake are handled. HP-Socket itself only
 * offers frames on its HTTP components (OnWSMessageHeader / Body / Complete, SendWSMessage in
 * HPSocket4C.h); those stay as they are.
 *
 * Every name here starts with HPX_ (or Create_HPX_ / Destroy_HPX_), a prefix HP-Socket does
 * not use, so this header cannot clash with HP-Socket's names. It includes HPSocket4C.h;
 * include HPSocket4C-SSL.h as well to set up the Wss components.
 *
 * Usage:
 *   HPX_WsListener l = Create_HPX_WsListener();
 *   HPX_Set_FN_Ws_OnWsMessage(l, on_message);          (and the other setters)
 *   HPX_WsServer s = Create_HPX_WsServer(l);
 *   HP_Server_Start(s, "0.0.0.0", 8080);               (the generic functions work on it)
 *   ... HPX_WsServer_SendText(s, id, "hi", -1) ...
 *   HP_Server_Stop(s); Destroy_HPX_WsServer(s); Destroy_HPX_WsListener(l);
 *
 * The handles are 4C components:
 *  - servers: every HP_Server_* and HP_TcpServer_* function; agents: HP_Agent_* and
 *    HP_TcpAgent_* (HP_Agent_Connect opens a connection, whose handshake then goes out by
 *    itself); clients: HP_Client_* and HP_TcpClient_*. The Wss ones are SSL components too:
 *    HP_SSLServer_SetupSSLContext / HP_SSLAgent_* / HP_SSLClient_* (HPSocket4C-SSL.h), needed
 *    before Start.
 *  - the HTTP getters read the handshake's message, inside OnWsOpen and after it, until the
 *    connection closes: HP_HttpServer_GetUrlField / GetMethod / GetHeader / GetCookie ... read
 *    the client's upgrade request, HP_HttpAgent_* / HP_HttpClient_* getters the server's 101
 *    response (GetStatusCode, GetHeader).
 *  - a server answers plain (non-upgrade) HTTP requests as an HTTP server does: the HTTP
 *    events below, then HP_HttpServer_SendResponse, SendLocalFile, SendChunkData or Release.
 *    A plain request that gets no response stays unanswered; an upgrade request that is not a
 *    valid WebSocket handshake is answered 400 (405 if not a GET, 426 for a version other
 *    than 13) and closed, without events beyond OnAccept, OnHandShake and OnClose.
 *  - the other HP_Http* functions (requests, HP-Socket's frame API, LocalVersion, HttpAutoStart,
 *    StartHttp) refuse these handles: FALSE / nothing, errno EINVAL. So do HPX_ functions given
 *    a handle of another kind, and the HP_Server_Send family is best left alone: bytes sent
 *    with it go out raw, between the frames.
 *
 * Events, in order, for each connection: OnAccept (server) or OnConnect (agent, client),
 * OnHandShake (TCP connected, or TLS done), then OnWsOpen once the WebSocket handshake is
 * agreed; OnWsMessage / OnWsPing / OnWsPong; OnWsClose when the peer's close frame arrives;
 * OnClose exactly once at the end (SO_CLOSE, 0 after a close handshake). A handshake the
 * peer refuses closes the connection without OnWsOpen. OnShutdown when a server or agent
 * has stopped. Callbacks run on worker threads; every HPX_ and HP_ function may be called from
 * them (Stop and Destroy too).
 *
 * Failures: FALSE (0, NULL) and errno, read with SYS_GetLastError():
 *   EBADF    the handle is not a live object of this library (never created, destroyed),
 *            or not one of the function's role (a server given to an HPX_WsAgent_ function);
 *   EINVAL   a bad argument, or a handle of another kind of component;
 *   EBADSLT  an unknown or closed connection;
 *   EPERM    the WebSocket is not open (before OnWsOpen; after a close was sent or
 *            received), or a property set while the component is not stopped.
 */
#ifndef HPSOCKET4C_HPSOCKET4C_WS_H
#define HPSOCKET4C_HPSOCKET4C_WS_H

#include "HPSocket4C.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ======================================================================================= */
/* Types                                                                                    */
/* ======================================================================================= */

typedef HP_Object HPX_WsListener;
typedef HP_Object HPX_WsServer;  /* also the handle type of the Wss server */
typedef HP_Object HPX_WsAgent;   /* also the Wss agent's */
typedef HP_Object HPX_WsClient;  /* also the Wss client's */
typedef HP_Object HPX_WssServer;
typedef HP_Object HPX_WssAgent;
typedef HP_Object HPX_WssClient;

/* The WebSocket events; pSender is the component (server, agent or client), dwConnID the
 * connection (a client's own). Each returns HR_OK (or HR_IGNORE) to go on; HR_ERROR closes
 * the connection at once, without a close frame (OnClose: SO_RECEIVE, ECANCELED). */

/* The opening handshake is agreed: messages may be sent from here on. The HTTP getters read
 * the request (server) or the 101 response (agent, client). */
typedef En_HP_HandleResult (__HP_CALL *HPX_FN_Ws_OnWsOpen)(HP_Object pSender, HP_CONNID dwConnID);
/* A whole message: bText TRUE for text (UTF-8, checked), FALSE for binary. pData holds
 * iLength bytes, NOT NUL-terminated, valid during the call. A message longer than INT_MAX
 * bytes (possible only with SetMaxMessageSize(0)) closes the connection instead. */
typedef En_HP_HandleResult (__HP_CALL *HPX_FN_Ws_OnWsMessage)(HP_Object pSender, HP_CONNID dwConnID, BOOL bText, const BYTE* pData, int iLength);
/* A ping arrived (0..125 bytes of payload, valid during the call); its pong is already queued. */
typedef En_HP_HandleResult (__HP_CALL *HPX_FN_Ws_OnWsPing)(HP_Object pSender, HP_CONNID dwConnID, const BYTE* pData, int iLength);
/* A pong arrived (the answer to SendPing, or a keep-alive ping's). */
typedef En_HP_HandleResult (__HP_CALL *HPX_FN_Ws_OnWsPong)(HP_Object pSender, HP_CONNID dwConnID, const BYTE* pData, int iLength);
/* The peer's close frame: iCode its status code (-1 when it carried none), lpszReason its
 * reason (UTF-8, NUL-terminated, "" for none; valid during the call). A close the peer
 * started is answered by the library when this returns, with the same code and no reason;
 * the answer to ours comes here too. The connection then closes: OnClose(SO_CLOSE, 0). */
typedef En_HP_HandleResult (__HP_CALL *HPX_FN_Ws_OnWsClose)(HP_Object pSender, HP_CONNID dwConnID, int iCode, LPCSTR lpszReason);

/* ======================================================================================= */
/* Listener                                                                                 */
/* ======================================================================================= */

/* A listener: a table of callbacks, all unset. NULL only if memory ran out. */
HPSOCKET_API HPX_WsListener __HP_CALL Create_HPX_WsListener(void);
/* Destroys a listener; destroy the components using it first. Unknown handles are ignored. */
HPSOCKET_API void __HP_CALL Destroy_HPX_WsListener(HPX_WsListener pListener);

/* Setters: each stores one callback (NULL clears it) and returns nothing; on failure the
 * callback is not stored and errno is set: EBADF for an unknown listener, EINVAL for a
 * WsServer / WsAgent / WsClient setter on a listener already bound to another kind.
 * A listener serves one kind of component: its first WsServer_, WsAgent_ or WsClient_ setter,
 * or the first Create_HPX_* given it, binds it to servers, agents or clients (the three use
 * different callback types for the same event). The HPX_Set_FN_Ws_* setters fit every kind. */

/* The WebSocket events (every kind). */
HPSOCKET_API void __HP_CALL HPX_Set_FN_Ws_OnWsOpen(HPX_WsListener pListener, HPX_FN_Ws_OnWsOpen fn);
HPSOCKET_API void __HP_CALL HPX_Set_FN_Ws_OnWsMessage(HPX_WsListener pListener, HPX_FN_Ws_OnWsMessage fn);
HPSOCKET_API void __HP_CALL HPX_Set_FN_Ws_OnWsPing(HPX_WsListener pListener, HPX_FN_Ws_OnWsPing fn);
HPSOCKET_API void __HP_CALL HPX_Set_FN_Ws_OnWsPong(HPX_WsListener pListener, HPX_FN_Ws_OnWsPong fn);
HPSOCKET_API void __HP_CALL HPX_Set_FN_Ws_OnWsClose(HPX_WsListener pListener, HPX_FN_Ws_OnWsClose fn);

/* Servers: the socket events, with HP-Socket's meaning and return values. */
HPSOCKET_API void __HP_CALL HPX_Set_FN_WsServer_OnPrepareListen(HPX_WsListener pListener, HP_FN_Server_OnPrepareListen fn);
HPSOCKET_API void __HP_CALL HPX_Set_FN_WsServer_OnAccept(HPX_WsListener pListener, HP_FN_Server_OnAccept fn);
HPSOCKET_API void __HP_CALL HPX_Set_FN_WsServer_OnHandShake(HPX_WsListener pListener, HP_FN_Server_OnHandShake fn);
HPSOCKET_API void __HP_CALL HPX_Set_FN_WsServer_OnSend(HPX_WsListener pListener, HP_FN_Server_OnSend fn);
HPSOCKET_API void __HP_CALL HPX_Set_FN_WsServer_OnClose(HPX_WsListener pListener, HP_FN_Server_OnClose fn);
HPSOCKET_API void __HP_CALL HPX_Set_FN_WsServer_OnShutdown(HPX_WsListener pListener, HP_FN_Server_OnShutdown fn);
/* Servers: the HTTP events of plain requests (never of a WebSocket handshake), as on an HTTP
 * server; answer from OnMessageComplete (or later) with HP_HttpServer_SendResponse. */
HPSOCKET_API void __HP_CALL HPX_Set_FN_WsServer_OnMessageBegin(HPX_WsListener pListener, HP_FN_HttpServer_OnMessageBegin fn);
HPSOCKET_API void __HP_CALL HPX_Set_FN_WsServer_OnRequestLine(HPX_WsListener pListener, HP_FN_HttpServer_OnRequestLine fn);
HPSOCKET_API void __HP_CALL HPX_Set_FN_WsServer_OnHeader(HPX_WsListener pListener, HP_FN_HttpServer_OnHeader fn);
HPSOCKET_API void __HP_CALL HPX_Set_FN_WsServer_OnHeadersComplete(HPX_WsListener pListener, HP_FN_HttpServer_OnHeadersComplete fn);
HPSOCKET_API void __HP_CALL HPX_Set_FN_WsServer_OnBody(HPX_WsListener pListener, HP_FN_HttpServer_OnBody fn);
HPSOCKET_API void __HP_CALL HPX_Set_FN_WsServer_OnChunkHeader(HPX_WsListener pListener, HP_FN_HttpServer_OnChunkHeader fn);
HPSOCKET_API void __HP_CALL HPX_Set_FN_WsServer_OnChunkComplete(HPX_WsListener pListener, HP_FN_HttpServer_OnChunkComplete fn);
HPSOCKET_API void __HP_CALL HPX_Set_FN_WsServer_OnMessageComplete(HPX_WsListener pListener, HP_FN_HttpServer_OnMessageComplete fn);
HPSOCKET_API void __HP_CALL HPX_Set_FN_WsServer_OnParseError(HPX_WsListener pListener, HP_FN_HttpServer_OnParseError fn);

/* Agents: the socket events. */
HPSOCKET_API void __HP_CALL HPX_Set_FN_WsAgent_OnPrepareConnect(HPX_WsListener pListener, HP_FN_Agent_OnPrepareConnect fn);
HPSOCKET_API void __HP_CALL HPX_Set_FN_WsAgent_OnConnect(HPX_WsListener pListener, HP_FN_Agent_OnConnect fn);
HPSOCKET_API void __HP_CALL HPX_Set_FN_WsAgent_OnHandShake(HPX_WsListener pListener, HP_FN_Agent_OnHandShake fn);
HPSOCKET_API void __HP_CALL HPX_Set_FN_WsAgent_OnSend(HPX_WsListener pListener, HP_FN_Agent_OnSend fn);
HPSOCKET_API void __HP_CALL HPX_Set_FN_WsAgent_OnClose(HPX_WsListener pListener, HP_FN_Agent_OnClose fn);
HPSOCKET_API void __HP_CALL HPX_Set_FN_WsAgent_OnShutdown(HPX_WsListener pListener, HP_FN_Agent_OnShutdown fn);

/* Clients: the socket events (a client has no OnShutdown). */
HPSOCKET_API void __HP_CALL HPX_Set_FN_WsClient_OnPrepareConnect(HPX_WsListener pListener, HP_FN_Client_OnPrepareConnect fn);
HPSOCKET_API void __HP_CALL HPX_Set_FN_WsClient_OnConnect(HPX_WsListener pListener, HP_FN_Client_OnConnect fn);
HPSOCKET_API void __HP_CALL HPX_Set_FN_WsClient_OnHandShake(HPX_WsListener pListener, HP_FN_Client_OnHandShake fn);
HPSOCKET_API void __HP_CALL HPX_Set_FN_WsClient_OnSend(HPX_WsListener pListener, HP_FN_Client_OnSend fn);
HPSOCKET_API void __HP_CALL HPX_Set_FN_WsClient_OnClose(HPX_WsListener pListener, HP_FN_Client_OnClose fn);

/* ======================================================================================= */
/* Create / Destroy                                                                         */
/* ======================================================================================= */

/* A component reporting to pListener. NULL on failure: errno EBADF (not a listener), EINVAL
 * (a listener bound to another kind of component). The Wss ones need an SSL context
 * (HP_SSLServer_SetupSSLContext, HP_SSLAgent_SetupSSLContext, HP_SSLClient_SetupSSLContext)
 * before Start, which otherwise fails with SE_SSL_ENV_NOT_READY. */
HPSOCKET_API HPX_WsServer __HP_CALL Create_HPX_WsServer(HPX_WsListener pListener);
HPSOCKET_API HPX_WssServer __HP_CALL Create_HPX_WssServer(HPX_WsListener pListener);
HPSOCKET_API HPX_WsAgent __HP_CALL Create_HPX_WsAgent(HPX_WsListener pListener);
HPSOCKET_API HPX_WssAgent __HP_CALL Create_HPX_WssAgent(HPX_WsListener pListener);
HPSOCKET_API HPX_WsClient __HP_CALL Create_HPX_WsClient(HPX_WsListener pListener);
HPSOCKET_API HPX_WssClient __HP_CALL Create_HPX_WssClient(HPX_WsListener pListener);

/* Destroys a component, stopping it first (from a callback: without waiting). Unknown
 * handles are ignored. */
HPSOCKET_API void __HP_CALL Destroy_HPX_WsServer(HPX_WsServer pServer);
HPSOCKET_API void __HP_CALL Destroy_HPX_WssServer(HPX_WssServer pServer);
HPSOCKET_API void __HP_CALL Destroy_HPX_WsAgent(HPX_WsAgent pAgent);
HPSOCKET_API void __HP_CALL Destroy_HPX_WssAgent(HPX_WssAgent pAgent);
HPSOCKET_API void __HP_CALL Destroy_HPX_WsClient(HPX_WsClient pClient);
HPSOCKET_API void __HP_CALL Destroy_HPX_WssClient(HPX_WssClient pClient);

/* ======================================================================================= */
/* Operations (Ws and Wss alike; from any thread, inside callbacks too)                     */
/* ======================================================================================= */

/* SendText: a text message of iLength bytes of UTF-8 (iLength -1: up to the NUL).
 * SendBinary: a binary message of iLength bytes (pData may be NULL when iLength is 0).
 * Both go out as one frame, or as frames of GetFragmentSize() bytes, compressed when
 * permessage-deflate was agreed.
 * SendPing: a ping with 0..125 bytes of payload; the pong comes to OnWsPong.
 * Close: starts the close handshake with usCode (1000 normal, 1001 going away, 3000..4999
 * the application's; only 1000..1003, 1007..1014 and 3000..4999 may be sent; 0 with a NULL
 * or empty lpszReason: a close without a status, which the peer reads as 1005) and
 * lpszReason (NULL: none; at most 123 bytes of UTF-8). Nothing more may be sent; the connection closes
 * when the peer's close arrives (OnWsClose, then OnClose), or after a deadline.
 *
 * TRUE: queued for sending. FALSE and errno:
 *   EPERM    the connection's OnWsOpen has not come yet, a close was sent, or the peer's
 *            close was received (also inside its OnWsClose); a client that is not started;
 *   EBADSLT  no such connection (dwConnID 0, unknown, or closed);
 *   EINVAL   NULL data with a length, a length below -1 (text) or 0 (binary, ping), text that
 *            is not UTF-8, a ping over 125 bytes, a code that may not be sent, a reason over
 *            123 bytes or not UTF-8, or a handle that is not a WebSocket component;
 *   ENOBUFS  the connection's send queue is full (see HP-Socket's pending data);
 *   EBADF    unknown handle. */
HPSOCKET_API BOOL __HP_CALL HPX_WsServer_SendText(HPX_WsServer pServer, HP_CONNID dwConnID, LPCSTR lpszText, int iLength);
HPSOCKET_API BOOL __HP_CALL HPX_WsServer_SendBinary(HPX_WsServer pServer, HP_CONNID dwConnID, const BYTE* pData, int iLength);
HPSOCKET_API BOOL __HP_CALL HPX_WsServer_SendPing(HPX_WsServer pServer, HP_CONNID dwConnID, const BYTE* pData, int iLength);
HPSOCKET_API BOOL __HP_CALL HPX_WsServer_Close(HPX_WsServer pServer, HP_CONNID dwConnID, USHORT usCode, LPCSTR lpszReason);

HPSOCKET_API BOOL __HP_CALL HPX_WsAgent_SendText(HPX_WsAgent pAgent, HP_CONNID dwConnID, LPCSTR lpszText, int iLength);
HPSOCKET_API BOOL __HP_CALL HPX_WsAgent_SendBinary(HPX_WsAgent pAgent, HP_CONNID dwConnID, const BYTE* pData, int iLength);
HPSOCKET_API BOOL __HP_CALL HPX_WsAgent_SendPing(HPX_WsAgent pAgent, HP_CONNID dwConnID, const BYTE* pData, int iLength);
HPSOCKET_API BOOL __HP_CALL HPX_WsAgent_Close(HPX_WsAgent pAgent, HP_CONNID dwConnID, USHORT usCode, LPCSTR lpszReason);

/* A client's operations act on its one connection. */
HPSOCKET_API BOOL __HP_CALL HPX_WsClient_SendText(HPX_WsClient pClient, LPCSTR lpszText, int iLength);
HPSOCKET_API BOOL __HP_CALL HPX_WsClient_SendBinary(HPX_WsClient pClient, const BYTE* pData, int iLength);
HPSOCKET_API BOOL __HP_CALL HPX_WsClient_SendPing(HPX_WsClient pClient, const BYTE* pData, int iLength);
HPSOCKET_API BOOL __HP_CALL HPX_WsClient_Close(HPX_WsClient pClient, USHORT usCode, LPCSTR lpszReason);

/* ======================================================================================= */
/* Properties (Ws and Wss alike)                                                            */
/* ======================================================================================= */

/* Setters return TRUE, or FALSE and errno: EPERM unless the component is stopped, EINVAL for
 * a bad value or a handle that is not a WebSocket component, EBADF for an unknown handle.
 * Numeric getters return 0, IsDeflate FALSE, with errno EBADF / EINVAL on a bad handle (0 is
 * a valid value too: clear errno first to tell them apart). The string getters copy into
 * lpszBuffer: *piLength is its size in and the string's length plus one out; a NULL or too
 * small buffer fails (FALSE, errno EINVAL) with *piLength set to the size needed.
 *
 * Protocols: the subprotocols this side speaks (Sec-WebSocket-Protocol), comma-separated in
 *   order of preference, e.g. "chat.v2,chat" (NULL or "": none, the default). Each must be
 *   an HTTP token; spaces around items are dropped; an empty item is refused. A server picks
 *   the first one the client offers that is in its list; a client offers its list, and fails
 *   the handshake if the server picks one outside it. GetProtocols returns "a,b" form.
 * Deflate: permessage-deflate (RFC 7692); a client offers it, a server accepts an offer.
 *   FALSE by default (zlib's state costs about 300 KiB per connection).
 * MaxMessageSize: largest message received, compressed and inflated, in bytes (default
 *   16 MiB; 0: no limit). A larger one fails the connection with close code 1009.
 * FragmentSize: messages sent are split into frames of this many bytes (default 0: one frame).
 * PingInterval: keep-alive in ms (default 30000; 0: off, else >= 100): a peer silent this long
 *   is pinged, one silent twice as long is closed (OnClose: SO_RECEIVE, ETIMEDOUT).
 * Path (agents and clients): the request target of the opening handshake (default "/"),
 *   e.g. "/chat?room=1": it starts with '/' and holds no space or control character. */
HPSOCKET_API BOOL __HP_CALL HPX_WsServer_SetProtocols(HPX_WsServer pServer, LPCSTR lpszProtocols);
HPSOCKET_API BOOL __HP_CALL HPX_WsServer_GetProtocols(HPX_WsServer pServer, LPSTR lpszBuffer, int* piLength);
HPSOCKET_API BOOL __HP_CALL HPX_WsServer_SetDeflate(HPX_WsServer pServer, BOOL bDeflate);
HPSOCKET_API BOOL __HP_CALL HPX_WsServer_IsDeflate(HPX_WsServer pServer);
HPSOCKET_API BOOL __HP_CALL HPX_WsServer_SetMaxMessageSize(HPX_WsServer pServer, DWORD dwMaxMessageSize);
HPSOCKET_API DWORD __HP_CALL HPX_WsServer_GetMaxMessageSize(HPX_WsServer pServer);
HPSOCKET_API BOOL __HP_CALL HPX_WsServer_SetFragmentSize(HPX_WsServer pServer, DWORD dwFragmentSize);
HPSOCKET_API DWORD __HP_CALL HPX_WsServer_GetFragmentSize(HPX_WsServer pServer);
HPSOCKET_API BOOL __HP_CALL HPX_WsServer_SetPingInterval(HPX_WsServer pServer, DWORD dwPingInterval);
HPSOCKET_API DWORD __HP_CALL HPX_WsServer_GetPingInterval(HPX_WsServer pServer);

HPSOCKET_API BOOL __HP_CALL HPX_WsAgent_SetProtocols(HPX_WsAgent pAgent, LPCSTR lpszProtocols);
HPSOCKET_API BOOL __HP_CALL HPX_WsAgent_GetProtocols(HPX_WsAgent pAgent, LPSTR lpszBuffer, int* piLength);
HPSOCKET_API BOOL __HP_CALL HPX_WsAgent_SetDeflate(HPX_WsAgent pAgent, BOOL bDeflate);
HPSOCKET_API BOOL __HP_CALL HPX_WsAgent_IsDeflate(HPX_WsAgent pAgent);
HPSOCKET_API BOOL __HP_CALL HPX_WsAgent_SetMaxMessageSize(HPX_WsAgent pAgent, DWORD dwMaxMessageSize);
HPSOCKET_API DWORD __HP_CALL HPX_WsAgent_GetMaxMessageSize(HPX_WsAgent pAgent);
HPSOCKET_API BOOL __HP_CALL HPX_WsAgent_SetFragmentSize(HPX_WsAgent pAgent, DWORD dwFragmentSize);
HPSOCKET_API DWORD __HP_CALL HPX_WsAgent_GetFragmentSize(HPX_WsAgent pAgent);
HPSOCKET_API BOOL __HP_CALL HPX_WsAgent_SetPingInterval(HPX_WsAgent pAgent, DWORD dwPingInterval);
HPSOCKET_API DWORD __HP_CALL HPX_WsAgent_GetPingInterval(HPX_WsAgent pAgent);
HPSOCKET_API BOOL __HP_CALL HPX_WsAgent_SetPath(HPX_WsAgent pAgent, LPCSTR lpszPath);
HPSOCKET_API BOOL __HP_CALL HPX_WsAgent_GetPath(HPX_WsAgent pAgent, LPSTR lpszBuffer, int* piLength);

HPSOCKET_API BOOL __HP_CALL HPX_WsClient_SetProtocols(HPX_WsClient pClient, LPCSTR lpszProtocols);
HPSOCKET_API BOOL __HP_CALL HPX_WsClient_GetProtocols(HPX_WsClient pClient, LPSTR lpszBuffer, int* piLength);
HPSOCKET_API BOOL __HP_CALL HPX_WsClient_SetDeflate(HPX_WsClient pClient, BOOL bDeflate);
HPSOCKET_API BOOL __HP_CALL HPX_WsClient_IsDeflate(HPX_WsClient pClient);
HPSOCKET_API BOOL __HP_CALL HPX_WsClient_SetMaxMessageSize(HPX_WsClient pClient, DWORD dwMaxMessageSize);
HPSOCKET_API DWORD __HP_CALL HPX_WsClient_GetMaxMessageSize(HPX_WsClient pClient);
HPSOCKET_API BOOL __HP_CALL HPX_WsClient_SetFragmentSize(HPX_WsClient pClient, DWORD dwFragmentSize);
HPSOCKET_API DWORD __HP_CALL HPX_WsClient_GetFragmentSize(HPX_WsClient pClient);
HPSOCKET_API BOOL __HP_CALL HPX_WsClient_SetPingInterval(HPX_WsClient pClient, DWORD dwPingInterval);
HPSOCKET_API DWORD __HP_CALL HPX_WsClient_GetPingInterval(HPX_WsClient pClient);
HPSOCKET_API BOOL __HP_CALL HPX_WsClient_SetPath(HPX_WsClient pClient, LPCSTR lpszPath);
HPSOCKET_API BOOL __HP_CALL HPX_WsClient_GetPath(HPX_WsClient pClient, LPSTR lpszBuffer, int* piLength);

#ifdef __cplusplus
}
#endif

#endif /* HPSOCKET4C_HPSOCKET4C_WS_H */
