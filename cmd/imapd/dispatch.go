package main

import (
	"gyrus/lib/imapwire"
	"gyrus/lib/log"
)

// Commands allowed before authentication (Cyrus cmdloop: only
// Authenticate, Capability, Id, Login, Logout, Noop and Starttls).
var preAuthCommands = map[string]bool{
	"AUTHENTICATE": true, "CAPABILITY": true, "ID": true, "LOGIN": true,
	"LOGOUT": true, "NOOP": true, "STARTTLS": true,
}

// Commands that change mailboxes: refused with readonly: yes.
var writeCommands = map[string]bool{
	"APPEND": true, "CREATE": true, "DELETE": true, "DELETEACL": true,
	"RENAME": true, "SETACL": true, "SETMETADATA": true, "SETQUOTA": true,
	"SUBSCRIBE": true, "UNSUBSCRIBE": true, "COPY": true, "MOVE": true,
	"XMOVE": true, "STORE": true, "EXPUNGE": true, "REPLACE": true,
}

// Commands that need a selected mailbox.
var selectedCommands = map[string]bool{
	"CHECK": true, "CLOSE": true, "COPY": true, "EXPUNGE": true, "FETCH": true,
	"MOVE": true, "SEARCH": true, "SORT": true, "STORE": true, "THREAD": true,
	"UID": true, "UNSELECT": true, "XMOVE": true, "REPLACE": true,
}

// gate applies Cyrus's state rules before a command's arguments are
// read (imapwire Options.Gate), in cmdloop's order: login first, then
// readonly, then a selected mailbox.
func (s *Session) gate(h imapwire.Header) error {
	s.gated = h.Name
	if h.UID {
		// "UID <sub>": the UID gate already required a mailbox.
		if s.srv.cfg.Readonly() && writeCommands[h.Name] {
			return imapwire.ErrReadOnly()
		}
		return nil
	}
	if !s.authed() {
		if !preAuthCommands[h.Name] {
			return imapwire.ErrLoginFirst()
		}
		switch h.Name {
		case "STARTTLS":
			if s.srv.tls == nil {
				return imapwire.ErrUnrecognized()
			}
		}
		return nil
	}
	switch h.Name {
	case "STARTTLS":
		if s.srv.tls == nil {
			return imapwire.ErrUnrecognized()
		}
	case "IDLE":
		if !s.srv.idleEnabled() {
			return imapwire.ErrUnrecognized()
		}
	case "UNAUTHENTICATE":
		if !s.isAdmin {
			return imapwire.ErrUnrecognized()
		}
	case "GETANNOTATION", "SETANNOTATION":
		// Cyrus parses the legacy ANNOTATEMORE commands and refuses
		// them unless annotation_enable_legacy_commands (which Gyrus
		// does not implement): the arguments are skipped unread.
		if h.Name == "SETANNOTATION" && s.srv.cfg.Readonly() {
			return imapwire.ErrReadOnly()
		}
		return &imapwire.Error{Tag: h.Tag, Status: imapwire.StatusNO, Text: "Permission denied"}
	}
	if s.srv.cfg.Readonly() && writeCommands[h.Name] {
		return imapwire.ErrReadOnly()
	}
	if selectedCommands[h.Name] && s.sel == nil {
		return imapwire.ErrSelectFirst()
	}
	return s.uidOnlyGate(h) // uidonly.go
}

