/*
 * udp_echo.c: HP-Socket's UDP family through the 4C C API (hpsocket4c/include/HPSocket4C.h,
 * linked with -lhpsocket4c), in one process: a UDP echo server and N UDP clients.
 *
 *   udp_echo [clients [messages [size]]]        defaults: 10 clients, 100 messages, 64 bytes
 *
 * Each client sends its datagrams one at a time and waits for each echo (resending once after
 * 500 ms: UDP may drop), which must come back byte-exact. The server must have seen one
 * connection per client, each with its own ID, and OnAccept's sockaddr must name that
 * client's port. Prints "OK <clients> clients x <messages> datagrams x <size> B" and exits 0,
 * or "FAIL <reason>" and exits 1. The whole run is bounded by 30 s.
 */
#define _POSIX_C_SOURCE 200809L

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "HPSocket4C.h"

#define MAX_CLIENTS 256

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cond = PTHREAD_COND_INITIALIZER;

/* Server side: one entry per OnAccept. */
static HP_CONNID g_accepted_ids[MAX_CLIENTS];
static USHORT g_accepted_ports[MAX_CLIENTS];
static unsigned g_accepted;

/* Client side: the latest echo each client received. */
static HP_UdpClient g_clients[MAX_CLIENTS];
static BYTE* g_echo[MAX_CLIENTS];
static int g_echo_len[MAX_CLIENTS];
static unsigned g_nclients;

static void fail(const char* why)
{
    printf("FAIL %s\n", why);
    fflush(stdout);
    _exit(1);
}

static void on_alarm(int sig)
{
    (void)sig;
    static const char msg[] = "FAIL timeout\n";
    ssize_t r = write(1, msg, sizeof msg - 1);
    (void)r;
    _exit(1);
}

static En_HP_HandleResult __HP_CALL on_accept(HP_Server sender, HP_CONNID id, UINT_PTR peer)
{
    /* A UDP server's OnAccept receives the peer's address, not a socket. */
    const struct sockaddr* sa = (const struct sockaddr*)peer;
    (void)sender;
    pthread_mutex_lock(&g_lock);
    if (g_accepted < MAX_CLIENTS && sa->sa_family == AF_INET) {
        g_accepted_ids[g_accepted] = id;
        g_accepted_ports[g_accepted] = ntohs(((const struct sockaddr_in*)sa)->sin_port);
        g_accepted++;
    }
    pthread_mutex_unlock(&g_lock);
    return HR_OK;
}

static En_HP_HandleResult __HP_CALL on_server_receive(HP_Server sender, HP_CONNID id, const BYTE* data, int length)
{
    /* One datagram per call; echo it whole. */
    return HP_Server_Send(sender, id, data, length) ? HR_OK : HR_ERROR;
}

static En_HP_HandleResult __HP_CALL on_client_receive(HP_Client sender, HP_CONNID id, const BYTE* data, int length)
{
    unsigned k;
    (void)id;
    pthread_mutex_lock(&g_lock);
    for (k = 0; k < g_nclients; k++) {
        if (g_clients[k] == sender) {
            free(g_echo[k]);
            g_echo[k] = (BYTE*)malloc(length > 0 ? (size_t)length : 1);
            if (g_echo[k])
                memcpy(g_echo[k], data, (size_t)length);
            g_echo_len[k] = length;
            pthread_cond_broadcast(&g_cond);
            break;
        }
    }
    pthread_mutex_unlock(&g_lock);
    return HR_OK;
}

static BYTE datagram_byte(unsigned client, unsigned m, size_t j)
{
    return (BYTE)((client * 29u) + (m * 131u) + (unsigned)(j * 7u) + (unsigned)(j >> 8));
}

/* Waits up to `ms` for client k's next echo; returns it (owned by the caller) or NULL. */
static BYTE* wait_echo(unsigned k, int* len, long ms)
{
    struct timespec until;
    BYTE* got;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&g_lock);
    while (g_echo_len[k] < 0) {
        if (pthread_cond_timedwait(&g_cond, &g_lock, &until) == ETIMEDOUT)
            break;
    }
    got = g_echo_len[k] >= 0 ? g_echo[k] : NULL;
    *len = g_echo_len[k];
    g_echo[k] = NULL;
    g_echo_len[k] = -1;
    pthread_mutex_unlock(&g_lock);
    return got;
}

static unsigned arg(int argc, char** argv, int i, unsigned dflt, unsigned max)
{
    unsigned long v;
    char* end;
    if (argc <= i)
        return dflt;
    v = strtoul(argv[i], &end, 10);
    if (*end != '\0' || v == 0 || v > max) {
        fprintf(stderr, "usage: udp_echo [clients (1..%d) [messages [size (1..1432)]]]\n", MAX_CLIENTS);
        exit(2);
    }
    return (unsigned)v;
}

