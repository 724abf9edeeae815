package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
)

// API tokens look like pmlens_<id>_<secret>: id (16 hex digits) finds the stored
// record without scanning, secret (256 random bits) proves possession. Only the
// SHA-256 of the secret is stored: with 256 bits of entropy a fast hash cannot be
// reversed, and checking a token costs no more than a map lookup.
const (
	tokenPrefix    = "pmlens_"
	tokenIDBytes   = 8
	tokenSecBytes  = 32
	tokenIDLen     = 2 * tokenIDBytes
	tokenSecretLen = 43 // base64url, unpadded, of 32 bytes
	tokenLen       = len(tokenPrefix) + tokenIDLen + 1 + tokenSecretLen
)

var errBadToken = errors.New("not a pmlens API token")

// newToken returns a fresh token and its id and stored hash.
func newToken() (token, id, hash string, err error) {
	b := make([]byte, tokenIDBytes+tokenSecBytes)
	if _, err := rand.Read(b); err != nil {
		return "", "", "", err
	}
	id = hex.EncodeToString(b[:tokenIDBytes])
	secret := base64.RawURLEncoding.EncodeToString(b[tokenIDBytes:])
	return tokenPrefix + id + "_" + secret, id, hashSecret(secret), nil
}

// parseToken splits a presented token into id and secret, rejecting anything not
// exactly in the issued shape before it reaches a lookup.
func parseToken(s string) (id, secret string, err error) {
	if len(s) != tokenLen || !strings.HasPrefix(s, tokenPrefix) {
		return "", "", errBadToken
	}
	rest := s[len(tokenPrefix):]
	id, secret = rest[:tokenIDLen], rest[tokenIDLen+1:]
	if rest[tokenIDLen] != '_' {
		return "", "", errBadToken
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return "", "", errBadToken
		}
	}
	if _, err := base64.RawURLEncoding.Strict().DecodeString(secret); err != nil {
		return "", "", errBadToken
	}
	return id, secret, nil
}

func hashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// secretMatches compares a presented secret with a stored hash in constant time.
func secretMatches(secret, stored string) bool {
	return subtle.ConstantTimeCompare([]byte(hashSecret(secret)), []byte(stored)) == 1
}

// bearerToken returns the token of an "Authorization: Bearer" header.
func bearerToken(h string) (string, bool) {
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}
