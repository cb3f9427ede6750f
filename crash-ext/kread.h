/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * crash I/O layer: checked memory reads and symbols, and libdtrec's
 * target interface over them (ce_target), through which libdtrec
 * decodes the pipeline state. Nothing here knows a Dovetail structure.
 */
#ifndef CE_KREAD_H
#define CE_KREAD_H

#include <stdint.h>
#include "../libdtrec/dtrec.h"

#define CE_MAX_CPUS	8192

struct ce_koff {
	int ready;
	char release[66];		/* init_uts_ns.name.release */
};

extern struct ce_koff ko;
extern const struct dtrec_target ce_target;

int ce_koff_init(void);			/* once per session: is the dump usable */
void ce_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

int ce_read(uint64_t addr, void *buf, size_t len);
int ce_read_ptr(uint64_t addr, uint64_t *v);
int ce_sym(const char *name, uint64_t *addr);		/* 0 if present */

#endif /* CE_KREAD_H */
