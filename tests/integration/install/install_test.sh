#!/usr/bin/env bash
# `cmake --install` into a temporary prefix, then the documented ways to build an app
# (docs/sdk.md "Build and link"), each run against a simulator:
#   - pkg-config, shared:  cc quickstart.c $(pkg-config --cflags --libs dstack)
#   - pkg-config, static:  libdstack.a plus its Requires.private
#   - CMake, shared:       find_package(dstack) + dstack::dstack
#   - CMake, static:       the same with dstack_USE_STATIC_LIBS=ON
# Checks that the flags name the temporary prefix (a .pc or config with the configure-time prefix
# baked in fails here), that both installed artefacts export only dstack_* symbols (nm), and that
# an app with its own hex_encode/base64_encode/file_read_all links statically without a clash.
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
for h in dstack.h client.h helpers.h attest.h quote.h ratls.h crypto.h common.h ccel.h; do
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
[[ -f "$libdir/libdstack.a" ]] || fail "libdir $libdir has no libdstack.a"

# Only dstack_* is exported, from the shared object and from the static archive alike.
so_syms=$(nm -D --defined-only "$libdir/libdstack.so" | awk 'NF == 3 {print $3}')
a_syms=$(nm -g --defined-only "$libdir/libdstack.a" | awk 'NF == 3 {print $3}')
[[ -n "$so_syms" && -n "$a_syms" ]] || fail "nm found no exported symbols"
bad=$(printf '%s\n%s\n' "$so_syms" "$a_syms" | grep -v '^dstack_' || true)
[[ -z "$bad" ]] || fail "symbols outside dstack_* are exported: $(echo $bad | head -c 600)"
[[ "$(sort <<<"$so_syms")" == "$(sort <<<"$a_syms")" ]] ||
    fail "libdstack.so and libdstack.a export different symbols"
echo "exports: $(wc -l <<<"$so_syms") dstack_* symbols in each artefact, nothing else"

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
for lib in -lcrypto -lsecp256k1 -lcurl -lcjson -lm; do
    [[ " $(pkg-config --static --libs dstack) " == *" $lib "* ]] ||
        fail "pkg-config --static --libs dstack lacks $lib"
done
# shellcheck disable=SC2046
# ... plus its own Libs.private (-lm), which --print-requires-private does not list.
slibs="$(pkg-config --libs dstack) $(pkg-config --libs $(pkg-config --print-requires-private dstack)) -lm"
echo "static: $slibs"
# shellcheck disable=SC2086
cc -std=c17 $extra_cflags "$src/docs/examples/quickstart.c" $(pkg-config --cflags dstack) $slibs \
    -o "$work/quickstart-static" || fail "quickstart does not link statically with pkg-config --static"
if readelf -d "$work/quickstart-static" | grep -q 'libdstack\.so'; then
    fail "the static build still wants libdstack.so"
fi

# An app whose own functions carry the names of libdstack's internals links statically.
cat >"$work/clash.c" <<'C'
#include <dstack/dstack.h>
#include <string.h>
int hex_encode(void);
int base64_encode(void);
int file_read_all(void);
int hex_encode(void) { return 1; }
int base64_encode(void) { return 2; }
int file_read_all(void) { return 3; }
int main(void)
{
    /* With internals left global, the library's compose hash would call this file's
     * hex_encode instead of its own and leave the answer empty. */
    char out[DSTACK_COMPOSE_HASH_HEX_LEN + 1] = "";
    if (dstack_compose_hash("{}", 2, false, out) != DSTACK_OK) {
        return 2;
    }
    const char *want = "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";
    return strcmp(out, want) == 0 && hex_encode() + base64_encode() + file_read_all() == 6 ? 0 : 1;
}
C
# shellcheck disable=SC2086
cc -std=c17 -Wall -Werror $extra_cflags "$work/clash.c" $(pkg-config --cflags dstack) $slibs \
    -o "$work/clash" || fail "an app defining hex_encode etc. does not link with libdstack.a"
"$work/clash" || fail "the clash app picked up libdstack's internals"

# CMake: find_package(dstack) from the same prefix, shared then static.
mkdir -p "$work/cmake-app"
cp "$src/docs/examples/quickstart.c" "$work/cmake-app/"
cat >"$work/cmake-app/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.20)
project(dstack_app C)
find_package(dstack 0.6 REQUIRED)
add_executable(quickstart quickstart.c)
target_link_libraries(quickstart PRIVATE dstack::dstack)
CMAKE
for kind in shared static; do
    use_static=OFF
    [[ $kind == static ]] && use_static=ON
    cmake -S "$work/cmake-app" -B "$work/cmake-$kind" -DCMAKE_PREFIX_PATH="$prefix" \
        -Ddstack_USE_STATIC_LIBS=$use_static -DCMAKE_C_FLAGS="$extra_cflags" \
        >"$work/cmake-$kind.log" 2>&1 || { cat "$work/cmake-$kind.log" >&2; fail "find_package ($kind)"; }
    cmake --build "$work/cmake-$kind" >>"$work/cmake-$kind.log" 2>&1 ||
        { cat "$work/cmake-$kind.log" >&2; fail "building with dstack::dstack ($kind)"; }
done
if readelf -d "$work/cmake-static/quickstart" | grep -q 'libdstack\.so'; then
    fail "the CMake static build still wants libdstack.so"
fi
readelf -d "$work/cmake-shared/quickstart" | grep -q 'libdstack\.so\.0' ||
    fail "the CMake shared build does not link libdstack.so.0"

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
"$work/cmake-shared/quickstart" >"$work/out-cmake-shared.txt" ||
    { cat "$work/out-cmake-shared.txt"; fail "quickstart (CMake, shared) failed"; }
"$work/cmake-static/quickstart" >"$work/out-cmake-static.txt" ||
    { cat "$work/out-cmake-static.txt"; fail "quickstart (CMake, static) failed"; }
echo "ok: installed to $prefix, built and ran quickstart with pkg-config and find_package, shared and static"
