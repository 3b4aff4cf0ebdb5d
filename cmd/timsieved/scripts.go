package main

import (
	"errors"
	"fmt"
	"strconv"

	"gyrus/lib/log"
	"gyrus/lib/sieve"
	"gyrus/lib/sievedir"
)

// The script commands answer as Cyrus 3.6.1's timsieved/actions.c:
// the name is checked first (sievedir_valid_name), then the quota, then
// the script.

const noName = "Invalid script name"

func (s *Session) overScripts() bool {
	n, err := s.dir.Count()
	if err != nil {
		log.Error("sievedir_list_failed", "dir", s.dir.Path, "error", err)
	}
	// Cyrus compares with ==: a user already over a lowered limit may
	// still replace and add scripts
	if n == s.srv.maxScripts {
		s.reply(fmt.Sprintf(`NO (QUOTA/MAXSCRIPTS) "You are only allowed %d scripts on this server"`, s.srv.maxScripts))
		return true
	}
	return false
}

// putScript is PUTSCRIPT (RFC 5804 2.6) and, with verifyOnly, CHECKSCRIPT
// (RFC 5804 2.12): the script is compiled, and stored with its bytecode
// unless only checked.
func (s *Session) putScript(name string, data []byte, verifyOnly bool) {
	if !verifyOnly {
		if !sievedir.ValidName(name) {
			s.no(noName)
			return
		}
		if s.overScripts() {
			return
		}
	}
	bc, err := s.srv.compile(data, s.srv.sieveOpts)
	if err != nil {
		var se *sieve.Error
		if errors.As(err, &se) {
			s.out.WriteString("NO ")
			s.printString(se.Error())
			s.out.WriteString("\r\n")
		} else {
			log.Error("sieve_compile_failed", "error", err)
			s.no("parse failed")
		}
		return
	}
	if !verifyOnly {
		if err := s.dir.Put(name, data, bc); err != nil {
			log.Error("IOERROR", "op", "putscript", "dir", s.dir.Path, "script", name, "error", err)
			s.no("Error putting script")
			return
		}
	}
	s.reply("OK")
}

// cmdGetscript is RFC 5804 2.9.
func (s *Session) cmdGetscript(name []byte) {
	if !sievedir.ValidName(string(name)) {
		s.no(noName)
		return
	}
	b, err := s.dir.Get(string(name))
	switch {
	case errors.Is(err, sievedir.ErrNotFound):
		s.reply(`NO (NONEXISTENT) "Script does not exist"`)
		return
	case err != nil:
		log.Error("IOERROR", "op", "getscript", "dir", s.dir.Path, "script", string(name), "error", err)
		s.no("Error getting script")
		return
	}
	s.out.WriteString("{" + strconv.Itoa(len(b)) + "}\r\n")
	s.out.Write(b)
	s.out.WriteString("\r\n")
	s.reply("OK")
}

// cmdDeletescript is RFC 5804 2.10.
func (s *Session) cmdDeletescript(name []byte) {
	if !sievedir.ValidName(string(name)) {
		s.no(noName)
		return
	}
	err := s.dir.Delete(string(name))
	switch {
	case err == nil:
		s.reply("OK")
	case errors.Is(err, sievedir.ErrNotFound):
		s.reply(`NO (NONEXISTENT) "Script does not exist"`)
	case errors.Is(err, sievedir.ErrActive):
		s.reply(`NO (ACTIVE) "Active script cannot be deleted"`)
	default:
		log.Error("IOERROR", "op", "deletescript", "dir", s.dir.Path, "script", string(name), "error", err)
		s.no("Error deleting script")
	}
}

// cmdListscripts is RFC 5804 2.7. Cyrus writes the names between quotes
// as they are, without escaping.
func (s *Session) cmdListscripts() {
	l, err := s.dir.List()
	if err != nil {
		log.Error("IOERROR", "op", "listscripts", "dir", s.dir.Path, "error", err)
	}
	for _, sc := range l {
		if sc.Active {
			s.reply(`"` + sc.Name + `" ACTIVE`)
		} else {
			s.reply(`"` + sc.Name + `"`)
		}
	}
	s.reply("OK")
}

// cmdSetactive is RFC 5804 2.8; an empty name deactivates.
func (s *Session) cmdSetactive(name []byte) {
	action := "deactivating"
	if len(name) > 0 {
		action = "activating"
		if !sievedir.ValidName(string(name)) {
			s.no(noName)
			return
		}
		if ok, err := s.dir.Exists(string(name)); err == nil && !ok {
			s.reply(`NO (NONEXISTENT) "Script does not exist"`)
			return
		}
	}
	if err := s.dir.SetActive(string(name)); err != nil {
		log.Error("IOERROR", "op", "setactive", "dir", s.dir.Path, "script", string(name), "error", err)
		s.no("Error " + action + " script")
		return
	}
	s.reply("OK")
}

// cmdRenamescript is RFC 5804 2.11.1.
func (s *Session) cmdRenamescript(oldName, newName []byte) {
	switch {
	case !sievedir.ValidName(string(oldName)):
		s.no("Invalid old script name")
		return
	case !sievedir.ValidName(string(newName)):
		s.no("Invalid new script name")
		return
	}
	err := s.dir.Rename(string(oldName), string(newName))
	switch {
	case err == nil:
		s.reply("OK")
	case errors.Is(err, sievedir.ErrExists):
		s.reply(`NO (ALREADYEXISTS) "Script ` + string(newName) + ` already exists."`)
	case errors.Is(err, sievedir.ErrNotFound):
		s.reply(`NO (NONEXISTENT) "Script ` + string(oldName) + ` does not exist"`)
	default:
		log.Error("IOERROR", "op", "renamescript", "dir", s.dir.Path, "script", string(oldName), "error", err)
		s.no("Error renaming script")
	}
}

// cmdHavespace is RFC 5804 2.5.
func (s *Session) cmdHavespace(name []byte, size uint64) {
	if !sievedir.ValidName(string(name)) {
		s.no(noName)
		return
	}
	if size > uint64(s.srv.maxScriptSize) {
		s.reply(fmt.Sprintf(`NO (QUOTA/MAXSIZE) "Script size is too large. Max script size is %d bytes"`, s.srv.maxScriptSize))
		return
	}
	if s.overScripts() {
		return
	}
	s.reply("OK")
}
