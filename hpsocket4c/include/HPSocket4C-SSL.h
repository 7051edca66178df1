/*
 * HPSocket4C-SSL.h: the SSL (TLS) components of libhpsocket4c (the Rust hpsocket4c crate), an
 * implementation of HP-Socket 5.8's "4C" SSL API for Linux: the TCP SSL components and the
 * HTTPS ones (HttpsServer, HttpsAgent, HttpsClient, HttpsSyncClient).
 *
 * Written for this project from the API's published facts (names, types, signatures).
 * Include this header instead of HPSocket4C.h; it includes HPSocket4C.h.
 *
 * The SSL components take the TCP listeners and work with every HP_Server_*, HP_Agent_*,
 * HP_Client_*, HP_TcpServer_* / HP_TcpAgent_* / HP_TcpClient_*, HP_TcpPull*_Fetch / _Peek
 * and HP_TcpPack*_* function; HP_*_IsSecure returns TRUE for them. OnHandShake fires when the
 * TLS handshake completes; OnReceive then delivers decrypted data, and Send takes plaintext.
 * A failed handshake closes the connection with OnClose(SO_RECEIVE, errno).
 *
 * Differences from HP-Socket, whose SSL components are built on OpenSSL (this library uses
 * rustls: TLS 1.2 and 1.3):
 *  - Start without a successful SetupSSLContext fails with GetLastError() ==
 *    SE_SSL_ENV_NOT_READY.
 *  - Keys must be unencrypted PEM (PKCS#8, PKCS#1 or SEC1). The key password is accepted and
 *    ignored; an encrypted key makes Setup / AddSSLContext fail with errno EOPNOTSUPP.
 *  - Handshakes always start by themselves at accept / connect. SetSSLAutoHandShake only
 *    records the flag that IsSSLAutoHandShake reports; StartSSLHandShake returns TRUE for a
 *    live TLS connection (its handshake is under way or done) and FALSE with errno EBADSLT
 *    for an unknown connection.
 *  - GetSSLSessionInfo hands out OpenSSL objects in HP-Socket; there are none here, so it
 *    returns FALSE with errno EOPNOTSUPP.
 *  - Cipher lists use OpenSSL's names (ECDHE-RSA-AES128-GCM-SHA256, TLS_AES_128_GCM_SHA256)
 *    or IANA's, restricted to what rustls offers; keywords such as DEFAULT or HIGH stand for
 *    rustls' suites. The list in force is the one set before SetupSSLContext.
 *  - Client verification is per server: the verify mode and CA of AddSSLContext are ignored.
 *  - BindSSLServerName also accepts names without a dot (localhost); "*.example.com" means
 *    the same as "example.com", which covers its subdomains.
 *  - A new SetupSSLContext replaces the previous context (with its added contexts and bound
 *    names); HP-Socket wants CleanupSSLContext first.
 *  - Failing calls set errno (SYS_GetLastError): EBADF for an unknown handle, EINVAL for a
 *    handle that is not an SSL component or a bad argument, EPERM while the component runs.
 */
#ifndef HPSOCKET4C_HPSOCKET4C_SSL_H
#define HPSOCKET4C_HPSOCKET4C_SSL_H

#include "HPSocket4C.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ======================================================================================= */
/* Create / Destroy (the TCP listeners serve the SSL components too)                        */
/* ======================================================================================= */

HPSOCKET_API HP_SSLServer __HP_CALL Create_HP_SSLServer(HP_TcpServerListener pListener);
HPSOCKET_API HP_SSLAgent __HP_CALL Create_HP_SSLAgent(HP_TcpAgentListener pListener);
HPSOCKET_API HP_SSLClient __HP_CALL Create_HP_SSLClient(HP_TcpClientListener pListener);
HPSOCKET_API HP_SSLPullServer __HP_CALL Create_HP_SSLPullServer(HP_TcpPullServerListener pListener);
HPSOCKET_API HP_SSLPullAgent __HP_CALL Create_HP_SSLPullAgent(HP_TcpPullAgentListener pListener);
HPSOCKET_API HP_SSLPullClient __HP_CALL Create_HP_SSLPullClient(HP_TcpPullClientListener pListener);
HPSOCKET_API HP_SSLPackServer __HP_CALL Create_HP_SSLPackServer(HP_TcpServerListener pListener);
HPSOCKET_API HP_SSLPackAgent __HP_CALL Create_HP_SSLPackAgent(HP_TcpAgentListener pListener);
HPSOCKET_API HP_SSLPackClient __HP_CALL Create_HP_SSLPackClient(HP_TcpClientListener pListener);

