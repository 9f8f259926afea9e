// The server's own account of its open connections, kept from libmicrohttpd's connection
// notifications, for two limits that libmicrohttpd does not give:
//
// - A total cap answered with a 503: connections accepted while max_connections are already
//   open are marked over capacity, and their request gets a 503 with "Connection: close"
//   (libmicrohttpd's own limit, set an eighth higher, would leave them unanswered in the
//   listen backlog). They have 2 s to send that request, so that idle sockets do not keep
//   the overflow slots.
// - An absolute request deadline: a connection must deliver a complete request within
//   request_deadline seconds of opening, or of the reply to its previous request. Every byte
//   resets libmicrohttpd's connection timeout, so a client that trickles one header byte at a
//   time would hold its socket forever; here a sweep thread shuts down the sockets of the
//   connections past their deadline, and libmicrohttpd then closes them. Idle keep-alive
//   connections end the same way. While a request is being answered there is no deadline
//   (the forward's time is the server's, not the client's).
#ifndef FC_SERVE_CONNECTIONS_H
#define FC_SERVE_CONNECTIONS_H

#include "finecat.h"

typedef struct fc_connections fc_connections;
typedef struct fc_connection fc_connection; // one open socket

// Starts the sweep thread.
int fc_connections_create(int max_connections, double request_deadline, fc_connections **out,
                          fc_error *err);
// Stops the sweep thread and frees the registry (every connection must be closed by then).
void fc_connections_free(fc_connections *connections);

// A socket was accepted (fd is its descriptor) / closed (before its descriptor is closed).
fc_connection *fc_connections_opened(fc_connections *connections, int fd);
void fc_connections_closed(fc_connections *connections, fc_connection *connection);

// 1 when the connection was accepted with max_connections already open.
int fc_connection_over_capacity(const fc_connection *connection);
// The request on the connection is complete (its deadline stops) / its reply is sent or
// abandoned (the deadline of the next request starts now).
void fc_connection_request_complete(fc_connections *connections, fc_connection *connection);
void fc_connection_reply_done(fc_connections *connections, fc_connection *connection);

// Gauges and counters for /metrics.
void fc_connections_counts(fc_connections *connections, int *open, long *over_capacity,
                           long *expired);

#endif
