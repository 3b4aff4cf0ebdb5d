// Package authz is who may log in, and as whom: the rules Cyrus's
// services share (imap/global.c canonify_userid and global_authisa,
// imap/saslserver.c mysasl_proxy_policy, lib/userdeny's user_deny.db).
// imapd, pop3d and timsieved each hold one Policy and hand its Canon and
// Authorize to lib/sasl.
package authz

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"

	"gyrus/lib/acl"
	"gyrus/lib/config"
	"gyrus/lib/log"
	"gyrus/lib/mboxlist"
	"gyrus/lib/mboxname"
	"gyrus/lib/sasl"
	"gyrus/lib/userdeny"
)

// ErrInvalidUser is Canon's answer to a name that cannot be a user.
var ErrInvalidUser = errors.New("Invalid user")

// Policy is the login policy of one service process. Safe for
// concurrent use.
type Policy struct {
	cfg          *config.Config
	ident        string // the service (cyrus.conf entry), for user_deny.db
	ns           mboxname.Namespace
	acl          *acl.Policy
	list         *mboxlist.List
	admins       []string
	proxyservers []string

	// user_deny.db, opened when it first exists: Cyrus opens it at
	// every check, so a list cyr_deny creates while the service runs
	// counts at once.
	denyPath, denyBackend string
	denyMu                sync.Mutex
	deny                  *userdeny.DB
}

// New reads admins, proxyservers and where user_deny.db is from c.
func New(c *config.Config, ident string, ns mboxname.Namespace, ap *acl.Policy, list *mboxlist.List) *Policy {
	p := &Policy{cfg: c, ident: ident, ns: ns, acl: ap, list: list,
		admins: strings.Fields(c.Admins()), proxyservers: strings.Fields(c.Proxyservers())}
	p.denyPath, p.denyBackend = userdeny.PathFromConfig(c)
	return p
}

// Close closes user_deny.db if it was opened.
func (p *Policy) Close() error {
	p.denyMu.Lock()
	defer p.denyMu.Unlock()
	if p.deny == nil {
		return nil
	}
	err := p.deny.Close()
	p.deny = nil
	return err
}

// Canon is Cyrus's canonify_userid: with virtual domains '%' counts as
// '@' and the default domain is dropped; "anonymous", "anybody" and
// "anyone" become the global identifiers; the rest goes through
// auth_unix's checks (lib/acl Canonify: length, characters,
// username_tolower).
func (p *Policy) Canon(id string) (string, error) {
	user, local, domain := id, id, ""
	if p.ns.VirtDomains != mboxname.VirtDomainsOff {
		if i := strings.LastIndexAny(user, "@%"); i >= 0 {
			user = user[:i] + "@" + user[i+1:]
			local, domain = user[:i], user[i+1:]
		}
	}
	switch {
	case strings.EqualFold(local, "anonymous"):
		return "anonymous", nil
	case strings.EqualFold(local, "anybody"), strings.EqualFold(local, "anyone"):
		return "anyone", nil
	}
	if domain != "" && p.ns.DefaultDomain != "" && strings.EqualFold(domain, p.ns.DefaultDomain) {
		user = local
	}
	c, ok := p.acl.Canonify(user)
	if !ok || c == "" {
		return "", ErrInvalidUser
	}
	return c, nil
}

// IsAdmin reports whether userid is listed in admins (Cyrus
// global_authisa: a user id, "anyone", or a group).
func (p *Policy) IsAdmin(userid string) bool { return MemberOf(userid, p.admins) }

// Admins is the admins list of imapd.conf.
func (p *Policy) Admins() []string { return p.admins }

// IsProxyServer reports whether userid is listed in proxyservers.
func (p *Policy) IsProxyServer(userid string) bool { return MemberOf(userid, p.proxyservers) }

// MemberOf reports whether userid is one of list (user ids, "anyone",
// groups), as Cyrus's auth_memberof.
func MemberOf(userid string, list []string) bool {
	if userid == "" {
		return false
	}
	id := acl.Identity{UserID: userid}
	for _, a := range list {
		if id.MemberOf(a) {
			return true
		}
	}
	return false
}

// Authorize is Cyrus's mysasl_proxy_policy, lib/sasl's Authorize
// callback: cross-realm logins need loginrealms; a denied user
// (user_deny.db) is refused unless an admin authenticates; acting as
// another user needs to be an admin, a proxyserver, or (loginuseacl) to
// hold 'a' on that user's INBOX.
func (p *Policy) Authorize(ctx context.Context, authcid, authzid string) error {
	realms := p.cfg.Loginrealms()
	if p.ns.VirtDomains == mboxname.VirtDomainsOff || realms != "" {
		if i := strings.IndexByte(authcid, '@'); i >= 0 {
			realm, found := authcid[i+1:], false
			for _, r := range strings.Fields(realms) {
				found = found || strings.EqualFold(r, realm)
			}
			if !found {
				return &sasl.Error{Code: sasl.CodeBadAuth, Detail: "cross-realm login " + authcid + " denied"}
			}
		}
	}
	admin := p.IsAdmin(authcid)
	if d := p.DenyDB(); !admin && d != nil {
		if denied, _, _ := d.Check(authzid, p.ident); denied {
			log.Printf(log.LevelErr, "user '%s' denied access to service '%s'", authzid, p.ident)
			return &sasl.Error{Code: sasl.CodeNoAuthz, Detail: fmt.Sprintf("user '%s' is denied access to service '%s'", authzid, p.ident)}
		}
	}
	if authcid == authzid {
		return nil
	}
	if admin || p.IsProxyServer(authcid) ||
		(p.cfg.Loginuseacl() && p.inboxGrantsAdmin(authzid, authcid)) {
		return nil
	}
	return &sasl.Error{Code: sasl.CodeBadAuth, Detail: "user " + authcid + " is not allowed to proxy"}
}

// inboxGrantsAdmin is Cyrus's acl_ok: userid's INBOX gives 'a' to who.
func (p *Policy) inboxGrantsAdmin(userid, who string) bool {
	e, err := p.list.Lookup(p.ns.UserInbox(userid, ""))
	if err != nil {
		return false
	}
	a, _ := acl.Parse(e.ACL)
	return p.acl.ACLRights(acl.Identity{UserID: who}, a).Has(acl.Admin)
}

// DenyDB returns user_deny.db, nil while there is none.
func (p *Policy) DenyDB() *userdeny.DB {
	p.denyMu.Lock()
	defer p.denyMu.Unlock()
	if p.deny != nil {
		return p.deny
	}
	if _, err := os.Stat(p.denyPath); err != nil {
		return nil
	}
	d, err := userdeny.Open(p.denyPath, p.denyBackend, false)
	if err != nil {
		if !errors.Is(err, userdeny.ErrNoDB) {
			log.Error("DBERROR", "db", p.denyPath, "error", err)
		}
		return nil
	}
	p.deny = d
	return d
}
