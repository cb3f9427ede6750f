// SPDX-License-Identifier: GPL-2.0
/*
 * debugfs dovetail/recorder/: control files, a binary snapshot of all
 * rings (the stream every offline decoder reads) and a text view.
 * Readers copy the rings without any lock: writers are never blocked,
 * and records overwritten during the copy are flagged by the decoder.
 */
#include <linux/bitmap.h>
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/irq.h>
#include <linux/irqdesc.h>
#include <linux/irqstage.h>
#include <linux/interrupt.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/threads.h>
#include <linux/seq_file.h>
#include <linux/vmalloc.h>
#include <linux/uaccess.h>
#include <linux/utsname.h>
#include <linux/sched/clock.h>
#include <linux/math64.h>
#include <linux/dovetail_recorder.h>
#include "dovetail_recorder.h"


static const char *const dtrec_event_names[DTREC_NR_EVENTS] = {
	[DTREC_EV_NONE]			= "none",
	[DTREC_EV_INBAND_STALL]		= "inband_stall",
	[DTREC_EV_INBAND_UNSTALL]	= "inband_unstall",
	[DTREC_EV_OOB_STALL]		= "oob_stall",
	[DTREC_EV_OOB_UNSTALL]		= "oob_unstall",
	[DTREC_EV_SWITCH_OOB]		= "switch_oob",
	[DTREC_EV_SWITCH_INBAND]	= "switch_inband",
	[DTREC_EV_PIPELINE_ENTRY]	= "pipeline_entry",
	[DTREC_EV_PIPELINE_EXIT]	= "pipeline_exit",
	[DTREC_EV_IRQ_POST]		= "irq_post",
	[DTREC_EV_IRQ_PLAY]		= "irq_play",
	[DTREC_EV_OOB_HANDLER_ENTRY]	= "oob_handler_entry",
	[DTREC_EV_OOB_HANDLER_EXIT]	= "oob_handler_exit",
	[DTREC_EV_LEAVE_INBAND]		= "leave_inband",
	[DTREC_EV_FINALIZE_OOB]		= "finalize_oob",
	[DTREC_EV_SWITCHED_OOB]		= "switched_oob",
	[DTREC_EV_LEAVE_OOB]		= "leave_oob",
	[DTREC_EV_RESUME_INBAND]	= "resume_inband",
	[DTREC_EV_OOB_SWITCH]		= "oob_switch",
	[DTREC_EV_INBAND_TAIL]		= "inband_tail",
	[DTREC_EV_NMI_RESTORE]		= "nmi_restore",
	[DTREC_EV_FREEZE]		= "freeze",
	[DTREC_EV_MARK]			= "mark",
};

static size_t dtrec_snapshot_size(void)
{
	const struct dtrec_desc *d = &dovetail_recorder_desc;

	return sizeof(struct dtrec_snap_header) + (size_t)d->nr_cpus *
		(sizeof(struct dtrec_snap_cpu) +
		 (size_t)d->nr_records * sizeof(struct dtrec_record));
}

/*
 * Copy the window ending at @head slot by slot, writers running. A
 * plain memcpy could pair an old lap's seq with the next lap's
 * payload, which would then decode as intact: each slot goes through
 * dtrec_ring_read() instead, and a slot that changed under the copy
 * keeps the seq it has now, so it decodes as stale (a newer lap) or
 * torn (being written), never as the record at its position.
 */
static void dtrec_copy_ring(struct dtrec_ring *ring, u64 head,
			    struct dtrec_record *dst)
{
	u64 nr = ring->nr_records, pos;
	struct dtrec_record *r;
	u64 now;

	for (pos = dtrec_ring_first(head, nr); pos < head; pos++) {
		r = &dst[pos & (nr - 1)];
		if (dtrec_ring_read(ring, pos, r))
			continue;
		now = READ_ONCE(dtrec_ring_slot(ring, pos)->seq);
		r->seq = now > pos + 1 ? now : 0;
	}
}

