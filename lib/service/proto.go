package service

import (
	"encoding/binary"
	"fmt"
)

// The descriptors master gives a SERVICES child (Cyrus master/service.h).
const (
	StatusFD = 3 // messages to master (and, from Gyrus's master, slot grants back)
	ListenFD = 4 // the listening socket
)

// Messages a child writes on StatusFD. The first four are Cyrus's
// (master/service.h) and mean what they mean there; the others are Gyrus
// extensions, sent only when master announced the slot protocol with
// EnvSlots (see doc.go).
const (
	MsgAvailable       int32 = 0x01 // ready for a connection
	MsgUnavailable     int32 = 0x02 // not accepting (busy, or retiring)
	MsgConnection      int32 = 0x03 // took a connection (one-connection process)
	MsgConnectionMulti int32 = 0x04 // took one more connection, still accepting

	MsgMultiHello    int32 = 0x100 // I serve many connections and follow the slot protocol
	MsgConnectionEnd int32 = 0x101 // one of my connections ended; its slot stays mine
	MsgSlotRelease   int32 = 0x102 // I give one unused slot back
	MsgRevokeDone    int32 = 0x103 // I have answered a MsgSlotRevoke
)

// Messages Gyrus's master writes back on the child's StatusFD (slot
// protocol only).
const (
	// MsgSlotGrant: the value is how many more connections the child may
	// hold at once, or SlotsUnlimited.
	MsgSlotGrant int32 = 0x200
	// MsgSlotRevoke: give back up to value unused slots (with
	// MsgSlotRelease, one each), then send MsgRevokeDone.
	MsgSlotRevoke int32 = 0x201
)

// SlotsUnlimited is the value of a MsgSlotGrant for a service without
// maxchild: the child may accept without limit.
const SlotsUnlimited int32 = -1

// MsgSize is the size of every message in both directions: two int32 in
// host byte order ({message, pid} from a child, {message, value} to it).
const MsgSize = 8

// Environment of a child started by master.
const (
	EnvService  = "CYRUS_SERVICE"  // cyrus.conf entry name
	EnvID       = "CYRUS_ID"       // index of the listening socket within the entry
	EnvIsDaemon = "CYRUS_ISDAEMON" // "1" for DAEMON entries
	// EnvSlots is "1" when master (Gyrus's) speaks the slot protocol on
	// StatusFD, which is then a bidirectional stream socket.
	EnvSlots = "GYRUS_SLOTS"
)

// Msg is one message on the status channel.
type Msg struct {
	Code  int32
	Value int32 // the sender's pid from a child; a count from master
}

// Encode returns the 8 bytes of m in host (little-endian on every
// platform Gyrus builds for) byte order.
func (m Msg) Encode() [MsgSize]byte {
	var b [MsgSize]byte
	binary.NativeEndian.PutUint32(b[0:4], uint32(m.Code))
	binary.NativeEndian.PutUint32(b[4:8], uint32(m.Value))
	return b
}

// DecodeMsg reads one message from 8 bytes.
func DecodeMsg(b []byte) Msg {
	return Msg{
		Code:  int32(binary.NativeEndian.Uint32(b[0:4])),
		Value: int32(binary.NativeEndian.Uint32(b[4:8])),
	}
}

func (m Msg) String() string {
	name := map[int32]string{
		MsgAvailable: "AVAILABLE", MsgUnavailable: "UNAVAILABLE",
		MsgConnection: "CONNECTION", MsgConnectionMulti: "CONNECTION_MULTI",
		MsgMultiHello: "MULTI_HELLO", MsgConnectionEnd: "CONNECTION_END",
		MsgSlotRelease: "SLOT_RELEASE", MsgRevokeDone: "REVOKE_DONE",
		MsgSlotGrant: "SLOT_GRANT", MsgSlotRevoke: "SLOT_REVOKE",
	}[m.Code]
	if name == "" {
		name = fmt.Sprintf("0x%x", m.Code)
	}
	return fmt.Sprintf("%s(%d)", name, m.Value)
}
