#!/bin/sh
# Compile the BPF object by hand: trace/build-bpf.sh [OUT.o] [CLANG]
# drydock does the same on first use (Sources/Tracer/BPFObjectBuilder.swift) into .build/bpf/.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/../.build/bpf/drydock_trace.bpf.o}
cc=${2:-${DRYDOCK_BPF_CLANG:-clang}}
case $(uname -m) in x86_64) arch=x86 ;; aarch64) arch=arm64 ;; *) echo "build-bpf: unsupported $(uname -m)" >&2; exit 1 ;; esac
mkdir -p "$(dirname "$out")"
exec "$cc" -g -O2 -target bpf -D__TARGET_ARCH_$arch -I"$here" -c "$here/drydock_trace.bpf.c" -o "$out"
