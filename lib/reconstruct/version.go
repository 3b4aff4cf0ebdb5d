package reconstruct

import "fmt"

// setVersion converts the index to minor version v (reconstruct -V).
// Versions 16 and 17 share their record layout, so only the header
// changes; other versions are not written by Gyrus.
func (b *box) setVersion(v uint32) error {
	if v != 16 && v != 17 {
		return fmt.Errorf("index version %d is not supported (only 16 and 17)", v)
	}
	b.h.MinorVersion = v
	if v < 17 {
		b.h.ChangesEpoch = 0
	} else if b.h.ChangesEpoch == 0 {
		b.h.ChangesEpoch = b.h.LastRepackTime
	}
	b.changed = true
	return nil
}
