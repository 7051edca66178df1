/*
 * echo_client.c: a TCP PUSH client written against HP-Socket's 4C C API
 * (hpsocket4c/include/HPSocket4C.h, linked with -lhpsocket4c) that checks an echo server.
 *
 *   echo_client <host> <port> [count]
 *
 * Connects (synchronously), then sends <count> messages (default 100) of varied sizes, from 1
 * byte to about 70 KB, through HP_Client_Send, HP_Client_SendPart and HP_Client_SendPackets in
 * turn. After each message it waits (at most 10 s) until the echo of that message has arrived
 * and compares it byte for byte. Prints "OK <count> messages <bytes> bytes" and exits 0 when
 * every echo matched, or prints the failure and exits 1.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "HPSocket4C.h"

#define WAIT_SECONDS 10

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cond = PTHREAD_COND_INITIALIZER;
static BYTE* g_received;
static size_t g_received_len;
static size_t g_received_cap;
static int g_closed;
static int g_close_op;
static int g_close_error;
static int g_out_of_memory;

static En_HP_HandleResult __HP_CALL on_receive(HP_Client sender, HP_CONNID id, const BYTE* data, int length)
{
    (void)sender;
    (void)id;
    pthread_mutex_lock(&g_lock);
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

static En_HP_HandleResult __HP_CALL on_close(HP_Client sender, HP_CONNID id, En_HP_SocketOperation op, int error)
{
    (void)sender;
    (void)id;
    pthread_mutex_lock(&g_lock);
    g_closed = 1;
    g_close_op = (int)op;
    g_close_error = error;
    pthread_cond_broadcast(&g_cond);
    pthread_mutex_unlock(&g_lock);
    return HR_OK;
}

/* Size of message i: mostly small, every seventh one large (beyond one read chunk). */
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

/* Sends message i in one of three ways. */
static BOOL send_message(HP_Client client, unsigned i, const BYTE* msg, size_t size)
{
    switch (i % 3) {
    case 0:
        return HP_Client_Send(client, msg, (int)size);
    case 1: {
        /* The message sits at offset 5 of a larger buffer. */
        BYTE* framed = (BYTE*)malloc(size + 10);
        BOOL ok;
        if (!framed)
            return FALSE;
        memset(framed, 0xEE, size + 10);
        memcpy(framed + 5, msg, size);
        ok = HP_Client_SendPart(client, framed, (int)size, 5);
        free(framed);
        return ok;
    }
    default: {
        /* Up to three pieces (WSABUF: length first, then the pointer). */
        WSABUF parts[3];
        size_t a = size / 3, b = size / 2;
        int n = 0;
        if (a > 0) {
            parts[n].len = (UINT)a;
            parts[n].buf = (BYTE*)msg;
            n++;
        }
        if (b > a) {
            parts[n].len = (UINT)(b - a);
            parts[n].buf = (BYTE*)msg + a;
            n++;
        }
        parts[n].len = (UINT)(size - b);
        parts[n].buf = (BYTE*)msg + b;
        n++;
        return HP_Client_SendPackets(client, parts, n);
    }
    }
}

int main(int argc, char** argv)
{
    const char* host;
    USHORT port;
    unsigned count = 100, i;
    unsigned long long total = 0;
    HP_TcpClientListener listener;
    HP_TcpClient client;
    int rc = 0;

    if (argc < 3) {
        fprintf(stderr, "usage: %s <host> <port> [count]\n", argv[0]);
        return 2;
    }
    host = argv[1];
    port = (USHORT)atoi(argv[2]);
    if (argc > 3)
        count = (unsigned)strtoul(argv[3], NULL, 10);

    listener = Create_HP_TcpClientListener();
    client = Create_HP_TcpClient(listener);
    if (!listener || !client) {
        fprintf(stderr, "echo_client: cannot create the client (errno %u)\n", SYS_GetLastError());
        return 1;
    }
    HP_Set_FN_Client_OnReceive(listener, on_receive);
    HP_Set_FN_Client_OnClose(listener, on_close);

    if (!HP_Client_Start(client, host, port, FALSE)) {
        fprintf(stderr, "echo_client: cannot connect to %s:%u: %s (errno %u: %s)\n", host,
                (unsigned)port, HP_Client_GetLastErrorDesc(client), SYS_GetLastError(),
                SYS_GetLastErrorStr());
        Destroy_HP_TcpClient(client);
        Destroy_HP_TcpClientListener(listener);
        return 1;
    }

    for (i = 0; i < count && rc == 0; i++) {
        size_t size = message_size(i), j;
        BYTE* msg = (BYTE*)malloc(size);
        struct timespec deadline;
        size_t start = (size_t)total;

        if (!msg) {
            fprintf(stderr, "echo_client: out of memory\n");
            rc = 1;
            break;
        }
        for (j = 0; j < size; j++)
            msg[j] = message_byte(i, j);
        if (!send_message(client, i, msg, size)) {
            fprintf(stderr, "echo_client: sending message %u (%lu bytes) failed: errno %u (%s)\n", i,
                    (unsigned long)size, SYS_GetLastError(), SYS_GetLastErrorStr());
            free(msg);
            rc = 1;
            break;
        }
        total += size;

        clock_gettime(CLOCK_REALTIME, &deadline);
        deadline.tv_sec += WAIT_SECONDS;
        pthread_mutex_lock(&g_lock);
        while (g_received_len < (size_t)total && !g_closed && !g_out_of_memory) {
            if (pthread_cond_timedwait(&g_cond, &g_lock, &deadline) == ETIMEDOUT)
                break;
        }
        if (g_received_len != (size_t)total) {
            fprintf(stderr,
                    "echo_client: message %u: %lu of %llu bytes echoed (closed %d, operation %d, error %d)\n",
                    i, (unsigned long)g_received_len, total, g_closed, g_close_op, g_close_error);
            rc = 1;
        } else if (memcmp(g_received + start, msg, size) != 0) {
            for (j = 0; j < size && g_received[start + j] == msg[j]; j++) {
            }
            fprintf(stderr, "echo_client: message %u differs at byte %lu\n", i, (unsigned long)j);
            rc = 1;
        }
        pthread_mutex_unlock(&g_lock);
        free(msg);
    }

    if (rc == 0)
        printf("OK %u messages %llu bytes\n", count, total);
    fflush(stdout);

    HP_Client_Stop(client);
    Destroy_HP_TcpClient(client);
    Destroy_HP_TcpClientListener(listener);
    free(g_received);
    return rc;
}
