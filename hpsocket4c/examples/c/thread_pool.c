/*
 * thread_pool.c: HP-Socket 5.8.6's thread pool through the 4C API (HPSocket4C.h, linked with
 * -lhpsocket4c): a pool with a listener, plain tasks and socket tasks in every buffer mode,
 * the three rejection policies on a full queue, a resize, a stop that times out, and the
 * SYS_* memory functions.
 *
 *   thread_pool [tasks]
 *       Submits `tasks` plain tasks (default 2000) and as many socket tasks from four
 *       submitting threads to a 4-worker pool whose queue holds 16 (TRP_WAIT_FOR), checks
 *       that each ran exactly once with its own bytes, then runs the policy and stop checks.
 *       Prints "OK tasks=<n> socket_tasks=<n> workers=<n> events=<startup>/<shutdown>" and
 *       exits 0, or prints the first problem to stderr and exits 1. Every wait is bounded.
 *
 * Every buffer this program or the pool allocates is freed exactly once: run it under
 * valgrind (or ASan) to see.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "HPSocket4C.h"

#define SUBMITTERS 4
#define MAX_TASKS 100000

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cond = PTHREAD_COND_INITIALIZER;

static void fail(const char* what)
{
    fprintf(stderr, "FAIL: %s (errno %u)\n", what, (unsigned)SYS_GetLastError());
    exit(1);
}

#define CHECK(cond, what) do { if (!(cond)) fail(what); } while (0)

/* ---- events ---- */

static HP_ThreadPool g_pool;
static int g_startups, g_shutdowns, g_starts, g_ends, g_wrong_sender;

static void __HP_CALL on_startup(HP_ThreadPool p)
{
    pthread_mutex_lock(&g_lock);
    g_startups++;
    g_wrong_sender += p != g_pool;
    pthread_mutex_unlock(&g_lock);
}

static void __HP_CALL on_shutdown(HP_ThreadPool p)
{
    pthread_mutex_lock(&g_lock);
    g_shutdowns++;
    g_wrong_sender += p != g_pool;
    pthread_cond_broadcast(&g_cond);
    pthread_mutex_unlock(&g_lock);
}

static void __HP_CALL on_worker_start(HP_ThreadPool p, THR_ID id)
{
    pthread_mutex_lock(&g_lock);
    g_starts++;
    g_wrong_sender += p != g_pool || id != (THR_ID)pthread_self();
    pthread_mutex_unlock(&g_lock);
}

static void __HP_CALL on_worker_end(HP_ThreadPool p, THR_ID id)
{
    pthread_mutex_lock(&g_lock);
    g_ends++;
    g_wrong_sender += p != g_pool || id != (THR_ID)pthread_self();
    pthread_cond_broadcast(&g_cond);
    pthread_mutex_unlock(&g_lock);
}

/* ---- tasks ---- */

static int g_tasks;
static unsigned char* g_ran;       /* g_ran[i]: times plain task i ran */
static unsigned char* g_sock_ran;  /* g_sock_ran[i]: times socket task i ran */
static int g_bad_bytes;

static VOID __HP_CALL plain_task(PVOID arg)
{
    size_t i = (size_t)arg;
    pthread_mutex_lock(&g_lock);
    g_ran[i]++;
    pthread_mutex_unlock(&g_lock);
}

/* Socket task i carries the bytes "task <i>" (NUL included); the mode cycles through
 * TBT_COPY, TBT_ATTACH and a NULL buffer. */
static VOID __HP_CALL socket_task(struct TSocketTask* t)
{
    size_t i = (size_t)t->connID;
    char want[32];
    int n = snprintf(want, sizeof want, "task %lu", (unsigned long)i) + 1;
    int ok = t->sender == (PVOID)&g_pool && t->wparam == (WPARAM)i && t->lparam == -(LPARAM)i;
    if (t->buf == NULL)
        ok = ok && t->bufLen == 0;
    else
        ok = ok && t->bufLen == n && memcmp(t->buf, want, (size_t)n) == 0;
    pthread_mutex_lock(&g_lock);
    g_sock_ran[i]++;
    g_bad_bytes += !ok;
    pthread_mutex_unlock(&g_lock);
}

