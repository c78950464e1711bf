package main

import "testing"

func TestLowerFirst(t *testing.T) {
	for in, want := range map[string]string{
		"DB": "db", "HTTPClient": "httpClient", "Conn": "conn", "conn": "conn", "X": "x", "ÉtatX": "étatX",
	} {
		if got := lowerFirst(in); got != want {
			t.Errorf("lowerFirst(%q) = %q, want %q", in, got, want)
		}
	}
}
