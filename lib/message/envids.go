package message

import "fmt"

// EnvelopeIDs returns the In-Reply-To and Message-ID of a cached ENVELOPE
// (cyrus.cache item 0) without building its address lists: THREAD
// REFERENCES needs only these two, for every message of the mailbox.
// For every item ParseEnvelope accepts it returns the same two values;
// it may accept damaged address lists that ParseEnvelope refuses.
func EnvelopeIDs(item []byte) (inReplyTo, messageID string, err error) {
	bp := &bsParser{b: item}
	if err := bp.expect('('); err != nil {
		return "", "", fmt.Errorf("envelope start: %w", err)
	}
	// date, subject, from, sender, reply-to, to, cc, bcc
	for i := 0; i < 8; i++ {
		if i > 0 {
			if err := bp.expect(' '); err != nil {
				return "", "", fmt.Errorf("envelope field %d at %d: %w", i+1, bp.p, err)
			}
		}
		if err := bp.skip(0); err != nil {
			return "", "", fmt.Errorf("envelope field %d at %d: %w", i+1, bp.p, err)
		}
	}
	for _, f := range []*string{&inReplyTo, &messageID} {
		if err := bp.expect(' '); err != nil {
			return "", "", fmt.Errorf("envelope id at %d: %w", bp.p, err)
		}
		if *f, _, err = bp.nstring(); err != nil {
			return "", "", fmt.Errorf("envelope id at %d: %w", bp.p, err)
		}
	}
	if err := bp.expect(')'); err != nil {
		return "", "", fmt.Errorf("envelope end: %w", err)
	}
	return inReplyTo, messageID, nil
}
