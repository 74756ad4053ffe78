/* xl configuration reader (see xlcfg.h for the grammar it follows). */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcipt/xl/xlcfg.h"

enum tok { T_END, T_NL, T_IDENT, T_ATOM, T_EQ, T_ADD, T_SEMI, T_COMMA, T_LBR, T_RBR };

struct lexer {
    const char *p, *source;
    unsigned line;        /* where the scanner is */
    unsigned tok_line;    /* where the current token started (errors name it) */
    enum tok t;
    char *text;           /* T_IDENT / T_ATOM value (malloc'd) */
    char *err;
    size_t errlen;
};

static int lex_error(struct lexer *lx, const char *fmt, ...)
{
    va_list ap;
    int n = snprintf(lx->err, lx->errlen, "%s:%u: ", lx->source, lx->tok_line);

    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < lx->errlen)
        vsnprintf(lx->err + n, lx->errlen - (size_t)n, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

static int hexval(int c)
{
    return isdigit(c) ? c - '0' : tolower(c) - 'a' + 10;
}

/* One escape after a backslash: \" \' \\ \a \b \f \n \r \t \v \xHH \OOO. */
static int unescape(struct lexer *lx, const char **pp, char *out)
{
    const char *p = *pp;
    static const char from[] = "\"'\\abfnrtv", to[] = "\"'\\\a\b\f\n\r\t\v";
    const char *k = *p ? strchr(from, *p) : NULL;

    if (k) {
        *out = to[k - from];
        *pp = p + 1;
        return 0;
    }
    if (*p == 'x' && isxdigit((unsigned char)p[1]) && isxdigit((unsigned char)p[2])) {
        *out = (char)(hexval(p[1]) * 16 + hexval(p[2]));
        *pp = p + 3;
        return 0;
    }
    if (*p >= '0' && *p <= '7') {
        unsigned v = 0, n = 0;
        while (n < 3 && *p >= '0' && *p <= '7')
            v = v * 8 + (unsigned)(*p++ - '0'), n++;
        *out = (char)v;
        *pp = p;
        return 0;
    }
    return lex_error(lx, "invalid character after backslash in a quoted string");
}

static int lex_string(struct lexer *lx)
{
    char q = *lx->p++;
    char *buf = malloc(strlen(lx->p) + 1), *o = buf;
    int rc;

    if (!buf)
        return -ENOMEM;
    for (;;) {
        char c = *lx->p;
        if (c == '\0' || c == '\n') {
            free(buf);
            return lex_error(lx, "unterminated string");
        }
        lx->p++;
        if (c == q)
            break;
        if (c == '\\') {
            if ((rc = unescape(lx, &lx->p, o))) {
                free(buf);
                return rc;
            }
            o++;
        } else {
            *o++ = c;
        }
    }
    *o = '\0';
    lx->text = buf;
    lx->t = T_ATOM;
    return 0;
}

static int lex_word(struct lexer *lx, enum tok t, int (*more)(int))
{
    const char *s = lx->p;

    while (*lx->p && more((unsigned char)*lx->p))
        lx->p++;
    if (!(lx->text = strndup(s, (size_t)(lx->p - s))))
        return -ENOMEM;
    lx->t = t;
    return 0;
}

static int ident_char(int c) { return islower(c) || isdigit(c) || c == '.' || c == '_'; }
static int number_char(int c) { return isdigit(c) || (c >= 'a' && c <= 'f') || c == 'x'; }

static int lex_next(struct lexer *lx)
{
    free(lx->text);
    lx->text = NULL;
    while (*lx->p == ' ' || *lx->p == '\t')
        lx->p++;
    if (*lx->p == '#')
        while (*lx->p && *lx->p != '\n')
            lx->p++;
    lx->tok_line = lx->line;
    switch (*lx->p) {
    case '\0': lx->t = T_END; return 0;
    case '\n': lx->p++; lx->line++; lx->t = T_NL; return 0;
    case '=': lx->p++; lx->t = T_EQ; return 0;
    case ';': lx->p++; lx->t = T_SEMI; return 0;
    case ',': lx->p++; lx->t = T_COMMA; return 0;
    case '[': lx->p++; lx->t = T_LBR; return 0;
    case ']': lx->p++; lx->t = T_RBR; return 0;
    case '"': case '\'': return lex_string(lx);
    case '+':
        if (lx->p[1] == '=') {
            lx->p += 2;
            lx->t = T_ADD;
            return 0;
        }
        break;
    default:
        if (islower((unsigned char)*lx->p))
            return lex_word(lx, T_IDENT, ident_char);
        if (isdigit((unsigned char)*lx->p))
            return lex_word(lx, T_ATOM, number_char);
    }
    return lex_error(lx, "lexical error at '%c' (not xl configuration syntax)", *lx->p);
}

static int push_item(struct xlcfg_setting *s, char *v)
{
    char **n = realloc(s->items, (s->nitems + 1) * sizeof(*n));

    if (!n) {
        free(v);
        return -ENOMEM;
    }
    s->items = n;
    s->items[s->nitems++] = v;
    return 0;
}

static int skip_newlines(struct lexer *lx)
{
    int rc = 0;
    while (!rc && lx->t == T_NL)
        rc = lex_next(lx);
    return rc;
}

/* value := ATOM | '[' nl* (value nl* (',' nl* value nl*)* (',' nl*)?)? ']' */
static int parse_value(struct lexer *lx, struct xlcfg_setting *s, unsigned depth);

static int parse_list(struct lexer *lx, struct xlcfg_setting *s, unsigned depth)
{
    int rc;

    if (depth > 8)
        return lex_error(lx, "lists nested too deeply");
    if ((rc = lex_next(lx)) || (rc = skip_newlines(lx)))
        return rc;
    while (lx->t != T_RBR) {
        if ((rc = parse_value(lx, s, depth + 1)) || (rc = skip_newlines(lx)))
            return rc;
        if (lx->t == T_COMMA) {
            if ((rc = lex_next(lx)) || (rc = skip_newlines(lx)))
                return rc;
        } else if (lx->t != T_RBR) {
            return lex_error(lx, "expected ',' or ']' in a list");
        }
    }
    return lex_next(lx);
}

static int parse_value(struct lexer *lx, struct xlcfg_setting *s, unsigned depth)
{
    int rc;

    if (lx->t == T_LBR) {
        struct xlcfg_setting inner = { 0 };
        char *mark;

        if (depth == 0) {
            s->is_list = true;
            return parse_list(lx, s, depth);
        }
        /* A nested list (no key pcipt reads has one): kept as "[...]". */
        rc = parse_list(lx, &inner, depth);
        for (unsigned i = 0; i < inner.nitems; i++)
            free(inner.items[i]);
        free(inner.items);
        if (rc)
            return rc;
        if (!(mark = strdup("[...]")))
            return -ENOMEM;
        return push_item(s, mark);
    }
    if (lx->t != T_ATOM)
        return lex_error(lx, "expected a value (number, string or list)");
    rc = push_item(s, lx->text);
    lx->text = NULL;
    return rc ? rc : lex_next(lx);
}

static struct xlcfg_setting *find(const struct xlcfg *cfg, const char *name)
{
    for (unsigned i = cfg->n; i-- > 0;)
        if (!strcmp(cfg->s[i].name, name))
            return &cfg->s[i];
    return NULL;
}

static void setting_free(struct xlcfg_setting *s)
{
    for (unsigned i = 0; i < s->nitems; i++)
        free(s->items[i]);
    free(s->items);
    free(s->name);
    memset(s, 0, sizeof(*s));
}

/* "+=": the previous value's items come first (libxlu concatenates). */
static int append_previous(const struct xlcfg_setting *prev, struct xlcfg_setting *s)
{
    char **n = calloc(prev->nitems + s->nitems + 1, sizeof(*n));

    if (!n)
        return -ENOMEM;
    for (unsigned i = 0; i < prev->nitems; i++)
        if (!(n[i] = strdup(prev->items[i]))) {
            while (i-- > 0)
                free(n[i]);
            free(n);
            return -ENOMEM;
        }
    memcpy(n + prev->nitems, s->items, s->nitems * sizeof(*n));
    free(s->items);
    s->items = n;
    s->nitems += prev->nitems;
    s->is_list = s->is_list || prev->is_list;
    return 0;
}

static int add_setting(struct xlcfg *cfg, struct xlcfg_setting *s)
{
    if (cfg->n == cfg->cap) {
        unsigned cap = cfg->cap ? cfg->cap * 2 : 16;
        struct xlcfg_setting *n = realloc(cfg->s, cap * sizeof(*n));
        if (!n)
            return -ENOMEM;
        cfg->s = n;
        cfg->cap = cap;
    }
    cfg->s[cfg->n++] = *s;
    return 0;
}

static int parse_statement(struct lexer *lx, struct xlcfg *cfg)
{
    struct xlcfg_setting s = { .line = lx->tok_line };
    bool add;
    int rc;

    s.name = lx->text;
    lx->text = NULL;
    if ((rc = lex_next(lx)))
        goto out;
    if (lx->t != T_EQ && lx->t != T_ADD) {
        rc = lex_error(lx, "expected '=' or '+=' after '%s'", s.name);
        goto out;
    }
    add = lx->t == T_ADD;
    if ((rc = lex_next(lx)) || (rc = parse_value(lx, &s, 0)))
        goto out;
    if (lx->t != T_NL && lx->t != T_SEMI && lx->t != T_END) {
        rc = lex_error(lx, "expected the end of the line after the value of '%s'", s.name);
        goto out;
    }
    if (add && find(cfg, s.name) && (rc = append_previous(find(cfg, s.name), &s)))
        goto out;
    if (!(rc = add_setting(cfg, &s)))
        return 0;
out:
    setting_free(&s);
    return rc;
}

int xlcfg_parse_text(struct xlcfg *cfg, const char *text, const char *source, char *err,
                     size_t errlen)
{
    struct lexer lx = { .p = text, .source = source, .line = 1, .tok_line = 1, .err = err,
                        .errlen = errlen };
    int rc = lex_next(&lx);

    while (!rc && lx.t != T_END) {
        if (lx.t == T_NL || lx.t == T_SEMI)
            rc = lex_next(&lx);
        else if (lx.t == T_IDENT)
            rc = parse_statement(&lx, cfg);
        else
            rc = lex_error(&lx, "expected a setting name");
    }
    free(lx.text);
    if (rc == -ENOMEM)
        snprintf(err, errlen, "%s: out of memory", source);
    return rc;
}

int xlcfg_parse_file(struct xlcfg *cfg, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    char *text = NULL;
    size_t len = 0;
    int rc;

    if (!f) {
        rc = errno;
        snprintf(err, errlen, "cannot read the xl config %s: %s", path, strerror(rc));
        return -rc;
    }
    FILE *m = open_memstream(&text, &len);
    char buf[4096];
    size_t n;
    while (m && (n = fread(buf, 1, sizeof(buf), f)) > 0)
        fwrite(buf, 1, n, m);
    rc = ferror(f) ? -EIO : 0;
    fclose(f);
    if (!m || fclose(m) || !text) {
        free(text);
        snprintf(err, errlen, "cannot read the xl config %s: out of memory", path);
        return -ENOMEM;
    }
    if (rc)
        snprintf(err, errlen, "cannot read the xl config %s: %s", path, strerror(-rc));
    else if (memchr(text, '\0', len))
        rc = -EINVAL, snprintf(err, errlen, "%s: not a text file (NUL byte)", path);
    else
        rc = xlcfg_parse_text(cfg, text, path, err, errlen);
    free(text);
    return rc;
}

void xlcfg_free(struct xlcfg *cfg)
{
    for (unsigned i = 0; i < cfg->n; i++)
        setting_free(&cfg->s[i]);
    free(cfg->s);
    memset(cfg, 0, sizeof(*cfg));
}

const struct xlcfg_setting *xlcfg_get(const struct xlcfg *cfg, const char *name)
{
    return find(cfg, name);
}

const char *xlcfg_string(const struct xlcfg *cfg, const char *name)
{
    const struct xlcfg_setting *s = find(cfg, name);
    return (s && !s->is_list && s->nitems == 1) ? s->items[0] : NULL;
}
