/* Collect the warnings the product logs during a test (log_set_sink):
 * warn_fx_start() in a setup, warn_fx_stop() in the teardown. */
#ifndef TESTS_SUPPORT_WARN_FX_H
#define TESTS_SUPPORT_WARN_FX_H

extern char warn_fx_text[4096];   /* every warning, one per line */
extern unsigned warn_fx_count;    /* how many */

void warn_fx_start(void);
void warn_fx_stop(void);

#endif
