#!/bin/bash
# Build CPython against musl from the upstream sources in Debian's source packages, and lay out
# the final image's whole root filesystem under /out (busybox, the musl loader, CPython in /usr/local).
#
# Runs in the builder stage (Debian + build-essential + musl-tools). The sources were fetched into
# /src by the Dockerfile with `apt-get source --download-only`; only the upstream tarballs
# (*.orig.tar.*) are used, so this is CPython as python.org ships it, configured like the official
# python:*-alpine images (shared libpython, 1 MiB thread stacks, no .pyc) except for LTO, which
# would take far longer here.
set -euo pipefail

JOBS=$(nproc)
DEPS=/opt/musl-deps        # zlib, bzip2, libffi, xz built static (-fPIC) for the extension modules
KHEADERS=/opt/kheaders     # the kernel's uapi headers, without glibc's
OUT=/out
step() { echo "== $(date +%H:%M:%S) $*"; }
unpack() { # unpack the upstream tarball of Debian source package $1 into the current directory
    local tarball
    tarball=$(ls /src/"$1"_*.orig.tar.* | grep -v '\.asc$' | head -n1)
    tar xf "$tarball"
}

mkdir -p "$DEPS/include" "$DEPS/lib" "$KHEADERS" /tmp/b "$OUT"

# The compilers' output goes to log files; a line every 20 s shows progress instead (and keeps
# the engine client, which gives up on a build that is silent for minutes, reading).
heartbeat() {
    while sleep 20; do
        echo "   $(date +%H:%M:%S) $(find /tmp/b -name '*.o' 2>/dev/null | wc -l) object files compiled"
    done
}
heartbeat &
HEARTBEAT=$!
trap 'kill "$HEARTBEAT" 2>/dev/null || true' EXIT

# musl-tools has libc headers only. CPython's socket, select and signal code wants linux/*.h, so
# the kernel's headers go into a directory of their own: adding /usr/include instead would mix
# glibc's headers into a musl build (the "linux/errno.h not found" failure).
cp -r /usr/include/linux /usr/include/asm-generic "$KHEADERS/"
cp -r /usr/include/x86_64-linux-gnu/asm "$KHEADERS/asm"

# The compiler wrapper. musl-gcc answers -print-multiarch with glibc's triplet, x86_64-linux-gnu:
# configure then aborts ("internal configure error for the platform triplet") and setup.py adds
# /usr/include/x86_64-linux-gnu to every extension. Answering with nothing avoids both.
cat > /opt/musl-cc <<'WRAPPER'
#!/bin/sh
for a in "$@"; do case "$a" in -print-multiarch|--print-multiarch) exit 0;; esac; done
exec musl-gcc "$@" -isystem /opt/kheaders
WRAPPER
chmod +x /opt/musl-cc
export CC=/opt/musl-cc

cd /tmp/b
step "zlib"
unpack zlib && (cd zlib-*/ && CFLAGS="-O2 -fPIC" ./configure --static --prefix="$DEPS" >/dev/null \
    && make -j"$JOBS" libz.a >/dev/null && make install >/dev/null)
step "bzip2"
unpack bzip2 && (cd bzip2-*/ && make -j"$JOBS" CC="$CC" CFLAGS="-O2 -fPIC -D_FILE_OFFSET_BITS=64" libbz2.a >/dev/null \
    && cp bzlib.h "$DEPS/include/" && cp libbz2.a "$DEPS/lib/")
CROSS=(--host=x86_64-linux-musl --build=x86_64-linux-gnu)
step "libffi"
unpack libffi && (cd libffi-*/ && ./configure "${CROSS[@]}" --prefix="$DEPS" --disable-shared --enable-static \
    --with-pic --disable-docs --disable-multi-os-directory >/dev/null && make -j"$JOBS" >/dev/null 2>&1 && make install >/dev/null)
step "xz (liblzma)"
unpack xz-utils && (cd xz-*/ && ./configure "${CROSS[@]}" --prefix="$DEPS" --disable-shared --enable-static --with-pic \
    --disable-xz --disable-xzdec --disable-lzmadec --disable-lzmainfo --disable-lzma-links --disable-scripts \
    --disable-doc --disable-nls >/dev/null && make -j"$JOBS" >/dev/null 2>&1 && make install >/dev/null)

