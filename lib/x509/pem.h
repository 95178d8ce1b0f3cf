/* PEM armour as rcgen writes it (pem crate, LF line endings on non-Windows; rcgen
 * src/lib.rs:L145-151): "-----BEGIN <label>-----\n", standard base64 in lines of 64 characters
 * each ending "\n", "-----END <label>-----\n". */
#ifndef DSTACK_X509_PEM_H
#define DSTACK_X509_PEM_H

#include <stddef.h>
#include <stdint.h>

#include <dstack/common.h>

/* Characters needed for the armour of len bytes, without the terminating NUL. */
size_t pem_encoded_len(const char *label, size_t len);

/* Writes the PEM text and a NUL into out. DSTACK_EINVAL if cap < pem_encoded_len + 1. */
dstack_err pem_encode(const char *label, const uint8_t *der, size_t len, char *out, size_t cap);

/* pem_encode into a malloc'd string (free with free()). */
dstack_err pem_encode_alloc(const char *label, const uint8_t *der, size_t len, char **out);

#endif
