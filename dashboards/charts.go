package dashboards

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"
)

// Value kinds: how a number is formatted in tables, tooltips and axis labels.
const (
	kindText  = "text"
	kindDate  = "date"
	kindMoney = "money"
	kindIndex = "idx"  // SPI, CPI: 3 decimals
	kindInt   = "int"  // counts
	kindDays  = "days" // durations in days, 1 decimal
	kindNum   = "num"  // other numbers, 2 decimals
	kindRatio = "ratio"
	kindRAG   = "rag"
)

// palette is colour-blind safe (Okabe–Ito); static/app.js and app.css mirror it for
// tooltip markers, which cannot use inline styles under the CSP.
var palette = []string{"#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#999999", "#000000"}

// RAG colours differ in lightness as well as hue, and every use also shows the word
// and a distinct symbol, so status never depends on telling red from green.
var ragStyle = map[string]struct{ Label, Color, Symbol string }{
	"red":   {"Red", "#B2182B", "diamond"},
	"amber": {"Amber", "#E69F00", "triangle"},
	"green": {"Green", "#1A7F45", "circle"},
	"":      {"No status", "#8C8C8C", "rect"},
}

// column describes one column of a chart's table view and CSV.
type column struct {
	Label string
	Kind  string
}

// cell is one table value: V is nil, string, float64 or int64; Href makes it a link.
type cell struct {
	V    any
	Href string
}

// dataTable is the accessible alternative of a chart and the source of its CSV:
// built from the same values the chart draws.
type dataTable struct {
	Cols []column
	Rows [][]cell
}

// Chart is one chart card: the ECharts option (rendered by go-echarts), its table
// view, its CSV link and the "how is this computed" note.
type Chart struct {
	ID    string
	Title string
	// Note is the definition shown under "How is this computed".
	Note string
	// Views are the SQL views the numbers come from.
	Views []string
	// Empty, when set, replaces the chart: it says why there is nothing to draw.
	Empty string
	// Option is the ECharts option as JSON; Kinds, Tips and Links are JSON arrays
	// the page script uses for tooltips (escaped there) and clicks.
	Option string
	Kinds  string
	Tips   string
	Links  string
	// Click is "link" (data points open Links) or "cell" (risk matrix cells list risks).
	Click   string
	CellAPI string
	Table   *dataTable
	// Summary is the chart's accessible name.
	Summary string
	// CSV is the download address, filled in by the page.
	CSV string
}

func emptyChart(id, title, note string, views []string, reason string) *Chart {
	return &Chart{ID: id, Title: title, Note: note, Views: views, Empty: reason}
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		// Only our own option structs are marshalled; they always encode.
		panic(fmt.Sprintf("dashboards: encoding chart option: %v", err))
	}
	return string(b)
}

// baseOpts are shared by every chart: the palette, no go-echarts title (the card has
// a heading), aria descriptions, a quick animation.
func baseOpts(trigger string) []charts.GlobalOpts {
	return []charts.GlobalOpts{
		charts.WithColorsOpts(opts.Colors(palette)),
		charts.WithAnimation(true),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: trigger}),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(true), Type: "scroll", Top: "0"}),
		charts.WithGridOpts(opts.Grid{Left: "12", Right: "24", Top: "36", Bottom: "12", ContainLabel: opts.Bool(true)}),
		charts.WithAriaOpts(&opts.Aria{Enabled: opts.Bool(true)}),
	}
}

// optionOf renders a go-echarts chart to its option JSON.
func optionOf(c interface {
	Validate()
	JSON() map[string]any
}) string {
	c.Validate()
	m := c.JSON()
	delete(m, "title")
	delete(m, "toolbox")
	m["animationDuration"] = 300
	return mustJSON(m)
}

// timeSeries is one line on a date axis; Points maps YYYY-MM-DD to a value.
type timeSeries struct {
	Name   string
	Kind   string
	Points map[string]*float64
	Dashed bool
	Color  string
	Area   bool
}

// refLine is a horizontal (or, with X set, vertical) reference line.
type refLine struct {
	Name  string
	Value float64
	X     string // for vertical lines on a date/category axis
	Kind  string
	Color string
}

