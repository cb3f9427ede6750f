/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-ins for the kernel primitives that
 * kernel/irq/dovetail_recorder_ring.h uses, so that the unit tests and
 * the native benchmark compile that very file, unchanged:
 *
 *	#include "kcompat.h"
 *	#include <linux/dovetail_recorder.h>	(the uapi format)
 *	[#define dtrec_head_inc_return(h) ...]	(optional, as the kernel does)
 *	#include "dovetail_recorder_ring.h"
 *
 * Each mapping keeps the kernel's code generation where it matters
 * for the hot path: READ_ONCE/WRITE_ONCE are volatile accesses,
 * smp_wmb/smp_rmb are compiler-only barriers on x86 (fences elsewhere),
 * and the head reservation is the same un-LOCKed XADD that x86
 * local64_add_return() emits: atomic against interrupts (here, signal
 * handlers) on the owning CPU (here, thread), not against other CPUs,
 * which never write a ring they do not own.
 *
 * Under ThreadSanitizer the one-word accesses become relaxed C11
 * atomics instead, so that the tool sees the protocol's intended
 * races on head and seq as atomic; TSan does not model fences.
 *
 * Test hooks, off unless defined before this header:
 *  KCOMPAT_WMB_HOOK()	runs after every smp_wmb(): the points where a
 *			writer sits between the phases of a record
 *			(slot opened / payload written).
 *  KCOMPAT_RMB_HOOK()	runs after every smp_rmb(): where a reader sits
 *			between seq and payload, or payload and recheck.
 */
#ifndef KCOMPAT_H
#define KCOMPAT_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

typedef __s8 s8;
typedef __u8 u8;
typedef __s16 s16;
typedef __u16 u16;
typedef __s32 s32;
typedef __u32 u32;
typedef __s64 s64;
typedef __u64 u64;

#if defined(__SANITIZE_THREAD__)
#define KCOMPAT_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define KCOMPAT_TSAN 1
#endif
#endif

/* glibc's <sys/cdefs.h> has the same definition. */
#ifndef __always_inline
#define __always_inline		inline __attribute__((__always_inline__))
#endif
#define noinline		__attribute__((__noinline__))
#define notrace			__attribute__((__no_instrument_function__))
#define noinstr			noinline notrace
#define __aligned(x)		__attribute__((__aligned__(x)))
#define __maybe_unused		__attribute__((__unused__))
#define likely(x)		__builtin_expect(!!(x), 1)
#define unlikely(x)		__builtin_expect(!!(x), 0)
#define barrier()		__asm__ __volatile__("" : : : "memory")

#ifdef KCOMPAT_TSAN
#define READ_ONCE(x)		__atomic_load_n(&(x), __ATOMIC_RELAXED)
#define WRITE_ONCE(x, val)	__atomic_store_n(&(x), (val), __ATOMIC_RELAXED)
#else
#define READ_ONCE(x)		(*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, val)					\
	do {							\
		*(volatile __typeof__(x) *)&(x) = (val);	\
	} while (0)
#endif

/*
 * smp_wmb() orders stores against stores and smp_rmb() loads against
 * loads; the release and acquire fences are the nearest C11 barriers
 * at least that strong. Both are compiler barriers only on x86, as
 * in the kernel.
 */
#define __kc_smp_wmb()		__atomic_thread_fence(__ATOMIC_RELEASE)
#define __kc_smp_rmb()		__atomic_thread_fence(__ATOMIC_ACQUIRE)
#define smp_mb()		__atomic_thread_fence(__ATOMIC_SEQ_CST)

#ifdef KCOMPAT_WMB_HOOK
#define smp_wmb()						\
	do {							\
		__kc_smp_wmb();					\
		KCOMPAT_WMB_HOOK();				\
	} while (0)
#else
#define smp_wmb()		__kc_smp_wmb()
#endif

#ifdef KCOMPAT_RMB_HOOK
#define smp_rmb()						\
	do {							\
		__kc_smp_rmb();					\
		KCOMPAT_RMB_HOOK();				\
	} while (0)
#else
#define smp_rmb()		__kc_smp_rmb()
#endif

/*
 * local64_add_return(1, head): x86 emits an un-LOCKed XADD (one
 * instruction, so an interrupt lands before or after it, never inside);
 * arm64 and others use a fully ordered atomic add-return.
 */
static __always_inline u64 kc_local64_inc_return(u64 *p)
{
#if defined(__x86_64__) && !defined(KCOMPAT_TSAN)
	u64 v = 1;

	__asm__ __volatile__("xaddq %0, %1" : "+r" (v), "+m" (*p) : : "memory");
	return v + 1;
#else
	return __atomic_add_fetch(p, 1, __ATOMIC_SEQ_CST);
#endif
}

/* What kernel/irq/dovetail_recorder.c defines before including the ring. */
#ifndef dtrec_head_inc_return
#define dtrec_head_inc_return(__head)	kc_local64_inc_return((u64 *)(__head))
#endif

#endif /* KCOMPAT_H */