step "CPython: configure"
PYSRC=$1  # Debian source package name, e.g. python3.11
unpack "$PYSRC"
cd Python-*/
# Cross mode (build = glibc, host = musl) keeps setup.py from adding the build machine's include
# and library directories. The ac_cv_* answers are the checks configure cannot run when it thinks
# it cross-compiles. --with-build-python is the builder's own python3, the same version.
./configure "${CROSS[@]}" --with-build-python="/usr/bin/$PYSRC" --prefix=/usr/local \
    --enable-shared --without-ensurepip --disable-test-modules \
    CC="$CC" READELF=/usr/bin/readelf OPT="-DNDEBUG -fwrapv -O2 -Wall" \
    CPPFLAGS="-I$DEPS/include" LDFLAGS="-L$DEPS/lib" \
    ac_cv_buggy_getaddrinfo=no ac_cv_file__dev_ptmx=yes ac_cv_file__dev_ptc=no >/tmp/configure.log 2>&1 \
    || { tail -n 30 /tmp/configure.log; exit 1; }
step "CPython: make"
# musl gives a new thread 128 KiB of stack; the official Alpine images raise it to 1 MiB so that
# recursion in a thread reaches sys.getrecursionlimit() before it crashes. So do we.
make -j"$JOBS" EXTRA_CFLAGS="-DTHREAD_STACK_SIZE=0x100000" >/tmp/make.log 2>&1 || { tail -n 40 /tmp/make.log; exit 1; }
# setup.py's own summary: which optional modules had no library to build against.
sed -n '/necessary bits to build these optional modules/,/^running build_scripts/p' /tmp/make.log | grep -v '^running' || true
step "CPython: install"
make install DESTDIR="$OUT" >/tmp/install.log 2>&1 || { tail -n 30 /tmp/install.log; exit 1; }

step "root filesystem"
LIB="$OUT/usr/local/lib/$PYSRC"
# What the official python:*-alpine images leave out too: the test suite, the static libpython
# and every .pyc file, so that a new container compiles the modules it imports (part of what
# their cold start costs). Tk and IDLE are not built here (no Tk), and pip is not installed.
rm -rf "$LIB/test" "$LIB"/*/test "$LIB"/*/tests "$LIB/idlelib" "$LIB/tkinter" "$LIB/turtledemo" \
    "$LIB/ensurepip" "$LIB"/config-*/libpython*.a
find "$OUT/usr/local" -depth -type d -name __pycache__ -exec rm -rf '{}' +
find "$OUT/usr/local" -type f \( -name '*.pyc' -o -name '*.exe' \) -delete
rm -f "$OUT"/usr/local/bin/idle3*
strip --strip-unneeded "$OUT/usr/local/bin/$PYSRC" "$LIB"/lib-dynload/*.so
find "$OUT/usr/local/lib" -maxdepth 1 -type f -name 'libpython*.so*' -exec strip --strip-unneeded '{}' +
ln -s python3 "$OUT/usr/local/bin/python"

# busybox as /bin/sh and every applet, linked where busybox says each one lives (as on Alpine).
mkdir -p "$OUT/bin" "$OUT/sbin" "$OUT/usr/bin" "$OUT/usr/sbin" "$OUT/lib" "$OUT/etc" "$OUT/root" "$OUT/tmp" "$OUT/var/tmp"
chmod 1777 "$OUT/tmp" "$OUT/var/tmp"
printf '#!/bin/sh\nexec /lib/ld-musl-x86_64.so.1 --list "$@"\n' > "$OUT/usr/bin/ldd"
chmod 755 "$OUT/usr/bin/ldd"
cp /bin/busybox "$OUT/bin/busybox"
for applet in $(/bin/busybox --list-full); do
    case "$applet" in */*) ;; *) continue ;; esac  # linuxrc: an initrd's init, not a command
    [ -e "$OUT/$applet" ] || ln -s /bin/busybox "$OUT/$applet"
done
# musl's dynamic loader is its libc; Alpine also names it libc.musl-x86_64.so.1.
cp -L /lib/ld-musl-x86_64.so.1 "$OUT/lib/ld-musl-x86_64.so.1"
ln -s ld-musl-x86_64.so.1 "$OUT/lib/libc.musl-x86_64.so.1"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/sbin/nologin\n' > "$OUT/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$OUT/etc/group"
# The build trees would otherwise stay in the builder stage's cached layer (hundreds of MB).
rm -rf /tmp/b "$DEPS"
du -sh "$OUT"
