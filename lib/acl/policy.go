package acl

import (
	"errors"
	"fmt"
	"os/user"
	"strings"

	"gyrus/lib/config"
)

// Config holds the imapd.conf settings that shape ACL handling.
type Config struct {
	DeleteRight         byte   // deleteright: the RFC 2086 right that grants 'x' (default 'c')
	ImplicitOwnerRights string // implicit_owner_rights (default "lkxan")
	AdminImpliesWrite   bool   // acl_admin_implies_write: 'a' also gives s w i t e n
	DefaultACL          string // defaultacl: ACL of a new top-level shared mailbox
	AnyoneUserACL       bool   // anyoneuseracl: non-admins may grant rights to "anyone"
	UsernameToLower     bool   // username_tolower: identifiers are lower-cased
	// LookupGroup resolves the name after "group:" in a SETACL identifier
	// (Cyrus auth_unix asks getgrnam). Nil refuses every group.
	LookupGroup func(name string) (string, bool)
}

// DefaultConfig returns Cyrus 3.6.1's defaults, with groups looked up in
// the system group database.
func DefaultConfig() Config {
	return Config{
		DeleteRight:         'c',
		ImplicitOwnerRights: "lkxan",
		DefaultACL:          "anyone lrs",
		AnyoneUserACL:       true,
		UsernameToLower:     true,
		LookupGroup:         SystemGroup,
	}
}

// SystemGroup looks a group up in the system database (getgrnam).
func SystemGroup(name string) (string, bool) {
	g, err := user.LookupGroup(name)
	if err != nil {
		return "", false
	}
	return g.Name, true
}

// ConfigFromConfig reads the ACL settings from imapd.conf.
func ConfigFromConfig(c *config.Config) Config {
	cfg := DefaultConfig()
	if dr := c.Deleteright(); dr != "" {
		cfg.DeleteRight = dr[0]
	} else {
		cfg.DeleteRight = 0
	}
	cfg.ImplicitOwnerRights = c.ImplicitOwnerRights()
	cfg.AdminImpliesWrite = c.AclAdminImpliesWrite()
	cfg.DefaultACL = c.Defaultacl()
	cfg.AnyoneUserACL = c.Anyoneuseracl()
	cfg.UsernameToLower = c.UsernameTolower()
	return cfg
}

// Policy evaluates and changes ACLs under one Config.
type Policy struct {
	cfg      Config
	implicit Rights
}

// New builds a Policy. Like Cyrus, unknown letters in
// implicit_owner_rights are ignored; they are reported as the error
// alongside a usable Policy.
func New(cfg Config) (*Policy, error) {
	p := &Policy{cfg: cfg}
	r, err := p.ParseRights(cfg.ImplicitOwnerRights)
	p.implicit = r
	if err != nil {
		err = fmt.Errorf("implicit_owner_rights %q: %w", cfg.ImplicitOwnerRights, err)
	}
	return p, err
}

// ImplicitOwnerRights returns the parsed implicit_owner_rights.
func (p *Policy) ImplicitOwnerRights() Rights { return p.implicit }

// Identity is who asks: the canonical user id ("anonymous" for an
// anonymous login), the names of its groups (matched by "group:<name>"
// entries) and whether it is an admin (listed in admins:, or a proxy
// admin).
type Identity struct {
	UserID  string
	Groups  []string
	IsAdmin bool
}

// Anonymous is the identity of an anonymous login.
var Anonymous = Identity{UserID: "anonymous"}

// MemberOf reports whether an ACL identifier applies to id (Cyrus
// auth_unix: "anyone" matches everybody, including anonymous; the user id
// matches itself; "group:<g>" matches members of g).
func (id Identity) MemberOf(identifier string) bool {
	if identifier == "anyone" || identifier == id.UserID {
		return true
	}
	g, ok := strings.CutPrefix(identifier, "group:")
	if !ok {
		return false
	}
	for _, x := range id.Groups {
		if x == g {
			return true
		}
	}
	return false
}

