package auth

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
)

//go:embed templates/*.html templates/auth.css
var templateFS embed.FS

var (
	pageTemplates = template.Must(template.ParseFS(templateFS, "templates/*.html"))
	authCSS, _    = templateFS.ReadFile("templates/auth.css")
)

// Register adds the sign-in and sign-out pages, single sign-on endpoints and the
// admin user API (/api/v1/admin/users..., admins only) to r.
func (s *Service) Register(r gin.IRouter) {
	r.GET(SignInPath, s.getSignIn)
	r.POST(SignInPath, s.postSignIn)
	r.GET(SignOutPath, s.getSignOut)
	r.POST(SignOutPath, s.postSignOut)
	r.GET(authStatic+"auth.css", func(c *gin.Context) {
		c.Header("Cache-Control", "public, max-age=3600")
		c.Data(http.StatusOK, "text/css; charset=utf-8", authCSS)
	})
	r.GET(oidcLoginPath, s.oidcLogin)
	r.GET(oidcCallback, s.oidcCallback)
	s.registerAdmin(r)
}

type signInPage struct {
	Title, Error, Next, Username string
	Disabled, Local, SSO         bool
	SSOLabel, SSOHref            string
	Idle, Absolute               string
}

func (s *Service) signInData(next string) signInPage {
	d := signInPage{Title: "Sign in", Next: next, Disabled: !s.enabled, Local: true,
		Idle: humanDuration(s.cfg.Session.IdleTimeout), Absolute: humanDuration(s.cfg.Session.AbsoluteTimeout)}
	if s.oidc != nil {
		d.SSO, d.SSOLabel = true, s.cfg.OIDC.Label
		d.SSOHref = oidcLoginPath + "?next=" + url.QueryEscape(next)
	}
	return d
}

func (s *Service) getSignIn(c *gin.Context) {
	next := safeNext(c.Query("next"))
	if p, ok := FromContext(c); ok && !p.Anonymous && s.enabled {
		c.Redirect(http.StatusFound, next)
		return
	}
	renderPage(c.Writer, http.StatusOK, "signin.html", s.signInData(next))
}

func (s *Service) postSignIn(c *gin.Context) {
	r := c.Request
	next := safeNext(c.PostForm("next"))
	if !s.enabled {
		c.Redirect(http.StatusSeeOther, next)
		return
	}
	name := strings.TrimSpace(c.PostForm("username"))
	password := c.PostForm("password")
	ip := s.clientIP(r)
	page := s.signInData(next)
	page.Username = name
	if len(name) > 256 {
		page.Username = ""
	}

	if until, locked := s.ipFail.locked(ipKey(ip)); locked {
		s.auditReq(r, EventSignInLocked, name, "client "+ip+" is locked out")
		page.Error = "Too many failed sign-ins from your address. Try again after " + until.Local().Format("15:04") + "."
		renderPage(c.Writer, http.StatusTooManyRequests, "signin.html", page)
		return
	}
	if until, locked := s.userFail.locked(userKey(name)); locked {
		s.auditReq(r, EventSignInLocked, name, "user is locked out; client "+ip)
		page.Error = "Too many failed sign-ins for this user. Try again after " + until.Local().Format("15:04") + "."
		renderPage(c.Writer, http.StatusTooManyRequests, "signin.html", page)
		return
	}

	select {
	case s.hashSem <- struct{}{}:
	case <-r.Context().Done():
		return
	}
	u, err := s.users.checkPassword(name, password)
	<-s.hashSem

	if err != nil {
		if !errors.Is(err, errBadCredentials) && !errors.Is(err, errUserDisabled) {
			s.log.Error("sign-in failed: users file", "err", err)
			page.Error = "Sign-in is unavailable right now; the server log has the details."
			renderPage(c.Writer, http.StatusServiceUnavailable, "signin.html", page)
			return
		}
		s.auditReq(r, EventSignInFailed, name, err.Error()+"; client "+ip)
		if name != "" && s.userFail.fail(userKey(name)) {
			s.auditReq(r, EventLockout, name, "user locked out after repeated failures; client "+ip)
		}
		if s.ipFail.fail(ipKey(ip)) {
			s.auditReq(r, EventLockout, "", "client "+ip+" locked out after repeated failures")
		}
		// One message for unknown user, wrong password and disabled user: the page
		// must not reveal which names exist.
		page.Error = "Unknown user or wrong password."
		renderPage(c.Writer, http.StatusUnauthorized, "signin.html", page)
		return
	}
	s.userFail.reset(userKey(name))
	if err := s.startSession(c.Writer, r, &session{subject: "local:" + strings.ToLower(u.Name), user: u.Name,
		method: MethodPassword, generation: u.Generation}); err != nil {
		s.log.Error("creating session", "err", err)
		page.Error = "Sign-in is unavailable right now; the server log has the details."
		renderPage(c.Writer, http.StatusInternalServerError, "signin.html", page)
		return
	}
	s.auditReq(r, EventSignIn, u.Name, "password; client "+ip)
	c.Redirect(http.StatusSeeOther, next)
}

