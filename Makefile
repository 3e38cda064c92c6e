# KafScale: `make run` starts one broker on the embedded default; `make test`
# installs what the tests need, builds, and runs every test; `make cluster`
# starts radosgw, etcd and CLUSTER_BROKERS brokers under ./cluster-data
# (`make cluster-stop` stops them).
BUILD_DIR ?= build
SANITIZE_DIR ?= build-sanitize
JOBS ?= 2
CLUSTER_DIR ?= cluster-data
CLUSTER_BROKERS ?= 3
# Lets ccache reuse objects across clones of the repository.
export CCACHE_BASEDIR := $(CURDIR)

.PHONY: all deps test-deps build build-sanitize run test unit e2e cluster cluster-stop clean

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

# The cluster needs the test servers' packages (radosgw, etcd).
cluster: test-deps build
	KAFSCALE_BROKER_BIN=$(CURDIR)/$(BUILD_DIR)/bin/kafscale-broker ./scripts/cluster.sh start ./$(CLUSTER_DIR) $(CLUSTER_BROKERS)

cluster-stop:
	./scripts/cluster.sh stop ./$(CLUSTER_DIR)

clean:
	rm -rf $(BUILD_DIR) $(SANITIZE_DIR)