int main(int argc, char** argv)
{
    unsigned nclients = arg(argc, argv, 1, 10, MAX_CLIENTS);
    unsigned messages = arg(argc, argv, 2, 100, 1000000);
    unsigned size = arg(argc, argv, 3, 64, 1432);
    HP_UdpServerListener server_listener;
    HP_UdpClientListener client_listener;
    HP_UdpServer server;
    TCHAR addr[64];
    int addr_len = (int)sizeof addr;
    USHORT port = 0;
    BYTE* out;
    unsigned k, m, j, resent = 0;
    char why[256];

    signal(SIGALRM, on_alarm);
    alarm(30);

    server_listener = Create_HP_UdpServerListener();
    server = Create_HP_UdpServer(server_listener);
    HP_Set_FN_Server_OnAccept(server_listener, on_accept);
    HP_Set_FN_Server_OnReceive(server_listener, on_server_receive);
    HP_UdpServer_SetDetectInterval(server, 10000);
    if (HP_UdpServer_GetDetectInterval(server) != 10000)
        fail("DetectInterval not kept");
    if (!HP_Server_Start(server, "127.0.0.1", 0))
        fail("HP_Server_Start");
    if (!HP_Server_GetListenAddress(server, addr, &addr_len, &port))
        fail("HP_Server_GetListenAddress");

    client_listener = Create_HP_UdpClientListener();
    HP_Set_FN_Client_OnReceive(client_listener, on_client_receive);
    for (k = 0; k < nclients; k++) {
        HP_UdpClient c = Create_HP_UdpClient(client_listener);
        HP_UdpClient_SetMaxDatagramSize(c, size);
        if (HP_UdpClient_GetMaxDatagramSize(c) != size)
            fail("MaxDatagramSize not kept");
        pthread_mutex_lock(&g_lock);
        g_clients[k] = c;
        g_echo_len[k] = -1;
        g_nclients = k + 1;
        pthread_mutex_unlock(&g_lock);
        if (!HP_Client_Start(c, "127.0.0.1", port, FALSE))
            fail("HP_Client_Start");
    }

    out = (BYTE*)malloc(size);
    if (!out)
        fail("out of memory");
    for (m = 0; m < messages; m++) {
        for (k = 0; k < nclients; k++) {
            BYTE* got;
            int len;
            for (j = 0; j < size; j++)
                out[j] = datagram_byte(k, m, j);
            if (!HP_Client_Send(g_clients[k], out, (int)size))
                fail("HP_Client_Send");
            got = wait_echo(k, &len, 500);
            if (!got) {
                /* Dropped (UDP): one more try. */
                resent++;
                if (!HP_Client_Send(g_clients[k], out, (int)size))
                    fail("HP_Client_Send (resend)");
                got = wait_echo(k, &len, 5000);
            }
            if (!got) {
                snprintf(why, sizeof why, "no echo for client %u datagram %u", k, m);
                fail(why);
            }
            if (len != (int)size || memcmp(got, out, size) != 0) {
                snprintf(why, sizeof why, "client %u datagram %u: echo differs (%d bytes)", k, m, len);
                fail(why);
            }
            free(got);
        }
    }
    free(out);

    /* One connection per client, distinct non-zero IDs, each sockaddr a client's port. */
    if (HP_Server_GetConnectionCount(server) != nclients)
        fail("connection count differs from the number of clients");
    pthread_mutex_lock(&g_lock);
    if (g_accepted != nclients)
        fail("OnAccept count differs from the number of clients");
    for (k = 0; k < g_accepted; k++) {
        TCHAR local[64];
        int local_len = (int)sizeof local;
        USHORT local_port = 0, want;
        int found = 0;
        if (g_accepted_ids[k] == 0)
            fail("connection ID 0");
        for (j = 0; j < k; j++)
            if (g_accepted_ids[j] == g_accepted_ids[k])
                fail("duplicate connection ID");
        want = g_accepted_ports[k];
        for (j = 0; j < nclients && !found; j++) {
            local_len = (int)sizeof local;
            if (HP_Client_GetLocalAddress(g_clients[j], local, &local_len, &local_port) && local_port == want)
                found = 1;
        }
        if (!found)
            fail("an OnAccept sockaddr names no client's port");
    }
    pthread_mutex_unlock(&g_lock);

    for (k = 0; k < nclients; k++) {
        HP_Client_Stop(g_clients[k]);
        Destroy_HP_UdpClient(g_clients[k]);
        free(g_echo[k]);
    }
    if (!HP_Server_Stop(server))
        fail("HP_Server_Stop");
    Destroy_HP_UdpServer(server);
    Destroy_HP_UdpServerListener(server_listener);
    Destroy_HP_UdpClientListener(client_listener);
    printf("OK %u clients x %u datagrams x %u B (%u resent)\n", nclients, messages, size, resent);
    return 0;
}