// dispatch runs one parsed command.
func (s *Session) dispatch(cmd *imapwire.Command) {
	s.cmdName = cmd.Name
	if s.ss != nil {
		s.ss.SetCommand(cmdDisplay(cmd))
	}
	if log.ChattyEnabled() {
		log.Printf(log.LevelNotice, "command: %s %s", cmd.Tag, cmdDisplay(cmd))
	}
	t := cmd.Tag
	s.beginProgress(t)        // inprogress.go
	if s.uidOnlyRefuse(cmd) { // uidonly.go
		return
	}
	switch cmd.Name {
	case "CAPABILITY":
		s.cmdCapability(t)
	case "NOOP", "CHECK":
		s.cmdNoop(t)
	case "LOGOUT":
		s.cmdLogout(t)
	case "LOGIN":
		s.cmdLogin(t, cmd.Args.(*imapwire.Login))
	case "AUTHENTICATE":
		s.cmdAuthenticate(t, cmd.Args.(*imapwire.Authenticate))
	case "UNAUTHENTICATE":
		s.cmdUnauthenticate(t)
	case "STARTTLS":
		s.cmdStartTLS(t)
	case "COMPRESS":
		s.cmdCompress(t, cmd.Args.(*imapwire.Compress))
	case "ID":
		s.cmdID(t, cmd.Args.(*imapwire.ID))
	case "ENABLE":
		s.cmdEnable(t, cmd.Args.(*imapwire.Enable))
	case "NAMESPACE":
		s.cmdNamespace(t)
	case "SELECT", "EXAMINE":
		s.cmdSelect(t, cmd.Name, cmd.Args.(*imapwire.Select))
	case "CLOSE", "UNSELECT":
		s.cmdClose(t, cmd.Name == "CLOSE")
	case "CREATE":
		s.cmdCreate(t, cmd.Args.(*imapwire.Create))
	case "DELETE":
		s.cmdDelete(t, cmd.Args.(*imapwire.MailboxArg).Mailbox)
	case "RENAME":
		s.cmdRename(t, cmd.Args.(*imapwire.Rename))
	case "SUBSCRIBE", "UNSUBSCRIBE":
		s.cmdSubscribe(t, cmd.Args.(*imapwire.Subscribe), cmd.Name == "SUBSCRIBE")
	case "GENURLAUTH":
		s.cmdGenURLAuth(t, cmd.Args.([]genURLAuthItem))
	case "URLFETCH":
		s.cmdURLFetch(t, cmd.Args.(*urlFetchArgs))
	case "RESETKEY":
		s.cmdResetKey(t, cmd.Args.(*resetKeyArgs))
	case "RLIST":
		s.cmdList(t, "LIST", cmd.Args.(*imapwire.List))
	case "RLSUB":
		s.cmdLsub(t, cmd.Args.(*imapwire.Lsub))
	case "LIST", "XLIST":
		s.cmdList(t, cmd.Name, cmd.Args.(*imapwire.List))
	case "LSUB":
		s.cmdLsub(t, cmd.Args.(*imapwire.Lsub))
	case "SCAN":
		s.cmdScan(t, cmd.Args.(*imapwire.Scan))
	case "STATUS":
		s.cmdStatus(t, cmd.Args.(*imapwire.StatusCmd))
	case "APPEND":
		s.cmdAppend(t, cmd.Args.(*imapwire.Append))
	case "REPLACE":
		s.cmdReplace(t, cmd.UID, cmd.Args.(*imapwire.Replace))
	case "IDLE":
		s.cmdIdle(t)
	case "NOTIFY":
		s.cmdNotify(t, cmd.Args.(*notifyArgs)) // notify.go
	case "FETCH":
		s.cmdFetch(t, cmd.UID, cmd.Args.(*imapwire.Fetch))
	case "STORE":
		s.cmdStore(t, cmd.UID, cmd.Args.(*imapwire.Store))
	case "SEARCH":
		s.cmdSearch(t, cmd.UID, cmd.Args.(*imapwire.Search))
	case "ESEARCH":
		s.cmdMultiSearch(t, cmd.Args.(*imapwire.Search)) // multisearch.go
	case "SORT":
		s.cmdSort(t, cmd.UID, cmd.Args.(*imapwire.Sort))
	case "THREAD":
		s.cmdThread(t, cmd.UID, cmd.Args.(*imapwire.Thread))
	case "COPY", "MOVE", "XMOVE":
		s.cmdCopy(t, cmd.UID, cmd.Name != "COPY", cmd.Args.(*imapwire.Copy))
	case "EXPUNGE":
		var set *imapwire.UIDExpunge
		if cmd.UID {
			set = cmd.Args.(*imapwire.UIDExpunge)
		}
		s.cmdExpunge(t, set)
	case "GETACL":
		s.cmdGetACL(t, cmd.Args.(*imapwire.MailboxArg).Mailbox)
	case "SETACL":
		s.cmdSetACL(t, cmd.Args.(*imapwire.SetACL))
	case "DELETEACL":
		a := cmd.Args.(*imapwire.ACLIdentifier)
		s.cmdDeleteACL(t, a.Mailbox, a.Identifier)
	case "LISTRIGHTS":
		a := cmd.Args.(*imapwire.ACLIdentifier)
		s.cmdListRights(t, a.Mailbox, a.Identifier)
	case "MYRIGHTS":
		s.cmdMyRights(t, cmd.Args.(*imapwire.MailboxArg).Mailbox)
	case "GETQUOTA":
		s.cmdGetQuota(t, cmd.Args.(*imapwire.MailboxArg).Mailbox)
	case "GETQUOTAROOT":
		s.cmdGetQuotaRoot(t, cmd.Args.(*imapwire.MailboxArg).Mailbox)
	case "SETQUOTA":
		s.cmdSetQuota(t, cmd.Args.(*imapwire.SetQuota))
	case "GETMETADATA":
		s.cmdGetMetadata(t, cmd.Args.(*imapwire.GetMetadata))
	case "SETMETADATA":
		s.cmdSetMetadata(t, cmd.Args.(*imapwire.SetMetadata))
	default:
		s.bad(t, imapwire.TextUnrecognized)
	}
}

// cmdDisplay is the command as the proc file and chatty logging show it
// (Cyrus's spelling: "Fetch", "Uid").
func cmdDisplay(cmd *imapwire.Command) string {
	n := cmd.Name
	if n == "" {
		return ""
	}
	d := n[:1] + lower(n[1:])
	if cmd.UID {
		return "Uid " + lower(n)
	}
	return d
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
