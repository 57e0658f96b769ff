package auth

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimd/scimd/internal/scim"
)

func TestGenerate(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 100 {
		secret, hash, err := Generate()
		require.NoError(t, err)
		assert.Len(t, secret, TokenLen)
		assert.True(t, strings.HasPrefix(secret, Prefix), "token %q lacks prefix", secret)
		assert.True(t, LooksLikeToken(secret), "generated token %q does not look like a token", secret)
		want := sha256.Sum256([]byte(secret))
		assert.Equal(t, want[:], hash, "hash of %q", secret)
		assert.Equal(t, hash, Hash(secret), "Hash(%q)", secret)
		assert.False(t, seen[secret], "duplicate token %q", secret)
		seen[secret] = true
	}
}

func TestTokenLen(t *testing.T) {
	t.Parallel()
	assert.Equal(t, len(Prefix)+encoding.EncodedLen(secretBytes), TokenLen)
}

func TestLooksLikeToken(t *testing.T) {
	t.Parallel()
	good, _, err := Generate()
	require.NoError(t, err)
	body := good[len(Prefix):]
	last := good[:len(good)-1]
	for _, tt := range []struct {
		name string
		in   string
		want bool
	}{
		{"generated", good, true},
		{"empty", "", false},
		{"bearer only", "Bearer", false},
		{"bearer with token", "Bearer " + good, false},
		{"wrong prefix", "scimx_" + body, false},
		{"no prefix", body, false},
		{"upper-case prefix", "SCIMD_" + body, false},
		{"too short", good[:len(good)-1], false},
		{"too long", good + "a", false},
		{"upper case", Prefix + strings.ToUpper(body), false},
		{"base32 digit 1", Prefix + "1" + body[1:], false},
		{"base64 char", Prefix + "-" + body[1:], false},
		{"padding", Prefix + body[:len(body)-1] + "=", false},
		{"non-zero trailing bits", last + "b", false},
		{"all a", Prefix + strings.Repeat("a", len(body)), true},
		{"ends in q", Prefix + strings.Repeat("7", len(body)-1) + "q", true},
		{"non-ASCII", Prefix + "é" + body[2:], false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.want, LooksLikeToken(tt.in), "LooksLikeToken(%q)", tt.in)
		})
	}
}

func FuzzLooksLikeToken(f *testing.F) {
	good, _, err := Generate()
	require.NoError(f, err)
	for _, s := range []string{"", "Bearer", good, good[:10], Prefix, good + "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if LooksLikeToken(s) {
			// Every accepted value is the encoding of exactly 32 bytes.
			b, err := encoding.DecodeString(s[len(Prefix):])
			require.NoError(t, err, "accepted %q", s)
			assert.Len(t, b, secretBytes)
			assert.Equal(t, s, Prefix+encoding.EncodeToString(b))
		}
	})
}

// fakeTokens is an in-memory scim.TokenStore. Only the methods Authenticator calls do
// anything.
type fakeTokens struct {
	scim.TokenStore // nil: other methods panic if called

	mu       sync.Mutex
	byHash   map[string]*scim.Token
	lookups  int
	recorded []map[string]time.Time
	failWith error         // returned by TokenByHash when set
	useErr   error         // returned by RecordTokenUse when set
	usedCh   chan struct{} // receives after every RecordTokenUse, when not nil
}

func newFakeTokens() *fakeTokens {
	return &fakeTokens{byHash: map[string]*scim.Token{}}
}

func (f *fakeTokens) add(t *testing.T, tok *scim.Token) string {
	t.Helper()
	secret, hash, err := Generate()
	require.NoError(t, err)
	f.mu.Lock()
	f.byHash[string(hash)] = tok
	f.mu.Unlock()
	return secret
}

func (f *fakeTokens) TokenByHash(_ context.Context, hash []byte) (*scim.Token, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lookups++
	if f.failWith != nil {
		return nil, f.failWith
	}
	tok, ok := f.byHash[string(hash)]
	if !ok {
		return nil, scim.ErrNotFound
	}
	cp := *tok
	cp.Hash = append([]byte(nil), hash...)
	return &cp, nil
}

func (f *fakeTokens) RecordTokenUse(_ context.Context, used map[string]time.Time) error {
	f.mu.Lock()
	err := f.useErr
	if err == nil {
		f.recorded = append(f.recorded, used)
	}
	ch := f.usedCh
	f.mu.Unlock()
	if ch != nil {
		ch <- struct{}{}
	}
	return err
}

func (f *fakeTokens) calls() (lookups int, recorded []map[string]time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lookups, append([]map[string]time.Time(nil), f.recorded...)
}

