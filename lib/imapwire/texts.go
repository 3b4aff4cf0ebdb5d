package imapwire

// Texts answered by Cyrus 3.6.1 (Debian 3.6.1-4+deb12u4, which carries the
// 3.6.5 limit fixes) when a command cannot be parsed, with the command or
// context they belong to. Sources: imap/imapd.c (cmdloop, cmd_*, getlistargs,
// getsortcriteria, parse_fetch_args, parse_statusitems, cmd_select...) and
// imap/imapparse.c (get_search_criterion, getxstring). Recorded answers of the
// real server are in testdata/cyrus_answers.jsonl (see cyrus_test.go).
//
// "%s" stands for Cyrus's spelling of the command: first letter upper case,
// the rest lower case ("Fetch", "Getquotaroot"); for UID commands the top
// level uses "Uid" and FETCH/STORE use "UID Fetch"/"UID Store".
const (
	// Top level (cmdloop), any command.
	TextInvalidTag      = "Invalid tag"                                        // untagged: "* BAD Invalid tag"
	TextNullCommand     = "Null command"                                       // tag without a command name
	TextUnrecognized    = "Unrecognized command"                               // unknown command name
	TextUnrecognizedUID = "Unrecognized UID subcommand"                        // UID <unknown>
	TextLoginFirst      = "Please login first"                                 // not authenticated
	TextSelectFirst     = "Please select a mailbox first"                      // no mailbox selected
	TextReadOnly        = "This connection is configured for read-only access" // NO, readonly: yes
	TextMissingArgs     = "Missing required argument to %s"                    // too few arguments
	TextExtraArgs       = "Unexpected extra arguments to %s"                   // junk before CRLF
	TextBadSequence     = "Invalid sequence in %s"                             // FETCH/STORE/COPY/MOVE/UID EXPUNGE
	TextBadPartition    = "Invalid partition name in %s"                       // CREATE/RENAME
	TextLiteralTooLarge = "Literal size exceeds fixed limit"                   // NO [TOOBIG] ... in <where>
	TextLiteralMinus    = "Non-synchronizing literal size exceeds 4K"          // NO/BYE [TOOBIG]
	TextArgsTooLarge    = "Command arguments total size exceeds fixed limit"   // BYE [TOOBIG]
	TextWordTooLong     = "Word too long"                                      // BYE [TOOBIG]
	TextQuotedTooLong   = "Quoted value too long"                              // BYE [TOOBIG]
	TextNumTooBig       = "Fatal error: num too big"                           // BYE, literal size over 2^31-1

	// AUTHENTICATE / LOGIN.
	TextBadMechanism    = "Invalid authenticate mechanism"
	TextAuthCanceled    = "Client canceled authentication"
	TextExtraArgsLogin  = "Unexpected extra arguments to LOGIN"
	TextAlreadyAuth     = "Already authenticated"
	TextAlreadyLoggedIn = "Already logged in"

	// ID (cmd_id).
	TextIDBadList  = "Invalid parameter list in Id"
	TextIDBadPair  = "Invalid field-value pair in Id"
	TextIDField    = "field longer than %d octets in Id"
	TextIDValue    = "value longer than %d octets in Id"
	TextIDTooMany  = "too many (%d) field-value pairs in ID"
	TextIDTrailing = "trailing junk"

	// IDLE.
	TextIdleContinuation = "Invalid Idle continuation"

	// SELECT/EXAMINE (cmd_select); %s is Select or Examine.
	TextSelectBadList    = "Invalid modifier list in %s"
	TextSelectBadMod     = "Invalid %s modifier %s"
	TextSelectNoClose    = "Missing close parenthesis in %s"
	TextSelectBadQResync = "Invalid QRESYNC parameter list in %s"

	// LIST (getlistargs, getlistselopts, getlistretopts).
	TextListMissingRef     = "Missing required argument to List: reference name"
	TextListMissingPattern = "Missing required argument to List: mailbox pattern"
	TextListSyntax         = "Invalid syntax in List command"
	TextListBadSelOpt      = "Invalid List selection option \"%s\""
	TextListSelNoClose     = "Missing close parenthesis for List selection options"
	TextListSelCombination = "Invalid combination of selection options"
	TextListExtraArg       = "Unexpected extra argument to List: \"%s\""
	TextListMissingRet     = "Missing return argument list"
	TextListBadRetOpt      = "Invalid List return option \"%s\""
	TextListRetNoClose     = "Missing close parenthesis for List return options"

	// STATUS (parse_statusitems).
	TextStatusBad     = "Bad status string"
	TextStatusBadAttr = "Invalid Status attributes %s"
	TextStatusNoClose = "Missing close parenthesis in Status"

	// FETCH (parse_fetch_args); %s is Fetch or UID Fetch.
	TextFetchBadAttr        = "Invalid %s attribute %s"
	TextFetchNoClose        = "Missing close parenthesis in %s"
	TextFetchMissingArg     = "Missing required argument to %s %s"
	TextFetchMissingOpen    = "Missing required open parenthesis in %s %s"
	TextFetchBadField       = "Invalid field-name in %s %s"
	TextFetchMissingClose   = "Missing required close parenthesis in %s %s"
	TextFetchMissingBracket = "Missing required close bracket after %s %s"
	TextFetchJunkSection    = "Junk after body section"
	TextFetchBadSection     = "Invalid body section"
	TextFetchBadPartial     = "Invalid body partial"
	TextFetchBadBinary      = "Invalid binary section"
	TextFetchJunkBinary     = "Junk after binary section"
	TextFetchBadPreview     = "FETCH contains invalid preview modifier (%s)"
	TextFetchPreviewOpen    = "PREVIEW list not finished."
	TextFetchBadAnnotation  = "invalid Annotation"
	TextFetchModOpen        = "Missing required open parenthesis in %s modifiers"
	TextFetchModBadArg      = "Invalid argument to %s %s"
	TextFetchBadModifier    = "Invalid %s modifier %s"

	// STORE (cmd_store); %s is Store or UID Store.
	TextStoreBadMod        = "Invalid %s modifier %s"
	TextStoreModBadArg     = "Invalid argument to %s UNCHANGEDSINCE"
	TextStoreModNoClose    = "Missing close paren in store modifier entry "
	TextStoreBadAttr       = "Invalid %s attribute"
	TextStoreBadSystemFlag = "Invalid system flag in %s command"
	TextStoreBadFlag       = "Invalid flag name %s in %s command"
	TextStoreNoClose       = "Missing close parenthesis in %s"

	// SEARCH (get_search_criterion, get_search_return_opts); also SORT and
	// THREAD programs.
	TextSearchBadCriteria   = "Invalid Search criteria"
	TextSearchNoClose       = "Missing required close paren in Search command"
	TextSearchMissingArg    = "Missing required argument to Search %s" // key in lower case
	TextSearchBadFlag       = "Invalid flag name %s in Search command"
	TextSearchBadDate       = "Invalid date in Search command"
	TextSearchBadNumber     = "Invalid number in Search command"
	TextSearchBadInterval   = "Invalid interval in Search command"
	TextSearchNoCharset     = "Missing charset"
	TextSearchBadCharset    = "Unrecognized character set"
	TextSearchNoReturn      = "Missing return options in Search"
	TextSearchBadReturn     = "Invalid Search return option %s" // option in lower case
	TextSearchReturnNoClose = "Missing close parenthesis in Search"

	// SORT (getsortcriteria), THREAD (cmd_thread).
	TextSortMissing      = "Missing Sort criteria"
	TextSortBadCriterion = "Invalid Sort criterion %s"
	TextSortReverse      = "Missing Sort criterion to reverse"
	TextSortNoClose      = "Missing close parenthesis in Sort"
	TextSortMissingArg   = "Missing argument to Sort criterion %s"
	TextThreadMissingAlg = "Missing algorithm in Thread"
	TextThreadBadAlg     = "Invalid Thread algorithm %s"

	// APPEND (cmd_append, getliteralsize, append_catenate).
	TextAppendMissing      = "Missing required argument to Append command"
	TextAppendBadSize      = "Literal size not a number"
	TextAppendBadLiteral   = "Invalid literal in Append command"
	TextAppendBadFlag      = "Invalid flag in Append command"
	TextAppendFlagNoClose  = "Missing space or ) after flag name in Append command"
	TextAppendFlagSpace    = "Missing space after flag list in Append command"
	TextAppendBadDate      = "Invalid date-time in Append command"
	TextAppendNoAnnotation = "Missing annotation data in Append command"
	TextAppendNoParts      = "Missing message part(s) in Append command"
	TextAppendNoPartData   = "Missing message part data in Append command"
	TextAppendNoURL        = "Missing URL in Append command"
	TextAppendBadPartType  = "Invalid message part type in Append command"
	TextAppendCatNoClose   = "Missing space or ) after catenate list in Append command"
	TextAppendJunk         = "junk after literal"
	TextAppendZero         = "Zero-length message literal"      // NO
	TextMessageTooLarge    = "Message size exceeds fixed limit" // NO [TOOBIG]

	// SETQUOTA.
	TextQuotaBadList   = "Invalid quota list in Setquota"
	TextQuotaExtraArgs = "Unexpected extra arguments to SETQUOTA"

	// GETMETADATA / SETMETADATA (parse_metadata_*), and annotations
	// (RFC 5257, parse_annotate_*).
	TextMetaMissingEntry   = "Missing metadata entry"
	TextMetaNoClose        = "Missing close paren in metadata entry list "
	TextMetaMissingList    = "Missing metadata entry list"
	TextMetaMissingValue   = "Missing metadata value"
	TextMetaBadEntry       = "entry must begin with /shared or /private"
	TextMetaMissingArgs    = "Missing arguments to Getmetadata"
	TextMetaTooManyOptions = "Too many option lists for Getmetadata"
	TextMetaGetExtraArgs   = "Unexpected extra arguments to Getannotation" // sic: GETMETADATA
	TextMetaSetExtraArgs   = "Unexpected extra arguments to Setmetadata"
	TextAnnotMissingEntry  = "Missing annotation entry"
	TextAnnotEntryNoClose  = "Missing close paren in annotation entry list "
	TextAnnotMissingAttrs  = "Missing annotation attribute(s)"
	TextAnnotAttrNoClose   = "Missing close paren in annotation attribute list"
	TextAnnotMissingAttr   = "Missing annotation attribute"
	TextAnnotMissingParen  = "Missing paren for annotation entry"
	TextAnnotMissingValues = "Missing annotation attribute-values list"
	TextAnnotMissingValue  = "Missing annotation value"
	TextAnnotValuesNoClose = "Missing close paren in annotation attribute-values list"

	// ENABLE. Cyrus precedes this one with an empty line; we do not.
	TextEnableMissing = "Missing required argument to Enable"

	// Gyrus-only limits (Cyrus has none): NO [LIMIT].
	TextTooDeep     = "Too deeply nested arguments to %s"
	TextTooManyArgs = "Too many arguments to %s"
)
