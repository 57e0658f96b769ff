package backend

import (
	"database/sql"

	"github.com/prometheus/client_golang/prometheus"
)

// sqlPoolCollector exports database/sql pool statistics under the same scim_db_pool_* names
// as the pgxpool collector (for the series both pools have), so that dashboards and alerts
// work on either backend. Read from db.Stats() at scrape time.
type sqlPoolCollector struct {
	db *sql.DB

	acquired, idle, total, max             *prometheus.Desc
	emptyAcquires, emptyAcquireWaitSeconds *prometheus.Desc
}

func newSQLPoolCollector(db *sql.DB) *sqlPoolCollector {
	d := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc("scim_db_pool_"+name, help, nil, nil)
	}
	return &sqlPoolCollector{
		db:                      db,
		acquired:                d("acquired_conns", "Connections currently in use."),
		idle:                    d("idle_conns", "Idle connections in the pool."),
		total:                   d("total_conns", "Connections in the pool (acquired, idle and being opened)."),
		max:                     d("max_conns", "Maximum size of the pool."),
		emptyAcquires:           d("empty_acquires_total", "Acquisitions that had to wait because no idle connection was available."),
		emptyAcquireWaitSeconds: d("empty_acquire_wait_seconds_total", "Total time acquisitions waited for a connection when none was idle."),
	}
}

// Describe implements prometheus.Collector.
func (c *sqlPoolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.acquired, c.idle, c.total, c.max, c.emptyAcquires, c.emptyAcquireWaitSeconds} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *sqlPoolCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.db.Stats()
	gauge := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v)
	}
	counter := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v)
	}
	gauge(c.acquired, float64(s.InUse))
	gauge(c.idle, float64(s.Idle))
	gauge(c.total, float64(s.OpenConnections))
	gauge(c.max, float64(s.MaxOpenConnections))
	counter(c.emptyAcquires, float64(s.WaitCount))
	counter(c.emptyAcquireWaitSeconds, s.WaitDuration.Seconds())
}
