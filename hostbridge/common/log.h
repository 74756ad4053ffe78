/* Logging: levels, stderr or syslog, and a rate limiter for guest-triggered
 * messages.  Errors inside the code are -errno; sentences are made at the
 * edge (the CLI and the daemon's log). */
#ifndef PCIPT_LOG_H
#define PCIPT_LOG_H

#include <stdbool.h>
#include <stdint.h>

enum log_level { LOG_LVL_ERR = 0, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG, LOG_LVL_TRACE };

void log_set_level(enum log_level lvl);
enum log_level log_get_level(void);
void log_use_syslog(bool on, const char *ident);
/* Send stderr-mode output to a callback instead (tests capture it). */
void log_set_sink(void (*sink)(enum log_level, const char *msg, void *opaque), void *opaque);

void log_msg(enum log_level lvl, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define log_err(...)   log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)
#define log_trace(...) do { if (log_get_level() >= LOG_LVL_TRACE) log_msg(LOG_LVL_TRACE, __VA_ARGS__); } while (0)

/* A token bucket: at most `burst` messages, refilled at one per `interval_ms`.
 * Use one per message class (e.g. per virtual device). */
struct ratelimit {
    uint64_t last_ms;
    unsigned tokens;
    unsigned burst;
    unsigned interval_ms;
    unsigned suppressed;
};
#define RATELIMIT_INIT(burst_, ms_) { 0, (burst_), (burst_), (ms_), 0 }
bool ratelimit_ok(struct ratelimit *rl);

#endif
