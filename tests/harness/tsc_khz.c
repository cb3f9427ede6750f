/*
 * Print the host's TSC rate in kHz.
 *
 * Under TCG, QEMU's x86 guests read the host's TSC (scaled by nothing), so
 * this is the rate a guest must be told when it cannot calibrate its TSC
 * itself: without ACPI there is no HPET or PM timer to calibrate against,
 * and the PIT under emulation is too irregular for older kernels, which
 * then mark the TSC unstable and stall. The harness passes the value as
 * tsc_early_khz=.
 */
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <x86intrin.h>

static uint64_t ns_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void order(uint64_t *a, uint64_t *b)
{
	uint64_t t;

	if (*a > *b) {
		t = *a;
		*a = *b;
		*b = t;
	}
}

int main(void)
{
	struct timespec pause = { 0, 100 * 1000 * 1000 };
	uint64_t khz[3];
	int i;

	/* The median of three 100 ms windows: one preempted window must
	 * not set the guest's clock rate. */
	for (i = 0; i < 3; i++) {
		uint64_t t0 = ns_now(), c0 = __rdtsc();
		uint64_t t1, c1;

		nanosleep(&pause, NULL);
		c1 = __rdtsc();
		t1 = ns_now();
		khz[i] = (c1 - c0) * 1000000ULL / (t1 - t0);
	}
	order(&khz[0], &khz[1]);
	order(&khz[1], &khz[2]);
	order(&khz[0], &khz[1]);
	printf("%llu\n", (unsigned long long)khz[1]);
	return khz[1] ? 0 : 1;
}
