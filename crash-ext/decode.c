// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Pure decode functions: raw dump values in, reported state out.
 * Every input may be garbage from a corrupted dump, so nothing here
 * trusts a count or an offset it did not check.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "decode.h"

/*
 * The _TLF_* values moved when the compat TS_* bits were reserved
 * (x86), TIF_RETUSER with the TIF renumbering. Newest first; the
 * boundary (anything after 5.10) is the one docs/json-state.md gives.
 */
static const struct ce_ktable ktables[] = {
	{ "x86-6.6", 5, 11, 0x10, 0x20, 0x40, 0x80, 26, 19 },
	{ "x86-5.10", 0, 0, 0x04, 0x08, 0x10, 0x20, 26, 23 },
};

int ce_parse_release(const char *release, unsigned int *major,
		     unsigned int *minor)
{
	char *end;
	unsigned long ma, mi;

	if (!release)
		return -1;
	ma = strtoul(release, &end, 10);
	if (end == release || *end != '.' || ma > 1000)
		return -1;
	release = end + 1;
	mi = strtoul(release, &end, 10);
	if (end == release || mi > 1000)
		return -1;
	*major = (unsigned int)ma;
	*minor = (unsigned int)mi;
	return 0;
}

const struct ce_ktable *ce_ktable_for(unsigned int major, unsigned int minor)
{
	size_t i;

	for (i = 0; i < sizeof(ktables) / sizeof(ktables[0]); i++) {
		const struct ce_ktable *t = &ktables[i];

		if (major > t->min_major ||
		    (major == t->min_major && minor >= t->min_minor))
			return t;
	}
	return &ktables[sizeof(ktables) / sizeof(ktables[0]) - 1];
}

const struct ce_ktable *ce_ktable_named(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(ktables) / sizeof(ktables[0]); i++)
		if (!strcmp(ktables[i].name, name))
			return &ktables[i];
	return NULL;
}

static const struct {
	unsigned int vector;
	const char *name;
} vectors[] = {
	{ 0xff, "SPURIOUS_APIC_VECTOR" },
	{ 0xfe, "ERROR_APIC_VECTOR" },
	{ 0xfd, "RESCHEDULE_VECTOR" },
	{ 0xfc, "CALL_FUNCTION_VECTOR" },
	{ 0xfb, "CALL_FUNCTION_SINGLE_VECTOR" },
	{ 0xfa, "THERMAL_APIC_VECTOR" },
	{ 0xf9, "THRESHOLD_APIC_VECTOR" },
	{ 0xf8, "REBOOT_VECTOR" },
	{ 0xf7, "X86_PLATFORM_IPI_VECTOR" },
	{ 0xf6, "IRQ_WORK_VECTOR" },
	{ 0xf4, "DEFERRED_ERROR_VECTOR" },
	{ 0xf3, "HYPERVISOR_CALLBACK_VECTOR" },
	{ 0xf2, "POSTED_INTR_VECTOR" },
	{ 0xf1, "POSTED_INTR_WAKEUP_VECTOR" },
	{ 0xf0, "POSTED_INTR_NESTED_VECTOR" },
	{ 0xef, "MANAGED_IRQ_SHUTDOWN_VECTOR" },
	{ 0xee, "HYPERV_REENLIGHTENMENT_VECTOR" },
	{ 0xed, "HYPERV_STIMER0_VECTOR" },
	{ 0xec, "LOCAL_TIMER_VECTOR" },
	{ 0xeb, "TIMER_OOB_VECTOR" },
	{ 0xea, "RESCHEDULE_OOB_VECTOR" },
	{ 0xe9, "CALL_FUNCTION_OOB_VECTOR" },
};

const char *ce_vector_name(uint64_t vector, char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++)
		if (vectors[i].vector == vector)
			return vectors[i].name;
	snprintf(buf, len, "0x%02llx", (unsigned long long)vector);
	return buf;
}

/* Bytes [lo, hi] allowed right after a UTF-8 lead byte; 0 if invalid lead. */
static int utf8_lead(unsigned char c, unsigned char *lo, unsigned char *hi)
{
	*lo = 0x80;
	*hi = 0xbf;
	if (c >= 0xc2 && c <= 0xdf)
		return 2;
	if (c >= 0xe0 && c <= 0xef) {
		if (c == 0xe0)
			*lo = 0xa0;
		else if (c == 0xed)
			*hi = 0x9f;
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if (c == 0xf0)
			*lo = 0x90;
		else if (c == 0xf4)
			*hi = 0x8f;
		return 4;
	}
	return 0;
}

static size_t put_utf8(uint32_t cp, char *o)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

