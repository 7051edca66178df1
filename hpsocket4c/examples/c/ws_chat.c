/*
 * ws_chat.c: a WebSocket server and client on OUR extension of the 4C API
 * (hpsocket4c/include/HPSocket4C-WS.h, not part of HP-Socket; linked with -lhpsocket4c): the
 * library runs the handshake, joins fragments, answers pings and the close handshake, and
 * hands over whole messages. Compare ws_echo.c, which does all of that by hand on
 * HP-Socket's frame-level API.
 *
 *   ws_chat server [port]
 *       Port 0 (the default) picks a free port on 127.0.0.1; once listening it prints
 *       "READY <port>". It speaks the subprotocol "chat" and permessage-deflate, echoes every
 *       message (text as text, binary as binary) to the connection it came from, and answers
 *       plain HTTP requests with a one-line page (200). It stops when its standard input
 *       reaches end of file (or on SIGINT / SIGTERM), prints
 *       "STOPPED opens=<n> messages=<n> closes=<n> pages=<n> shutdown=<0|1>" (closes: close
 *       frames received, with code 1000) and exits 0 if it shut down cleanly.
 *
 *   ws_chat client host port count
 *       Connects to ws://host:port/chat?name=c99, offering "chat" and permessage-deflate,
 *       checks in OnWsOpen that the server picked "chat" (HP_HttpClient_GetHeader on the 101),
 *       then sends `count` messages one after the other, alternating text and binary of
 *       varied sizes (0 to 70,001 bytes), each checked against its echo byte for byte, and a
 *       ping whose pong must carry its payload. Then it closes with 1000 "bye" and waits for
 *       the server's answering close (OnWsClose, code 1000) and OnClose. Prints
 *       "OK <count> messages" and exits 0, or prints the first problem to stderr and exits 1.
 *       Each answer is waited for at most 10 s.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "HPSocket4C-WS.h"

#define MAX_MESSAGE (1024 * 1024)

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cond = PTHREAD_COND_INITIALIZER;

/* ---- server ---- */

static unsigned long g_opens, g_messages, g_closes, g_pages;
static int g_shutdown;

static void bump(unsigned long* n)
{
    pthread_mutex_lock(&g_lock);
    (*n)++;
    pthread_mutex_unlock(&g_lock);
}

static En_HP_HandleResult __HP_CALL srv_open(HP_Object s, HP_CONNID id)
{
    /* The request's path, read with the HTTP getters. */
    LPCSTR path = HP_HttpServer_GetUrlField(s, id, HUF_PATH);
    if (!path || strcmp(path, "/chat") != 0)
        return HR_ERROR;
    bump(&g_opens);
    return HR_OK;
}

static En_HP_HandleResult __HP_CALL srv_message(HP_Object s, HP_CONNID id, BOOL text, const BYTE* data, int length)
{
    BOOL ok = text ? HPX_WsServer_SendText(s, id, (LPCSTR)data, length) : HPX_WsServer_SendBinary(s, id, data, length);
    if (!ok) {
        fprintf(stderr, "ws_chat: echo failed: %s\n", SYS_GetLastErrorStr());
        return HR_ERROR;
    }
    bump(&g_messages);
    return HR_OK;
}

static En_HP_HandleResult __HP_CALL srv_ws_close(HP_Object s, HP_CONNID id, int code, LPCSTR reason)
{
    (void)s;
    (void)id;
    (void)reason;
    if (code == 1000)
        bump(&g_closes);
    return HR_OK;
}

static En_HP_HttpParseResult __HP_CALL srv_page(HP_HttpServer s, HP_CONNID id)
{
    static const char page[] = "ws_chat: connect a WebSocket to /chat\n";
    HP_THeader type = {"Content-Type", "text/plain"};
    HP_HttpServer_SendResponse(s, id, 200, NULL, &type, 1, (const BYTE*)page, (int)sizeof(page) - 1);
    if (!HP_HttpServer_IsKeepAlive(s, id))
        HP_HttpServer_Release(s, id);
    bump(&g_pages);
    return HPR_OK;
}

