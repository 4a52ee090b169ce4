# The README's two commands: `make demo` and `make test`. Both install the system packages the
# build needs (ALSA headers and pkg-config for cpal) when they are missing; `make test` also
# what the tests use (redis-server, which the token-store tests start; openssl for their test
# certificate; ffmpeg, the independent loudness meter; chromium and chromium-driver for the
# remote page's browser test). With sudo when not root.
.PHONY: demo test deps test-deps

deps:
	@if ! pkg-config --exists alsa 2>/dev/null; then \
		echo "Installing libasound2-dev and pkg-config (needed to build the cpal audio output)"; \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq libasound2-dev pkg-config; \
	fi

test-deps:
	@if ! command -v redis-server >/dev/null 2>&1 && [ ! -x /usr/bin/redis-server ]; then \
		echo "Installing redis-server (the fleet token store's tests start their own)"; \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq redis-server; \
	fi
	@if ! command -v openssl >/dev/null 2>&1; then \
		echo "Installing openssl (the rediss:// test makes a certificate with it)"; \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq openssl; \
	fi
	@if ! command -v ffmpeg >/dev/null 2>&1; then \
		echo "Installing ffmpeg (the independent loudness meter of crates/player/tests/loudness.rs)"; \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq ffmpeg; \
	fi
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then \
		echo "Installing chromium and chromium-driver (the remote page's browser test, tests/remote_page.rs)"; \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium chromium-driver; \
	fi

demo: deps
	cargo run --release --example play -- --demo

test: deps test-deps
	cargo test --workspace
