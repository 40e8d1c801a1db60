# Cross builds, ACAP packages and QEMU checks; included at the end of the Makefile.
#
#   make cross ARCH=aarch64|armv7hf        camagent, camcloud, unit tests into build/<arch>/
#   make acap ARCH=... [VENDOR_ID=..]      build/<arch>/axis-os-<first>-<last>/camagent_<x>_<y>_<z>_<arch>.eap,
#                                          one per manifest schema (acap/build-eap.sh); RELEASE=1
#                                          refuses to pack without a real VENDOR_ID
#   make acap-check ARCH=...               unpacks the .eaps: layout, ELF, symbol versions against
#                                          the glibc 2.31 floor, NEEDED, manifests (tests/qemu/test_eap.sh)
#   make qemu-check ARCH=...               cross unit tests + end-to-end test under qemu-user, then
#                                          the packed agent end to end in a camera-like root
#   make qemu-system-check ARCH=aarch64    a real ARM guest reboots through an A/B upgrade
#
# With the Axis ACAP Native SDK (its environment-setup script sourced, so $SDKTARGETSYSROOT
# and $CC are set) the SDK compiler builds, and `acap-build` packs when it is on PATH.
# Without it, Debian's cross compilers and a sysroot made by toolchain/sysroot.sh from
# Debian .deb files stand in (cached in build/sysroot-<arch>/, stamp-guarded).

CROSS_ARCHES := aarch64 armv7hf
TRIPLET_aarch64 := aarch64-linux-gnu
TRIPLET_armv7hf := arm-linux-gnueabihf

.PHONY: cross cross-build acap acap-check qemu-check qemu-system-check cross-arch-check

cross-arch-check:
	@case " $(CROSS_ARCHES) " in *" $(ARCH) "*) ;; \
	*) echo "set ARCH=aarch64 or ARCH=armv7hf (got '$(ARCH)')" >&2; exit 2 ;; esac

ifneq ($(filter $(CROSS_ARCHES),$(ARCH)),)
TRIPLET := $(TRIPLET_$(ARCH))
SYSROOT := build/sysroot-$(ARCH)
SYSROOT_ABS := $(abspath $(SYSROOT))
# Whatever else the Makefile grows (tests/camsim, ...) is built when its sources exist.
CROSS_TARGETS = $(BUILD)/camagent $(BUILD)/camcloud $(TESTS) \
		$(if $(wildcard tests/camsim/*.c),$(BUILD)/camsim)

# On the camera the app finds the libraries it carries in its own lib/ (the .eap's lib/,
# see acap/build-eap.sh). RPATH rather than RUNPATH, so it holds for their own NEEDED too.
LDFLAGS += -Wl,-rpath,'$$ORIGIN/lib' -Wl,--disable-new-dtags

ifdef SDKTARGETSYSROOT
# Axis SDK: its $CC already carries --sysroot and the CPU flags; pkg-config is set up by the
# SDK too. Libraries AXIS OS does not ship (libevent, mbedtls, sqlite, jsmn, cmocka) still
# come from the Debian sysroot, searched after the SDK's own directories.
CROSS_MODE := axis-sdk
CFLAGS  += -idirafter $(SYSROOT_ABS)/usr/include -idirafter $(SYSROOT_ABS)/usr/include/$(TRIPLET)
LDFLAGS += -L$(SYSROOT_ABS)/usr/lib/$(TRIPLET) -Wl,-rpath-link,$(SYSROOT_ABS)/usr/lib/$(TRIPLET) \
	   -Wl,-rpath-link,$(SYSROOT_ABS)/lib/$(TRIPLET)
CROSS_ENV :=
else
CROSS_MODE := debian
ifeq ($(origin CC),default)
CC := $(TRIPLET)-gcc
endif
# Only the sysroot's C library (Debian 11, glibc 2.31) may be seen: Debian's cross gcc would
# otherwise search /usr/<triplet> (Debian 12, glibc 2.36) before --sysroot, for headers and
# for crt files and libraries alike. -nostdinc drops its header folders, -B puts the
# sysroot's crt1.o/crti.o first; gcc keeps only its own headers, crtbegin/crtend and libgcc.
GCC_INCLUDE := $(shell $(CC) -print-file-name=include)
CFLAGS  += --sysroot=$(SYSROOT_ABS) -nostdinc -isystem $(GCC_INCLUDE) \
	   -isystem $(SYSROOT_ABS)/usr/include/$(TRIPLET) -isystem $(SYSROOT_ABS)/usr/include
LDFLAGS += --sysroot=$(SYSROOT_ABS) -B$(SYSROOT_ABS)/usr/lib/$(TRIPLET)/ \
	   -L$(SYSROOT_ABS)/usr/lib/$(TRIPLET) -L$(SYSROOT_ABS)/lib/$(TRIPLET) \
	   -Wl,-rpath-link,$(SYSROOT_ABS)/usr/lib/$(TRIPLET) -Wl,-rpath-link,$(SYSROOT_ABS)/lib/$(TRIPLET)
# pkg-config (e.g. gio-2.0) reads the target's .pc files; set in the environment of the
# sub-make, where the Makefile's pkg_config asks when a recipe first needs gio.
CROSS_ENV := PKG_CONFIG_LIBDIR=$(SYSROOT_ABS)/usr/lib/$(TRIPLET)/pkgconfig:$(SYSROOT_ABS)/usr/share/pkgconfig \
	     PKG_CONFIG_SYSROOT_DIR=$(SYSROOT_ABS)
endif

# The sysroot is made first (outside the sub-make) so the sub-make's parse finds it.
cross: cross-arch-check
	@bash toolchain/cross-deps.sh
	@bash toolchain/sysroot.sh $(ARCH)
	@echo "cross: ARCH=$(ARCH) with the $(CROSS_MODE) toolchain ($(CC))"
	@$(CROSS_ENV) $(MAKE) --no-print-directory ARCH=$(ARCH) cross-build

cross-build: $(CROSS_TARGETS)

acap: cross
	@ARCH=$(ARCH) BUILD=$(BUILD) TRIPLET=$(TRIPLET) SYSROOT=$(SYSROOT_ABS) VENDOR_ID="$(VENDOR_ID)" \
		RELEASE="$(RELEASE)" bash acap/build-eap.sh

acap-check: acap
	@ARCH=$(ARCH) BUILD=$(BUILD) TRIPLET=$(TRIPLET) SYSROOT=$(SYSROOT_ABS) bash tests/qemu/test_eap.sh

qemu-check: acap
	@$(MAKE) --no-print-directory ARCH=host all
	@ARCH=$(ARCH) BUILD=$(BUILD) TRIPLET=$(TRIPLET) SYSROOT=$(SYSROOT_ABS) \
		bash tests/qemu/qemu_user_check.sh $(TESTS)

qemu-system-check: cross
	@ARCH=$(ARCH) BUILD=$(BUILD) TRIPLET=$(TRIPLET) SYSROOT=$(SYSROOT_ABS) \
		bash tests/qemu/qemu_system_check.sh
else
cross acap acap-check qemu-check qemu-system-check: cross-arch-check
endif
