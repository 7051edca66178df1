/*
 * ssl_echo.c: an SSL echo server and an SSL client in one program, written against HP-Socket's
 * 4C SSL API (hpsocket4c/include/HPSocket4C-SSL.h, linked with -lhpsocket4c).
 *
 *   ssl_echo <mode> <dir> [count]
 *
 * <dir> holds PEM files: ca.pem (the CA), ca/ (a directory with the CA only), server.pem and
 * server.key (for localhost and 127.0.0.1), client.pem and client.key (a client certificate),
 * other.pem and other.key (for another host name), sni.pem and sni.key (for localhost).
 *
 * Modes:
 *   file        mutual TLS from files: the server requires a client certificate and checks it
 *               against the CA directory; the client checks the server against ca.pem.
 *   memory      the same from PEM text (the ...ByMemory functions); the client certificate is
 *               optional for the server.
 *   sni         the server's default certificate is for another host; AddSSLContext adds one
 *               for localhost and BindSSLServerName binds "localhost" to it. The client
 *               connects to "localhost" and verifies that name.
 *   sni-nobind  as sni without the binding: the client must refuse the default certificate.
 *
 * The server echoes; the client sends <count> messages (default 50) of 1 byte to about 70 KB
 * once its handshake is done and compares every echo byte for byte. Both sides check that
 * OnHandShake came before OnReceive. Prints "OK <mode> <count> messages <bytes> bytes" and
 * exits 0, or prints the failure and exits 1 ("HANDSHAKE FAILED ..." when the TLS handshake
 * did not complete). Every wait is bounded.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "HPSocket4C-SSL.h"

#define WAIT_SECONDS 10

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cond = PTHREAD_COND_INITIALIZER;

static int g_server_handshakes;
static int g_server_early_receive;

static int g_client_handshake;
static int g_client_early_receive;
static int g_client_closed;
static int g_client_close_op;
static int g_client_close_error;
static int g_out_of_memory;
static BYTE* g_received;
static size_t g_received_len;
static size_t g_received_cap;

/* ---- server callbacks ---- */

static En_HP_HandleResult __HP_CALL server_on_handshake(HP_Server sender, HP_CONNID id)
{
    (void)sender;
    (void)id;
    pthread_mutex_lock(&g_lock);
    g_server_handshakes++;
    pthread_mutex_unlock(&g_lock);
    return HR_OK;
}

static En_HP_HandleResult __HP_CALL server_on_receive(HP_Server sender, HP_CONNID id, const BYTE* data, int length)
{
    pthread_mutex_lock(&g_lock);
    if (g_server_handshakes == 0)
        g_server_early_receive = 1;
    pthread_mutex_unlock(&g_lock);
    return HP_Server_Send(sender, id, data, length) ? HR_OK : HR_ERROR;
}

/* ---- client callbacks ---- */

static En_HP_HandleResult __HP_CALL client_on_handshake(HP_Client sender, HP_CONNID id)
{
    (void)sender;
    (void)id;
    pthread_mutex_lock(&g_lock);
    g_client_handshake = 1;
    pthread_cond_broadcast(&g_cond);
    pthread_mutex_unlock(&g_lock);
    return HR_OK;
}

static En_HP_HandleResult __HP_CALL client_on_receive(HP_Client sender, HP_CONNID id, const BYTE* data, int length)
{
    (void)sender;
    (void)id;
    pthread_mutex_lock(&g_lock);
    if (!g_client_handshake)
        g_client_early_receive = 1;
    if (g_received_len + (size_t)length > g_received_cap) {
        size_t cap = g_received_cap ? g_received_cap : 65536;
        BYTE* p;
        while (cap < g_received_len + (size_t)length)
            cap *= 2;
        p = (BYTE*)realloc(g_received, cap);
        if (!p) {
            g_out_of_memory = 1;
            pthread_cond_broadcast(&g_cond);
            pthread_mutex_unlock(&g_lock);
            return HR_ERROR;
        }
        g_received = p;
        g_received_cap = cap;
    }
    memcpy(g_received + g_received_len, data, (size_t)length);
    g_received_len += (size_t)length;
    pthread_cond_broadcast(&g_cond);
    pthread_mutex_unlock(&g_lock);
    return HR_OK;
}

