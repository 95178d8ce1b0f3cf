/* Umbrella header of libdstack. */
#ifndef DSTACK_DSTACK_H
#define DSTACK_DSTACK_H
#include <dstack/common.h>
#endif
