package tlsutil

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"time"
)

// Ticket format (our own; only Gyrus reads it, but clients store it and
// send it back, so it is outside input and FuzzOpenTicket covers it):
//
//	0      1 byte   ticketVersion
//	1     16 bytes  id of the ticket key (see keys.go)
//	17    12 bytes  GCM nonce (random)
//	29     ...      AES-256-GCM sealed: issued (8 bytes, big-endian Unix
//	                seconds) followed by the session state
//	                (tls.SessionState.Bytes), then the 16-byte tag
//
// The additional data of the seal is bytes 0..28 followed by the service
// ident, so a ticket issued by imapd never resumes a pop3d session (Cyrus
// gets the same effect from SSL_CTX_set_session_id_context(ident)).
const (
	ticketVersion   = 1
	ticketHeaderLen = 1 + keyIDLen + 12
	ticketMinLen    = ticketHeaderLen + 8 + 16
	// ticketSkew is how far in the future an issue time may lie (clock
	// steps between processes); beyond it the ticket is refused.
	ticketSkew = time.Minute
)

var errTicket = errors.New("not a usable session ticket")

// sealTicket seals a session state for the service ident with the ring's
// current key.
func (r *keyRing) sealTicket(ident string, issued time.Time, state []byte) ([]byte, error) {
	k, err := r.sealKey()
	if err != nil {
		return nil, err
	}
	out := make([]byte, ticketHeaderLen, ticketHeaderLen+8+len(state)+16)
	out[0] = ticketVersion
	copy(out[1:], k.ID[:])
	if _, err := rand.Read(out[1+keyIDLen : ticketHeaderLen]); err != nil {
		return nil, err
	}
	plain := make([]byte, 8, 8+len(state))
	binary.BigEndian.PutUint64(plain, uint64(issued.Unix()))
	plain = append(plain, state...)
	aad := append(out[:ticketHeaderLen:ticketHeaderLen], ident...)
	return k.aead.Seal(out, out[1+keyIDLen:ticketHeaderLen], plain, aad), nil
}

// openTicket opens a ticket for the service ident and checks its age
// against the session timeout. Anything wrong gives errTicket: the
// client then simply gets a full handshake.
func (r *keyRing) openTicket(ident string, ticket []byte, now time.Time) (state []byte, err error) {
	if len(ticket) < ticketMinLen || ticket[0] != ticketVersion {
		return nil, errTicket
	}
	var id [keyIDLen]byte
	copy(id[:], ticket[1:])
	k := r.openKey(id)
	if k == nil {
		return nil, errTicket
	}
	aad := append(ticket[:ticketHeaderLen:ticketHeaderLen], ident...)
	plain, err := k.aead.Open(nil, ticket[1+keyIDLen:ticketHeaderLen], ticket[ticketHeaderLen:], aad)
	if err != nil || len(plain) < 8 {
		return nil, errTicket
	}
	issued := time.Unix(int64(binary.BigEndian.Uint64(plain)), 0)
	if issued.After(now.Add(ticketSkew)) || !now.Before(issued.Add(r.timeout)) {
		return nil, errTicket
	}
	return plain[8:], nil
}
