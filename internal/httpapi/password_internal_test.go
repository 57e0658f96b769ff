package httpapi

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/scimd/scimd/internal/scim"
)

// TestBcryptHash checks the default password hasher (the HTTP tests use a fast one): a salted
// bcrypt hash at the documented cost that verifies, and a 400 instead of bcrypt's silent
// truncation for passwords longer than 72 bytes.
func TestBcryptHash(t *testing.T) {
	t.Parallel()
	h1, err := bcryptHash("correct horse battery staple")
	require.NoError(t, err)
	h2, err := bcryptHash("correct horse battery staple")
	require.NoError(t, err)
	assert.NotEqual(t, h1, h2, "salted")
	assert.NoError(t, bcrypt.CompareHashAndPassword([]byte(h1), []byte("correct horse battery staple")))
	assert.Error(t, bcrypt.CompareHashAndPassword([]byte(h1), []byte("wrong")))
	cost, err := bcrypt.Cost([]byte(h1))
	require.NoError(t, err)
	assert.Equal(t, bcryptCost, cost)

	_, err = bcryptHash(strings.Repeat("é", 36)) // 72 bytes: the limit
	require.NoError(t, err)
	_, err = bcryptHash(strings.Repeat("x", bcryptMaxPassword+1))
	e, ok := scim.AsError(err)
	require.True(t, ok, "%v", err)
	assert.Equal(t, http.StatusBadRequest, e.Status)
	assert.Equal(t, scim.TypeInvalidValue, e.Type)
}
