// Command report runs the comparison benchmarks of package bench and
// summarises them: benchstat's table in results.txt, a Markdown table of
// medians and ratios to synchronicity written between the markers
// <!-- bench:begin --> and <!-- bench:end --> of a Markdown file, and a bar
// chart of the ratios in results.svg.
//
// Run it from the bench directory:
//
//	go run ./cmd/report [-count 6] [-benchtime 1s] [-readme ../README.md]
//	go run ./cmd/report -short   # one quick pass, everything written to a temporary directory
//	go run ./cmd/report -in results.raw.txt   # summarise an earlier run again
package main

import (
	"bytes"
	"flag"
	"fmt"
	"image/color"
	"io"
	"log"
	"maps"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchmath"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/synchronicity-go/synchronicity/bench"
)

const begin, end = "<!-- bench:begin -->", "<!-- bench:end -->"

func main() {
	var (
		count     = flag.Int("count", 6, "runs of each benchmark")
		benchtime = flag.String("benchtime", "", "go test -benchtime (default go test's)")
		short     = flag.Bool("short", false, "one quick run (-count 1 -benchtime 1x), writing every file to a temporary directory")
		in        = flag.String("in", "", "summarise this go test -bench output instead of running the benchmarks")
		raw       = flag.String("raw", "results.raw.txt", "where to keep the go test -bench output")
		out       = flag.String("out", "results.txt", "where to write benchstat's summary")
		svg       = flag.String("svg", "results.svg", "where to draw the chart")
		readme    = flag.String("readme", "../README.md", "Markdown file whose bench markers receive the table (without the markers: stdout)")
	)
	flag.Parse()
	log.SetFlags(0)
	if *short {
		dir, err := os.MkdirTemp("", "bench-report-")
		check(err)
		*count, *benchtime = 1, "1x"
		*raw, *out, *svg, *readme = filepath.Join(dir, "raw.txt"), filepath.Join(dir, "results.txt"), filepath.Join(dir, "results.svg"), ""
		log.Printf("writing to %s", dir)
	}

	if *in == "" {
		args := []string{"test", "-run", "^$", "-bench", ".", "-benchmem", "-count", strconv.Itoa(*count)}
		if *benchtime != "" {
			args = append(args, "-benchtime", *benchtime)
		}
		log.Printf("go %s", strings.Join(args, " "))
		var buf bytes.Buffer
		cmd := exec.Command("go", args...)
		cmd.Stdout, cmd.Stderr = io.MultiWriter(&buf, os.Stderr), os.Stderr
		check(cmd.Run())
		check(os.WriteFile(*raw, buf.Bytes(), 0o644))
		*in = *raw
	}

	stat, err := exec.Command("go", "tool", "benchstat", *in).Output()
	check(err)
	check(os.WriteFile(*out, stat, 0o644))

	res := read(*in)
	table := markdown(res)
	if !replaceBetweenMarkers(*readme, table) {
		fmt.Print(table)
	}
	check(chart(res, *svg))
}

// results holds, per job and implementation, the median of the job's metric,
// with the implementations in the order they first appear.
type results struct {
	median map[string]map[string]float64
	order  map[string][]string
	config string // machine and toolchain, from the benchmark output
}

