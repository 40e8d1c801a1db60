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
CFLAGS   += -std=c11 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter -Wno-format-truncation \
            -DCAMAGENT_VERSION='"$(VERSION)"' -MMD -MP
ifneq ($(findstring clang,$(notdir $(CC))),)
CFLAGS   += -Wno-unknown-warning-option
endif
ifdef SANITIZE
CFLAGS   += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS  += -fsanitize=address,undefined
endif
# Nothing is probed while the Makefile is parsed: the packages may not be installed yet
# (toolchain/deps.sh runs as the first step). pkg_config asks once, when a recipe first
# needs the answer, and stops with the package's name when it is missing.
PKG_CONFIG ?= pkg-config
pkg_config = $(or $(shell $(PKG_CONFIG) $(1) $(2) 2>/dev/null),\
	$(error pkg-config finds no $(2): toolchain/deps.sh installs it (Debian package $(3))))
# gio (D-Bus) for platform/axis and tests/camsim only.
GIO_CFLAGS = $(eval GIO_CFLAGS := $(call pkg_config,--cflags,gio-2.0,libglib2.0-dev))$(GIO_CFLAGS)
GIO_LIBS   = $(eval GIO_LIBS := $(call pkg_config,--libs,gio-2.0,libglib2.0-dev))$(GIO_LIBS)
# Camera builds link zlib statically: the camera's libz need not carry Debian's symbol
# versions (ZLIB_1.2.3.3 ...), which a dynamic link would record.
ZLIB_LIB := $(if $(filter host,$(ARCH)),-lz,-l:libz.a)
LIBS      = -lcurl -levent -lmbedtls -lmbedx509 -lmbedcrypto -lsqlite3 $(ZLIB_LIB) -ldl \
	    $(if $(filter openssl,$(HASH)),-lcrypto) $(GIO_LIBS)
# camcloud signs and verifies through OpenSSL's libcrypto (cloud/domain/ecdsa_openssl.c), or with
# CLOUD_ECDSA=mbedtls through lib/crypto (the default for camera builds, as for HASH).
CLOUD_ECDSA ?= $(HASH_DEFAULT)
CLOUD_ECDSA_BACKENDS := cloud/domain/ecdsa_openssl.c cloud/domain/ecdsa_mbedtls.c
# camcloud reaches PostgreSQL through libpq (cloud/store/postgres/); camera builds have no
# libpq and get SQLite only (CLOUD_PG=none).
CLOUD_PG ?= $(if $(filter host,$(ARCH)),libpq,none)
CLOUD_PG_BACKENDS := cloud/store/postgres/pg_store.c cloud/store/postgres/pg_none.c
CLOUD_PG_SRC := cloud/store/postgres/$(if $(filter libpq,$(CLOUD_PG)),pg_store.c,pg_none.c)
# Passwords are hashed with Argon2id through Debian's libargon2 (cloud/domain/password.c).
ARGON2_LIBS = $(eval ARGON2_LIBS := $(call pkg_config,--libs,libargon2,libargon2-dev))$(ARGON2_LIBS)
# The seal pool's workers (cloud/device/seal_pool.c) are POSIX threads.
CLOUD_LIBS = $(if $(filter openssl,$(CLOUD_ECDSA)),-lcrypto) $(if $(filter libpq,$(CLOUD_PG)),-lpq) \
	     $(ARGON2_LIBS) -pthread
LIBPQ_CFLAGS = $(eval LIBPQ_CFLAGS := $(call pkg_config,--cflags,libpq,libpq-dev))$(LIBPQ_CFLAGS)
$(BUILD)/obj/cloud/store/postgres/pg_store.o: CFLAGS += $(LIBPQ_CFLAGS)

# One streaming SHA-256 backend is linked; both build, and make check tests both.
SHA256_BACKENDS := lib/sha256_openssl.c lib/sha256_mbedtls.c
ifeq ($(filter lib/sha256_$(HASH).c,$(SHA256_BACKENDS)),)
$(error HASH must be openssl or mbedtls (got '$(HASH)'))
endif
LIB_SRC      := $(filter-out $(SHA256_BACKENDS),$(wildcard lib/*.c)) lib/sha256_$(HASH).c
PLATFORM_SRC := $(wildcard platform/*.c platform/sim/*.c platform/axis/*.c)
CAMSIM_SRC   := $(wildcard tests/camsim/*.c)
AGENT_SRC    := $(filter-out agent/main.c,$(wildcard agent/*.c))
CLOUD_SRC    := $(filter-out cloud/main.c $(CLOUD_ECDSA_BACKENDS) $(CLOUD_PG_BACKENDS),\
                $(wildcard cloud/*.c cloud/*/*.c cloud/*/*/*.c)) \
                cloud/domain/ecdsa_$(CLOUD_ECDSA).c $(CLOUD_PG_SRC)
