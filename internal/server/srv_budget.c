/* The fd budget: every connection costs a descriptor, and a process that runs out cannot accept
 * on any socket, open a file or probe itself. The soft limit is raised to the hard one, and the
 * connection limits are derived from it (docs/security.md, "File descriptors"). */
#include "srv.h"

#include <dirent.h>
#include <sys/resource.h>

unsigned long srv_fd_raise_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
        return 1024; /* the Linux default soft limit */
    }
    if (rl.rlim_cur < rl.rlim_max) {
        struct rlimit want = {.rlim_cur = rl.rlim_max, .rlim_max = rl.rlim_max};
        if (setrlimit(RLIMIT_NOFILE, &want) == 0) {
            rl.rlim_cur = rl.rlim_max;
        }
    }
    return rl.rlim_cur == RLIM_INFINITY ? (unsigned long)1 << 20 : (unsigned long)rl.rlim_cur;
}

unsigned long srv_fd_open_count(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (d == NULL) {
        return 16; /* no /proc: a typical count at start-up */
    }
    unsigned long n = 0;
    for (struct dirent *e = readdir(d); e != NULL; e = readdir(d)) {
        n += e->d_name[0] != '.';
    }
    closedir(d);
    return n > 0 ? n - 1 : 0; /* the directory's own descriptor */
}

unsigned srv_fd_share(unsigned long limit, unsigned long reserve, size_t n)
{
    if (n == 0 || limit <= reserve) {
        return 0;
    }
    unsigned long share = (limit - reserve) / n;
    if (share < 8) {
        return 0;
    }
    return share > SRV_MAX_CONNECTIONS ? SRV_MAX_CONNECTIONS : (unsigned)share;
}