static HP_LPTSocketTask make_socket_task(size_t i)
{
    char text[32];
    int n = snprintf(text, sizeof text, "task %lu", (unsigned long)i) + 1;
    switch (i % 3) {
    case 0: /* a copy: the stack buffer goes away, the task keeps its own */
        return Create_HP_SocketTaskObj(socket_task, &g_pool, i, (LPCBYTE)text, n, TBT_COPY, i, -(LPARAM)i);
    case 1: { /* attached: the task frees it */
        LPBYTE p = SYS_Malloc(n);
        CHECK(p != NULL, "SYS_Malloc");
        memcpy(p, text, (size_t)n);
        return Create_HP_SocketTaskObj(socket_task, &g_pool, i, p, n, TBT_ATTACH, i, -(LPARAM)i);
    }
    default: /* no bytes */
        return Create_HP_SocketTaskObj(socket_task, &g_pool, i, NULL, 0, TBT_COPY, i, -(LPARAM)i);
    }
}

static void* submitter(void* arg)
{
    size_t k = (size_t)arg, i;
    for (i = k; i < (size_t)g_tasks; i += SUBMITTERS) {
        HP_LPTSocketTask t;
        if (!HP_ThreadPool_Submit(g_pool, plain_task, (PVOID)i, INFINITE))
            fail("Submit");
        t = make_socket_task(i);
        CHECK(t != NULL, "Create_HP_SocketTaskObj");
        if (!HP_ThreadPool_Submit_Task(g_pool, t, 0)) {
            Destroy_HP_SocketTaskObj(t); /* still ours after a failed submit */
            fail("Submit_Task");
        }
    }
    return NULL;
}

/* A gate: tasks that wait until it opens. */
static int g_gate_open, g_gate_waiting;

static VOID __HP_CALL gate_task(PVOID arg)
{
    (void)arg;
    pthread_mutex_lock(&g_lock);
    g_gate_waiting++;
    pthread_cond_broadcast(&g_cond);
    while (!g_gate_open)
        pthread_cond_wait(&g_cond, &g_lock);
    g_gate_waiting--;
    pthread_mutex_unlock(&g_lock);
}

static void set_gate(int open)
{
    pthread_mutex_lock(&g_lock);
    g_gate_open = open;
    pthread_cond_broadcast(&g_cond);
    pthread_mutex_unlock(&g_lock);
}

/* Waits (at most 10 s) until *v >= want. */
static void wait_for(int* v, int want, const char* what)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 10;
    pthread_mutex_lock(&g_lock);
    while (*v < want)
        if (pthread_cond_timedwait(&g_cond, &g_lock, &until) == ETIMEDOUT) {
            pthread_mutex_unlock(&g_lock);
            fail(what);
        }
    pthread_mutex_unlock(&g_lock);
}

static pthread_t g_caller;
static int g_ran_on_caller;

static VOID __HP_CALL where_task(PVOID arg)
{
    (void)arg;
    g_ran_on_caller += pthread_equal(pthread_self(), g_caller) != 0;
}

/* ---- checks ---- */

static void bulk(void)
{
    pthread_t th[SUBMITTERS];
    size_t k;
    int i;
    HP_ThreadPoolListener l = Create_HP_ThreadPoolListener();
    CHECK(l != NULL, "Create_HP_ThreadPoolListener");
    HP_Set_FN_ThreadPool_OnStartup(l, on_startup);
    HP_Set_FN_ThreadPool_OnShutdown(l, on_shutdown);
    HP_Set_FN_ThreadPool_OnWorkerThreadStart(l, on_worker_start);
    HP_Set_FN_ThreadPool_OnWorkerThreadEnd(l, on_worker_end);
    g_pool = Create_HP_ThreadPool(l);
    CHECK(g_pool != NULL, "Create_HP_ThreadPool");

    CHECK(HP_ThreadPool_Start(g_pool, 4, 16, TRP_WAIT_FOR, 0), "Start");
    CHECK(HP_ThreadPool_HasStarted(g_pool) && HP_ThreadPool_GetState(g_pool) == SS_STARTED, "state");
    CHECK(HP_ThreadPool_GetThreadCount(g_pool) == 4 && HP_ThreadPool_GetMaxQueueSize(g_pool) == 16
          && HP_ThreadPool_GetRejectedPolicy(g_pool) == TRP_WAIT_FOR, "properties");

    for (k = 0; k < SUBMITTERS; k++)
        CHECK(pthread_create(&th[k], NULL, submitter, (void*)k) == 0, "pthread_create");
    /* Grow while they submit. */
    CHECK(HP_ThreadPool_AdjustThreadCount(g_pool, 6), "AdjustThreadCount");
    CHECK(HP_ThreadPool_GetThreadCount(g_pool) == 6, "thread count");
    for (k = 0; k < SUBMITTERS; k++)
        pthread_join(th[k], NULL);

    /* Stop runs what is still queued. */
    CHECK(HP_ThreadPool_Stop(g_pool, INFINITE), "Stop");
    CHECK(HP_ThreadPool_Wait(g_pool, 0) && HP_ThreadPool_GetState(g_pool) == SS_STOPPED, "stopped");
    for (i = 0; i < g_tasks; i++) {
        CHECK(g_ran[i] == 1, "a plain task did not run exactly once");
        CHECK(g_sock_ran[i] == 1, "a socket task did not run exactly once");
    }
    CHECK(g_bad_bytes == 0, "a socket task saw wrong fields or bytes");
    CHECK(g_startups == 1 && g_shutdowns == 1 && g_starts == 6 && g_ends == 6, "events");
    CHECK(g_wrong_sender == 0, "an event had the wrong pool or thread");

    Destroy_HP_ThreadPool(g_pool);
    Destroy_HP_ThreadPoolListener(l);
    CHECK(!HP_ThreadPool_HasStarted(g_pool) && SYS_GetLastError() == EBADF, "destroyed handle");
}

