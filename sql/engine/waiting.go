package engine

// waiter is an operator with state that can say whether a later clock
// would release something from it (a row, a closed window).
type waiter interface{ waits() bool }

// Waiting says whether moving the clock, with no new input row, could
// still put out a row: a window open, rows held for ordering, for a join's
// other side or for a merge of producers. An application that is not
// waiting gives the same rows whether its clock moves now or only when its
// next input row comes (each row's time comes from its input, never from
// the clock), so it need not move the clock until then. An operator that
// cannot tell is taken as waiting.
func (a *App) Waiting() bool {
	for _, s := range a.streams {
		for _, q := range s.queues {
			if len(q) > 0 {
				return true
			}
		}
	}
	for _, op := range a.stateful {
		w, ok := op.(waiter)
		if !ok || w.waits() {
			return true
		}
	}
	return false
}

func (g *aggregateOp) waits() bool { return len(g.windows) > 0 }
func (s *staggerOp) waits() bool   { return len(s.byEnd) > 0 }
func (s *sortOp) waits() bool      { return len(s.batches) > 0 }
func (t *tsortOp) waits() bool     { return len(t.rows) > 0 || len(t.due) > 0 }
func (u *unionOp) waits() bool     { return len(u.queues[0]) > 0 || len(u.queues[1]) > 0 }
func (g *groupRankOp) waits() bool { return g.open }
func (o *itemsOp) waits() bool     { return o.open }

// The operators below put out each row as it comes: the clock only prunes
// their state (rows that have left a window, which the next row prunes
// too).
func (d *distinctOp) waits() bool { return false }
func (r *rcfOp) waits() bool      { return false }
func (h *hotspotsOp) waits() bool { return false }
func (a *analyticOp) waits() bool { return false }

// waits: rows not yet joined wait for the other side's clock, and a
// preserved side's unmatched rows go out padded with NULLs when they leave
// their window. Other joinable rows only expire (the next batch expires
// them first).
func (j *joinOp) waits() bool {
	for _, s := range j.sides {
		if len(s.pending) > 0 {
			return true
		}
		if s.preserved && !s.table {
			for _, r := range s.rows {
				if !r.matched {
					return true
				}
			}
		}
	}
	return false
}
