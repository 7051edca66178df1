/*
 * http_server.c: an HTTP server written against HP-Socket's 4C C API
 * (hpsocket4c/include/HPSocket4C.h, linked with -lhpsocket4c). It uses only functions that
 * HP-Socket 5.2.1 has too, so it builds and runs on the original library as well.
 *
 *   http_server [port]
 *
 * Port 0 (the default) picks a free port on 127.0.0.1. Once listening it prints
 * "READY <port>". Every request is answered "200 OK", Content-Type text/plain, with the body
 * "<METHOD> <path> <request body>" (HEAD: the headers only), the request's X-Tag header
 * echoed and a "Set-Cookie: seen=<n>" giving the number of requests so far. For each request
 * it prints "REQUEST <method> <path> query=<query> tag=<X-Tag> cookie=<cookie a> len=<n>
 * keepalive=<0|1>", read with the getters inside the callbacks. A request that does not keep
 * the connection alive is released after the answer. A malformed request prints
 * "PARSE_ERROR <code> <description>". It stops when its standard input reaches end of file
 * (or on SIGINT / SIGTERM), then prints "STOPPED requests=<n> parse_errors=<n> shutdown=<0|1>"
 * and exits 0 if the server shut down cleanly.
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "HPSocket4C.h"

#define MAX_BODY 4096

/* A request's body, kept as the connection's extra value. */
typedef struct {
    size_t len;
    char data[MAX_BODY];
} Body;

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long g_requests;
static unsigned long g_parse_errors;
static int g_shutdown;

static const char* or_dash(LPCSTR s)
{
    return (s && *s) ? s : "-";
}

static Body* body_of(HP_HttpServer s, HP_CONNID id)
{
    PVOID extra = NULL;
    HP_Server_GetConnectionExtra(s, id, &extra);
    return (Body*)extra;
}

static En_HP_HandleResult __HP_CALL on_accept(HP_HttpServer s, HP_CONNID id, UINT_PTR client)
{
    Body* b = (Body*)calloc(1, sizeof(Body));
    (void)client;
    if (!b)
        return HR_ERROR;
    HP_Server_SetConnectionExtra(s, id, b);
    return HR_OK;
}

static En_HP_HttpParseResult __HP_CALL on_message_begin(HP_HttpServer s, HP_CONNID id)
{
    Body* b = body_of(s, id);
    if (b)
        b->len = 0;
    return HPR_OK;
}

static En_HP_HttpParseResult __HP_CALL on_headers_complete(HP_HttpServer s, HP_CONNID id)
{
    LPCSTR tag = NULL, cookie = NULL;
    HP_HttpServer_GetHeader(s, id, "X-Tag", &tag);
    HP_HttpServer_GetCookie(s, id, "a", &cookie);
    printf("REQUEST %s %s query=%s tag=%s cookie=%s len=%llu keepalive=%d\n",
           HP_HttpServer_GetMethod(s, id), HP_HttpServer_GetUrlField(s, id, HUF_PATH),
           or_dash(HP_HttpServer_GetUrlField(s, id, HUF_QUERY)), or_dash(tag), or_dash(cookie),
           (unsigned long long)HP_HttpServer_GetContentLength(s, id),
           HP_HttpServer_IsKeepAlive(s, id) ? 1 : 0);
    fflush(stdout);
    return HPR_OK;
}

static En_HP_HttpParseResult __HP_CALL on_body(HP_HttpServer s, HP_CONNID id, const BYTE* data, int length)
{
    Body* b = body_of(s, id);
    size_t n = (size_t)length;
    if (!b)
        return HPR_ERROR;
    if (n > MAX_BODY - b->len)
        n = MAX_BODY - b->len; /* an example: longer bodies are cut */
    memcpy(b->data + b->len, data, n);
    b->len += n;
    return HPR_OK;
}

