/*
 * hp_pack_peer: a small peer built on the ORIGINAL HP-Socket 5.2.1 library (the C "4C" API in
 * libhpsocket4c_amd64_64.so, fetched by scripts/fetch-hpsocket.sh). Used by the interop test
 * (hpsocket/tests/interop_hpsocket.rs) and by the benchmark (`hps bench`, hps/src/bench.rs).
 *
 * Build:
 *   cc -O2 -pthread interop/hp_pack_peer.c -L<dir> -l:libhpsocket4c_amd64_64.so \
 *      -Wl,-rpath,<dir> -o hp_pack_peer
 *
 * Modes (numbers accept decimal or 0x-prefixed hex):
 *
 *   hp_pack_peer [--no-stdin] server FLAG MAXSIZE [BUF [WORKERS]]
 *       PACK echo server on 127.0.0.1, port chosen by the kernel. Prints "READY <port>" and
 *       flushes, then sends every packet it receives back on the same connection. BUF is the
 *       socket buffer size (default or 0: the library's, 4096), WORKERS the worker thread
 *       count (default 1).
 *
 *   hp_pack_peer [--no-stdin] push-server [BUF [WORKERS]]
 *       PUSH (plain TCP) echo server: every chunk received is sent back. Same READY line and
 *       defaults as above.
 *
 *   hp_pack_peer [--no-stdin] udp-server [WORKERS]
 *       UDP echo server (the library's UdpServer): every datagram is sent back to its peer.
 *       Same READY line as above.
 *
 *   hp_pack_peer [--no-stdin] http-server [BUF [WORKERS]]
 *       HTTP server (the library's HttpServer): every complete request is answered
 *       "200 OK" with Content-Type: text/plain and the 13-byte body "Hello, world!" (the
 *       benchmark's HTTP scenario). Same READY line and defaults as above.
 *
 *   hp_pack_peer [--no-stdin] ws-echo-server [WORKERS]
 *       WebSocket echo server (the library's HttpServer and its frame-level WebSocket API):
 *       an upgrade request is answered "101 Switching Protocols" with the Sec-WebSocket-Accept
 *       computed here; every frame is sent back with the same FIN, reserved bits and opcode,
 *       unmasked (5.2's HP_HttpServer_SendWSMessage, whose mask argument is NULL); a close
 *       frame (0x8) is echoed, then the connection closed. Same READY line as above.
 *
 *   Servers exit when stdin reaches end-of-file, or on SIGTERM / SIGINT / SIGHUP. With
 *   --no-stdin they ignore stdin (for callers that start them in the background with stdin on
 *   /dev/null) and only a signal stops them.
 *
 *   hp_pack_peer client PORT FLAG MAXSIZE SIZE...
 *       PACK client, synchronous connect to 127.0.0.1:PORT. For each SIZE, in order, it sends
 *       one packet and waits for the echo, which must be byte-exact. Packet k (0-based) of
 *       SIZE n holds the bytes
 *           body[i] = (i * 31 + k * 7) & 0xFF      for i in 0..n
 *       Prints "OK <count>" and exits 0, or "FAIL <reason>" and exits 1. The whole run is
 *       bounded by 20 s (HP_PEER_TIMEOUT seconds if set): on expiry it prints
 *       "FAIL timeout" and exits 1.
 *
 *   hp_pack_peer ws-client PORT COUNT
 *       WebSocket client (the library's HttpClient): upgrades a connection to 127.0.0.1:PORT
 *       (checking the 101 and its Sec-WebSocket-Accept), then sends COUNT frames one after
 *       the other, masked (5.2's HP_HttpClient_SendWSMessage with a key; it masks the buffer
 *       it is given in place, so it gets a copy), of the sizes 0, 1, 125, 126, 4000, 65535,
 *       65536 and 70001 in turn, text frames of letters and binary frames of the pattern
 *       above; each echo must come back unmasked with the same opcode and every byte equal.
 *       Then a close frame, whose echo must come back before the server closes. Prints
 *       "OK <count>" and exits 0, or "FAIL <reason>" and exits 1; bounded like the client.
 *
 * The declarations below are our own, written from the documented 4C API facts (BOOL = int,
 * HP_CONNID = uintptr_t, HP_Object = void*, handle results HR_OK/HR_IGNORE/HR_ERROR = 0/1/2).
 * No HP-Socket header or source is used.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

/* ---- our declarations of the 4C API subset we use ---- */
typedef void *HP_Object;
typedef uintptr_t HP_CONNID;
typedef int BOOL;
typedef unsigned char BYTE;
typedef unsigned short USHORT;
typedef unsigned int DWORD;
typedef int HandleResult; /* En_HP_HandleResult */
enum { HR_OK = 0, HR_IGNORE = 1, HR_ERROR = 2 };

typedef HandleResult (*OnServerReceiveFn)(HP_Object, HP_CONNID, const BYTE *, int);
typedef HandleResult (*OnServerCloseFn)(HP_Object, HP_CONNID, int, int);
typedef HandleResult (*OnClientReceiveFn)(HP_Object, HP_CONNID, const BYTE *, int);
typedef HandleResult (*OnClientCloseFn)(HP_Object, HP_CONNID, int, int);

