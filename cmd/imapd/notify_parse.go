package main

import (
	"strings"

	"gyrus/lib/imapwire"
)

// The NOTIFY command's grammar (RFC 5465 8):
//
//	notify          = "NOTIFY" SP (notify-set / "NONE")
//	notify-set      = "SET" [SP "STATUS"] SP event-groups
//	event-group     = "(" filter-mailboxes SP events ")"
//	events          = ( "(" event *(SP event) ")" ) / "NONE"
//	filter-mailboxes = "selected" / "selected-delayed" / "inboxes" /
//	                  "personal" / "subscribed" /
//	                  ("subtree" / "mailboxes") SP one-or-more-mailbox
//	event           = "MessageNew" [SP "(" fetch-att *(SP fetch-att) ")"] /
//	                  "MessageExpunge" / "FlagChange" / "AnnotationChange" /
//	                  "MailboxName" / "SubscriptionChange" /
//	                  "MailboxMetadataChange" / "ServerMetadataChange"
//
// Syntax errors are BAD (the parser's), the rules of section 5 that the
// grammar cannot say are checked by checkNotify.

// notifyEvent is a set of RFC 5465 events.
type notifyEvent uint16

const (
	evMessageNew notifyEvent = 1 << iota
	evMessageExpunge
	evFlagChange
	evAnnotationChange
	evMailboxName
	evSubscriptionChange
	evMailboxMetadataChange
	evServerMetadataChange
)

// notifyEventNames in the RFC's order; notifySupported is what Gyrus
// can report (the BADEVENT list of section 5).
var notifyEventNames = []struct {
	name string
	ev   notifyEvent
}{
	{"MessageNew", evMessageNew}, {"MessageExpunge", evMessageExpunge},
	{"FlagChange", evFlagChange}, {"AnnotationChange", evAnnotationChange},
	{"MailboxName", evMailboxName}, {"SubscriptionChange", evSubscriptionChange},
	{"MailboxMetadataChange", evMailboxMetadataChange}, {"ServerMetadataChange", evServerMetadataChange},
}

const notifySupported = evMessageNew | evMessageExpunge | evFlagChange | evMailboxName | evSubscriptionChange |
	evMailboxMetadataChange | evServerMetadataChange

// notifyGroup is one event-group.
type notifyGroup struct {
	filter    imapwire.MailboxFilter
	events    notifyEvent // 0 for NONE
	fetchAtts string      // MessageNew's fetch-atts, as written (between the parentheses)
}

// notifyArgs is a parsed NOTIFY command: None for NOTIFY NONE.
type notifyArgs struct {
	None   bool
	Status bool
	Groups []notifyGroup
}

// parseNotify reads NOTIFY's arguments.
func parseNotify(a *imapwire.Args) (any, error) {
	word, err := a.Atom()
	if err != nil {
		return nil, err
	}
	n := &notifyArgs{}
	switch strings.ToUpper(word) {
	case "NONE":
		n.None = true
		return n, a.End()
	case "SET":
	default:
		return nil, a.Bad("Invalid Notify subcommand")
	}
	if !a.More() {
		return nil, a.Bad("Missing event groups")
	}
	if a.Peek() != '(' {
		w, err := a.Atom()
		if err != nil {
			return nil, err
		}
		if !strings.EqualFold(w, "STATUS") {
			return nil, a.Bad("Invalid Notify set option")
		}
		n.Status = true
	}
	for a.More() {
		if a.Peek() != '(' {
			return nil, a.Bad("Invalid event group")
		}
		var g notifyGroup
		part := 0
		err := a.List(func() error {
			part++
			switch part {
			case 1:
				return parseNotifyFilter(a, &g.filter)
			case 2:
				return parseNotifyEvents(a, &g)
			}
			return a.Bad("Invalid event group")
		})
		if err != nil {
			return nil, err
		}
		if part != 2 {
			return nil, a.Bad("Invalid event group")
		}
		n.Groups = append(n.Groups, g)
	}
	if len(n.Groups) == 0 {
		return nil, a.Bad("Missing event groups")
	}
	return n, a.End()
}

// parseNotifyFilter reads filter-mailboxes.
func parseNotifyFilter(a *imapwire.Args, f *imapwire.MailboxFilter) error {
	kind, err := a.Atom()
	if err != nil {
		return err
	}
	f.Kind = strings.ToLower(kind)
	switch f.Kind {
	case "selected", "selected-delayed", "inboxes", "personal", "subscribed":
		return nil
	case "subtree", "mailboxes":
	default:
		return a.Bad("Invalid filter-mailboxes")
	}
	if !a.More() {
		return a.Bad("Missing mailbox")
	}
	if a.Peek() == '(' {
		err = a.List(func() error {
			m, err := a.AString()
			f.Mailboxes = append(f.Mailboxes, m)
			return err
		})
		if err == nil && len(f.Mailboxes) == 0 {
			err = a.Bad("Missing mailbox")
		}
		return err
	}
	m, err := a.AString()
	f.Mailboxes = []string{m}
	return err
}

// parseNotifyEvents reads events: NONE or a list.
func parseNotifyEvents(a *imapwire.Args, g *notifyGroup) error {
	if !a.More() {
		return a.Bad("Missing events")
	}
	if a.Peek() != '(' {
		w, err := a.Atom()
		if err != nil {
			return err
		}
		if !strings.EqualFold(w, "NONE") {
			return a.Bad("Invalid events")
		}
		return nil
	}
	err := a.List(func() error {
		w, err := a.Atom()
		if err != nil {
			return err
		}
		ev := notifyEvent(0)
		for _, e := range notifyEventNames {
			if strings.EqualFold(w, e.name) {
				ev = e.ev
			}
		}
		if ev == 0 {
			return a.Bad("Invalid event " + w)
		}
		g.events |= ev
		if ev == evMessageNew && a.More() && a.Peek() == '(' {
			atts, err := a.RawList()
			if err != nil {
				return err
			}
			g.fetchAtts = atts
		}
		return nil
	})
	if err == nil && g.events == 0 {
		err = a.Bad("Missing events")
	}
	return err
}

// checkNotify applies section 5's rules the grammar cannot: MessageNew
// and MessageExpunge come together, FlagChange and AnnotationChange need
// both (BAD); fetch-atts only for the selected mailbox (BAD); events
// Gyrus cannot report: NO [BADEVENT]. It returns the status and text,
// or "" when the command is acceptable.
func checkNotify(n *notifyArgs) (status imapwire.Status, code imapwire.Code, text string) {
	for _, g := range n.Groups {
		msg := g.events & (evMessageNew | evMessageExpunge)
		if msg != 0 && msg != evMessageNew|evMessageExpunge {
			return imapwire.StatusBAD, "", "MessageNew and MessageExpunge must be requested together"
		}
		if g.events&(evFlagChange|evAnnotationChange) != 0 && msg == 0 {
			return imapwire.StatusBAD, "", "FlagChange and AnnotationChange need MessageNew and MessageExpunge"
		}
		if g.fetchAtts != "" && g.filter.Kind != "selected" && g.filter.Kind != "selected-delayed" {
			return imapwire.StatusBAD, "", "Fetch attributes are only allowed for the selected mailbox"
		}
	}
	for _, g := range n.Groups {
		if g.events&^notifySupported != 0 {
			var names []string
			for _, e := range notifyEventNames {
				if e.ev&notifySupported != 0 {
					names = append(names, e.name)
				}
			}
			return imapwire.StatusNO, imapwire.Code("BADEVENT (" + strings.Join(names, " ") + ")"), "Unsupported event"
		}
	}
	return "", "", ""
}