static En_HP_HttpParseResult __HP_CALL on_message_complete(HP_HttpServer s, HP_CONNID id)
{
    static char out[MAX_BODY + 512];
    static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
    Body* b = body_of(s, id);
    LPCSTR method = HP_HttpServer_GetMethod(s, id);
    LPCSTR tag = NULL;
    char cookie[32], length[32];
    unsigned long n;
    int len, ok, head = strcmp(method, "HEAD") == 0;
    HP_THeader headers[4];

    pthread_mutex_lock(&g_lock);
    n = ++g_requests;
    pthread_mutex_unlock(&g_lock);
    if (!HP_HttpServer_GetHeader(s, id, "X-Tag", &tag))
        tag = "none";

    pthread_mutex_lock(&out_lock);
    len = snprintf(out, sizeof(out), "%s %s ", method, HP_HttpServer_GetUrlField(s, id, HUF_PATH));
    if (b && len >= 0 && (size_t)len + b->len < sizeof(out)) {
        memcpy(out + len, b->data, b->len);
        len += (int)b->len;
    }
    snprintf(cookie, sizeof(cookie), "seen=%lu", n);
    snprintf(length, sizeof(length), "%d", len);
    headers[0].name = "Content-Type";
    headers[0].value = "text/plain";
    headers[1].name = "X-Tag";
    headers[1].value = tag;
    headers[2].name = "Set-Cookie";
    headers[2].value = cookie;
    headers[3].name = "Content-Length";
    headers[3].value = length;
    ok = HP_HttpServer_SendResponse(s, id, 200, NULL, headers, 4, head ? NULL : (const BYTE*)out,
                                    head ? 0 : len);
    pthread_mutex_unlock(&out_lock);
    if (!ok) {
        fprintf(stderr, "http_server: SendResponse failed: %s\n", SYS_GetLastErrorStr());
        return HPR_ERROR;
    }
    if (!HP_HttpServer_IsKeepAlive(s, id))
        HP_HttpServer_Release(s, id);
    return HPR_OK;
}

static En_HP_HttpParseResult __HP_CALL on_parse_error(HP_HttpServer s, HP_CONNID id, int code, LPCSTR desc)
{
    (void)s;
    (void)id;
    pthread_mutex_lock(&g_lock);
    g_parse_errors++;
    pthread_mutex_unlock(&g_lock);
    printf("PARSE_ERROR %d %s\n", code, desc ? desc : "");
    fflush(stdout);
    return HPR_OK;
}

static En_HP_HandleResult __HP_CALL on_close(HP_HttpServer s, HP_CONNID id, En_HP_SocketOperation op, int error)
{
    free(body_of(s, id));
    HP_Server_SetConnectionExtra(s, id, NULL);
    (void)op;
    (void)error;
    return HR_OK;
}

static En_HP_HandleResult __HP_CALL on_shutdown(HP_HttpServer s)
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

int main(int argc, char** argv)
{
    USHORT port = (USHORT)(argc > 1 ? atoi(argv[1]) : 0);
    HP_HttpServerListener listener;
    HP_HttpServer server;
    TCHAR address[64];
    int address_len = (int)sizeof(address);
    USHORT listen_port = 0;
    char buf[256];
    struct sigaction sa;
    int ok;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    listener = Create_HP_HttpServerListener();
    server = Create_HP_HttpServer(listener);
    if (!listener || !server) {
        fprintf(stderr, "http_server: cannot create the server (errno %u)\n", SYS_GetLastError());
        return 1;
    }
    HP_Set_FN_HttpServer_OnAccept(listener, on_accept);
    HP_Set_FN_HttpServer_OnMessageBegin(listener, on_message_begin);
    HP_Set_FN_HttpServer_OnHeadersComplete(listener, on_headers_complete);
    HP_Set_FN_HttpServer_OnBody(listener, on_body);
    HP_Set_FN_HttpServer_OnMessageComplete(listener, on_message_complete);
    HP_Set_FN_HttpServer_OnParseError(listener, on_parse_error);
    HP_Set_FN_HttpServer_OnClose(listener, on_close);
    HP_Set_FN_HttpServer_OnShutdown(listener, on_shutdown);

    if (!HP_Server_Start(server, "127.0.0.1", port)
        || !HP_Server_GetListenAddress(server, address, &address_len, &listen_port)) {
        fprintf(stderr, "http_server: start failed: %s (errno %u)\n",
                HP_Server_GetLastErrorDesc(server), SYS_GetLastError());
        Destroy_HP_HttpServer(server);
        Destroy_HP_HttpServerListener(listener);
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
    printf("STOPPED requests=%lu parse_errors=%lu shutdown=%d\n", g_requests, g_parse_errors, g_shutdown);
    pthread_mutex_unlock(&g_lock);
    fflush(stdout);
    return ok ? 0 : 1;
}