extern HP_Object Create_HP_TcpPackServerListener(void);
extern HP_Object Create_HP_TcpPackServer(HP_Object listener);
extern void Destroy_HP_TcpPackServer(HP_Object);
extern void Destroy_HP_TcpPackServerListener(HP_Object);
extern HP_Object Create_HP_TcpServerListener(void);
extern HP_Object Create_HP_TcpServer(HP_Object listener);
extern void Destroy_HP_TcpServer(HP_Object);
extern void Destroy_HP_TcpServerListener(HP_Object);
extern HP_Object Create_HP_TcpPackClientListener(void);
extern HP_Object Create_HP_TcpPackClient(HP_Object listener);
extern void Destroy_HP_TcpPackClient(HP_Object);
extern void Destroy_HP_TcpPackClientListener(HP_Object);

extern HP_Object Create_HP_UdpServerListener(void);
extern HP_Object Create_HP_UdpServer(HP_Object listener);
extern void Destroy_HP_UdpServer(HP_Object);
extern void Destroy_HP_UdpServerListener(HP_Object);

extern void HP_Set_FN_Server_OnReceive(HP_Object listener, OnServerReceiveFn fn);
extern void HP_Set_FN_Server_OnClose(HP_Object listener, OnServerCloseFn fn);
extern void HP_Set_FN_Client_OnReceive(HP_Object listener, OnClientReceiveFn fn);
extern void HP_Set_FN_Client_OnClose(HP_Object listener, OnClientCloseFn fn);

extern BOOL HP_Server_Start(HP_Object, const char *address, USHORT port);
extern BOOL HP_Server_Stop(HP_Object);
extern BOOL HP_Server_Send(HP_Object, HP_CONNID, const BYTE *, int);
extern BOOL HP_Server_GetListenAddress(HP_Object, char *addr, int *addr_len, USHORT *port);
extern void HP_Server_SetWorkerThreadCount(HP_Object, DWORD);
extern int HP_Server_GetLastError(HP_Object);
extern const char *HP_Server_GetLastErrorDesc(HP_Object);
extern void HP_TcpServer_SetSocketBufferSize(HP_Object, DWORD);
extern void HP_TcpPackServer_SetMaxPackSize(HP_Object, DWORD);
extern void HP_TcpPackServer_SetPackHeaderFlag(HP_Object, USHORT);

extern BOOL HP_Client_Start(HP_Object, const char *address, USHORT port, BOOL async_connect);
extern BOOL HP_Client_Stop(HP_Object);
extern BOOL HP_Client_Send(HP_Object, const BYTE *, int);
extern int HP_Client_GetLastError(HP_Object);
extern const char *HP_Client_GetLastErrorDesc(HP_Object);
extern void HP_TcpPackClient_SetMaxPackSize(HP_Object, DWORD);
extern void HP_TcpPackClient_SetPackHeaderFlag(HP_Object, USHORT);

/* HTTP server: En_HP_HttpParseResult HPR_OK / HPR_ERROR = 0 / -1; HP_THeader is a pair of
 * C strings (name, value). */
typedef int HttpParseResult;
enum { HPR_OK = 0, HPR_ERROR = -1 };
typedef struct {
    const char *name;
    const char *value;
} HP_THeader;
typedef HttpParseResult (*OnHttpMessageCompleteFn)(HP_Object, HP_CONNID);

extern HP_Object Create_HP_HttpServerListener(void);
extern HP_Object Create_HP_HttpServer(HP_Object listener);
extern void Destroy_HP_HttpServer(HP_Object);
extern void Destroy_HP_HttpServerListener(HP_Object);
extern void HP_Set_FN_HttpServer_OnMessageComplete(HP_Object listener, OnHttpMessageCompleteFn fn);
extern BOOL HP_HttpServer_SendResponse(HP_Object, HP_CONNID, USHORT status, const char *desc,
                                       const HP_THeader headers[], int count, const BYTE *body,
                                       int len);

/* WebSocket (5.2.1's forms: the server's SendWSMessage takes a mask too, and every
 * SendWSMessage masks pData in place when given a key). */
typedef int UpgradeType; /* En_HP_HttpUpgradeType: HUT_WEB_SOCKET = 1 */
enum { HUT_WEB_SOCKET = 1 };
typedef unsigned long long ULONGLONG;
typedef HttpParseResult (*OnHttpUpgradeFn)(HP_Object, HP_CONNID, UpgradeType);
typedef HandleResult (*OnWSHeaderFn)(HP_Object, HP_CONNID, BOOL, BYTE, BYTE, const BYTE *,
                                     ULONGLONG);
typedef HandleResult (*OnWSBodyFn)(HP_Object, HP_CONNID, const BYTE *, int);
typedef HandleResult (*OnWSCompleteFn)(HP_Object, HP_CONNID);
typedef HandleResult (*OnHttpCloseFn)(HP_Object, HP_CONNID, int, int);

