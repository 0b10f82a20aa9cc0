package main

import "testing"

func TestCaptureFilter(t *testing.T) {
	for _, tc := range []struct{ filter, exclude, want string }{
		{"tcp", "tcp port 9092", "(tcp) and not (tcp port 9092)"},
		{"tcp", "", "tcp"},
		{"", "tcp port 9092", "not (tcp port 9092)"},
		{" ", " ", ""},
		{"tcp port 80 or tcp port 8080", "host 10.0.0.5", "(tcp port 80 or tcp port 8080) and not (host 10.0.0.5)"},
	} {
		if got := captureFilter(tc.filter, tc.exclude); got != tc.want {
			t.Errorf("captureFilter(%q, %q) = %q, want %q", tc.filter, tc.exclude, got, tc.want)
		}
	}
}