// timeLineChart draws series against dates; the table has one row per date.
func timeLineChart(id, title string, series []timeSeries, refs []refLine, yKind string) *Chart {
	dateSet := map[string]bool{}
	for _, s := range series {
		for d, v := range s.Points {
			if v != nil {
				dateSet[d] = true
			}
		}
	}
	dates := make([]string, 0, len(dateSet))
	for d := range dateSet {
		dates = append(dates, d)
	}
	sort.Strings(dates)

	line := charts.NewLine()
	line.SetGlobalOptions(append(baseOpts("axis"),
		charts.WithXAxisOpts(opts.XAxis{Type: "time"}),
		charts.WithYAxisOpts(opts.YAxis{Type: "value", Scale: opts.Bool(yKind == kindIndex)}),
	)...)
	var kinds []string
	for i, s := range series {
		var data []opts.LineData
		for _, d := range dates {
			if v := s.Points[d]; v != nil {
				data = append(data, opts.LineData{Value: []any{d, *v}})
			}
		}
		so := []charts.SeriesOpts{charts.WithLineChartOpts(opts.LineChart{ShowSymbol: opts.Bool(len(data) < 60), Symbol: "circle"})}
		ls := opts.LineStyle{Width: 2}
		if s.Dashed {
			ls.Type = "dashed"
		}
		if s.Color != "" {
			ls.Color = s.Color
			so = append(so, charts.WithItemStyleOpts(opts.ItemStyle{Color: s.Color}))
		}
		so = append(so, charts.WithLineStyleOpts(ls))
		if s.Area {
			so = append(so, charts.WithAreaStyleOpts(opts.AreaStyle{Opacity: opts.Float(0.08)}))
		}
		if i == 0 && len(refs) > 0 {
			so = append(so, charts.WithMarkLineNameYAxisItemOpts(refItems(refs)...),
				charts.WithMarkLineStyleOpts(opts.MarkLineStyle{Symbol: []string{"none", "none"},
					Label:     &opts.Label{Show: opts.Bool(true), Formatter: "{b}", Position: "insideEndTop"},
					LineStyle: &opts.LineStyle{Type: "dotted", Color: "#555", Width: 1}}))
		}
		line.AddSeries(s.Name, data, so...)
		kinds = append(kinds, s.Kind)
	}

	t := &dataTable{Cols: []column{{"Date", kindDate}}}
	for _, s := range series {
		t.Cols = append(t.Cols, column{s.Name, s.Kind})
	}
	for _, r := range refs {
		t.Cols = append(t.Cols, column{r.Name + " (reference line)", r.Kind})
	}
	for _, d := range dates {
		rw := []cell{{V: d}}
		for _, s := range series {
			if v := s.Points[d]; v != nil {
				rw = append(rw, cell{V: *v})
			} else {
				rw = append(rw, cell{})
			}
		}
		for _, r := range refs {
			rw = append(rw, cell{V: r.Value})
		}
		t.Rows = append(t.Rows, rw)
	}
	return &Chart{ID: id, Title: title, Option: optionOf(line), Kinds: mustJSON(kinds), Table: t,
		Summary: fmt.Sprintf("%s: line chart of %d series over %d dates; the table view lists every value.", title, len(series), len(dates))}
}

func refItems(refs []refLine) []opts.MarkLineNameYAxisItem {
	var items []opts.MarkLineNameYAxisItem
	for _, r := range refs {
		items = append(items, opts.MarkLineNameYAxisItem{Name: r.Name, YAxis: r.Value})
	}
	return items
}

// bubble is one project in the SPI×CPI chart.
type bubble struct {
	Name string
	RAG  string
	Href string
	SPI  float64
	CPI  float64
	BAC  float64
	Tip  [][2]string
}

