/* The tests' one process runner (see run_util.h). */
#include "tests/support/run_util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/support/testreg.h"

static char *vformat(const char *fmt, va_list ap)
{
    char *s = NULL;

    if (vasprintf(&s, fmt, ap) < 0)
        return NULL;
    return s;
}

/* A fresh private file: its name into name (>= 40 bytes), an open fd. */
static int temp_file(char *name, size_t len, const char *what)
{
    snprintf(name, len, "/tmp/pcipt-run-%s.XXXXXX", what);
    return mkstemp(name);
}

/* stdin: the text in a private file, read from its start (then unlinked),
 * or /dev/null. */
static int stdin_fd(const char *text)
{
    char name[48];
    int fd;
    size_t len, off = 0;

    if (!text)
        return open("/dev/null", O_RDONLY | O_CLOEXEC);
    if ((fd = temp_file(name, sizeof(name), "in")) < 0)
        return -1;
    unlink(name);
    len = strlen(text);
    while (off < len) {
        ssize_t n = write(fd, text + off, len - off);
        if (n <= 0) {
            close(fd);
            return -1;
        }
        off += (size_t)n;
    }
    lseek(fd, 0, SEEK_SET);
    return fd;
}

/* The child: own process group (a timeout kills everything it started),
 * dies with the test, standard fds as asked, then `sh -c line`. */
static void child(const struct run_opts *o, const char *line, int in, int out, int err,
                  int ready)
{
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);          /* never outlive a failed test */
    if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
        _exit(125);
    if (ready >= 0 && ready != o->ready_fd && dup2(ready, o->ready_fd) < 0)
        _exit(125);
    if (ready >= 0 && ready == o->ready_fd && fcntl(ready, F_SETFD, 0) < 0)
        _exit(125);                            /* already there: keep it open */
    if (o->cwd && chdir(o->cwd))
        _exit(126);
    execl("/bin/sh", "sh", "-c", line, (char *)NULL);
    _exit(127);
}

