package auth

import (
	"context"
	"crypto/subtle"
	"errors"
	"log/slog"
	"maps"
	"net/http"
	"sync"
	"time"

	"github.com/scimd/scimd/internal/scim"
)

// The 401 errors Authenticate returns. Telling the client which of the four it is helps an
// administrator fix a connection (an expired token needs a new one, a malformed one was pasted
// wrong) and reveals nothing an attacker can use: the token itself is never echoed.
var (
	ErrMalformed = &scim.Error{Status: http.StatusUnauthorized, Detail: "bearer token is malformed; expected a token created by scimctl token create"}
	ErrUnknown   = &scim.Error{Status: http.StatusUnauthorized, Detail: "bearer token is not known"}
	ErrExpired   = &scim.Error{Status: http.StatusUnauthorized, Detail: "bearer token has expired"}
	ErrRevoked   = &scim.Error{Status: http.StatusUnauthorized, Detail: "bearer token has been revoked"}
)

// DefaultFlushInterval is how often Run writes last-used times to the store.
const DefaultFlushInterval = 30 * time.Second

// Authenticator checks bearer tokens against a scim.TokenStore. It keeps no cache of valid
// tokens, so a revocation takes effect on the next request; what it batches is the last-used
// time, so that authentication costs one indexed read and no write per request.
type Authenticator struct {
	store  scim.TokenStore
	logger *slog.Logger
	now    func() time.Time

	// FlushInterval is how often Run flushes last-used times (DefaultFlushInterval unless
	// changed before Run starts).
	FlushInterval time.Duration

	mu   sync.Mutex
	used map[string]time.Time // token id -> last successful authentication
}

// NewAuthenticator returns an Authenticator on store. A nil logger discards logs; a nil now
// means time.Now.
func NewAuthenticator(store scim.TokenStore, logger *slog.Logger, now func() time.Time) *Authenticator {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if now == nil {
		now = time.Now
	}
	return &Authenticator{
		store:         store,
		logger:        logger,
		now:           now,
		FlushInterval: DefaultFlushInterval,
		used:          make(map[string]time.Time),
	}
}

// Authenticate returns the token record for bearer, the secret of an Authorization: Bearer
// header. A malformed, unknown, expired or revoked token is a 401 *scim.Error (ErrMalformed,
// ErrUnknown, ErrExpired, ErrRevoked). A store failure is returned as the store reported it
// (scim.ErrUnavailable when the database is down), so the client sees 503, not 401.
func (a *Authenticator) Authenticate(ctx context.Context, bearer string) (*scim.Token, error) {
	if !LooksLikeToken(bearer) {
		return nil, ErrMalformed
	}
	// The store looks the token up by the SHA-256 of the secret. Any timing difference in that
	// lookup depends on the hash, which an attacker cannot steer toward a stored one, so it
	// leaks nothing about stored secrets; the hash the store returns is still compared in
	// constant time, so that verification never rests on the database's comparison alone.
	sum := Hash(bearer)
	tok, err := a.store.TokenByHash(ctx, sum)
	switch {
	case errors.Is(err, scim.ErrNotFound):
		return nil, ErrUnknown
	case err != nil:
		return nil, err
	case tok == nil || subtle.ConstantTimeCompare(tok.Hash, sum) != 1:
		return nil, ErrUnknown
	}
	now := a.now()
	if tok.RevokedAt != nil {
		a.logger.LogAttrs(ctx, slog.LevelInfo, "revoked token used",
			slog.String("token_id", tok.ID), slog.String("tenant", tok.TenantName))
		return nil, ErrRevoked
	}
	if tok.ExpiresAt != nil && !now.Before(*tok.ExpiresAt) {
		a.logger.LogAttrs(ctx, slog.LevelInfo, "expired token used",
			slog.String("token_id", tok.ID), slog.String("tenant", tok.TenantName))
		return nil, ErrExpired
	}
	a.mu.Lock()
	a.used[tok.ID] = now
	a.mu.Unlock()
	return tok, nil
}

// Flush writes the last-used times recorded since the previous flush with one RecordTokenUse
// call. When that fails the times are kept (unless a newer one arrived meanwhile) for the next
// flush.
func (a *Authenticator) Flush(ctx context.Context) error {
	a.mu.Lock()
	batch := a.used
	a.used = make(map[string]time.Time)
	a.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	err := a.store.RecordTokenUse(ctx, batch)
	if err == nil {
		return nil
	}
	a.mu.Lock()
	for id, at := range batch {
		if cur, ok := a.used[id]; !ok || cur.Before(at) {
			a.used[id] = at
		}
	}
	a.mu.Unlock()
	return err
}

// pending returns a copy of the last-used times not yet flushed (for tests).
func (a *Authenticator) pending() map[string]time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	return maps.Clone(a.used)
}

// flushTimeout bounds the final flush when Run stops: shutdown must not hang on a slow database.
const flushTimeout = 5 * time.Second

// Run flushes last-used times every FlushInterval until ctx ends, then flushes once more with
// a fresh short deadline (ctx is already done by then) and returns. Flush errors are logged,
// not returned: a lost last-used time is not worth stopping the server for.
func (a *Authenticator) Run(ctx context.Context) {
	interval := a.FlushInterval
	if interval <= 0 {
		interval = DefaultFlushInterval
	}
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		select {
		case <-ticker.C:
			if err := a.Flush(ctx); err != nil {
				a.logger.Warn("record token use", "err", err)
			}
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), flushTimeout)
			err := a.Flush(fctx)
			cancel()
			if err != nil {
				a.logger.Warn("record token use at shutdown", "err", err)
			}
			return
		}
	}
}