// startSession ends the browser's current session, if any, and opens a new one
// under a new id: a session id never survives a change of privilege.
func (s *Service) startSession(w http.ResponseWriter, r *http.Request, sess *session) error {
	if old, err := r.Cookie(s.cookieName(r)); err == nil {
		s.sessions.delete(old.Value)
	}
	id, err := s.sessions.create(sess)
	if err != nil {
		return err
	}
	s.setSessionCookie(w, r, id)
	return nil
}

func (s *Service) getSignOut(c *gin.Context) {
	var user string
	if p, ok := FromContext(c); ok && !p.Anonymous {
		user = p.User
	}
	renderPage(c.Writer, http.StatusOK, "signout.html", map[string]string{"Title": "Sign out", "User": user})
}

func (s *Service) postSignOut(c *gin.Context) {
	r := c.Request
	if ck, err := r.Cookie(s.cookieName(r)); err == nil {
		s.sessions.delete(ck.Value)
	}
	s.clearCookie(c.Writer, r)
	if p, ok := FromContext(c); ok && !p.Anonymous {
		s.auditReq(r, EventSignOut, p.User, "client "+s.clientIP(r))
	}
	c.Header("Cache-Control", "no-store")
	c.Redirect(http.StatusSeeOther, SignInPath)
}

// safeNext keeps a post-sign-in redirect on this site: a path starting with one
// "/", never "//host" or "/\host" (which browsers treat as another site).
func safeNext(next string) string {
	if next == "" || len(next) > 2048 || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || strings.ContainsAny(next, "\r\n\t\\") {
		return "/"
	}
	if strings.HasPrefix(u.Path, SignInPath) || strings.HasPrefix(u.Path, SignOutPath) || strings.HasPrefix(u.Path, "/auth/") {
		return "/"
	}
	return next
}

func renderPage(w http.ResponseWriter, status int, name string, data any) {
	var buf bytes.Buffer
	if err := pageTemplates.ExecuteTemplate(&buf, name, data); err != nil {
		http.Error(w, "internal error rendering the page", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func renderMessage(w http.ResponseWriter, status int, title, msg, link string) {
	renderPage(w, status, "message.html", map[string]string{"Title": title, "Message": msg, "Link": link})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func humanDuration(d time.Duration) string {
	plural := func(n int64, unit string) string {
		if n == 1 {
			return "1 " + unit
		}
		return strconv.FormatInt(n, 10) + " " + unit + "s"
	}
	switch {
	case d >= time.Hour && d%time.Hour == 0:
		return plural(int64(d/time.Hour), "hour")
	case d >= time.Minute && d%time.Minute == 0:
		return plural(int64(d/time.Minute), "minute")
	}
	return d.String()
}
