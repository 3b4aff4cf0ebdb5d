package tlsutil

import (
	"errors"
	"fmt"
	"os"
	"time"

	"gyrus/lib/config"
	"gyrus/lib/cyrusdb"
	"gyrus/lib/log"
)

// PruneResult counts what Prune saw.
type PruneResult struct {
	Entries int // records in the database
	Purged  int // expired records deleted
	Skipped int // records too short to hold an expiry time (left alone)
}

// ErrNoSessionsDB is returned by Prune when the database does not exist
// (tls_prune then has nothing to do).
var ErrNoSessionsDB = errors.New("no TLS sessions database")

// Prune deletes the expired records of the TLS sessions database named
// by c: Gyrus's ticket keys and Cyrus's cached sessions alike, since both
// start with their expiry time (see doc.go). A record expires when that
// time is before now, as in Cyrus's tls_prune. It logs Cyrus's NOTICE
// line "tls_prune: purged N out of M entries".
func Prune(c *config.Config, now time.Time) (PruneResult, error) {
	path := SessionsDBPath(c)
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		log.Printf(log.LevelNotice, "tls_prune: %s not found, nothing to do", path)
		return PruneResult{}, ErrNoSessionsDB
	}
	db, err := cyrusdb.Open(path, c.TlsSessionsDb(), 0)
	if errors.Is(err, cyrusdb.ErrNotFound) {
		log.Printf(log.LevelNotice, "tls_prune: %s not found, nothing to do", path)
		return PruneResult{}, ErrNoSessionsDB
	}
	if err != nil {
		log.Printf(log.LevelErr, "DBERROR: opening %s: %v", path, err)
		return PruneResult{}, fmt.Errorf("opening %s: %w", path, err)
	}
	defer db.Close()
	res, err := PruneDB(db, now)
	if err != nil {
		log.Printf(log.LevelErr, "DBERROR: pruning %s: %v", path, err)
		return res, err
	}
	log.Printf(log.LevelNotice, "tls_prune: purged %d out of %d entries", res.Purged, res.Entries)
	return res, nil
}

// PruneDB is Prune on an open database. Records are read in batches with
// no lock held (services keep working meanwhile); the expired ones are
// then deleted in one short write transaction that checks each again.
func PruneDB(db *cyrusdb.DB, now time.Time) (PruneResult, error) {
	var res PruneResult
	var expired [][]byte
	t := now.Unix()
	err := db.Foreach(nil, func(key, val []byte) error {
		res.Entries++
		exp, ok := recordExpiry(val)
		if !ok {
			res.Skipped++
			log.Printf(log.LevelWarning, "tls_prune: record of %d bytes has no expiry time, left alone", len(val))
			return nil
		}
		if exp < t {
			expired = append(expired, append([]byte(nil), key...))
		}
		return nil
	})
	if err != nil || len(expired) == 0 {
		return res, err
	}
	tx, err := db.Begin()
	if err != nil {
		return res, err
	}
	defer tx.Abort()
	n := 0
	for _, k := range expired {
		val, err := tx.Fetch(k)
		if errors.Is(err, cyrusdb.ErrNotFound) {
			continue
		}
		if err != nil {
			return res, err
		}
		if exp, ok := recordExpiry(val); !ok || exp >= t {
			continue // rewritten meanwhile
		}
		if err := tx.Delete(k); err != nil {
			return res, err
		}
		n++
	}
	if err := tx.Commit(); err != nil {
		return res, err
	}
	res.Purged = n
	return res, nil
}
