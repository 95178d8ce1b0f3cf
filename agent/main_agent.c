/* dstack-guest-agent: the agent on real TDX. It carries no simulator code; the simulator
 * backend is a separate program, dstack-simulator (main_simulator.c). */
#include "daemon.h"
#include "tee/backends.h"

const struct tee_backend *const tee_backends[] = {&tee_tdx, NULL};

int main(int argc, char **argv)
{
    return daemon_main(argc, argv, false, NULL);
}
