/*
 * echo_server.c: a TCP PUSH echo server written against HP-Socket's 4C C API
 * (hpsocket4c/include/HPSocket4C.h, linked with -lhpsocket4c).
 *
 *   echo_server [port [bind-address]]
 *
 * Port 0 (the default) picks a free port; the bind address defaults to 127.0.0.1. Once
 * listening it prints "READY <port>" on its own line. Every byte received is sent back on the
 * same connection. It stops when its standard input reaches end of file (or on SIGINT /
 * SIGTERM), then prints "STOPPED connections=<n> bytes=<n> shutdown=<0|1>" and exits 0 if the
 * server shut down cleanly.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "HPSocket4C.h"

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long g_connections;
static unsigned long long g_bytes;
static int g_shutdown;

static En_HP_HandleResult __HP_CALL on_accept(HP_Server sender, HP_CONNID id, UINT_PTR client)
{
    (void)sender;
    (void)id;
    (void)client;
    pthread_mutex_lock(&g_lock);
    g_connections++;
    pthread_mutex_unlock(&g_lock);
    return HR_OK;
}

static En_HP_HandleResult __HP_CALL on_receive(HP_Server sender, HP_CONNID id, const BYTE* data, int length)
{
    if (!HP_Server_Send(sender, id, data, length)) {
        fprintf(stderr, "echo_server: send on connection %lu failed: %s\n", (unsigned long)id,
                SYS_GetLastErrorStr());
        return HR_ERROR;
    }
    pthread_mutex_lock(&g_lock);
    g_bytes += (unsigned long long)length;
    pthread_mutex_unlock(&g_lock);
    return HR_OK;
}

static En_HP_HandleResult __HP_CALL on_close(HP_Server sender, HP_CONNID id, En_HP_SocketOperation op, int error)
{
    (void)sender;
    if (error != 0)
        fprintf(stderr, "echo_server: connection %lu closed (operation %d, error %d)\n",
                (unsigned long)id, (int)op, error);
    return HR_OK;
}

static En_HP_HandleResult __HP_CALL on_shutdown(HP_Server sender)
{
    (void)sender;
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
    const char* bind_address = argc > 2 ? argv[2] : "127.0.0.1";
    HP_TcpServerListener listener;
    HP_TcpServer server;
    TCHAR address[64];
    int address_len = (int)sizeof(address);
    USHORT listen_port = 0;
    char buf[256];
    struct sigaction sa;
    int ok;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal; /* no SA_RESTART: read() returns EINTR */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    listener = Create_HP_TcpServerListener();
    server = Create_HP_TcpServer(listener);
    if (!listener || !server) {
        fprintf(stderr, "echo_server: cannot create the server (errno %u)\n", SYS_GetLastError());
        return 1;
    }
    HP_Set_FN_Server_OnAccept(listener, on_accept);
    HP_Set_FN_Server_OnReceive(listener, on_receive);
    HP_Set_FN_Server_OnClose(listener, on_close);
    HP_Set_FN_Server_OnShutdown(listener, on_shutdown);

    if (!HP_Server_Start(server, bind_address, port)) {
        fprintf(stderr, "echo_server: start failed: %s (errno %u: %s)\n",
                HP_Server_GetLastErrorDesc(server), SYS_GetLastError(), SYS_GetLastErrorStr());
        Destroy_HP_TcpServer(server);
        Destroy_HP_TcpServerListener(listener);
        return 1;
    }
    if (!HP_Server_GetListenAddress(server, address, &address_len, &listen_port)) {
        fprintf(stderr, "echo_server: cannot read the listen address\n");
        return 1;
    }
    printf("READY %u\n", (unsigned)listen_port);
    fflush(stdout);
    fprintf(stderr, "echo_server: listening on %s:%u\n", address, (unsigned)listen_port);

    /* Serve until stdin is closed (or a signal interrupts the read). */
    while (read(STDIN_FILENO, buf, sizeof(buf)) > 0) {
    }

    ok = HP_Server_Stop(server);
    pthread_mutex_lock(&g_lock);
    printf("STOPPED connections=%lu bytes=%llu shutdown=%d\n", g_connections, g_bytes, g_shutdown);
    ok = ok && g_shutdown && HP_Server_GetState(server) == SS_STOPPED;
    pthread_mutex_unlock(&g_lock);
    fflush(stdout);

    Destroy_HP_TcpServer(server);
    Destroy_HP_TcpServerListener(listener);
    return ok ? 0 : 1;
}
