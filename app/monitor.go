package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"

	"github.com/riffle-sql/riffle/destination"
	"github.com/riffle-sql/riffle/sql/engine"
	"github.com/riffle-sql/riffle/streamlog"
)

// What the console's Monitoring and Destinations tabs ask the manager
// beside the metrics.

// RunsHere says this server runs the application now.
func (m *Manager) RunsHere(name string) bool { return m.runningApp(name) != nil }

// Owner is the node that holds the application's lease: "" on a single
// server, or when no node holds it.
func (m *Manager) Owner(ctx context.Context, name string) (string, error) {
	c := m.cluster
	if c == nil {
		return "", nil
	}
	m.mu.Lock()
	held := m.leases[name] != nil
	m.mu.Unlock()
	if held {
		return c.node, nil
	}
	a, _, err := m.store.Get(ctx, name)
	if err != nil {
		return "", err
	}
	data, _, err := c.leases.Entry(ctx, leaseKey(a))
	if errors.Is(err, streamlog.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("lease of %s: %w", name, err)
	}
	var v leaseValue
	if err := json.Unmarshal(data, &v); err != nil {
		return "", nil // a lease of a later version: its owner is not known
	}
	return v.Node, nil
}

// LastDeliveryError is the text of the last failed delivery of an
// output to a destination (as labelled in the delivery metrics), "" when
// none failed since the server started.
func (m *Manager) LastDeliveryError(application, output, dest string) string {
	dm := m.opts.Delivery.Metrics
	if dm == nil {
		return ""
	}
	return dm.LastError(destination.Labels{Application: application, Output: output, Destination: dest})
}

// Functions names the functions outputs may name (Options.Functions),
// sorted.
func (m *Manager) Functions() []string {
	names := make([]string, 0, len(m.opts.Functions))
	for name := range m.opts.Functions {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// PlannedStreams names the in-application streams the application's code
// declares, its inputs first and error_stream last, from planning the
// code against its input (whether the application runs or not): the
// streams its outputs may name.
func (m *Manager) PlannedStreams(ctx context.Context, name string) ([]string, error) {
	a, _, err := m.store.Get(ctx, name)
	if err != nil {
		return nil, err
	}
	if len(a.Inputs) == 0 || a.Code == "" {
		return nil, fmt.Errorf("%w: application %s needs an input and code to declare streams", ErrInvalid, name)
	}
	g, err := m.planCode(a, a.Inputs[0])
	if err != nil {
		return nil, fmt.Errorf("%w: plan %s: %w", ErrInvalid, name, err)
	}
	names := make([]string, 0, len(g.Streams)+1)
	for _, s := range g.Streams {
		names = append(names, s.Name)
	}
	if !slices.Contains(names, engine.ErrorStream) {
		names = append(names, engine.ErrorStream)
	}
	return names, nil
}
