package main

import (
	"runtime"
	"runtime/debug"
)

// version is the release, set when building one:
// go build -ldflags "-X main.version=v1.2.3" ./cmd/riffle
var version = "dev"

// versionLine is what riffle --version prints after "riffle ": the
// version, the commit it was built from (as go build records it, with
// "-dirty" for uncommitted changes; "unknown" outside a checkout) and the
// Go version.
func versionLine() string {
	commit, dirty := "unknown", ""
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			switch {
			case s.Key == "vcs.revision":
				commit = s.Value
			case s.Key == "vcs.modified" && s.Value == "true":
				dirty = "-dirty"
			}
		}
	}
	return version + " (commit " + commit + dirty + ", " + runtime.Version() + ")"
}
