# SPDX-License-Identifier: GPL-2.0-only
# Fuzzing of the trace-file reader (docs/trace-format.md), included by the top Makefile.
#
#   make fuzz               build tests/fuzz/fuzz_tracefile.c with libFuzzer + ASan/UBSan
#                           and fuzz for FUZZ_SECS (default 60) seconds
#   make fuzz-smoke         replay the committed corpus, then fuzz for FUZZ_SMOKE_SECS (10)
#                           seconds; skipped with a message when clang cannot link libFuzzer
#   make fuzz-corpus        regenerate tests/fuzz/corpus/ with tests/fuzz/mkcorpus.c
#
# The library sources are compiled again with clang (src/*.c into an archive, so
# that the link takes exactly the members the reader needs), with
# -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION: the reader then ignores checksum
# mismatches and the fuzzer reaches the decoders behind them. Inputs the fuzzer
# finds go to $(OUTPUT)/fuzz/corpus, crashes to $(OUTPUT)/fuzz/artifacts; the
# committed corpus is only read.

FUZZ_CC ?= clang
FUZZ_SECS ?= 60
FUZZ_SMOKE_SECS ?= 10
FUZZ_FLAGS ?= -timeout=10 -rss_limit_mb=2048 -max_len=65536
FUZZ_DIR := $(OUTPUT)/fuzz
FUZZ_BIN := $(FUZZ_DIR)/fuzz_tracefile
FUZZ_MKCORPUS := $(FUZZ_DIR)/mkcorpus
FUZZ_CORPUS := tests/fuzz/corpus
FUZZ_CFLAGS := -g -O1 -fno-omit-frame-pointer -std=gnu11 -D_GNU_SOURCE \
	-DIRQTRAIL_VERSION='"$(VERSION)"' -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION \
	-Isrc -Ibpf -Iuser -I$(OUTPUT) -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_LIB_SRCS := $(wildcard src/*.c)
FUZZ_LIB_OBJS := $(patsubst src/%.c,$(FUZZ_DIR)/src/%.o,$(FUZZ_LIB_SRCS))
FUZZ_LIB := $(FUZZ_DIR)/libirqtrail-fuzz.a
FUZZ_LDLIBS := -lzstd -lz -lpthread -lm $(filter-out -lzstd -lz -lpthread -lm,$(LDLIBS))

.PHONY: fuzz fuzz-smoke fuzz-corpus fuzz-probe

# Library objects: warnings are the main build's business; an object that does not
# compile (someone's work in progress) is left out, and the link says so if the
# reader needed it.
$(FUZZ_DIR)/src/%.o: src/%.c $(wildcard src/*.h) $(wildcard bpf/*.h)
	$(Q)mkdir -p $(@D)
	$(call msg,FUZZ-CC,$@)$(FUZZ_CC) $(FUZZ_CFLAGS) -w -fsanitize=fuzzer-no-link -c $< -o $@ || \
		{ rm -f $@; echo "  FUZZ     $< does not compile with $(FUZZ_CC); left out" >&2; }

$(FUZZ_LIB): $(FUZZ_LIB_OBJS)
	$(call msg,AR,$@)rm -f $@ && $(AR) rcs $@ $$(ls $(FUZZ_LIB_OBJS) 2>/dev/null)

$(FUZZ_BIN): tests/fuzz/fuzz_tracefile.c $(FUZZ_LIB)
	$(call msg,FUZZ-LD,$@)$(FUZZ_CC) $(FUZZ_CFLAGS) -Wall -Wextra -Werror -fsanitize=fuzzer \
		$< $(FUZZ_LIB) $(FUZZ_LDLIBS) -o $@

$(FUZZ_MKCORPUS): tests/fuzz/mkcorpus.c $(FUZZ_LIB)
	$(call msg,FUZZ-LD,$@)$(FUZZ_CC) $(FUZZ_CFLAGS) -Wall -Wextra -Werror -fsanitize=fuzzer-no-link \
		$< $(FUZZ_LIB) $(FUZZ_LDLIBS) -o $@

# Can this clang build and link a libFuzzer binary? (libclang-rt-*-dev)
fuzz-probe:
	$(Q)mkdir -p $(FUZZ_DIR)
	$(Q)printf '#include <stdint.h>\n#include <stddef.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n' \
		> $(FUZZ_DIR)/probe.c
	$(Q)$(FUZZ_CC) -fsanitize=fuzzer,address,undefined $(FUZZ_DIR)/probe.c -o $(FUZZ_DIR)/probe 2>/dev/null

fuzz: $(FUZZ_BIN)
	$(Q)mkdir -p $(FUZZ_DIR)/corpus $(FUZZ_DIR)/artifacts
	$(call msg,FUZZ,$(FUZZ_BIN) for $(FUZZ_SECS)s)$(FUZZ_BIN) $(FUZZ_FLAGS) -max_total_time=$(FUZZ_SECS) \
		-print_final_stats=1 -artifact_prefix=$(FUZZ_DIR)/artifacts/ $(FUZZ_DIR)/corpus $(FUZZ_CORPUS)

fuzz-smoke:
	$(Q)if ! $(MAKE) --no-print-directory fuzz-probe >/dev/null 2>&1; then \
		echo "  SKIP     fuzz-smoke: $(FUZZ_CC) cannot link -fsanitize=fuzzer (install libclang-rt-dev)"; \
	else \
		$(MAKE) --no-print-directory $(FUZZ_BIN) && \
		mkdir -p $(FUZZ_DIR)/corpus $(FUZZ_DIR)/artifacts && \
		printf '  FUZZ     corpus replay\n' && \
		$(FUZZ_BIN) $(FUZZ_FLAGS) -runs=0 $(FUZZ_CORPUS) > $(FUZZ_DIR)/smoke.log 2>&1 && \
		printf '  FUZZ     %ss\n' "$(FUZZ_SMOKE_SECS)" && \
		$(FUZZ_BIN) $(FUZZ_FLAGS) -max_total_time=$(FUZZ_SMOKE_SECS) \
			-artifact_prefix=$(FUZZ_DIR)/artifacts/ $(FUZZ_DIR)/corpus $(FUZZ_CORPUS) \
			>> $(FUZZ_DIR)/smoke.log 2>&1 || \
		{ tail -40 $(FUZZ_DIR)/smoke.log; exit 1; }; \
	fi

fuzz-corpus: $(FUZZ_MKCORPUS)
	$(Q)mkdir -p $(FUZZ_CORPUS)
	$(call msg,GEN,$(FUZZ_CORPUS))$(FUZZ_MKCORPUS) $(FUZZ_CORPUS)

# part of make check
CHECK_TARGETS += fuzz-smoke
