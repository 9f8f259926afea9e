# finecat build. `make` builds the library and the CLI, `make test` runs the test suite,
# `make asan` builds and runs the tests under AddressSanitizer + UndefinedBehaviorSanitizer.
CC      ?= cc
ifeq ($(CUDA),1)
BUILD   ?= build-cuda
endif
BUILD   ?= build
OPT     ?= -O2 -mtune=native
CFLAGS  ?= $(OPT) -g
# x86-64-v3 (AVX2, FMA, F16C) in every build, sanitized ones too: the AVX2 kernels need it.
CFLAGS  += -std=c17 -march=x86-64-v3 -Wall -Wextra -Wno-unused-parameter -fopenmp -D_GNU_SOURCE -Iinclude -Isrc
LDLIBS  += -lcjson -lpcre2-8 -lutf8proc -lmicrohttpd -ldnnl -lpthread -lm -fopenmp

# Sources that need the CUDA toolkit (src/kernels/cuda/, *_cuda.c) build only with CUDA=1:
# `make CUDA=1` builds the optional NVIDIA GPU path (ModernBERT inference) in build-cuda, for
# sm_90 (H100, H200) with compute_90 PTX that newer GPUs compile at load.
CUDA_ONLY := src/kernels/cuda/% %_cuda.c
CU_SRC    :=
ifeq ($(CUDA),1)
CUDA_HOME ?= /usr/local/cuda
NVCC      ?= $(CUDA_HOME)/bin/nvcc
CUDA_ARCH ?= -gencode arch=compute_90,code=sm_90 -gencode arch=compute_90,code=compute_90
CFLAGS    += -DFC_WITH_CUDA -I$(CUDA_HOME)/include
LDLIBS    += -L$(CUDA_HOME)/lib64 -Wl,-rpath,$(CUDA_HOME)/lib64 -lcublas -lcudart -lstdc++
CUDA_ONLY :=
CU_SRC    := $(shell find src/kernels/cuda -name '*.cu' | sort)
endif

LIB_SRC  := $(filter-out $(CUDA_ONLY),$(shell find src -name '*.c' ! -path 'src/cli/*' | sort))
CLI_SRC  := $(shell find src/cli -name '*.c' | sort)
# The fuzz harness bodies (fuzz/) link into the tests too: the fuzz_replay suite runs them.
TEST_SRC := $(filter-out $(CUDA_ONLY),$(shell find tests -maxdepth 1 -name '*.c' | sort)) \
            $(sort $(wildcard fuzz/*.c))

LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o) $(CU_SRC:%.cu=$(BUILD)/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/%.o)
TEST_OBJ := $(TEST_SRC:%.c=$(BUILD)/%.o)

# Debian packages: OpenMP (with gcc), cJSON, PCRE2 (the tokenizer's
# Unicode regex), utf8proc (NFC), libmicrohttpd (the server), oneDNN (the fp32 and int8 GEMMs), curl
# (server tests), jq (recipe/ship.sh and the README's examples), clang with libFuzzer and its
# OpenMP runtime (make fuzz).
DEBIAN_PACKAGES := build-essential pkg-config libcjson-dev libpcre2-dev \
                   libutf8proc-dev libmicrohttpd-dev libdnnl-dev curl jq \
                   clang libclang-rt-14-dev libomp-dev

.PHONY: all test asan clean deps model fuzz fuzz-harnesses
all: $(BUILD)/finecat $(BUILD)/finecat_tests

$(BUILD)/libfinecat.a: $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

$(BUILD)/finecat: $(CLI_OBJ) $(BUILD)/libfinecat.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDFLAGS) $(LDLIBS)

$(BUILD)/finecat_tests: $(TEST_OBJ) $(BUILD)/libfinecat.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDFLAGS) $(LDLIBS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/%.o: %.cu
	@mkdir -p $(dir $@)
	$(NVCC) -O3 -std=c++17 $(CUDA_ARCH) -Iinclude -Isrc -MMD -MP -c -o $@ $<

test: all
	FINECAT_BIN=$(BUILD)/finecat ./$(BUILD)/finecat_tests

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

deps:
	@if dpkg -s $(filter-out build-essential,$(DEBIAN_PACKAGES)) >/dev/null 2>&1; then \
	    echo "deps: all Debian packages present"; \
	else \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(DEBIAN_PACKAGES); \
	fi

clean:
	rm -rf build build-asan build-cuda build-fuzz

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(TEST_OBJ:.o=.d)
