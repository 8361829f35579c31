/* Run one command and measure it, as /usr/bin/time -f '%e %U %S %M' does, with a time limit.
 *
 *   cc -O2 -o measure tools/bench/measure.c
 *   measure TIMEOUT_S RESULT_FILE STDOUT_FILE STDERR_FILE -- COMMAND [ARG...]
 *
 * Writes one line to RESULT_FILE: "wall_s user_s sys_s maxrss_kb exit timed_out", where wall is
 * CLOCK_MONOTONIC from fork to wait4, user/sys/maxrss come from wait4's rusage of the command
 * (microsecond resolution, unlike /usr/bin/time's 10 ms), exit is the exit status or -SIGNAL,
 * and timed_out is 1 when the command (its whole process group) was killed at TIMEOUT_S.
 *
 * Why not from python directly: a child forked from a python interpreter starts with the
 * interpreter's resident pages, and Linux carries that high-water mark across exec into
 * ru_maxrss, so `cat` would show ~20 MB. Forked from this small program, the floor is ~1 MB.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t timed_out;
static pid_t child;

static void on_alarm(int sig)
{
    (void)sig;
    timed_out = 1;
    kill(-child, SIGKILL);
}

static int open_out(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        perror(path);
        _exit(126);
    }
    return fd;
}

int main(int argc, char **argv)
{
    if (argc < 7 || strcmp(argv[5], "--") != 0) {
        fprintf(stderr, "usage: %s TIMEOUT_S RESULT_FILE STDOUT_FILE STDERR_FILE -- COMMAND [ARG...]\n", argv[0]);
        return 2;
    }
    unsigned timeout = (unsigned)strtoul(argv[1], NULL, 10);
    FILE *res = fopen(argv[2], "w");
    if (!res) {
        perror(argv[2]);
        return 2;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    child = fork();
    if (child < 0) {
        perror("fork");
        return 2;
    }
    if (child == 0) {
        setpgid(0, 0); /* its own process group, so a timeout kills all of it */
        int in = open("/dev/null", O_RDONLY);
        dup2(in, 0);
        dup2(open_out(argv[3]), 1);
        dup2(open_out(argv[4]), 2);
        execvp(argv[6], argv + 6);
        fprintf(stderr, "measure: %s: %s\n", argv[6], strerror(errno));
        _exit(127);
    }
    setpgid(child, child);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);
    alarm(timeout);
    int status;
    struct rusage ru;
    while (wait4(child, &status, 0, &ru) < 0) {
        if (errno != EINTR) {
            perror("wait4");
            return 2;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    alarm(0);
    double wall = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
    fprintf(res, "%.6f %ld.%06ld %ld.%06ld %ld %d %d\n", wall,
            (long)ru.ru_utime.tv_sec, (long)ru.ru_utime.tv_usec,
            (long)ru.ru_stime.tv_sec, (long)ru.ru_stime.tv_usec,
            ru.ru_maxrss, code, (int)timed_out);
    fclose(res);
    return 0;
}