static En_HP_HandleResult __HP_CALL client_on_close(HP_Client sender, HP_CONNID id, En_HP_SocketOperation op, int error)
{
    (void)sender;
    (void)id;
    pthread_mutex_lock(&g_lock);
    g_client_closed = 1;
    g_client_close_op = (int)op;
    g_client_close_error = error;
    pthread_cond_broadcast(&g_cond);
    pthread_mutex_unlock(&g_lock);
    return HR_OK;
}

/* ---- helpers ---- */

/* Waits (with g_lock held) until the client's handshake is done, it closed, or `want` bytes
 * of echo arrived; at most WAIT_SECONDS. */
static void wait_locked(size_t want, int for_handshake)
{
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += WAIT_SECONDS;
    for (;;) {
        if (g_client_closed || g_out_of_memory)
            return;
        if (for_handshake ? g_client_handshake : g_received_len >= want)
            return;
        if (pthread_cond_timedwait(&g_cond, &g_lock, &deadline) == ETIMEDOUT)
            return;
    }
}

static void path_of(char* out, size_t size, const char* dir, const char* name)
{
    snprintf(out, size, "%s/%s", dir, name);
}

/* The whole file as a NUL-terminated string (NULL if unreadable). */
static char* read_file(const char* dir, const char* name)
{
    char path[4096];
    FILE* f;
    char* text;
    long size;
    path_of(path, sizeof path, dir, name);
    f = fopen(path, "rb");
    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return NULL;
    }
    text = (char*)malloc((size_t)size + 1);
    if (text && fread(text, 1, (size_t)size, f) != (size_t)size) {
        free(text);
        text = NULL;
    }
    if (text)
        text[size] = '\0';
    fclose(f);
    return text;
}

static size_t message_size(unsigned i)
{
    if (i % 7 == 3)
        return 4096 + (size_t)(i * 977u) % 65536u;
    return 1 + (size_t)(i * 7919u) % 3000u;
}

static BYTE message_byte(unsigned i, size_t j)
{
    return (BYTE)((i * 131u) ^ (unsigned)(j * 7u) ^ (unsigned)(j >> 8));
}

static BOOL send_message(HP_Client client, unsigned i, const BYTE* msg, size_t size)
{
    if (i % 2 == 0 || size < 2)
        return HP_Client_Send(client, msg, (int)size);
    {
        /* Two pieces in one call (WSABUF: length first, then the pointer). */
        WSABUF parts[2];
        parts[0].len = (UINT)(size / 2);
        parts[0].buf = (BYTE*)msg;
        parts[1].len = (UINT)(size - size / 2);
        parts[1].buf = (BYTE*)msg + size / 2;
        return HP_Client_SendPackets(client, parts, 2);
    }
}