// ACLRights is what the ACL alone grants id: the union of the positive
// entries that apply, minus the union of the negative ones (Cyrus
// cyrus_acl_myrights). A malformed tail of the ACL is ignored.
func (p *Policy) ACLRights(id Identity, a ACL) Rights {
	var pos, neg Rights
	for _, e := range a {
		ident, negative := e.ID, false
		if strings.HasPrefix(ident, "-") {
			ident, negative = ident[1:], true
		}
		if !id.MemberOf(ident) {
			continue
		}
		r, _ := p.ParseRights(e.Rights)
		if negative {
			neg |= r
		} else {
			pos |= r
		}
	}
	if p.cfg.AdminImpliesWrite && pos&Admin != 0 {
		pos |= SetSeen | Write | Insert | DeleteMsg | Expunge | AnnotateMsg
	}
	return pos &^ neg
}

// Rights answers what id may do in a mailbox with ACL a owned by owner
// (the owner's user id, "" for shared mailboxes): the ACL's rights, plus
// l and a for an admin, plus implicit_owner_rights for the owner. This is
// what MYRIGHTS shows and what create/delete/rename checks allow.
func (p *Policy) Rights(id Identity, a ACL, owner string) Rights {
	r := p.ACLRights(id, a)
	switch {
	case id.IsAdmin:
		r |= Lookup | Admin
	case owner != "" && owner == id.UserID:
		r |= p.implicit
	}
	return r
}

// Errors of the ACL commands, with Cyrus's texts.
var (
	ErrPermissionDenied  = errors.New("Permission denied")
	ErrNonexistent       = errors.New("Mailbox does not exist")
	ErrInvalidIdentifier = errors.New("Invalid identifier")
)

// MyRights is MYRIGHTS (RFC 4314 §3.8): the rights string, or
// ErrNonexistent when id may not even know the mailbox exists (none of l
// r i k x a).
func (p *Policy) MyRights(id Identity, a ACL, owner string) (string, error) {
	r := p.Rights(id, a, owner)
	if r&(Lookup|Read|Insert|Create|DeleteMbox|Admin) == 0 {
		return "", ErrNonexistent
	}
	return p.Format(r), nil
}

// CheckGetACL says whether id may GETACL (RFC 4314 §3.3): admins, the
// owner and holders of 'a'; others get ErrPermissionDenied if they can
// see the mailbox ('l'), else ErrNonexistent. LISTRIGHTS and DELETEACL
// use the same rule through CheckAdmin with their own twists.
func (p *Policy) CheckGetACL(id Identity, a ACL, owner string) error {
	r := p.ACLRights(id, a)
	if r&Admin != 0 || id.IsAdmin || (owner != "" && owner == id.UserID) {
		return nil
	}
	if r&Lookup != 0 {
		return ErrPermissionDenied
	}
	return ErrNonexistent
}

// CheckListRights says whether id may LISTRIGHTS: anyone with any right
// from the ACL, admins and the owner; others get ErrNonexistent.
func (p *Policy) CheckListRights(id Identity, a ACL, owner string) error {
	if p.ACLRights(id, a) != 0 || id.IsAdmin || (owner != "" && owner == id.UserID) {
		return nil
	}
	return ErrNonexistent
}

// CanonifyUser canonicalises a user identifier as Cyrus does for
// LISTRIGHTS (canonify_userid without virtual domains): "anonymous" and
// "anyone"/"anybody" in any case are the special identifiers, a global
// admin's name is kept as typed, anything else goes through Canonify.
func (p *Policy) CanonifyUser(id string, admins []string) (string, bool) {
	for _, a := range admins {
		if a == id {
			return id, true
		}
	}
	switch strings.ToLower(id) {
	case "anonymous":
		return "anonymous", true
	case "anyone", "anybody":
		return "anyone", true
	}
	return p.Canonify(id)
}

