/* A small JSON reader for tests: parses a whole document into a tree so a
 * test can check what the CLI's --json printed (and that it is JSON). */
#ifndef TESTS_JSON_UTIL_H
#define TESTS_JSON_UTIL_H

#include <stdbool.h>
#include <stdint.h>

enum jv_type { JV_NULL, JV_BOOL, JV_NUM, JV_STR, JV_ARR, JV_OBJ };

struct jv {
    enum jv_type type;
    bool b;
    double num;
    char *str;                 /* JV_STR */
    unsigned n;                /* JV_ARR / JV_OBJ: children */
    struct jv *kids;
    char **keys;               /* JV_OBJ: key of each child */
};

/* NULL on a syntax error (anything but one value plus whitespace). */
struct jv *jv_parse(const char *text);
void jv_free(struct jv *v);
/* Member of an object (NULL if absent or v is not an object). */
const struct jv *jv_get(const struct jv *v, const char *key);
/* A string member parsed as a 0x-hex/decimal number; false if absent. */
bool jv_get_u64(const struct jv *v, const char *key, uint64_t *out);
const char *jv_get_str(const struct jv *v, const char *key);

#endif
