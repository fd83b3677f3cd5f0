package streamlog

import (
	"errors"
	"fmt"
)

// NATS reads a message's control line (its subject, its reply subject)
// up to 4 KiB and closes the connection of a client that sends a longer
// one, for good: every later operation of the log would fail. Names and
// keys come from requests (a tap's path, a shard iterator, an ARN), so
// the log checks every one before it goes into a subject.

// maxKey bounds a key's and a subject's length, well below the control
// line with the API's prefixes around it.
const maxKey = 1024

// ErrTooLong is a key or subject longer than maxKey.
var ErrTooLong = errors.New("too long")

// shown is a name as errors and logs show it: a long one shortened.
func shown(name string) string {
	if len(name) <= 80 {
		return name
	}
	return fmt.Sprintf("%s… (%d characters)", name[:64], len(name))
}

// checkStream is ErrNotFound for a name no stream can have.
func checkStream(name string) error {
	if !nameChars.MatchString(name) {
		return fmt.Errorf("%w: %s (no stream has such a name)", ErrNotFound, shown(name))
	}
	return nil
}

// checkKey is ErrTooLong for a key or subject NATS would close the
// connection over.
func checkKey(key string) error {
	if len(key) > maxKey {
		return fmt.Errorf("streamlog: %s: %w (%d characters, at most %d)", shown(key), ErrTooLong, len(key), maxKey)
	}
	return nil
}
