package imapwire

import (
	"time"

	"github.com/emersion/go-imap/v2"
)

// Command is one parsed client command. Args holds a pointer to the
// argument type listed for the command below, or nil for commands without
// arguments (CAPABILITY, NOOP, LOGOUT, STARTTLS, CHECK, CLOSE, UNSELECT,
// EXPUNGE, IDLE, NAMESPACE, UNAUTHENTICATE).
//
//	LOGIN                  *Login
//	AUTHENTICATE           *Authenticate
//	COMPRESS               *Compress
//	ENABLE                 *Enable
//	ID                     *ID
//	SELECT, EXAMINE        *Select
//	CREATE                 *Create
//	DELETE, GETACL, MYRIGHTS, GETQUOTA, GETQUOTAROOT    *MailboxArg
//	RENAME                 *Rename
//	SUBSCRIBE, UNSUBSCRIBE *Subscribe
//	LIST, XLIST            *List
//	LSUB                   *Lsub
//	SCAN                   *Scan
//	STATUS                 *StatusCmd
//	APPEND                 *Append (an iterator over the messages)
//	FETCH                  *Fetch
//	STORE                  *Store
//	COPY, MOVE, XMOVE      *Copy
//	EXPUNGE with UID       *UIDExpunge
//	SEARCH, ESEARCH        *Search
//	SORT                   *Sort
//	THREAD                 *Thread
//	SETACL                 *SetACL
//	DELETEACL, LISTRIGHTS  *ACLIdentifier
//	SETQUOTA               *SetQuota
//	GETMETADATA            *GetMetadata
//	SETMETADATA            *SetMetadata
//	registered extensions  whatever their ExtensionFunc returns
type Command struct {
	Tag  string
	Name string // upper case, without "UID "
	UID  bool   // UID FETCH, UID STORE, UID SEARCH, UID COPY...
	Args any
}

// Login holds LOGIN's arguments (RFC 9051 6.2.3).
type Login struct {
	Username, Password string
}

// Authenticate holds AUTHENTICATE's arguments (RFC 9051 6.2.2, RFC 4959
// SASL-IR). InitialResponse is the base64 text as sent ("=" is the empty
// response); DecodeSASL decodes it.
type Authenticate struct {
	Mechanism          string
	InitialResponse    string
	HasInitialResponse bool
}

// Compress holds COMPRESS's algorithm (RFC 4978).
type Compress struct {
	Algorithm string
}

// Enable holds the capability names of ENABLE (RFC 5161), as sent.
type Enable struct {
	Caps []string
}

// ID holds the parameters of ID (RFC 2971); Params is nil for "ID NIL".
type ID struct {
	Params []IDParam
}

// IDParam is one field/value pair of ID; Value is nil for NIL.
type IDParam struct {
	Field string
	Value *string
}

// Select holds SELECT/EXAMINE's arguments with their RFC 4466 parameters.
// Options.ReadOnly is set for EXAMINE; Options.CondStore for the CONDSTORE
// parameter (RFC 7162 3.1.8).
type Select struct {
	Mailbox string
	Options imap.SelectOptions
	// QResync is the QRESYNC parameter (RFC 7162 3.2.5), nil if absent.
	QResync *QResyncParam
	// Annotate is the RFC 5257 ANNOTATE parameter (accepted, no effect in
	// Cyrus).
	Annotate bool
	// IncludeExpunged is Cyrus's VENDOR.CMU-INCLUDE-EXPUNGED (needs
	// allowdeleted; the session checks that).
	IncludeExpunged bool
}

// QResyncParam is the QRESYNC SELECT parameter.
type QResyncParam struct {
	UIDValidity uint32
	ModSeq      uint64
	// KnownUIDs is the optional set of UIDs the client knows (nil if
	// absent).
	KnownUIDs imap.NumSet
	// SeqMatch, if present, pairs message sequence numbers with UIDs.
	SeqMatch *QResyncSeqMatch
}

// QResyncSeqMatch is the "(seq-set uid-set)" of QRESYNC.
type QResyncSeqMatch struct {
	SeqNums imap.NumSet
	UIDs    imap.NumSet
}

// Create holds CREATE's arguments. Params are the RFC 4466 create
// parameters in order, upper-cased names ("USE" for RFC 6154 special-use,
// Cyrus's "PARTITION", "TYPE"...). Cyrus's legacy form "CREATE name
// partition" (or "server!partition") sets Partition and Server instead.
type Create struct {
	Mailbox   string
	Params    []CreateParam
	Partition string
	Server    string
	Legacy    bool
}

// CreateParam is one create parameter; List is set when the value was a
// parenthesised list (then Values may hold several words, or none).
type CreateParam struct {
	Name   string
	Values []string
	List   bool
}

// Param returns the values of the named parameter.
func (c *Create) Param(name string) ([]string, bool) {
	for _, p := range c.Params {
		if p.Name == name {
			return p.Values, true
		}
	}
	return nil, false
}

