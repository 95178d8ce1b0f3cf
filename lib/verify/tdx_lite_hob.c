/* The TD HOB a TDVF firmware hands the TD, rebuilt from upstream's compact witness (dstack-mr
 * src/tdx.rs measure_td_hob_from_witness_data, MemoryAcceptor): varuint base page, TD HOB page
 * delta, range count, then (start page delta, page count) per accepted range. The HOB is a
 * PHIT header and one resource descriptor per memory range (UEFI PI spec vol. 3, HOB formats);
 * its SHA-384 is RTMR0's first event. */
#include "tdx_lite.h"

#include <string.h>

#include <openssl/sha.h>

#include "util/error.h"

#define PAGE 0x1000ull
#define MAX_RANGES 64                  /* accepted ranges a witness may list (ours; ~3 in use) */
#define MAX_SPANS (2 * MAX_RANGES + 1) /* each accept splits one span in at most three */
#define HOB_PHIT_LEN 56
#define HOB_RESOURCE_LEN 48
#define LOW_4G_HOLE 0x80000000ull
#define KERNEL_HASH_STABLE_MIN_MEMORY 0xB0000000ull /* dstack-mr src/kernel.rs */

struct span {
    bool accepted;
    uint64_t start, end;
};

struct spans {
    struct span s[MAX_SPANS + 1];
    size_t n;
};

static bool varuint(const uint8_t **p, const uint8_t *end, uint64_t *out)
{
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
        if (*p == end) {
            return false;
        }
        uint8_t b = *(*p)++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return true;
        }
    }
    return false; /* longer than 64 bits */
}

/* Marks [start, end) accepted: unaccepted spans overlapping it keep their outer parts, then
 * the list is ordered by start again (stable, as Rust's sort_by_key). */
static void accept(struct spans *sp, uint64_t start, uint64_t end)
{
    struct spans out = {.n = 0};
    if (start >= end) {
        return;
    }
    for (size_t i = 0; i < sp->n; i++) {
        struct span r = sp->s[i];
        if (r.accepted || r.end <= start || r.start >= end) {
            out.s[out.n++] = r;
            continue;
        }
        if (r.start < start) {
            out.s[out.n++] = (struct span){false, r.start, start};
        }
        if (r.end > end) {
            out.s[out.n++] = (struct span){false, end, r.end};
        }
    }
    out.s[out.n++] = (struct span){true, start, end};
    for (size_t i = 1; i < out.n; i++) {
        struct span key = out.s[i];
        size_t j = i;
        while (j > 0 && out.s[j - 1].start > key.start) {
            out.s[j] = out.s[j - 1];
            j--;
        }
        out.s[j] = key;
    }
    *sp = out;
}

static void put_le(uint8_t *b, uint64_t v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        b[i] = (uint8_t)(v >> (8 * i));
    }
}

static void add_resource(uint8_t *hob, size_t *len, uint8_t type, uint64_t start, uint64_t size)
{
    uint8_t *r = hob + *len;
    memset(r, 0, HOB_RESOURCE_LEN);
    put_le(r, 0x0003, 2); /* EFI_HOB_TYPE_RESOURCE_DESCRIPTOR */
    put_le(r + 2, HOB_RESOURCE_LEN, 2);
    r[24] = type;         /* 0 system memory, 7 unaccepted memory */
    put_le(r + 28, 7, 4); /* present | initialized | tested */
    put_le(r + 32, start, 8);
    put_le(r + 40, size, 8);
    *len += HOB_RESOURCE_LEN;
}

/* Reads the witness into spans; *hob_base gets the TD HOB's address. */
static dstack_err read_witness(const uint8_t *w, size_t len, uint64_t memory_size, struct spans *sp,
                               uint64_t *hob_base)
{
    const uint8_t *p = w, *end = w + len;
    uint64_t base = 0, delta = 0, count = 0;
    sp->n = 1;
    sp->s[0] = (struct span){false, 0, memory_size};
    if (!varuint(&p, end, &base) || !varuint(&p, end, &delta) || !varuint(&p, end, &count)) {
        return err_set(DSTACK_EVERIFY, "truncated TD HOB witness varuint");
    }
    if (count > MAX_RANGES) {
        return err_set(DSTACK_EVERIFY, "TD HOB witness lists %llu ranges (at most %d)",
                       (unsigned long long)count, MAX_RANGES);
    }
    if (delta > UINT64_MAX - base || base + delta > UINT64_MAX / PAGE) {
        return err_set(DSTACK_EVERIFY, "TD HOB base address overflow");
    }
    *hob_base = (base + delta) * PAGE;
    for (uint64_t i = 0; i < count; i++) {
        uint64_t sd = 0, pages = 0;
        if (!varuint(&p, end, &sd) || !varuint(&p, end, &pages)) {
            return err_set(DSTACK_EVERIFY, "truncated TD HOB witness varuint");
        }
        if (sd > UINT64_MAX - base || base + sd > UINT64_MAX / PAGE || pages > UINT64_MAX / PAGE ||
            pages * PAGE > UINT64_MAX - (base + sd) * PAGE) {
            return err_set(DSTACK_EVERIFY, "TD HOB range overflow");
        }
        accept(sp, (base + sd) * PAGE, (base + sd) * PAGE + pages * PAGE);
    }
    if (p != end) {
        return err_set(DSTACK_EVERIFY, "TD HOB witness has trailing bytes");
    }
    return DSTACK_OK;
}

dstack_err tdx_lite_td_hob_hash(const uint8_t *witness, size_t len, uint64_t memory_size,
                                uint8_t out[static DSTACK_SHA384_LEN])
{
    struct spans sp;
    uint64_t hob_base = 0;
    uint8_t hob[HOB_PHIT_LEN + (MAX_SPANS + 2) * HOB_RESOURCE_LEN];
    size_t n = HOB_PHIT_LEN;
    dstack_err err = read_witness(witness, len, memory_size, &sp, &hob_base);
    if (err != DSTACK_OK) {
        return err;
    }
    memset(hob, 0, HOB_PHIT_LEN);
    put_le(hob, 0x0001, 2); /* EFI_HOB_TYPE_HANDOFF */
    put_le(hob + 2, HOB_PHIT_LEN, 2);
    put_le(hob + 8, 9, 4); /* version */
    struct span last = sp.s[--sp.n];
    for (size_t i = 0; i < sp.n; i++) {
        add_resource(hob, &n, sp.s[i].accepted ? 0x00 : 0x07, sp.s[i].start,
                     sp.s[i].end - sp.s[i].start);
    }
    /* The last span: split around the 32-bit PCI hole once memory reaches it. */
    if (memory_size >= KERNEL_HASH_STABLE_MIN_MEMORY) {
        if (last.start < LOW_4G_HOLE) {
            add_resource(hob, &n, 0x07, last.start, LOW_4G_HOLE - last.start);
        }
        if (last.end > LOW_4G_HOLE) {
            add_resource(hob, &n, 0x07, 0x100000000ull, last.end - LOW_4G_HOLE);
        }
    } else {
        add_resource(hob, &n, 0x07, last.start, last.end - last.start);
    }
    put_le(hob + 48, hob_base + n + 8, 8); /* EfiEndOfHobList */
    SHA384(hob, n, out);
    return DSTACK_OK;
}
