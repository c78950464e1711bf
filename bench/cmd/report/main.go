// Command report runs the comparison benchmarks of package bench and
// summarises them: benchstat's table in results.txt, a Markdown table of
// medians (with the spread of their runs) and ratios to synchronicity,
// compared with the fastest implementation doing the same job, written
// between the markers
// <!-- bench:begin --> and <!-- bench:end --> of a Markdown file, and a bar
// chart of the ratios in results.svg.
//
// Run it from the bench directory:
//
//	go run ./cmd/report [-count 6] [-benchtime 1s] [-readme README.md]
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
		readme    = flag.String("readme", "README.md", "Markdown file whose bench markers receive the table (without the markers: stdout)")
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

// results holds, per job and implementation, the summary of the job's
// metrics, with the implementations in the order they first appear.
type results struct {
	median map[string]map[string]float64 // of the job's Unit
	spread map[string]map[string]float64 // of the Unit: the larger side of the 95% interval around the median, as a fraction of it; 0 from a single run
	also   map[string]map[string]float64 // median of the job's Also metric
	order  map[string][]string
	config string // machine and toolchain, from the benchmark output
}

// swings is the spread above which a figure is flagged: it moved too much
// between runs to be quoted as it stands.
const swings = 0.20

func read(file string) results {
	f, err := os.Open(file)
	check(err)
	defer f.Close()
	jobs := map[string]bench.Job{}
	for _, j := range bench.Jobs {
		jobs[j.Bench] = j
	}
	values := map[string]map[string][]float64{}
	also := map[string]map[string][]float64{}
	res := results{median: map[string]map[string]float64{}, spread: map[string]map[string]float64{}, also: map[string]map[string]float64{}, order: map[string][]string{}}
	add := func(m map[string]map[string][]float64, job, impl string, v float64) {
		if m[job] == nil {
			m[job] = map[string][]float64{}
		}
		m[job][impl] = append(m[job][impl], v)
	}
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
		name := strings.TrimPrefix(string(base), "Benchmark")
		j, known := jobs[name]
		if len(parts) == 0 || !known {
			continue
		}
		impl := strings.TrimPrefix(string(parts[0]), "/")
		for _, v := range rec.Values {
			switch unit := cond(v.OrigUnit != "", v.OrigUnit, v.Unit); {
			case unit == j.Unit:
				if values[name][impl] == nil {
					res.order[name] = append(res.order[name], impl)
				}
				add(values, name, impl, orig(v))
			case j.Also != "" && unit == j.Also:
				add(also, name, impl, orig(v))
			}
		}
	}
	check(r.Err())
	for job, impls := range values {
		res.median[job], res.spread[job] = map[string]float64{}, map[string]float64{}
		for impl, vs := range impls {
			res.median[job][impl], res.spread[job][impl] = summary(vs)
		}
	}
	for job, impls := range also {
		res.also[job] = map[string]float64{}
		for impl, vs := range impls {
			res.also[job][impl], _ = summary(vs)
		}
	}
	return res
}

// summary returns the median of vs and its spread: how far the 95%
// confidence interval reaches from the median, on its wider side, as a
// fraction of the median (benchstat's ±); with too few runs for the
// interval, how far the runs reach from the median.
func summary(vs []float64) (median, spread float64) {
	s := benchmath.NewSample(vs, &benchmath.DefaultThresholds)
	sum := benchmath.AssumeNothing.Summary(s, 0.95)
	median = sum.Center
	if len(vs) < 2 || median == 0 {
		return median, 0
	}
	lo, hi := sum.Lo, sum.Hi
	if math.IsInf(lo, 0) || math.IsInf(hi, 0) { // too few runs for the interval: their range
		lo, hi = slices.Min(vs), slices.Max(vs)
	}
	return median, max(hi-median, median-lo) / median
}

func orig(v benchfmt.Value) float64 {
	if v.OrigUnit != "" {
		return v.OrigValue
	}
	return v.Value
}

// fastestPeer returns the fastest implementation that is not the library's
// and does the same job as the library's.
func fastestPeer(j bench.Job, med map[string]float64) (name string) {
	for impl, m := range med {
		if !strings.HasPrefix(impl, bench.Library) && !j.Apart[impl] && (name == "" || m < med[name]) {
			name = impl
		}
	}
	return name
}

func markdown(res results) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Medians of the benchmarks in `bench/` (%s), each ± the spread of its runs (the wider side of the 95%% interval, as benchstat reports it); ⚠ marks a figure that moved more than ±%.0f%% between runs, too much to quote as it stands. × %s is each median divided by the library's, so above 1 is slower than %[3]s.\n", res.config, swings*100, bench.Library)
	for _, j := range bench.Jobs {
		med, spread := res.median[j.Bench], res.spread[j.Bench]
		lib, ok := med[bench.Library]
		if !ok {
			continue
		}
		fmt.Fprintf(&b, "\n**%s** (%s, %s)\n\n", j.Title, j.Sizing, j.Unit)
		also := j.Also != "" && res.also[j.Bench] != nil
		fmt.Fprintf(&b, "| implementation | %s | × %s |%s%s notes |\n|---|--:|--:|%s%s---|\n",
			j.Unit, bench.Library, cond(also, " "+j.Also+" |"), cond(j.Leaks != nil, " leaks on break |"),
			cond(also, "--:|"), cond(j.Leaks != nil, ":-:|"))
		impls := res.order[j.Bench]
		for _, impl := range slices.Sorted(maps.Keys(j.Leaks)) {
			if _, ok := med[impl]; !ok { // leaking implementations are not benchmarked
				impls = append(impls, impl)
			}
		}
		for _, impl := range impls {
			figure, ratio := "—", "—"
			if m, ok := med[impl]; ok {
				figure, ratio = withSpread(m, spread[impl]), fmt.Sprintf("%.2f", m/lib)
			}
			name := impl
			if impl == bench.Library {
				name = "**" + impl + "**"
			}
			extra := ""
			if also {
				extra = " — |"
				if m, ok := res.also[j.Bench][impl]; ok {
					extra = " " + strconv.FormatFloat(m, 'f', digits(m), 64) + " |"
				}
			}
			leaks := ""
			if j.Leaks != nil {
				leaks = cond(j.Leaks[impl], " **yes** |", " no |")
			}
			note := j.Notes[impl]
			if j.Apart[impl] {
				note = strings.TrimSpace(note + cond(note != "", "; ") + "a different job: not compared")
			}
			fmt.Fprintf(&b, "| %s | %s | %s |%s%s %s |\n", name, figure, ratio, extra, leaks, note)
		}
		if peer := fastestPeer(j, med); peer != "" {
			rough := ""
			if spread[bench.Library] > swings || spread[peer] > swings {
				rough = " (a figure that swings: rough)"
			}
			what := "takes %.2f× the time of the fastest"
			if !strings.HasPrefix(j.Unit, "ns/") {
				what = "burns %.2f× the " + j.Unit + " of the thriftiest"
			}
			fmt.Fprintf(&b, "\n%s "+what+" other implementation doing the same job, %s%s.\n", bench.Library, lib/med[peer], peer, rough)
		}
	}
	return b.String()
}

// withSpread formats a median with its spread, flagging one that swings.
func withSpread(m, spread float64) string {
	s := strconv.FormatFloat(m, 'f', digits(m), 64)
	if spread > 0 {
		s += fmt.Sprintf(" ±%.0f%%", spread*100)
	}
	if spread > swings {
		s += " ⚠"
	}
	return s
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
// best implementation doing the same job, as a multiple of the library's time
// on a log₂ axis.
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
			if fam == bench.Library || j.Apart[impl] {
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