static void policies(void)
{
    HP_LPTSocketTask t;
    LPBYTE p;
    int i;
    HP_ThreadPool pool = Create_HP_ThreadPool(NULL);
    CHECK(pool != NULL, "Create_HP_ThreadPool(NULL)");

    /* TRP_CALL_FAIL: one worker held at the gate, a queue of 1 filled, then refusals. */
    set_gate(0);
    g_gate_waiting = 0;
    CHECK(HP_ThreadPool_Start(pool, 1, 1, TRP_CALL_FAIL, 0), "Start CALL_FAIL");
    CHECK(HP_ThreadPool_Submit(pool, gate_task, NULL, 0), "Submit gate");
    wait_for(&g_gate_waiting, 1, "the gate task");
    CHECK(HP_ThreadPool_Submit(pool, gate_task, NULL, 0), "Submit to fill the queue");
    CHECK(!HP_ThreadPool_Submit(pool, gate_task, NULL, 0) && SYS_GetLastError() == EXFULL, "CALL_FAIL");
    p = SYS_Malloc(100);
    CHECK(p != NULL, "SYS_Malloc");
    memset(p, 7, 100);
    t = Create_HP_SocketTaskObj(socket_task, &g_pool, 0, p, 100, TBT_ATTACH, 0, 0);
    CHECK(t != NULL, "Create_HP_SocketTaskObj");
    CHECK(!HP_ThreadPool_Submit_Task(pool, t, 0) && SYS_GetLastError() == EXFULL, "CALL_FAIL task");
    CHECK(t->buf == p && p[99] == 7, "a refused task is left as it was");
    errno = 0;
    Destroy_HP_SocketTaskObj(t); /* refused: ours to free, buffer and all */
    CHECK(errno == 0, "Destroy_HP_SocketTaskObj of a refused task");

    /* A stop that times out: the queued socket tasks are dropped and freed by the pool. */
    set_gate(1);
    CHECK(HP_ThreadPool_Stop(pool, INFINITE), "Stop CALL_FAIL");
    set_gate(0);
    g_gate_waiting = 0;
    CHECK(HP_ThreadPool_Start(pool, 1, 0, TRP_CALL_FAIL, 0), "Start again");
    CHECK(HP_ThreadPool_Submit(pool, gate_task, NULL, 0), "Submit gate");
    wait_for(&g_gate_waiting, 1, "the gate task");
    for (i = 0; i < 8; i++) {
        p = SYS_Malloc(64);
        CHECK(p != NULL, "SYS_Malloc");
        t = Create_HP_SocketTaskObj(socket_task, &g_pool, 0, p, 64, TBT_ATTACH, 0, 0);
        CHECK(t != NULL && HP_ThreadPool_Submit_Task(pool, t, 0), "queue a socket task");
    }
    CHECK(HP_ThreadPool_GetQueueSize(pool) == 8 && HP_ThreadPool_GetTaskCount(pool) == 1, "queue");
    errno = 0;
    CHECK(HP_ThreadPool_Stop(pool, 100) && SYS_GetLastError() == ECANCELED, "Stop timed out");
    CHECK(HP_ThreadPool_GetState(pool) == SS_STOPPED, "stopped after the timeout");
    set_gate(1); /* the abandoned worker finishes its task and ends */
    {
        struct timespec d = {0, 20 * 1000 * 1000};
        for (i = 0; i < 500 && g_gate_waiting > 0; i++)
            nanosleep(&d, NULL);
        CHECK(g_gate_waiting == 0, "the abandoned worker");
    }

    /* TRP_WAIT_FOR with a limit: ETIMEDOUT; TRP_CALLER_RUN: runs on this thread. */
    set_gate(0);
    g_gate_waiting = 0;
    CHECK(HP_ThreadPool_Start(pool, 1, 1, TRP_WAIT_FOR, 0), "Start WAIT_FOR");
    CHECK(HP_ThreadPool_Submit(pool, gate_task, NULL, 0), "Submit gate");
    wait_for(&g_gate_waiting, 1, "the gate task");
    CHECK(HP_ThreadPool_Submit(pool, gate_task, NULL, 0), "fill");
    CHECK(!HP_ThreadPool_Submit(pool, gate_task, NULL, 50) && SYS_GetLastError() == ETIMEDOUT, "WAIT_FOR");
    set_gate(1);
    CHECK(HP_ThreadPool_Stop(pool, 0), "Stop WAIT_FOR");

    set_gate(0);
    g_gate_waiting = 0;
    CHECK(HP_ThreadPool_Start(pool, 1, 1, TRP_CALLER_RUN, 0), "Start CALLER_RUN");
    CHECK(HP_ThreadPool_Submit(pool, gate_task, NULL, 0), "Submit gate");
    wait_for(&g_gate_waiting, 1, "the gate task");
    CHECK(HP_ThreadPool_Submit(pool, gate_task, NULL, 0), "fill");
    g_caller = pthread_self();
    CHECK(HP_ThreadPool_Submit(pool, where_task, NULL, 0) && g_ran_on_caller == 1, "CALLER_RUN");
    p = SYS_Malloc(16);
    CHECK(p != NULL, "SYS_Malloc");
    memcpy(p, "task 0", 7);
    t = Create_HP_SocketTaskObj(socket_task, &g_pool, 0, p, 7, TBT_ATTACH, 0, 0);
    CHECK(t != NULL && HP_ThreadPool_Submit_Task(pool, t, 0), "CALLER_RUN task"); /* run and freed */
    set_gate(1);
    CHECK(HP_ThreadPool_Stop(pool, INFINITE), "Stop CALLER_RUN");

    /* A task the caller never submits, in each mode. */
    {
        static BYTE shared[4] = {1, 2, 3, 4};
        LPBYTE own = SYS_Malloc(4);
        CHECK(own != NULL, "SYS_Malloc");
        Destroy_HP_SocketTaskObj(Create_HP_SocketTaskObj(socket_task, NULL, 1, shared, 4, TBT_COPY, 0, 0));
        Destroy_HP_SocketTaskObj(Create_HP_SocketTaskObj(socket_task, NULL, 1, shared, 4, TBT_REFER, 0, 0));
        Destroy_HP_SocketTaskObj(Create_HP_SocketTaskObj(socket_task, NULL, 1, own, 4, TBT_ATTACH, 0, 0));
    }
    Destroy_HP_ThreadPool(pool);
}

