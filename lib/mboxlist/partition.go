package mboxlist

import (
	"fmt"
	"math/rand/v2"
	"os"
	"sort"

	"golang.org/x/sys/unix"
)

// Partition choice for new mailboxes (Cyrus mboxlist_create_partition and
// imap/partlist.c): the requested partition, else the parent's, else
// defaultpartition, else one picked by partition_select_mode from the
// partitions not in partition_select_exclude. Partitions are considered in
// name order (Cyrus uses imapd.conf order, which Gyrus's config does not
// keep).

type partItem struct {
	name      string
	root      string
	fsid      uint64
	available uint64 // KiB
	total     uint64 // KiB
	quota     float64
}

// statfsFunc is replaced in tests.
var statfsFunc = func(path string, st *unix.Statfs_t) error {
	err := unix.Statfs(path, st)
	if err == unix.ENOENT {
		if os.MkdirAll(path, 0o755) == nil {
			err = unix.Statfs(path, st)
		}
	}
	return err
}

// SelectPartition picks a partition for a new top-level mailbox as
// partition_select_mode says. It returns "" when no partition qualifies.
func (s *Settings) SelectPartition() string {
	var items []*partItem
	excluded := map[string]bool{}
	for _, x := range s.SelectExclude {
		excluded[x] = true
	}
	names := make([]string, 0, len(s.Partitions))
	for n := range s.Partitions {
		if !excluded[n] {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		items = append(items, &partItem{name: n, root: s.Partitions[n]})
	}
	if len(items) == 0 {
		return ""
	}
	mode := s.SelectMode
	if mode == "" {
		mode = "freespace-most"
	}
	forceRandom := computeQuota(items, mode, s.SoftUsageLimit)
	avail := 0
	for _, it := range items {
		if it.quota != 0 {
			avail++
		}
	}
	if avail == 0 {
		return ""
	}
	ret := -1
	random := mode == "random" || forceRandom
	if !random {
		switch mode {
		case "freespace-most":
			var max uint64
			for i, it := range items {
				if it.quota != 0 && it.available > max {
					ret, max = i, it.available
				}
			}
		case "freespace-percent-most":
			val := 0.0
			for i, it := range items {
				if it.quota != 0 && it.quota > val {
					ret, val = i, it.quota
				}
			}
		case "freespace-percent-weighted", "freespace-percent-weighted-delta":
			val := 100 * rand.Float64()
			sq := 0.0
			for i, it := range items {
				sq += it.quota
				ret = i
				if val < sq {
					break
				}
			}
			for ret >= 0 && items[ret].quota == 0 {
				ret--
			}
		default:
			random = true
		}
	}
	if random {
		k := rand.IntN(avail)
		for i, it := range items {
			if it.quota == 0 {
				continue
			}
			if k == 0 {
				ret = i
				break
			}
			k--
		}
	}
	if ret < 0 {
		return ""
	}
	return items[ret].name
}

// computeQuota fills each item's weight from statfs (Cyrus
// partlist_compute_quota); it reports when Cyrus would fall back to random.
func computeQuota(items []*partItem, mode string, softLimit int) bool {
	if mode == "random" {
		for _, it := range items {
			it.quota = 50
		}
		return false
	}
	force := false
	quotaMin, quotaMinLimit := 100.0, 100.0
	soft := 100.0 - float64(softLimit)
	softUse := false
	for i, it := range items {
		var st unix.Statfs_t
		if err := statfsFunc(it.root, &st); err == nil && st.Blocks > 0 {
			it.fsid = uint64(uint32(st.Fsid.Val[0])) | uint64(uint32(st.Fsid.Val[1]))<<32
			it.available = uint64(float64(st.Bavail) * (float64(st.Frsize) / 1024))
			it.total = uint64(float64(st.Blocks) * (float64(st.Frsize) / 1024))
		}
		if mode == "freespace-most" || mode == "freespace-percent-most" {
			dup := false
			for j := i - 1; j >= 0; j-- {
				if items[j].fsid == it.fsid && it.total > 0 {
					dup = true
					break
				}
			}
			if dup {
				it.quota = 0
				continue
			}
		}
		pct := -1.0
		if it.total > 0 {
			pct = float64(it.available) * 100 / float64(it.total)
		}
		if pct < 0 || pct > 100 {
			force = true
			break
		}
		it.quota = pct
		if pct < quotaMin {
			quotaMin = pct
		}
		if pct <= soft {
			continue
		}
		softUse = true
		if pct < quotaMinLimit {
			quotaMinLimit = pct
		}
	}
	if softUse {
		quotaMin = quotaMinLimit
	}
	for _, it := range items {
		switch {
		case force:
			it.quota = 50
		case softUse && it.quota <= soft:
			it.quota = 0
		case mode == "freespace-percent-weighted-delta":
			it.quota = it.quota - quotaMin + .5
			if it.quota < 0 {
				it.quota = 0
			}
		}
	}
	if force {
		return true
	}
	if mode == "freespace-percent-weighted" || mode == "freespace-percent-weighted-delta" {
		total := 0.0
		for _, it := range items {
			total += it.quota
		}
		if total != 0 {
			for _, it := range items {
				it.quota = it.quota * 100 / total
			}
		}
	}
	return false
}

// choosePartition is Cyrus mboxlist_create_partition: requested, else the
// parent's, else defaultpartition, else the selection.
func (s *Settings) choosePartition(requested, parentPart string) (string, error) {
	part := requested
	if part == "" {
		part = parentPart
	}
	if part == "" {
		part = s.DefaultPartition
	}
	if part == "" {
		part = s.SelectPartition()
	}
	if part == "" || len(part) > 64 {
		return "", ErrPartition
	}
	if _, ok := s.Partitions[part]; !ok {
		return "", fmt.Errorf("partition %q: %w", part, ErrPartition)
	}
	return part, nil
}
