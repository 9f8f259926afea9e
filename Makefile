# finecat build. `make` builds the library and the CLI, `make test` runs the test suite,
# `make asan` builds and runs the tests under AddressSanitizer + UndefinedBehaviorSanitizer.
CC      ?= cc
ifeq ($(CUDA),1)
BUILD   ?= build-cuda
endif
ifeq ($(MPI),1)
BUILD   ?= build-mpi
endif
BUILD   ?= build
OPT     ?= -O2 -mtune=native
CFLAGS  ?= $(OPT) -g
# x86-64-v3 (AVX2, FMA, F16C) in every build, sanitized ones too: the AVX2 kernels need it.
CFLAGS  += -std=c17 -march=x86-64-v3 -Wall -Wextra -Wno-unused-parameter -fopenmp -D_GNU_SOURCE -Iinclude -Isrc
# Every object is position-independent, so that one set of objects makes the static library, the
# shared one and the programs. -fno-semantic-interposition keeps calls inside the library direct
# and inlinable, as in the (PIE) objects without -fPIC: the version script below makes every
# internal symbol local, so none can be interposed anyway.
CFLAGS  += -fPIC -fno-semantic-interposition
LDLIBS  += -lcjson -lpcre2-8 -lutf8proc -lmicrohttpd -ldnnl -lcurl -lcrypto -lpthread -lm -fopenmp

# Sources that need the CUDA toolkit (src/kernels/cuda/, *_cuda.c) build only with CUDA=1:
# `make CUDA=1` builds the optional NVIDIA GPU path (ModernBERT inference) in build-cuda, for
# sm_90 (H100, H200) with compute_90 PTX that newer GPUs compile at load.
CUDA_ONLY := src/kernels/cuda/% %_cuda.c
CU_SRC    :=

# `make MPI=1` builds the data-parallel version (src/dist/dist_mpi.c: training, curate score and
# teacher, eval and predict across `mpirun` ranks) with mpicc in build-mpi; the default build
# uses src/dist/dist_none.c (one rank) and needs no MPI library.
ifeq ($(MPI),1)
CC        := mpicc
DIST_SKIP := %_none.c
else
DIST_SKIP := %_mpi.c
endif
ifeq ($(CUDA),1)
CUDA_HOME ?= /usr/local/cuda
NVCC_PIC  := -Xcompiler -fPIC
NVCC      ?= $(CUDA_HOME)/bin/nvcc
CUDA_ARCH ?= -gencode arch=compute_90,code=sm_90 -gencode arch=compute_90,code=compute_90
CFLAGS    += -DFC_WITH_CUDA -I$(CUDA_HOME)/include
LDLIBS    += -L$(CUDA_HOME)/lib64 -Wl,-rpath,$(CUDA_HOME)/lib64 -lcublas -lcudart -lstdc++
CUDA_ONLY :=
CU_SRC    := $(shell find src/kernels/cuda -name '*.cu' | sort)
endif