extern void HP_Set_FN_HttpServer_OnUpgrade(HP_Object listener, OnHttpUpgradeFn fn);
extern void HP_Set_FN_HttpServer_OnWSMessageHeader(HP_Object listener, OnWSHeaderFn fn);
extern void HP_Set_FN_HttpServer_OnWSMessageBody(HP_Object listener, OnWSBodyFn fn);
extern void HP_Set_FN_HttpServer_OnWSMessageComplete(HP_Object listener, OnWSCompleteFn fn);
extern void HP_Set_FN_HttpServer_OnClose(HP_Object listener, OnHttpCloseFn fn);
extern BOOL HP_HttpServer_GetHeader(HP_Object, HP_CONNID, const char *name, const char **value);
extern BOOL HP_HttpServer_IsUpgrade(HP_Object, HP_CONNID);
extern BOOL HP_HttpServer_Release(HP_Object, HP_CONNID);
extern BOOL HP_HttpServer_SendWSMessage(HP_Object, HP_CONNID, BOOL fin, BYTE rsv, BYTE opcode,
                                        const BYTE mask[4], BYTE *data, int len,
                                        ULONGLONG body_len);
extern BOOL HP_Server_SetConnectionExtra(HP_Object, HP_CONNID, void *extra);
extern BOOL HP_Server_GetConnectionExtra(HP_Object, HP_CONNID, void **extra);
extern BOOL HP_Server_Disconnect(HP_Object, HP_CONNID, BOOL force);

extern HP_Object Create_HP_HttpClientListener(void);
extern HP_Object Create_HP_HttpClient(HP_Object listener);
extern void Destroy_HP_HttpClient(HP_Object);
extern void Destroy_HP_HttpClientListener(HP_Object);
extern void HP_Set_FN_HttpClient_OnUpgrade(HP_Object listener, OnHttpUpgradeFn fn);
extern void HP_Set_FN_HttpClient_OnWSMessageHeader(HP_Object listener, OnWSHeaderFn fn);
extern void HP_Set_FN_HttpClient_OnWSMessageBody(HP_Object listener, OnWSBodyFn fn);
extern void HP_Set_FN_HttpClient_OnWSMessageComplete(HP_Object listener, OnWSCompleteFn fn);
extern void HP_Set_FN_HttpClient_OnClose(HP_Object listener, OnHttpCloseFn fn);
extern BOOL HP_HttpClient_SendRequest(HP_Object, const char *method, const char *path,
                                      const HP_THeader headers[], int count, const BYTE *body,
                                      int len);
extern USHORT HP_HttpClient_GetStatusCode(HP_Object);
extern BOOL HP_HttpClient_GetHeader(HP_Object, const char *name, const char **value);
extern BOOL HP_HttpClient_SendWSMessage(HP_Object, BOOL fin, BYTE rsv, BYTE opcode,
                                        const BYTE mask[4], BYTE *data, int len,
                                        ULONGLONG body_len);

extern int SYS_GetLastError(void);

/* ---- helpers ---- */

static unsigned long parse_num(const char *s, const char *what) {
    char *end = NULL;
    errno = 0;
    unsigned long v = strtoul(s, &end, 0);
    if (errno != 0 || end == s || *end != '\0') {
        fprintf(stderr, "hp_pack_peer: bad %s: %s\n", what, s);
        exit(2);
    }
    return v;
}

static void usage(void) {
    fprintf(stderr,
            "usage: hp_pack_peer [--no-stdin] server FLAG MAXSIZE [BUF [WORKERS]]\n"
            "       hp_pack_peer [--no-stdin] push-server [BUF [WORKERS]]\n"
            "       hp_pack_peer [--no-stdin] udp-server [WORKERS]\n"
            "       hp_pack_peer [--no-stdin] http-server [BUF [WORKERS]]\n"
            "       hp_pack_peer [--no-stdin] ws-echo-server [WORKERS]\n"
            "       hp_pack_peer client PORT FLAG MAXSIZE SIZE...\n"
            "       hp_pack_peer ws-client PORT COUNT\n");
    exit(2);
}

static BYTE pattern_byte(size_t i, size_t k) { return (BYTE)((i * 31 + k * 7) & 0xFF); }

/* ---- servers ---- */

static HandleResult on_server_receive(HP_Object sender, HP_CONNID id, const BYTE *data, int len) {
    return HP_Server_Send(sender, id, data, len) ? HR_OK : HR_ERROR;
}

static HandleResult on_server_close(HP_Object sender, HP_CONNID id, int op, int err) {
    (void)sender;
    (void)id;
    (void)op;
    (void)err;
    return HR_OK;
}

static const HP_THeader http_headers[] = {{"Content-Type", "text/plain"}};
static const char http_body[] = "Hello, world!";

static HttpParseResult on_http_message_complete(HP_Object sender, HP_CONNID id) {
    return HP_HttpServer_SendResponse(sender, id, 200, "OK", http_headers, 1,
                                      (const BYTE *)http_body, (int)(sizeof http_body - 1))
               ? HPR_OK
               : HPR_ERROR;
}

/* ---- WebSocket ---- */

static uint32_t rol32(uint32_t x, int n) { return (x << n) | (x >> (32 - n)); }