/* Fills @buf (dtrec_snapshot_size() bytes) with the snapshot stream. */
size_t dtrec_fill_snapshot(void *buf)
{
	const struct dtrec_desc *d = &dovetail_recorder_desc;
	struct dtrec_snap_header *h = buf;
	struct dtrec_snap_cpu *c;
	struct dtrec_ring *ring;
	size_t rbytes = (size_t)d->nr_records * sizeof(struct dtrec_record);
	char *p = buf;
	u32 cpu;

	memset(h, 0, sizeof(*h));
	h->magic = DTREC_SNAP_MAGIC;
	h->version = DTREC_SNAP_VERSION;
	h->header_size = sizeof(*h);
	h->nr_cpus = d->nr_cpus;
	h->rec_size = sizeof(struct dtrec_record);
	h->clock_hz = d->clock_hz;
	h->ref_cycles = d->ref_cycles;
	h->ref_ns = d->ref_ns;
	h->event_mask = d->event_mask;
	h->frozen = d->frozen;
	h->freeze_reason = d->freeze_reason;
	h->freeze_cpu = d->freeze_cpu;
	h->format_version = d->version;
	h->overhead_ps = d->overhead_ps;
	strscpy(h->release, init_utsname()->release, sizeof(h->release));
	h->freeze_value = d->freeze_value;
	h->freeze_metric = d->freeze_metric;
	h->max_context = d->max_context;
	for (cpu = 0; cpu < DTREC_NR_METRICS; cpu++)
		h->threshold_ns[cpu] = dtrec_threshold_get_ns(cpu);
	memcpy(h->freeze_note, d->freeze_note, sizeof(h->freeze_note));
	p += sizeof(*h);

	for (cpu = 0; cpu < d->nr_cpus; cpu++) {
		c = (struct dtrec_snap_cpu *)p;
		ring = per_cpu(dtrec_cpu_ring, cpu);
		c->cpu = cpu;
		c->nr_records = d->nr_records;
		c->head = ring ? READ_ONCE(ring->head) : 0;
		p += sizeof(*c);
		memset(p, 0, rbytes);
		if (ring)
			dtrec_copy_ring(ring, c->head, (struct dtrec_record *)p);
		p += rbytes;
	}

	return p - (char *)buf;
}

/*
 * The names block (snapshot version 2): the comm of every task the
 * copied records mention that still exists, and the names of every
 * IRQ they post, play or handle. Pids and IRQs are gathered in bitmaps
 * (PID_MAX_LIMIT and nr_irqs bits), so the cost does not grow with the
 * rings. Process context: nothing here runs under the recorder.
 */
struct dtrec_names {
	unsigned long *pids, *irqs;
	unsigned int nr_pids, nr_irqs;
};

static void dtrec_names_mark(struct dtrec_names *n, const struct dtrec_record *r)
{
	u32 pids[3] = { r->pid, 0, 0 };
	unsigned int k, np = 1;

	switch (r->event) {
	case DTREC_EV_IRQ_POST:
	case DTREC_EV_IRQ_PLAY:
	case DTREC_EV_OOB_HANDLER_ENTRY:
	case DTREC_EV_OOB_HANDLER_EXIT:
		if (r->arg < n->nr_irqs)
			__set_bit(r->arg, n->irqs);
		break;
	case DTREC_EV_LEAVE_INBAND:
	case DTREC_EV_FINALIZE_OOB:
	case DTREC_EV_SWITCHED_OOB:
	case DTREC_EV_LEAVE_OOB:
	case DTREC_EV_INBAND_TAIL:
		pids[np++] = r->arg;
		break;
	case DTREC_EV_RESUME_INBAND:
		pids[np++] = r->arg;
		pids[np++] = r->arg2;
		break;
	case DTREC_EV_OOB_SWITCH:
		pids[np++] = r->arg;
		pids[np++] = r->arg2 & ~DTREC_CSW_LEAVE_INBAND;
		break;
	}
	for (k = 0; k < np; k++)
		if (pids[k] < n->nr_pids)
			__set_bit(pids[k], n->pids);
}