/* Destroying a running component stops it first. */
HPSOCKET_API void __HP_CALL Destroy_HP_SSLServer(HP_SSLServer pServer);
HPSOCKET_API void __HP_CALL Destroy_HP_SSLAgent(HP_SSLAgent pAgent);
HPSOCKET_API void __HP_CALL Destroy_HP_SSLClient(HP_SSLClient pClient);
HPSOCKET_API void __HP_CALL Destroy_HP_SSLPullServer(HP_SSLPullServer pServer);
HPSOCKET_API void __HP_CALL Destroy_HP_SSLPullAgent(HP_SSLPullAgent pAgent);
HPSOCKET_API void __HP_CALL Destroy_HP_SSLPullClient(HP_SSLPullClient pClient);
HPSOCKET_API void __HP_CALL Destroy_HP_SSLPackServer(HP_SSLPackServer pServer);
HPSOCKET_API void __HP_CALL Destroy_HP_SSLPackAgent(HP_SSLPackAgent pAgent);
HPSOCKET_API void __HP_CALL Destroy_HP_SSLPackClient(HP_SSLPackClient pClient);

/* ======================================================================================= */
/* Global functions                                                                         */
/* ======================================================================================= */

/* The SNI lookup a server uses when SetupSSLContext got no callback: the context bound to the
 * name or to its nearest parent domain that still has a dot, 0 (the default certificate) if
 * none. pContext: the value an SNI callback receives (anything else gives 0). */
HPSOCKET_API int __HP_CALL HP_SSL_DefaultServerNameCallback(LPCTSTR lpszServerName, PVOID pContext);
/* Frees OpenSSL's per-thread state in HP-Socket; nothing to free here (a no-op). */
HPSOCKET_API void __HP_CALL HP_SSL_RemoveThreadLocalState(THR_ID dwThreadID);

/* ======================================================================================= */
/* Server                                                                                   */
/* ======================================================================================= */

/* Sets up the TLS context, while stopped. iVerifyMode: En_HP_SSLVerifyMode (SSL_VM_PEER
 * verifies client certificates against the CA; add SSL_VM_FAIL_IF_NO_PEER_CERT to require
 * one). Certificate (chain) and key are required. The CA is a PEM file or a directory of
 * .pem / .crt / .cer files (ByMemory: PEM text). fnServerNameCallback may be NULL (the names
 * bound with BindSSLServerName decide). FALSE: see SYS_GetLastError (ENOENT for a missing
 * file, EINVAL for bad PEM, EOPNOTSUPP for an encrypted key). */
HPSOCKET_API BOOL __HP_CALL HP_SSLServer_SetupSSLContext(HP_SSLServer pServer, int iVerifyMode, LPCTSTR lpszPemCertFile, LPCTSTR lpszPemKeyFile, LPCTSTR lpszKeyPassword, LPCTSTR lpszCAPemCertFileOrPath, HP_Fn_SNI_ServerNameCallback fnServerNameCallback);
HPSOCKET_API BOOL __HP_CALL HP_SSLServer_SetupSSLContextByMemory(HP_SSLServer pServer, int iVerifyMode, LPCSTR lpszPemCert, LPCSTR lpszPemKey, LPCSTR lpszKeyPassword, LPCSTR lpszCAPemCert, HP_Fn_SNI_ServerNameCallback fnServerNameCallback);
/* After Setup: adds an SNI certificate and returns its index (1, 2, ...), or -1 with errno
 * set (EPERM before Setup). iVerifyMode and the CA are ignored (verification is per server). */
