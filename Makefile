# The README's two commands: `make demo` and `make test`. Both install the system packages the
# build needs (ALSA headers and pkg-config for cpal) and the tests' loudness meter (ffmpeg) when
# they are missing, with sudo when not root.
.PHONY: demo test deps

deps:
	@if ! pkg-config --exists alsa 2>/dev/null; then \
		echo "Installing libasound2-dev and pkg-config (needed to build the cpal audio output)"; \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq libasound2-dev pkg-config; \
	fi
	@if ! command -v ffmpeg >/dev/null 2>&1; then \
		echo "Installing ffmpeg (the independent loudness meter of crates/player/tests/loudness.rs)"; \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq ffmpeg; \
	fi

demo: deps
	cargo run --release --example play -- --demo

test: deps
	cargo test --workspace
