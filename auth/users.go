package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

// User kinds.
const (
	// KindLocal users sign in with a password kept (hashed) in the users file.
	KindLocal = "local"
	// KindSSO records hold per-user grants, or a block, for a person who signs in
	// through the identity provider; they have no password.
	KindSSO = "sso"
)

// User is one record of the users file.
type User struct {
	Name       string   `json:"name"`
	Kind       string   `json:"kind"`
	Role       Role     `json:"role"`
	Portfolios []string `json:"portfolios,omitempty"`
	Programs   []string `json:"programs,omitempty"`
	AllScopes  bool     `json:"all_scopes"`
	// PasswordHash is an argon2id PHC string; never the password.
	PasswordHash string `json:"password_hash,omitempty"`
	Disabled     bool   `json:"disabled,omitempty"`
	// Generation changes whenever the password, role, scope or status changes;
	// sessions opened under an older generation end at their next request, in
	// this process or in a server that re-reads the file.
	Generation int64      `json:"generation"`
	Created    time.Time  `json:"created"`
	Updated    time.Time  `json:"updated"`
	Tokens     []APIToken `json:"tokens,omitempty"`
}

// APIToken is the stored form of an API token: its id and the hash of its secret.
type APIToken struct {
	ID      string    `json:"id"`
	Label   string    `json:"label,omitempty"`
	Hash    string    `json:"hash"`
	Created time.Time `json:"created"`
	// Expires is zero for a token that does not expire.
	Expires time.Time `json:"expires,omitzero"`
}

// usersFile is the JSON document on disk.
type usersFile struct {
	Version int    `json:"version"`
	Users   []User `json:"users"`
}

const usersFileVersion = 1

// maxUsersFile bounds what is read, so a damaged file cannot exhaust memory.
const maxUsersFile = 32 << 20

var userNamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$`)

// Errors of user management, for callers that tell them apart.
var (
	ErrNoUser     = errors.New("no such user")
	ErrUserExists = errors.New("user already exists")
)

// ValidUserName reports whether name can be a pmlens user name: letters, digits
// and . _ @ + - (so e-mail addresses work), at most 128 characters.
func ValidUserName(name string) bool { return userNamePattern.MatchString(name) }

// parseUsersFile reads and checks a users file.
func parseUsersFile(data []byte) (*usersFile, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return &usersFile{Version: usersFileVersion}, nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f usersFile
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("parsing users file: %w", err)
	}
	if dec.More() {
		return nil, errors.New("parsing users file: data after the JSON document")
	}
	if f.Version != usersFileVersion {
		return nil, fmt.Errorf("users file version %d is not %d (written by another pmlens version?)", f.Version, usersFileVersion)
	}
	seen := map[string]bool{}
	tokens := map[string]bool{}
	for i, u := range f.Users {
		if !ValidUserName(u.Name) {
			return nil, fmt.Errorf("users file: user %d: invalid name %q", i, u.Name)
		}
		key := strings.ToLower(u.Name)
		if seen[key] {
			return nil, fmt.Errorf("users file: user %q appears twice", u.Name)
		}
		seen[key] = true
		if u.Kind != KindLocal && u.Kind != KindSSO {
			return nil, fmt.Errorf("users file: user %q: kind %q is not local or sso", u.Name, u.Kind)
		}
		if u.Role < RoleViewer || u.Role > RoleAdmin {
			return nil, fmt.Errorf("users file: user %q has no role", u.Name)
		}
		if u.PasswordHash != "" {
			if _, _, _, err := parseHash(u.PasswordHash); err != nil {
				return nil, fmt.Errorf("users file: user %q: %w", u.Name, err)
			}
		}
		for _, t := range u.Tokens {
			if len(t.ID) != tokenIDLen || !strings.HasPrefix(t.Hash, "sha256:") || tokens[t.ID] {
				return nil, fmt.Errorf("users file: user %q: malformed or duplicate API token record", u.Name)
			}
			tokens[t.ID] = true
		}
	}
	return &f, nil
}

// userSnapshot is one parsed version of the users file with its indexes.
type userSnapshot struct {
	users  []User
	byName map[string]int // lower-cased name
	byTok  map[string]tokenRef
	stamp  fileStamp
}

type tokenRef struct{ user, token int }

// fileStamp identifies a version of the file: every write renames a new file into
// place, so the inode changes even when size and modification time do not.
type fileStamp struct {
	exists bool
	ino    uint64
	size   int64
	mtime  time.Time
}

func stampOf(fi os.FileInfo) fileStamp {
	st := fileStamp{exists: true, size: fi.Size(), mtime: fi.ModTime()}
	if sys, ok := fi.Sys().(*syscall.Stat_t); ok {
		st.ino = uint64(sys.Ino)
	}
	return st
}

func newSnapshot(f *usersFile, st fileStamp) *userSnapshot {
	s := &userSnapshot{users: f.Users, byName: map[string]int{}, byTok: map[string]tokenRef{}, stamp: st}
	for i, u := range f.Users {
		s.byName[strings.ToLower(u.Name)] = i
		for j, t := range u.Tokens {
			s.byTok[t.ID] = tokenRef{i, j}
		}
	}
	return s
}

func (s *userSnapshot) lookup(name string) (User, bool) {
	i, ok := s.byName[strings.ToLower(name)]
	if !ok {
		return User{}, false
	}
	return s.users[i], true
}

// UserStore keeps users in a JSON file (mode 0600) that a running server and the
// `pmlens users` command share. Writers take an exclusive flock on a lock file
// beside it, read the current version, write a complete new file and rename it
// into place, so readers never see half a file and need no lock. Readers notice a
// new version by the file's identity (inode, size, time) and re-parse it.
//
// DuckDB is not used here on purpose: it lets one process open a file for
// writing, and the server would otherwise have to hold the users database while
// the CLI edits it.
type UserStore struct {
	path   string
	log    *slog.Logger
	now    func() time.Time
	params HashParams

	mu  sync.Mutex // serialises reloads within the process
	cur *userSnapshot

	dummyOnce sync.Once
	dummy     string
}

// OpenUserStore returns the store of the users file at path. The file need not
// exist yet; it is created by the first change.
func OpenUserStore(path string, params HashParams, logger *slog.Logger, now func() time.Time) *UserStore {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if now == nil {
		now = time.Now
	}
	if params == (HashParams{}) {
		params = DefaultHashParams
	}
	return &UserStore{path: path, log: logger, now: now, params: params}
}

// Path is the users file.
func (s *UserStore) Path() string { return s.path }

// snapshot returns the current version of the file, re-reading it when changed.
func (s *UserStore) snapshot() (*userSnapshot, error) {
	fi, err := os.Stat(s.path)
	var st fileStamp
	switch {
	case err == nil:
		st = stampOf(fi)
	case errors.Is(err, fs.ErrNotExist):
	default:
		return nil, fmt.Errorf("reading users file %s: %w", s.path, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cur != nil && s.cur.stamp == st {
		return s.cur, nil
	}
	f, st, err := s.read()
	if err != nil {
		return nil, err
	}
	if st.exists && fi != nil && fi.Mode().Perm()&0o077 != 0 {
		s.log.Warn("users file is readable by other accounts; it should be mode 0600", "file", s.path, "mode", fi.Mode().Perm().String())
	}
	s.cur = newSnapshot(f, st)
	return s.cur, nil
}

// read parses the file as it is now.
func (s *UserStore) read() (*usersFile, fileStamp, error) {
	fh, err := os.Open(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return &usersFile{Version: usersFileVersion}, fileStamp{}, nil
	}
	if err != nil {
		return nil, fileStamp{}, fmt.Errorf("reading users file: %w", err)
	}
	defer fh.Close()
	fi, err := fh.Stat()
	if err != nil {
		return nil, fileStamp{}, fmt.Errorf("reading users file %s: %w", s.path, err)
	}
	if fi.Size() > maxUsersFile {
		return nil, fileStamp{}, fmt.Errorf("users file %s is larger than %d bytes", s.path, maxUsersFile)
	}
	data := make([]byte, fi.Size())
	if _, err := fh.ReadAt(data, 0); err != nil && fi.Size() > 0 {
		return nil, fileStamp{}, fmt.Errorf("reading users file %s: %w", s.path, err)
	}
	f, err := parseUsersFile(data)
	if err != nil {
		return nil, fileStamp{}, fmt.Errorf("%s: %w", s.path, err)
	}
	return f, stampOf(fi), nil
}

// update applies fn to the current users under the writers' lock and saves the result.
func (s *UserStore) update(ctx context.Context, fn func(f *usersFile) error) error {
	if err := os.MkdirAll(filepath.Dir(s.path), 0o700); err != nil {
		return fmt.Errorf("creating folder for the users file: %w", err)
	}
	lock, err := os.OpenFile(s.path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("opening users lock file: %w", err)
	}
	defer lock.Close()
	for {
		err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			return fmt.Errorf("locking %s: %w", lock.Name(), err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for another pmlens process editing %s: %w", s.path, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
	defer func() { _ = syscall.Flock(int(lock.Fd()), syscall.LOCK_UN) }()

	f, _, err := s.read()
	if err != nil {
		return err
	}
	if err := fn(f); err != nil {
		return err
	}
	f.Version = usersFileVersion
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(s.path, append(data, '\n'))
}

// writeFileAtomic writes data to a temporary file, syncs it and renames it over
// path, then syncs the folder so the rename survives a crash.
func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".users-*.tmp")
	if err != nil {
		return fmt.Errorf("writing users file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("writing users file: %w", err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("writing users file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("writing users file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing users file: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("replacing users file %s: %w", path, err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// Lookup returns the named user (names compare case-insensitively).
func (s *UserStore) Lookup(name string) (User, bool, error) {
	snap, err := s.snapshot()
	if err != nil {
		return User{}, false, err
	}
	u, ok := snap.lookup(name)
	return u, ok, nil
}

// List returns every user, sorted by name, without password or token hashes.
func (s *UserStore) List() ([]User, error) {
	snap, err := s.snapshot()
	if err != nil {
		return nil, err
	}
	out := make([]User, len(snap.users))
	for i, u := range snap.users {
		u.PasswordHash = ""
		toks := make([]APIToken, len(u.Tokens))
		for j, t := range u.Tokens {
			t.Hash = ""
			toks[j] = t
		}
		u.Tokens = toks
		out[i] = u
	}
	slices.SortFunc(out, func(a, b User) int { return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)) })
	return out, nil
}

// Grant is a role with the portfolios and programs it covers.
type Grant struct {
	Role       Role
	Portfolios []string
	Programs   []string
	// AllScopes covers every portfolio and program; admins always have it.
	AllScopes bool
}

func (g Grant) normalise() (Grant, error) {
	if g.Role < RoleViewer || g.Role > RoleAdmin {
		return g, errors.New("a user needs a role: viewer, analyst or admin")
	}
	g.Portfolios = cleanNames(g.Portfolios)
	g.Programs = cleanNames(g.Programs)
	if g.Role == RoleAdmin {
		g.AllScopes = true
	}
	if g.AllScopes {
		g.Portfolios, g.Programs = nil, nil
	}
	if !g.AllScopes && len(g.Portfolios) == 0 && len(g.Programs) == 0 {
		return g, errors.New("give the portfolios or programs the user may see, or all scopes")
	}
	return g, nil
}

func cleanNames(in []string) []string {
	var out []string
	for _, s := range in {
		if s = strings.TrimSpace(s); s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// AddUser creates a user. password is required for KindLocal and must be empty for
// KindSSO; the caller checks the password policy.
func (s *UserStore) AddUser(ctx context.Context, name, kind, password string, g Grant) error {
	if !ValidUserName(name) {
		return fmt.Errorf("%q is not a valid user name (letters, digits, . _ @ + -; at most 128)", name)
	}
	g, err := g.normalise()
	if err != nil {
		return err
	}
	var hash string
	switch kind {
	case KindLocal:
		if password == "" {
			return errors.New("a local user needs a password")
		}
		if hash, err = HashPassword(password, s.params); err != nil {
			return err
		}
	case KindSSO:
		if password != "" {
			return errors.New("single sign-on users have no password")
		}
	default:
		return fmt.Errorf("kind %q is not local or sso", kind)
	}
	now := s.now().UTC()
	return s.update(ctx, func(f *usersFile) error {
		for _, u := range f.Users {
			if strings.EqualFold(u.Name, name) {
				return fmt.Errorf("%w: %s", ErrUserExists, u.Name)
			}
		}
		f.Users = append(f.Users, User{Name: name, Kind: kind, Role: g.Role, Portfolios: g.Portfolios, Programs: g.Programs,
			AllScopes: g.AllScopes, PasswordHash: hash, Generation: 1, Created: now, Updated: now})
		return nil
	})
}

// modify applies fn to the named user and bumps its generation when bump is set.
func (s *UserStore) modify(ctx context.Context, name string, bump bool, fn func(u *User) error) error {
	now := s.now().UTC()
	return s.update(ctx, func(f *usersFile) error {
		for i := range f.Users {
			u := &f.Users[i]
			if !strings.EqualFold(u.Name, name) {
				continue
			}
			if err := fn(u); err != nil {
				return err
			}
			u.Updated = now
			if bump {
				u.Generation++
			}
			return nil
		}
		return fmt.Errorf("%w: %s", ErrNoUser, name)
	})
}

// SetPassword replaces a local user's password and ends their sessions.
func (s *UserStore) SetPassword(ctx context.Context, name, password string) error {
	hash, err := HashPassword(password, s.params)
	if err != nil {
		return err
	}
	return s.modify(ctx, name, true, func(u *User) error {
		if u.Kind != KindLocal {
			return fmt.Errorf("%s signs in through single sign-on and has no password", u.Name)
		}
		u.PasswordHash = hash
		return nil
	})
}

// SetDisabled disables (ending every session and refusing its API tokens) or
// re-enables a user.
func (s *UserStore) SetDisabled(ctx context.Context, name string, disabled bool) error {
	return s.modify(ctx, name, true, func(u *User) error {
		u.Disabled = disabled
		return nil
	})
}

// SetGrant changes a user's role and scope; their sessions end so the new grant
// applies from the next sign-in.
func (s *UserStore) SetGrant(ctx context.Context, name string, g Grant) error {
	g, err := g.normalise()
	if err != nil {
		return err
	}
	return s.modify(ctx, name, true, func(u *User) error {
		u.Role, u.Portfolios, u.Programs, u.AllScopes = g.Role, g.Portfolios, g.Programs, g.AllScopes
		return nil
	})
}

// CreateToken issues an API token for the user and returns it; it is not stored
// and cannot be shown again. ttl 0 makes a token that does not expire.
func (s *UserStore) CreateToken(ctx context.Context, name, label string, ttl time.Duration) (string, APIToken, error) {
	tok, id, hash, err := newToken()
	if err != nil {
		return "", APIToken{}, err
	}
	now := s.now().UTC()
	rec := APIToken{ID: id, Label: strings.TrimSpace(label), Hash: hash, Created: now}
	if ttl > 0 {
		rec.Expires = now.Add(ttl)
	}
	err = s.modify(ctx, name, false, func(u *User) error {
		u.Tokens = append(u.Tokens, rec)
		return nil
	})
	if err != nil {
		return "", APIToken{}, err
	}
	rec.Hash = ""
	return tok, rec, nil
}

// RevokeToken deletes one of the user's API tokens.
func (s *UserStore) RevokeToken(ctx context.Context, name, id string) error {
	return s.modify(ctx, name, false, func(u *User) error {
		for i, t := range u.Tokens {
			if t.ID == id {
				u.Tokens = slices.Delete(u.Tokens, i, i+1)
				return nil
			}
		}
		return fmt.Errorf("%s has no API token %q", u.Name, id)
	})
}

// errBadCredentials covers unknown user, wrong password, disabled user and an SSO
// user trying a password, so responses do not tell them apart.
var errBadCredentials = errors.New("unknown user or wrong password")

// checkPassword verifies a sign-in. It spends the same hashing work whether or not
// the user exists, so timing does not reveal user names.
func (s *UserStore) checkPassword(name, password string) (User, error) {
	snap, err := s.snapshot()
	if err != nil {
		return User{}, err
	}
	u, ok := snap.lookup(name)
	if !ok || u.Kind != KindLocal || u.PasswordHash == "" {
		_ = VerifyPassword(password, s.dummyHash())
		return User{}, errBadCredentials
	}
	if err := VerifyPassword(password, u.PasswordHash); err != nil {
		if !errors.Is(err, ErrPasswordMismatch) {
			s.log.Error("stored password hash unreadable", "user", u.Name, "err", err)
		}
		return User{}, errBadCredentials
	}
	if u.Disabled {
		return u, errUserDisabled
	}
	return u, nil
}

var errUserDisabled = errors.New("user is disabled")

func (s *UserStore) dummyHash() string {
	s.dummyOnce.Do(func() {
		s.dummy, _ = HashPassword("pmlens-no-such-user", s.params)
	})
	return s.dummy
}

// checkToken finds the user and token record of a presented API token.
func (s *UserStore) checkToken(tok string, now time.Time) (User, APIToken, error) {
	id, secret, err := parseToken(tok)
	if err != nil {
		return User{}, APIToken{}, err
	}
	snap, err := s.snapshot()
	if err != nil {
		return User{}, APIToken{}, err
	}
	ref, ok := snap.byTok[id]
	if !ok {
		// Spend the comparison anyway, so unknown ids take as long as wrong secrets.
		secretMatches(secret, "sha256:")
		return User{}, APIToken{}, errBadToken
	}
	u := snap.users[ref.user]
	t := u.Tokens[ref.token]
	if !secretMatches(secret, t.Hash) {
		return User{}, APIToken{}, errBadToken
	}
	if u.Disabled {
		return u, t, errUserDisabled
	}
	if !t.Expires.IsZero() && !now.Before(t.Expires) {
		return u, t, errTokenExpired
	}
	return u, t, nil
}

var errTokenExpired = errors.New("API token expired")
