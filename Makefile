# camagent / camcloud build. `make` builds for the host into build/host/;
# SANITIZE=1 builds into build/host-asan/ with ASan + UBSan.
# HASH=mbedtls streams image hashes through mbedtls instead of OpenSSL libcrypto
# (lib/sha256_*.c), into build/host-hash-mbedtls/; camera builds (ARCH=aarch64, armv7hf)
# use mbedtls by default.
# Dependencies come from Debian packages through toolchain/deps.sh.

CC       ?= cc
VERSION  := $(shell sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' manifest.json | head -n1)
ARCH     ?= host
# Camera builds hash with mbedtls: which libcrypto AXIS OS ships is not documented, and no
# Debian libcrypto.so.3 runs on the glibc 2.31 floor the packages are tested on.
HASH_DEFAULT := $(if $(filter host,$(ARCH)),openssl,mbedtls)
HASH     ?= $(HASH_DEFAULT)
BUILD    := build/$(ARCH)$(if $(SANITIZE),-asan)$(if $(findstring clang,$(notdir $(CC))),-clang)$(if $(filter-out $(HASH_DEFAULT),$(HASH)),-hash-$(HASH))

CFLAGS   ?= -O2 -g
CFLAGS   += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter -Wno-format-truncation \
            -DCAMAGENT_VERSION='"$(VERSION)"' -MMD -MP
ifneq ($(findstring clang,$(notdir $(CC))),)
CFLAGS   += -Wno-unknown-warning-option
endif
ifdef SANITIZE
CFLAGS   += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS  += -fsanitize=address,undefined
endif
LIBS     := -lcurl -levent -lmbedtls -lmbedx509 -lmbedcrypto -lsqlite3 $(if $(filter openssl,$(HASH)),-lcrypto)
# gio (D-Bus) for platform/axis and tests/camsim only.
PKG_CONFIG ?= pkg-config
GIO_CFLAGS := $(shell $(PKG_CONFIG) --cflags gio-2.0 2>/dev/null)
GIO_LIBS   := $(shell $(PKG_CONFIG) --libs gio-2.0 2>/dev/null)
LIBS     += $(GIO_LIBS)
# camcloud signs and verifies through OpenSSL's libcrypto (cloud/ecdsa_openssl.c) and reaches
# PostgreSQL through libpq (cloud/store/postgres/); the agent does neither.
CLOUD_LIBS := -lcrypto -lpq
$(BUILD)/obj/cloud/store/postgres/%.o: CFLAGS += $(shell $(PKG_CONFIG) --cflags libpq 2>/dev/null)

# One streaming SHA-256 backend is linked; both build, and make check tests both.
SHA256_BACKENDS := lib/sha256_openssl.c lib/sha256_mbedtls.c
ifeq ($(filter lib/sha256_$(HASH).c,$(SHA256_BACKENDS)),)
$(error HASH must be openssl or mbedtls (got '$(HASH)'))
endif
LIB_SRC      := $(filter-out $(SHA256_BACKENDS),$(wildcard lib/*.c)) lib/sha256_$(HASH).c
PLATFORM_SRC := $(wildcard platform/*.c platform/sim/*.c platform/axis/*.c)
CAMSIM_SRC   := $(wildcard tests/camsim/*.c)
AGENT_SRC    := $(filter-out agent/main.c,$(wildcard agent/*.c))
CLOUD_SRC    := $(filter-out cloud/main.c,$(wildcard cloud/*.c cloud/*/*.c cloud/*/*/*.c))
TEST_SRC     := $(wildcard tests/unit/test_*.c)

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))
LIB_OBJ      := $(call obj,$(LIB_SRC))
PLATFORM_OBJ := $(call obj,$(PLATFORM_SRC))
AGENT_OBJ    := $(call obj,$(AGENT_SRC))
CLOUD_OBJ    := $(call obj,$(CLOUD_SRC))
CAMSIM_OBJ   := $(call obj,$(CAMSIM_SRC))
TESTS        := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(TEST_SRC))
# The SHA-256 vectors once more against the mbedtls backend, in the default build.
ifeq ($(HASH),openssl)
TESTS        += $(BUILD)/tests/test_lib_sha256_mbedtls
endif