// MailboxArg is the single mailbox (or quota root) argument of DELETE,
// GETACL, MYRIGHTS, GETQUOTA and GETQUOTAROOT.
type MailboxArg struct {
	Mailbox string
}

// Rename holds RENAME's arguments; Partition is Cyrus's optional third
// argument.
type Rename struct {
	From, To  string
	Partition string
}

// Subscribe holds SUBSCRIBE/UNSUBSCRIBE's mailbox; Namespace is set by
// Cyrus's legacy two-argument form.
type Subscribe struct {
	Namespace string
	Mailbox   string
	HasNS     bool
}

// List holds LIST/XLIST's arguments (RFC 9051 6.3.9, RFC 5258
// LIST-EXTENDED). Options carries what go-imap models; the other fields are
// the selection and return options it does not.
type List struct {
	Reference string
	Patterns  []string
	// Extended is set when selection options, a pattern list or return
	// options were given (Cyrus's LIST_CMD_EXTENDED).
	Extended bool
	Options  imap.ListOptions
	// ReturnStatus is Options.ReturnStatus plus the items go-imap lacks.
	ReturnStatus *StatusItems
	// ReturnMyRights is RFC 8440 LIST-MYRIGHTS.
	ReturnMyRights bool
	// SelectMetadata/ReturnMetadata: Cyrus's LIST-METADATA (METADATA
	// selection option takes GETMETADATA options; the return option takes
	// the entries).
	SelectMetadata    bool
	MetadataOptions   []string
	ReturnMetadata    []string
	HasReturnMetadata bool
	// Cyrus vendor selection options.
	SelectDAV, SelectDeleted, SelectIntermediates bool
}

// Lsub holds LSUB's arguments.
type Lsub struct {
	Reference, Pattern string
}

// Scan holds Cyrus's SCAN command arguments (reference, pattern, text).
type Scan struct {
	Reference, Pattern, Text string
}

// StatusItems are the STATUS data items requested (RFC 9051 6.3.11).
// imap.StatusOptions covers the standard ones; MailboxID (RFC 8474) and
// CreatedModSeq (Cyrus) are ours.
type StatusItems struct {
	imap.StatusOptions
	MailboxID     bool
	CreatedModSeq bool
	// Order lists the items in the order they were requested, upper
	// case. Cyrus answers in its own fixed order; Order is for logging.
	Order []string
}

// StatusCmd holds STATUS's arguments.
type StatusCmd struct {
	Mailbox string
	Items   StatusItems
}

// UIDExpunge holds UID EXPUNGE's UID set (RFC 4315).
type UIDExpunge struct {
	UIDs imap.NumSet
}

// Copy holds COPY/MOVE's arguments (RFC 9051 6.4.7, RFC 6851).
type Copy struct {
	Set     imap.NumSet
	Mailbox string
}

// SetACL holds SETACL's arguments (RFC 4314).
type SetACL struct {
	Mailbox, Identifier, Rights string
}

// ACLIdentifier holds DELETEACL and LISTRIGHTS's arguments.
type ACLIdentifier struct {
	Mailbox, Identifier string
}

// SetQuota holds SETQUOTA's arguments (RFC 9208, RFC 2087). A root
// starting with '+' is Cyrus's "force" form; Force is set and the '+' is
// removed.
type SetQuota struct {
	Root   string
	Force  bool
	Limits []QuotaLimit
}

// QuotaLimit is one resource limit; Limit is -1 for Cyrus's "no limit".
type QuotaLimit struct {
	Resource string // as sent (Cyrus compares case-insensitively)
	Limit    int64
}

// GetMetadata holds GETMETADATA's arguments (RFC 5464 4.2). Cyrus accepts
// the options before or after the mailbox and a list of mailboxes; this is
// what it resolved them to. MaxSize is nil without MAXSIZE; Depth is "0",
// "1" or "infinity" ("" without DEPTH).
type GetMetadata struct {
	Mailboxes        []string
	MailboxIsPattern bool
	Entries          []string
	MaxSize          *uint64
	Depth            string
}

// SetMetadata holds SETMETADATA's arguments (RFC 5464 4.3).
type SetMetadata struct {
	Mailbox string
	Entries []MetadataEntry
}

// MetadataEntry is one entry/value pair; Value is nil for NIL (delete).
type MetadataEntry struct {
	Name  string
	Value []byte
}

// Annotation types of RFC 5257 (ANNOTATE-EXPERIMENT-1), which Cyrus offers
// in FETCH, STORE, APPEND, SEARCH and SORT.

// AnnotationFetch is FETCH ANNOTATION's entries and attributes.
type AnnotationFetch struct {
	Entries, Attribs []string
}

// AnnotationStore is one entry of STORE/APPEND ANNOTATION.
type AnnotationStore struct {
	Entry  string
	Values []AnnotationValue
}

// AnnotationValue is one attribute/value pair; Value nil is NIL.
type AnnotationValue struct {
	Attrib string
	Value  []byte
}

// dateOnly builds the midnight-UTC time Search uses for a date.
func dateOnly(y int, m time.Month, d int) time.Time {
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