HPSOCKET_API int __HP_CALL HP_SSLServer_AddSSLContext(HP_SSLServer pServer, int iVerifyMode, LPCTSTR lpszPemCertFile, LPCTSTR lpszPemKeyFile, LPCTSTR lpszKeyPassword, LPCTSTR lpszCAPemCertFileOrPath);
HPSOCKET_API int __HP_CALL HP_SSLServer_AddSSLContextByMemory(HP_SSLServer pServer, int iVerifyMode, LPCSTR lpszPemCert, LPCSTR lpszPemKey, LPCSTR lpszKeyPassword, LPCSTR lpszCAPemCert);
/* Serves context iContextIndex (0: the default one) to clients asking for the name or one of
 * its subdomains. errno EINVAL: bad name (empty, an IP address, a leading or trailing dot);
 * ENOANO: no such context. */
HPSOCKET_API BOOL __HP_CALL HP_SSLServer_BindSSLServerName(HP_SSLServer pServer, LPCTSTR lpszServerName, int iContextIndex);
/* Removes the context with its added contexts and names (while stopped; errno EPERM else). */
HPSOCKET_API void __HP_CALL HP_SSLServer_CleanupSSLContext(HP_SSLServer pServer);

/* TRUE for a live TLS connection (its handshake starts by itself); FALSE + EBADSLT otherwise. */
HPSOCKET_API BOOL __HP_CALL HP_SSLServer_StartSSLHandShake(HP_SSLServer pServer, HP_CONNID dwConnID);
/* Recorded only (default TRUE): handshakes always start by themselves. Set while stopped. */
HPSOCKET_API void __HP_CALL HP_SSLServer_SetSSLAutoHandShake(HP_SSLServer pServer, BOOL bAutoHandShake);
HPSOCKET_API BOOL __HP_CALL HP_SSLServer_IsSSLAutoHandShake(HP_SSLServer pServer);
/* The cipher list the next SetupSSLContext uses (set while stopped). Get returns "DEFAULT"
 * until set; its pointer is valid until the next Set or Destroy. */
HPSOCKET_API void __HP_CALL HP_SSLServer_SetSSLCipherList(HP_SSLServer pServer, LPCTSTR lpszCipherList);
HPSOCKET_API LPCTSTR __HP_CALL HP_SSLServer_GetSSLCipherList(HP_SSLServer pServer);
/* Not available (no OpenSSL objects here): FALSE, errno EOPNOTSUPP, *lppInfo = NULL. */
HPSOCKET_API BOOL __HP_CALL HP_SSLServer_GetSSLSessionInfo(HP_SSLServer pServer, HP_CONNID dwConnID, En_HP_SSLSessionInfo enInfo, LPVOID* lppInfo);

/* ======================================================================================= */
/* Agent                                                                                    */
/* ======================================================================================= */

/* Sets up the TLS context, while stopped. SSL_VM_PEER verifies servers against the CA (file,
 * directory, or PEM text for ByMemory) and the host name given to Connect; SSL_VM_NONE accepts
 * any server certificate. Certificate and key: both for a client certificate, or both NULL /
 * empty for none. The SNI name sent is the host given to Connect (none for an IP address). */
HPSOCKET_API BOOL __HP_CALL HP_SSLAgent_SetupSSLContext(HP_SSLAgent pAgent, int iVerifyMode, LPCTSTR lpszPemCertFile, LPCTSTR lpszPemKeyFile, LPCTSTR lpszKeyPassword, LPCTSTR lpszCAPemCertFileOrPath);
HPSOCKET_API BOOL __HP_CALL HP_SSLAgent_SetupSSLContextByMemory(HP_SSLAgent pAgent, int iVerifyMode, LPCSTR lpszPemCert, LPCSTR lpszPemKey, LPCSTR lpszKeyPassword, LPCSTR lpszCAPemCert);
HPSOCKET_API void __HP_CALL HP_SSLAgent_CleanupSSLContext(HP_SSLAgent pAgent);

