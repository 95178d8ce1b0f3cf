/* dstack-simulator: the agent with the simulator backend (agent/tee/sim*.c), which also
 * defines this program's backend list. */
#include "daemon.h"
#include "tee/sim_keys_check.h"

int main(int argc, char **argv)
{
    return daemon_main(argc, argv, true, sim_keys_check);
}
