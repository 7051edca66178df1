/*
 * ws_echo.c: a WebSocket echo server and client written against HP-Socket's 4C C API
 * (hpsocket4c/include/HPSocket4C.h, linked with -lhpsocket4c), with the frame-level WebSocket
 * functions of HP-Socket 5.8 (OnWSMessageHeader / Body / Complete, SendWSMessage,
 * GetWSMessageState).
 *
 *   ws_echo server [port]
 *       Port 0 (the default) picks a free port on 127.0.0.1; once listening it prints
 *       "READY <port>". An upgrade request is answered "101 Switching Protocols" with the
 *       Sec-WebSocket-Accept computed here (SHA-1 below, Base64 by SYS_Base64Encode); any
 *       other request gets 426. Every frame is echoed with the same FIN, reserved bits and
 *       opcode; a close frame (0x8) is echoed, then the connection closed. It stops when its
 *       standard input reaches end of file (or on SIGINT / SIGTERM), prints
 *       "STOPPED upgrades=<n> frames=<n> shutdown=<0|1>" and exits 0 if it shut down cleanly.
 *
 *   ws_echo client host port count
 *       Connects, sends the upgrade request, checks the 101 and its Sec-WebSocket-Accept, then
 *       sends `count` frames one after the other, cycling through sizes 0 to 70,001 bytes
 *       (text frames of letters, binary frames of a pattern), every other one with a NULL mask
 *       (the library draws a random key) and the rest with a chosen key. Each echo must come
 *       back unmasked, with the same opcode and every byte equal; GetWSMessageState is checked
 *       inside OnWSMessageBody (FIN, reserved bits, opcode, no mask, length, bytes remaining).
 *       Then a close frame, whose echo must come back before the server closes. Prints
 *       "OK <count> frames" and exits 0, or prints the first problem to stderr and exits 1.
 *       Each echo is waited for at most 10 s.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "HPSocket4C.h"

#define MAX_FRAME (1024 * 1024)

/* ---- Sec-WebSocket-Accept: Base64(SHA-1(key + GUID)) ---- */

static uint32_t rol(uint32_t x, int n)
{
    return (x << n) | (x >> (32 - n));
}

