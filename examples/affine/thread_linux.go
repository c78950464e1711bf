//go:build linux

package main

import "syscall"

// threadID returns the id of the OS thread running the caller.
func threadID() int { return syscall.Gettid() }
