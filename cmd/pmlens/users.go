package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/user"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"github.com/pmlens/pmlens/auth"
	"github.com/pmlens/pmlens/configs"
	"github.com/pmlens/pmlens/warehouse/sandbox"
)

const usersUsage = `pmlens users — manage the local users and API tokens of a pmlens server

Usage:
  pmlens users add     NAME --role R [--portfolio P]... [--program P]... [--sso] [--password-stdin]
  pmlens users passwd  NAME [--password-stdin]
  pmlens users grant   NAME --role R [--portfolio P]... [--program P]...
  pmlens users disable NAME        (ends the user's sessions and refuses their API tokens)
  pmlens users enable  NAME
  pmlens users list    [--format table|json]
  pmlens users token   NAME [--label TEXT] [--expires 2160h|0]
  pmlens users revoke-token NAME TOKEN_ID

Every subcommand takes --config FILE. Roles: viewer < analyst < admin. Without
--portfolio or --program a user sees every portfolio; admins always do. --sso
records a grant (or, once disabled, a block) for a person who signs in through
single sign-on, and has no password. Changes apply to a running server at once.
`

// cmdUsers runs `pmlens users SUBCOMMAND ...`.
func cmdUsers(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return runUsers(ctx, args, os.Stdin, stdout, stderr)
}

// multiFlag collects a repeatable string flag; "a,b" adds both.
type multiFlag []string

func (m *multiFlag) String() string { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*m = append(*m, s)
		}
	}
	return nil
}

func runUsers(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, usersUsage)
		if len(args) == 0 {
			return usageError{"give a subcommand: add, passwd, grant, disable, enable, list, token, revoke-token"}
		}
		return nil
	}
	sub, args := args[0], args[1:]
	fs, cfgPath := newFlags("users "+sub, stderr, usersUsage)
	role := fs.String("role", "", "role: viewer, analyst or admin")
	var portfolios, programs multiFlag
	fs.Var(&portfolios, "portfolio", "portfolio the user may see (repeatable)")
	fs.Var(&programs, "program", "program the user may see (repeatable)")
	sso := fs.Bool("sso", false, "the user signs in through single sign-on (no password)")
	pwStdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input")
	format := fs.String("format", "table", "list output: table or json")
	label := fs.String("label", "", "what the API token is for (shown in lists)")
	expires := fs.Duration("expires", auth.DefaultTokenTTL, "API token lifetime; 0 for a token that never expires")

	// Flags may follow the user name: pmlens users add alice --role viewer.
	var pos []string
	rest := args
	for {
		if err := parseFlags(fs, rest); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	want := map[string]int{"add": 1, "passwd": 1, "grant": 1, "disable": 1, "enable": 1, "list": 0, "token": 1, "revoke-token": 2}
	n, ok := want[sub]
	if !ok {
		return usageError{fmt.Sprintf("unknown subcommand %q (add, passwd, grant, disable, enable, list, token, revoke-token)", sub)}
	}
	if len(pos) != n {
		return usageError{fmt.Sprintf("users %s takes %d argument(s), got %d", sub, n, len(pos))}
	}

	cfg, err := loadConfig(ctx, *cfgPath)
	if err != nil {
		return err
	}
	acfg := cfg.Auth
	path := acfg.UsersFile
	if path == "" {
		path = auth.DefaultUsersFile(cfg.Warehouse.Path)
	}
	store := auth.OpenUserStore(path, auth.HashParams{}, newLogger(cfg, stderr), nil)
	log := newLogger(cfg, stderr)
	actor := "cli:" + osUser()
	// Changes go to the audit trail as the admin API's do, marked as coming from
	// this command rather than a web request.
	meta := auth.WithRequestMeta(ctx, auth.RequestMeta{Method: "CLI", Path: "pmlens users " + sub})
	done := func(kind, name, detail string) {
		usersAuditor(ctx, cfg, log).Event(meta, kind, name, "by "+actor+detail)
	}
	grant := func() (auth.Grant, error) {
		r, err := auth.ParseRole(*role)
		if err != nil {
			return auth.Grant{}, usageError{"--role: " + err.Error()}
		}
		return auth.Grant{Role: r, Portfolios: portfolios, Programs: programs, AllScopes: len(portfolios) == 0 && len(programs) == 0}, nil
	}

	switch sub {
	case "add":
		name := pos[0]
		g, err := grant()
		if err != nil {
			return err
		}
		kind, password := auth.KindLocal, ""
		if *sso {
			kind = auth.KindSSO
		} else {
			if password, err = readNewPassword(stdin, stderr, *pwStdin, name, acfg.Password.MinLength); err != nil {
				return err
			}
		}
		if err := store.AddUser(ctx, name, kind, password, g); err != nil {
			return err
		}
		done(auth.EventUserAdded, name, fmt.Sprintf(" (%s, %s)", kind, g.Role))
		fmt.Fprintf(stdout, "added %s user %s as %s, %s (%s)\n", kind, name, g.Role, scopeText(g.AllScopes || g.Role == auth.RoleAdmin, g.Portfolios, g.Programs), path)
	case "passwd":
		name := pos[0]
		if u, ok, err := store.Lookup(name); err != nil {
			return err
		} else if !ok {
			return fmt.Errorf("%w: %s", auth.ErrNoUser, name)
		} else if u.Kind != auth.KindLocal {
			return fmt.Errorf("%s signs in through single sign-on and has no password", u.Name)
		}
		password, err := readNewPassword(stdin, stderr, *pwStdin, name, acfg.Password.MinLength)
		if err != nil {
			return err
		}
		if err := store.SetPassword(ctx, name, password); err != nil {
			return err
		}
		done(auth.EventUserPassword, name, "")
		fmt.Fprintf(stdout, "changed the password of %s; their sessions have ended\n", name)
	case "grant":
		name := pos[0]
		g, err := grant()
		if err != nil {
			return err
		}
		if err := store.SetGrant(ctx, name, g); err != nil {
			return err
		}
		done(auth.EventUserGrant, name, fmt.Sprintf(" (%s, %s)", g.Role, scopeText(g.AllScopes, g.Portfolios, g.Programs)))
		fmt.Fprintf(stdout, "%s is now %s, %s; their sessions have ended\n", name, g.Role, scopeText(g.AllScopes || g.Role == auth.RoleAdmin, g.Portfolios, g.Programs))
	case "disable", "enable":
		name := pos[0]
		if err := store.SetDisabled(ctx, name, sub == "disable"); err != nil {
			return err
		}
		if sub == "disable" {
			done(auth.EventUserDisabled, name, "")
			fmt.Fprintf(stdout, "disabled %s: their sessions end and their API tokens are refused\n", name)
		} else {
			done(auth.EventUserEnabled, name, "")
			fmt.Fprintf(stdout, "enabled %s\n", name)
		}
	case "list":
		users, err := store.List()
		if err != nil {
			return err
		}
		return printUsers(stdout, users, *format)
	case "token":
		name := pos[0]
		if *expires < 0 {
			return usageError{"--expires must not be negative"}
		}
		tok, rec, err := store.CreateToken(ctx, name, *label, *expires)
		if err != nil {
			return err
		}
		done(auth.EventTokenCreated, name, " (token "+rec.ID+")")
		exp := "never expires"
		if !rec.Expires.IsZero() {
			exp = "expires " + rec.Expires.Format(time.DateOnly)
		}
		fmt.Fprintf(stderr, "API token %s for %s (%s). It is shown once: store it now. Use it as \"Authorization: Bearer <token>\".\n", rec.ID, name, exp)
		fmt.Fprintln(stdout, tok)
	case "revoke-token":
		name, id := pos[0], pos[1]
		if err := store.RevokeToken(ctx, name, id); err != nil {
			return err
		}
		done(auth.EventTokenRevoked, name, " (token "+id+")")
		fmt.Fprintf(stdout, "revoked API token %s of %s\n", id, name)
	}
	return nil
}

