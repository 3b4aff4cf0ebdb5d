package main

import (
	"fmt"

	"gyrus/lib/config"
	"gyrus/lib/proc"
)

// settings are the imapd.conf values master itself uses.
type settings struct {
	cfg             *config.Config
	configDir       string
	pidFile         string // master_pid_file
	readyFile       string // master_ready_file
	cyrusUser       string
	cyrusGroup      string
	bindErrorsFatal bool
	tos             int // IP_TOS from qosmarking
	debug           bool
	procDir         string // where services keep proc files
}

func loadSettings(path string) (*settings, error) {
	c, err := config.Load(path, "master")
	if err != nil {
		return nil, err
	}
	s := &settings{
		cfg:             c,
		configDir:       c.Configdirectory(),
		cyrusUser:       c.CyrusUser(),
		cyrusGroup:      c.CyrusGroup(),
		bindErrorsFatal: c.MasterBindErrorsFatal(),
		debug:           c.Debug(),
	}
	if s.configDir == "" {
		return nil, fmt.Errorf("%s: configdirectory: option not specified in configuration file", c.Filename())
	}
	s.tos = qosValue(string(c.Qosmarking()))
	if d, err := proc.Dir(c); err == nil {
		s.procDir = d
	}
	// master_pid_file and master_ready_file come from Cyrus 3.10 (Gyrus
	// extensions to the 3.6.1 table); {configdirectory} is already expanded.
	s.pidFile = c.MasterPidFile()
	s.readyFile = c.MasterReadyFile()
	return s, nil
}

// qosValue maps a qosmarking name to the IP_TOS byte (DSCP << 2), as
// Cyrus's libconfig does.
func qosValue(name string) int {
	dscp := map[string]int{
		"cs0": 0x00, "cs1": 0x08, "cs2": 0x10, "cs3": 0x18, "cs4": 0x20, "cs5": 0x28, "cs6": 0x30, "cs7": 0x38,
		"af11": 0x0a, "af12": 0x0c, "af13": 0x0e, "af21": 0x12, "af22": 0x14, "af23": 0x16,
		"af31": 0x1a, "af32": 0x1c, "af33": 0x1e, "af41": 0x22, "af42": 0x24, "af43": 0x26, "ef": 0x2e,
	}[name]
	return dscp << 2
}