// ListRights is the tail of a LISTRIGHTS answer (RFC 4314 §3.7) after the
// identifier: the rights always granted (or "" quoted when none), then
// each optional right as its own word. The owner (the mailbox owner's user
// id, "" for shared mailboxes) always holds implicit_owner_rights; on a
// user's INBOX (isInbox) anyone may post. As in Cyrus, an identifier that
// canonicalises to "" counts as the owner of a shared mailbox, and one
// that cannot be canonicalised has neither required nor optional rights.
func (p *Policy) ListRights(identifier, owner string, isInbox bool, admins []string) string {
	canon, ok := p.CanonifyUser(identifier, admins)
	var implicit, optional Rights
	switch {
	case !ok:
	case canon == owner:
		implicit = p.implicit
	case isInbox:
		implicit = Post
	}
	if ok {
		optional = implicit ^ Full
	}
	var b strings.Builder
	if implicit != 0 {
		b.WriteString(p.Format(implicit))
	} else {
		b.WriteString(`""`)
	}
	for _, c := range []byte(p.Format(optional)) {
		b.WriteByte(' ')
		b.WriteByte(c)
	}
	return b.String()
}

// CheckRead says whether id may SELECT or EXAMINE: it needs 'r' from the
// ACL; without it the answer is ErrPermissionDenied for admins and for
// holders of 'l' in the ACL, ErrNonexistent for the others. The owner's
// implicit rights play no part here (an owner whose ACL entry lost 'l'
// to a negative entry is told the mailbox does not exist).
func (p *Policy) CheckRead(id Identity, a ACL) error {
	r := p.ACLRights(id, a)
	switch {
	case r&Read != 0:
		return nil
	case r&Lookup != 0 || id.IsAdmin:
		return ErrPermissionDenied
	}
	return ErrNonexistent
}

// allowedIDChars are the bytes auth_unix accepts in a user identifier:
// printable ASCII except % & * / : ? and DEL.
func allowedIDChar(c byte) bool {
	if c < 0x20 || c >= 0x7f {
		return false
	}
	switch c {
	case '%', '&', '*', '/', ':', '?':
		return false
	}
	return true
}

// Canonify returns the canonical form of an ACL identifier, or false if
// it cannot be one (Cyrus auth_unix canonifyid): shorter than 81 bytes,
// "group:<name>" for an existing group, otherwise only allowed bytes,
// lower-cased when username_tolower is on.
func (p *Policy) Canonify(id string) (string, bool) {
	if len(id) >= 81 {
		return "", false
	}
	if g, ok := strings.CutPrefix(id, "group:"); ok {
		if p.cfg.LookupGroup == nil {
			return "", false
		}
		name, ok := p.cfg.LookupGroup(g)
		if !ok || len(name) >= 81-6 {
			return "", false
		}
		return "group:" + name, true
	}
	b := []byte(id)
	for i, c := range b {
		if p.cfg.UsernameToLower && 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
		if !allowedIDChar(c) {
			return "", false
		}
	}
	return string(b), true
}

// Mode says how Modify combines new rights with an identifier's old ones.
type Mode uint8

const (
	ModeSet    Mode = iota // replace
	ModeAdd                // "+rights": add to the old rights
	ModeRemove             // "-rights": take from the old rights
)

// Modify changes identifier's entry in a (Cyrus cyrus_acl_set): the
// identifier is canonicalised (an unknown one may only be removed), the
// new rights are combined with the old ones by mode, the owner keeps
// implicit_owner_rights when ensureOwner names it, and an entry left
// with no rights is removed. A changed entry keeps its place; a new one
// is appended. The stored rights string is re-printed by Format.
func (p *Policy) Modify(a ACL, identifier string, mode Mode, access Rights, ensureOwner string) (ACL, error) {
	neg := strings.HasPrefix(identifier, "-")
	base := identifier
	if neg {
		base = identifier[1:]
	}
	if canon, ok := p.Canonify(base); ok {
		base = canon
		if neg {
			identifier = "-" + canon
		} else {
			identifier = canon
		}
	} else if access != 0 {
		return a, ErrInvalidIdentifier
	}
	if identifier == "" {
		return a, ErrInvalidIdentifier
	}
	idx := -1
	var old Rights
	for i, e := range a {
		if e.ID == identifier {
			idx = i
			old, _ = p.ParseRights(e.Rights)
			break
		}
	}
	switch mode {
	case ModeAdd:
		access |= old
	case ModeRemove:
		access = old &^ access
	}
	if ensureOwner != "" && base == ensureOwner {
		// The owner can lose no implicit right: as a positive entry they
		// are added, as a negative entry they are taken out.
		if neg {
			access &^= p.implicit
		} else {
			access |= p.implicit
		}
	}
	out := a.Clone()
	if access == 0 {
		if idx >= 0 {
			out = append(out[:idx], out[idx+1:]...)
		}
		return out, nil
	}
	e := Entry{ID: identifier, Rights: p.Format(access)}
	if idx >= 0 {
		out[idx] = e
	} else {
		out = append(out, e)
	}
	return out, nil
}

