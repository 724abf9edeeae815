package auth

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
)

// AdminAPIPath is the prefix of the user-management API (admins only).
const AdminAPIPath = "/api/v1/admin/users"

type grantBody struct {
	Role       string   `json:"role"`
	Portfolios []string `json:"portfolios"`
	Programs   []string `json:"programs"`
	AllScopes  bool     `json:"all_scopes"`
}

func (b grantBody) grant() (Grant, error) {
	role, err := ParseRole(b.Role)
	if err != nil {
		return Grant{}, err
	}
	g := Grant{Role: role, Portfolios: b.Portfolios, Programs: b.Programs, AllScopes: b.AllScopes}
	return g.normalise()
}

// registerAdmin adds the JSON user-management API; every route needs RoleAdmin and
// every change goes to the audit trail with the acting admin's name.
func (s *Service) registerAdmin(r gin.IRouter) {
	g := r.Group(AdminAPIPath, Require(RoleAdmin))
	g.GET("", s.adminList)
	g.POST("", s.adminAdd)
	g.POST("/:name/password", s.adminPassword)
	g.POST("/:name/disable", s.adminSetDisabled(true))
	g.POST("/:name/enable", s.adminSetDisabled(false))
	g.PUT("/:name/grant", s.adminGrant)
	g.POST("/:name/tokens", s.adminCreateToken)
	g.DELETE("/:name/tokens/:id", s.adminRevokeToken)
	g.DELETE("/:name/sessions", s.adminRevokeSessions)
}

func (s *Service) adminDone(c *gin.Context, kind, target, detail string) {
	p, _ := FromContext(c)
	actor := ""
	if p != nil {
		actor = p.User
	}
	s.auditReq(c.Request, kind, target, fmt.Sprintf("by %s%s; client %s", actor, detail, s.clientIP(c.Request)))
}

func adminError(c *gin.Context, err error) {
	status := http.StatusBadRequest
	switch {
	case errors.Is(err, ErrNoUser):
		status = http.StatusNotFound
	case errors.Is(err, ErrUserExists):
		status = http.StatusConflict
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(status, gin.H{"error": err.Error()})
}

func (s *Service) adminList(c *gin.Context) {
	users, err := s.users.List()
	if err != nil {
		s.log.Error("listing users", "err", err)
		c.JSON(http.StatusInternalServerError, gin.H{"error": "reading the users file failed; the server log has the details"})
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, gin.H{"users": users})
}

func (s *Service) adminAdd(c *gin.Context) {
	var b struct {
		Name     string `json:"name"`
		Kind     string `json:"kind"`
		Password string `json:"password"`
		grantBody
	}
	if err := c.ShouldBindJSON(&b); err != nil {
		adminError(c, fmt.Errorf("reading the request body: %w", err))
		return
	}
	if b.Kind == "" {
		b.Kind = KindLocal
	}
	g, err := b.grant()
	if err != nil {
		adminError(c, err)
		return
	}
	if b.Kind == KindLocal {
		if err := CheckPasswordPolicy(b.Password, b.Name, s.cfg.Password.MinLength); err != nil {
			adminError(c, err)
			return
		}
	}
	if err := s.users.AddUser(c.Request.Context(), b.Name, b.Kind, b.Password, g); err != nil {
		adminError(c, err)
		return
	}
	s.adminDone(c, EventUserAdded, b.Name, fmt.Sprintf(" (%s, %s)", b.Kind, g.Role))
	c.JSON(http.StatusCreated, gin.H{"name": b.Name})
}

func (s *Service) adminPassword(c *gin.Context) {
	var b struct {
		Password string `json:"password"`
	}
	if err := c.ShouldBindJSON(&b); err != nil {
		adminError(c, fmt.Errorf("reading the request body: %w", err))
		return
	}
	name := c.Param("name")
	if err := CheckPasswordPolicy(b.Password, name, s.cfg.Password.MinLength); err != nil {
		adminError(c, err)
		return
	}
	if err := s.users.SetPassword(c.Request.Context(), name, b.Password); err != nil {
		adminError(c, err)
		return
	}
	s.sessions.deleteUser(name)
	s.adminDone(c, EventUserPassword, name, "")
	c.Status(http.StatusNoContent)
}

func (s *Service) adminSetDisabled(disabled bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		name := c.Param("name")
		if err := s.users.SetDisabled(c.Request.Context(), name, disabled); err != nil {
			adminError(c, err)
			return
		}
		kind := EventUserEnabled
		if disabled {
			kind = EventUserDisabled
			s.sessions.deleteUser(name)
		}
		s.adminDone(c, kind, name, "")
		c.Status(http.StatusNoContent)
	}
}

func (s *Service) adminGrant(c *gin.Context) {
	var b grantBody
	if err := c.ShouldBindJSON(&b); err != nil {
		adminError(c, fmt.Errorf("reading the request body: %w", err))
		return
	}
	g, err := b.grant()
	if err != nil {
		adminError(c, err)
		return
	}
	name := c.Param("name")
	if err := s.users.SetGrant(c.Request.Context(), name, g); err != nil {
		adminError(c, err)
		return
	}
	s.sessions.deleteUser(name)
	s.adminDone(c, EventUserGrant, name, fmt.Sprintf(" (%s, all scopes %v, portfolios %v, programs %v)", g.Role, g.AllScopes, g.Portfolios, g.Programs))
	c.Status(http.StatusNoContent)
}

func (s *Service) adminCreateToken(c *gin.Context) {
	var b struct {
		Label string `json:"label"`
		TTL   string `json:"ttl"` // Go duration; "0" for no expiry; default 90 days
	}
	if err := c.ShouldBindJSON(&b); err != nil {
		adminError(c, fmt.Errorf("reading the request body: %w", err))
		return
	}
	ttl := DefaultTokenTTL
	if b.TTL != "" {
		d, err := time.ParseDuration(b.TTL)
		if err != nil || d < 0 {
			adminError(c, fmt.Errorf("ttl %q is not a duration such as 720h", b.TTL))
			return
		}
		ttl = d
	}
	name := c.Param("name")
	tok, rec, err := s.users.CreateToken(c.Request.Context(), name, b.Label, ttl)
	if err != nil {
		adminError(c, err)
		return
	}
	s.adminDone(c, EventTokenCreated, name, " (token "+rec.ID+")")
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusCreated, gin.H{"token": tok, "id": rec.ID, "expires": rec.Expires, "note": "shown once; store it now"})
}

func (s *Service) adminRevokeToken(c *gin.Context) {
	name, id := c.Param("name"), c.Param("id")
	if err := s.users.RevokeToken(c.Request.Context(), name, id); err != nil {
		adminError(c, err)
		return
	}
	s.adminDone(c, EventTokenRevoked, name, " (token "+id+")")
	c.Status(http.StatusNoContent)
}

func (s *Service) adminRevokeSessions(c *gin.Context) {
	name := c.Param("name")
	n := s.sessions.deleteUser(name)
	s.adminDone(c, EventSessionsRevoke, name, fmt.Sprintf(" (%d sessions)", n))
	c.JSON(http.StatusOK, gin.H{"ended": n})
}

// DefaultTokenTTL is how long a new API token lives unless told otherwise.
const DefaultTokenTTL = 90 * 24 * time.Hour
