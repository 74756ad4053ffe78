#include "hostbridge/common/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>
#include <time.h>

static enum log_level cur_level = LOG_LVL_WARN;
static bool use_syslog;
static void (*log_sink)(enum log_level, const char *, void *);
static void *log_sink_opaque;

void log_set_level(enum log_level lvl) { cur_level = lvl; }
enum log_level log_get_level(void) { return cur_level; }

void log_use_syslog(bool on, const char *ident)
{
    use_syslog = on;
    if (on)
        openlog(ident ? ident : "pcipt", LOG_PID, LOG_DAEMON);
}

void log_set_sink(void (*sink)(enum log_level, const char *, void *), void *opaque)
{
    log_sink = sink;
    log_sink_opaque = opaque;
}

static const char *const level_name[] = { "error", "warning", "info", "debug", "trace" };
static const int level_prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG, LOG_DEBUG };

void log_msg(enum log_level lvl, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;

    if (lvl > cur_level)
        return;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (log_sink)
        log_sink(lvl, buf, log_sink_opaque);
    else if (use_syslog)
        syslog(level_prio[lvl], "%s", buf);
    else
        fprintf(stderr, "pcipt: %s: %s\n", level_name[lvl], buf);
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

bool ratelimit_ok(struct ratelimit *rl)
{
    uint64_t now = now_ms();

    if (rl->interval_ms && now > rl->last_ms) {
        uint64_t refill = (now - rl->last_ms) / rl->interval_ms;
        if (refill) {
            rl->tokens = (unsigned)((rl->tokens + refill > rl->burst) ? rl->burst : rl->tokens + refill);
            rl->last_ms = now;
        }
    }
    if (rl->tokens) {
        rl->tokens--;
        return true;
    }
    rl->suppressed++;
    return false;
}