// usersAuditor sends a user change made from the command line to the audit
// trail: the audit database's spool, which a running server folds in within
// seconds (and the next reader folds otherwise). When the audit log cannot be
// opened, the change is logged at error level instead, so it is not lost.
func usersAuditor(ctx context.Context, cfg *configs.Config, log *slog.Logger) auth.Auditor {
	al, err := sandbox.OpenAuditLog(ctx, cfg.Warehouse.Path, log)
	if err != nil {
		log.Error("the audit trail is unavailable; this user change is recorded in this log only", "err", err)
		return auth.SlogAuditor{Logger: log}
	}
	return trailAuditor(al, log)
}

func osUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return "uid " + strconv.Itoa(os.Getuid())
}

// readNewPassword reads a password from the first line of stdin (--password-stdin)
// or asks twice on the terminal without echo, and checks the policy.
func readNewPassword(stdin io.Reader, stderr io.Writer, fromStdin bool, name string, minLen int) (string, error) {
	var pw string
	if fromStdin {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("reading the password from standard input: %w", err)
		}
		pw = strings.TrimRight(line, "\r\n")
	} else {
		f, ok := stdin.(*os.File)
		if !ok || !term.IsTerminal(int(f.Fd())) {
			return "", usageError{"standard input is not a terminal: pipe the password with --password-stdin"}
		}
		fmt.Fprintf(stderr, "New password for %s (at least %d characters): ", name, minLen)
		a, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", fmt.Errorf("reading the password: %w", err)
		}
		fmt.Fprint(stderr, "Repeat it: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", fmt.Errorf("reading the password: %w", err)
		}
		if string(a) != string(b) {
			return "", errors.New("the two passwords differ; nothing changed")
		}
		pw = string(a)
	}
	if err := auth.CheckPasswordPolicy(pw, name, minLen); err != nil {
		return "", err
	}
	return pw, nil
}

func scopeText(all bool, portfolios, programs []string) string {
	if all {
		return "all portfolios"
	}
	var parts []string
	if len(portfolios) > 0 {
		parts = append(parts, "portfolios "+strings.Join(portfolios, ", "))
	}
	if len(programs) > 0 {
		parts = append(parts, "programs "+strings.Join(programs, ", "))
	}
	return strings.Join(parts, "; ")
}

func printUsers(w io.Writer, users []auth.User, format string) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(users)
	case "table":
	default:
		return usageError{fmt.Sprintf("--format %q is not table or json", format)}
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tKIND\tROLE\tSCOPE\tSTATUS\tTOKENS\tUPDATED")
	for _, u := range users {
		status := "active"
		if u.Disabled {
			status = "disabled"
		}
		var toks []string
		for _, t := range u.Tokens {
			s := t.ID
			if t.Label != "" {
				s += " (" + t.Label + ")"
			}
			toks = append(toks, s)
		}
		tokText := "-"
		if len(toks) > 0 {
			tokText = strings.Join(toks, ", ")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", u.Name, u.Kind, u.Role, scopeText(u.AllScopes, u.Portfolios, u.Programs),
			status, tokText, u.Updated.Format(time.DateTime))
	}
	return tw.Flush()
}
