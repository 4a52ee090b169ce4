#!/bin/sh
# Builds the kiosk `play` (docs/kiosk.md) with the functions it runs placed together
# (scripts/kiosk-hot-functions.txt) and packed relative relocations, for fewer resident
# pages: target/kiosk/play, stripped. Extra arguments are cargo's (e.g.
# `--features cpal,remote,redis` replaces the default features below).
#   scripts/kiosk-build.sh
# Needs python3, binutils (nm, strip) and a linker that takes --symbol-ordering-file (LLD:
# Rust's default on x86-64 Linux; elsewhere `apt install lld` and
# RUSTFLAGS="-C link-arg=-fuse-ld=lld"). Without one, or with a glibc older than 2.36 (no
# packed relocations), it says so and builds the plain kiosk binary.
set -eu
cd "$(dirname "$0")/.."
target=${CARGO_TARGET_DIR:-target}
features=cpal,remote
if [ "$#" -gt 0 ]; then features=; fi
# v0 symbol names spell out generic instances, so the list names the ones that run
# (scripts/kiosk_order.py).
rustflags="${RUSTFLAGS:+$RUSTFLAGS }-C symbol-mangling-version=v0"
build() {
    # Unstripped, so that nm can name the symbols; the same flags in both links keep the
    # symbol names (their hashes) the same.
    command=$1
    shift
    CARGO_PROFILE_KIOSK_STRIP=false RUSTFLAGS=$rustflags cargo "$command" --profile kiosk --example play \
        --no-default-features ${features:+--features "$features"} "$@"
}
build build "$@"
play=$target/kiosk/examples/play
order=$target/kiosk/play.order
python3 scripts/kiosk_order.py order "$play" scripts/kiosk-hot-functions.txt > "$order"
links="-C link-arg=-Wl,--symbol-ordering-file=$order -C link-arg=-Wl,--no-warn-symbol-ordering"
glibc=$(getconf GNU_LIBC_VERSION 2>/dev/null | sed 's/glibc //')
case $glibc in
    2.3[6-9]* | 2.[4-9]* | [3-9].*) links="$links -C link-arg=-Wl,-z,pack-relative-relocs" ;;
    *) echo "kiosk-build: glibc ${glibc:-unknown} has no packed relocations (2.36+); leaving them out" >&2 ;;
esac
# shellcheck disable=SC2086 # $links is several arguments
if ! build rustc "$@" -- $links; then
    echo "kiosk-build: the linker refused the function order; building without it" >&2
    build rustc "$@"
fi
# Cargo's artifact stays unstripped (nm reads it on the next run); the kiosk's copy is not.
strip -o "$target/kiosk/play" "$play"
ls -l "$target/kiosk/play"
