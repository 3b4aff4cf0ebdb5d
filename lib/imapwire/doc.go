// Package imapwire is the server side of the IMAP wire protocol for Gyrus's
// imapd: a parser of client commands (RFC 3501, RFC 9051 and the extensions
// Cyrus 3.6 offers) and a writer of responses. It knows nothing of
// mailboxes: the session (cmd/imapd) decides what commands mean.
//
// # Using it
//
// One goroutine per connection owns a Parser and a Writer:
//
//	w := imapwire.NewWriter(conn)
//	p := imapwire.NewParser(conn, imapwire.Options{
//		Limits:       limitsFromConfig(cfg), // maxword, maxquoted, maxliteral, ...
//		LiteralMinus: cfg.Literalminus(),
//		Continue:     s.continueLiteral, // may refuse, else calls w.ContinueLiteral
//		Gate:         s.gate,            // state rules: imapwire.ErrLoginFirst() ...
//	})
//	for {
//		cmd, err := p.ReadCommand()
//		var e *imapwire.Error
//		if errors.As(err, &e) {
//			w.WriteError(e) // "<tag> BAD ..." as Cyrus words it
//			if e.Fatal() {
//				return // a "* BYE" was written: close
//			}
//			continue
//		} else if err != nil {
//			return // the connection failed
//		}
//		switch cmd.Name { // Args holds a typed value, see Command
//		case "FETCH":
//			f := cmd.Args.(*imapwire.Fetch) ...
//		case "APPEND":
//			a := cmd.Args.(*imapwire.Append) // check the mailbox, then a.Next()...
//		}
//	}
//
// Gate runs once the command name is known and before any argument is read
// (for "UID FETCH", once with "UID" and once with "FETCH"), which is where
// Cyrus checks the state ("Please login first", "Please select a mailbox
// first", NO for readonly: yes, BAD Unrecognized command for STARTTLS
// without TLS, IDLE when disabled, UNAUTHENTICATE for a non-admin). The
// parser never looks at the state otherwise, apart from the capabilities
// the session reports with Parser.Enable (QRESYNC allows SELECT's QRESYNC
// parameter and the VANISHED modifier, exactly as in Cyrus).
//
// Commands that go on reading after their line are driven by the session:
// AUTHENTICATE (Parser.ReadSASLResponse after each "+" challenge), IDLE
// (Parser.ReadIdleDone), APPEND (Append.Next, Catenate.Next, Literal).
// After STARTTLS or COMPRESS the session swaps the connection with
// Parser.Reset and Writer.Reset. Commands the parser does not know can be
// added with Parser.Register; otherwise they get "BAD Unrecognized command".
//
// # Invariants
//
//   - Literals are streamed. APPEND message data and CATENATE TEXT parts
//     reach the session through a Literal (an io.Reader of known size); the
//     parser never holds them. Other literals are read into memory only
//     after their size passed MaxLiteral and the remaining MaxArgsSize.
//   - Every size is checked before memory is taken: a literal's announced
//     size, each word (maxword), quoted string (maxquoted), the bytes of a
//     command (maxargssize), APPEND data (maxmessagesize), the nesting depth
//     and the number of items (Gyrus limits Cyrus lacks). A command costs
//     at most MaxArgsSize bytes plus a small constant per item.
//   - A synchronizing literal is read only after Options.Continue accepted
//     it (and sent "+ go ahead"); the session may refuse it first.
//   - After an *Error that is not Fatal, the input is resynchronised: the
//     rest of the command line is skipped when the next command is read
//     (so that the answer goes out first, as in Cyrus), including the data
//     of any non-synchronizing literal announced on it ({n+}, even in a
//     word that was rejected), but never a synchronizing literal's data,
//     which the client does not send without a continuation. Literal data
//     is never interpreted as a command (Cyrus 3.6 sometimes does).
//   - Fatal errors (limits that a non-synchronizing literal or an over-long
//     token exceeds, per RFC 7888 section 4, choice 2, as Cyrus does) come
//     with the BYE text; the connection must be closed.
//   - Parser and Writer take no locks and are not safe for concurrent use.
//     During IDLE the session reads DONE in one goroutine and writes
//     updates under its own mutex in another.
//
// # Types: go-imap where it fits
//
// Sequence sets are imap.SeqSet / imap.UIDSet ("*" as 0, "$" as
// imap.SearchRes()); flags imap.Flag; STORE's item imap.StoreFlags; SELECT
// parameters imap.SelectOptions; FETCH's standard items imap.FetchOptions
// (with imap.FetchItemBodySection and friends); LIST options
// imap.ListOptions; STATUS items imap.StatusOptions; APPEND flags and date
// imap.AppendOptions; RETURN options imap.SearchOptions; Literal satisfies
// imap.LiteralReader. Our own types cover what go-imap does not model:
//
//   - SearchKey, a tree: imap.SearchCriteria flattens a program into one
//     conjunction and has no OLDER/YOUNGER, SAVEDxxx, EMAILID/THREADID,
//     FUZZY, ANNOTATION or Cyrus keys, and loses LARGER 0 and key order.
//     SearchKey.Criteria converts when it can.
//   - FetchItems for RFC822/RFC822.HEADER/RFC822.TEXT (answered under their
//     own names, so they cannot become BODY[] sections), EMAILID, THREADID,
//     SAVEDATE, PREVIEW and Cyrus's attributes.
//   - StatusItems adds MAILBOXID and CREATEDMODSEQ to imap.StatusOptions;
//     List adds MYRIGHTS, METADATA and Cyrus's vendor options.
//   - Append is an iterator, since messages are streamed one by one.
//   - ENVELOPE and BODYSTRUCTURE are written pre-rendered
//     (FetchWriter.Raw): Cyrus renders them once into cyrus.cache, with the
//     raw Date header that imap.Envelope cannot keep.
//
// # Cyrus compatibility
//
// With Options.Ext zero the parser accepts what Cyrus 3.6.1 accepts and
// answers what it answers: the texts are in texts.go, with the command they
// belong to, and testdata/cyrus_answers.jsonl holds real Cyrus's answers to
// the 452 probes of testdata/cyrus_probes.txt, replayed by the tests
// (TestCyrusLive asks a running Cyrus again). The reference is the Debian
// 3.6.1-4+deb12u4 package, which carries Cyrus 3.6.5's limit fixes
// (maxliteral, maxargssize, [TOOBIG] BYEs). Deliberate differences, each
// pinned by a test:
//
//   - non-synchronizing literal data on a rejected line is skipped, never
//     read as the next command; after a zero-length APPEND literal the rest
//     of the line is skipped too;
//   - LARGER/SMALLER take 32-bit unsigned numbers (Cyrus closes the
//     connection above 2^31-1); other out-of-range numbers are BAD rather
//     than "BYE Fatal error: num too big" (which is kept for literal sizes);
//   - no empty line before ENABLE's BAD; an answer where Cyrus sends none
//     (SORT RETURN without criteria, junk after GETMETADATA's lists);
//   - SETQUOTA's list is parsed before the session checks rights (Cyrus
//     answers NO and leaves the list to be read as a command);
//   - what Cyrus accepts only with conversations: on (FETCH CID, BASECID,
//     MAILBOXES, MAILBOXIDS; SEARCH CONVFLAG...; SORT CONVMODSEQ...; STATUS
//     XCONV...) is refused as Cyrus refuses it with conversations: off,
//     its default;
//   - with Options.Ext bits set, extension grammar Cyrus lacks:
//     SEARCHRES ($ and SAVE), MULTISEARCH (ESEARCH IN), PARTIAL, APPEND
//     UTF8, STATUS DELETED/DELETED-STORAGE and APPENDLIMIT.
//
// # RFCs
//
//	RFC 3501, 9051 IMAP4rev1/rev2 commands       Yes
//	RFC 2177 IDLE, 2342 NAMESPACE, 2971 ID        Yes
//	RFC 3348 CHILDREN, 3691 UNSELECT              Yes
//	RFC 3502 MULTIAPPEND, 4469 CATENATE           Yes (streamed)
//	RFC 3516 BINARY (literal8, BINARY[], .SIZE)   Yes
//	RFC 4314 ACL, RFC 9208/2087 QUOTA             Yes
//	RFC 4315 UIDPLUS (UID EXPUNGE, codes)         Yes
//	RFC 4466 ABNF extensions                      Yes
//	RFC 4731 ESEARCH, 5267 ESORT                  Yes
//	RFC 4959 SASL-IR                              Yes
//	RFC 4978 COMPRESS                             Yes (Reset hands over read-ahead)
//	RFC 5032 WITHIN                               Yes
//	RFC 5161 ENABLE                               Yes
//	RFC 5182 SEARCHRES                            Yes (ExtSearchRes)
//	RFC 5256 SORT/THREAD                          Yes
//	RFC 5257 ANNOTATE (FETCH/STORE/APPEND/SEARCH) Yes (as Cyrus)
//	RFC 5258 LIST-EXTENDED, 5819 LIST-STATUS      Yes
//	RFC 5464 METADATA                             Yes (Cyrus's liberal forms too)
//	RFC 6154 SPECIAL-USE, CREATE-SPECIAL-USE      Yes
//	RFC 6203 FUZZY                                Yes
//	RFC 6851 MOVE                                 Yes
//	RFC 6855 UTF8=ACCEPT (APPEND UTF8)            Yes (ExtUTF8); writer quotes UTF-8 once enabled
//	RFC 7162 CONDSTORE/QRESYNC                    Yes
//	RFC 7377 MULTISEARCH                          Yes (ExtMultiSearch)
//	RFC 7888 LITERAL+/LITERAL-                    Yes
//	RFC 7889 APPENDLIMIT (STATUS item)            Yes (ExtAppendLimit)
//	RFC 8437 UNAUTHENTICATE                       Yes
//	RFC 8438 STATUS=SIZE                          Yes
//	RFC 8440 LIST-MYRIGHTS                        Yes
//	RFC 8474 OBJECTID                             Yes
//	RFC 8508 REPLACE, UID REPLACE                 Yes (ExtReplace): one APPEND message
//	RFC 8514 SAVEDATE                             Yes
//	RFC 8970 PREVIEW                              Yes
//	RFC 9394 PARTIAL                              Yes (ExtPartial): RETURN option, FETCH modifier
//	RFC 9586 UIDONLY                              UIDFETCH writer (the session refuses numbers)
//	URLAUTH (GENURLAUTH, URLFETCH, RESETKEY)      No (Register can add them)
//	Cyrus GETANNOTATION/SETANNOTATION, XFER, DUMP,
//	  X-conversations commands, SYNC*             No (Register can add them)
package imapwire
