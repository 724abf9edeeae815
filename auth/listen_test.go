package auth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pmlens/pmlens/configs"
)

func TestTLSConfig(t *testing.T) {
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	writeSelfSigned(t, cert, key)
	cfg := configs.DefaultAuthConfig()
	if c, err := TLSConfig(cfg); err != nil || c != nil {
		t.Fatalf("no TLS configured: %v %v", c, err)
	}
	cfg.TLS = configs.TLSFilesConfig{CertFile: cert, KeyFile: key}
	c, err := TLSConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if c.MinVersion != tls.VersionTLS12 {
		t.Errorf("MinVersion %x", c.MinVersion)
	}
	if got, err := c.GetCertificate(&tls.ClientHelloInfo{}); err != nil || got == nil {
		t.Fatalf("GetCertificate: %v", err)
	}
	cfg.TLS.KeyFile = filepath.Join(dir, "missing.pem")
	if _, err := TLSConfig(cfg); err == nil {
		t.Fatal("a missing key file was accepted")
	}
}

func writeSelfSigned(t *testing.T, certFile, keyFile string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "pmlens.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), DNSNames: []string{"pmlens.test"}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestPreflight(t *testing.T) {
	f := newFixture(t, nil)
	if w := f.svc.Preflight(t.Context()); len(w) != 1 || !strings.Contains(w[0], "pmlens users add") {
		t.Fatalf("no users: %v", w)
	}
	f.addUser("adam", RoleAdmin)
	if w := f.svc.Preflight(t.Context()); len(w) != 0 {
		t.Fatalf("with an admin: %v", w)
	}
	off := false
	g := newFixture(t, func(c *configs.AuthConfig) { c.Enabled = &off })
	if w := g.svc.Preflight(t.Context()); len(w) != 1 || !strings.Contains(w[0], "sign-in is off") {
		t.Fatalf("sign-in off: %v", w)
	}
}
