package dashboards

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"sync"

	"github.com/gin-gonic/gin"
)

//go:embed templates/*.html
var templateFS embed.FS

// staticFS holds the CSS/JS pmlens serves itself. static/vendor/ is not in git: it
// is filled from the npm registry by dashboards/web/build.sh. If the build stops
// here with "pattern static/vendor/echarts.min.js: no matching files found", run
// dashboards/web/build.sh first (the Makefile does this before go build / go test).
//
//go:embed static/app.js static/app.css static/admin.js static/favicon.svg static/vendor/echarts.min.js static/vendor/echarts.LICENSE.txt
var staticFS embed.FS

//go:embed openapi.yaml
var openAPISpec []byte

// asset is one static file with its content hash (for cache-busting URLs and ETags).
type asset struct {
	name  string
	data  []byte
	hash  string
	ctype string

	gzOnce sync.Once
	gz     []byte
}

type assets struct {
	files map[string]*asset
}

func loadAssets() (*assets, error) {
	a := &assets{files: map[string]*asset{}}
	err := fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		name := strings.TrimPrefix(p, "static/")
		ctype := mime.TypeByExtension(path.Ext(name))
		switch path.Ext(name) {
		case ".js":
			ctype = "text/javascript; charset=utf-8"
		case ".css":
			ctype = "text/css; charset=utf-8"
		case ".svg":
			ctype = "image/svg+xml"
		case ".txt":
			ctype = "text/plain; charset=utf-8"
		}
		if ctype == "" {
			ctype = "application/octet-stream"
		}
		a.files[name] = &asset{name: name, data: b, hash: hex.EncodeToString(sum[:])[:16], ctype: ctype}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading embedded static files: %w", err)
	}
	if _, ok := a.files["vendor/echarts.min.js"]; !ok {
		return nil, fmt.Errorf("static/vendor/echarts.min.js is missing: run dashboards/web/build.sh before building pmlens")
	}
	return a, nil
}

// url is the cache-busting address of a static file: the content hash in the query
// lets browsers keep it for a year and still fetch a new build's copy at once.
func (a *assets) url(name string) string {
	f, ok := a.files[name]
	if !ok {
		return "/static/" + name
	}
	return "/static/" + name + "?v=" + f.hash
}

func (f *asset) gzipped() []byte {
	f.gzOnce.Do(func() {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		_, _ = zw.Write(f.data)
		_ = zw.Close()
		f.gz = buf.Bytes()
	})
	return f.gz
}

func (s *server) static(c *gin.Context) {
	name := strings.TrimPrefix(c.Param("file"), "/")
	f, ok := s.assets.files[name]
	if !ok {
		c.Header("Cache-Control", "no-store")
		c.Data(http.StatusNotFound, "text/plain; charset=utf-8", []byte("no such static file\n"))
		return
	}
	etag := `"` + f.hash + `"`
	h := c.Writer.Header()
	h.Set("ETag", etag)
	h.Set("Vary", "Accept-Encoding")
	if c.Query("v") == f.hash {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	if etagMatches(c.GetHeader("If-None-Match"), etag) {
		c.Status(http.StatusNotModified)
		return
	}
	body := f.data
	compressible := strings.HasPrefix(f.ctype, "text/") || f.ctype == "image/svg+xml"
	if compressible && len(f.data) > 1024 && strings.Contains(c.GetHeader("Accept-Encoding"), "gzip") {
		body = f.gzipped()
		h.Set("Content-Encoding", "gzip")
	}
	c.Data(http.StatusOK, f.ctype, body)
}
