package auth

import (
	"crypto/tls"
	"fmt"
	"net"
	"os"
	"sync"
	"time"

	"github.com/pmlens/pmlens/configs"
)

// CheckListen is the one place that decides whether pmlens may listen on addr:
//   - with sign-in off, only loopback addresses (the single-user demo);
//   - with sign-in on and a non-loopback address, only when browsers reach pmlens
//     over HTTPS (auth.tls, or auth.external_url https:// for a TLS proxy), so
//     passwords and session cookies never cross the network in clear text.
func CheckListen(addr string, cfg configs.AuthConfig) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("server address %q is not host:port", addr)
	}
	if isLoopback(host) {
		return nil
	}
	if !cfg.IsEnabled() {
		return fmt.Errorf("refusing to listen on %s: sign-in is off (auth.enabled: false), so pmlens binds only loopback addresses (127.0.0.1, ::1, localhost); turn sign-in on to share it", addr)
	}
	if !cfg.SecureTransport() {
		return fmt.Errorf("refusing to listen on %s without TLS: set auth.tls.cert_file and key_file, or put a TLS proxy in front and set auth.external_url to its https:// address", addr)
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// TLSConfig returns the server TLS configuration for auth.tls, or nil when TLS is
// not configured. The certificate is re-read when its files change, so a renewed
// certificate is served without a restart. Only TLS 1.2 and newer are offered.
func TLSConfig(cfg configs.AuthConfig) (*tls.Config, error) {
	if !cfg.TLSEnabled() {
		return nil, nil
	}
	r := &certReloader{cert: cfg.TLS.CertFile, key: cfg.TLS.KeyFile}
	if _, err := r.get(); err != nil {
		return nil, err
	}
	return &tls.Config{
		MinVersion:     tls.VersionTLS12,
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return r.get() },
	}, nil
}

type certReloader struct {
	cert, key string
	mu        sync.Mutex
	loaded    *tls.Certificate
	certTime  time.Time
	keyTime   time.Time
	checked   time.Time
}

func (r *certReloader) get() (*tls.Certificate, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.loaded != nil && time.Since(r.checked) < 10*time.Second {
		return r.loaded, nil
	}
	r.checked = time.Now()
	cs, err1 := os.Stat(r.cert)
	ks, err2 := os.Stat(r.key)
	if err1 != nil || err2 != nil {
		if r.loaded != nil {
			return r.loaded, nil // keep serving the last good pair while files are replaced
		}
		return nil, fmt.Errorf("reading TLS certificate: %w", firstErr(err1, err2))
	}
	if r.loaded != nil && cs.ModTime().Equal(r.certTime) && ks.ModTime().Equal(r.keyTime) {
		return r.loaded, nil
	}
	c, err := tls.LoadX509KeyPair(r.cert, r.key)
	if err != nil {
		if r.loaded != nil {
			return r.loaded, nil
		}
		return nil, fmt.Errorf("loading TLS certificate %s and key: %w", r.cert, err)
	}
	r.loaded, r.certTime, r.keyTime = &c, cs.ModTime(), ks.ModTime()
	return r.loaded, nil
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}