func read(file string) results {
	f, err := os.Open(file)
	check(err)
	defer f.Close()
	units := map[string]string{}
	for _, j := range bench.Jobs {
		units[j.Bench] = j.Unit
	}
	values := map[string]map[string][]float64{}
	res := results{median: map[string]map[string]float64{}, order: map[string][]string{}}
	r := benchfmt.NewReader(f, file)
	for r.Scan() {
		rec, ok := r.Result().(*benchfmt.Result)
		if !ok {
			continue // syntax errors: go test's other output
		}
		if res.config == "" {
			res.config = fmt.Sprintf("%s/%s, %s, %s", rec.GetConfig("goos"), rec.GetConfig("goarch"), rec.GetConfig("cpu"), runtime.Version())
		}
		base, parts := rec.Name.Parts()
		job := strings.TrimPrefix(string(base), "Benchmark")
		if len(parts) == 0 || units[job] == "" {
			continue
		}
		impl := strings.TrimPrefix(string(parts[0]), "/")
		for _, v := range rec.Values {
			if v.Unit == units[job] || v.OrigUnit == units[job] {
				if values[job] == nil {
					values[job] = map[string][]float64{}
				}
				if values[job][impl] == nil {
					res.order[job] = append(res.order[job], impl)
				}
				values[job][impl] = append(values[job][impl], orig(v))
			}
		}
	}
	check(r.Err())
	for job, impls := range values {
		res.median[job] = map[string]float64{}
		for impl, vs := range impls {
			s := benchmath.NewSample(vs, &benchmath.DefaultThresholds)
			res.median[job][impl] = benchmath.AssumeNothing.Summary(s, 0.95).Center
		}
	}
	return res
}

func orig(v benchfmt.Value) float64 {
	if v.OrigUnit != "" {
		return v.OrigValue
	}
	return v.Value
}

// fastestPeer returns the fastest implementation that is not the library's.
func fastestPeer(med map[string]float64) (name string) {
	for impl, m := range med {
		if !strings.HasPrefix(impl, bench.Library) && (name == "" || m < med[name]) {
			name = impl
		}
	}
	return name
}

func markdown(res results) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Medians of the benchmarks in `bench/` (%s); × %s is each figure divided by the library's, so above 1 is slower than %[2]s.\n", res.config, bench.Library)
	for _, j := range bench.Jobs {
		med := res.median[j.Bench]
		lib, ok := med[bench.Library]
		if !ok {
			continue
		}
		fmt.Fprintf(&b, "\n**%s** (%s, %s)\n\n", j.Title, j.Sizing, j.Unit)
		fmt.Fprintf(&b, "| implementation | %s | × %s |%s notes |\n|---|--:|--:|%s---|\n", j.Unit, bench.Library, cond(j.Leaks != nil, " leaks on break |"), cond(j.Leaks != nil, ":-:|"))
		impls := res.order[j.Bench]
		for _, impl := range slices.Sorted(maps.Keys(j.Leaks)) {
			if _, ok := med[impl]; !ok { // leaking implementations are not benchmarked
				impls = append(impls, impl)
			}
		}
		for _, impl := range impls {
			figure, ratio := "—", "—"
			if m, ok := med[impl]; ok {
				figure, ratio = strconv.FormatFloat(m, 'f', digits(m), 64), fmt.Sprintf("%.2f", m/lib)
			}
			name := impl
			if impl == bench.Library {
				name = "**" + impl + "**"
			}
			leaks := ""
			if j.Leaks != nil {
				leaks = cond(j.Leaks[impl], " **yes** |", " no |")
			}
			fmt.Fprintf(&b, "| %s | %s | %s |%s %s |\n", name, figure, ratio, leaks, j.Notes[impl])
		}
		if peer := fastestPeer(med); peer != "" {
			fmt.Fprintf(&b, "\n%s takes %.2f× the time of the fastest other implementation, %s.\n", bench.Library, lib/med[peer], peer)
		}
	}
	return b.String()
}

func digits(v float64) int {
	switch {
	case v >= 100:
		return 0
	case v >= 10:
		return 1
	}
	return 2
}

func cond(c bool, yes string, no ...string) string {
	if c {
		return yes
	}
	return strings.Join(no, "")
}

// replaceBetweenMarkers puts text between the markers of the Markdown file,
// reporting false if there is no such file or it has no markers.
func replaceBetweenMarkers(file, text string) bool {
	if file == "" {
		return false
	}
	data, err := os.ReadFile(file)
	if err != nil {
		log.Printf("%v: printing the table instead", err)
		return false
	}
	s := string(data)
	i, k := strings.Index(s, begin), strings.Index(s, end)
	if i < 0 || k < i {
		log.Printf("%s has no %s … %s markers: printing the table instead", file, begin, end)
		return false
	}
	s = s[:i+len(begin)] + "\n" + text + "\n" + s[k:]
	check(os.WriteFile(file, []byte(s), 0o644))
	return true
}

