/* Test-only environment switches (see testenv.h). */
#include "pcipt/util/testenv.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool test_env_enabled(void)
{
    return PCIPT_TEST_HOOKS != 0;
}

#if PCIPT_TEST_HOOKS
const char *test_env(const char *name)
{
    return getenv(name);
}
#else
#define MAX_NAMES 16

static pthread_mutex_t said_lock = PTHREAD_MUTEX_INITIALIZER;
static const char *said[MAX_NAMES];

/* True the first time name is seen (names are string literals). */
static bool first_time(const char *name)
{
    bool first = true;
    unsigned i;

    pthread_mutex_lock(&said_lock);
    for (i = 0; i < MAX_NAMES && said[i]; i++)
        if (!strcmp(said[i], name)) {
            first = false;
            break;
        }
    if (first && i < MAX_NAMES)
        said[i] = name;
    pthread_mutex_unlock(&said_lock);
    return first;
}

const char *test_env(const char *name)
{
    if (getenv(name) && first_time(name))
        fprintf(stderr, "pcipt: %s is ignored: this build does not honour test switches\n",
                name);
    return NULL;
}
#endif