/* SHA-1 (FIPS 180-4) of a short message, for Sec-WebSocket-Accept. */
static void sha1(const BYTE *msg, size_t len, BYTE out[20]) {
    uint32_t h[5] = {0x67452301u, 0xEFCDAB89u, 0x98BADCFEu, 0x10325476u, 0xC3D2E1F0u};
    size_t total = ((len + 8) / 64 + 1) * 64;
    BYTE *buf = calloc(1, total);
    if (buf == NULL)
        abort();
    memcpy(buf, msg, len);
    buf[len] = 0x80;
    for (int i = 0; i < 8; i++)
        buf[total - 1 - (size_t)i] = (BYTE)((uint64_t)len * 8 >> (8 * i));
    for (size_t off = 0; off < total; off += 64) {
        uint32_t w[80], a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
        for (int i = 0; i < 16; i++) {
            const BYTE *q = buf + off + 4 * (size_t)i;
            w[i] = (uint32_t)q[0] << 24 | (uint32_t)q[1] << 16 | (uint32_t)q[2] << 8 | q[3];
        }
        for (int i = 16; i < 80; i++)
            w[i] = rol32(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
        for (int i = 0; i < 80; i++) {
            uint32_t f = i < 20   ? (b & c) | (~b & d)
                         : i < 40 ? b ^ c ^ d
                         : i < 60 ? (b & c) | (b & d) | (c & d)
                                  : b ^ c ^ d;
            uint32_t k = i < 20 ? 0x5A827999u : i < 40 ? 0x6ED9EBA1u : i < 60 ? 0x8F1BBCDCu : 0xCA62C1D6u;
            uint32_t t = rol32(a, 5) + f + e + k + w[i];
            e = d;
            d = c;
            c = rol32(b, 30);
            b = a;
            a = t;
        }
        h[0] += a;
        h[1] += b;
        h[2] += c;
        h[3] += d;
        h[4] += e;
    }
    free(buf);
    for (int i = 0; i < 20; i++)
        out[i] = (BYTE)(h[i / 4] >> (24 - 8 * (i % 4)));
}

/* The Sec-WebSocket-Accept answering `key` (Base64 of the SHA-1 of key + GUID) into `out`. */
static void ws_accept(const char *key, char out[32]) {
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char joined[160];
    BYTE d[21] = {0};
    snprintf(joined, sizeof joined, "%.100s258EAFA5-E914-47DA-95CA-C5AB0DC85B11", key);
    sha1((const BYTE *)joined, strlen(joined), d);
    /* 20 bytes: six groups of three, then two bytes and one '=' (d[20] is the zero pad). */
    int o = 0;
    for (int i = 0; i < 21; i += 3) {
        uint32_t v = (uint32_t)d[i] << 16 | (uint32_t)d[i + 1] << 8 | d[i + 2];
        out[o++] = b64[v >> 18 & 63];
        out[o++] = b64[v >> 12 & 63];
        out[o++] = b64[v >> 6 & 63];
        out[o++] = i + 2 < 20 ? b64[v & 63] : '=';
    }
    out[o] = '\0';
}

/* One connection's frame in progress (its extra value). */
typedef struct {
    BOOL fin;
    BYTE rsv, op;
    size_t len;
    BYTE *data;
} WsFrame;

#define WS_MAX_FRAME (1024 * 1024)

static WsFrame *ws_frame_of(HP_Object s, HP_CONNID id) {
    void *extra = NULL;
    HP_Server_GetConnectionExtra(s, id, &extra);
    return extra;
}

static HttpParseResult on_ws_upgrade(HP_Object s, HP_CONNID id, UpgradeType type) {
    const char *key = NULL;
    char accept[32];
    if (type != HUT_WEB_SOCKET || !HP_HttpServer_GetHeader(s, id, "Sec-WebSocket-Key", &key) ||
        key == NULL)
        return HPR_ERROR;
    ws_accept(key, accept);
    WsFrame *f = calloc(1, sizeof *f);
    if (f == NULL)
        return HPR_ERROR;
    HP_Server_SetConnectionExtra(s, id, f);
    const HP_THeader h[] = {
        {"Upgrade", "websocket"}, {"Connection", "Upgrade"}, {"Sec-WebSocket-Accept", accept}};
    return HP_HttpServer_SendResponse(s, id, 101, "Switching Protocols", h, 3, NULL, 0) ? HPR_OK
                                                                                       : HPR_ERROR;
}

static HttpParseResult on_ws_message_complete(HP_Object s, HP_CONNID id) {
    if (!HP_HttpServer_IsUpgrade(s, id)) {
        HP_HttpServer_SendResponse(s, id, 426, "Upgrade Required", NULL, 0, NULL, 0);
        HP_HttpServer_Release(s, id);
    }
    return HPR_OK;
}

static HandleResult on_ws_header(HP_Object s, HP_CONNID id, BOOL fin, BYTE rsv, BYTE op,
                                 const BYTE *mask, ULONGLONG len) {
    (void)mask;
    WsFrame *f = ws_frame_of(s, id);
    if (f == NULL || len > WS_MAX_FRAME)
        return HR_ERROR;
    free(f->data);
    f->data = malloc(len > 0 ? (size_t)len : 1);
    if (f->data == NULL)
        return HR_ERROR;
    f->fin = fin;
    f->rsv = rsv;
    f->op = op;
    f->len = 0;
    return HR_OK;
}

static HandleResult on_ws_body(HP_Object s, HP_CONNID id, const BYTE *data, int len) {
    WsFrame *f = ws_frame_of(s, id);
    if (f == NULL || f->data == NULL)
        return HR_ERROR;
    memcpy(f->data + f->len, data, (size_t)len); /* the header announced the length */
    f->len += (size_t)len;
    return HR_OK;
}

static HandleResult on_ws_complete(HP_Object s, HP_CONNID id) {
    WsFrame *f = ws_frame_of(s, id);
    if (f == NULL)
        return HR_ERROR;
    /* No mask: the library leaves f->data as it is. */
    if (!HP_HttpServer_SendWSMessage(s, id, f->fin, f->rsv, f->op, NULL, f->data, (int)f->len, 0))
        return HR_ERROR;
    if (f->op == 0x8)
        HP_Server_Disconnect(s, id, 1);
    return HR_OK;
}

static HandleResult on_ws_close(HP_Object s, HP_CONNID id, int op, int err) {
    (void)op;
    (void)err;
    WsFrame *f = ws_frame_of(s, id);
    if (f != NULL) {
        free(f->data);
        free(f);
        HP_Server_SetConnectionExtra(s, id, NULL);
    }
    return HR_OK;
}

/* Blocks until stdin reaches EOF (unless ignored) or a termination signal arrives. The
 * signals were blocked in every thread before the library started its own threads. */
static void wait_for_end(int sfd, int watch_stdin) {
    BYTE sink[4096];
    for (;;) {
        struct pollfd p[2] = {{.fd = sfd, .events = POLLIN}, {.fd = 0, .events = POLLIN}};
        int n = poll(p, watch_stdin ? 2 : 1, -1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            perror("hp_pack_peer: poll");
            return;
        }
        if (p[0].revents)
            return; /* a signal */
        if (watch_stdin && p[1].revents) {
            ssize_t r = read(0, sink, sizeof sink);
            if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN))
                return; /* stdin closed */
        }
    }
}