LIB_SRC  := $(filter-out $(CUDA_ONLY) $(DIST_SKIP),$(shell find src -name '*.c' ! -path 'src/cli/*' | sort))
CLI_SRC  := $(shell find src/cli -name '*.c' | sort)
# The fuzz harness bodies (fuzz/) link into the tests too: the fuzz_replay suite runs them.
TEST_SRC := $(filter-out $(CUDA_ONLY) $(DIST_SKIP),$(shell find tests -maxdepth 1 -name '*.c' | sort)) \
            $(sort $(wildcard fuzz/*.c))

LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o) $(CU_SRC:%.cu=$(BUILD)/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/%.o)
TEST_OBJ := $(TEST_SRC:%.c=$(BUILD)/%.o)

# Debian packages: OpenMP (with gcc), cJSON, PCRE2 (the tokenizer's
# Unicode regex), utf8proc (NFC), libmicrohttpd (the server), oneDNN (the fp32 and int8 GEMMs), curl
# (server tests), jq (recipe/ship.sh and the README's examples), help2man (the man pages, made
# from the --help texts), Python with venv, pip, numpy, pytest, setuptools and wheel (the Python
# package under python/ and its tests, installed offline into a venv), libcurl and OpenSSL's
# libcrypto (`finecat pull`: downloads from the Hugging Face hub, sha256 of what came),
# OpenMPI (`make MPI=1`, test-mpi), clang with libFuzzer and its OpenMP runtime (make fuzz).
DEBIAN_PACKAGES := build-essential pkg-config libcjson-dev libpcre2-dev \
                   libutf8proc-dev libmicrohttpd-dev libdnnl-dev curl jq help2man \
                   python3-venv python3-pip python3-numpy python3-pytest python3-setuptools \
                   python3-wheel libcurl4-openssl-dev libssl-dev libopenmpi-dev openmpi-bin \
                   clang libclang-rt-14-dev libomp-dev

# The version lives in include/finecat.h only; the shared library's soname follows the major.
VERSION_PART = $(shell awk '$$2 == "FC_VERSION_$(1)" { print $$3 }' include/finecat.h)
VERSION  := $(call VERSION_PART,MAJOR).$(call VERSION_PART,MINOR).$(call VERSION_PART,PATCH)
SONAME   := libfinecat.so.$(call VERSION_PART,MAJOR)
SHARED   := $(BUILD)/libfinecat.so.$(VERSION)

# `make install PREFIX=/usr/local DESTDIR=/staging`: the program, both libraries, the header,
# finecat.pc, the man pages and the shipped model (where the installed program looks for it).
PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
LIBDIR     ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
DATADIR    ?= $(PREFIX)/share
MANDIR     ?= $(DATADIR)/man
MODEL_NAME := finecat-nli-minilm
MODEL_DIR  := $(DATADIR)/finecat/models/$(MODEL_NAME)
MODEL_FILES := $(sort $(wildcard models/$(MODEL_NAME)/*))
# One man page for the program and one per subcommand (src/cli/cmd_NAME.c is `finecat NAME`).
MAN_PAGES  := finecat.1 $(patsubst src/cli/cmd_%.c,finecat-%.1,$(sort $(wildcard src/cli/cmd_*.c)))

.PHONY: all test test-mpi test-clang asan clean deps model shared man install uninstall python-test FORCE \
        fuzz fuzz-harnesses
all: $(BUILD)/finecat $(BUILD)/finecat_tests shared

$(BUILD)/libfinecat.a: $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

# The shared library exports the functions include/finecat.h declares and nothing else: the
# version script lists them (read from the header, so a new public function is exported without
# a second list to keep) and makes every other symbol local.
$(BUILD)/libfinecat.map: include/finecat.h
	@mkdir -p $(dir $@)
	{ echo '{ global:'; sed 's://.*::' $< | grep -oE '\bfc_[a-z0-9_]+\(' | tr -d '(' | sort -u | \
	  sed 's/.*/    &;/'; echo 'local: *; };'; } > $@

$(SHARED): $(LIB_OBJ) $(BUILD)/libfinecat.map
	$(CC) $(CFLAGS) -shared -Wl,-soname,$(SONAME) -Wl,--version-script=$(BUILD)/libfinecat.map \
	    -Wl,--no-undefined -o $@ $(LIB_OBJ) $(LDFLAGS) $(LDLIBS)

$(BUILD)/$(SONAME): $(SHARED)
	ln -sf $(notdir $<) $@

$(BUILD)/libfinecat.so: $(BUILD)/$(SONAME)
	ln -sf $(SONAME) $@

shared: $(BUILD)/libfinecat.so

# Man pages from the --help texts by help2man, so that they cannot drift from the program.
man: $(addprefix $(BUILD)/man/,$(MAN_PAGES))

$(BUILD)/man/%.1: $(BUILD)/finecat tools/man_page.sh
	@mkdir -p $(dir $@)
	tools/man_page.sh $(BUILD)/finecat $* $(VERSION) $@

# Written again by every install: it holds PREFIX, which can differ from one install to the next.
$(BUILD)/finecat.pc: FORCE
	@mkdir -p $(dir $@)
	{ echo 'prefix=$(PREFIX)'; \
	  echo 'libdir=$(patsubst $(PREFIX)%,$${prefix}%,$(LIBDIR))'; \
	  echo 'includedir=$(patsubst $(PREFIX)%,$${prefix}%,$(INCLUDEDIR))'; \
	  echo 'modeldir=$(patsubst $(PREFIX)%,$${prefix}%,$(MODEL_DIR))'; \
	  echo; \
	  echo 'Name: finecat'; \
	  echo 'Description: NLI cross-encoders (ModernBERT, DeBERTa-v3, BERT, RoBERTa) in C'; \
	  echo 'Version: $(VERSION)'; \
	  echo 'Cflags: -I$${includedir}'; \
	  echo 'Libs: -L$${libdir} -lfinecat'; \
	  echo 'Libs.private: $(LDLIBS)'; } > $@

install: $(BUILD)/finecat shared man $(BUILD)/finecat.pc
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCLUDEDIR) \
	    $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MODEL_DIR)
	install -m 755 $(BUILD)/finecat $(DESTDIR)$(BINDIR)/finecat
	install -m 755 $(SHARED) $(DESTDIR)$(LIBDIR)/
	ln -sf $(notdir $(SHARED)) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libfinecat.so
	install -m 644 $(BUILD)/libfinecat.a $(DESTDIR)$(LIBDIR)/
	install -m 644 include/finecat.h $(DESTDIR)$(INCLUDEDIR)/
	install -m 644 $(BUILD)/finecat.pc $(DESTDIR)$(LIBDIR)/pkgconfig/
	install -m 644 $(addprefix $(BUILD)/man/,$(MAN_PAGES)) $(DESTDIR)$(MANDIR)/man1/
	install -m 644 $(MODEL_FILES) $(DESTDIR)$(MODEL_DIR)/
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ]; then ldconfig; fi

