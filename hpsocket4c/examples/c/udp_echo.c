/*
 * udp_echo.c: HP-Socket's UDP family through the 4C C API (hpsocket4c/include/HPSocket4C.h,
 * linked with -lhpsocket4c), in one process: a UDP echo server and N UDP clients.
 *
 *   udp_echo [clients [messages [size]]]        defaults: 10 clients, 100 messages, 64 bytes
 *
 * clients: 1..256; size: 1..1432 (the default MaxDatagramSize). Each client sends its
 * datagrams ping-pong style: one at a time, waiting for each echo (resending once after
 * 500 ms: UDP may drop), which must come back byte-exact; a late duplicate of an earlier
 * datagram (after a resend) is skipped. The server must have seen one connection per
 * client, each with its own non-zero ID, OnAccept's sockaddr must name that client's local
 * port, HP_Server_GetConnectionCount must equal the number of clients, and after the stop
 * every connection must have had its OnClose. Prints
 * "OK <clients> clients x <messages> datagrams x <size> B" and exits 0, or "FAIL <reason>"
 * and exits 1 (bad arguments: usage on stderr, exit 2). The whole run is bounded by 30 s.
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
#define MAX_SIZE 1432
#define QUEUE 4 /* echoes a client may hold before its thread takes them */
#define FIRST_WAIT_MS 500
#define RESEND_WAIT_MS 5000

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cond = PTHREAD_COND_INITIALIZER;

/* Server side: one entry per OnAccept, and the OnClose count. */
static HP_CONNID g_accepted_ids[MAX_CLIENTS];
static USHORT g_accepted_ports[MAX_CLIENTS];
static unsigned g_accepted;
static unsigned g_accept_overflow;
static unsigned g_accept_bad_family;
static unsigned g_server_closed;

/* Client side: the echoes each client received and has not yet taken (a small queue). */
struct echo {
    BYTE* data;
    int len;
};
static HP_UdpClient g_clients[MAX_CLIENTS];
static struct echo g_echo[MAX_CLIENTS][QUEUE];
static unsigned g_echo_head[MAX_CLIENTS];
static unsigned g_echo_count[MAX_CLIENTS];
static unsigned g_echo_dropped;
static unsigned g_nclients;

static void fail(const char* why)
{
    printf("FAIL %s\n", why);
    fflush(stdout);
    _exit(1);
}

static void on_alarm(int sig)
{
    static const char msg[] = "FAIL timeout (30 s)\n";
    ssize_t r;
    (void)sig;
    r = write(STDOUT_FILENO, msg, sizeof msg - 1);
    (void)r;
    _exit(1);
}