// bubbleChart is the SPI×CPI quadrant: one series per RAG status so the legend
// reads Red/Amber/Green, bubble area proportional to BAC, a click opens the project.
func bubbleChart(id, title string, pts []bubble) *Chart {
	maxBAC := 0.0
	for _, p := range pts {
		maxBAC = math.Max(maxBAC, p.BAC)
	}
	sc := charts.NewScatter()
	sc.SetGlobalOptions(append(baseOpts("item"),
		charts.WithXAxisOpts(opts.XAxis{Type: "value", Name: "SPI", Scale: opts.Bool(true), NameLocation: "middle", NameGap: 28}),
		charts.WithYAxisOpts(opts.YAxis{Type: "value", Name: "CPI", Scale: opts.Bool(true)}),
	)...)
	var links [][]string
	var tips [][][][2]string
	first := true
	for _, rag := range []string{"red", "amber", "green", ""} {
		var data []opts.ScatterData
		var l []string
		var tp [][][2]string
		for _, p := range pts {
			if p.RAG != rag {
				continue
			}
			size := 14.0
			if maxBAC > 0 && p.BAC > 0 {
				size = 14 + 46*math.Sqrt(p.BAC/maxBAC)
			}
			data = append(data, opts.ScatterData{Name: p.Name, Value: []any{p.SPI, p.CPI, p.BAC}, SymbolSize: int(size)})
			l = append(l, p.Href)
			tp = append(tp, p.Tip)
		}
		if len(data) == 0 {
			continue
		}
		st := ragStyle[rag]
		so := []charts.SeriesOpts{
			charts.WithItemStyleOpts(opts.ItemStyle{Color: st.Color, Opacity: opts.Float(0.8), BorderColor: "#fff", BorderWidth: 1}),
			charts.WithSeriesOpts(func(s *charts.SingleSeries) { s.Symbol = st.Symbol }),
		}
		if first {
			first = false
			so = append(so,
				charts.WithMarkLineNameXAxisItemOpts(opts.MarkLineNameXAxisItem{Name: "SPI 1.0", XAxis: 1.0}),
				charts.WithMarkLineNameYAxisItemOpts(opts.MarkLineNameYAxisItem{Name: "CPI 1.0", YAxis: 1.0}),
				charts.WithMarkLineStyleOpts(opts.MarkLineStyle{Symbol: []string{"none", "none"},
					Label:     &opts.Label{Show: opts.Bool(true), Formatter: "{b}"},
					LineStyle: &opts.LineStyle{Type: "dashed", Color: "#555", Width: 1}}))
		}
		sc.AddSeries(st.Label, data, so...)
		links = append(links, l)
		tips = append(tips, tp)
	}
	t := &dataTable{Cols: []column{{"Project", kindText}, {"RAG", kindRAG}, {"SPI", kindIndex}, {"CPI", kindIndex}, {"BAC", kindMoney}}}
	for _, p := range pts {
		t.Rows = append(t.Rows, []cell{{V: p.Name, Href: p.Href}, {V: p.RAG}, {V: p.SPI}, {V: p.CPI}, {V: p.BAC}})
	}
	return &Chart{ID: id, Title: title, Option: optionOf(sc), Links: mustJSON(links), Tips: mustJSON(tips), Click: "link", Table: t,
		Summary: fmt.Sprintf("%s: %d projects placed by schedule (SPI, across) and cost (CPI, up) performance; select a bubble or use the table view to open a project.", title, len(pts))}
}

// matrixCell is one cell of the 5×5 risk matrix.
type matrixCell struct {
	Risks int64
	EMV   float64
}

// riskMatrixChart is the probability × impact heat map. Cells are clickable: the
// page script lists the cell's risks from CellAPI; the table view links to the same
// list rendered on the server (cellHref).
func riskMatrixChart(id, title string, m [5][5]matrixCell, cellHref func(p, i int) string, cellAPI string) *Chart {
	hm := charts.NewHeatMap()
	levels := []string{"1", "2", "3", "4", "5"}
	maxRisks := int64(1)
	for p := 0; p < 5; p++ {
		for i := 0; i < 5; i++ {
			if m[p][i].Risks > maxRisks {
				maxRisks = m[p][i].Risks
			}
		}
	}
	hm.SetGlobalOptions(append(baseOpts("item"),
		charts.WithXAxisOpts(opts.XAxis{Type: "category", Data: levels, Name: "Impact", NameLocation: "middle", NameGap: 28, SplitArea: &opts.SplitArea{Show: opts.Bool(true)}}),
		charts.WithYAxisOpts(opts.YAxis{Type: "category", Data: levels, Name: "Probability", SplitArea: &opts.SplitArea{Show: opts.Bool(true)}}),
		charts.WithVisualMapOpts(opts.VisualMap{Type: "continuous", Calculable: opts.Bool(false), Min: 0, Max: float32(maxRisks),
			Show:    opts.Bool(false),
			InRange: &opts.VisualMapInRange{Color: []string{"#FFFFE5", "#FEC44F", "#EC7014", "#993404"}}}),
	)...)
	var data []opts.HeatMapData
	var tips [][][2]string
	for p := 0; p < 5; p++ {
		for i := 0; i < 5; i++ {
			c := m[p][i]
			data = append(data, opts.HeatMapData{Value: []any{i, p, c.Risks}})
			tips = append(tips, [][2]string{{"Probability", levels[p]}, {"Impact", levels[i]},
				{"Open risks", fmt.Sprint(c.Risks)}, {"EMV", formatNumber(c.EMV, kindMoney)}})
		}
	}
	hm.AddSeries("Open risks", data, charts.WithLabelOpts(opts.Label{Show: opts.Bool(true)}),
		charts.WithItemStyleOpts(opts.ItemStyle{BorderColor: "#fff", BorderWidth: 2}))
	t := &dataTable{Cols: []column{{"Probability \\ Impact", kindText}}}
	for _, l := range levels {
		t.Cols = append(t.Cols, column{"Impact " + l, kindInt})
	}
	for p := 4; p >= 0; p-- {
		rw := []cell{{V: "Probability " + levels[p]}}
		for i := 0; i < 5; i++ {
			rw = append(rw, cell{V: m[p][i].Risks, Href: cellHref(p+1, i+1)})
		}
		t.Rows = append(t.Rows, rw)
	}
	return &Chart{ID: id, Title: title, Option: optionOf(hm), Tips: mustJSON([][][][2]string{tips}), Click: "cell", CellAPI: cellAPI, Table: t,
		Summary: title + ": 5 by 5 matrix of open risks by probability (rows) and impact (columns); select a cell or a number in the table view to list its risks."}
}