// chart draws one group of bars per job: each other library's (or approach's)
// best implementation, as a multiple of the library's time on a log₂ axis.
func chart(res results, file string) error {
	var jobs, families []string
	best := map[string]map[string]float64{} // family → job → ratio
	for _, j := range bench.Jobs {
		med := res.median[j.Bench]
		lib, ok := med[bench.Library]
		if !ok {
			continue
		}
		jobs = append(jobs, j.Bench) // titles are too long to sit side by side
		for impl, m := range med {
			fam := family(impl)
			if fam == bench.Library {
				continue
			}
			if best[fam] == nil {
				best[fam] = map[string]float64{}
				families = append(families, fam)
			}
			if r, ok := best[fam][j.Bench]; !ok || m/lib < r {
				best[fam][j.Bench] = m / lib
			}
		}
	}
	slices.Sort(families)

	p := plot.New()
	p.Title.Text = "Time per unit of work as a multiple of " + bench.Library + "'s (best variant of each; log scale)"
	p.Y.Label.Text = "× " + bench.Library + " (below 1: faster)"
	p.Y.Tick.Marker = log2Ticks{}
	p.Legend.Top = true
	p.NominalX(jobs...)
	w := vg.Points(100 / float64(len(families)))
	lo, hi := 0.0, 0.0
	for i, fam := range families {
		vs := make(plotter.Values, len(jobs))
		for k, job := range jobs {
			if r, ok := best[fam][job]; ok {
				vs[k] = math.Log2(r)
				lo, hi = min(lo, vs[k]), max(hi, vs[k])
			}
		}
		bars, err := plotter.NewBarChart(vs, w)
		if err != nil {
			return err
		}
		bars.Color, bars.LineStyle.Width = palette[i%len(palette)], 0
		bars.Offset = w * vg.Length(float64(i)-float64(len(families)-1)/2)
		p.Add(bars)
		p.Legend.Add(fam, bars)
	}
	p.Y.Min, p.Y.Max = math.Floor(lo), math.Ceil(hi)+3 // room for the legend
	one := plotter.NewFunction(func(float64) float64 { return 0 })
	one.Color = color.Black
	p.Add(one)
	return p.Save(32*vg.Centimeter, 18*vg.Centimeter, file)
}

// palette is Tableau's ten colours, which stay apart from one another.
var palette = []color.Color{
	rgb(0x4e79a7), rgb(0xf28e2b), rgb(0xe15759), rgb(0x76b7b2), rgb(0x59a14f),
	rgb(0xedc948), rgb(0xb07aa1), rgb(0xff9da7), rgb(0x9c755f), rgb(0xbab0ac),
}

func rgb(c uint32) color.Color { return color.RGBA{uint8(c >> 16), uint8(c >> 8), uint8(c), 0xff} }

// family is the library or approach an implementation belongs to:
// "lo.Async" and "lo-parallel.Map" are both lo. A plain range over a
// function, which starts no goroutine, is a family of its own.
func family(impl string) string {
	if impl == "handwritten-seq" {
		return "no goroutine"
	}
	fam, _, _ := strings.Cut(impl, "-")
	if f, _, ok := strings.Cut(fam, "."); ok && f == "lo" {
		return f
	}
	return fam
}

// log2Ticks labels a log₂ axis with the multiples it stands for.
type log2Ticks struct{}

func (log2Ticks) Ticks(min, max float64) []plot.Tick {
	var ts []plot.Tick
	for e := math.Floor(min); e <= math.Ceil(max); e++ {
		label := fmt.Sprintf("%g×", math.Exp2(e))
		if e < 0 {
			label = fmt.Sprintf("1/%g", math.Exp2(-e))
		}
		ts = append(ts, plot.Tick{Value: e, Label: label})
	}
	return ts
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
