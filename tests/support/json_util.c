#include "tests/support/json_util.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

struct jp {
    const char *p;
    int depth;
};

static void ws(struct jp *j)
{
    while (isspace((unsigned char)*j->p))
        j->p++;
}

static void jv_clear(struct jv *v);

static char *parse_string(struct jp *j)
{
    size_t cap = 16, len = 0;
    char *out;

    if (*j->p != '"')
        return NULL;
    j->p++;
    out = malloc(cap);
    while (out && *j->p && *j->p != '"') {
        char c = *j->p++;
        if ((unsigned char)c < 0x20)
            goto bad;
        if (c == '\\') {
            c = *j->p++;
            switch (c) {
            case '"': case '\\': case '/': break;
            case 'n': c = '\n'; break;
            case 't': c = '\t'; break;
            case 'r': c = '\r'; break;
            case 'b': c = '\b'; break;
            case 'f': c = '\f'; break;
            case 'u':
                for (int k = 0; k < 4; k++)
                    if (!isxdigit((unsigned char)j->p[k]))
                        goto bad;
                c = (char)strtol((char[5]){ j->p[0], j->p[1], j->p[2], j->p[3], 0 }, NULL, 16);
                j->p += 4;
                break;
            default: goto bad;
            }
        }
        if (len + 2 > cap) {
            char *n = realloc(out, cap *= 2);
            if (!n)
                goto bad;
            out = n;
        }
        out[len++] = c;
    }
    if (!out || *j->p != '"')
        goto bad;
    j->p++;
    out[len] = '\0';
    return out;
bad:
    free(out);
    return NULL;
}

static bool parse_value(struct jp *j, struct jv *v);

static bool add_kid(struct jv *v, char *key, struct jp *j)
{
    struct jv *k = realloc(v->kids, (v->n + 1) * sizeof(*k));
    char **keys;

    if (!k)
        return false;
    v->kids = k;
    keys = realloc(v->keys, (v->n + 1) * sizeof(*keys));
    if (!keys)
        return false;
    v->keys = keys;
    memset(&v->kids[v->n], 0, sizeof(struct jv));
    v->keys[v->n] = key;
    v->n++;
    return parse_value(j, &v->kids[v->n - 1]);
}

static bool parse_container(struct jp *j, struct jv *v, bool obj)
{
    char close = obj ? '}' : ']';

    v->type = obj ? JV_OBJ : JV_ARR;
    j->p++;
    ws(j);
    if (*j->p == close) {
        j->p++;
        return true;
    }
    for (;;) {
        char *key = NULL;
        ws(j);
        if (obj) {
            key = parse_string(j);
            if (!key)
                return false;
            ws(j);
            if (*j->p++ != ':') {
                free(key);
                return false;
            }
        }
        if (!add_kid(v, key, j))
            return false;
        ws(j);
        if (*j->p == ',') {
            j->p++;
            continue;
        }
        if (*j->p == close) {
            j->p++;
            return true;
        }
        return false;
    }
}

static bool parse_value(struct jp *j, struct jv *v)
{
    bool ok;

    ws(j);
    if (++j->depth > 64)
        return false;
    if (*j->p == '{' || *j->p == '[') {
        ok = parse_container(j, v, *j->p == '{');
    } else if (*j->p == '"') {
        v->type = JV_STR;
        v->str = parse_string(j);
        ok = v->str != NULL;
    } else if (!strncmp(j->p, "true", 4) || !strncmp(j->p, "false", 5)) {
        v->type = JV_BOOL;
        v->b = j->p[0] == 't';
        j->p += v->b ? 4 : 5;
        ok = true;
    } else if (!strncmp(j->p, "null", 4)) {
        v->type = JV_NULL;
        j->p += 4;
        ok = true;
    } else {
        char *end;
        v->type = JV_NUM;
        v->num = strtod(j->p, &end);
        ok = end != j->p && (*j->p == '-' || isdigit((unsigned char)*j->p));
        j->p = end;
    }
    j->depth--;
    return ok;
}

struct jv *jv_parse(const char *text)
{
    struct jp j = { text, 0 };
    struct jv *v = calloc(1, sizeof(*v));

    if (!v)
        return NULL;
    if (!parse_value(&j, v)) {
        jv_free(v);
        return NULL;
    }
    ws(&j);
    if (*j.p) {
        jv_free(v);
        return NULL;
    }
    return v;
}

static void jv_clear(struct jv *v)
{
    for (unsigned i = 0; i < v->n; i++) {
        jv_clear(&v->kids[i]);
        if (v->keys)
            free(v->keys[i]);
    }
    free(v->kids);
    free(v->keys);
    free(v->str);
}

void jv_free(struct jv *v)
{
    if (v) {
        jv_clear(v);
        free(v);
    }
}

const struct jv *jv_get(const struct jv *v, const char *key)
{
    if (!v || v->type != JV_OBJ)
        return NULL;
    for (unsigned i = 0; i < v->n; i++)
        if (!strcmp(v->keys[i], key))
            return &v->kids[i];
    return NULL;
}

const char *jv_get_str(const struct jv *v, const char *key)
{
    const struct jv *k = jv_get(v, key);
    return k && k->type == JV_STR ? k->str : NULL;
}

bool jv_get_u64(const struct jv *v, const char *key, uint64_t *out)
{
    const char *s = jv_get_str(v, key);
    char *end;

    if (!s || !*s)
        return false;
    *out = strtoull(s, &end, 0);
    return *end == '\0';
}