// barSeries is one series of a category bar chart; Line draws it as a line instead.
type barSeries struct {
	Name   string
	Kind   string
	Values []*float64
	Color  string
	Line   bool
	Stack  string
}

// barChart draws series over categories; horizontal puts categories on the y axis
// (long names such as risk titles stay readable). catLinks (optional) make bars links.
func barChart(id, title string, cats []string, catLinks []string, series []barSeries, horizontal bool, refs []refLine) *Chart {
	bar := charts.NewBar()
	catAxis := opts.XAxis{Type: "category", Data: cats, AxisLabel: &opts.AxisLabel{Interval: "auto"}}
	valAxis := opts.YAxis{Type: "value"}
	gos := baseOpts("axis")
	if horizontal {
		gos = append(gos,
			charts.WithXAxisOpts(opts.XAxis{Type: "value"}),
			charts.WithYAxisOpts(opts.YAxis{Type: "category", Data: cats, Inverse: opts.Bool(true)}))
	} else {
		gos = append(gos, charts.WithXAxisOpts(catAxis), charts.WithYAxisOpts(valAxis))
	}
	bar.SetGlobalOptions(gos...)
	if !horizontal {
		bar.SetXAxis(cats)
	}
	var kinds []string
	var links [][]string
	for i, s := range series {
		data := make([]opts.BarData, len(cats))
		for j := range cats {
			if j < len(s.Values) && s.Values[j] != nil {
				data[j] = opts.BarData{Value: *s.Values[j]}
			} else {
				data[j] = opts.BarData{Value: "-"}
			}
		}
		var so []charts.SeriesOpts
		if s.Color != "" {
			so = append(so, charts.WithItemStyleOpts(opts.ItemStyle{Color: s.Color}))
		}
		if s.Line || s.Stack != "" {
			line, stack := s.Line, s.Stack
			so = append(so, charts.WithSeriesOpts(func(ss *charts.SingleSeries) {
				if line {
					ss.Type = "line"
				}
				ss.Stack = stack
			}))
		}
		if i == 0 && len(refs) > 0 {
			var items []opts.MarkLineNameYAxisItem
			var xitems []opts.MarkLineNameXAxisItem
			for _, r := range refs {
				if r.X != "" {
					xitems = append(xitems, opts.MarkLineNameXAxisItem{Name: r.Name, XAxis: r.X})
				} else {
					items = append(items, opts.MarkLineNameYAxisItem{Name: r.Name, YAxis: r.Value})
				}
			}
			if len(items) > 0 {
				so = append(so, charts.WithMarkLineNameYAxisItemOpts(items...))
			}
			if len(xitems) > 0 {
				so = append(so, charts.WithMarkLineNameXAxisItemOpts(xitems...))
			}
			so = append(so, charts.WithMarkLineStyleOpts(opts.MarkLineStyle{Symbol: []string{"none", "none"},
				Label:     &opts.Label{Show: opts.Bool(true), Formatter: "{b}"},
				LineStyle: &opts.LineStyle{Type: "dashed", Color: "#333", Width: 1.5}}))
		}
		bar.AddSeries(s.Name, data, so...)
		kinds = append(kinds, s.Kind)
		if catLinks != nil {
			links = append(links, catLinks)
		}
	}
	t := &dataTable{Cols: []column{{"Category", kindText}}}
	for _, s := range series {
		t.Cols = append(t.Cols, column{s.Name, s.Kind})
	}
	for j, c := range cats {
		href := ""
		if j < len(catLinks) {
			href = catLinks[j]
		}
		rw := []cell{{V: c, Href: href}}
		for _, s := range series {
			if j < len(s.Values) && s.Values[j] != nil {
				rw = append(rw, cell{V: *s.Values[j]})
			} else {
				rw = append(rw, cell{})
			}
		}
		t.Rows = append(t.Rows, rw)
	}
	ch := &Chart{ID: id, Title: title, Option: optionOf(bar), Kinds: mustJSON(kinds), Table: t,
		Summary: fmt.Sprintf("%s: bar chart of %d categories; the table view lists every value.", title, len(cats))}
	if catLinks != nil {
		ch.Links, ch.Click = mustJSON(links), "link"
	}
	return ch
}

