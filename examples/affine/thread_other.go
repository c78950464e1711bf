//go:build !linux

package main

// threadID would return the id of the OS thread running the caller; this
// platform has no portable way to ask, so the device cannot check and
// trusts its callers.
func threadID() int { return unknownThread }