/* The server kinds: plain TCP, PACK, UDP, HTTP, WebSocket (over HTTP). */
enum { PUSH = 0, PACK = 1, UDP = 2, HTTP = 3, WS = 4 };

static int run_server(int pack, int watch_stdin, unsigned flag, unsigned max, unsigned workers,
                      unsigned buf) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    int sfd = signalfd(-1, &set, SFD_CLOEXEC);
    if (sfd < 0) {
        perror("hp_pack_peer: signalfd");
        return 1;
    }

    int http = pack == HTTP || pack == WS;
    HP_Object listener = http           ? Create_HP_HttpServerListener()
                         : pack == UDP  ? Create_HP_UdpServerListener()
                         : pack == PACK ? Create_HP_TcpPackServerListener()
                                        : Create_HP_TcpServerListener();
    HP_Object server = http           ? Create_HP_HttpServer(listener)
                       : pack == UDP  ? Create_HP_UdpServer(listener)
                       : pack == PACK ? Create_HP_TcpPackServer(listener)
                                      : Create_HP_TcpServer(listener);
    if (pack == HTTP) {
        HP_Set_FN_HttpServer_OnMessageComplete(listener, on_http_message_complete);
    } else if (pack == WS) {
        HP_Set_FN_HttpServer_OnUpgrade(listener, on_ws_upgrade);
        HP_Set_FN_HttpServer_OnMessageComplete(listener, on_ws_message_complete);
        HP_Set_FN_HttpServer_OnWSMessageHeader(listener, on_ws_header);
        HP_Set_FN_HttpServer_OnWSMessageBody(listener, on_ws_body);
        HP_Set_FN_HttpServer_OnWSMessageComplete(listener, on_ws_complete);
        HP_Set_FN_HttpServer_OnClose(listener, on_ws_close);
    } else {
        HP_Set_FN_Server_OnReceive(listener, on_server_receive);
        HP_Set_FN_Server_OnClose(listener, on_server_close);
    }
    HP_Server_SetWorkerThreadCount(server, workers);
    if (buf > 0 && pack != UDP)
        HP_TcpServer_SetSocketBufferSize(server, buf);
    if (pack == PACK) {
        HP_TcpPackServer_SetMaxPackSize(server, max);
        HP_TcpPackServer_SetPackHeaderFlag(server, (USHORT)flag);
    }
    if (!HP_Server_Start(server, "127.0.0.1", 0)) {
        fprintf(stderr, "hp_pack_peer: HP_Server_Start failed: %d (%s), errno %d\n",
                HP_Server_GetLastError(server), HP_Server_GetLastErrorDesc(server),
                SYS_GetLastError());
        return 1;
    }
    char addr[64];
    int addr_len = (int)sizeof addr;
    USHORT port = 0;
    if (!HP_Server_GetListenAddress(server, addr, &addr_len, &port)) {
        fprintf(stderr, "hp_pack_peer: HP_Server_GetListenAddress failed\n");
        return 1;
    }
    printf("READY %u\n", (unsigned)port);
    fflush(stdout);

    wait_for_end(sfd, watch_stdin);

    /* Never hang on the way out: if Stop does not return within 10 s, SIGALRM (default
     * action) ends the process. */
    alarm(10);
    HP_Server_Stop(server);
    if (http) {
        Destroy_HP_HttpServer(server);
        Destroy_HP_HttpServerListener(listener);
    } else if (pack == UDP) {
        Destroy_HP_UdpServer(server);
        Destroy_HP_UdpServerListener(listener);
    } else if (pack == PACK) {
        Destroy_HP_TcpPackServer(server);
        Destroy_HP_TcpPackServerListener(listener);
    } else {
        Destroy_HP_TcpServer(server);
        Destroy_HP_TcpServerListener(listener);
    }
    return 0;
}

