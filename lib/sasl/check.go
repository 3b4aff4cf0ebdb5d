package sasl

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"syscall"

	"gyrus/lib/sasl/saslauthd"
	"gyrus/lib/sasl/sasldb"
	"gyrus/lib/sasl/store"
)

// Authenticator checks passwords with the configured methods.
type Authenticator struct {
	opts   Options
	realm  string
	store  *store.Store
	daemon *saslauthd.Client

	mu     sync.Mutex // guards the sasldb2 cache
	legacy *sasldb.DB
	stamp  [4]int64 // dev, ino, size, mtime of the cached sasldb2

	fakeKey [32]byte // derives stable fake SCRAM salts for unknown users
}

// New prepares the password checks of opts. It fails on a method or
// auxprop plugin it does not know (Cyrus would log and refuse logins).
func New(opts Options) (*Authenticator, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	a := &Authenticator{
		opts:   opts,
		realm:  opts.realm(),
		store:  store.Open(store.PathFor(opts.sasldbPath()), opts.ScramIterations),
		daemon: &saslauthd.Client{Path: opts.SaslauthdPath},
	}
	if _, err := rand.Read(a.fakeKey[:]); err != nil {
		return nil, fmt.Errorf("sasl: %w", err)
	}
	return a, nil
}

// Options returns the settings the Authenticator was made with.
func (a *Authenticator) Options() Options { return a.opts }

// Store is the hashed secrets store of the auxprop method.
func (a *Authenticator) Store() *store.Store { return a.store }

// SplitAuxprop splits a canonical id into sasldb user and realm the way
// libsasl's sasldb plugin does: at the first '@'; no '@' means the
// realm is servername.
func (a *Authenticator) SplitAuxprop(id string) (user, realm string) {
	if u, r, ok := strings.Cut(id, "@"); ok {
		return u, r
	}
	return id, a.realm
}

// CheckPassword checks password for the canonical id user with each
// configured method in turn. It returns the method that accepted, or an
// *Error: CodeBadAuth (wrong password), CodeNoUser (unknown everywhere),
// CodeFail/CodeUnavail (a back end could not answer).
func (a *Authenticator) CheckPassword(ctx context.Context, user string, password []byte) (string, error) {
	if user == "" {
		return "", errf(CodeBadParam, "empty user")
	}
	var last *Error
	for _, m := range a.opts.methods() {
		m = strings.ToLower(m)
		var err *Error
		switch m {
		case MethodAlwaysTrue:
			return m, nil
		case MethodAuxprop:
			err = a.checkAuxprop(user, password)
		case MethodSaslauthd:
			err = a.checkSaslauthd(ctx, user, password)
		}
		if err == nil {
			return m, nil
		}
		last = err
	}
	// libsasl's final word for a failed checkpass.
	if last.Detail == "" {
		last.Detail = "checkpass failed"
	}
	return "", last
}

func (a *Authenticator) checkAuxprop(id string, password []byte) *Error {
	user, realm := a.SplitAuxprop(id)
	rec, ok, err := a.store.Lookup(user, realm)
	if err != nil {
		return &Error{Code: CodeFail, Detail: "auxprop store", Err: err}
	}
	if ok {
		if rec.Deleted {
			return errf(CodeNoUser, "checkpass failed")
		}
		if rec.Verify(password) {
			return nil
		}
		return errf(CodeBadAuth, "checkpass failed")
	}
	db, err := a.sasldb()
	if err != nil {
		return &Error{Code: CodeFail, Detail: "sasldb", Err: err}
	}
	if db == nil {
		return errf(CodeNoUser, "checkpass failed")
	}
	switch db.CheckPassword(user, realm, password) {
	case sasldb.Match:
		return nil
	case sasldb.Mismatch:
		return errf(CodeBadAuth, "checkpass failed")
	}
	return errf(CodeNoUser, "checkpass failed")
}

// sasldb returns the parsed sasldb2, re-read when the file changed; nil
// (and no error) when there is no such file.
func (a *Authenticator) sasldb() (*sasldb.DB, error) {
	path := a.opts.sasldbPath()
	fi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var stamp [4]int64
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		stamp = [4]int64{int64(st.Dev), int64(st.Ino), st.Size, st.Mtim.Nano()}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.legacy != nil && a.stamp == stamp {
		return a.legacy, nil
	}
	db, err := sasldb.Open(path)
	if err != nil {
		return nil, err
	}
	a.legacy, a.stamp = db, stamp
	return db, nil
}

func (a *Authenticator) checkSaslauthd(ctx context.Context, id string, password []byte) *Error {
	user, realm := id, ""
	if i := strings.LastIndexByte(id, '@'); i >= 0 {
		user, realm = id[:i], id[i+1:]
	}
	ok, _, err := a.daemon.Check(ctx, user, string(password), a.opts.Service, realm)
	if err != nil {
		return &Error{Code: CodeFail, Detail: "saslauthd", Err: err}
	}
	if !ok {
		return errf(CodeBadAuth, "checkpass failed")
	}
	return nil
}

// SupportsScram reports whether SCRAM keys can be had (auxprop method).
func (a *Authenticator) SupportsScram() bool { return a.opts.hasMethod(MethodAuxprop) }

// ScramSecret returns the SCRAM verifier of scheme for the canonical id:
// from the hashed store, else derived from a clear sasldb2 password
// (libsasl's SCRAM plugin does the same). For an unknown user it returns
// a fake verifier with a stable salt and found=false, so the exchange
// can fail at the proof like for a wrong password (RFC 5802 section 9).
func (a *Authenticator) ScramSecret(id, scheme string) (sec store.Secret, found bool, err error) {
	if !a.SupportsScram() {
		return store.Secret{}, false, errf(CodeNoMech, "SCRAM needs the auxprop password check")
	}
	user, realm := a.SplitAuxprop(id)
	rec, ok, err := a.store.Lookup(user, realm)
	if err != nil {
		return store.Secret{}, false, &Error{Code: CodeFail, Detail: "auxprop store", Err: err}
	}
	if ok && !rec.Deleted {
		if s, has := rec.Secret(scheme); has {
			return s, true, nil
		}
		return store.Secret{}, false, errf(CodeNoVerify, "no %s secret", scheme)
	}
	if !ok {
		db, err := a.sasldb()
		if err != nil {
			return store.Secret{}, false, &Error{Code: CodeFail, Detail: "sasldb", Err: err}
		}
		if db != nil {
			if v, has := db.Get(user, realm, sasldb.PropAuthPassword); has {
				if s, err := store.ParseSecret(string(v)); err == nil && s.Scheme == scheme {
					return s, true, nil
				}
			}
			if pw, has := db.ClearPassword(user, realm); has {
				s, err := store.DeriveSecret(scheme, pw, a.fakeSalt("salt", id), store.MinIterations)
				if err != nil {
					return store.Secret{}, false, &Error{Code: CodeFail, Detail: "derive", Err: err}
				}
				return s, true, nil
			}
		}
	}
	// Unknown or deleted: random keys that no proof matches.
	return store.Secret{
		Scheme: scheme, Iterations: store.MinIterations, Salt: a.fakeSalt("fake", id),
		StoredKey: a.fakeSalt("stored", id), ServerKey: a.fakeSalt("server", id),
	}, false, nil
}

func (a *Authenticator) fakeSalt(label, id string) []byte {
	m := hmac.New(sha256.New, a.fakeKey[:])
	m.Write([]byte(label + "\x00" + id))
	return m.Sum(nil)[:16]
}