# Removes the files `make install` puts there (same PREFIX and DESTDIR) and the folders that are
# finecat's own; the shared ones (bin, lib, man1) stay.
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/finecat $(DESTDIR)$(LIBDIR)/libfinecat.so.$(VERSION) \
	    $(DESTDIR)$(LIBDIR)/$(SONAME) $(DESTDIR)$(LIBDIR)/libfinecat.so \
	    $(DESTDIR)$(LIBDIR)/libfinecat.a $(DESTDIR)$(INCLUDEDIR)/finecat.h \
	    $(DESTDIR)$(LIBDIR)/pkgconfig/finecat.pc $(addprefix $(DESTDIR)$(MANDIR)/man1/,$(MAN_PAGES)) \
	    $(addprefix $(DESTDIR)$(MODEL_DIR)/,$(notdir $(MODEL_FILES)))
	rmdir --ignore-fail-on-non-empty $(DESTDIR)$(MODEL_DIR) $(DESTDIR)$(DATADIR)/finecat/models \
	    $(DESTDIR)$(DATADIR)/finecat 2>/dev/null || true
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ]; then ldconfig; fi

$(BUILD)/finecat: $(CLI_OBJ) $(BUILD)/libfinecat.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDFLAGS) $(LDLIBS)

$(BUILD)/finecat_tests: $(TEST_OBJ) $(BUILD)/libfinecat.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDFLAGS) $(LDLIBS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

# The AVX512-FP16 tiles (gemm_f16_tile.c) alone are compiled for it: clang 14 declares f16
# vector types only under -mavx512fp16, not for a function's target attribute. Nothing else in
# that file runs unless the CPU has AVX512-FP16 (gemm_f16.c asks first). -O2 in every build:
# at the sanitized builds' -O1 the unrolled accumulators stay arrays in memory.
$(BUILD)/src/kernels/cpu/gemm_f16_tile.o: CFLAGS += -mavx512f -mavx512bw -mavx512dq -mavx512vl -mavx512fp16 -O2

$(BUILD)/%.o: %.cu
	@mkdir -p $(dir $@)
	$(NVCC) -O3 -std=c++17 $(CUDA_ARCH) $(NVCC_PIC) -Iinclude -Isrc -MMD -MP -c -o $@ $<

# tests/install_test.sh first (make install into a temporary DESTDIR, about 5 s), so that the
# suites' "N passed, N failed" stays the last line.
test: all
	MAKE="$(MAKE)" CC="$(CC)" LDFLAGS="$(LDFLAGS)" tests/install_test.sh $(BUILD)
	FINECAT_BIN=$(BUILD)/finecat ./$(BUILD)/finecat_tests

# The MPI build's tests (tests/mpi/run.sh): `mpirun -np 1, 2, 3` on this machine with the tiny
# fixture models; two to three minutes on a loaded 2-core machine (mostly mpirun start-up).
test-mpi:
	$(MAKE) MPI=1 all
	FINECAT_BIN=build-mpi/finecat tests/mpi/run.sh

# The same sources built with clang into build-clang (gcc is the default compiler; both must
# build them), and the suites where the two compilers differ most: the
# intrinsics kernels, the tokenizers and the three architectures' forwards.
CLANG_SUITES := kernels tokenizer deberta_tokenizer bert_tokenizer modernbert deberta bert
test-clang:
	$(MAKE) CC=clang BUILD=build-clang all
	for suite in $(CLANG_SUITES); do \
	    FINECAT_BIN=build-clang/finecat ./build-clang/finecat_tests $$suite || exit 1; done

asan:
	$(MAKE) BUILD=build-asan OPT="-O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined" \
	        LDFLAGS="-fsanitize=address,undefined" test

# Fuzzing (issue 14): one libFuzzer binary per harness in fuzz/ (each file but fuzz_support.c),
# built with clang under ASan + UBSan into build-fuzz/bin/. fuzz/run.sh seeds and runs them.
FUZZ_HARNESS := $(filter-out fuzz/fuzz_support.c,$(sort $(wildcard fuzz/*.c)))
FUZZ_FLAGS   := -O1 -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined \
                -fno-sanitize-recover=undefined

fuzz:
	$(MAKE) BUILD=build-fuzz CC=clang OPT="$(FUZZ_FLAGS)" fuzz-harnesses

fuzz-harnesses: $(FUZZ_HARNESS:fuzz/%.c=$(BUILD)/bin/%)

$(BUILD)/bin/%: fuzz/%.c $(BUILD)/fuzz/fuzz_support.o $(BUILD)/libfinecat.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -DFC_FUZZ_MAIN -fsanitize=fuzzer,address,undefined -o $@ $^ $(LDFLAGS) $(LDLIBS)

# The FineCat recipe on real weights (issue 13): base model, BigCat, pilot, curation, teacher,
# students, evaluation (recipe/run.sh, resumable), then the best student shipped as
# models/finecat-nli-minilm (recipe/ship.sh). Hours of CPU; needs pip (for the base) and jq (make deps installs it).
model: all
	recipe/run.sh
	recipe/ship.sh

# The Python package (python/) installed into a venv that uses Debian's numpy and pytest
# (offline: no index, no build isolation), tested against this build's library and CLI.
PYTHON ?= /usr/bin/python3
python-test: all
	test -x $(BUILD)/venv/bin/python || $(PYTHON) -m venv --system-site-packages $(BUILD)/venv
	$(BUILD)/venv/bin/python -m pip install --quiet --no-index --no-build-isolation ./python
	FINECAT_LIB=$(abspath $(BUILD)/$(SONAME)) FINECAT_BIN=$(abspath $(BUILD)/finecat) \
	    $(BUILD)/venv/bin/python -m pytest -q python/tests

deps:
	@if dpkg -s $(filter-out build-essential,$(DEBIAN_PACKAGES)) >/dev/null 2>&1; then \
	    echo "deps: all Debian packages present"; \
	else \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(DEBIAN_PACKAGES); \
	fi

clean:
	rm -rf build build-asan build-cuda build-mpi build-fuzz python/build python/finecat.egg-info

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(TEST_OBJ:.o=.d)
