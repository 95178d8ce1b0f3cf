/* Umbrella header of libdstack: the whole public API.
 *
 *   common.h   error codes, dstack_last_error(), sizes
 *   client.h   the client of the guest agent (blocking and async), tappd legacy calls
 *   helpers.h  utilities that need no agent: compose hash, env encryption, wallets, base58
 *   attest.h   event logs, runtime-event digests, RTMR replay
 *   ccel.h     the CCEL ACPI boot event log
 *   quote.h    TDX quotes: parsing and signature verification
 *   ratls.h    RA-TLS certificates: the quote and app info inside
 *   crypto.h   Keccak-256 and secp256k1 signature recovery
 *   verify.h   DCAP verification with Intel collateral: TCB status, advisories, report
 *
 * Link with `pkg-config --libs dstack` or CMake's `find_package(dstack)` + `dstack::dstack`. */
#ifndef DSTACK_DSTACK_H
#define DSTACK_DSTACK_H

#include <dstack/common.h>

#include <dstack/attest.h>
#include <dstack/ccel.h>
#include <dstack/client.h>
#include <dstack/crypto.h>
#include <dstack/helpers.h>
#include <dstack/quote.h>
#include <dstack/ratls.h>
#include <dstack/verify.h>

#endif
