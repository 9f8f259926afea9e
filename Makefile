# finecat build. `make` builds the library and the CLI, `make test` runs the test suite,
# `make asan` builds and runs the tests under AddressSanitizer + UndefinedBehaviorSanitizer.
CC      ?= cc
BUILD   ?= build
OPT     ?= -O2 -march=x86-64-v3 -mtune=native
CFLAGS  ?= $(OPT) -g
CFLAGS  += -std=c17 -Wall -Wextra -Wno-unused-parameter -fopenmp -D_GNU_SOURCE -Iinclude -Isrc
LDLIBS  += -lcjson -lpcre2-8 -lutf8proc -lmicrohttpd -ldnnl -lpthread -lm -fopenmp

LIB_SRC  := $(shell find src -name '*.c' ! -path 'src/cli/*' | sort)
CLI_SRC  := $(shell find src/cli -name '*.c' | sort)
TEST_SRC := $(shell find tests -maxdepth 1 -name '*.c' | sort)

LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/%.o)
TEST_OBJ := $(TEST_SRC:%.c=$(BUILD)/%.o)

# Debian packages: OpenMP (with gcc), cJSON, PCRE2 (the tokenizer's
# Unicode regex), utf8proc (NFC), libmicrohttpd (the server), oneDNN (the fp32 and int8 GEMMs), curl
# (server tests).
DEBIAN_PACKAGES := build-essential pkg-config libcjson-dev libpcre2-dev \
                   libutf8proc-dev libmicrohttpd-dev libdnnl-dev curl

.PHONY: all test asan clean deps
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

test: all
	FINECAT_BIN=$(BUILD)/finecat ./$(BUILD)/finecat_tests

asan:
	$(MAKE) BUILD=build-asan OPT="-O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined" \
	        LDFLAGS="-fsanitize=address,undefined" test

deps:
	@if dpkg -s $(filter-out build-essential,$(DEBIAN_PACKAGES)) >/dev/null 2>&1; then \
	    echo "deps: all Debian packages present"; \
	else \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(DEBIAN_PACKAGES); \
	fi

clean:
	rm -rf build build-asan

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(TEST_OBJ:.o=.d)