static En_HP_HandleResult __HP_CALL on_accept(HP_Server sender, HP_CONNID id, UINT_PTR peer)
{
    /* A UDP server's OnAccept receives the peer's address (valid during the call), not a
     * socket. */
    const struct sockaddr* sa = (const struct sockaddr*)peer;
    (void)sender;
    pthread_mutex_lock(&g_lock);
    if (!sa || sa->sa_family != AF_INET)
        g_accept_bad_family++;
    else if (g_accepted >= MAX_CLIENTS)
        g_accept_overflow++;
    else {
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

static En_HP_HandleResult __HP_CALL on_server_close(HP_Server sender, HP_CONNID id, En_HP_SocketOperation op, int error)
{
    (void)sender;
    if (error != 0)
        fprintf(stderr, "udp_echo: server connection %lu closed (operation %d, error %d)\n",
                (unsigned long)id, (int)op, error);
    pthread_mutex_lock(&g_lock);
    g_server_closed++;
    pthread_mutex_unlock(&g_lock);
    return HR_OK;
}

static En_HP_HandleResult __HP_CALL on_client_receive(HP_Client sender, HP_CONNID id, const BYTE* data, int length)
{
    unsigned k;
    (void)id;
    pthread_mutex_lock(&g_lock);
    for (k = 0; k < g_nclients; k++) {
        if (g_clients[k] == sender) {
            if (g_echo_count[k] < QUEUE) {
                struct echo* e = &g_echo[k][(g_echo_head[k] + g_echo_count[k]) % QUEUE];
                e->data = (BYTE*)malloc(length > 0 ? (size_t)length : 1);
                if (e->data) {
                    memcpy(e->data, data, (size_t)length);
                    e->len = length;
                    g_echo_count[k]++;
                    pthread_cond_broadcast(&g_cond);
                } else
                    g_echo_dropped++;
            } else
                g_echo_dropped++; /* as a full socket buffer would */
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

/* Whether data[0..len) is datagram m of client k. */
static int is_datagram(const BYTE* data, int len, unsigned k, unsigned m, unsigned size)
{
    size_t j;
    if (len != (int)size)
        return 0;
    for (j = 0; j < size; j++)
        if (data[j] != datagram_byte(k, m, j))
            return 0;
    return 1;
}

static struct timespec after_ms(long ms)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    t.tv_sec += ms / 1000;
    t.tv_nsec += (ms % 1000) * 1000000L;
    if (t.tv_nsec >= 1000000000L) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000L;
    }
    return t;
}

/* Takes client k's next echo, waiting until `until`; returns it (the caller frees it) or NULL
 * on timeout. */
static BYTE* take_echo(unsigned k, int* len, const struct timespec* until)
{
    BYTE* got = NULL;
    pthread_mutex_lock(&g_lock);
    while (g_echo_count[k] == 0) {
        if (pthread_cond_timedwait(&g_cond, &g_lock, until) == ETIMEDOUT)
            break;
    }
    if (g_echo_count[k] > 0) {
        struct echo* e = &g_echo[k][g_echo_head[k]];
        got = e->data;
        *len = e->len;
        e->data = NULL;
        g_echo_head[k] = (g_echo_head[k] + 1) % QUEUE;
        g_echo_count[k]--;
    }
    pthread_mutex_unlock(&g_lock);
    return got;
}

/* Client k sends datagram m (already in `out`) and waits for its echo, resending once.
 * Returns 0, or 1 with the reason in `why`. */
static int exchange(unsigned k, unsigned m, const BYTE* out, unsigned size, unsigned* resent,
                    char* why, size_t why_len)
{
    struct timespec until;
    int attempt = 0;

    if (!HP_Client_Send(g_clients[k], out, (int)size)) {
        snprintf(why, why_len, "HP_Client_Send: client %u datagram %u: %s", k, m, SYS_GetLastErrorStr());
        return 1;
    }
    until = after_ms(FIRST_WAIT_MS);
    for (;;) {
        int len = 0;
        BYTE* got = take_echo(k, &len, &until);
        unsigned earlier;
        int stale = 0;

        if (!got) {
            if (attempt++ > 0) {
                snprintf(why, why_len, "no echo for client %u datagram %u (resent once)", k, m);
                return 1;
            }
            /* Dropped (UDP): one more try. */
            (*resent)++;
            if (!HP_Client_Send(g_clients[k], out, (int)size)) {
                snprintf(why, why_len, "HP_Client_Send (resend): client %u datagram %u: %s", k, m,
                         SYS_GetLastErrorStr());
                return 1;
            }
            until = after_ms(RESEND_WAIT_MS);
            continue;
        }
        if (len == (int)size && memcmp(got, out, size) == 0) {
            free(got);
            return 0;
        }
        /* The second echo of an earlier, resent datagram may arrive late: skip it. */
        for (earlier = m; earlier-- > 0 && !stale;)
            stale = is_datagram(got, len, k, earlier, size);
        free(got);
        if (!stale) {
            snprintf(why, why_len, "client %u datagram %u: echo differs (%d bytes, want %u)", k, m,
                     len, size);
            return 1;
        }
    }
}

static unsigned arg(int argc, char** argv, int i, unsigned dflt, unsigned max)
{
    unsigned long v;
    char* end;
    if (argc <= i)
        return dflt;
    v = strtoul(argv[i], &end, 10);
    if (*end != '\0' || v == 0 || v > max) {
        fprintf(stderr, "usage: udp_echo [clients (1..%d) [messages [size (1..%d)]]]\n",
                MAX_CLIENTS, MAX_SIZE);
        exit(2);
    }
    return (unsigned)v;
}

int main(int argc, char** argv)
{
    unsigned nclients = arg(argc, argv, 1, 10, MAX_CLIENTS);
    unsigned messages = arg(argc, argv, 2, 100, 1000000);
    unsigned size = arg(argc, argv, 3, 64, MAX_SIZE);
    HP_UdpServerListener server_listener;
    HP_UdpClientListener client_listener;
    HP_UdpServer server;
    TCHAR addr[64];
    int addr_len = (int)sizeof addr;
    USHORT port = 0;
    USHORT local_ports[MAX_CLIENTS];
    HP_CONNID ids[MAX_CLIENTS];
    USHORT peer_ports[MAX_CLIENTS];
    unsigned accepted, bad_family, overflow, closed, dropped;
    DWORD count;
    BYTE* out;
    unsigned k, m, j, resent = 0;
    char why[256];

    signal(SIGALRM, on_alarm);
    alarm(30);

    /* The server, with a UDP property set and read back. */
    server_listener = Create_HP_UdpServerListener();
    server = server_listener ? Create_HP_UdpServer(server_listener) : NULL;
    if (!server)
        fail("cannot create the UDP server");
    HP_Set_FN_Server_OnAccept(server_listener, on_accept);
    HP_Set_FN_Server_OnReceive(server_listener, on_server_receive);
    HP_Set_FN_Server_OnClose(server_listener, on_server_close);
    HP_UdpServer_SetDetectInterval(server, 10000);
    if (HP_UdpServer_GetDetectInterval(server) != 10000)
        fail("HP_UdpServer_GetDetectInterval: DetectInterval not kept");
    if (!HP_Server_Start(server, "127.0.0.1", 0)) {
        snprintf(why, sizeof why, "HP_Server_Start: %s (errno %u)", HP_Server_GetLastErrorDesc(server),
                 SYS_GetLastError());
        fail(why);
    }
    if (!HP_Server_GetListenAddress(server, addr, &addr_len, &port) || port == 0)
        fail("HP_Server_GetListenAddress");

    /* The clients, sharing one listener; each records its local port. */
    client_listener = Create_HP_UdpClientListener();
    if (!client_listener)
        fail("cannot create the UDP client listener");
    HP_Set_FN_Client_OnReceive(client_listener, on_client_receive);
    for (k = 0; k < nclients; k++) {
        HP_UdpClient c = Create_HP_UdpClient(client_listener);
        TCHAR local[64];
        int local_len = (int)sizeof local;
        if (!c)
            fail("cannot create a UDP client");
        HP_UdpClient_SetMaxDatagramSize(c, size);
        if (HP_UdpClient_GetMaxDatagramSize(c) != size)
            fail("HP_UdpClient_GetMaxDatagramSize: MaxDatagramSize not kept");
        pthread_mutex_lock(&g_lock);
        g_clients[k] = c;
        g_nclients = k + 1;
        pthread_mutex_unlock(&g_lock);
        if (!HP_Client_Start(c, "127.0.0.1", port, FALSE)) {
            snprintf(why, sizeof why, "HP_Client_Start (client %u): %s (errno %u)", k,
                     HP_Client_GetLastErrorDesc(c), SYS_GetLastError());
            fail(why);
        }
        local_ports[k] = 0;
        if (!HP_Client_GetLocalAddress(c, local, &local_len, &local_ports[k]) || local_ports[k] == 0)
            fail("HP_Client_GetLocalAddress");
    }

    /* Ping-pong: every client in turn sends datagram m and waits for its echo. */
    out = (BYTE*)malloc(size);
    if (!out)
        fail("out of memory");
    for (m = 0; m < messages; m++) {
        for (k = 0; k < nclients; k++) {
            for (j = 0; j < size; j++)
                out[j] = datagram_byte(k, m, j);
            if (exchange(k, m, out, size, &resent, why, sizeof why) != 0)
                fail(why);
        }
    }
    free(out);

    /* One connection per client, distinct non-zero IDs, each sockaddr a client's port. */
    count = HP_Server_GetConnectionCount(server);
    pthread_mutex_lock(&g_lock);
    accepted = g_accepted;
    bad_family = g_accept_bad_family;
    overflow = g_accept_overflow;
    memcpy(ids, g_accepted_ids, sizeof ids);
    memcpy(peer_ports, g_accepted_ports, sizeof peer_ports);
    pthread_mutex_unlock(&g_lock);
    if (bad_family)
        fail("OnAccept received a NULL or non-AF_INET sockaddr");
    if (accepted + overflow != nclients) {
        snprintf(why, sizeof why, "OnAccept fired %u times for %u clients", accepted + overflow, nclients);
        fail(why);
    }
    if (count != nclients) {
        snprintf(why, sizeof why, "HP_Server_GetConnectionCount is %lu for %u clients",
                 (unsigned long)count, nclients);
        fail(why);
    }
    for (k = 0; k < accepted; k++) {
        int found = 0;
        if (ids[k] == 0)
            fail("OnAccept: connection ID 0");
        for (j = 0; j < k; j++)
            if (ids[j] == ids[k])
                fail("OnAccept: duplicate connection ID");
        /* Distinct IDs and each client's port named once: one connection per client. */
        for (j = 0; j < nclients; j++)
            if (local_ports[j] == peer_ports[k])
                found++;
        if (found != 1) {
            snprintf(why, sizeof why, "OnAccept sockaddr port %u names %d clients' local ports",
                     (unsigned)peer_ports[k], found);
            fail(why);
        }
        for (j = 0; j < k; j++)
            if (peer_ports[j] == peer_ports[k])
                fail("OnAccept: two connections from the same client port");
    }

    /* Stop the clients, then the server (OnClose for every connection still open), then
     * destroy everything. */
    for (k = 0; k < nclients; k++)
        if (!HP_Client_Stop(g_clients[k]))
            fail("HP_Client_Stop");
    if (!HP_Server_Stop(server))
        fail("HP_Server_Stop");
    pthread_mutex_lock(&g_lock);
    closed = g_server_closed;
    dropped = g_echo_dropped;
    pthread_mutex_unlock(&g_lock);
    if (closed != nclients) {
        snprintf(why, sizeof why, "server OnClose fired %u times for %u connections", closed, nclients);
        fail(why);
    }
    for (k = 0; k < nclients; k++) {
        unsigned q;
        Destroy_HP_UdpClient(g_clients[k]);
        for (q = 0; q < QUEUE; q++)
            free(g_echo[k][q].data);
    }
    Destroy_HP_UdpClientListener(client_listener);
    Destroy_HP_UdpServer(server);
    Destroy_HP_UdpServerListener(server_listener);

    if (resent || dropped)
        fprintf(stderr, "udp_echo: %u datagrams resent, %u echoes dropped\n", resent, dropped);
    printf("OK %u clients x %u datagrams x %u B\n", nclients, messages, size);
    return 0;
}