TEST_SRC     := $(wildcard tests/unit/test_*.c)
# The web console (cloud/console/): its files and its one npm dependency, installed from the
# committed lock file into the build dir, embedded into camcloud as one generated C file.
CONSOLE_FILES  := $(wildcard cloud/console/*.html cloud/console/*.css cloud/console/js/*.js \
                  cloud/console/js/*/*.js)
CONSOLE_NODE   := $(BUILD)/console
CONSOLE_VENDOR := $(CONSOLE_NODE)/node_modules/qrcode-generator/dist/qrcode.mjs
CONSOLE_C      := $(BUILD)/gen/console_assets.c

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))
LIB_OBJ      := $(call obj,$(LIB_SRC))
PLATFORM_OBJ := $(call obj,$(PLATFORM_SRC))
AGENT_OBJ    := $(call obj,$(AGENT_SRC))
CLOUD_OBJ    := $(call obj,$(CLOUD_SRC) $(CONSOLE_C))
CAMSIM_OBJ   := $(call obj,$(CAMSIM_SRC))
AXPARAMETER_STANDIN := $(BUILD)/camsim-lib/libaxparameter.so.1
FILEOP_FAULT := $(BUILD)/test-tools/fileop_fault.so
TESTS        := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(TEST_SRC))
# The SHA-256 vectors once more against the mbedtls backend, in the default build.
ifeq ($(HASH),openssl)
TESTS        += $(BUILD)/tests/test_lib_sha256_mbedtls
endif

# Debian packages by job (toolchain/deps.sh), each installed once per checkout by the first
# target that needs it (re-run: rm build/.deps-*): building needs only "build" (and "clang"
# for a clang build), the tests "test", and only `make check` the browser.
deps_stamp = build/.deps-$(1)
BUILD_DEPS := $(call deps_stamp,build) $(if $(findstring clang,$(notdir $(CC))),$(call deps_stamp,clang))
TEST_DEPS  := $(call deps_stamp,test)

.PHONY: all deps check unit integration demo clean fuzz bench-sha256
.SECONDARY:
all: $(BUILD)/camagent $(BUILD)/camcloud $(BUILD)/camsim $(BUILD)/camvendor $(FILEOP_FAULT)

deps: $(BUILD_DEPS) $(TEST_DEPS) $(call deps_stamp,node) $(call deps_stamp,browser)
build/.deps-%: toolchain/deps.sh
	@bash toolchain/deps.sh $*
	@mkdir -p build && touch $@