/* Mark what the copied stream's intact slots and max areas mention. */
static void dtrec_names_scan(struct dtrec_names *n, const void *stream,
			     size_t len)
{
	const struct dtrec_snap_header *h = stream;
	const char *p = (const char *)stream + h->header_size;
	const struct dtrec_snap_cpu *c;
	const struct dtrec_snap_max *mb;
	const struct dtrec_max_area *a;
	const struct dtrec_record *r;
	u32 cpu, i;

	for (cpu = 0; cpu < h->nr_cpus; cpu++) {
		c = (const struct dtrec_snap_cpu *)p;
		r = (const struct dtrec_record *)(p + sizeof(*c));
		for (i = 0; i < c->nr_records; i++)
			if (r[i].seq)
				dtrec_names_mark(n, &r[i]);
		p += sizeof(*c) + (size_t)c->nr_records * sizeof(*r);
	}
	if (p + sizeof(*mb) > (const char *)stream + len)
		return;
	mb = (const struct dtrec_snap_max *)p;
	if (mb->magic != DTREC_MAXB_MAGIC)
		return;
	p += sizeof(*mb);
	for (cpu = 0; cpu < mb->nr_areas; cpu++) {
		a = (const struct dtrec_max_area *)p;
		r = (const struct dtrec_record *)(a + 1);
		for (i = 0; i < a->nr; i++)
			dtrec_names_mark(n, &r[i]);
		p += sizeof(*a) + (size_t)a->nr * sizeof(*r);
	}
}

/*
 * Copy one max area as it stands, header and valid records, into @dst;
 * false if it holds nothing or kept changing under the copy (its CPU
 * beat the maximum again meanwhile).
 */
static bool dtrec_copy_area(const struct dtrec_max_area *a,
			    struct dtrec_max_area *dst, u32 slots)
{
	int tries;
	u64 gen;

	for (tries = 0; tries < 3; tries++) {
		gen = READ_ONCE(a->gen);
		if (gen & 1)
			continue;
		/* Pairs with dtrec_capture()'s first barrier. */
		smp_rmb();
		*dst = *a;
		if (!dst->length || !dst->nr || dst->nr > slots)
			return false;
		memcpy(dst + 1, a + 1, (size_t)dst->nr * sizeof(struct dtrec_record));
		/* Pairs with its last one: the copy is done before the check. */
		smp_rmb();
		if (READ_ONCE(a->gen) == gen) {
			dst->gen = 0;
			return true;
		}
	}
	return false;
}

/*
 * Append the max block (snapshot version 3): every area holding a
 * section. Returns the new length, or @len unchanged if memory is short
 * or nothing was captured.
 */
static size_t dtrec_add_max(void **stream, size_t len)
{
	const struct dtrec_desc *d = &dovetail_recorder_desc;
	struct dtrec_snap_max *mb;
	struct dtrec_max_area *a;
	size_t size;
	u32 cpu, m, nr = 0;
	char *buf, *q;

	if (!d->max_nr_metrics || !d->max_area_size)
		return len;
	size = sizeof(*mb) + (size_t)d->nr_cpus * d->max_nr_metrics *
		d->max_area_size;
	buf = vmalloc(len + size);
	if (!buf)
		return len;
	memcpy(buf, *stream, len);
	mb = (struct dtrec_snap_max *)(buf + len);
	q = (char *)(mb + 1);
	for (cpu = 0; cpu < d->nr_cpus; cpu++) {
		if (!d->max_cpu[cpu])
			continue;
		for (m = 0; m < d->max_nr_metrics; m++) {
			a = (struct dtrec_max_area *)(unsigned long)
				(d->max_cpu[cpu] + (u64)m * d->max_area_size);
			if (!dtrec_copy_area(a, (struct dtrec_max_area *)q,
					     d->max_area_records))
				continue;
			q += sizeof(*a) + (size_t)((struct dtrec_max_area *)q)->nr *
				sizeof(struct dtrec_record);
			nr++;
		}
	}
	if (!nr) {
		vfree(buf);
		return len;
	}
	memset(mb, 0, sizeof(*mb));
	mb->magic = DTREC_MAXB_MAGIC;
	mb->nr_areas = nr;
	mb->rec_size = sizeof(struct dtrec_record);
	mb->size = (u32)(q - (char *)mb);
	vfree(*stream);
	*stream = buf;
	return len + mb->size;
}

