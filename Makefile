# KafScale: `make run` starts one broker on the embedded default; `make test`
# installs what the tests need, builds, and runs every test.
BUILD_DIR ?= build
SANITIZE_DIR ?= build-sanitize
JOBS ?= 2
# Lets ccache reuse objects across clones of the repository.
export CCACHE_BASEDIR := $(CURDIR)

.PHONY: all deps test-deps build build-sanitize run test unit e2e clean

all: build

deps:
	./scripts/install-deps.sh

test-deps:
	./scripts/install-deps.sh --test

$(BUILD_DIR)/build.ninja:
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release

build: deps $(BUILD_DIR)/build.ninja
	ninja -C $(BUILD_DIR) -j$(JOBS)

# Debug build with AddressSanitizer + UndefinedBehaviorSanitizer, for tests.
$(SANITIZE_DIR)/build.ninja:
	cmake -S . -B $(SANITIZE_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DKAFSCALE_SANITIZE=ON

build-sanitize: deps $(SANITIZE_DIR)/build.ninja
	ninja -C $(SANITIZE_DIR) -j$(JOBS)

run: build
	./$(BUILD_DIR)/bin/kafscale-broker

unit: build
	cd $(BUILD_DIR) && ctest -L unit --output-on-failure -j$(JOBS)

e2e: build
	/usr/bin/python3 -m pytest -q tests/e2e

test: test-deps build build-sanitize
	./scripts/run-tests.sh $(BUILD_DIR) $(SANITIZE_DIR)

clean:
	rm -rf $(BUILD_DIR) $(SANITIZE_DIR)
