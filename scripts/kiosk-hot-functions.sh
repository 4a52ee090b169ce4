#!/bin/sh
# Regenerates scripts/kiosk-hot-functions.txt: the functions the kiosk `play` runs (AAC and
# MP3 to a pipe, unpaced; ALSA's null device; paced to the null sink with --json and
# --control; paced over a 1 MB/s link, where bodies come in small reads), profiled with
# valgrind's callgrind against the emulator. Run it when the code
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
CARGO_PROFILE_KIOSK_STRIP=false cargo build --profile kiosk --example play \
    --no-default-features --features cpal,remote
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

profile() {
    name=$1
    shift
    # shellcheck disable=SC2086 # $api is several arguments
    valgrind -q --tool=callgrind --callgrind-out-file="$work/$name.out" "$play" $api "$@" || true
}
# The hour-long track's last minute: start, fetching, decoding and output, unpaced.
profile aac --sink pipe --start 59:00 soundcloud:tracks:2007 > /dev/null
profile mp3 --sink pipe --start 59:00 --prefer mp3 soundcloud:tracks:2007 > /dev/null
# The sound card's path, on ALSA's null device: the track's last 10 s.
profile cpal --sink cpal:alsa:null --start 59:50 soundcloud:tracks:2007 > /dev/null
# Paced, with JSON events and the remote control (stopped by SIGTERM after a few seconds).
# shellcheck disable=SC2086
valgrind -q --tool=callgrind --callgrind-out-file="$work/paced.out" "$play" $api \
    --sink null --realtime --json --control 127.0.0.1:0 soundcloud:tracks:2007 > /dev/null &
paced=$!
sleep 20
kill -TERM "$paced"
wait "$paced" || true

# Paced over the slow link: the track's last 40 s.
api=$(flags slow)
profile slow --sink null --realtime --start 59:20 soundcloud:tracks:2007 > /dev/null

python3 scripts/kiosk_order.py hot "$work"/aac.out "$work"/mp3.out "$work"/cpal.out "$work"/paced.out \
    "$work"/slow.out \
    --binary "$play" > scripts/kiosk-hot-functions.txt
wc -l scripts/kiosk-hot-functions.txt