static void dtrec_task_entry(struct dtrec_snap_task *t, u32 pid, bool *found)
{
	struct task_struct *p;

	memset(t, 0, sizeof(*t));
	t->pid = pid;
	*found = false;
	rcu_read_lock();
	p = pid ? find_task_by_pid_ns(pid, &init_pid_ns) : &init_task;
	if (p) {
		/* Racy like any reader of ->comm: always NUL-terminated. */
		strscpy_pad(t->comm, p->comm, sizeof(t->comm));
		*found = true;
	}
	rcu_read_unlock();
}

/*
 * x86: an IRQ of Dovetail's SIPIC domain stands for an APIC system
 * vector (the local timer, the IPIs, the oob ones); its number goes in
 * the entry, and libdtrec names it. Elsewhere the chip and hwirq are
 * enough for the reader.
 */
static void dtrec_irq_vector(struct dtrec_snap_irq *q, unsigned int irq,
			     struct irq_chip *chip)
{
#ifdef CONFIG_X86
	if (chip && chip->name && !strcmp(chip->name, "SIPIC"))
		snprintf(q->vector, sizeof(q->vector), "0x%02x",
			 (unsigned int)apicm_irq_vector(irq));
#endif
}

static bool dtrec_irq_entry(struct dtrec_snap_irq *q, unsigned int irq)
{
	struct irq_desc *desc;
	struct irq_chip *chip;
	unsigned long flags;
	bool found = false;

	memset(q, 0, sizeof(*q));
	q->irq = irq;
	q->hwirq = 0xffffffff;
	rcu_read_lock();	/* descriptors are freed after a grace period */
	desc = irq_to_desc(irq);
	if (desc) {
		raw_spin_lock_irqsave(&desc->lock, flags);
		if (desc->action && desc->action->name)
			strscpy_pad(q->name, desc->action->name, sizeof(q->name));
		else if (desc->name)
			strscpy_pad(q->name, desc->name, sizeof(q->name));
		chip = irq_desc_get_chip(desc);
		if (chip && chip->name)
			strscpy_pad(q->chip, chip->name, sizeof(q->chip));
		if (desc->irq_data.hwirq <= 0xfffffffe)
			q->hwirq = (u32)desc->irq_data.hwirq;
		dtrec_irq_vector(q, irq, chip);
		raw_spin_unlock_irqrestore(&desc->lock, flags);
		found = true;
	}
	rcu_read_unlock();
	return found;
}

/*
 * Append the names block to @stream (@len bytes) in a new buffer; the
 * old one is freed. Returns the new length, or @len unchanged (no
 * names, the stream still valid) if memory is short.
 */
