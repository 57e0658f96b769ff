package pgbench

import (
	"context"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// latencies collects per-operation durations and reports percentiles and throughput.
type latencies struct {
	mu  sync.Mutex
	all []time.Duration
}

func (l *latencies) add(d []time.Duration) {
	l.mu.Lock()
	l.all = append(l.all, d...)
	l.mu.Unlock()
}

// percentile returns the q-quantile (0..1) of sorted durations in nanoseconds.
func percentile(sorted []time.Duration, q float64) float64 {
	return float64(sorted[min(len(sorted)-1, int(q*float64(len(sorted))))].Nanoseconds())
}

// report adds p50/p95/p99 (ns) and operations per second of wall time to the benchmark line.
func (l *latencies) report(b *testing.B) {
	b.Helper()
	elapsed := b.Elapsed()
	b.StopTimer()
	if len(l.all) == 0 {
		return
	}
	slices.Sort(l.all)
	b.ReportMetric(percentile(l.all, 0.50), "p50-ns")
	b.ReportMetric(percentile(l.all, 0.95), "p95-ns")
	b.ReportMetric(percentile(l.all, 0.99), "p99-ns")
	if elapsed > 0 {
		b.ReportMetric(float64(b.N)/elapsed.Seconds(), "ops/s")
	}
}

// RunTimed runs op b.N times, serially (parallelism 0) or from parallel goroutines
// (parallelism × GOMAXPROCS of them), recording each call's duration, and reports p50, p95,
// p99 and operations per second. op gets a per-goroutine random source.
func RunTimed(b *testing.B, parallelism int, op func(r *rand.Rand) error) {
	b.Helper()
	var lat latencies
	seed := uint64(1)
	var seedMu sync.Mutex
	newRand := func() *rand.Rand {
		seedMu.Lock()
		defer seedMu.Unlock()
		seed++
		return rand.New(rand.NewPCG(seed, 42))
	}
	b.ResetTimer()
	if parallelism <= 0 {
		r := newRand()
		own := make([]time.Duration, 0, b.N)
		for range b.N {
			t := time.Now()
			if err := op(r); err != nil {
				b.Fatal(err)
			}
			own = append(own, time.Since(t))
		}
		lat.add(own)
	} else {
		b.SetParallelism(parallelism)
		b.RunParallel(func(pb *testing.PB) {
			r := newRand()
			var own []time.Duration
			for pb.Next() {
				t := time.Now()
				if err := op(r); err != nil {
					b.Error(err)
					return
				}
				own = append(own, time.Since(t))
			}
			lat.add(own)
		})
	}
	lat.report(b)
}

// ResetPool removes the pool users first…first+PoolSize-1 from groups, so that a member-add
// benchmark inserts every time.
func ResetPool(b *testing.B, pool *pgxpool.Pool, first int, groups ...string) {
	b.Helper()
	_, err := pool.Exec(context.Background(), `DELETE FROM group_members WHERE tenant_id = $1 AND group_id = ANY($2::uuid[])
		AND member_id IN (SELECT md5('user' || i)::uuid FROM generate_series($3::int, $4::int) AS i)`,
		TenantID, groups, first, first+PoolSize-1)
	if err != nil {
		b.Fatalf("reset the member pool: %v", err)
	}
}

// MemberCount returns the number of members of a seeded group.
func MemberCount(b *testing.B, pool *pgxpool.Pool, group string) int {
	b.Helper()
	var n int
	err := pool.QueryRow(context.Background(), `SELECT count(*) FROM group_members WHERE tenant_id = $1 AND group_id = $2`,
		TenantID, group).Scan(&n)
	if err != nil {
		b.Fatal(err)
	}
	return n
}

// MemberAdd benchmarks add (one new member, pool user user, into group) on the small group
// (SmallGroup members) and on the big one (BigGroup members), as sub-benchmarks; the pool
// users from first on are removed from both groups first. The cost must not depend on the
// group's size.
func MemberAdd(b *testing.B, pool *pgxpool.Pool, first int, small, big string, add func(group string, user int) error) {
	for _, g := range []struct {
		name, id string
		size     int
	}{
		{"members=10", small, SmallGroup},
		{"members=100000", big, BigGroup},
	} {
		b.Run(g.name, func(b *testing.B) {
			if b.N > PoolSize {
				b.Fatalf("b.N %d exceeds the pool of %d users to add; lower -benchtime", b.N, PoolSize)
			}
			ResetPool(b, pool, first, small, big)
			if n := MemberCount(b, pool, g.id); n != g.size {
				b.Fatalf("group has %d members, want %d", n, g.size)
			}
			next := first
			RunTimed(b, 0, func(*rand.Rand) error {
				next++
				return add(g.id, next-1)
			})
			if n := MemberCount(b, pool, g.id); n != g.size+b.N {
				b.Fatalf("group has %d members after %d adds, want %d", n, b.N, g.size+b.N)
			}
		})
	}
}

// MemberAddInterleaved alternates add on the small and the big group within one loop, so
// that both see the same background load, and reports their latencies and the ratio of the
// medians (big/small-p50).
func MemberAddInterleaved(b *testing.B, pool *pgxpool.Pool, first int, small, big string, add func(group string, user int) error) {
	if b.N > PoolSize {
		b.Fatalf("b.N %d exceeds the pool of %d users to add; lower -benchtime", b.N, PoolSize)
	}
	ResetPool(b, pool, first, small, big)
	smallLat := make([]time.Duration, 0, b.N)
	bigLat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		user := first + i
		t := time.Now()
		if err := add(small, user); err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		if err := add(big, user); err != nil {
			b.Fatal(err)
		}
		smallLat, bigLat = append(smallLat, t2.Sub(t)), append(bigLat, time.Since(t2))
	}
	b.StopTimer()
	slices.Sort(smallLat)
	slices.Sort(bigLat)
	b.ReportMetric(percentile(smallLat, 0.5), "small-p50-ns")
	b.ReportMetric(percentile(bigLat, 0.5), "big-p50-ns")
	b.ReportMetric(percentile(smallLat, 0.95), "small-p95-ns")
	b.ReportMetric(percentile(bigLat, 0.95), "big-p95-ns")
	b.ReportMetric(percentile(bigLat, 0.5)/percentile(smallLat, 0.5), "big/small-p50")
}
