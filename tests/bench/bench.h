/*
 * bench.h - the timing helpers both benchmarks share (bench.c).
 *
 * A round is timed twice: by the wall clock (CLOCK_MONOTONIC) and by the
 * process's CPU clock (CLOCK_PROCESS_CPUTIME_ID). On a shared machine the
 * CPU clock is the steadier one: time spent waiting while another process
 * had the CPU is not counted. The wall clock is kept because it is what a
 * user waits for, and it shows a library that sleeps when it should not.
 *
 *   cost_start()             both clocks, now
 *   cost_stop(start, per)    the time since start, divided by per
 *   cost_median(c, n)        each clock's median over rounds 1..n-1
 */
#ifndef BENCH_H_INCLUDED_
#define BENCH_H_INCLUDED_

#define BENCH_MAX_ROUNDS 64 /* the first round is a warm-up */

/* What a round cost, by each clock: ns, or whatever unit per makes it. */
struct cost {
	double wall, cpu;
};

struct cost cost_start(void);
struct cost cost_stop(struct cost start, double per);
struct cost cost_median(const struct cost *c, int n);

#endif /* BENCH_H_INCLUDED_ */