static size_t dtrec_add_names(void **stream, size_t len)
{
	struct dtrec_names n = { .nr_pids = PID_MAX_LIMIT, .nr_irqs = nr_irqs };
	struct dtrec_snap_names *nb;
	unsigned int bit, nt = 0, ni = 0;
	size_t size;
	char *buf, *q;
	bool found;

	n.pids = bitmap_zalloc(n.nr_pids, GFP_KERNEL);
	n.irqs = bitmap_zalloc(n.nr_irqs ? n.nr_irqs : 1, GFP_KERNEL);
	if (!n.pids || !n.irqs)
		goto out;
	dtrec_names_scan(&n, *stream, len);
	size = sizeof(*nb) +
		(size_t)bitmap_weight(n.pids, n.nr_pids) * sizeof(struct dtrec_snap_task) +
		(size_t)bitmap_weight(n.irqs, n.nr_irqs) * sizeof(struct dtrec_snap_irq);
	buf = vmalloc(len + size);
	if (!buf)
		goto out;
	memcpy(buf, *stream, len);
	nb = (struct dtrec_snap_names *)(buf + len);
	q = (char *)(nb + 1);
	for_each_set_bit(bit, n.pids, n.nr_pids) {
		dtrec_task_entry((struct dtrec_snap_task *)q, bit, &found);
		if (found) {		/* gone tasks are left out */
			q += sizeof(struct dtrec_snap_task);
			nt++;
		}
	}
	for_each_set_bit(bit, n.irqs, n.nr_irqs) {
		if (dtrec_irq_entry((struct dtrec_snap_irq *)q, bit)) {
			q += sizeof(struct dtrec_snap_irq);
			ni++;
		}
	}
	/* IRQ entries were written after the tasks actually kept: in place. */
	memset(nb, 0, sizeof(*nb));
	nb->magic = DTREC_NAMES_MAGIC;
	nb->nr_tasks = nt;
	nb->nr_irqs = ni;
	nb->size = (u32)(q - (char *)nb);
	vfree(*stream);
	*stream = buf;
	len += nb->size;
out:
	bitmap_free(n.pids);
	bitmap_free(n.irqs);
	return len;
}

struct dtrec_snap_file {
	void *buf;
	size_t size;
};

static int dtrec_snapshot_open(struct inode *inode, struct file *file)
{
	struct dtrec_snap_file *sf = kzalloc(sizeof(*sf), GFP_KERNEL);

	if (!sf)
		return -ENOMEM;
	sf->size = dtrec_snapshot_size();
	sf->buf = vmalloc(sf->size);
	if (!sf->buf) {
		kfree(sf);
		return -ENOMEM;
	}

	dtrec_fill_snapshot(sf->buf);
	sf->size = dtrec_add_max(&sf->buf, sf->size);
	sf->size = dtrec_add_names(&sf->buf, sf->size);
	file->private_data = sf;
	i_size_write(inode, sf->size);

	return 0;
}

static ssize_t dtrec_snapshot_read(struct file *file, char __user *ubuf,
				   size_t count, loff_t *ppos)
{
	struct dtrec_snap_file *sf = file->private_data;

	return simple_read_from_buffer(ubuf, count, ppos, sf->buf, sf->size);
}

static int dtrec_snapshot_release(struct inode *inode, struct file *file)
{
	struct dtrec_snap_file *sf = file->private_data;

	vfree(sf->buf);
	kfree(sf);
	return 0;
}

static const struct file_operations dtrec_snapshot_fops = {
	.owner		= THIS_MODULE,
	.open		= dtrec_snapshot_open,
	.read		= dtrec_snapshot_read,
	.release	= dtrec_snapshot_release,
	.llseek		= default_llseek,
};

/* Text view: each CPU's ring, oldest first, intact records only. */
static int dtrec_trace_show(struct seq_file *m, void *v)
{
	const struct dtrec_desc *d = &dovetail_recorder_desc;
	struct dtrec_record r;
	struct dtrec_ring *ring;
	u64 head, pos, first;
	u32 cpu;

	seq_printf(m, "# dovetail recorder on %s: %u CPUs x %u records, clock %llu Hz, mask %#x%s\n",
		   init_utsname()->release, d->nr_cpus, d->nr_records,
		   d->clock_hz, d->event_mask, d->frozen ? ", frozen" : "");
	seq_puts(m, "# cpu  position  cycles  event  pid  arg  arg2  state\n");

	for (cpu = 0; cpu < d->nr_cpus; cpu++) {
		ring = per_cpu(dtrec_cpu_ring, cpu);
		if (!ring)
			continue;
		head = READ_ONCE(ring->head);
		first = dtrec_ring_first(head, ring->nr_records);
		for (pos = first; pos < head; pos++) {
			if (!dtrec_ring_read(ring, pos, &r) ||
			    r.event >= DTREC_NR_EVENTS) {
				seq_printf(m, "%03u %llu - torn-or-overwritten\n",
					   cpu, pos);
				continue;
			}
			seq_printf(m, "%03u %llu %llu %s %u %#x %#x %#x\n",
				   cpu, pos, r.ts, dtrec_event_names[r.event],
				   r.pid, r.arg, r.arg2, r.state);
		}
	}

	return 0;
}
DEFINE_SHOW_ATTRIBUTE(dtrec_trace);

