#!/usr/bin/env bash
# `cmake --install` into a temporary prefix, then the documented way to build an app:
#   cc quickstart.c $(pkg-config --cflags --libs dstack)
# with PKG_CONFIG_PATH pointing into that prefix (docs/sdk.md "Build and link"). Checks that the
# flags name the temporary prefix (a .pc with the configure-time prefix baked in fails here), that
# the program links the installed shared library and runs against a simulator, and that a static
# link with `pkg-config --static` resolves every dependency of libdstack.a.
# usage: install_test.sh BUILD_DIR SOURCE_DIR SIMULATOR [EXTRA_CFLAGS]
set -euo pipefail
build=$1 src=$2 sim=$3 extra_cflags=${4:-}
work=$(mktemp -d /tmp/dstack-install-XXXXXX)
pid=
cleanup() {
    [[ -n "$pid" ]] && kill "$pid" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

prefix=$work/prefix
cmake --install "$build" --prefix "$prefix" >"$work/install.log" 2>&1 ||
    { cat "$work/install.log" >&2; fail "cmake --install"; }
pc=$(find "$prefix" -name dstack.pc -print -quit)
[[ -n "$pc" ]] || fail "no dstack.pc installed"
for h in client.h helpers.h attest.h quote.h ratls.h crypto.h common.h; do
    [[ -f "$prefix/include/dstack/$h" ]] || fail "header dstack/$h not installed"
done
[[ -x "$prefix/bin/dstack" ]] || fail "the dstack command is not installed"

export PKG_CONFIG_PATH=$(dirname "$pc")
unset PKG_CONFIG_LIBDIR PKG_CONFIG_SYSROOT_DIR
cflags=$(pkg-config --cflags dstack) || fail "pkg-config --cflags dstack"
libs=$(pkg-config --libs dstack) || fail "pkg-config --libs dstack"
libdir=$(pkg-config --variable=libdir dstack)
echo "cflags: $cflags"
echo "libs:   $libs"
# The flags must point into the prefix we installed to, wherever that is.
want_inc=$(realpath "$prefix/include")
found=no
for f in $cflags; do
    if [[ "$f" == -I* && -d "${f#-I}" && "$(realpath "${f#-I}")" == "$want_inc" ]]; then
        found=yes
    fi
done
[[ $found == yes ]] || fail "--cflags does not name $prefix/include: $cflags"
[[ "$(realpath "$libdir")" == "$(realpath "$prefix")"/* ]] ||
    fail "libdir $libdir is outside $prefix"
[[ -f "$libdir/libdstack.so" ]] || fail "libdir $libdir has no libdstack.so"

# Shared: exactly the documented command line.
# shellcheck disable=SC2086 # word splitting of pkg-config output is intended
cc -std=c17 -Wall -Wextra -Werror $extra_cflags "$src/docs/examples/quickstart.c" $cflags $libs \
    -o "$work/quickstart" || fail "quickstart does not build with pkg-config flags"

# Static: a prefix holding only libdstack.a. Its dependencies come from the .pc's
# Requires.private (linked shared: the system has no static libcurl/zstd/... to recurse into, so
# `pkg-config --static` itself cannot link here, but it must name each of them).
static_prefix=$work/static
cp -a "$prefix" "$static_prefix"
spc=$static_prefix/${pc#"$prefix"/}
rm -f "$(dirname "$(dirname "$spc")")"/libdstack.so*
export PKG_CONFIG_PATH=$(dirname "$spc")
for lib in -lcrypto -lsecp256k1 -lcurl -ljansson; do
    [[ " $(pkg-config --static --libs dstack) " == *" $lib "* ]] ||
        fail "pkg-config --static --libs dstack lacks $lib"
done
# shellcheck disable=SC2046
slibs="$(pkg-config --libs dstack) $(pkg-config --libs $(pkg-config --print-requires-private dstack))"
echo "static: $slibs"
# shellcheck disable=SC2086
cc -std=c17 $extra_cflags "$src/docs/examples/quickstart.c" $(pkg-config --cflags dstack) $slibs \
    -o "$work/quickstart-static" || fail "quickstart does not link statically with pkg-config --static"
if readelf -d "$work/quickstart-static" | grep -q 'libdstack\.so'; then
    fail "the static build still wants libdstack.so"
fi

# Run both against a simulator; the shared build must load the installed library.
mkdir "$work/sim"
"$sim" --dir "$work/sim" >"$work/sim.log" 2>&1 &
pid=$!
for _ in $(seq 1 250); do
    [[ -S "$work/sim/dstack.sock" ]] && break
    sleep 0.02
done
[[ -S "$work/sim/dstack.sock" ]] || { cat "$work/sim.log" >&2; fail "simulator did not start"; }
export DSTACK_SIMULATOR_ENDPOINT=$work/sim/dstack.sock
loaded=$(LD_LIBRARY_PATH=$libdir ldd "$work/quickstart" | awk '/libdstack/ {print $3}')
[[ "$(realpath "$loaded")" == "$(realpath "$libdir")"/* ]] ||
    fail "quickstart loads libdstack from '$loaded', not from $libdir"
LD_LIBRARY_PATH=$libdir "$work/quickstart" >"$work/out.txt" || { cat "$work/out.txt"; fail "quickstart (shared) failed"; }
"$work/quickstart-static" >"$work/out-static.txt" || { cat "$work/out-static.txt"; fail "quickstart (static) failed"; }
[[ -s "$work/out.txt" ]] || fail "quickstart printed nothing"
echo "ok: installed to $prefix, built and ran quickstart (shared and static)"