void ce_utf8_clean(const char *raw, size_t rawlen, char *out, size_t outlen)
{
	const unsigned char *p = (const unsigned char *)raw;
	size_t i = 0, o = 0;

	if (!outlen)
		return;
	while (i < rawlen && p[i]) {
		unsigned char lo, hi;
		int need = p[i] < 0x80 ? 1 : utf8_lead(p[i], &lo, &hi);
		uint32_t cp = 0xfffd;
		size_t k = 1;

		if (need == 1) {
			cp = p[i];
		} else if (need) {
			/* Maximal subpart: stop at the first byte out of range. */
			cp = p[i] & (0x7f >> need);
			for (; k < (size_t)need && i + k < rawlen; k++) {
				unsigned char c = p[i + k];

				if (c < lo || c > hi)
					break;
				cp = (cp << 6) | (c & 0x3f);
				lo = 0x80;
				hi = 0xbf;
			}
			if (k < (size_t)need)
				cp = 0xfffd;
		}
		if (o + 4 >= outlen)
			break;
		o += put_utf8(cp, out + o);
		i += k;
	}
	out[o] = '\0';
}

size_t ce_utf8_len(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

void ce_stage_decode(const struct ce_stage_raw *r, struct ce_stage_view *v)
{
	memset(v, 0, sizeof(*v));
	v->cpu = r->cpu;
	if (r->have_pc) {
		v->oob = !!(r->preempt_count & CE_STAGE_MASK);
		v->pipeline_entry = !!(r->preempt_count & CE_PIPELINE_MASK);
	}
	v->inband_stalled = r->have_owner_stall &&
		((r->owner_stall_bits >> CE_INBAND_STALL_BIT) & 1);
	v->oob_stalled = r->have_cur_stall &&
		((r->cur_stall_bits >> CE_OOB_STALL_BIT) & 1);
	v->inband_owner = r->owner_pid;
	v->current_pid = r->current_pid;
	v->inflight_pid = r->inflight_pid;
	v->rqlock_pid = r->rqlock_pid;
	if (!r->have_rflags)
		v->hard_irqs = CE_UNKNOWN;
	else
		v->hard_irqs = (r->rflags & CE_X86_EFLAGS_IF) ? CE_ON : CE_OFF;
}

/* ---- IRQ log ---- */

int ce_map_layout_check(const struct ce_map_layout *l, char *err, size_t len)
{
	const char *why = NULL;

	if (l->levels < 2 || l->levels > 4)
		why = "irq_event_map: unsupported number of levels";
	else if (!l->flat_words || l->flat_off + l->flat_words * CE_WORD > l->size)
		why = "irq_event_map: flat[] out of bounds";
	else if (l->levels >= 3 &&
		 (!l->i1_words || l->i1_off + l->i1_words * CE_WORD > l->size))
		why = "irq_event_map: index_1[] out of bounds";
	else if (l->levels == 4 &&
		 (!l->i2_words || l->i2_off + l->i2_words * CE_WORD > l->size))
		why = "irq_event_map: index_2[] out of bounds";
	else if (l->levels == 2 && l->flat_words > 64)
		why = "irq_event_map: flat[] too large for two levels";
	if (why && err && len)
		snprintf(err, len, "%s", why);
	return why ? -1 : 0;
}

void ce_irqlog_init(struct ce_irqlog *log)
{
	memset(log, 0, sizeof(*log));
	log->consistent = 1;
}

void ce_irqlog_reset(struct ce_irqlog *log)
{
	size_t i;

	for (i = 0; i < log->nr_errs; i++)
		free(log->errs[i]);
	free(log->errs);
	free(log->pending);
	ce_irqlog_init(log);
}

static int grow(void **arr, size_t *cap, size_t need, size_t elem)
{
	size_t ncap;
	void *n;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 16;
	while (ncap < need)
		ncap *= 2;
	n = realloc(*arr, ncap * elem);
	if (!n)
		return -1;
	*arr = n;
	*cap = ncap;
	return 0;
}

void ce_irqlog_error(struct ce_irqlog *log, const char *fmt, ...)
{
	char buf[160];
	va_list ap;
	char *e;

	log->consistent = 0;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (grow((void **)&log->errs, &log->errs_cap, log->nr_errs + 1,
		 sizeof(*log->errs)) || !(e = strdup(buf))) {
		log->oom = 1;
		return;
	}
	log->errs[log->nr_errs++] = e;
}

static uint64_t word_at(const uint8_t *map, size_t off, size_t i)
{
	uint64_t w;

	memcpy(&w, map + off + i * CE_WORD, sizeof(w));
	return w;
}

/*
 * Bit i of the upper level (the single word index_0, or a bitmap over
 * u_words words) must be set exactly when lower word i is non-zero.
 * Indexes are visited in ascending order over both sides, with the
 * wording of the Python front ends.
 */
static void cross_check(struct ce_irqlog *out, const char *uname,
			const uint8_t *map, int upper_is_index0,
			uint64_t index_0, size_t u_off, size_t u_words,
			const char *lname, size_t l_off, size_t l_words)
{
	size_t nbits = upper_is_index0 ? 64 : u_words * 64;
	size_t n, end = nbits > l_words ? nbits : l_words;

	for (n = 0; n < end; n++) {
		int ubit = 0, lset;

		if (n < nbits) {
			uint64_t uw = upper_is_index0 ? index_0 :
				word_at(map, u_off, n / 64);

			ubit = (uw >> (n % 64)) & 1;
		}
		lset = n < l_words && word_at(map, l_off, n) != 0;
		if (ubit == lset)
			continue;
		if (ubit && n >= l_words)
			ce_irqlog_error(out, "%s bit %zu: set, %s has %zu words",
					uname, n, lname, l_words);
		else if (ubit)
			ce_irqlog_error(out, "%s bit %zu: set, %s[%zu] == 0",
					uname, n, lname, n);
		else
			ce_irqlog_error(out, "%s bit %zu: clear, %s[%zu] != 0",
					uname, n, lname, n);
	}
}

void ce_irqlog_decode(const struct ce_map_layout *l, uint64_t index_0,
		      const uint8_t *map, size_t len, struct ce_irqlog *out)
{
	size_t w;
	char err[96];

	ce_irqlog_reset(out);
	if (ce_map_layout_check(l, err, sizeof(err))) {
		ce_irqlog_error(out, "%s", err);
		return;
	}
	if (!map || len < l->size || l->size > CE_MAX_MAP) {
		ce_irqlog_error(out, "map unreadable");
		return;
	}
	for (w = 0; w < l->flat_words; w++) {
		uint64_t word = word_at(map, l->flat_off, w);

		while (word) {
			unsigned int b = (unsigned int)__builtin_ctzll(word);

			word &= word - 1;
			if (grow((void **)&out->pending, &out->pending_cap,
				 out->nr_pending + 1, sizeof(*out->pending))) {
				out->oom = 1;
				return;
			}
			out->pending[out->nr_pending++] = (uint32_t)(w * 64 + b);
		}
	}
	switch (l->levels) {
	case 2:
		cross_check(out, "index_0", map, 1, index_0, 0, 1,
			    "flat", l->flat_off, l->flat_words);
		break;
	case 3:
		cross_check(out, "index_0", map, 1, index_0, 0, 1,
			    "index_1", l->i1_off, l->i1_words);
		cross_check(out, "index_1", map, 0, 0, l->i1_off, l->i1_words,
			    "flat", l->flat_off, l->flat_words);
		break;
	case 4:
		cross_check(out, "index_0", map, 1, index_0, 0, 1,
			    "index_1", l->i1_off, l->i1_words);
		cross_check(out, "index_1", map, 0, 0, l->i1_off, l->i1_words,
			    "index_2", l->i2_off, l->i2_words);
		cross_check(out, "index_2", map, 0, 0, l->i2_off, l->i2_words,
			    "flat", l->flat_off, l->flat_words);
		break;
	}
}

/* ---- tasks ---- */

static const char *const class_names[] = {
	[CE_TC_INBAND] = "inband",
	[CE_TC_MIGRATING] = "migrating",
	[CE_TC_OOB_RUNNING] = "oob-running",
	[CE_TC_OOB_BLOCKED] = "oob-blocked",
	[CE_TC_OOB_TRAPPED] = "oob-trapped",
};

const char *ce_task_class_name(int cls)
{
	if (cls < 0 || cls > CE_TC_OOB_TRAPPED)
		return "inband";
	return class_names[cls];
}

int ce_task_classify(const struct ce_ktable *t, uint32_t local_flags,
		     int running_oob)
{
	/* A trap taken from oob outranks the scheduling state. */
	if (local_flags & t->tlf_oobtrap)
		return CE_TC_OOB_TRAPPED;
	if (local_flags & t->tlf_oob)
		return running_oob ? CE_TC_OOB_RUNNING : CE_TC_OOB_BLOCKED;
	if (local_flags & t->tlf_offstage)
		return CE_TC_MIGRATING;
	return CE_TC_INBAND;
}

int ce_task_has_tlf(const struct ce_ktable *t, uint32_t local_flags)
{
	return !!(local_flags & (t->tlf_oob | t->tlf_dovetail |
				 t->tlf_offstage | t->tlf_oobtrap));
}

int ce_task_cmp(const void *a, const void *b)
{
	const struct ce_task *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	if (x->cpu != y->cpu)
		return x->cpu < y->cpu ? -1 : 1;
	return 0;
}
