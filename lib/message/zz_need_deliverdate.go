package message

// ParseDateTime is Cyrus's time_from_rfc5322(s, DATETIME_FULL): the
// Unix time of an RFC 5322 date-time, ok false when Cyrus could not
// parse it. lmtpd (lib/deliver) needs it for X-DeliveredInternalDate.
// (Added by the lmtpd engineer; see parseDate.)
func ParseDateTime(s string) (int64, bool) {
	_, g := parseDate(s, true)
	return g, g != 0
}