var t0 = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func ptr(t time.Time) *time.Time { return &t }

func TestAuthenticate(t *testing.T) {
	t.Parallel()
	store := newFakeTokens()
	valid := store.add(t, &scim.Token{ID: "t-valid", TenantID: "ten", TenantName: "acme"})
	future := store.add(t, &scim.Token{ID: "t-future", TenantID: "ten", ExpiresAt: ptr(t0.Add(time.Hour))})
	expired := store.add(t, &scim.Token{ID: "t-expired", TenantID: "ten", ExpiresAt: ptr(t0.Add(-time.Second))})
	expiresNow := store.add(t, &scim.Token{ID: "t-now", TenantID: "ten", ExpiresAt: ptr(t0)})
	revoked := store.add(t, &scim.Token{ID: "t-revoked", TenantID: "ten", RevokedAt: ptr(t0.Add(-time.Hour))})
	unknown, _, err := Generate()
	require.NoError(t, err)

	a := NewAuthenticator(store, nil, func() time.Time { return t0 })
	for _, tt := range []struct {
		name   string
		bearer string
		wantID string
		want   error
	}{
		{"valid", valid, "t-valid", nil},
		{"expires later", future, "t-future", nil},
		{"expired", expired, "", ErrExpired},
		{"expires this instant", expiresNow, "", ErrExpired},
		{"revoked", revoked, "", ErrRevoked},
		{"unknown", unknown, "", ErrUnknown},
		{"empty", "", "", ErrMalformed},
		{"Bearer only", "Bearer", "", ErrMalformed},
		{"wrong prefix", "xxxxx_" + valid[len(Prefix):], "", ErrMalformed},
		{"wrong length", valid[:len(valid)-2], "", ErrMalformed},
		{"non-base32", valid[:len(valid)-2] + "0a", "", ErrMalformed},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tok, err := a.Authenticate(context.Background(), tt.bearer)
			if tt.want != nil {
				require.ErrorIs(t, err, tt.want)
				assert.Nil(t, tok)
				assert.Equal(t, http.StatusUnauthorized, scim.StatusOf(err))
				e, ok := scim.AsError(err)
				require.True(t, ok)
				if tt.bearer != "" {
					assert.NotContains(t, e.Detail, tt.bearer, "detail echoes the token")
				}
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.wantID, tok.ID)
		})
	}
}

func TestAuthenticateMalformedNeedsNoQuery(t *testing.T) {
	t.Parallel()
	store := newFakeTokens()
	a := NewAuthenticator(store, nil, nil)
	for _, bearer := range []string{"", "Bearer", "abc", "scimd_short"} {
		_, err := a.Authenticate(context.Background(), bearer)
		require.ErrorIs(t, err, ErrMalformed, "bearer %q", bearer)
	}
	lookups, _ := store.calls()
	assert.Equal(t, 0, lookups)
}

func TestAuthenticateStoreUnavailable(t *testing.T) {
	t.Parallel()
	store := newFakeTokens()
	store.failWith = scim.ErrUnavailable
	secret, _, err := Generate()
	require.NoError(t, err)
	a := NewAuthenticator(store, nil, nil)
	_, err = a.Authenticate(context.Background(), secret)
	require.ErrorIs(t, err, scim.ErrUnavailable)
	assert.Equal(t, http.StatusServiceUnavailable, scim.StatusOf(err))

	// A non-SCIM failure passes through too (the HTTP layer makes it a 500).
	boom := errors.New("boom")
	store.failWith = boom
	_, err = a.Authenticate(context.Background(), secret)
	require.ErrorIs(t, err, boom)
}

func TestLastUsedBatching(t *testing.T) {
	t.Parallel()
	store := newFakeTokens()
	s1 := store.add(t, &scim.Token{ID: "t1"})
	s2 := store.add(t, &scim.Token{ID: "t2"})
	revoked := store.add(t, &scim.Token{ID: "t3", RevokedAt: ptr(t0)})
	now := t0
	a := NewAuthenticator(store, nil, func() time.Time { return now })
	ctx := context.Background()

	for range 10 {
		_, err := a.Authenticate(ctx, s1)
		require.NoError(t, err)
	}
	now = t0.Add(time.Minute)
	_, err := a.Authenticate(ctx, s1)
	require.NoError(t, err)
	_, err = a.Authenticate(ctx, s2)
	require.NoError(t, err)
	_, err = a.Authenticate(ctx, revoked)
	require.ErrorIs(t, err, ErrRevoked)

	_, recorded := store.calls()
	assert.Empty(t, recorded, "authentication wrote to the store")

	require.NoError(t, a.Flush(ctx))
	_, recorded = store.calls()
	require.Len(t, recorded, 1, "one write for all uses")
	assert.Equal(t, map[string]time.Time{"t1": now, "t2": now}, recorded[0])

	// Nothing new: no write.
	require.NoError(t, a.Flush(ctx))
	_, recorded = store.calls()
	assert.Len(t, recorded, 1)
}