// SetRequest is one SETACL (Rights non-nil) or DELETEACL (Rights nil).
type SetRequest struct {
	Actor      Identity // who sends the command
	Owner      string   // the mailbox owner's user id, "" for shared
	Identifier string   // as the client sent it
	Rights     *string  // as the client sent it, with any leading + or -
}

// SetACL applies a SETACL or DELETEACL to a mailbox's ACL with Cyrus
// 3.6.1's rules (imapd cmd_setacl and mboxlist_setacl): a bad rights
// letter is an *InvalidRightError (a BAD answer); a non-admin needs 'a'
// from the ACL itself (implicit owner rights do not count here), gets
// ErrNonexistent without 'l' and ErrPermissionDenied with it; nobody but
// an admin may change the owner's entry except to add rights; "anyone"
// needs anyoneuseracl; an empty rights string removes the entry like
// DELETEACL; the owner keeps implicit_owner_rights whenever the owner is
// the actor or the identifier.
func (p *Policy) SetACL(a ACL, req SetRequest) (ACL, error) {
	if req.Rights != nil && *req.Rights != "" {
		if err := CheckRights(*req.Rights); err != nil {
			return a, err
		}
	}
	// Cyrus round-trips the identifier through a user id here, but the
	// cached original comes back unchanged: "bob@internal" stays as is.
	identifier := req.Identifier
	actor := req.Actor
	isUserMbox := req.Owner != "" && req.Owner == actor.UserID
	isIdentMbox := req.Owner != "" && req.Owner == identifier
	ensure := ""
	if isUserMbox || isIdentMbox {
		ensure = req.Owner
	}
	if !actor.IsAdmin {
		my := p.ACLRights(actor, a)
		if my&Admin == 0 {
			if my&Lookup != 0 {
				return a, ErrPermissionDenied
			}
			return a, ErrNonexistent
		}
		if !p.cfg.AnyoneUserACL && strings.HasPrefix(identifier, "anyone") {
			return a, ErrPermissionDenied
		}
	}
	if req.Rights == nil || *req.Rights == "" {
		if !actor.IsAdmin && isIdentMbox {
			return a, ErrPermissionDenied
		}
		out, err := p.Modify(a, identifier, ModeSet, 0, ensure)
		if err != nil {
			return a, err
		}
		return out, nil
	}
	rights, mode := *req.Rights, ModeSet
	switch rights[0] {
	case '+':
		rights, mode = rights[1:], ModeAdd
	case '-':
		rights, mode = rights[1:], ModeRemove
	}
	mask, err := p.ParseRights(rights)
	if err != nil {
		return a, err
	}
	if !actor.IsAdmin && isIdentMbox && mode != ModeAdd {
		hasAdmin := mask&Admin != 0
		if (hasAdmin && mode == ModeRemove) || (!hasAdmin && mode != ModeRemove) {
			return a, ErrPermissionDenied
		}
	}
	return p.Modify(a, identifier, mode, mask, ensure)
}

// InitialACL is the ACL of a new mailbox (Cyrus mboxlist_create_acl): a
// copy of the parent's when there is a parent; else, for a user's
// mailbox, the owner with every right ("lrswipkxtecdan"); else defaultacl
// ("id rights" pairs separated by white space).
func (p *Policy) InitialACL(owner string, parent ACL, hasParent bool) ACL {
	if hasParent {
		return parent.Clone()
	}
	if owner != "" {
		a, _ := p.Modify(nil, owner, ModeSet, All, "")
		return a
	}
	var a ACL
	f := strings.Fields(p.cfg.DefaultACL)
	for i := 0; i+1 < len(f); i += 2 {
		mask, _ := p.ParseRights(f[i+1])
		if out, err := p.Modify(a, f[i], ModeSet, mask, ""); err == nil {
			a = out
		}
	}
	return a
}