// datedPoint is one point of a scatter over dates (e.g. an issue's cycle time).
type datedPoint struct {
	Date  string
	Value float64
	Label string
}

// timeScatterChart plots values by date with horizontal reference lines.
func timeScatterChart(id, title, seriesName, kind string, pts []datedPoint, refs []refLine) *Chart {
	sc := charts.NewScatter()
	sc.SetGlobalOptions(append(baseOpts("item"),
		charts.WithXAxisOpts(opts.XAxis{Type: "time"}),
		charts.WithYAxisOpts(opts.YAxis{Type: "value", Name: "days"}),
	)...)
	var data []opts.ScatterData
	var tips [][2]string
	var tipRows [][][2]string
	for _, p := range pts {
		data = append(data, opts.ScatterData{Name: p.Label, Value: []any{p.Date, p.Value}, SymbolSize: 7})
		tips = [][2]string{{"Item", p.Label}, {"Finished", p.Date}, {seriesName, formatNumber(p.Value, kind)}}
		tipRows = append(tipRows, tips)
	}
	so := []charts.SeriesOpts{charts.WithItemStyleOpts(opts.ItemStyle{Color: palette[0], Opacity: opts.Float(0.7)})}
	if len(refs) > 0 {
		so = append(so, charts.WithMarkLineNameYAxisItemOpts(refItems(refs)...),
			charts.WithMarkLineStyleOpts(opts.MarkLineStyle{Symbol: []string{"none", "none"},
				Label:     &opts.Label{Show: opts.Bool(true), Formatter: "{b}", Position: "insideEndTop"},
				LineStyle: &opts.LineStyle{Type: "dashed", Color: "#333", Width: 1}}))
	}
	sc.AddSeries(seriesName, data, so...)
	t := &dataTable{Cols: []column{{"Item", kindText}, {"Finished", kindDate}, {seriesName, kind}}}
	for _, p := range pts {
		t.Rows = append(t.Rows, []cell{{V: p.Label}, {V: p.Date}, {V: p.Value}})
	}
	for _, r := range refs {
		t.Rows = append(t.Rows, []cell{{V: r.Name + " (reference line)"}, {}, {V: r.Value}})
	}
	return &Chart{ID: id, Title: title, Option: optionOf(sc), Tips: mustJSON([][][][2]string{tipRows}), Table: t,
		Summary: fmt.Sprintf("%s: %d points by finish date; the table view lists every value.", title, len(pts))}
}

func formatNumber(v float64, kind string) string {
	switch kind {
	case kindMoney:
		return groupThousands(round(v, 0))
	case kindIndex:
		return fmt.Sprintf("%.3f", v)
	case kindInt:
		return groupThousands(round(v, 0))
	case kindDays:
		return fmt.Sprintf("%.1f", v)
	case kindRatio:
		return fmt.Sprintf("%.1f%%", v*100)
	default:
		if v == math.Trunc(v) && math.Abs(v) < 1e15 {
			return groupThousands(v)
		}
		return fmt.Sprintf("%.2f", v)
	}
}

// groupThousands writes an integer-valued float with thousands separators.
func groupThousands(v float64) string {
	neg := v < 0
	s := fmt.Sprintf("%.0f", math.Abs(v))
	var out []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if neg && s != "0" {
		return "-" + string(out)
	}
	return string(out)
}
