/* A load driver for profiling: sends one request over and over to a running agent.
 *   bench_load <socket> <path> <json body|-> <connections> <requests> [new]
 * e.g. under `perf record -p <agent pid>` or with the agent under callgrind. Prints the
 * throughput and latency quantiles; "new" opens a connection per request. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "loadgen.h"

int main(int argc, char **argv)
{
    if (argc < 6) {
        fprintf(stderr, "usage: %s <socket> <path> <json body|-> <connections> <requests> [new]\n",
                argv[0]);
        return 2;
    }
    bool new_conn = argc > 6 && strcmp(argv[6], "new") == 0;
    struct lg_request req;
    if (!lg_format(&req, "POST", argv[2], strcmp(argv[3], "-") == 0 ? "{}" : argv[3], new_conn)) {
        return 1;
    }
    struct lg_config cfg = {.sock = argv[1],
                            .reqs = &req,
                            .n_reqs = 1,
                            .conns = (unsigned)strtoul(argv[4], NULL, 10),
                            .requests = strtoull(argv[5], NULL, 10),
                            .seconds = 600,
                            .new_conn = new_conn,
                            .latencies = true};
    struct lg_result res;
    if (!lg_run(&cfg, &res)) {
        return 1;
    }
    printf("%llu ok, %llu failed, %.0f req/s, p50 %.0f us, p99 %.0f us\n",
           (unsigned long long)res.ok, (unsigned long long)res.failed, (double)res.ok / res.seconds,
           bench_quantile(res.lat_us, res.n_lat, 0.5), bench_quantile(res.lat_us, res.n_lat, 0.99));
    lg_result_free(&res);
    free(req.data);
    return res.failed == 0 ? 0 : 3;
}
