package duplicate

import (
	"errors"
	"fmt"

	"gyrus/lib/cyrusdb"
)

// CheckRecords is CheckAll returning the whole record of each key (mark
// and UID; the zero Record's Mark 0 for a key with none), in one read
// transaction. lib/deliver needs the UID to tell a mark whose mailbox
// commit never happened (its UID is beyond the mailbox's last UID, or
// names another message) from a delivery.
func (d *DB) CheckRecords(keys []Key) ([]Record, error) {
	recs := make([]Record, len(keys))
	if len(keys) == 0 {
		return recs, nil
	}
	tx, err := d.db.BeginRead()
	if err != nil {
		return nil, fmt.Errorf("duplicate_check: %w", err)
	}
	defer tx.Abort()
	for i, k := range keys {
		recs[i].Key = k
		v, err := tx.Fetch(k.Bytes())
		if errors.Is(err, cyrusdb.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("duplicate_check: error looking up %s/%s/%s: %w", k.ID, k.To, k.Date, err)
		}
		if recs[i].Mark, recs[i].UID, err = DecodeValue(v); err != nil {
			recs[i].Mark, recs[i].UID = decodeLoose(v)
		}
	}
	return recs, nil
}