/* ---- client ---- */

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cv = PTHREAD_COND_INITIALIZER;
static BYTE *g_got = NULL;     /* the last packet received, owned by the waiter once set */
static size_t g_got_len = 0;
static int g_got_ready = 0;
static int g_extra = 0;        /* packets received while none was expected */
static int g_closed = 0;
static int g_close_op = 0, g_close_err = 0;

static HandleResult on_client_receive(HP_Object sender, HP_CONNID id, const BYTE *data, int len) {
    (void)sender;
    (void)id;
    BYTE *copy = malloc(len > 0 ? (size_t)len : 1);
    if (copy == NULL)
        return HR_ERROR;
    memcpy(copy, data, (size_t)len);
    pthread_mutex_lock(&g_mu);
    if (g_got_ready) {
        g_extra++;
        free(copy);
    } else {
        g_got = copy;
        g_got_len = (size_t)len;
        g_got_ready = 1;
    }
    pthread_cond_broadcast(&g_cv);
    pthread_mutex_unlock(&g_mu);
    return HR_OK;
}

static HandleResult on_client_close(HP_Object sender, HP_CONNID id, int op, int err) {
    (void)sender;
    (void)id;
    pthread_mutex_lock(&g_mu);
    g_closed = 1;
    g_close_op = op;
    g_close_err = err;
    pthread_cond_broadcast(&g_cv);
    pthread_mutex_unlock(&g_mu);
    return HR_OK;
}

static void on_alarm(int sig) {
    (void)sig;
    static const char msg[] = "FAIL timeout\n";
    ssize_t r = write(1, msg, sizeof msg - 1);
    (void)r;
    _exit(1);
}

static int run_client(int argc, char **argv) {
    if (argc < 4)
        usage();
    unsigned port = (unsigned)parse_num(argv[0], "PORT");
    unsigned flag = (unsigned)parse_num(argv[1], "FLAG");
    unsigned max = (unsigned)parse_num(argv[2], "MAXSIZE");
    int count = argc - 3;
    size_t *sizes = calloc((size_t)count, sizeof *sizes);
    for (int k = 0; k < count; k++)
        sizes[k] = parse_num(argv[3 + k], "SIZE");

    unsigned timeout = 20;
    const char *t = getenv("HP_PEER_TIMEOUT");
    if (t != NULL && *t != '\0')
        timeout = (unsigned)parse_num(t, "HP_PEER_TIMEOUT");
    signal(SIGALRM, on_alarm);
    alarm(timeout);

    HP_Object listener = Create_HP_TcpPackClientListener();
    HP_Object client = Create_HP_TcpPackClient(listener);
    HP_Set_FN_Client_OnReceive(listener, on_client_receive);
    HP_Set_FN_Client_OnClose(listener, on_client_close);
    HP_TcpPackClient_SetMaxPackSize(client, max);
    HP_TcpPackClient_SetPackHeaderFlag(client, (USHORT)flag);
    if (!HP_Client_Start(client, "127.0.0.1", (USHORT)port, 0)) {
        printf("FAIL connect: HP_Client_Start error %d (%s), errno %d\n",
               HP_Client_GetLastError(client), HP_Client_GetLastErrorDesc(client),
               SYS_GetLastError());
        return 1;
    }

    int ok = 0;
    char reason[256] = "";
    for (int k = 0; k < count && reason[0] == '\0'; k++) {
        size_t n = sizes[k];
        BYTE *body = malloc(n > 0 ? n : 1);
        for (size_t i = 0; i < n; i++)
            body[i] = pattern_byte(i, (size_t)k);
        if (!HP_Client_Send(client, body, (int)n)) {
            snprintf(reason, sizeof reason, "send of packet %d (%zu bytes) refused, errno %d", k,
                     n, SYS_GetLastError());
            free(body);
            break;
        }
        pthread_mutex_lock(&g_mu);
        while (!g_got_ready && !g_closed)
            pthread_cond_wait(&g_cv, &g_mu);
        BYTE *got = g_got;
        size_t got_len = g_got_len;
        int have = g_got_ready;
        g_got = NULL;
        g_got_ready = 0;
        int closed = g_closed, cop = g_close_op, cerr = g_close_err;
        pthread_mutex_unlock(&g_mu);
        if (!have) {
            snprintf(reason, sizeof reason,
                     "closed before echo of packet %d (%zu bytes): op %d err %d", k, n, cop, cerr);
        } else if (got_len != n) {
            snprintf(reason, sizeof reason, "packet %d: sent %zu bytes, echo has %zu", k, n,
                     got_len);
        } else if (n > 0 && memcmp(got, body, n) != 0) {
            size_t at = 0;
            while (got[at] == body[at])
                at++;
            snprintf(reason, sizeof reason,
                     "packet %d (%zu bytes): first wrong byte at %zu: got 0x%02x, want 0x%02x", k,
                     n, at, got[at], body[at]);
        } else {
            ok++;
        }
        (void)closed;
        free(got);
        free(body);
    }
    pthread_mutex_lock(&g_mu);
    int extra = g_extra;
    pthread_mutex_unlock(&g_mu);
    if (reason[0] == '\0' && extra > 0)
        snprintf(reason, sizeof reason, "%d unexpected extra packets", extra);

    HP_Client_Stop(client);
    Destroy_HP_TcpPackClient(client);
    Destroy_HP_TcpPackClientListener(listener);
    if (reason[0] != '\0') {
        printf("FAIL %s (%d ok)\n", reason, ok);
        fflush(stdout);
        return 1;
    }
    printf("OK %d\n", ok);
    fflush(stdout);
    return 0;
}

