#!/bin/sh
# Regenerates scripts/kiosk-hot-functions.txt: the functions the kiosk `play` runs (paced to
# the null sink, on loopback and over a 1 MB/s link; ALSA's null device; paced with --json and
# --control; AAC and MP3 to a pipe, unpaced), profiled with valgrind's callgrind against the
# emulator. Run it when the code
# has changed a lot; scripts/kiosk-build.sh uses the list. Needs valgrind and python3.
#   scripts/kiosk-hot-functions.sh         (EMULATOR=path skips building the emulator)
set -eu
cd "$(dirname "$0")/.."
target=${CARGO_TARGET_DIR:-target}
work=$(mktemp -d)
emulator_pid=
slow_pid=
cleanup() {
    for pid in $emulator_pid $slow_pid; do kill "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

# EMULATOR=path/to/scplay-emulator uses one already built.
emulator=${EMULATOR:-}
if [ -z "$emulator" ]; then
    cargo build --release -p scplay-emulator --bin scplay-emulator
    emulator=$target/release/scplay-emulator
fi
# v0 symbol names, as scripts/kiosk-build.sh builds them (scripts/kiosk_order.py says why).
RUSTFLAGS="${RUSTFLAGS:+$RUSTFLAGS }-C symbol-mangling-version=v0" CARGO_PROFILE_KIOSK_STRIP=false \
    cargo build --profile kiosk --example play --no-default-features --features cpal,remote
play=$target/kiosk/examples/play

"$emulator" > "$work/emulator.json" &
emulator_pid=$!
# The same service over a slow link (about 8 Mbit/s).
"$emulator" --bandwidth 1000000 > "$work/slow.json" &
slow_pid=$!
for _ in $(seq 50); do [ -s "$work/emulator.json" ] && [ -s "$work/slow.json" ] && break; sleep 0.1; done
field() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$work/$1.json" "$2"; }
flags() {
    echo "--api-base $(field "$1" api_base) --auth-base $(field "$1" auth_base)" \
        "--client-id $(field "$1" client_id) --client-secret $(field "$1" client_secret)" \
        "--token-file $work/$1-token.json"
}
api=$(flags emulator)

# profile NAME API_FLAGS PLAY_ARGS...
profile() {
    name=$1
    link=$2
    shift 2
    # shellcheck disable=SC2086 # $link is several arguments
    valgrind -q --tool=callgrind --callgrind-out-file="$work/$name.out" "$play" $link "$@" || true
}
# First what a kiosk does most: the hour-long track's last 40 s, paced, to the null sink.
profile kiosk "$api" --sink null --realtime --start 59:20 soundcloud:tracks:2007 > /dev/null
# The same over the slow link, where bodies come in small reads.
profile slow "$(flags slow)" --sink null --realtime --start 59:20 soundcloud:tracks:2007 > /dev/null
# The sound card's path, on ALSA's null device: the track's last 10 s.
profile cpal "$api" --sink cpal:alsa:null --start 59:50 soundcloud:tracks:2007 > /dev/null
# Paced, with JSON events and the remote control (stopped by SIGTERM after a few seconds).
# shellcheck disable=SC2086
valgrind -q --tool=callgrind --callgrind-out-file="$work/paced.out" "$play" $api \
    --sink null --realtime --json --control 127.0.0.1:0 soundcloud:tracks:2007 > /dev/null &
paced=$!
sleep 20
kill -TERM "$paced"
wait "$paced" || true
# Unpaced to a pipe, AAC and MP3: the track's last minute.
profile aac "$api" --sink pipe --start 59:00 soundcloud:tracks:2007 > /dev/null
profile mp3 "$api" --sink pipe --start 59:00 --prefer mp3 soundcloud:tracks:2007 > /dev/null

# In this order of importance: kiosk_order.py groups each profile's functions together.
python3 scripts/kiosk_order.py hot "$work"/kiosk.out "$work"/slow.out "$work"/cpal.out \
    "$work"/paced.out "$work"/aac.out "$work"/mp3.out --binary "$play" > scripts/kiosk-hot-functions.txt
wc -l scripts/kiosk-hot-functions.txt