/* Sets up both ends for `mode`; fills in the host the client connects to. */
static int setup(const char* mode, const char* dir, HP_SSLServer server, HP_SSLClient client, const char** host)
{
    char cert[4096], key[4096], ca[4096], ca_dir[4096];
    path_of(ca, sizeof ca, dir, "ca.pem");
    path_of(ca_dir, sizeof ca_dir, dir, "ca");
    *host = "127.0.0.1";

    if (strcmp(mode, "file") == 0) {
        path_of(cert, sizeof cert, dir, "server.pem");
        path_of(key, sizeof key, dir, "server.key");
        if (!HP_SSLServer_SetupSSLContext(server, SSL_VM_PEER | SSL_VM_FAIL_IF_NO_PEER_CERT, cert, key, NULL, ca_dir, NULL)) {
            fprintf(stderr, "server SetupSSLContext failed: errno %u\n", (unsigned)SYS_GetLastError());
            return 0;
        }
        path_of(cert, sizeof cert, dir, "client.pem");
        path_of(key, sizeof key, dir, "client.key");
        /* A password for an unencrypted key is ignored. */
        if (!HP_SSLClient_SetupSSLContext(client, SSL_VM_PEER, cert, key, "not-needed", ca)) {
            fprintf(stderr, "client SetupSSLContext failed: errno %u\n", (unsigned)SYS_GetLastError());
            return 0;
        }
        return 1;
    }

    if (strcmp(mode, "memory") == 0) {
        char* ca_pem = read_file(dir, "ca.pem");
        char* server_pem = read_file(dir, "server.pem");
        char* server_key = read_file(dir, "server.key");
        char* client_pem = read_file(dir, "client.pem");
        char* client_key = read_file(dir, "client.key");
        int ok = ca_pem && server_pem && server_key && client_pem && client_key;
        if (!ok)
            fprintf(stderr, "cannot read the PEM files in %s\n", dir);
        if (ok && !HP_SSLServer_SetupSSLContextByMemory(server, SSL_VM_PEER, server_pem, server_key, NULL, ca_pem, NULL)) {
            fprintf(stderr, "server SetupSSLContextByMemory failed: errno %u\n", (unsigned)SYS_GetLastError());
            ok = 0;
        }
        if (ok && !HP_SSLClient_SetupSSLContextByMemory(client, SSL_VM_PEER, client_pem, client_key, NULL, ca_pem)) {
            fprintf(stderr, "client SetupSSLContextByMemory failed: errno %u\n", (unsigned)SYS_GetLastError());
            ok = 0;
        }
        free(ca_pem);
        free(server_pem);
        free(server_key);
        free(client_pem);
        free(client_key);
        return ok;
    }

    if (strcmp(mode, "sni") == 0 || strcmp(mode, "sni-nobind") == 0) {
        int index;
        path_of(cert, sizeof cert, dir, "other.pem");
        path_of(key, sizeof key, dir, "other.key");
        if (!HP_SSLServer_SetupSSLContext(server, SSL_VM_NONE, cert, key, NULL, NULL, NULL)) {
            fprintf(stderr, "server SetupSSLContext failed: errno %u\n", (unsigned)SYS_GetLastError());
            return 0;
        }
        path_of(cert, sizeof cert, dir, "sni.pem");
        path_of(key, sizeof key, dir, "sni.key");
        index = HP_SSLServer_AddSSLContext(server, SSL_VM_NONE, cert, key, NULL, NULL);
        if (index <= 0) {
            fprintf(stderr, "AddSSLContext returned %d: errno %u\n", index, (unsigned)SYS_GetLastError());
            return 0;
        }
        if (strcmp(mode, "sni") == 0 && !HP_SSLServer_BindSSLServerName(server, "localhost", index)) {
            fprintf(stderr, "BindSSLServerName failed: errno %u\n", (unsigned)SYS_GetLastError());
            return 0;
        }
        /* No client certificate: NULL certificate and key. */
        if (!HP_SSLClient_SetupSSLContext(client, SSL_VM_PEER, NULL, NULL, NULL, ca)) {
            fprintf(stderr, "client SetupSSLContext failed: errno %u\n", (unsigned)SYS_GetLastError());
            return 0;
        }
        *host = "localhost";
        return 1;
    }

    fprintf(stderr, "unknown mode %s\n", mode);
    return 0;
}