/* SHA-1 (FIPS 180-4) of a short message (below 2^29 bytes). */
static void sha1(const unsigned char* msg, size_t len, unsigned char out[20])
{
    uint32_t h[5] = {0x67452301u, 0xEFCDAB89u, 0x98BADCFEu, 0x10325476u, 0xC3D2E1F0u};
    size_t total = ((len + 8) / 64 + 1) * 64, off, i;
    unsigned char* buf = (unsigned char*)calloc(1, total);
    uint64_t bits = (uint64_t)len * 8;
    if (!buf)
        abort();
    memcpy(buf, msg, len);
    buf[len] = 0x80;
    for (i = 0; i < 8; i++)
        buf[total - 1 - i] = (unsigned char)(bits >> (8 * i));
    for (off = 0; off < total; off += 64) {
        uint32_t w[80], a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f, k, t;
        for (i = 0; i < 16; i++)
            w[i] = (uint32_t)buf[off + 4 * i] << 24 | (uint32_t)buf[off + 4 * i + 1] << 16
                   | (uint32_t)buf[off + 4 * i + 2] << 8 | buf[off + 4 * i + 3];
        for (i = 16; i < 80; i++)
            w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
        for (i = 0; i < 80; i++) {
            if (i < 20) {
                f = (b & c) | (~b & d);
                k = 0x5A827999u;
            } else if (i < 40) {
                f = b ^ c ^ d;
                k = 0x6ED9EBA1u;
            } else if (i < 60) {
                f = (b & c) | (b & d) | (c & d);
                k = 0x8F1BBCDCu;
            } else {
                f = b ^ c ^ d;
                k = 0xCA62C1D6u;
            }
            t = rol(a, 5) + f + e + k + w[i];
            e = d;
            d = c;
            c = rol(b, 30);
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
    for (i = 0; i < 20; i++)
        out[i] = (unsigned char)(h[i / 4] >> (24 - 8 * (i % 4)));
}

/* The Sec-WebSocket-Accept answering `key` into `out` (at least 29 bytes); 0 on success. */
static int accept_key(const char* key, char* out, DWORD size)
{
    static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    char joined[128];
    unsigned char digest[20];
    DWORD n = size - 1;
    if (strlen(key) + sizeof(guid) > sizeof(joined))
        return -1;
    snprintf(joined, sizeof(joined), "%s%s", key, guid);
    sha1((const unsigned char*)joined, strlen(joined), digest);
    if (SYS_Base64Encode(digest, 20, (BYTE*)out, &n) != 0)
        return -1;
    out[n] = 0;
    return 0;
}

/* ---- server ---- */

/* One connection's frame in progress, kept as its extra value. */
typedef struct {
    BOOL fin;
    BYTE rsv, op;
    size_t len;
    BYTE* data;
} Frame;

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long g_upgrades, g_frames;
static int g_shutdown;

static Frame* frame_of(HP_HttpServer s, HP_CONNID id)
{
    PVOID extra = NULL;
    HP_Server_GetConnectionExtra(s, id, &extra);
    return (Frame*)extra;
}

static En_HP_HttpParseResult __HP_CALL srv_upgrade(HP_HttpServer s, HP_CONNID id, En_HP_HttpUpgradeType type)
{
    LPCSTR key = NULL;
    char accept[64];
    HP_THeader headers[3];
    Frame* f;
    if (type != HUT_WEB_SOCKET || !HP_HttpServer_GetHeader(s, id, "Sec-WebSocket-Key", &key)
        || accept_key(key, accept, sizeof(accept)) != 0)
        return HPR_ERROR;
    f = (Frame*)calloc(1, sizeof(Frame));
    if (!f)
        return HPR_ERROR;
    HP_Server_SetConnectionExtra(s, id, f);
    headers[0].name = "Upgrade";
    headers[0].value = "websocket";
    headers[1].name = "Connection";
    headers[1].value = "Upgrade";
    headers[2].name = "Sec-WebSocket-Accept";
    headers[2].value = accept;
    if (!HP_HttpServer_SendResponse(s, id, HSC_SWITCHING_PROTOCOLS, NULL, headers, 3, NULL, 0))
        return HPR_ERROR;
    pthread_mutex_lock(&g_lock);
    g_upgrades++;
    pthread_mutex_unlock(&g_lock);
    return HPR_OK;
}

static En_HP_HttpParseResult __HP_CALL srv_message_complete(HP_HttpServer s, HP_CONNID id)
{
    if (!HP_HttpServer_IsUpgrade(s, id)) {
        static const char body[] = "WebSocket only";
        HP_HttpServer_SendResponse(s, id, 426, NULL, NULL, 0, (const BYTE*)body, (int)sizeof(body) - 1);
        HP_HttpServer_Release(s, id);
    }
    return HPR_OK;
}

static En_HP_HandleResult __HP_CALL srv_ws_header(HP_HttpServer s, HP_CONNID id, BOOL fin, BYTE rsv, BYTE op,
                                                  const BYTE mask[4], ULONGLONG len)
{
    Frame* f = frame_of(s, id);
    if (!f || len > MAX_FRAME || !mask) /* a client's frames are masked */
        return HR_ERROR;
    free(f->data);
    f->data = (BYTE*)malloc(len ? (size_t)len : 1);
    if (!f->data)
        return HR_ERROR;
    f->fin = fin;
    f->rsv = rsv;
    f->op = op;
    f->len = 0;
    return HR_OK;
}

static En_HP_HandleResult __HP_CALL srv_ws_body(HP_HttpServer s, HP_CONNID id, const BYTE* data, int length)
{
    Frame* f = frame_of(s, id);
    if (!f || !f->data)
        return HR_ERROR;
    memcpy(f->data + f->len, data, (size_t)length); /* the header announced the length */
    f->len += (size_t)length;
    return HR_OK;
}

static En_HP_HandleResult __HP_CALL srv_ws_complete(HP_HttpServer s, HP_CONNID id)
{
    Frame* f = frame_of(s, id);
    if (!f)
        return HR_ERROR;
    if (!HP_HttpServer_SendWSMessage(s, id, f->fin, f->rsv, f->op, f->data, (int)f->len, 0)) {
        fprintf(stderr, "ws_echo: SendWSMessage failed: %s\n", SYS_GetLastErrorStr());
        return HR_ERROR;
    }
    pthread_mutex_lock(&g_lock);
    g_frames++;
    pthread_mutex_unlock(&g_lock);
    if (f->op == 0x8)
        HP_Server_Disconnect(s, id, TRUE);
    return HR_OK;
}

static En_HP_HandleResult __HP_CALL srv_close(HP_HttpServer s, HP_CONNID id, En_HP_SocketOperation op, int error)
{
    Frame* f = frame_of(s, id);
    (void)op;
    (void)error;
    if (f) {
        free(f->data);
        free(f);
        HP_Server_SetConnectionExtra(s, id, NULL);
    }
    return HR_OK;
}

static En_HP_HandleResult __HP_CALL srv_shutdown(HP_HttpServer s)
{
    (void)s;
    pthread_mutex_lock(&g_lock);
    g_shutdown = 1;
    pthread_mutex_unlock(&g_lock);
    return HR_OK;
}

static void on_signal(int sig)
{
    (void)sig; /* only interrupts the read() below */
}

static int run_server(USHORT port)
{
    HP_HttpServerListener listener = Create_HP_HttpServerListener();
    HP_HttpServer server = Create_HP_HttpServer(listener);
    TCHAR address[64];
    int address_len = (int)sizeof(address), ok;
    USHORT listen_port = 0;
    char buf[256];
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    HP_Set_FN_HttpServer_OnUpgrade(listener, srv_upgrade);
    HP_Set_FN_HttpServer_OnMessageComplete(listener, srv_message_complete);
    HP_Set_FN_HttpServer_OnWSMessageHeader(listener, srv_ws_header);
    HP_Set_FN_HttpServer_OnWSMessageBody(listener, srv_ws_body);
    HP_Set_FN_HttpServer_OnWSMessageComplete(listener, srv_ws_complete);
    HP_Set_FN_HttpServer_OnClose(listener, srv_close);
    HP_Set_FN_HttpServer_OnShutdown(listener, srv_shutdown);
    if (!HP_Server_Start(server, "127.0.0.1", port)
        || !HP_Server_GetListenAddress(server, address, &address_len, &listen_port)) {
        fprintf(stderr, "ws_echo: start failed: %s (errno %u)\n", HP_Server_GetLastErrorDesc(server),
                SYS_GetLastError());
        return 1;
    }
    printf("READY %u\n", (unsigned)listen_port);
    fflush(stdout);

    while (read(STDIN_FILENO, buf, sizeof(buf)) > 0) {
    }

    HP_Server_Stop(server);
    Destroy_HP_HttpServer(server);
    Destroy_HP_HttpServerListener(listener);
    pthread_mutex_lock(&g_lock);
    ok = g_shutdown;
    printf("STOPPED upgrades=%lu frames=%lu shutdown=%d\n", g_upgrades, g_frames, g_shutdown);
    pthread_mutex_unlock(&g_lock);
    fflush(stdout);
    return ok ? 0 : 1;
}

/* ---- client ---- */

static pthread_cond_t g_cond = PTHREAD_COND_INITIALIZER;
static int g_upgraded, g_closed, g_complete;
static char g_problem[256];
/* The echo being received. */
static BYTE g_op;
static BOOL g_masked;
static ULONGLONG g_announced;
static BYTE* g_echo;
static size_t g_echo_len;

static void problem(const char* what)
{
    pthread_mutex_lock(&g_lock);
    if (!g_problem[0])
        snprintf(g_problem, sizeof(g_problem), "%s", what);
    pthread_cond_broadcast(&g_cond);
    pthread_mutex_unlock(&g_lock);
}

static const char g_key[] = "dGhlIHNhbXBsZSBub25jZQ==";

static En_HP_HttpParseResult __HP_CALL cli_upgrade(HP_HttpClient c, HP_CONNID id, En_HP_HttpUpgradeType type)
{
    LPCSTR got = NULL;
    char want[64];
    (void)id;
    if (type != HUT_WEB_SOCKET || HP_HttpClient_GetStatusCode(c) != 101
        || !HP_HttpClient_GetHeader(c, "Sec-WebSocket-Accept", &got) || accept_key(g_key, want, sizeof(want)) != 0
        || strcmp(got, want) != 0) {
        problem("the upgrade was not answered with 101 and the right Sec-WebSocket-Accept");
        return HPR_ERROR;
    }
    pthread_mutex_lock(&g_lock);
    g_upgraded = 1;
    pthread_cond_broadcast(&g_cond);
    pthread_mutex_unlock(&g_lock);
    return HPR_OK;
}

static En_HP_HandleResult __HP_CALL cli_ws_header(HP_HttpClient c, HP_CONNID id, BOOL fin, BYTE rsv, BYTE op,
                                                  const BYTE mask[4], ULONGLONG len)
{
    (void)c;
    (void)id;
    if (!fin || rsv != 0 || len > MAX_FRAME) {
        problem("an echo with an unexpected header");
        return HR_ERROR;
    }
    pthread_mutex_lock(&g_lock);
    g_op = op;
    g_masked = mask != NULL;
    g_announced = len;
    g_echo_len = 0;
    pthread_mutex_unlock(&g_lock);
    return HR_OK;
}

static En_HP_HandleResult __HP_CALL cli_ws_body(HP_HttpClient c, HP_CONNID id, const BYTE* data, int length)
{
    (void)id;
    pthread_mutex_lock(&g_lock);
    if (g_echo_len + (size_t)length > g_announced) {
        pthread_mutex_unlock(&g_lock);
        problem("more body than the header announced");
        return HR_ERROR;
    }
    memcpy(g_echo + g_echo_len, data, (size_t)length);
    g_echo_len += (size_t)length;
    if (g_echo_len == (size_t)length) {
        /* The first piece: the state of the frame being received. */
        BOOL fin = FALSE;
        BYTE rsv = 0xFF, op = 0xFF;
        const BYTE* mask = (const BYTE*)"x";
        ULONGLONG len = 0, remain = 0;
        if (!HP_HttpClient_GetWSMessageState(c, &fin, &rsv, &op, &mask, &len, &remain) || !fin || rsv != 0
            || op != g_op || mask != NULL || len != g_announced || remain != g_announced - g_echo_len) {
            pthread_mutex_unlock(&g_lock);
            problem("GetWSMessageState disagrees with the frame");
            return HR_ERROR;
        }
    }
    pthread_mutex_unlock(&g_lock);
    return HR_OK;
}

static En_HP_HandleResult __HP_CALL cli_ws_complete(HP_HttpClient c, HP_CONNID id)
{
    (void)c;
    (void)id;
    pthread_mutex_lock(&g_lock);
    g_complete = 1;
    pthread_cond_broadcast(&g_cond);
    pthread_mutex_unlock(&g_lock);
    return HR_OK;
}

static En_HP_HandleResult __HP_CALL cli_close(HP_HttpClient c, HP_CONNID id, En_HP_SocketOperation op, int error)
{
    (void)c;
    (void)id;
    (void)op;
    (void)error;
    pthread_mutex_lock(&g_lock);
    g_closed = 1;
    pthread_cond_broadcast(&g_cond);
    pthread_mutex_unlock(&g_lock);
    return HR_OK;
}

/* Waits until *flag is set (0), a problem is reported or the connection closes (-1), or 10 s
 * pass (-1). */
static int wait_for(const int* flag)
{
    struct timespec until;
    int rc = 0, ok;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 10;
    pthread_mutex_lock(&g_lock);
    while (!*flag && !g_closed && !g_problem[0] && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&g_cond, &g_lock, &until);
    ok = *flag && !g_problem[0];
    pthread_mutex_unlock(&g_lock);
    return ok ? 0 : -1;
}

/* Frame k's body: letters for a text frame, a byte pattern for a binary one. */
static void fill(BYTE* p, size_t n, int k, BYTE op)
{
    size_t i;
    for (i = 0; i < n; i++)
        p[i] = op == 0x1 ? (BYTE)('a' + (i + (size_t)k) % 26) : (BYTE)((i * 31 + (size_t)k * 7) & 0xFF);
}

static int run_client(const char* host, USHORT port, int count)
{
    static const size_t sizes[] = {0, 1, 125, 126, 4000, 65535, 65536, 70001};
    static const BYTE key[4] = {0x5A, 0xA5, 0x0F, 0xF0};
    HP_HttpClientListener listener = Create_HP_HttpClientListener();
    HP_HttpClient client = Create_HP_HttpClient(listener);
    HP_THeader headers[4];
    BYTE* frame = (BYTE*)malloc(MAX_FRAME);
    BYTE* want = (BYTE*)malloc(MAX_FRAME);
    int k, failed = 0;

    g_echo = (BYTE*)malloc(MAX_FRAME);
    if (!frame || !want || !g_echo)
        return 1;
    HP_Set_FN_HttpClient_OnUpgrade(listener, cli_upgrade);
    HP_Set_FN_HttpClient_OnWSMessageHeader(listener, cli_ws_header);
    HP_Set_FN_HttpClient_OnWSMessageBody(listener, cli_ws_body);
    HP_Set_FN_HttpClient_OnWSMessageComplete(listener, cli_ws_complete);
    HP_Set_FN_HttpClient_OnClose(listener, cli_close);
    if (!HP_Client_Start(client, host, port, FALSE)) {
        fprintf(stderr, "ws_echo: cannot connect to %s:%u (errno %u)\n", host, (unsigned)port, SYS_GetLastError());
        return 1;
    }
    headers[0].name = "Upgrade";
    headers[0].value = "websocket";
    headers[1].name = "Connection";
    headers[1].value = "Upgrade";
    headers[2].name = "Sec-WebSocket-Key";
    headers[2].value = g_key;
    headers[3].name = "Sec-WebSocket-Version";
    headers[3].value = "13";
    if (!HP_HttpClient_SendGet(client, "/echo", headers, 4) || wait_for(&g_upgraded) != 0) {
        fprintf(stderr, "ws_echo: no upgrade: %s\n", g_problem[0] ? g_problem : "no answer");
        failed = 1;
    }

    /* count frames, then the close frame. */
    for (k = 0; k <= count && !failed; k++) {
        int closing = k == count;
        BYTE op = closing ? 0x8 : (k % 2 ? 0x2 : 0x1);
        size_t n = closing ? 2 : sizes[k % (int)(sizeof(sizes) / sizeof(sizes[0]))];
        const BYTE* mask = k % 2 ? key : NULL;
        if (closing) {
            frame[0] = 0x03; /* 1000: normal closure */
            frame[1] = 0xE8;
        } else {
            fill(frame, n, k, op);
        }
        memcpy(want, frame, n);
        pthread_mutex_lock(&g_lock);
        g_complete = 0;
        pthread_mutex_unlock(&g_lock);
        if (!HP_HttpClient_SendWSMessage(client, TRUE, 0, op, mask, frame, (int)n, 0)) {
            fprintf(stderr, "ws_echo: frame %d: SendWSMessage failed: %s\n", k, SYS_GetLastErrorStr());
            failed = 1;
            break;
        }
        if (memcmp(frame, want, n) != 0) {
            fprintf(stderr, "ws_echo: frame %d: SendWSMessage wrote into the caller's buffer\n", k);
            failed = 1;
            break;
        }
        if (wait_for(&g_complete) != 0) {
            fprintf(stderr, "ws_echo: frame %d (%lu bytes): %s\n", k, (unsigned long)n,
                    g_problem[0] ? g_problem : "no echo");
            failed = 1;
            break;
        }
        pthread_mutex_lock(&g_lock);
        if (g_op != op || g_masked || g_echo_len != n || memcmp(g_echo, want, n) != 0) {
            fprintf(stderr, "ws_echo: frame %d: echo opcode %u, %s, %lu of %lu bytes, %s\n", k, (unsigned)g_op,
                    g_masked ? "masked" : "unmasked", (unsigned long)g_echo_len, (unsigned long)n,
                    g_echo_len == n && memcmp(g_echo, want, n) != 0 ? "bytes differ" : "");
            failed = 1;
        }
        pthread_mutex_unlock(&g_lock);
    }
    /* After the close frame's echo the server closes. */
    if (!failed && wait_for(&g_closed) != 0) {
        fprintf(stderr, "ws_echo: the server did not close after the close frame\n");
        failed = 1;
    }

    HP_Client_Stop(client);
    Destroy_HP_HttpClient(client);
    Destroy_HP_HttpClientListener(listener);
    free(frame);
    free(want);
    free(g_echo);
    if (failed)
        return 1;
    printf("OK %d frames\n", count);
    return 0;
}

int main(int argc, char** argv)
{
    if (argc >= 2 && strcmp(argv[1], "server") == 0 && argc <= 3)
        return run_server((USHORT)(argc == 3 ? atoi(argv[2]) : 0));
    if (argc == 5 && strcmp(argv[1], "client") == 0)
        return run_client(argv[2], (USHORT)atoi(argv[3]), atoi(argv[4]));
    fprintf(stderr, "usage: ws_echo server [port]\n       ws_echo client host port count\n");
    return 2;
}
