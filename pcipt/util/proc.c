/* Child processes (see proc.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pcipt/util/proc.h"

static int wait_status(pid_t pid)
{
    int st;

    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return -errno;
    if (WIFEXITED(st))
        return WEXITSTATUS(st);
    return 128 + WTERMSIG(st);
}

static int read_all(int fd, char **out)
{
    size_t len = 0, cap = 256;
    char *buf = malloc(cap);

    if (!buf)
        return -ENOMEM;
    for (;;) {
        if (len + 1 >= cap) {
            char *n = realloc(buf, cap *= 2);
            if (!n) {
                free(buf);
                return -ENOMEM;
            }
            buf = n;
        }
        ssize_t r = read(fd, buf + len, cap - len - 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        len += (size_t)r;
    }
    buf[len] = '\0';
    *out = buf;
    return 0;
}

/* Run argv and wait; when out, the child's descriptor fd (stdout or
 * stderr) is captured into *out, and with quiet its stdout goes to
 * /dev/null. */
static int run_capturing(char *const argv[], char **out, int fd, bool quiet)
{
    int pfd[2] = { -1, -1 }, nullfd = -1, rc;
    pid_t pid;

    if (out && pipe2(pfd, O_CLOEXEC))
        return -errno;
    if (quiet && (nullfd = open("/dev/null", O_WRONLY | O_CLOEXEC)) < 0) {
        rc = -errno;
        if (out)
            close(pfd[0]), close(pfd[1]);
        return rc;
    }
    fflush(NULL);
    if ((pid = fork()) < 0) {
        rc = -errno;
        if (out)
            close(pfd[0]), close(pfd[1]);
        if (nullfd >= 0)
            close(nullfd);
        return rc;
    }
    if (pid == 0) {
        if (nullfd >= 0)
            dup2(nullfd, STDOUT_FILENO);
        if (out)
            dup2(pfd[1], fd);
        execvp(argv[0], argv);
        fprintf(stderr, "pcipt: cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    if (nullfd >= 0)
        close(nullfd);
    if (out) {
        close(pfd[1]);
        rc = read_all(pfd[0], out);
        close(pfd[0]);
        if (rc) {
            wait_status(pid);
            return rc;
        }
    }
    rc = wait_status(pid);
    if (rc < 0 && out) {
        free(*out);
        *out = NULL;
    }
    return rc;
}

int proc_run(char *const argv[], char **out)
{
    return run_capturing(argv, out, STDOUT_FILENO, false);
}

int proc_run_stderr(char *const argv[], char **errout)
{
    return run_capturing(argv, errout, STDERR_FILENO, true);
}

/* The log file, appended to, opened without following a link in its last
 * component or in its directory's (a root daemon must not be pointed at
 * another file through a planted link), and only if it is a regular file.
 * The fd, or -errno. */
static int open_log(const char *logpath)
{
    char dir[PATH_MAX];
    const char *slash = strrchr(logpath, '/'), *base = slash ? slash + 1 : logpath;
    struct stat st;
    int dfd, fd, rc;

    if (!slash)
        snprintf(dir, sizeof(dir), ".");
    else if (slash == logpath)
        snprintf(dir, sizeof(dir), "/");
    else if (snprintf(dir, sizeof(dir), "%.*s", (int)(slash - logpath), logpath) >= (int)sizeof(dir))
        return -ENAMETOOLONG;
    dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd < 0)
        return -errno;
    fd = openat(dfd, base, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC,
                0640);
    rc = fd < 0 ? -errno : 0;
    close(dfd);
    if (rc)
        return rc;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return -EINVAL;
    }
    fcntl(fd, F_SETFL, O_APPEND);      /* blocking again */
    return fd;
}

pid_t proc_spawn_detached(char *const argv[], const char *logpath, char *err, size_t errlen)
{
    int logfd = open_log(logpath);
    int nullfd = logfd < 0 ? -1 : open("/dev/null", O_RDONLY | O_CLOEXEC);
    pid_t pid;
    int rc;

    if (logfd < 0 || nullfd < 0) {
        rc = logfd < 0 ? -logfd : errno;
        if (logfd < 0 && (rc == ELOOP || rc == ENOTDIR || rc == EINVAL || rc == ENXIO))
            snprintf(err, errlen, "refusing log %s: it or its directory is a symbolic link or "
                     "not a regular file (logs are opened without following links)", logpath);
        else
            snprintf(err, errlen, "cannot open %s: %s", logfd < 0 ? logpath : "/dev/null",
                     strerror(rc));
        if (logfd >= 0)
            close(logfd);
        return -rc;
    }
    fflush(NULL);
    if ((pid = fork()) < 0) {
        rc = errno;
        snprintf(err, errlen, "cannot fork: %s", strerror(rc));
        close(logfd);
        close(nullfd);
        return -rc;
    }
    if (pid == 0) {
        setsid();
        signal(SIGHUP, SIG_IGN);
        dup2(nullfd, STDIN_FILENO);
        dup2(logfd, STDOUT_FILENO);
        dup2(logfd, STDERR_FILENO);
        execvp(argv[0], argv);
        fprintf(stderr, "pcipt: cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(logfd);
    close(nullfd);
    return pid;
}

static bool needs_quotes(const char *s)
{
    if (!*s)
        return true;
    for (; *s; s++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                    "_-./:=@%+,", *s))
            return true;
    return false;
}

char *proc_cmdline(char *const argv[])
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);

    if (!m)
        return NULL;
    for (unsigned i = 0; argv[i]; i++) {
        const char *a = argv[i];
        if (i)
            fputc(' ', m);
        if (!needs_quotes(a)) {
            fputs(a, m);
            continue;
        }
        fputc('\'', m);
        for (; *a; a++)
            *a == '\'' ? fputs("'\\''", m) : fputc(*a, m);
        fputc('\'', m);
    }
    if (fclose(m)) {
        free(buf);
        return NULL;
    }
    return buf;
}
