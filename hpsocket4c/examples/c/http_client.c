/*
 * http_client.c: an HTTP client written against HP-Socket's 4C C API
 * (hpsocket4c/include/HPSocket4C.h, linked with -lhpsocket4c). It uses only functions that
 * HP-Socket 5.2.1 has too, so it builds and runs on the original library as well.
 *
 *   http_client host port count
 *
 * Connects (synchronously) and sends `count` requests one after the other on the same
 * keep-alive connection, cycling through GET /get?i=<n>, POST /post (body "data-<n>") and
 * HEAD /head, each with "X-Tag: t<n>" and "Cookie: a=<n>". Each response must be 200 with the
 * X-Tag echoed, a Content-Length, and (but for HEAD) a body starting "<METHOD> <path> "; the
 * getters (GetStatusCode, GetHeader, GetContentLength) are read in OnHeadersComplete. Prints
 * "OK <count> responses" and exits 0, or prints the first problem to stderr and exits 1. Each
 * response is waited for at most 10 s.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "HPSocket4C.h"

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cond = PTHREAD_COND_INITIALIZER;
static int g_done;   /* a response completed */
static int g_closed; /* the connection closed */
static char g_body[8192];
static size_t g_body_len;
static USHORT g_status;
static char g_tag[64];
static ULONGLONG g_length;

static En_HP_HttpParseResult __HP_CALL on_body(HP_HttpClient c, HP_CONNID id, const BYTE* data, int length)
{
    size_t n = (size_t)length;
    (void)c;
    (void)id;
    pthread_mutex_lock(&g_lock);
    if (n > sizeof(g_body) - g_body_len)
        n = sizeof(g_body) - g_body_len;
    memcpy(g_body + g_body_len, data, n);
    g_body_len += n;
    pthread_mutex_unlock(&g_lock);
    return HPR_OK;
}

/* The head's getters are read when the head is complete: HP-Socket's GetContentLength is the
 * parser's count of body bytes still to come, 0 by the time the message is complete. */
static En_HP_HttpParseResult __HP_CALL on_headers_complete(HP_HttpClient c, HP_CONNID id)
{
    LPCSTR tag = NULL;
    (void)id;
    pthread_mutex_lock(&g_lock);
    g_status = HP_HttpClient_GetStatusCode(c);
    g_length = HP_HttpClient_GetContentLength(c);
    if (HP_HttpClient_GetHeader(c, "X-Tag", &tag) && tag)
        snprintf(g_tag, sizeof(g_tag), "%s", tag);
    else
        g_tag[0] = 0;
    pthread_mutex_unlock(&g_lock);
    return HPR_OK;
}

static En_HP_HttpParseResult __HP_CALL on_message_complete(HP_HttpClient c, HP_CONNID id)
{
    (void)c;
    (void)id;
    pthread_mutex_lock(&g_lock);
    g_done = 1;
    pthread_cond_broadcast(&g_cond);
    pthread_mutex_unlock(&g_lock);
    return HPR_OK;
}

static En_HP_HandleResult __HP_CALL on_close(HP_HttpClient c, HP_CONNID id, En_HP_SocketOperation op, int error)
{
    (void)c;
    (void)id;
    pthread_mutex_lock(&g_lock);
    g_closed = 1;
    pthread_cond_broadcast(&g_cond);
    pthread_mutex_unlock(&g_lock);
    if (error != 0)
        fprintf(stderr, "http_client: connection closed (operation %d, error %d)\n", (int)op, error);
    return HR_OK;
}

/* Waits for the current response; 0 when it came. */
static int wait_response(void)
{
    struct timespec until;
    int rc = 0;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 10;
    pthread_mutex_lock(&g_lock);
    while (!g_done && !g_closed && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&g_cond, &g_lock, &until);
    rc = g_done ? 0 : -1;
    pthread_mutex_unlock(&g_lock);
    return rc;
}

int main(int argc, char** argv)
{
    const char* host;
    USHORT port;
    int count, i, failed = 0;
    HP_HttpClientListener listener;
    HP_HttpClient client;

    if (argc != 4) {
        fprintf(stderr, "usage: http_client host port count\n");
        return 2;
    }
    host = argv[1];
    port = (USHORT)atoi(argv[2]);
    count = atoi(argv[3]);

    listener = Create_HP_HttpClientListener();
    client = Create_HP_HttpClient(listener);
    HP_Set_FN_HttpClient_OnHeadersComplete(listener, on_headers_complete);
    HP_Set_FN_HttpClient_OnBody(listener, on_body);
    HP_Set_FN_HttpClient_OnMessageComplete(listener, on_message_complete);
    HP_Set_FN_HttpClient_OnClose(listener, on_close);
    if (!HP_Client_Start(client, host, port, FALSE)) {
        fprintf(stderr, "http_client: cannot connect to %s:%u (errno %u)\n", host, (unsigned)port,
                SYS_GetLastError());
        return 1;
    }

    for (i = 0; i < count && !failed; i++) {
        static const char* methods[] = {"GET", "POST", "HEAD"};
        const char* method = methods[i % 3];
        char path[64], tag[32], cookie[32], body[32], want[128];
        HP_THeader headers[2];
        int body_len = 0, ok;

        if (i % 3 == 0)
            snprintf(path, sizeof(path), "/get?i=%d", i);
        else
            snprintf(path, sizeof(path), "%s", i % 3 == 1 ? "/post" : "/head");
        snprintf(tag, sizeof(tag), "t%d", i);
        snprintf(cookie, sizeof(cookie), "a=%d", i);
        headers[0].name = "X-Tag";
        headers[0].value = tag;
        headers[1].name = "Cookie";
        headers[1].value = cookie;
        if (i % 3 == 1)
            body_len = snprintf(body, sizeof(body), "data-%d", i);

        pthread_mutex_lock(&g_lock);
        g_done = 0;
        g_body_len = 0;
        pthread_mutex_unlock(&g_lock);
        ok = HP_HttpClient_SendRequest(client, method, path, headers, 2, body_len ? (const BYTE*)body : NULL,
                                       body_len);
        if (!ok || wait_response() != 0) {
            fprintf(stderr, "http_client: request %d (%s %s): %s\n", i, method, path,
                    ok ? "no response" : "send failed");
            failed = 1;
            break;
        }
        /* The path as the server sees it: without the query. */
        snprintf(want, sizeof(want), "%s %s ", method, i % 3 == 0 ? "/get" : path);
        pthread_mutex_lock(&g_lock);
        if (g_status != 200 || strcmp(g_tag, tag) != 0 || g_length == 0) {
            fprintf(stderr, "http_client: request %d: status %u, X-Tag %s, length %llu\n", i,
                    (unsigned)g_status, g_tag, (unsigned long long)g_length);
            failed = 1;
        } else if (i % 3 == 2 ? g_body_len != 0
                              : (g_body_len != g_length || g_body_len < strlen(want)
                                 || memcmp(g_body, want, strlen(want)) != 0)) {
            fprintf(stderr, "http_client: request %d: body %.*s (length %llu)\n", i, (int)g_body_len,
                    g_body, (unsigned long long)g_length);
            failed = 1;
        }
        pthread_mutex_unlock(&g_lock);
    }

    HP_Client_Stop(client);
    Destroy_HP_HttpClient(client);
    Destroy_HP_HttpClientListener(listener);
    if (failed)
        return 1;
    printf("OK %d responses\n", count);
    return 0;
}