func TestFlushFailureKeepsTimes(t *testing.T) {
	t.Parallel()
	store := newFakeTokens()
	s1 := store.add(t, &scim.Token{ID: "t1"})
	now := t0
	a := NewAuthenticator(store, nil, func() time.Time { return now })
	ctx := context.Background()

	_, err := a.Authenticate(ctx, s1)
	require.NoError(t, err)
	store.mu.Lock()
	store.useErr = scim.ErrUnavailable
	store.mu.Unlock()
	require.ErrorIs(t, a.Flush(ctx), scim.ErrUnavailable)
	assert.Equal(t, map[string]time.Time{"t1": t0}, a.pending())

	store.mu.Lock()
	store.useErr = nil
	store.mu.Unlock()
	require.NoError(t, a.Flush(ctx))
	_, recorded := store.calls()
	require.Len(t, recorded, 1)
	assert.Equal(t, map[string]time.Time{"t1": t0}, recorded[0])
	assert.Empty(t, a.pending())
}

func TestRunFlushesPeriodicallyAndOnStop(t *testing.T) {
	t.Parallel()
	store := newFakeTokens()
	store.usedCh = make(chan struct{}, 10)
	s1 := store.add(t, &scim.Token{ID: "t1"})
	s2 := store.add(t, &scim.Token{ID: "t2"})
	a := NewAuthenticator(store, nil, func() time.Time { return t0 })
	a.FlushInterval = time.Millisecond

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		a.Run(ctx)
		close(done)
	}()

	_, err := a.Authenticate(ctx, s1)
	require.NoError(t, err)
	<-store.usedCh // the ticker flushed t1

	// A use after the last tick is flushed when Run stops.
	_, err = a.Authenticate(ctx, s2)
	require.NoError(t, err)
	cancel()
	<-done

	_, recorded := store.calls()
	got := map[string]time.Time{}
	for _, batch := range recorded {
		for id, at := range batch {
			got[id] = at
		}
	}
	assert.Equal(t, map[string]time.Time{"t1": t0, "t2": t0}, got)
	assert.Empty(t, a.pending())
}

func TestTokenNeverLogged(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	var mu sync.Mutex
	logger := slog.New(slog.NewJSONHandler(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return buf.Write(p)
	}), &slog.HandlerOptions{Level: slog.LevelDebug}))

	store := newFakeTokens()
	store.useErr = errors.New("database is down")
	valid := store.add(t, &scim.Token{ID: "t1", TenantName: "acme"})
	revoked := store.add(t, &scim.Token{ID: "t2", RevokedAt: ptr(t0)})
	expired := store.add(t, &scim.Token{ID: "t3", ExpiresAt: ptr(t0)})
	unknown, _, err := Generate()
	require.NoError(t, err)
	secrets := []string{valid, revoked, expired, unknown, "scimd_malformed"}

	a := NewAuthenticator(store, logger, func() time.Time { return t0 })
	a.FlushInterval = time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	for _, s := range secrets {
		_, _ = a.Authenticate(ctx, s)
	}
	cancel()
	a.Run(ctx) // flushes once (and fails, logging the failure)

	mu.Lock()
	out := buf.String()
	mu.Unlock()
	require.Contains(t, out, "revoked token used", "the test logs nothing; it proves nothing")
	require.Contains(t, out, "record token use")
	for _, s := range secrets {
		assert.NotContains(t, out, s)
		assert.NotContains(t, out, s[len(Prefix):])
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// A store whose index returned a row for another hash (a broken collation, a truncated
// column) must not authenticate: the hash is verified again in constant time.
func TestAuthenticateRejectsMismatchedStoredHash(t *testing.T) {
	t.Parallel()
	secret, _, err := Generate()
	require.NoError(t, err)
	store := mismatchedHashStore{}
	a := NewAuthenticator(store, slog.New(slog.DiscardHandler), time.Now)
	_, err = a.Authenticate(context.Background(), secret)
	require.ErrorIs(t, err, ErrUnknown)
}

type mismatchedHashStore struct{ scim.TokenStore }

func (mismatchedHashStore) TokenByHash(context.Context, []byte) (*scim.Token, error) {
	return &scim.Token{ID: "x", TenantID: "t", Hash: Hash("scimd_other")}, nil
}