static En_HP_HandleResult __HP_CALL srv_shutdown(HP_Server s)
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
    HPX_WsListener listener = Create_HPX_WsListener();
    HPX_WsServer server;
    TCHAR address[64];
    int address_len = (int)sizeof(address), ok;
    USHORT listen_port = 0;
    char buf[256];
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    HPX_Set_FN_Ws_OnWsOpen(listener, srv_open);
    HPX_Set_FN_Ws_OnWsMessage(listener, srv_message);
    HPX_Set_FN_Ws_OnWsClose(listener, srv_ws_close);
    HPX_Set_FN_WsServer_OnMessageComplete(listener, srv_page);
    HPX_Set_FN_WsServer_OnShutdown(listener, srv_shutdown);
    server = Create_HPX_WsServer(listener);
    if (!server || !HPX_WsServer_SetProtocols(server, "chat") || !HPX_WsServer_SetDeflate(server, TRUE)
        || !HPX_WsServer_SetMaxMessageSize(server, MAX_MESSAGE) || !HP_Server_Start(server, "127.0.0.1", port)
        || !HP_Server_GetListenAddress(server, address, &address_len, &listen_port)) {
        fprintf(stderr, "ws_chat: start failed: %s (errno %u)\n", SYS_GetLastErrorStr(), SYS_GetLastError());
        return 1;
    }
    printf("READY %u\n", (unsigned)listen_port);
    fflush(stdout);

    while (read(STDIN_FILENO, buf, sizeof(buf)) > 0) {
    }

    HP_Server_Stop(server);
    Destroy_HPX_WsServer(server);
    Destroy_HPX_WsListener(listener);
    pthread_mutex_lock(&g_lock);
    ok = g_shutdown;
    printf("STOPPED opens=%lu messages=%lu closes=%lu pages=%lu shutdown=%d\n", g_opens, g_messages, g_closes,
           g_pages, g_shutdown);
    pthread_mutex_unlock(&g_lock);
    fflush(stdout);
    return ok ? 0 : 1;
}

/* ---- client ---- */

static int g_open, g_echoed, g_ponged, g_ws_closed, g_closed;
static int g_close_code;
static char g_problem[256];
/* The last echo. */
static BOOL g_text;
static BYTE* g_echo;
static int g_echo_len;

static void problem(const char* what)
{
    pthread_mutex_lock(&g_lock);
    if (!g_problem[0])
        snprintf(g_problem, sizeof(g_problem), "%s", what);
    pthread_cond_broadcast(&g_cond);
    pthread_mutex_unlock(&g_lock);
}

static void set(int* flag)
{
    pthread_mutex_lock(&g_lock);
    *flag = 1;
    pthread_cond_broadcast(&g_cond);
    pthread_mutex_unlock(&g_lock);
}

static En_HP_HandleResult __HP_CALL cli_open(HP_Object c, HP_CONNID id)
{
    LPCSTR protocol = NULL;
    (void)id;
    if (HP_HttpClient_GetStatusCode(c) != 101 || !HP_HttpClient_GetHeader(c, "Sec-WebSocket-Protocol", &protocol)
        || strcmp(protocol, "chat") != 0) {
        problem("the server did not agree on the subprotocol \"chat\"");
        return HR_ERROR;
    }
    set(&g_open);
    return HR_OK;
}

static En_HP_HandleResult __HP_CALL cli_message(HP_Object c, HP_CONNID id, BOOL text, const BYTE* data, int length)
{
    (void)c;
    (void)id;
    if (length > MAX_MESSAGE) {
        problem("an echo longer than any message sent");
        return HR_ERROR;
    }
    pthread_mutex_lock(&g_lock);
    g_text = text;
    if (length > 0)
        memcpy(g_echo, data, (size_t)length);
    g_echo_len = length;
    g_echoed = 1;
    pthread_cond_broadcast(&g_cond);
    pthread_mutex_unlock(&g_lock);
    return HR_OK;
}

static En_HP_HandleResult __HP_CALL cli_pong(HP_Object c, HP_CONNID id, const BYTE* data, int length)
{
    (void)c;
    (void)id;
    if (length != 4 || memcmp(data, "ping", 4) != 0) {
        problem("a pong without the ping's payload");
        return HR_ERROR;
    }
    set(&g_ponged);
    return HR_OK;
}

static En_HP_HandleResult __HP_CALL cli_ws_close(HP_Object c, HP_CONNID id, int code, LPCSTR reason)
{
    (void)c;
    (void)id;
    (void)reason;
    pthread_mutex_lock(&g_lock);
    g_close_code = code;
    pthread_mutex_unlock(&g_lock);
    set(&g_ws_closed);
    return HR_OK;
}

static En_HP_HandleResult __HP_CALL cli_close(HP_Client c, HP_CONNID id, En_HP_SocketOperation op, int error)
{
    (void)c;
    (void)id;
    (void)op;
    (void)error;
    set(&g_closed);
    return HR_OK;
}

/* Waits until *flag is set (0), or a problem is reported, the connection closes before it
 * (unless the flag is g_closed itself) or 10 s pass (-1). */
