package msproject

import (
	"bytes"
	"context"
	"errors"
	"os"
	"testing"
)

// The fuzz targets check that no input panics, hangs or escapes the error contract:
// a parse either fails with a *ParseError or yields a project whose derived
// structure (parents, links) only points at tasks that exist.

func seed(f *testing.F, files ...string) {
	for _, name := range files {
		data, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
}

func checkFuzzResult(t *testing.T, p *Project, err error) {
	if err != nil {
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Fatalf("error is %T, not *ParseError: %v", err, err)
		}
		if pe.File == "" {
			t.Fatalf("error does not name the file: %v", err)
		}
		return
	}
	uids := map[int64]bool{}
	for _, tk := range p.Tasks {
		uids[tk.UID] = true
	}
	for _, tk := range p.Tasks {
		if tk.ParentUID.Valid && !uids[tk.ParentUID.V] {
			t.Fatalf("task %d has parent %d, which does not exist", tk.UID, tk.ParentUID.V)
		}
	}
}

func FuzzMSPDI(f *testing.F) {
	seed(f, "small.xml")
	f.Add([]byte(`<Project><Tasks><Task><UID>1</UID><OutlineLevel>3</OutlineLevel></Task></Tasks></Project>`))
	f.Add([]byte(`<Project><Calendars><Calendar><WeekDays><WeekDay><DayType>0</DayType></WeekDay></WeekDays></Calendar></Calendars></Project>`))
	f.Add([]byte(`<?xml version="1.0" encoding="windows-1252"?><Project><Name>caf` + "\xe9" + `</Name></Project>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParseMSPDI(context.Background(), bytes.NewReader(data), "fuzz.xml", Options{MaxBytes: 1 << 20})
		checkFuzzResult(t, p, err)
	})
}

func FuzzMPX(f *testing.F) {
	seed(f, "small.mpx")
	f.Add([]byte("MPX;Microsoft Project for Windows;4,0;ANSI\r\n10;€;1;2;.;,\r\n61;90;1;40\r\n70;1;Vorgang;2,5t\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParseMPX(context.Background(), bytes.NewReader(data), "fuzz.mpx", Options{MaxBytes: 1 << 20})
		checkFuzzResult(t, p, err)
	})
}

func FuzzCSV(f *testing.F) {
	seed(f, "tasks.csv", "tasks-de.csv")
	f.Add([]byte("ID;Name;Outline_Level;Predecessors\n1;A;1;\n2;B;3;1FS+1d\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParseCSV(context.Background(), bytes.NewReader(data), "fuzz.csv", Options{MaxBytes: 1 << 20})
		checkFuzzResult(t, p, err)
	})
}
