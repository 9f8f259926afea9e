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
LDLIBS  += -lcjson -lpcre2-8 -lutf8proc -lmicrohttpd -ldnnl -lpthread -lm -fopenmp

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
NVCC      ?= $(CUDA_HOME)/bin/nvcc
CUDA_ARCH ?= -gencode arch=compute_90,code=sm_90 -gencode arch=compute_90,code=compute_90
CFLAGS    += -DFC_WITH_CUDA -I$(CUDA_HOME)/include
LDLIBS    += -L$(CUDA_HOME)/lib64 -Wl,-rpath,$(CUDA_HOME)/lib64 -lcublas -lcudart -lstdc++
CUDA_ONLY :=
CU_SRC    := $(shell find src/kernels/cuda -name '*.cu' | sort)
endif

LIB_SRC  := $(filter-out $(CUDA_ONLY) $(DIST_SKIP),$(shell find src -name '*.c' ! -path 'src/cli/*' | sort))
CLI_SRC  := $(shell find src/cli -name '*.c' | sort)
TEST_SRC := $(filter-out $(CUDA_ONLY) $(DIST_SKIP),$(shell find tests -maxdepth 1 -name '*.c' | sort))

LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o) $(CU_SRC:%.cu=$(BUILD)/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/%.o)
TEST_OBJ := $(TEST_SRC:%.c=$(BUILD)/%.o)

# Debian packages: OpenMP (with gcc), cJSON, PCRE2 (the tokenizer's
# Unicode regex), utf8proc (NFC), libmicrohttpd (the server), oneDNN (the fp32 and int8 GEMMs), curl
# (server tests), jq (recipe/ship.sh and the README's examples), OpenMPI (`make MPI=1`, test-mpi).
DEBIAN_PACKAGES := build-essential pkg-config libcjson-dev libpcre2-dev \
                   libutf8proc-dev libmicrohttpd-dev libdnnl-dev curl jq \
                   libopenmpi-dev openmpi-bin

.PHONY: all test test-mpi asan clean deps model
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

# The MPI build's tests (tests/mpi/run.sh): `mpirun -np 1, 2, 3` on this machine with the tiny
# fixture models; two to three minutes on a loaded 2-core machine (mostly mpirun start-up).
test-mpi:
	$(MAKE) MPI=1 all
	FINECAT_BIN=build-mpi/finecat tests/mpi/run.sh

asan:
	$(MAKE) BUILD=build-asan OPT="-O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined" \
	        LDFLAGS="-fsanitize=address,undefined" test

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
	rm -rf build build-asan build-cuda build-mpi

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(TEST_OBJ:.o=.d)