/* ---- WebSocket client ---- */

static const char ws_key[] = "dGhlIHNhbXBsZSBub25jZQ==";
static int g_ws_upgraded = 0, g_ws_complete = 0, g_ws_bad = 0;
static BYTE g_ws_op = 0;
static int g_ws_masked = 0;
static BYTE *g_ws_echo = NULL;
static size_t g_ws_len = 0, g_ws_announced = 0;

static HttpParseResult on_wsc_upgrade(HP_Object c, HP_CONNID id, UpgradeType type) {
    (void)id;
    const char *got = NULL;
    char want[32];
    ws_accept(ws_key, want);
    int ok = type == HUT_WEB_SOCKET && HP_HttpClient_GetStatusCode(c) == 101 &&
             HP_HttpClient_GetHeader(c, "Sec-WebSocket-Accept", &got) && got != NULL &&
             strcmp(got, want) == 0;
    pthread_mutex_lock(&g_mu);
    if (ok)
        g_ws_upgraded = 1;
    else
        g_ws_bad = 1;
    pthread_cond_broadcast(&g_cv);
    pthread_mutex_unlock(&g_mu);
    return ok ? HPR_OK : HPR_ERROR;
}

static HandleResult on_wsc_header(HP_Object c, HP_CONNID id, BOOL fin, BYTE rsv, BYTE op,
                                  const BYTE *mask, ULONGLONG len) {
    (void)c;
    (void)id;
    (void)rsv;
    pthread_mutex_lock(&g_mu);
    g_ws_op = op;
    g_ws_masked = mask != NULL; /* 5.2.1 passes NULL for an unmasked frame */
    g_ws_announced = (size_t)len;
    g_ws_len = 0;
    int bad = !fin || len > WS_MAX_FRAME;
    if (bad)
        g_ws_bad = 1;
    pthread_mutex_unlock(&g_mu);
    return bad ? HR_ERROR : HR_OK;
}

static HandleResult on_wsc_body(HP_Object c, HP_CONNID id, const BYTE *data, int len) {
    (void)c;
    (void)id;
    pthread_mutex_lock(&g_mu);
    int bad = g_ws_len + (size_t)len > g_ws_announced;
    if (bad)
        g_ws_bad = 1;
    else {
        memcpy(g_ws_echo + g_ws_len, data, (size_t)len);
        g_ws_len += (size_t)len;
    }
    pthread_mutex_unlock(&g_mu);
    return bad ? HR_ERROR : HR_OK;
}

static HandleResult on_wsc_complete(HP_Object c, HP_CONNID id) {
    (void)c;
    (void)id;
    pthread_mutex_lock(&g_mu);
    g_ws_complete = 1;
    pthread_cond_broadcast(&g_cv);
    pthread_mutex_unlock(&g_mu);
    return HR_OK;
}

/* Waits (under the alarm) until *flag, a bad event or the close; whether *flag came. */
static int ws_wait(const int *flag) {
    pthread_mutex_lock(&g_mu);
    while (!*flag && !g_ws_bad && !g_closed)
        pthread_cond_wait(&g_cv, &g_mu);
    int ok = *flag && !g_ws_bad;
    pthread_mutex_unlock(&g_mu);
    return ok;
}

