package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/scimd/scimd/internal/scim"
)

// BenchmarkHTTPListUsersManyGroups lists a page of 200 users who are each in 2,000 groups
// (400,000 group references, a 78 MB response) and reports the peak heap in use while the
// page is written, to show that users' groups are read a batch at a time (groupsBatch), not
// for the whole page. It runs on SQLite (no seeded database needed) and only with
// SCIMD_BENCH=1, since building the tenant takes about 20 s:
//
//	SCIMD_BENCH=1 go test -run '^$' -bench ListUsersManyGroups -benchtime 3x ./internal/httpapi
func BenchmarkHTTPListUsersManyGroups(b *testing.B) {
	if os.Getenv("SCIMD_BENCH") == "" {
		b.Skip("set SCIMD_BENCH=1 (builds a tenant of 200 users in 2,000 groups each)")
	}
	st, _ := newSQLiteStore(b, scim.NewRegistry())
	e := newEnvWithStore(b, st, true)
	ctx := context.Background()
	var members []scim.Member
	for i := range 200 {
		u, err := st.CreateUser(ctx, e.tenantA.ID, &scim.Resource{Type: scim.ResourceUser,
			Attributes: map[string]any{"userName": fmt.Sprintf("u%d", i)}})
		require.NoError(b, err)
		members = append(members, scim.Member{Value: u.ID, Type: scim.ResourceUser})
	}
	for k := range 2000 {
		_, err := st.CreateGroup(ctx, e.tenantA.ID, &scim.Resource{Type: scim.ResourceGroup,
			Attributes: map[string]any{"displayName": fmt.Sprintf("group number %d with a longish name", k)}, Members: members})
		require.NoError(b, err)
	}
	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		var ms runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
		}
	}()
	runtime.GC()
	b.ResetTimer()
	var n int64
	for range b.N {
		req := httptest.NewRequest(http.MethodGet, "/scim/v2/Users?count=200", nil)
		req.Header.Set("Authorization", "Bearer "+e.tokenA)
		w := &discardWriter{header: http.Header{}}
		e.handler.ServeHTTP(w, req)
		require.Equal(b, http.StatusOK, w.status)
		n = w.n
	}
	b.StopTimer()
	close(stop)
	<-done
	b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(n)/(1<<20), "response-MB")
}