static int dtrec_enable_get(void *data, u64 *val)
{
	*val = static_key_enabled(&dovetail_recorder_on);
	return 0;
}

static int dtrec_enable_set(void *data, u64 val)
{
	dtrec_set_enabled(!!val);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(dtrec_enable_fops, dtrec_enable_get,
			 dtrec_enable_set, "%llu\n");

static int dtrec_mask_get(void *data, u64 *val)
{
	*val = READ_ONCE(dovetail_recorder_desc.event_mask);
	return 0;
}

static int dtrec_mask_set(void *data, u64 val)
{
	if (val & ~(u64)DTREC_ALL_CLASSES)
		return -EINVAL;
	WRITE_ONCE(dovetail_recorder_desc.event_mask, (u32)val);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(dtrec_mask_fops, dtrec_mask_get, dtrec_mask_set,
			 "0x%llx\n");

static int dtrec_freeze_get(void *data, u64 *val)
{
	*val = READ_ONCE(dovetail_recorder_desc.frozen);
	return 0;
}

static int dtrec_freeze_set(void *data, u64 val)
{
	if (val)
		dovetail_recorder_freeze(DTREC_FREEZE_DEBUGFS);
	else
		dovetail_recorder_unfreeze();
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(dtrec_freeze_fops, dtrec_freeze_get,
			 dtrec_freeze_set, "%llu\n");

static ssize_t dtrec_clear_write(struct file *file, const char __user *ubuf,
				 size_t count, loff_t *ppos)
{
	dtrec_clear();
	return count;
}

static const struct file_operations dtrec_clear_fops = {
	.owner	= THIS_MODULE,
	.write	= dtrec_clear_write,
	.llseek	= noop_llseek,
};

/*
 * max: one line per captured worst case (cpu, metric, length in ns,
 * ring positions, records kept). Writing "reset" empties every area,
 * "on" and "off" start and stop the tracking.
 */
static int dtrec_max_show(struct seq_file *m, void *v)
{
	const struct dtrec_desc *d = &dovetail_recorder_desc;
	const struct dtrec_max_area *a;
	u32 cpu, k;
	u64 ns;

	seq_printf(m, "# maxima %s, %u records per area, %u of context\n",
		   d->max_on ? "on" : "off", d->max_area_records, d->max_context);
	seq_puts(m, "# cpu metric length_ns start_pos end_pos records\n");
	for (cpu = 0; cpu < d->nr_cpus; cpu++) {
		if (!d->max_cpu[cpu])
			continue;
		for (k = 0; k < d->max_nr_metrics; k++) {
			a = (const struct dtrec_max_area *)(unsigned long)
				(d->max_cpu[cpu] + (u64)k * d->max_area_size);
			if (!READ_ONCE(a->length))
				continue;
			ns = d->clock_hz ? mul_u64_u64_div_u64(a->length,
					NSEC_PER_SEC, d->clock_hz) : 0;
			seq_printf(m, "%u %s %llu %llu %llu %u\n", cpu,
				   dtrec_metric_name(k), ns, a->start_pos,
				   a->end_pos, a->nr);
		}
	}
	return 0;
}

static int dtrec_max_open(struct inode *inode, struct file *file)
{
	return single_open(file, dtrec_max_show, NULL);
}

static ssize_t dtrec_max_write(struct file *file, const char __user *ubuf,
			       size_t count, loff_t *ppos)
{
	char buf[16];

	if (count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';
	strim(buf);
	if (!strcmp(buf, "reset"))
		dtrec_max_reset();
	else if (!strcmp(buf, "on"))
		WRITE_ONCE(dovetail_recorder_desc.max_on,
			   !!dovetail_recorder_desc.max_nr_metrics);
	else if (!strcmp(buf, "off"))
		WRITE_ONCE(dovetail_recorder_desc.max_on, 0);
	else
		return -EINVAL;
	return count;
}

static const struct file_operations dtrec_max_fops = {
	.owner		= THIS_MODULE,
	.open		= dtrec_max_open,
	.read		= seq_read,
	.write		= dtrec_max_write,
	.llseek		= seq_lseek,
	.release	= single_release,
};

/*
 * threshold: "<metric> <ns>" per metric; writing one such line sets
 * it (0: no trigger). A section longer than its metric's threshold
 * freezes the recorder.
 */
static int dtrec_threshold_show(struct seq_file *m, void *v)
{
	unsigned int k;

	for (k = 0; k < DTREC_NR_METRICS; k++)
		seq_printf(m, "%s %llu\n", dtrec_metric_name(k),
			   dtrec_threshold_get_ns(k));
	return 0;
}

static int dtrec_threshold_open(struct inode *inode, struct file *file)
{
	return single_open(file, dtrec_threshold_show, NULL);
}

static ssize_t dtrec_threshold_write(struct file *file,
				     const char __user *ubuf, size_t count,
				     loff_t *ppos)
{
	char buf[64], *w, *sp;
	u64 ns;
	int m, rc;

	if (count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';
	w = strim(buf);
	sp = strchr(w, ' ');
	if (!sp)
		return -EINVAL;
	m = dtrec_metric_parse(w, sp - w);
	if (m < 0 || kstrtoull(skip_spaces(sp), 0, &ns))
		return -EINVAL;
	rc = dtrec_set_threshold(m, ns);
	return rc ? rc : count;
}

static const struct file_operations dtrec_threshold_fops = {
	.owner		= THIS_MODULE,
	.open		= dtrec_threshold_open,
	.read		= seq_read,
	.write		= dtrec_threshold_write,
	.llseek		= seq_lseek,
	.release	= single_release,
};

struct dentry *dtrec_debugfs_top(void)
{
	struct dentry *top = debugfs_lookup("dovetail", NULL);

	/* debugfs keeps the directory; the lookup's reference is not needed. */
	if (top) {
		dput(top);
		return top;
	}
	return debugfs_create_dir("dovetail", NULL);
}

static int __init dtrec_debugfs_init(void)
{
	struct dentry *dir;

	if (!dovetail_recorder_desc.nr_cpus)
		return 0;

	dir = debugfs_create_dir("recorder", dtrec_debugfs_top());

	debugfs_create_file_unsafe("enable", 0600, dir, NULL, &dtrec_enable_fops);
	debugfs_create_file_unsafe("mask", 0600, dir, NULL, &dtrec_mask_fops);
	debugfs_create_file_unsafe("freeze", 0600, dir, NULL, &dtrec_freeze_fops);
	debugfs_create_file("clear", 0200, dir, NULL, &dtrec_clear_fops);
	debugfs_create_file("snapshot", 0400, dir, NULL, &dtrec_snapshot_fops);
	debugfs_create_file("trace", 0400, dir, NULL, &dtrec_trace_fops);
	debugfs_create_file("max", 0600, dir, NULL, &dtrec_max_fops);
	debugfs_create_file("threshold", 0600, dir, NULL, &dtrec_threshold_fops);

	return 0;
}
late_initcall(dtrec_debugfs_init);