HPSOCKET_API BOOL __HP_CALL HP_SSLAgent_StartSSLHandShake(HP_SSLAgent pAgent, HP_CONNID dwConnID);
HPSOCKET_API void __HP_CALL HP_SSLAgent_SetSSLAutoHandShake(HP_SSLAgent pAgent, BOOL bAutoHandShake);
HPSOCKET_API BOOL __HP_CALL HP_SSLAgent_IsSSLAutoHandShake(HP_SSLAgent pAgent);
HPSOCKET_API void __HP_CALL HP_SSLAgent_SetSSLCipherList(HP_SSLAgent pAgent, LPCTSTR lpszCipherList);
HPSOCKET_API LPCTSTR __HP_CALL HP_SSLAgent_GetSSLCipherList(HP_SSLAgent pAgent);
HPSOCKET_API BOOL __HP_CALL HP_SSLAgent_GetSSLSessionInfo(HP_SSLAgent pAgent, HP_CONNID dwConnID, En_HP_SSLSessionInfo enInfo, LPVOID* lppInfo);

/* ======================================================================================= */
/* Client (as the agent, without connection IDs)                                            */
/* ======================================================================================= */

HPSOCKET_API BOOL __HP_CALL HP_SSLClient_SetupSSLContext(HP_SSLClient pClient, int iVerifyMode, LPCTSTR lpszPemCertFile, LPCTSTR lpszPemKeyFile, LPCTSTR lpszKeyPassword, LPCTSTR lpszCAPemCertFileOrPath);
HPSOCKET_API BOOL __HP_CALL HP_SSLClient_SetupSSLContextByMemory(HP_SSLClient pClient, int iVerifyMode, LPCSTR lpszPemCert, LPCSTR lpszPemKey, LPCSTR lpszKeyPassword, LPCSTR lpszCAPemCert);
HPSOCKET_API void __HP_CALL HP_SSLClient_CleanupSSLContext(HP_SSLClient pClient);

HPSOCKET_API BOOL __HP_CALL HP_SSLClient_StartSSLHandShake(HP_SSLClient pClient);
HPSOCKET_API void __HP_CALL HP_SSLClient_SetSSLAutoHandShake(HP_SSLClient pClient, BOOL bAutoHandShake);
HPSOCKET_API BOOL __HP_CALL HP_SSLClient_IsSSLAutoHandShake(HP_SSLClient pClient);
HPSOCKET_API void __HP_CALL HP_SSLClient_SetSSLCipherList(HP_SSLClient pClient, LPCTSTR lpszCipherList);
HPSOCKET_API LPCTSTR __HP_CALL HP_SSLClient_GetSSLCipherList(HP_SSLClient pClient);
HPSOCKET_API BOOL __HP_CALL HP_SSLClient_GetSSLSessionInfo(HP_SSLClient pClient, En_HP_SSLSessionInfo enInfo, LPVOID* lppInfo);

/* ======================================================================================= */
/* HTTPS: the HTTP components over TLS. They take the HTTP listeners, every HP_HttpServer_* /
 * HP_HttpAgent_* / HP_HttpClient_* function and the TCP ones work on them, and they are set
 * up with HP_SSLServer_* / HP_SSLAgent_* / HP_SSLClient_* as the SSL components are.         */
/* ======================================================================================= */

HPSOCKET_API HP_HttpsServer __HP_CALL Create_HP_HttpsServer(HP_HttpServerListener pListener);
HPSOCKET_API HP_HttpsAgent __HP_CALL Create_HP_HttpsAgent(HP_HttpAgentListener pListener);
HPSOCKET_API HP_HttpsClient __HP_CALL Create_HP_HttpsClient(HP_HttpClientListener pListener);
HPSOCKET_API void __HP_CALL Destroy_HP_HttpsServer(HP_HttpsServer pServer);
HPSOCKET_API void __HP_CALL Destroy_HP_HttpsAgent(HP_HttpsAgent pAgent);
HPSOCKET_API void __HP_CALL Destroy_HP_HttpsClient(HP_HttpsClient pClient);
/* The HTTPS sync client: HP_HttpSyncClient_* with https:// URLs, set up with
 * HP_SSLClient_SetupSSLContext (see the sync client in HPSocket4C.h). */
HPSOCKET_API HP_HttpsSyncClient __HP_CALL Create_HP_HttpsSyncClient(HP_HttpClientListener pListener);
HPSOCKET_API void __HP_CALL Destroy_HP_HttpsSyncClient(HP_HttpsSyncClient pClient);

#ifdef __cplusplus
}
#endif

#endif /* HPSOCKET4C_HPSOCKET4C_SSL_H */
