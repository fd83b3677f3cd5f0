package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// A Repair is one piece of stored state that cannot be used as it is,
// and how riffle repair resets it: what is then replayed or lost.
type Repair struct {
	Problem string
	Fix     string
	apply   func(ctx context.Context) error
}

// NewRepair is a repair of state this package does not keep (a stream's
// storage, for one).
func NewRepair(problem, fix string, apply func(ctx context.Context) error) Repair {
	return Repair{Problem: problem, Fix: fix, apply: apply}
}

// Apply resets the state.
func (r Repair) Apply(ctx context.Context) error { return r.apply(ctx) }

// Diagnose lists what cannot be read or cannot run: definitions that do
// not parse, applications stored RUNNING that could not run (no input or
// no code), checkpoints and acknowledgements that do not parse. It
// changes nothing; each Repair's Apply does, noting the time now. Run it
// with no server on the store (riffle repair takes the data directory's
// lock).
func (s *Store) Diagnose(ctx context.Context, now time.Time) ([]Repair, error) {
	apps, damaged, err := s.Scan(ctx)
	if err != nil {
		return nil, err
	}
	var repairs []Repair
	for _, d := range damaged {
		name := d.Application
		repairs = append(repairs, Repair{
			Problem: d.String(),
			Fix:     fmt.Sprintf("delete application %s with its checkpoint and acknowledgements: it is gone (create it again); its stream's records stay", name),
			apply:   func(ctx context.Context) error { return s.forget(ctx, name) },
		})
	}
	for _, a := range apps {
		if (a.Status == Running || a.Status == Starting) && (len(a.Inputs) == 0 || a.Code == "") {
			repairs = append(repairs, Repair{
				Problem: fmt.Sprintf("application %s is stored %s without an input or code, so it cannot run", a.Name, a.Status),
				Fix:     fmt.Sprintf("set application %s READY: nothing is lost", a.Name),
				apply: func(ctx context.Context) error {
					return s.setReady(ctx, a.Name, now, "riffle repair: it was RUNNING without an input or code")
				},
			})
		}
		if _, _, _, err := s.LoadCheckpoint(ctx, a); errors.Is(err, ErrDamaged) {
			repairs = append(repairs, Repair{
				Problem: err.Error(),
				Fix: fmt.Sprintf("delete the checkpoint of application %s: it starts from the position it is started at (LAST_STOPPED_POINT: from NOW); "+
					"the rows its outputs had not delivered are lost, and its windows and forests start empty", a.Name),
				apply: func(ctx context.Context) error {
					if err := s.deleteCheckpoint(ctx, a.Name); err != nil {
						return err
					}
					return s.setReady(ctx, a.Name, now, "riffle repair: its checkpoint could not be read and was deleted")
				},
			})
		}
		for _, out := range a.Outputs {
			if _, _, err := s.outputAcks(a, out.ID).Load(ctx); errors.Is(err, ErrDamaged) {
				repairs = append(repairs, Repair{
					Problem: err.Error(),
					Fix: fmt.Sprintf("delete the acknowledgements of application %s output %s: rows it delivered after the last checkpoint may be delivered again, "+
						"with the same record ids", a.Name, out.ID),
					apply: func(ctx context.Context) error { return s.deleteAcks(ctx, a, out.ID) },
				})
			}
		}
	}
	return repairs, nil
}

// forget deletes whatever is stored under an application's name, its
// definition unread.
func (s *Store) forget(ctx context.Context, name string) error {
	keys, err := s.acks.Keys(ctx)
	if err != nil {
		return err
	}
	for _, k := range keys {
		if strings.HasPrefix(k, name+"=") {
			if err := s.acks.Delete(ctx, k); err != nil {
				return fmt.Errorf("delete the acknowledgements %s: %w", k, err)
			}
		}
	}
	if err := s.deleteCheckpoint(ctx, name); err != nil {
		return err
	}
	if err := s.defs.Delete(ctx, name); err != nil {
		return fmt.Errorf("delete the definition of %s: %w", name, err)
	}
	return nil
}

// setReady stores an application READY with the reason.
func (s *Store) setReady(ctx context.Context, name string, now time.Time, reason string) error {
	a, rev, err := s.Get(ctx, name)
	if err != nil {
		return err
	}
	if a.Status == Ready {
		return nil
	}
	a.Status = Ready
	a.Failure = &Failure{Time: now, Message: reason}
	_, err = s.Update(ctx, a, rev)
	return err
}
