#include "serve/connections.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include "util/alloc.h"
#include "util/error.h"

// How often the sweep looks for connections past their deadline: the deadline is kept to
// within this much.
static const double sweep_interval_seconds = 0.2;
// A connection opened past max_connections only waits for its request to answer it 503: it
// gets this long (or the request deadline, if shorter), so that a flood of idle sockets does
// not hold the overflow slots.
static const double over_capacity_deadline_seconds = 2.0;

struct fc_connection {
    int fd;
    int over_capacity;
    int answering;     // a complete request is being answered: no deadline
    int shut_down;     // the sweep has shut the socket down; libmicrohttpd will close it
    double waiting_since;
    fc_connection *prev, *next;
};

struct fc_connections {
    int max_connections;
    double request_deadline;
    pthread_mutex_t lock;
    pthread_cond_t wake; // signalled at free, so that the sweep stops at once
    int stopping;
    pthread_t sweeper;
    fc_connection *head; // every open connection
    int open;
    long over_capacity_total;
    long expired_total;
};

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

// Shuts down the sockets of the connections past their deadline. The descriptor is still
// open: libmicrohttpd closes it only after the closed notification, which takes this lock.
static void sweep(fc_connections *c) {
    double now = now_seconds();
    for (fc_connection *conn = c->head; conn; conn = conn->next) {
        if (conn->answering || conn->shut_down) continue;
        double deadline = c->request_deadline;
        if (conn->over_capacity && deadline > over_capacity_deadline_seconds)
            deadline = over_capacity_deadline_seconds;
        if (now - conn->waiting_since <= deadline) continue;
        shutdown(conn->fd, SHUT_RDWR);
        conn->shut_down = 1;
        c->expired_total++;
    }
}

static void *sweeper_main(void *arg) {
    fc_connections *c = arg;
    pthread_mutex_lock(&c->lock);
    while (!c->stopping) {
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        long nanoseconds = until.tv_nsec + (long)(sweep_interval_seconds * 1e9);
        until.tv_sec += nanoseconds / 1000000000L;
        until.tv_nsec = nanoseconds % 1000000000L;
        pthread_cond_timedwait(&c->wake, &c->lock, &until);
        if (!c->stopping) sweep(c);
    }
    pthread_mutex_unlock(&c->lock);
    return NULL;
}

int fc_connections_create(int max_connections, double request_deadline, fc_connections **out,
                          fc_error *err) {
    fc_connections *c = fc_calloc(1, sizeof *c);
    c->max_connections = max_connections;
    c->request_deadline = request_deadline;
    pthread_mutex_init(&c->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&c->wake, &attr);
    pthread_condattr_destroy(&attr);
    if (pthread_create(&c->sweeper, NULL, sweeper_main, c) != 0) {
        pthread_cond_destroy(&c->wake);
        pthread_mutex_destroy(&c->lock);
        free(c);
        *out = NULL;
        return fc_fail(err, "cannot start the connection deadline thread");
    }
    *out = c;
    return 0;
}

void fc_connections_free(fc_connections *c) {
    if (!c) return;
    pthread_mutex_lock(&c->lock);
    c->stopping = 1;
    pthread_cond_signal(&c->wake);
    pthread_mutex_unlock(&c->lock);
    pthread_join(c->sweeper, NULL);
    while (c->head) { // none, once libmicrohttpd has stopped; freed for safety
        fc_connection *next = c->head->next;
        free(c->head);
        c->head = next;
    }
    pthread_cond_destroy(&c->wake);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

fc_connection *fc_connections_opened(fc_connections *c, int fd) {
    fc_connection *conn = fc_calloc(1, sizeof *conn);
    conn->fd = fd;
    conn->waiting_since = now_seconds();
    pthread_mutex_lock(&c->lock);
    conn->over_capacity = c->open >= c->max_connections;
    if (conn->over_capacity) c->over_capacity_total++;
    c->open++;
    conn->next = c->head;
    if (c->head) c->head->prev = conn;
    c->head = conn;
    pthread_mutex_unlock(&c->lock);
    return conn;
}

void fc_connections_closed(fc_connections *c, fc_connection *conn) {
    if (!conn) return;
    pthread_mutex_lock(&c->lock);
    if (conn->prev) conn->prev->next = conn->next;
    else c->head = conn->next;
    if (conn->next) conn->next->prev = conn->prev;
    c->open--;
    pthread_mutex_unlock(&c->lock);
    free(conn);
}

int fc_connection_over_capacity(const fc_connection *conn) {
    return conn && conn->over_capacity;
}

void fc_connection_request_complete(fc_connections *c, fc_connection *conn) {
    if (!conn) return;
    pthread_mutex_lock(&c->lock);
    conn->answering = 1;
    pthread_mutex_unlock(&c->lock);
}

void fc_connection_reply_done(fc_connections *c, fc_connection *conn) {
    if (!conn) return;
    pthread_mutex_lock(&c->lock);
    conn->answering = 0;
    conn->waiting_since = now_seconds();
    pthread_mutex_unlock(&c->lock);
}

void fc_connections_counts(fc_connections *c, int *open, long *over_capacity, long *expired) {
    pthread_mutex_lock(&c->lock);
    *open = c->open;
    *over_capacity = c->over_capacity_total;
    *expired = c->expired_total;
    pthread_mutex_unlock(&c->lock);
}
