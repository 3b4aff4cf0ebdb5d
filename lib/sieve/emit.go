package sieve

import "encoding/binary"

// Opcodes of commands (Cyrus 3.6.1 sieve/bytecode.h, enum bytecode):
// only the ones this compiler writes. The numbers are the file format.
const (
	opStop        = 0
	opDiscard     = 2
	opReject      = 3
	opIf          = 6
	opNotify      = 12
	opDenotify    = 13
	opNull        = 15
	opJump        = 16
	opInclude     = 17
	opReturn      = 18
	opSet         = 25
	opAddflag     = 26
	opSetflag     = 27
	opRemoveflag  = 28
	opAddheader   = 29
	opDelheader   = 30
	opEreject     = 31
	opEnotify     = 33
	opError       = 34
	opKeep        = 35
	opRedirect    = 39
	opFileinto    = 40
	opLog         = 41
	opSnooze      = 44
	opVacation    = 45
	opProcessimip = 46
)

// Opcodes of tests (enum bytecode_comps).
const (
	tcFalse             = 0
	tcTrue              = 1
	tcNot               = 2
	tcExists            = 3
	tcSize              = 4
	tcAnyof             = 5
	tcAllof             = 6
	tcEnvelope          = 8
	tcBody              = 10
	tcAddress           = 13
	tcHeader            = 14
	tcHasflag           = 15
	tcMailboxexists     = 16
	tcMetadata          = 17
	tcMetadataexists    = 18
	tcServermetadata    = 19
	tcServermetaexists  = 20
	tcString            = 21
	tcDuplicate         = 23
	tcIhave             = 24
	tcSpecialuseexists  = 25
	tcEnvironment       = 26
	tcValidnotifymethod = 27
	tcNotifymethodcapa  = 28
	tcMailboxidexists   = 29
	tcJmapquery         = 30
	tcDate              = 31
	tcCurrentdate       = 32
)

// Values of tagged arguments (enum bytecode_tags).
const (
	bOver             = 0
	bUnder            = 1
	bGT               = 4
	bGE               = 5
	bLT               = 6
	bLE               = 7
	bEQ               = 8
	bNE               = 9
	bLow              = 12
	bNormal           = 13
	bHigh             = 14
	bAny              = 15
	bAll              = 20
	bLocalpart        = 21
	bDomain           = 22
	bUser             = 23
	bDetail           = 24
	bASCIICasemap     = 29
	bOctet            = 30
	bASCIINumeric     = 31
	bIs               = 36
	bContains         = 37
	bMatches          = 38
	bRegex            = 39
	bCount            = 40
	bValue            = 41
	bList             = 42
	bRaw              = 46
	bText             = 47
	bContent          = 48
	bPersonal         = 54
	bGlobal           = 55
	bTimezone         = 60
	bOriginalzone     = 61
	bHeaderID         = 81
	bUniqueID         = 82
	incOnce           = 0x40
	incOptional       = 0x80
	bytecodeVersion   = 0x1F
	requiresVariables = 1
)

// An argument of a command or test, written in order after its opcode.
type arg interface{}

type (
	argInt   int32
	argStr   struct{ s *string } // nil: NIL, written as length -1
	argList  []string
	argVals  []int32
	argTest  struct{ t *test }
	argTests []*test
)

func str(s string) argStr { return argStr{&s} }

var nilStr = argStr{}

func optStr(s *string) argStr { return argStr{s} }

type test struct {
	op   int32
	args []arg
	// ignoreErr is the ihave bookkeeping of Cyrus's parser (see parser)
	ignoreErr int
}

type command struct {
	op   int32
	args []arg
	// for IF
	cond    *test
	then    []*command // nil: an empty block
	els     []*command
	hasElse bool
}

// writer builds the file in memory; positions are file offsets.
type writer struct{ b []byte }

func (w *writer) int(v int32) { w.b = binary.BigEndian.AppendUint32(w.b, uint32(v)) }

func (w *writer) at(pos int, v int32) { binary.BigEndian.PutUint32(w.b[pos:], uint32(v)) }

func (w *writer) str(s *string) {
	if s == nil {
		w.int(-1)
		return
	}
	w.int(int32(len(*s)))
	w.b = append(w.b, *s...)
	// at least one NUL, up to the next multiple of four
	w.b = append(w.b, make([]byte, 4-len(*s)%4)...)
}

// list writes a count, the offset of the list's end, then the items.
func (w *writer) list(n int, items func()) {
	w.int(int32(n))
	end := len(w.b)
	w.int(0)
	items()
	w.at(end, int32(len(w.b)))
}

func (w *writer) args(args []arg) {
	for _, a := range args {
		switch a := a.(type) {
		case argInt:
			w.int(int32(a))
		case argStr:
			w.str(a.s)
		case argList:
			w.list(len(a), func() {
				for i := range a {
					w.str(&a[i])
				}
			})
		case argVals:
			w.list(len(a), func() {
				for _, v := range a {
					w.int(v)
				}
			})
		case argTest:
			w.test(a.t)
		case argTests:
			w.list(len(a), func() {
				for _, t := range a {
					w.test(t)
				}
			})
		}
	}
}

func (w *writer) test(t *test) {
	w.int(t.op)
	w.args(t.args)
}

// block writes commands; an empty block is a single NULL.
func (w *writer) block(cmds []*command) {
	if len(cmds) == 0 {
		w.int(opNull)
		return
	}
	for _, c := range cmds {
		w.int(c.op)
		if c.op != opIf {
			w.args(c.args)
			continue
		}
		testEnd := len(w.b)
		w.int(0)
		w.test(c.cond)
		w.at(testEnd, int32(len(w.b)/4))
		w.int(opJump)
		falseJump := len(w.b)
		w.int(0)
		w.block(c.then)
		elseJump := -1
		if c.hasElse {
			w.int(opJump)
			elseJump = len(w.b)
			w.int(0)
		}
		w.at(falseJump, int32(len(w.b)/4))
		if c.hasElse {
			w.block(c.els)
			w.at(elseJump, int32(len(w.b)/4))
		}
	}
}

func emit(cmds []*command, variables bool) []byte {
	w := &writer{b: make([]byte, 0, 256)}
	w.b = append(w.b, "CyrSBytecode"...)
	w.int(bytecodeVersion)
	req := int32(0)
	if variables {
		req = requiresVariables
	}
	w.int(req)
	w.block(cmds)
	return w.b
}
