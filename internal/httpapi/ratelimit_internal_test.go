package httpapi

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestTenantLimiterDropsIdleBuckets checks that memory follows the tenants seen recently, not
// every tenant ever seen.
func TestTenantLimiterDropsIdleBuckets(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := newTenantLimiter(1, 1, func() time.Time { return now })
	for i := range 1000 {
		ok, _ := l.allow(fmt.Sprint("tenant-", i))
		assert.True(t, ok)
	}
	assert.Len(t, l.buckets, 1000)

	now = now.Add(idleBucket + time.Second)
	ok, _ := l.allow("tenant-new")
	assert.True(t, ok)
	assert.Len(t, l.buckets, 1, "idle buckets dropped at the next sweep")

	assert.Nil(t, newTenantLimiter(0, 10, nil), "0 means no limit")
	assert.Equal(t, 1, newTenantLimiter(0.2, 0, nil).burst, "default burst is at least 1")
}
