#!/usr/bin/env bash
# Builds hush's in-kernel recorder (dist/native/hush-recorder): the BPF object (clang, CO-RE,
# no vmlinux.h: kernel.h declares what it reads), its skeleton (bpftool) and a static loader
# (libbpf, libelf, zlib), so the one binary runs on Debian 12 and 13 alike. Debian packages:
# clang, llvm, libbpf-dev, bpftool, libelf-dev, zlib1g-dev (scripts/setup installs them).
# Without them the build prints why and exits 0: hush then profiles with strace only.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/../../dist/native}
for tool in clang bpftool cc; do
  command -v "$tool" >/dev/null 2>&1 || { echo "native/recorder: $tool missing: the eBPF recorder is not built (strace only)" >&2; exit 0; }
done
[ -r /usr/include/bpf/libbpf.h ] || { echo "native/recorder: libbpf-dev missing: the eBPF recorder is not built (strace only)" >&2; exit 0; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
clang -g -O2 -Wall -Werror -target bpf -D__TARGET_ARCH_x86 -I"$here" -c "$here/recorder.bpf.c" -o "$work/recorder.bpf.o"
llvm-strip -g "$work/recorder.bpf.o" 2>/dev/null || true
bpftool gen skeleton "$work/recorder.bpf.o" name recorder > "$work/recorder.skel.h"
libs="-lbpf -lelf -lz"
if [ -e /usr/lib/x86_64-linux-gnu/libzstd.a ]; then libs="$libs -lzstd"; fi
cc -O2 -Wall -Werror -static -I"$work" -I"$here" "$here/loader.c" -o "$work/hush-recorder" $libs
mkdir -p "$out"
install -m 0755 "$work/hush-recorder" "$out/hush-recorder"
echo "native/recorder: built $out/hush-recorder" >&2
