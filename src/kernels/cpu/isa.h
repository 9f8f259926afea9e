// Which vector width the hand-written kernels run at. The program is built for x86-64-v3
// (AVX2, FMA, F16C); the kernels that have an AVX-512 form (attention_avx512.c,
// lowp_rows_avx512.c) run it where the CPU has AVX-512 and oneDNN's dispatch allows it, so that
// ONEDNN_MAX_CPU_ISA=AVX2 (as the tests set it) forces every kernel down to AVX2 at once.
#ifndef FC_KERNELS_CPU_ISA_H
#define FC_KERNELS_CPU_ISA_H

int fc_cpu_avx512_usable(void);
// Whether AVX512-BF16's conversions can run (Cooper Lake, Zen 4, every CPU with AMX), with
// oneDNN's dispatch at AVX512_CORE_BF16 or above.
int fc_cpu_avx512_bf16_usable(void);
// Whether AMX's tile instructions (bf16) can run: the CPU has them, oneDNN's dispatch allows
// them (ONEDNN_MAX_CPU_ISA below AVX512_CORE_AMX turns them off) and Linux granted the tile
// state to the process.
int fc_cpu_amx_usable(void);

#endif