static void memory(void)
{
    LPBYTE p = SYS_Malloc(10), q;
    LPVOID z;
    CHECK(p != NULL, "SYS_Malloc");
    memset(p, 1, 10);
    q = SYS_Realloc(p, 1000);
    CHECK(q != NULL && q[9] == 1, "SYS_Realloc");
    SYS_Free(q);
    z = SYS_Calloc(10, 10);
    CHECK(z != NULL && ((BYTE*)z)[99] == 0, "SYS_Calloc");
    SYS_Free((LPBYTE)z);
    p = SYS_Alloca(32); /* heap memory here: freed like the others */
    CHECK(p != NULL, "SYS_Alloca");
    memset(p, 0, 32);
    SYS_Free(p);
    CHECK(SYS_Malloc(-1) == NULL && SYS_GetLastError() == EINVAL, "negative size");
}

int main(int argc, char** argv)
{
    g_tasks = argc > 1 ? atoi(argv[1]) : 2000;
    CHECK(g_tasks > 0 && g_tasks <= MAX_TASKS, "task count");
    g_ran = calloc((size_t)g_tasks, 1);
    g_sock_ran = calloc((size_t)g_tasks, 1);
    CHECK(g_ran != NULL && g_sock_ran != NULL, "calloc");

    bulk();
    policies();
    memory();

    printf("OK tasks=%d socket_tasks=%d workers=%d events=%d/%d\n", g_tasks, g_tasks, g_starts,
           g_startups, g_shutdowns);
    free(g_ran);
    free(g_sock_ran);
    return 0;
}
