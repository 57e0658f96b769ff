package backend

import (
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
)

// poolCollector exports pgxpool statistics, read from pool.Stat() at scrape time so that the
// numbers are never stale and nothing runs between scrapes.
type poolCollector struct {
	pool *pgxpool.Pool

	acquired, idle, total, max, constructing  *prometheus.Desc
	acquires, acquireSeconds, emptyAcquires   *prometheus.Desc
	canceledAcquires, emptyAcquireWaitSeconds *prometheus.Desc
}

func newPoolCollector(pool *pgxpool.Pool) *poolCollector {
	d := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc("scim_db_pool_"+name, help, nil, nil)
	}
	return &poolCollector{
		pool:                    pool,
		acquired:                d("acquired_conns", "Connections currently in use."),
		idle:                    d("idle_conns", "Idle connections in the pool."),
		total:                   d("total_conns", "Connections in the pool (acquired, idle and being opened)."),
		max:                     d("max_conns", "Maximum size of the pool."),
		constructing:            d("constructing_conns", "Connections being opened."),
		acquires:                d("acquires_total", "Successful connection acquisitions."),
		acquireSeconds:          d("acquire_duration_seconds_total", "Total time spent acquiring connections."),
		emptyAcquires:           d("empty_acquires_total", "Acquisitions that had to wait because no idle connection was available."),
		canceledAcquires:        d("canceled_acquires_total", "Acquisitions canceled by their context."),
		emptyAcquireWaitSeconds: d("empty_acquire_wait_seconds_total", "Total time acquisitions waited for a connection when none was idle."),
	}
}

// Describe implements prometheus.Collector.
func (c *poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.acquired, c.idle, c.total, c.max, c.constructing,
		c.acquires, c.acquireSeconds, c.emptyAcquires, c.canceledAcquires, c.emptyAcquireWaitSeconds} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *poolCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.pool.Stat()
	gauge := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v)
	}
	counter := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v)
	}
	gauge(c.acquired, float64(s.AcquiredConns()))
	gauge(c.idle, float64(s.IdleConns()))
	gauge(c.total, float64(s.TotalConns()))
	gauge(c.max, float64(s.MaxConns()))
	gauge(c.constructing, float64(s.ConstructingConns()))
	counter(c.acquires, float64(s.AcquireCount()))
	counter(c.acquireSeconds, s.AcquireDuration().Seconds())
	counter(c.emptyAcquires, float64(s.EmptyAcquireCount()))
	counter(c.canceledAcquires, float64(s.CanceledAcquireCount()))
	counter(c.emptyAcquireWaitSeconds, s.EmptyAcquireWaitTime().Seconds())
}
