/* JSON of the Guest API's answers, fields in the order of guest-api/proto/guest_api.proto and
 * every number a JSON number (prpc's serde rules; docs/api/guest-*.md). */
#ifndef DSTACK_AGENT_GUEST_API_ENCODE_H
#define DSTACK_AGENT_GUEST_API_ENCODE_H

#include <stddef.h>

#include "docker.h"
#include "guest_api/netinfo.h"
#include "guest_api/sysinfo.h"

/* Each returns compact JSON text (malloc'd, *len bytes), NULL when out of memory. */
char *guest_encode_sysinfo(const struct sysinfo_snapshot *s, size_t *len);
char *guest_encode_netinfo(const struct netinfo_snapshot *s, size_t *len);
char *guest_encode_containers(const struct docker_containers *c, size_t *len);

#endif