$(BUILD)/obj/%.o: %.c | $(BUILD_DEPS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/camagent: $(BUILD)/obj/agent/main.o $(AGENT_OBJ) $(PLATFORM_OBJ) $(LIB_OBJ)
	$(CC) $(LDFLAGS) $^ $(LIBS) -o $@

$(BUILD)/camcloud: $(BUILD)/obj/cloud/main.o $(CLOUD_OBJ) $(LIB_OBJ)
	$(CC) $(LDFLAGS) $^ $(LIBS) $(CLOUD_LIBS) -o $@

# The vendor side of license keys (tools/camvendor.c): keeps the key-signing key
# out of camcloud.
$(BUILD)/camvendor: $(BUILD)/obj/tools/camvendor.o $(LIB_OBJ)
	$(CC) $(LDFLAGS) $^ $(LIBS) -o $@
# npm only at build time and only from the lock file; nothing is fetched when camcloud runs.
$(CONSOLE_VENDOR): cloud/console/package.json cloud/console/package-lock.json | $(call deps_stamp,node)
	@mkdir -p $(CONSOLE_NODE)
	cp cloud/console/package.json cloud/console/package-lock.json $(CONSOLE_NODE)/
	cd $(CONSOLE_NODE) && npm ci --no-audit --no-fund --prefer-offline --ignore-scripts >npm.log 2>&1 || \
		{ cat npm.log; exit 1; }
	@touch $@
$(CONSOLE_C): toolchain/embed_assets.sh $(CONSOLE_FILES) $(CONSOLE_VENDOR)
	@mkdir -p $(dir $@)
	bash toolchain/embed_assets.sh $@ cloud/console $(addprefix :,$(CONSOLE_FILES)) vendor/:$(CONSOLE_VENDOR)
$(call obj,$(CONSOLE_C)): CFLAGS += -I.

# The VAPIX camera simulator the axis platform is tested against (tests/camsim/).
$(BUILD)/obj/platform/axis/%.o $(BUILD)/obj/tests/camsim/%.o \
$(BUILD)/obj/tests/unit/test_platform_glib_loop.o $(BUILD)/obj/tests/unit/test_platform_axis.o: \
	CFLAGS += $(GIO_CFLAGS)
$(BUILD)/camsim: $(CAMSIM_OBJ) $(LIB_OBJ) | $(AXPARAMETER_STANDIN)
	$(CC) $(LDFLAGS) $^ $(LIBS) -o $@

# The unit tests need cmocka, of the "test" packages.
$(call obj,$(TEST_SRC)): | $(TEST_DEPS)

# The stand-in axparameter library camsim offers its agent (camsim --axparameter DIR).
$(AXPARAMETER_STANDIN): tests/camsim/axparameter/standin.c tests/camsim/paramconf.c | $(BUILD_DEPS)
	@mkdir -p $(dir $@)
	$(CC) $(filter-out -MMD -MP,$(CFLAGS)) $(GIO_CFLAGS) -fPIC -shared \
		-Wl,-soname,libaxparameter.so.1 $^ $(LDFLAGS) $(GIO_LIBS) -o $@

# The interposer that cuts the power at the Nth file operation (tests/tools/fileop_fault.c).
# Built without 64-bit offset redirection: it defines open and open64 both.
$(FILEOP_FAULT): tests/tools/fileop_fault.c | $(BUILD_DEPS)
	@mkdir -p $(dir $@)
	$(CC) $(filter-out -MMD -MP -D_FILE_OFFSET_BITS=64 -fsanitize=% -fno-sanitize-recover=%,$(CFLAGS)) \
		-fPIC -shared $< -ldl -o $@

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
$(eval $(call unit_test,cloud,$(CLOUD_OBJ),$$(CLOUD_LIBS)))
# test_cloud_license_key mints keys with the vendor tool beside it.
$(BUILD)/tests/test_cloud_license_key: | $(BUILD)/camvendor
# test_platform_axis* run the axis backend against a camsim process (tests/unit/camsim_fixture.c).
$(filter $(BUILD)/tests/test_platform_axis%,$(TESTS)): $(BUILD)/obj/tests/unit/camsim_fixture.o | $(BUILD)/camsim

# The stream hash's speed in this build's backend (tests/bench/sha256_speed.c).
$(BUILD)/tests/sha256_speed: $(BUILD)/obj/tests/bench/sha256_speed.o $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $^ $(LIBS) -o $@
bench-sha256: $(BUILD)/tests/sha256_speed
	@echo "sha256 stream ($(HASH)): $$($<)"

# The settings-page test (tests/browser/) runs in Debian's chromium.
check: all $(TESTS) | $(TEST_DEPS) $(call deps_stamp,browser)
	@BUILD=$(BUILD) bash tests/run.sh $(TESTS)

unit: $(TESTS) | $(TEST_DEPS)
	@BUILD=$(BUILD) bash tests/run.sh --unit-only $(TESTS)

# make demo PLATFORM=axis: the same path on a camera simulated at the VAPIX level (camsim).
demo: all | $(TEST_DEPS)
	@BUILD=$(BUILD) bash tests/demo$(if $(filter axis,$(PLATFORM)),_axis).sh

# libFuzzer targets for the parsers (clang, ASan + UBSan), FUZZ_SECONDS each.
FUZZ_SECONDS ?= 20
fuzz: build/host/gen/console_assets.c | $(call deps_stamp,build) $(call deps_stamp,clang)
	@bash tests/fuzz/run.sh $(FUZZ_SECONDS)

# memcheck over enroll + report + upgrade across a reboot + license, agent and cloud.
valgrind-check: all | $(TEST_DEPS)
	@BUILD=$(BUILD) bash tests/valgrind/run.sh

clean:
	rm -rf build

-include $(shell find build -name '*.d' -type f 2>/dev/null)

include toolchain/cross.mk