static int wait_for(int* flag)
{
    struct timespec until;
    int rc = 0, ok;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 10;
    pthread_mutex_lock(&g_lock);
    while (!*flag && !g_closed && !g_problem[0] && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&g_cond, &g_lock, &until);
    ok = *flag && !g_problem[0];
    *flag = flag == &g_closed; /* consumed, except the final close */
    pthread_mutex_unlock(&g_lock);
    return ok ? 0 : -1;
}

/* Message k: letters for text, a byte pattern for binary. */
static void fill(BYTE* p, int n, int k, BOOL text)
{
    int i;
    for (i = 0; i < n; i++)
        p[i] = text ? (BYTE)('a' + (i + k) % 26) : (BYTE)((i * 31 + k * 7) & 0xFF);
}

static int fail(const char* what, int k)
{
    fprintf(stderr, "ws_chat: message %d: %s%s%s\n", k, what, g_problem[0] ? ": " : "", g_problem);
    return 1;
}

static int conversation(HPX_WsClient client, int count, BYTE* message)
{
    static const int sizes[] = {0, 1, 125, 126, 4000, 65535, 65536, 70001};
    int k;
    if (wait_for(&g_open) != 0)
        return fail("no WebSocket", -1);
    for (k = 0; k < count; k++) {
        BOOL text = k % 2 == 0, ok;
        int n = sizes[k % (int)(sizeof(sizes) / sizeof(sizes[0]))];
        fill(message, n, k, text);
        ok = text ? HPX_WsClient_SendText(client, (LPCSTR)message, n) : HPX_WsClient_SendBinary(client, message, n);
        if (!ok)
            return fail(SYS_GetLastErrorStr(), k);
        if (wait_for(&g_echoed) != 0)
            return fail("no echo", k);
        pthread_mutex_lock(&g_lock);
        ok = g_text == text && g_echo_len == n && (n == 0 || memcmp(g_echo, message, (size_t)n) == 0);
        pthread_mutex_unlock(&g_lock);
        if (!ok)
            return fail("the echo differs", k);
    }
    if (!HPX_WsClient_SendPing(client, (const BYTE*)"ping", 4) || wait_for(&g_ponged) != 0)
        return fail("no pong", count);
    if (!HPX_WsClient_Close(client, 1000, "bye"))
        return fail(SYS_GetLastErrorStr(), count);
    /* Nothing may be sent after our close. */
    if (HPX_WsClient_SendText(client, "late", -1) || SYS_GetLastError() != EPERM)
        return fail("a message was accepted after the close", count);
    if (wait_for(&g_ws_closed) != 0 || g_close_code != 1000)
        return fail("the server did not answer the close with 1000", count);
    if (wait_for(&g_closed) != 0)
        return fail("the connection did not close", count);
    return 0;
}

static int run_client(const char* host, USHORT port, int count)
{
    HPX_WsListener listener = Create_HPX_WsListener();
    HPX_WsClient client;
    BYTE* message = (BYTE*)malloc(MAX_MESSAGE);
    int failed;

    g_echo = (BYTE*)malloc(MAX_MESSAGE);
    if (!message || !g_echo)
        return 1;
    HPX_Set_FN_Ws_OnWsOpen(listener, cli_open);
    HPX_Set_FN_Ws_OnWsMessage(listener, cli_message);
    HPX_Set_FN_Ws_OnWsPong(listener, cli_pong);
    HPX_Set_FN_Ws_OnWsClose(listener, cli_ws_close);
    HPX_Set_FN_WsClient_OnClose(listener, cli_close);
    client = Create_HPX_WsClient(listener);
    if (!client || !HPX_WsClient_SetPath(client, "/chat?name=c99") || !HPX_WsClient_SetProtocols(client, "chat")
        || !HPX_WsClient_SetDeflate(client, TRUE) || !HP_Client_Start(client, host, port, FALSE)) {
        fprintf(stderr, "ws_chat: cannot connect to %s:%u (errno %u)\n", host, (unsigned)port, SYS_GetLastError());
        return 1;
    }
    failed = conversation(client, count, message);

    HP_Client_Stop(client);
    Destroy_HPX_WsClient(client);
    Destroy_HPX_WsListener(listener);
    free(message);
    free(g_echo);
    if (failed)
        return 1;
    printf("OK %d messages\n", count);
    return 0;
}

int main(int argc, char** argv)
{
    if (argc >= 2 && strcmp(argv[1], "server") == 0 && argc <= 3)
        return run_server((USHORT)(argc == 3 ? atoi(argv[2]) : 0));
    if (argc == 5 && strcmp(argv[1], "client") == 0)
        return run_client(argv[2], (USHORT)atoi(argv[3]), atoi(argv[4]));
    fprintf(stderr, "usage: ws_chat server [port]\n       ws_chat client host port count\n");
    return 2;
}