DEPS_STAMP := build/.deps-ok

.PHONY: all deps check unit integration demo clean fuzz bench-sha256
.SECONDARY:
all: $(BUILD)/camagent $(BUILD)/camcloud $(BUILD)/camsim

# Installs missing Debian packages once per checkout (re-run: rm build/.deps-ok).
deps: $(DEPS_STAMP)
$(DEPS_STAMP): toolchain/deps.sh toolchain/apt.sh
	@bash toolchain/deps.sh
	@mkdir -p build && touch $@

$(BUILD)/obj/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/camagent: $(BUILD)/obj/agent/main.o $(AGENT_OBJ) $(PLATFORM_OBJ) $(LIB_OBJ)
	$(CC) $(LDFLAGS) $^ $(LIBS) -o $@

$(BUILD)/camcloud: $(BUILD)/obj/cloud/main.o $(CLOUD_OBJ) $(LIB_OBJ)
	$(CC) $(LDFLAGS) $^ $(LIBS) $(CLOUD_LIBS) -o $@

# The VAPIX camera simulator the axis platform is tested against (tests/camsim/).
$(BUILD)/obj/platform/axis/%.o $(BUILD)/obj/tests/camsim/%.o: CFLAGS += $(GIO_CFLAGS)
$(BUILD)/camsim: $(CAMSIM_OBJ) $(LIB_OBJ)
	$(CC) $(LDFLAGS) $^ $(LIBS) -o $@

# A unit test links only the layer it tests: test_lib_*, test_platform_*, test_agent_*, test_cloud_*.
define unit_test
$(BUILD)/tests/test_$(1)_%: $(BUILD)/obj/tests/unit/test_$(1)_%.o $(2) $(LIB_OBJ)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(LDFLAGS) $$^ $$(LIBS) $(3) -lcmocka -o $$@
endef
$(eval $(call unit_test,lib,))
$(BUILD)/tests/test_lib_sha256_mbedtls: $(BUILD)/obj/tests/unit/test_lib_sha256.o \
		$(filter-out $(BUILD)/obj/lib/sha256_openssl.o,$(LIB_OBJ)) $(BUILD)/obj/lib/sha256_mbedtls.o
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $^ $(filter-out -lcrypto,$(LIBS)) -lcmocka -o $@
$(eval $(call unit_test,platform,$(PLATFORM_OBJ)))
$(eval $(call unit_test,agent,$(AGENT_OBJ) $(PLATFORM_OBJ)))
$(eval $(call unit_test,cloud,$(CLOUD_OBJ),$(CLOUD_LIBS)))
# test_platform_axis* run the axis backend against a camsim process.
$(filter $(BUILD)/tests/test_platform_axis%,$(TESTS)): | $(BUILD)/camsim

# The stream hash's speed in this build's backend (tests/bench/sha256_speed.c).
$(BUILD)/tests/sha256_speed: $(BUILD)/obj/tests/bench/sha256_speed.o $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $^ $(LIBS) -o $@
bench-sha256: $(BUILD)/tests/sha256_speed
	@echo "sha256 stream ($(HASH)): $$($<)"

check: all $(TESTS)
	@BUILD=$(BUILD) bash tests/run.sh $(TESTS)

unit: $(TESTS)
	@BUILD=$(BUILD) bash tests/run.sh --unit-only $(TESTS)

# make demo PLATFORM=axis: the same path on a camera simulated at the VAPIX level (camsim).
demo: all
	@BUILD=$(BUILD) bash tests/demo$(if $(filter axis,$(PLATFORM)),_axis).sh

# libFuzzer targets for the parsers (clang, ASan + UBSan), FUZZ_SECONDS each.
FUZZ_SECONDS ?= 20
fuzz: | $(DEPS_STAMP)
	@bash tests/fuzz/run.sh $(FUZZ_SECONDS)

clean:
	rm -rf build

-include $(shell find build -name '*.d' -type f 2>/dev/null)

include toolchain/cross.mk