/* An unlinked private file: the child writes it, we read it back. */
static int open_capture(const char *what)
{
    char name[48];
    int fd = temp_file(name, sizeof(name), what);

    if (fd >= 0) {
        unlink(name);
        fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
    return fd;
}

static void run_close(struct run_proc *p);

static int spawn(struct run_proc *p, const struct run_opts *o, const char *line)
{
    static const struct run_opts none;
    int in, out, err, pipefd[2] = { -1, -1 }, rc = 0;

    if (!o)
        o = &none;
    memset(p, 0, sizeof(*p));
    p->pid = -1;
    p->ready = p->out = p->err = -1;
    p->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : RUN_TIMEOUT_MS;
    in = stdin_fd(o->in);
    out = p->out = open_capture("out");
    err = o->err_file ? open(o->err_file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)
                      : (p->err = open_capture("err"));
    if (in < 0 || out < 0 || err < 0 || (o->ready_fd > 2 && pipe2(pipefd, O_CLOEXEC)))
        rc = -errno;
    fflush(NULL);
    if (!rc && (p->pid = fork()) < 0)
        rc = -errno;
    if (!rc && p->pid == 0)
        child(o, line, in, out, err, pipefd[1]);
    if (!rc && p->pid > 0)
        setpgid(p->pid, p->pid);               /* either side may win the race */
    p->ready = pipefd[0];
    if (pipefd[1] >= 0)
        close(pipefd[1]);
    if (in >= 0)
        close(in);
    if (err >= 0 && err != p->err)
        close(err);
    if (rc)                                    /* nothing started: nothing left */
        run_close(p);
    return rc;
}

/* `exec env ENV 'BIN' WORDS`: the pid is the program's own. */
static char *program_line(const struct run_opts *o, const char *words)
{
    const char *bin = o && o->bin ? o->bin : test_pcipt_bin();
    const char *env = o && o->env ? o->env : "";
    char *line = NULL;

    if (asprintf(&line, "exec env %s '%s' %s", env, bin, words) < 0)
        return NULL;
    return line;
}

int run_start(struct run_proc *p, const struct run_opts *o, const char *fmt, ...)
{
    va_list ap;
    char *words, *line;
    int rc;

    va_start(ap, fmt);
    words = vformat(fmt, ap);
    va_end(ap);
    line = words ? program_line(o, words) : NULL;
    rc = line ? spawn(p, o, line) : -ENOMEM;
    free(words);
    free(line);
    return rc;
}

ssize_t run_ready(struct run_proc *p, char *buf, size_t len, int timeout_ms)
{
    struct pollfd pfd = { .fd = p->ready, .events = POLLIN };
    ssize_t n;

    if (p->ready < 0 || len == 0)
        return -1;
    buf[0] = '\0';
    if (poll(&pfd, 1, timeout_ms) != 1)
        return 0;
    n = read(p->ready, buf, len - 1);
    if (n < 0)
        n = 0;
    buf[n] = '\0';
    return n;
}

static void sleep_us(long us)
{
    struct timespec ts = { .tv_sec = us / 1000000, .tv_nsec = (us % 1000000) * 1000L };
    nanosleep(&ts, NULL);
}

static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The exit as a shell reports it; -1 after killing the group on timeout. */
static int reap(struct run_proc *p, bool *timed_out)
{
    long long end = now_ms() + p->timeout_ms;
    long us = 100;
    int st;

    for (;;) {
        pid_t r = waitpid(p->pid, &st, WNOHANG);
        if (r == p->pid)
            return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        if (r < 0 && errno != EINTR)
            return -1;
        if (now_ms() >= end)
            break;
        sleep_us(us);
        if (us < 5000)
            us *= 2;
    }
    *timed_out = true;
    kill(-p->pid, SIGKILL);
    waitpid(p->pid, &st, 0);
    return -1;
}

/* A capture's text from its start (malloc'd; "" if it cannot be read). */
static char *slurp(int fd)
{
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    ssize_t n;

    if (!buf)
        return NULL;
    while ((n = pread(fd, buf + len, cap - len - 1, (off_t)len)) > 0) {
        char *nb;
        len += (size_t)n;
        if (cap - len > 1)
            continue;
        if (!(nb = realloc(buf, cap * 2)))
            break;
        buf = nb;
        cap *= 2;
    }
    buf[len] = '\0';
    return buf;
}

static void collect(int fd, char **dst)
{
    if (dst)
        *dst = fd >= 0 ? slurp(fd) : strdup("");
}

static void run_close(struct run_proc *p)
{
    if (p->ready >= 0)
        close(p->ready);
    if (p->out >= 0)
        close(p->out);
    if (p->err >= 0)
        close(p->err);
    p->ready = p->out = p->err = -1;
}

int run_wait(struct run_proc *p, char **out, char **err)
{
    bool timed_out = false;
    int st = p->pid > 0 ? reap(p, &timed_out) : -1;

    collect(p->out, out);
    collect(p->err, err);
    if (timed_out && err && *err) {
        char *msg = NULL;
        if (asprintf(&msg, "%s[run_util: killed after %d ms]\n", *err, p->timeout_ms) >= 0) {
            free(*err);
            *err = msg;
        }
    }
    run_close(p);
    p->pid = -1;
    return st;
}

static int run_line(const struct run_opts *o, char *line, char **out, char **err)
{
    struct run_proc p;
    int rc;

    if (out)
        *out = NULL;
    if (err)
        *err = NULL;
    rc = line ? spawn(&p, o, line) : -ENOMEM;
    free(line);
    if (rc) {
        if (err)
            *err = strdup("run_util: cannot start the command\n");
        return -1;
    }
    return run_wait(&p, out, err);
}

int run_pcipt(const struct run_opts *o, char **out, char **err, const char *fmt, ...)
{
    va_list ap;
    char *words, *line;

    va_start(ap, fmt);
    words = vformat(fmt, ap);
    va_end(ap);
    line = words ? program_line(o, words) : NULL;
    free(words);
    return run_line(o, line, out, err);
}

int run_sh(const struct run_opts *o, char **out, char **err, const char *fmt, ...)
{
    va_list ap;
    char *line;

    va_start(ap, fmt);
    line = vformat(fmt, ap);
    va_end(ap);
    return run_line(o, line, out, err);
}

int run_pcipt_bg(const struct run_opts *o, const char *log, const char *fmt, ...)
{
    va_list ap;
    char *words, *line = NULL, *bg = NULL, *out = NULL;
    int pid = -1;

    va_start(ap, fmt);
    words = vformat(fmt, ap);
    va_end(ap);
    if (words)
        line = program_line(o, words);
    if (line && asprintf(&bg, "%s > '%s' 2>&1 & echo $!", line, log) < 0)
        bg = NULL;
    if (bg && run_line(o, bg, &out, NULL) == 0 && out)
        pid = atoi(out);
    free(words);
    free(line);
    free(out);
    return pid > 0 ? pid : -1;
}

bool run_only_preview_warnings(const char *err)
{
    for (const char *l = err; *l;) {
        const char *end = strchr(l, '\n');
        size_t n = end ? (size_t)(end - l) : strlen(l);
        if (strncmp(l, "pcipt: warning: ", 16) ||
            !memmem(l, n, ": a real attach needs --", 24))
            return false;
        l += n + (end != NULL);
    }
    return true;
}
