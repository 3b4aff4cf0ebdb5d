package main

import (
	"reflect"
	"strings"
	"testing"
)

// The namespace views Cyrus gives: the standard namespace (INBOX.x,
// user.y for other users' folders, shared names at the top), the
// alternate one (folders at the top level, "Other Users"/"Shared
// Folders" prefixes), and the admin's view of user.*.
func TestNamespaceViews(t *testing.T) {
	for _, tc := range []struct {
		name  string
		conf  map[string]string
		as    string
		ns    string
		list  []string // LIST "" "*" after the setup below, as bob sees it
		inbox string   // bob's "Sent" as the client names it
	}{
		{
			name:  "standard",
			conf:  map[string]string{"altnamespace": "no", "unixhierarchysep": "no"},
			as:    "bob",
			ns:    `* NAMESPACE (("INBOX." ".")) (("user." ".")) (("" "."))`,
			list:  []string{`* LIST (\HasChildren) "." INBOX`, `* LIST (\HasNoChildren) "." INBOX.Sent`, `* LIST (\HasNoChildren) "." user.alice.Shared`, `* LIST (\HasNoChildren) "." public`},
			inbox: "INBOX.Sent",
		},
		{
			name:  "altnamespace",
			conf:  map[string]string{"altnamespace": "yes", "unixhierarchysep": "no"},
			as:    "bob",
			ns:    `* NAMESPACE (("" ".")) (("Other Users." ".")) (("Shared Folders." "."))`,
			list:  []string{`* LIST (\HasNoChildren) "." INBOX`, `* LIST (\HasNoChildren) "." Sent`, `* LIST (\HasNoChildren) "." "Other Users.alice.Shared"`, `* LIST (\HasNoChildren) "." "Shared Folders.public"`},
			inbox: "Sent",
		},
		{
			name:  "unixhierarchysep",
			conf:  map[string]string{"altnamespace": "no", "unixhierarchysep": "yes"},
			as:    "bob",
			ns:    `* NAMESPACE (("INBOX/" "/")) (("user/" "/")) (("" "/"))`,
			list:  []string{`* LIST (\HasChildren) "/" INBOX`, `* LIST (\HasNoChildren) "/" INBOX/Sent`, `* LIST (\HasNoChildren) "/" user/alice/Shared`, `* LIST (\HasNoChildren) "/" public`},
			inbox: "INBOX/Sent",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newTestServer(t, tc.conf)
			sep := "."
			if tc.conf["unixhierarchysep"] == "yes" {
				sep = "/"
			}
			adm := startPipe(t, srv)
			adm.line()
			adm.ok("a1", "LOGIN admin x")
			adm.ok("a2", "CREATE user"+sep+"alice")
			adm.ok("a3", "CREATE user"+sep+"alice"+sep+"Shared")
			adm.ok("a4", "SETACL user"+sep+"alice"+sep+"Shared bob lr")
			adm.ok("a5", "CREATE user"+sep+"bob")
			adm.ok("a6", "CREATE user"+sep+"bob"+sep+"Sent")
			adm.ok("a7", "CREATE public")
			adm.ok("a8", "SETACL public anyone lr")
			// the admin sees user.* whatever the namespace
			u := adm.ok("a9", `LIST "" "user`+sep+`bob*"`)
			if want := []string{`* LIST (\HasChildren) "` + sep + `" user` + sep + `bob`, `* LIST (\HasNoChildren) "` + sep + `" user` + sep + `bob` + sep + `Sent`}; !reflect.DeepEqual(u, want) {
				t.Errorf("admin LIST:\n got %q\nwant %q", u, want)
			}

			pc := startPipe(t, srv)
			pc.line()
			pc.ok("b1", "LOGIN "+tc.as+" x")
			if u := pc.ok("b2", "NAMESPACE"); len(u) != 1 || u[0] != tc.ns {
				t.Errorf("NAMESPACE: %q, want %q", u, tc.ns)
			}
			if u := pc.ok("b3", `LIST "" "*"`); !reflect.DeepEqual(u, tc.list) {
				t.Errorf("LIST:\n got %q\nwant %q", u, tc.list)
			}
			// the same mailbox under the name this namespace gives it
			u = pc.ok("b4", "STATUS "+quoteIfSpace(tc.inbox)+" (MESSAGES)")
			if len(u) != 1 || !strings.Contains(u[0], "(MESSAGES 0)") {
				t.Errorf("STATUS %s: %q", tc.inbox, u)
			}
			if in, err := pc.sessionInternal(srv, tc.as, tc.inbox); err != nil || in != "user.bob.Sent" {
				t.Errorf("internal name of %q: %q, %v", tc.inbox, in, err)
			}
		})
	}
}

func quoteIfSpace(s string) string {
	if strings.ContainsAny(s, " ") {
		return `"` + s + `"`
	}
	return s
}

// sessionInternal converts a client's name as a session of userid does.
func (pc *pipeClient) sessionInternal(srv *Server, userid, ext string) (string, error) {
	s := &Session{srv: srv, userid: userid}
	return s.internalName(ext)
}
