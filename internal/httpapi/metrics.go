package httpapi

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/scimd/scimd/internal/scim"
)

// Metrics are the Prometheus metrics of the HTTP API. Build them with NewMetrics on the
// registry main serves; label values are bounded (chi route patterns, never raw paths, ids or
// tenants).
type Metrics struct {
	requests      *prometheus.CounterVec
	duration      *prometheus.HistogramVec
	inFlight      prometheus.Gauge
	unknownAttrs  *prometheus.CounterVec
	provisionings *prometheus.CounterVec
}

// Provisioning operation label values of scim_provisioning_operations_total.
const (
	opCreate  = "create"
	opReplace = "replace"
	opPatch   = "patch"
	opDelete  = "delete"
)

// NewMetrics creates the HTTP API metrics and registers them with reg (nil: not registered,
// for tests):
//   - scim_http_requests_total{method,route,code}
//   - scim_http_request_duration_seconds{method,route} (histogram)
//   - scim_http_requests_in_flight
//   - scim_unknown_attributes_total{resource_type}: attributes dropped from POST/PUT bodies
//     because no schema defines them
//   - scim_provisioning_operations_total{resource_type,operation}: successful changes
func NewMetrics(reg prometheus.Registerer) *Metrics {
	f := promauto.With(reg)
	m := &Metrics{
		requests: f.NewCounterVec(prometheus.CounterOpts{
			Name: "scim_http_requests_total",
			Help: "HTTP requests served, by method, chi route pattern and status code.",
		}, []string{"method", "route", "code"}),
		duration: f.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "scim_http_request_duration_seconds",
			Help:    "Time to serve an HTTP request, by method and chi route pattern.",
			Buckets: prometheus.DefBuckets,
		}, []string{"method", "route"}),
		inFlight: f.NewGauge(prometheus.GaugeOpts{
			Name: "scim_http_requests_in_flight",
			Help: "HTTP requests being served.",
		}),
		unknownAttrs: f.NewCounterVec(prometheus.CounterOpts{
			Name: "scim_unknown_attributes_total",
			Help: "Attributes dropped from request bodies because no registered schema defines them, by resource type.",
		}, []string{"resource_type"}),
		provisionings: f.NewCounterVec(prometheus.CounterOpts{
			Name: "scim_provisioning_operations_total",
			Help: "Successful provisioning changes, by resource type and operation.",
		}, []string{"resource_type", "operation"}),
	}
	// Known series start at 0 so that rate() and alerts see them before the first event.
	for _, rt := range []string{scim.ResourceUser, scim.ResourceGroup} {
		m.unknownAttrs.WithLabelValues(rt)
		for _, op := range []string{opCreate, opReplace, opPatch, opDelete} {
			m.provisionings.WithLabelValues(rt, op)
		}
	}
	return m
}
