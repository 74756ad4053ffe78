/* Warnings logged during a test (see warn_fx.h). */
#include "tests/support/warn_fx.h"

#include <stdio.h>
#include <string.h>

#include "hostbridge/common/log.h"

char warn_fx_text[4096];
unsigned warn_fx_count;

static void sink(enum log_level lvl, const char *msg, void *opaque)
{
    size_t used = strlen(warn_fx_text);

    (void)opaque;
    if (lvl != LOG_LVL_WARN)
        return;
    warn_fx_count++;
    snprintf(warn_fx_text + used, sizeof(warn_fx_text) - used, "%s\n", msg);
}

void warn_fx_start(void)
{
    warn_fx_text[0] = '\0';
    warn_fx_count = 0;
    log_set_sink(sink, NULL);
}

void warn_fx_stop(void)
{
    log_set_sink(NULL, NULL);
}