int main(int argc, char** argv)
{
    const char *mode, *dir, *host = NULL;
    unsigned count = 50, i;
    unsigned long long total = 0;
    HP_TcpServerListener server_listener;
    HP_TcpClientListener client_listener;
    HP_SSLServer server;
    HP_SSLClient client;
    TCHAR address[64];
    int address_len = (int)sizeof address;
    USHORT port = 0;
    int rc = 1;

    if (argc < 3) {
        fprintf(stderr, "usage: %s <file|memory|sni|sni-nobind> <dir> [count]\n", argv[0]);
        return 2;
    }
    mode = argv[1];
    dir = argv[2];
    if (argc > 3)
        count = (unsigned)strtoul(argv[3], NULL, 10);

    server_listener = Create_HP_TcpServerListener();
    client_listener = Create_HP_TcpClientListener();
    server = Create_HP_SSLServer(server_listener);
    client = Create_HP_SSLClient(client_listener);
    HP_Set_FN_Server_OnHandShake(server_listener, server_on_handshake);
    HP_Set_FN_Server_OnReceive(server_listener, server_on_receive);
    HP_Set_FN_Client_OnHandShake(client_listener, client_on_handshake);
    HP_Set_FN_Client_OnReceive(client_listener, client_on_receive);
    HP_Set_FN_Client_OnClose(client_listener, client_on_close);

    if (!HP_Server_IsSecure(server) || !HP_Client_IsSecure(client) || !HP_SSLServer_IsSSLAutoHandShake(server)) {
        fprintf(stderr, "SSL components should be secure, with automatic handshakes\n");
        goto out;
    }
    if (HP_Server_Start(server, "127.0.0.1", 0) || HP_Server_GetLastError(server) != SE_SSL_ENV_NOT_READY) {
        fprintf(stderr, "Start without an SSL context should fail with SE_SSL_ENV_NOT_READY\n");
        goto out;
    }
    if (!setup(mode, dir, server, client, &host))
        goto out;

    if (!HP_Server_Start(server, "127.0.0.1", 0)
        || !HP_Server_GetListenAddress(server, address, &address_len, &port)) {
        fprintf(stderr, "server start failed: %s, errno %u\n", HP_Server_GetLastErrorDesc(server), (unsigned)SYS_GetLastError());
        goto out;
    }
    /* Bound to 127.0.0.1: "localhost" may resolve to ::1 first on some hosts. */
    if (!HP_Client_StartWithBindAddress(client, host, port, FALSE, "127.0.0.1")) {
        fprintf(stderr, "client start failed: %s, errno %u\n", HP_Client_GetLastErrorDesc(client), (unsigned)SYS_GetLastError());
        goto out;
    }

    pthread_mutex_lock(&g_lock);
    wait_locked(0, 1);
    if (!g_client_handshake) {
        if (g_client_closed)
            printf("HANDSHAKE FAILED op=%d error=%d\n", g_client_close_op, g_client_close_error);
        else
            printf("HANDSHAKE FAILED timeout\n");
        pthread_mutex_unlock(&g_lock);
        goto out;
    }
    pthread_mutex_unlock(&g_lock);
    if (!HP_SSLClient_StartSSLHandShake(client)) {
        fprintf(stderr, "StartSSLHandShake on a live connection should succeed\n");
        goto out;
    }

    for (i = 0; i < count; i++) {
        size_t size = message_size(i), j, start;
        BYTE* msg = (BYTE*)malloc(size);
        int bad = 0;
        if (!msg) {
            fprintf(stderr, "out of memory\n");
            goto out;
        }
        for (j = 0; j < size; j++)
            msg[j] = message_byte(i, j);
        pthread_mutex_lock(&g_lock);
        start = g_received_len;
        pthread_mutex_unlock(&g_lock);
        if (!send_message(client, i, msg, size)) {
            fprintf(stderr, "send %u failed: errno %u\n", i, (unsigned)SYS_GetLastError());
            free(msg);
            goto out;
        }
        pthread_mutex_lock(&g_lock);
        wait_locked(start + size, 0);
        if (g_received_len != start + size || memcmp(g_received + start, msg, size) != 0) {
            fprintf(stderr, "echo %u (%u bytes) missing or different (closed=%d op=%d error=%d)\n", i,
                (unsigned)size, g_client_closed, g_client_close_op, g_client_close_error);
            bad = 1;
        }
        pthread_mutex_unlock(&g_lock);
        free(msg);
        if (bad)
            goto out;
        total += size;
    }

    pthread_mutex_lock(&g_lock);
    if (g_server_early_receive || g_client_early_receive)
        fprintf(stderr, "OnReceive before OnHandShake (server %d, client %d)\n", g_server_early_receive, g_client_early_receive);
    else if (g_server_handshakes != 1)
        fprintf(stderr, "server OnHandShake fired %d times\n", g_server_handshakes);
    else
        rc = 0;
    pthread_mutex_unlock(&g_lock);
    if (rc == 0)
        printf("OK %s %u messages %llu bytes\n", mode, count, total);

out:
    HP_Client_Stop(client);
    HP_Server_Stop(server);
    Destroy_HP_SSLClient(client);
    Destroy_HP_SSLServer(server);
    Destroy_HP_TcpClientListener(client_listener);
    Destroy_HP_TcpServerListener(server_listener);
    free(g_received);
    fflush(stdout);
    return rc;
}
