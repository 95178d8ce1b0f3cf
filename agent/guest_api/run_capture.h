/* Runs a helper program (the `wg` tool) and keeps what it prints, with a size cap and a time
 * limit, so a hung or chatty tool cannot hold an RPC or grow the agent's memory. */
#ifndef DSTACK_AGENT_GUEST_API_RUN_CAPTURE_H
#define DSTACK_AGENT_GUEST_API_RUN_CAPTURE_H

#include <stddef.h>

/* argv[0] is looked up in PATH. Returns a malloc'd NUL-terminated text: the program's standard
 * output with trailing newlines removed when it exits with status 0 (as upstream's run_fun!),
 * else a sentence saying why not (not found, exit status, timed out, with the start of its
 * standard error). NULL only when out of memory. Output beyond max bytes is dropped; after
 * timeout_ms the program is killed. */
char *run_capture(const char *const *argv, size_t max, int timeout_ms);

/* Runs argv (PATH lookup, output discarded) and waits for it; its exit status, -1 when it
 * could not start. */
int run_wait(const char *const *argv);

#endif
