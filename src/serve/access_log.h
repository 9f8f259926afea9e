// One line per answered request on standard error: time, method, route, status and the
// milliseconds from the request's first byte to its answer. Written with one write(2), so
// that lines from different threads never interleave.
//   text: 2026-12-05T12:00:00.123Z POST /predict 200 3.21 ms
//   json: {"time":"2026-12-05T12:00:00.123Z","method":"POST","route":"/predict","status":200,"ms":3.21}
#ifndef FC_SERVE_ACCESS_LOG_H
#define FC_SERVE_ACCESS_LOG_H

typedef enum fc_log_format {
    FC_LOG_TEXT = 0,
    FC_LOG_JSON,
    FC_LOG_NONE, // --quiet
} fc_log_format;

// "text", "json" or "none"; -1 for another name.
int fc_log_format_from_name(const char *name);

// route is the request's path as sent (without the query); bytes that are not printable
// ASCII are written as '?' in text and escaped in JSON.
void fc_access_log(fc_log_format format, const char *method, const char *route, int status,
                   double seconds);

#endif