static int run_ws_client(int argc, char **argv) {
    if (argc != 2)
        usage();
    unsigned port = (unsigned)parse_num(argv[0], "PORT");
    int count = (int)parse_num(argv[1], "COUNT");
    static const size_t sizes[] = {0, 1, 125, 126, 4000, 65535, 65536, 70001};
    static const BYTE key[4] = {0x37, 0xFA, 0x21, 0x3D};

    unsigned timeout = 20;
    const char *t = getenv("HP_PEER_TIMEOUT");
    if (t != NULL && *t != '\0')
        timeout = (unsigned)parse_num(t, "HP_PEER_TIMEOUT");
    signal(SIGALRM, on_alarm);
    alarm(timeout);

    g_ws_echo = malloc(WS_MAX_FRAME);
    BYTE *body = malloc(WS_MAX_FRAME), *copy = malloc(WS_MAX_FRAME);
    HP_Object listener = Create_HP_HttpClientListener();
    HP_Object client = Create_HP_HttpClient(listener);
    HP_Set_FN_HttpClient_OnUpgrade(listener, on_wsc_upgrade);
    HP_Set_FN_HttpClient_OnWSMessageHeader(listener, on_wsc_header);
    HP_Set_FN_HttpClient_OnWSMessageBody(listener, on_wsc_body);
    HP_Set_FN_HttpClient_OnWSMessageComplete(listener, on_wsc_complete);
    HP_Set_FN_HttpClient_OnClose(listener, on_client_close);
    if (!HP_Client_Start(client, "127.0.0.1", (USHORT)port, 0)) {
        printf("FAIL connect: HP_Client_Start error %d (%s), errno %d\n",
               HP_Client_GetLastError(client), HP_Client_GetLastErrorDesc(client),
               SYS_GetLastError());
        return 1;
    }
    char reason[256] = "";
    int ok = 0;
    const HP_THeader h[] = {{"Upgrade", "websocket"},
                            {"Connection", "Upgrade"},
                            {"Sec-WebSocket-Key", ws_key},
                            {"Sec-WebSocket-Version", "13"}};
    if (!HP_HttpClient_SendRequest(client, "GET", "/echo", h, 4, NULL, 0) ||
        !ws_wait(&g_ws_upgraded))
        snprintf(reason, sizeof reason, "no upgrade (101 with the right accept key)");

    /* count frames, then the close frame. */
    for (int k = 0; k <= count && reason[0] == '\0'; k++) {
        int closing = k == count;
        BYTE op = closing ? 0x8 : (k % 2 ? 0x2 : 0x1);
        size_t n = closing ? 2 : sizes[k % (int)(sizeof sizes / sizeof sizes[0])];
        for (size_t i = 0; i < n; i++)
            body[i] = closing ? (i == 0 ? 0x03 : 0xE8)
                      : op == 0x1 ? (BYTE)('a' + (i + (size_t)k) % 26)
                                  : pattern_byte(i, (size_t)k);
        memcpy(copy, body, n); /* 5.2 masks the buffer it is given in place */
        pthread_mutex_lock(&g_mu);
        g_ws_complete = 0;
        pthread_mutex_unlock(&g_mu);
        if (!HP_HttpClient_SendWSMessage(client, 1, 0, op, key, copy, (int)n, 0)) {
            snprintf(reason, sizeof reason, "send of frame %d (%zu bytes) refused, errno %d", k, n,
                     SYS_GetLastError());
            break;
        }
        if (!ws_wait(&g_ws_complete)) {
            snprintf(reason, sizeof reason, "no echo of frame %d (%zu bytes)", k, n);
            break;
        }
        pthread_mutex_lock(&g_mu);
        if (g_ws_op != op || g_ws_masked || g_ws_len != n || memcmp(g_ws_echo, body, n) != 0)
            snprintf(reason, sizeof reason, "frame %d: echo opcode %u, %s, %zu of %zu bytes%s", k,
                     (unsigned)g_ws_op, g_ws_masked ? "masked" : "unmasked", g_ws_len, n,
                     g_ws_len == n ? ", bytes differ" : "");
        else if (!closing)
            ok++;
        pthread_mutex_unlock(&g_mu);
    }
    if (reason[0] == '\0' && !ws_wait(&g_closed))
        snprintf(reason, sizeof reason, "not closed after the close frame");

    HP_Client_Stop(client);
    Destroy_HP_HttpClient(client);
    Destroy_HP_HttpClientListener(listener);
    if (reason[0] != '\0') {
        printf("FAIL %s (%d ok)\n", reason, ok);
        fflush(stdout);
        return 1;
    }
    printf("OK %d\n", ok);
    fflush(stdout);
    return 0;
}

int main(int argc, char **argv) {
    signal(SIGPIPE, SIG_IGN);
    int watch_stdin = 1;
    int a = 1;
    if (a < argc && strcmp(argv[a], "--no-stdin") == 0) {
        watch_stdin = 0;
        a++;
    }
    if (a >= argc)
        usage();
    const char *mode = argv[a++];
    int rest = argc - a;
    char **r = argv + a;
    if (strcmp(mode, "server") == 0) {
        if (rest < 2 || rest > 4)
            usage();
        unsigned flag = (unsigned)parse_num(r[0], "FLAG");
        unsigned max = (unsigned)parse_num(r[1], "MAXSIZE");
        unsigned buf = rest > 2 ? (unsigned)parse_num(r[2], "BUF") : 0;
        unsigned workers = rest > 3 ? (unsigned)parse_num(r[3], "WORKERS") : 1;
        return run_server(PACK, watch_stdin, flag, max, workers, buf);
    }
    if (strcmp(mode, "push-server") == 0) {
        if (rest > 2)
            usage();
        unsigned buf = rest > 0 ? (unsigned)parse_num(r[0], "BUF") : 0;
        unsigned workers = rest > 1 ? (unsigned)parse_num(r[1], "WORKERS") : 1;
        return run_server(PUSH, watch_stdin, 0, 0, workers, buf);
    }
    if (strcmp(mode, "udp-server") == 0) {
        if (rest > 1)
            usage();
        unsigned workers = rest > 0 ? (unsigned)parse_num(r[0], "WORKERS") : 1;
        return run_server(UDP, watch_stdin, 0, 0, workers, 0);
    }
    if (strcmp(mode, "http-server") == 0) {
        if (rest > 2)
            usage();
        unsigned buf = rest > 0 ? (unsigned)parse_num(r[0], "BUF") : 0;
        unsigned workers = rest > 1 ? (unsigned)parse_num(r[1], "WORKERS") : 1;
        return run_server(HTTP, watch_stdin, 0, 0, workers, buf);
    }
    if (strcmp(mode, "ws-echo-server") == 0) {
        if (rest > 1)
            usage();
        unsigned workers = rest > 0 ? (unsigned)parse_num(r[0], "WORKERS") : 1;
        return run_server(WS, watch_stdin, 0, 0, workers, 0);
    }
    if (strcmp(mode, "client") == 0)
        return run_client(rest, r);
    if (strcmp(mode, "ws-client") == 0)
        return run_ws_client(rest, r);
    usage();
    return 2;
}
