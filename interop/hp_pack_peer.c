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
            "       hp_pack_peer client PORT FLAG MAXSIZE SIZE...\n");
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

/* The server kinds: plain TCP, PACK, UDP, HTTP. */
enum { PUSH = 0, PACK = 1, UDP = 2, HTTP = 3 };

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

    HP_Object listener = pack == HTTP   ? Create_HP_HttpServerListener()
                         : pack == UDP  ? Create_HP_UdpServerListener()
                         : pack == PACK ? Create_HP_TcpPackServerListener()
                                        : Create_HP_TcpServerListener();
    HP_Object server = pack == HTTP   ? Create_HP_HttpServer(listener)
                       : pack == UDP  ? Create_HP_UdpServer(listener)
                       : pack == PACK ? Create_HP_TcpPackServer(listener)
                                      : Create_HP_TcpServer(listener);
    if (pack == HTTP) {
        HP_Set_FN_HttpServer_OnMessageComplete(listener, on_http_message_complete);
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
    if (pack == HTTP) {
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
    if (strcmp(mode, "client") == 0)
        return run_client(rest, r);
    usage();
    return 2;
}
