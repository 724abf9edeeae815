package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// HashParams are argon2id's cost parameters. Stored hashes carry their own, so
// raising the defaults later leaves existing passwords verifiable.
type HashParams struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8
}

// DefaultHashParams follow RFC 9106's second recommended option (64 MiB, 3 passes),
// with 2 lanes for a small server; OWASP's floor is 19 MiB and 2 passes.
var DefaultHashParams = HashParams{Memory: 64 * 1024, Time: 3, Threads: 2}

const (
	saltLen        = 16
	keyLen         = 32
	maxPasswordLen = 1024 // bytes; longer input is refused before hashing
	// Bounds for parameters read from a users file, so a tampered file cannot make
	// every sign-in allocate gigabytes.
	maxHashMemory = 1 << 20 // 1 GiB in KiB
	maxHashTime   = 64
)

// ErrPasswordMismatch is returned by VerifyPassword for a wrong password.
var ErrPasswordMismatch = errors.New("password does not match")

// HashPassword returns the PHC-format argon2id hash of password:
// $argon2id$v=19$m=65536,t=3,p=2$<salt>$<hash> (unpadded standard base64).
func HashPassword(password string, p HashParams) (string, error) {
	if len(password) > maxPasswordLen {
		return "", fmt.Errorf("password longer than %d bytes", maxPasswordLen)
	}
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("reading random salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, keyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// VerifyPassword checks password against a hash made by HashPassword, in constant
// time for a given hash. It returns ErrPasswordMismatch for a wrong password and
// another error for a malformed hash.
func VerifyPassword(password, encoded string) error {
	p, salt, key, err := parseHash(encoded)
	if err != nil {
		return err
	}
	if len(password) > maxPasswordLen {
		return ErrPasswordMismatch
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, uint32(len(key)))
	if subtle.ConstantTimeCompare(got, key) != 1 {
		return ErrPasswordMismatch
	}
	return nil
}

// parseHash reads a PHC argon2id string, refusing parameters outside sane bounds.
func parseHash(s string) (HashParams, []byte, []byte, error) {
	var p HashParams
	bad := func(why string) (HashParams, []byte, []byte, error) {
		return HashParams{}, nil, nil, fmt.Errorf("malformed password hash: %s", why)
	}
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" {
		return bad("expected $argon2id$v=..$m=..,t=..,p=..$salt$hash")
	}
	if parts[1] != "argon2id" {
		return bad("algorithm " + strconv.Quote(parts[1]) + " is not argon2id")
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return bad("unsupported version " + strconv.Quote(parts[2]))
	}
	seen := map[string]bool{}
	for _, kv := range strings.Split(parts[3], ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || seen[k] {
			return bad("parameters")
		}
		seen[k] = true
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return bad("parameter " + k)
		}
		switch k {
		case "m":
			p.Memory = uint32(n)
		case "t":
			p.Time = uint32(n)
		case "p":
			if n > 255 {
				return bad("parallelism")
			}
			p.Threads = uint8(n)
		default:
			return bad("unknown parameter " + strconv.Quote(k))
		}
	}
	if len(seen) != 3 || p.Time < 1 || p.Time > maxHashTime || p.Threads < 1 || p.Memory < 8*uint32(p.Threads) || p.Memory > maxHashMemory {
		return bad("parameters out of range")
	}
	salt, err := base64.RawStdEncoding.Strict().DecodeString(parts[4])
	if err != nil || len(salt) < 8 || len(salt) > 64 {
		return bad("salt")
	}
	key, err := base64.RawStdEncoding.Strict().DecodeString(parts[5])
	if err != nil || len(key) < 16 || len(key) > 64 {
		return bad("hash")
	}
	return p, salt, key, nil
}

// CheckPasswordPolicy returns why password is unacceptable, or nil. Length is
// counted in characters; composition rules are deliberately absent (NIST SP 800-63B).
func CheckPasswordPolicy(password, user string, minLen int) error {
	n := utf8.RuneCountInString(password)
	switch {
	case !utf8.ValidString(password):
		return errors.New("the password is not valid UTF-8")
	case n < minLen:
		return fmt.Errorf("the password needs at least %d characters (it has %d)", minLen, n)
	case len(password) > maxPasswordLen:
		return fmt.Errorf("the password is longer than %d bytes", maxPasswordLen)
	case user != "" && strings.EqualFold(password, user):
		return errors.New("the password must not be the user name")
	}
	return nil
}
