package imapwire

import (
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
)

var criteriaHeader = map[SearchOp]string{
	SearchBcc: "Bcc", SearchCc: "Cc", SearchFrom: "From", SearchSubject: "Subject", SearchTo: "To",
}

var criteriaFlag = map[SearchOp]imap.Flag{
	SearchAnswered: imap.FlagAnswered, SearchDeleted: imap.FlagDeleted, SearchDraft: imap.FlagDraft,
	SearchFlagged: imap.FlagFlagged, SearchSeen: imap.FlagSeen, SearchRecent: "\\Recent",
}

var criteriaNotFlag = map[SearchOp]imap.Flag{
	SearchUnanswered: imap.FlagAnswered, SearchUndeleted: imap.FlagDeleted, SearchUndraft: imap.FlagDraft,
	SearchUnflagged: imap.FlagFlagged, SearchUnseen: imap.FlagSeen, SearchOld: "\\Recent",
}

// Criteria converts the key to go-imap's imap.SearchCriteria when every
// key of the tree has a faithful equivalent there; ok is false otherwise
// (OLDER, SAVEDBEFORE, EMAILID, FUZZY, ANNOTATION, Cyrus keys, LARGER 0,
// SMALLER 0, several MODSEQ keys...). Dates are calendar days in UTC; the
// session applies its own time zone rules (Cyrus uses the server's).
func (k *SearchKey) Criteria() (c *imap.SearchCriteria, ok bool) {
	c = &imap.SearchCriteria{}
	if !k.addTo(c) {
		return nil, false
	}
	return c, true
}

func (k *SearchKey) addTo(c *imap.SearchCriteria) bool {
	if h, ok := criteriaHeader[k.Op]; ok {
		c.Header = append(c.Header, imap.SearchCriteriaHeaderField{Key: h, Value: k.Text})
		return true
	}
	if f, ok := criteriaFlag[k.Op]; ok {
		c.Flag = append(c.Flag, f)
		return true
	}
	if f, ok := criteriaNotFlag[k.Op]; ok {
		c.NotFlag = append(c.NotFlag, f)
		return true
	}
	switch k.Op {
	case SearchAnd:
		for _, sub := range k.Keys {
			if !sub.addTo(c) {
				return false
			}
		}
	case SearchAll:
	case SearchNew:
		c.Flag = append(c.Flag, "\\Recent")
		c.NotFlag = append(c.NotFlag, imap.FlagSeen)
	case SearchKeyword:
		c.Flag = append(c.Flag, k.Flag)
	case SearchUnkeyword:
		c.NotFlag = append(c.NotFlag, k.Flag)
	case SearchHeader:
		c.Header = append(c.Header, imap.SearchCriteriaHeaderField{Key: k.Field, Value: k.Text})
	case SearchBody:
		c.Body = append(c.Body, k.Text)
	case SearchText:
		c.Text = append(c.Text, k.Text)
	case SearchSeq:
		set, ok := k.Set.(imap.SeqSet)
		if !ok {
			return false
		}
		c.SeqNum = append(c.SeqNum, set)
	case SearchUID:
		set, ok := k.Set.(imap.UIDSet)
		if !ok {
			return false
		}
		c.UID = append(c.UID, set)
	case SearchBefore, SearchOn, SearchSince, SearchSentBefore, SearchSentOn, SearchSentSince:
		sent := strings.HasPrefix(string(k.Op), "SENT")
		var since, before time.Time
		switch k.Op {
		case SearchBefore, SearchSentBefore:
			before = k.Date
		case SearchSince, SearchSentSince:
			since = k.Date
		default:
			since, before = k.Date, k.Date.AddDate(0, 0, 1)
		}
		other := &imap.SearchCriteria{}
		if sent {
			other.SentSince, other.SentBefore = since, before
		} else {
			other.Since, other.Before = since, before
		}
		c.And(other)
	case SearchLarger, SearchSmaller:
		if k.Num == 0 {
			return false
		}
		other := &imap.SearchCriteria{}
		if k.Op == SearchLarger {
			other.Larger = int64(k.Num)
		} else {
			other.Smaller = int64(k.Num)
		}
		c.And(other)
	case SearchNot:
		var sub imap.SearchCriteria
		if !k.Keys[0].addTo(&sub) {
			return false
		}
		c.Not = append(c.Not, sub)
	case SearchOr:
		var a, b imap.SearchCriteria
		if !k.Keys[0].addTo(&a) || !k.Keys[1].addTo(&b) {
			return false
		}
		c.Or = append(c.Or, [2]imap.SearchCriteria{a, b})
	case SearchModSeq:
		if c.ModSeq != nil {
			return false
		}
		c.ModSeq = &imap.SearchCriteriaModSeq{ModSeq: k.Num, MetadataName: k.Field,
			MetadataType: imap.SearchCriteriaMetadataType(k.Attr)}
	default:
		return false
	}
	return true
}
