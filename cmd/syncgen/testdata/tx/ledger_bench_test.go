package tx

import (
	"context"
	"testing"
)

// BenchmarkCall is a plain call through a Ledger on a serial loop, with no
// transaction open: what a call pays for the hold.
func BenchmarkCall(b *testing.B) {
	ctx := context.Background()
	lg := NewLedger(serial(b), &ledger{})
	b.ReportAllocs()
	for range b.N {
		if _, err := lg.Count(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCallParallel is BenchmarkCall from many goroutines at once.
func BenchmarkCallParallel(b *testing.B) {
	ctx := context.Background()
	lg := NewLedger(serial(b), &ledger{})
	b.ReportAllocs()
	b.SetParallelism(8)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := lg.Count(ctx); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkAsync is an Async call through a Ledger, waited for.
func BenchmarkAsync(b *testing.B) {
	ctx := context.Background()
	lg := NewLedger(serial(b), &ledger{})
	b.ReportAllocs()
	for range b.N {
		if _, err := lg.Async().Count(ctx).Result(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTurn is the turn a plain call through a Ledger takes and gives
// back, alone: the hold's whole cost to a call when no transaction is open.
func BenchmarkTurn(b *testing.B) {
	ctx := context.Background()
	lg := NewLedger(serial(b), &ledger{})
	b.ReportAllocs()
	for range b.N {
		h, err := ledgerTurn(ctx, lg)
		if err != nil {
			b.Fatal(err)
		}
		h.done()
	}
}

// BenchmarkTurnParallel is BenchmarkTurn from many goroutines at once.
func BenchmarkTurnParallel(b *testing.B) {
	ctx := context.Background()
	lg := NewLedger(serial(b), &ledger{})
	b.ReportAllocs()
	b.SetParallelism(8)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			h, err := ledgerTurn(ctx, lg)
			if err != nil {
				b.Error(err)
				return
			}
			h.done()
		}
	})
}
